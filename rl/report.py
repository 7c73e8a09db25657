"""``sagelab report``: the runs under a directory, grouped by experiment, with rliable statistics and figures.

Runs are read by :mod:`rl.runs`, grouped by their experiment key (:mod:`rl.grouping`: everything but the
seed), and compared by :mod:`rl.compare` (per group, per env, normalized across envs). The report writes
``summary.json`` (one entry per group: its key, seeds, per-run final returns and intervals; the per-env
comparisons; the cross-env comparison; the unfinished runs with their reason) and figures: the learning
curves and final returns with one panel per env, and, when several envs are normalized, rliable's
aggregate-metrics figure and performance profile.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contract.layout import SUMMARY_FILE
from rl.compare import CrossEnv, EnvComparison, compare_envs, cross_env, finals
from rl.grouping import Group, group_runs
from rl.plots import (
    CurveSeries,
    Level,
    Panel,
    aggregates_figure,
    common_grid,
    final_returns_figure,
    learning_curves_figure,
    performance_profile_figure,
    save_figure,
)
from rl.runs import LOOKED_FOR, RunRecord, UnfinishedRun, find_runs
from rl.stats import (
    DEFAULT_CONFIDENCE,
    DEFAULT_REPS,
    IMPROVEMENT_REPS,
    Interval,
    curve_band,
)

BAND_REPS = 500  # per learning-curve band: a visual guide, drawn at every evaluation step


@dataclass
class ReportResult:
    """What :func:`write_report` found and wrote."""

    groups: list[Group]
    comparisons: list[EnvComparison]
    cross: CrossEnv | None
    unfinished: list[UnfinishedRun]
    summary: dict[str, Any]
    summary_path: Path
    figures: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _with_final_point(run: RunRecord) -> pd.DataFrame:
    """The run's learning curve ending with its final evaluation (the number the report aggregates)."""
    curve = run.curve if run.curve is not None else pd.DataFrame(columns=["timesteps", "mean_reward", "std_reward"])
    final = pd.DataFrame({"timesteps": [run.timesteps], "mean_reward": [run.mean_reward], "std_reward": [np.nan]})
    earlier = curve[curve["timesteps"] < run.timesteps]
    return pd.concat([earlier, final], ignore_index=True) if len(earlier) else final


def _curve_series(group: Group, reps: int, seed: int, notes: list[str]) -> CurveSeries | None:
    try:
        grid, matrix = common_grid([_with_final_point(run) for run in group.runs])
    except ValueError as error:
        notes.append(f"{group.label}: no learning curve: {error}")
        return None
    estimate, low, high = curve_band(matrix, reps=min(reps, BAND_REPS), seed=seed)
    runs = f"{len(group.runs)} run{'s' * (len(group.runs) > 1)}"
    return CurveSeries(f"{group.label} (IQM of {runs})", grid, estimate, low, high)


def _level(label: str, interval: Interval) -> Level:
    return Level(label, interval.estimate, interval.low, interval.high)


def report_figures(
    comparisons: list[EnvComparison], cross: CrossEnv | None, *, reps: int = DEFAULT_REPS, seed: int = 0
) -> tuple[dict[str, Any], list[str]]:
    """The report's figures by name (one panel per env), and notes on curves that could not be drawn."""
    notes: list[str] = []
    panels = []
    for comparison in comparisons:
        panel = Panel(comparison.label)
        for group in comparison.groups:
            series = None if group.is_baseline else _curve_series(group, reps, seed, notes)
            if series is not None:
                panel.curves.append(series)
            else:
                panel.levels.append(_level(f"{group.label} (final)", comparison.statistics[group.label]["iqm"]))
        panels.append(panel)
    finals_panels = {
        c.label: [_level(f"{g.label} (n={len(g.runs)})", c.statistics[g.label]["iqm"]) for g in c.groups]
        for c in comparisons
    }
    figures = {"learning_curves": learning_curves_figure(panels), "final_returns": final_returns_figure(finals_panels)}
    if cross is not None:
        names = ["iqm", "median", "mean", "optimality_gap"]
        estimates = {m: np.array([a[n].estimate for n in names]) for m, a in cross.aggregates.items()}
        intervals = {
            m: np.array([[a[n].low for n in names], [a[n].high for n in names]]) for m, a in cross.aggregates.items()
        }
        figures["normalized_aggregates"] = aggregates_figure(
            estimates,
            intervals,
            ["IQM", "Median", "Mean", "Optimality gap"],
            "normalized score (0 random, 1 best baseline)",
        )
        figures["performance_profiles"] = performance_profile_figure(
            cross.thresholds, cross.profiles, cross.profile_bands
        )
    return figures, notes


def _intervals(intervals: dict[str, Interval]) -> dict[str, dict[str, float]]:
    return {name: interval.to_dict() for name, interval in intervals.items()}


def _group_entry(group: Group, comparison: EnvComparison) -> dict[str, Any]:
    return {
        "label": group.label,
        "config_name": group.config_name,
        "algo": group.algo,
        "env": comparison.label,
        "key": group.key,
        "n_runs": len(group.runs),
        "seeds": group.seeds,
        "final_returns": finals(group).tolist(),
        "timesteps": [run.timesteps for run in group.runs],
        "episodes": [run.evaluation.episodes for run in group.runs],
        "wall_seconds": [run.wall_seconds for run in group.runs],
        "paths": [str(run.path) for run in group.runs],
        "repeated_seeds": {str(seed): [str(p) for p in paths] for seed, paths in group.repeated_seeds.items()},
        **_intervals(comparison.statistics[group.label]),
        "normalized": _intervals(comparison.normalized[group.label]) if group.label in comparison.normalized else None,
    }


def _env_entry(comparison: EnvComparison) -> dict[str, Any]:
    return {
        "env": comparison.label,
        "groups": [g.label for g in comparison.groups],
        "random_score": comparison.random_score,
        "best_baseline": comparison.best_baseline,
        "best_score": comparison.best_score,
        "note": comparison.note,
        "probability_of_improvement": [
            {"x": i["x"], "y": i["y"], **i["probability"].to_dict()} for i in comparison.improvements
        ],
    }


def _cross_entry(cross: CrossEnv | None) -> dict[str, Any] | None:
    if cross is None:
        return None
    return {
        "envs": cross.envs,
        "methods": cross.methods,
        "runs_per_env": cross.runs,
        "aggregates": {method: _intervals(a) for method, a in cross.aggregates.items()},
        "notes": cross.notes,
    }


def _repeated_seed_warnings(groups: list[Group]) -> list[str]:
    return [
        f"{g.label}: seed {seed} appears {len(paths)} times; counted once, from {paths[0]} (also in: "
        f"{', '.join(str(p) for p in paths[1:])})"
        for g in groups
        for seed, paths in g.repeated_seeds.items()
    ]


def build_summary(
    directory: Path,
    comparisons: list[EnvComparison],
    cross: CrossEnv | None,
    unfinished: list[UnfinishedRun],
    *,
    reps: int,
    seed: int,
) -> dict[str, Any]:
    """The content of summary.json."""
    groups = [g for c in comparisons for g in c.groups]
    return {
        "directory": str(directory),
        "statistic": "final mean return of each run (its evaluation.json), aggregated over the runs (seeds) of a group",
        "method": "rliable: stratified bootstrap, percentile intervals (Agarwal et al. 2021)",
        "confidence": DEFAULT_CONFIDENCE,
        "reps": reps,
        "improvement_reps": min(reps, IMPROVEMENT_REPS),
        "seed": seed,
        "groups": [_group_entry(g, c) for c in comparisons for g in c.groups],
        "envs": [_env_entry(c) for c in comparisons],
        "cross_env": _cross_entry(cross),
        "unfinished": [
            {
                "path": str(u.path),
                "status": u.status,
                "reason": u.reason,
                "config_name": u.config_name,
                "seed": u.seed,
                "last_timestep": u.last_timestep,
            }
            for u in unfinished
        ],
        "warnings": _repeated_seed_warnings(groups),
    }


def write_report(
    directory: str | Path,
    *,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
    formats: tuple[str, ...] = ("png",),
    dpi: int = 150,
) -> ReportResult:
    """Summarize every run under ``directory`` into summary.json and figures there.

    :param reps: bootstrap replicates per interval.
    :param seed: seed of the bootstrap resampling (the same seed gives the same intervals).
    :param formats: figure formats, among png, pdf and svg.
    :param dpi: resolution of raster figures.
    :raises FileNotFoundError: when ``directory`` holds no finished RL run (the message lists what was
        looked for and every job found that is not one, with the reason).
    """
    directory = Path(directory)
    runs, unfinished = find_runs(directory)
    if not runs:
        reasons = "".join(f"\n  - {u.status} {u.path}: {u.reason}" for u in unfinished)
        raise FileNotFoundError(
            f"no RL jobs under {directory} with a final evaluation: looked for {LOOKED_FOR}{reasons}"
        )
    groups = group_runs(runs)
    comparisons = compare_envs(groups, reps=reps, seed=seed)
    cross = cross_env(comparisons, reps=reps, seed=seed)
    summary = build_summary(directory, comparisons, cross, unfinished, reps=reps, seed=seed)
    figures, notes = report_figures(comparisons, cross, reps=reps, seed=seed)
    paths = [path for name, figure in figures.items() for path in save_figure(figure, directory / name, formats, dpi)]
    summary["warnings"] += notes
    summary["figures"] = [str(p) for p in paths]
    summary_path = directory / SUMMARY_FILE
    summary_path.write_text(json.dumps(summary, indent=2))
    for message in summary["warnings"]:
        warnings.warn(message, stacklevel=2)
    return ReportResult(groups, comparisons, cross, unfinished, summary, summary_path, paths, summary["warnings"])
