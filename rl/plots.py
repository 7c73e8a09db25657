"""Plots of RL results: one run's learning curve, curves across seeds with a bootstrap band, final returns.

matplotlib with the Agg backend, so plots are written on machines without a display (CI, SageMaker).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from rl.stats import Interval, stratified_bootstrap_ci  # noqa: E402

GRID_POINTS = 100


def plot_learning_curve(curve_csv: str | Path, png_path: str | Path, title: str = "learning curve") -> Path:
    """Mean evaluation return over training, +- one std across evaluation episodes, for one run."""
    curve = pd.read_csv(curve_csv)
    figure, axes = plt.subplots(figsize=(7, 4.2))
    axes.plot(curve["timesteps"], curve["mean_reward"], marker="o", markersize=3, label="mean evaluation return")
    axes.fill_between(
        curve["timesteps"],
        curve["mean_reward"] - curve["std_reward"],
        curve["mean_reward"] + curve["std_reward"],
        alpha=0.25,
        label="+- 1 std over episodes",
    )
    _finish(axes, title, "timesteps", "episode return")
    return _save(figure, png_path)


def interpolate_runs(curves: Sequence[pd.DataFrame], points: int = GRID_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Put runs on a common timestep grid: (grid, matrix of shape (runs, grid)) with NaN past a run's end.

    Each run is interpolated linearly between its own evaluations and never extrapolated, so a
    run that stopped early does not pretend to have results it never had.
    """
    curves = [c.sort_values("timesteps") for c in curves if len(c)]
    if not curves:
        raise ValueError("no learning-curve rows to plot")
    start = min(float(c["timesteps"].iloc[0]) for c in curves)
    end = max(float(c["timesteps"].iloc[-1]) for c in curves)
    grid = np.linspace(start, end, points) if end > start else np.array([start])
    matrix = np.full((len(curves), grid.size), np.nan)
    for row, curve in enumerate(curves):
        x, y = curve["timesteps"].to_numpy(float), curve["mean_reward"].to_numpy(float)
        inside = (grid >= x[0]) & (grid <= x[-1])
        matrix[row, inside] = np.interp(grid[inside], x, y)
    return grid, matrix


def _band(matrix: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    estimate, low, high = (np.full(matrix.shape[1], np.nan) for _ in range(3))
    for column in range(matrix.shape[1]):
        values = matrix[:, column][~np.isnan(matrix[:, column])]
        if values.size:
            interval = stratified_bootstrap_ci(values, "iqm", seed=seed, reps=500)
            estimate[column], low[column], high[column] = interval.estimate, interval.low, interval.high
    return estimate, low, high


def plot_learning_curves(
    groups: Mapping[str, Sequence[pd.DataFrame]], png_path: str | Path, title: str = "learning curves", seed: int = 0
) -> Path:
    """Per group, the IQM over runs on a common timestep grid with a 95% stratified-bootstrap band."""
    figure, axes = plt.subplots(figsize=(8, 4.8))
    for label, curves in groups.items():
        curves = [c for c in curves if len(c)]
        if not curves:
            continue
        grid, matrix = interpolate_runs(curves)
        estimate, low, high = _band(matrix, seed)
        (line,) = axes.plot(grid, estimate, label=f"{label} (IQM of {len(curves)} runs)")
        axes.fill_between(grid, low, high, color=line.get_color(), alpha=0.2)
    _finish(axes, f"{title} (shaded: 95% bootstrap CI)", "timesteps", "evaluation return")
    return _save(figure, png_path)


def plot_final_returns(intervals: Mapping[str, Interval], png_path: str | Path, title: str = "final returns (IQM)") -> Path:
    """One row per group: point estimate and 95% CI, like rliable's interval plots."""
    labels = list(intervals)
    figure, axes = plt.subplots(figsize=(7, 0.6 * len(labels) + 1.6))
    for row, label in enumerate(labels):
        interval = intervals[label]
        axes.plot([interval.low, interval.high], [row, row], linewidth=6, alpha=0.5, solid_capstyle="butt")
        axes.plot(interval.estimate, row, marker="|", markersize=18, color="black")
    axes.set_yticks(range(len(labels)), labels)
    axes.invert_yaxis()
    _finish(axes, title, "episode return (bar: 95% stratified-bootstrap CI)", None, legend=False)
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
