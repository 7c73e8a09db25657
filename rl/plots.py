"""Figures of RL results: one run's learning curve; per env, agents and baselines together; rliable's figures.

matplotlib with the Agg backend, so figures are written on machines without a display (CI, SageMaker).
Learning curves are DataFrames with the columns ``timesteps,mean_reward,std_reward`` (``rl.curve``), one
row per periodic evaluation. Figures are built as :class:`matplotlib.figure.Figure` objects and written
by :func:`save_figure` in any of :data:`FORMATS` (PNG for screens, PDF or SVG for papers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rl.curve import LearningCurve

if TYPE_CHECKING:  # only the report's figures take DataFrames; a job plots its curve without pandas
    import pandas as pd

FORMATS: tuple[str, ...] = ("png", "pdf", "svg")
DEFAULT_DPI = 150


def plot_learning_curve(curve_csv: str | Path, png_path: str | Path, title: str = "learning curve") -> Path:
    """Plot one run: mean evaluation return over training, shaded +- one std across evaluation episodes."""
    timesteps, mean, std = np.asarray(LearningCurve.read(Path(curve_csv)).rows, dtype=float).reshape(-1, 3).T
    figure, axes = plt.subplots(figsize=(7, 4.2))
    axes.plot(timesteps, mean, marker="o", markersize=3, label="mean evaluation return")
    axes.fill_between(
        timesteps,
        mean - std,
        mean + std,
        alpha=0.25,
        label="± 1 std over evaluation episodes",
    )
    _finish(axes, title, "timesteps", "episode return")
    return save_figure(figure, Path(png_path).with_suffix(""), ("png",), dpi=110)[0]


def common_grid(curves: Sequence[pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    """Runs on the timesteps every one of them reached: (grid, matrix of shape (runs, grid)).

    The grid is every evaluation step of any run between the latest first step and the earliest last
    step; each run is interpolated linearly between its own evaluations, never extrapolated.

    :raises ValueError: when a curve is empty or the runs share no timestep range.
    """
    if not curves or any(len(c) == 0 for c in curves):
        raise ValueError("no learning-curve rows to plot: a curve given is empty")
    ordered = [c.sort_values("timesteps", kind="stable") for c in curves]
    start = max(float(c["timesteps"].iloc[0]) for c in ordered)
    end = min(float(c["timesteps"].iloc[-1]) for c in ordered)
    if end < start:
        raise ValueError(f"the runs share no timesteps: one starts at {start:,.0f}, another ends at {end:,.0f}")
    steps = np.unique(np.concatenate([c["timesteps"].to_numpy(float) for c in ordered]))
    grid = steps[(steps >= start) & (steps <= end)]
    matrix = np.vstack(
        [np.interp(grid, c["timesteps"].to_numpy(float), c["mean_reward"].to_numpy(float)) for c in ordered]
    )
    return grid, matrix


@dataclass
class CurveSeries:
    """One agent group on a panel: the aggregate curve over its runs with its band."""

    label: str
    timesteps: np.ndarray
    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass
class Level:
    """A group without a learning curve (a baseline): its aggregate final return with the interval."""

    label: str
    estimate: float
    low: float
    high: float


@dataclass
class Panel:
    """One env: its agents' curves and its baselines' levels."""

    title: str
    curves: list[CurveSeries] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)


def _grid_shape(count: int) -> tuple[int, int]:
    columns = min(count, 3)
    return -(-count // columns), columns


def learning_curves_figure(panels: Sequence[Panel], ylabel: str = "evaluation return (IQM over runs)") -> Figure:
    """One panel per env: each agent's IQM curve with its 95% band, each baseline as a level with its band."""
    if not panels:
        raise ValueError("no panels to plot")
    rows, columns = _grid_shape(len(panels))
    figure, grid = plt.subplots(rows, columns, figsize=(5.2 * columns, 3.8 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for axes, panel in zip(grid.flat, panels, strict=False):
        for index, series in enumerate(panel.curves):
            color = colors[index % len(colors)]
            marker = "o" if series.timesteps.size == 1 else None  # a single point would be invisible as a line
            axes.plot(series.timesteps, series.estimate, marker=marker, color=color, label=series.label)
            axes.fill_between(series.timesteps, series.low, series.high, color=color, alpha=0.2)
        for index, level in enumerate(panel.levels, start=len(panel.curves)):
            color = colors[index % len(colors)]
            axes.axhline(level.estimate, linestyle="--", linewidth=1.2, color=color, label=level.label)
            axes.axhspan(level.low, level.high, color=color, alpha=0.1)
        _finish(axes, panel.title, "timesteps", ylabel)
    for axes in list(grid.flat)[len(panels) :]:
        axes.set_visible(False)
    figure.suptitle(
        "shaded: 95% stratified-bootstrap CI over runs (rliable); dashed: baselines' final IQM", fontsize="small"
    )
    return figure


def final_returns_figure(panels: Mapping[str, Sequence[Level]], xlabel: str = "final return") -> Figure:
    """One panel per env: a row per group with its IQM (tick) and 95% interval (bar), like rliable's plots."""
    if not panels:
        raise ValueError("no panels to plot")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    height = max(len(levels) for levels in panels.values())
    figure, grid = plt.subplots(len(panels), 1, figsize=(8, (0.5 * height + 1.3) * len(panels)), squeeze=False)
    for axes, (title, levels) in zip(grid.flat, panels.items(), strict=True):
        for row, level in enumerate(levels):
            color = colors[row % len(colors)]
            axes.plot([level.low, level.high], [row, row], linewidth=10, alpha=0.45, color=color, solid_capstyle="butt")
            axes.plot(level.estimate, row, marker="|", markersize=20, markeredgewidth=2.5, color="black")
        axes.set_yticks(range(len(levels)), [level.label for level in levels])
        axes.set_ylim(len(levels) - 0.5, -0.5)  # first group on top, half a row of margin
        _finish(axes, title, f"{xlabel} (tick: IQM over runs; bar: 95% stratified-bootstrap CI)", None, legend=False)
    return figure


def aggregates_figure(
    estimates: Mapping[str, np.ndarray], intervals: Mapping[str, np.ndarray], metric_names: Sequence[str], xlabel: str
) -> Figure:
    """rliable's interval-estimates figure: one column per aggregate, one row per method."""
    from rliable import plot_utils

    figure, _ = plot_utils.plot_interval_estimates(
        dict(estimates), dict(intervals), metric_names=list(metric_names), algorithms=list(estimates), xlabel=xlabel
    )
    return figure


def performance_profile_figure(
    thresholds: np.ndarray, profiles: Mapping[str, np.ndarray], bands: Mapping[str, np.ndarray]
) -> Figure:
    """rliable's performance profile: the fraction of runs scoring above each normalized score tau."""
    from rliable import plot_utils

    figure, axes = plt.subplots(figsize=(7, 4.5))
    plot_utils.plot_performance_profiles(
        dict(profiles),
        np.asarray(thresholds),
        performance_profile_cis=dict(bands),
        ax=axes,
        xlabel=r"normalized score $\tau$ (0: random policy, 1: best baseline)",
    )
    axes.legend(loc="best", fontsize="small")
    return figure


def _finish(axes: plt.Axes, title: str, xlabel: str, ylabel: str | None, legend: bool = True) -> None:
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    if ylabel:
        axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    if legend and axes.get_legend_handles_labels()[0]:
        axes.legend(loc="best", fontsize="small")


def save_figure(
    figure: Figure, stem: str | Path, formats: Sequence[str] = ("png",), dpi: int = DEFAULT_DPI
) -> list[Path]:
    """Write ``figure`` as ``stem.<format>`` for each format (parent directories are created), then close it."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"figure formats must be among {', '.join(FORMATS)}, got {list(formats)}")
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    paths = []
    for extension in formats:
        path = stem.with_name(f"{stem.name}.{extension}")
        figure.savefig(path, dpi=dpi)
        paths.append(path)
    plt.close(figure)
    return paths
