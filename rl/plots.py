"""Plots of RL results: one run's learning curve, curves across seeds with a bootstrap band, final returns.

matplotlib with the Agg backend, so plots are written on machines without a display (CI, SageMaker).
Learning curves are CSV files / DataFrames with the columns ``timesteps,mean_reward,std_reward``
(``rl.curve``), one row per periodic evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from rl.stats import Interval, stratified_bootstrap_ci  # noqa: E402

GRID_POINTS = 100
BAND_REPS = 500  # per grid point; a band of 100 points needs 100 intervals, each a visual guide only
CURVE_COLUMNS = ("timesteps", "mean_reward", "std_reward")


def read_curve(curve_csv: str | Path | IO[bytes], name: str | None = None) -> pd.DataFrame:
    """Read a learning_curve.csv, checking it has the columns ``timesteps,mean_reward,std_reward``.

    :param curve_csv: a path or an open binary file (e.g. an archive member).
    :param name: what to call the source in errors (default: the path).
    """
    curve = pd.read_csv(curve_csv)
    missing = [c for c in CURVE_COLUMNS if c not in curve.columns]
    if missing:
        source = name or curve_csv
        raise ValueError(f"{source}: missing column(s) {missing}; expected {list(CURVE_COLUMNS)}, got {list(curve.columns)}")
    return curve.sort_values("timesteps", kind="stable").reset_index(drop=True)


def plot_learning_curve(curve_csv: str | Path, png_path: str | Path, title: str = "learning curve") -> Path:
    """Plot one run: mean evaluation return over training, shaded +- one std across evaluation episodes.

    :param curve_csv: the run's learning_curve.csv.
    :param png_path: where to write the PNG (parent directories are created).
    :param title: the plot title, e.g. the config name and seed.
    :return: ``png_path``.
    """
    curve = read_curve(curve_csv)
    figure, axes = plt.subplots(figsize=(7, 4.2))
    axes.plot(curve["timesteps"], curve["mean_reward"], marker="o", markersize=3, label="mean evaluation return")
    axes.fill_between(
        curve["timesteps"],
        curve["mean_reward"] - curve["std_reward"],
        curve["mean_reward"] + curve["std_reward"],
        alpha=0.25,
        label="± 1 std over evaluation episodes",
    )
    _finish(axes, title, "timesteps", "episode return")
    return _save(figure, png_path)


def interpolate_runs(curves: Sequence[pd.DataFrame], points: int = GRID_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Put runs on a common timestep grid: (grid, matrix of shape (runs, grid)) with NaN outside a run.

    Each run is interpolated linearly between its own evaluations and never extrapolated, so a
    run that stopped early does not pretend to have results it never had.
    """
    curves = [c.sort_values("timesteps", kind="stable") for c in curves if len(c)]
    if not curves:
        raise ValueError("no learning-curve rows to plot: every curve given is empty")
    start = min(float(c["timesteps"].iloc[0]) for c in curves)
    end = max(float(c["timesteps"].iloc[-1]) for c in curves)
    grid = np.linspace(start, end, points) if end > start else np.array([start])
    matrix = np.full((len(curves), grid.size), np.nan)
    for row, curve in enumerate(curves):
        x, y = curve["timesteps"].to_numpy(float), curve["mean_reward"].to_numpy(float)
        inside = (grid >= x[0]) & (grid <= x[-1])
        matrix[row, inside] = np.interp(grid[inside], x, y)
    return grid, matrix


def curve_band(
    matrix: np.ndarray, aggregate: str = "iqm", *, reps: int = BAND_REPS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per grid column: the aggregate over the runs that reach it and its 95% bootstrap interval.

    :return: (estimate, low, high), each of shape (grid,); NaN where no run has a value.
    """
    estimate, low, high = (np.full(matrix.shape[1], np.nan) for _ in range(3))
    for column in range(matrix.shape[1]):
        values = matrix[:, column][~np.isnan(matrix[:, column])]
        if values.size:
            interval = stratified_bootstrap_ci(values, aggregate, reps=reps, seed=seed)
            estimate[column], low[column], high[column] = interval.estimate, interval.low, interval.high
    return estimate, low, high


def plot_learning_curves(
    groups: Mapping[str, Sequence[pd.DataFrame]],
    png_path: str | Path,
    title: str = "learning curves",
    *,
    aggregate: str = "iqm",
    reps: int = BAND_REPS,
    seed: int = 0,
) -> Path:
    """Plot, per group, the aggregate over its runs on a common timestep grid with a 95% bootstrap band.

    :param groups: label -> one learning-curve DataFrame per run (seed); empty groups are left out.
    :param png_path: where to write the PNG (parent directories are created).
    :param title: the plot title.
    :param aggregate: ``"iqm"`` (default) or ``"mean"`` (or ``"median"``) over the runs at each timestep.
    :param reps: bootstrap replicates per grid point.
    :param seed: seed of the bootstrap resampling.
    :return: ``png_path``.
    """
    figure, axes = plt.subplots(figsize=(8, 4.8))
    for label, curves in groups.items():
        curves = [c for c in curves if len(c)]
        if not curves:
            continue
        grid, matrix = interpolate_runs(curves)
        estimate, low, high = curve_band(matrix, aggregate, reps=reps, seed=seed)
        name = "IQM" if aggregate == "iqm" else aggregate
        runs = "run" if len(curves) == 1 else "runs"
        # a curve with a single evaluation is one point: draw a marker or it would be invisible
        marker = "o" if grid.size == 1 else None
        (line,) = axes.plot(grid, estimate, marker=marker, label=f"{label} ({name} of {len(curves)} {runs})")
        axes.fill_between(grid, low, high, color=line.get_color(), alpha=0.2)
    _finish(axes, f"{title} (shaded: 95% bootstrap CI over runs)", "timesteps", "evaluation return")
    return _save(figure, png_path)


def plot_final_returns(
    intervals: Mapping[str, Interval], png_path: str | Path, title: str = "final return per run: IQM over runs"
) -> Path:
    """Plot one row per group: point estimate and 95% CI, like rliable's interval plots.

    :param intervals: label -> aggregate of the runs' final returns with its confidence interval.
    :param png_path: where to write the PNG (parent directories are created).
    :param title: the plot title.
    :return: ``png_path``.
    """
    labels = list(intervals)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    figure, axes = plt.subplots(figsize=(8, 0.55 * len(labels) + 1.8))
    for row, label in enumerate(labels):
        interval = intervals[label]
        color = colors[row % len(colors)]
        axes.plot([interval.low, interval.high], [row, row], linewidth=10, alpha=0.45, color=color, solid_capstyle="butt")
        axes.plot(interval.estimate, row, marker="|", markersize=20, markeredgewidth=2.5, color="black")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_ylim(len(labels) - 0.5, -0.5)  # first group on top, half a row of margin
    _finish(axes, title, "episode return (tick: estimate; bar: 95% stratified-bootstrap CI)", None, legend=False)
    return _save(figure, png_path)


def _finish(axes: plt.Axes, title: str, xlabel: str, ylabel: str | None, legend: bool = True) -> None:
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    if ylabel:
        axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    if legend and axes.get_legend_handles_labels()[0]:
        axes.legend(loc="best", fontsize="small")


def _save(figure: plt.Figure, png_path: str | Path) -> Path:
    path = Path(png_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
