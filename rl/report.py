"""Aggregate the jobs under a directory: per config and algorithm, final returns with honest statistics.

Every job directory (at any depth) with ``output/data/evaluation.json``, or only
``output/output.tar.gz`` as fetched from SageMaker, is one run. Runs are grouped by
(config name, algorithm), so an agent and the baselines evaluated on the same env (``algo`` =
``baseline:<name>``) sit side by side. Each group gets the mean, median and IQM of its runs' final
mean returns with 95% stratified-bootstrap CIs (Agarwal et al. 2021), written to ``summary.json``
with a learning-curve plot (IQM across seeds, bootstrap band) and a final-return interval plot.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table

from rl.plots import plot_final_returns, plot_learning_curves
from rl.stats import Interval, iqm, stratified_bootstrap_ci

EVALUATION = "evaluation.json"
CURVE = "learning_curve.csv"
SUMMARY_FILE = "summary.json"
CURVES_PLOT = "learning_curves.png"
FINAL_PLOT = "final_returns.png"


@dataclass
class RunRecord:
    """One job's final evaluation (and learning curve, if it has one)."""

    path: Path
    config_name: str
    algo: str
    env_id: str
    seed: int
    mean_reward: float
    timesteps: int
    wall_seconds: float
    episode_rewards: list[float]
    curve: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def group(self) -> tuple[str, str]:
        return self.config_name, self.algo


@dataclass
class SkippedRun:
    """A job directory that could not be read, and why."""

    path: Path
    reason: str


@dataclass
class GroupSummary:
    """The statistics of one (config, algorithm) group over its runs."""

    config_name: str
    algo: str
    env_id: str
    n_runs: int
    seeds: list[int]
    mean: Interval
    median: Interval
    iqm: Interval
    final_returns: list[float]
    mean_timesteps: float
    mean_wall_seconds: float

    @property
    def label(self) -> str:
        return f"{self.config_name} [{self.algo}]"

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        for key in ("mean", "median", "iqm"):
            record[key] = getattr(self, key).to_dict()
        return record


@dataclass
class ReportResult:
    """What ``write_report`` produced."""

    groups: list[GroupSummary]
    skipped: list[SkippedRun]
    summary_path: Path
    curves_plot: Path | None
    final_plot: Path


def _job_dirs(directory: Path) -> list[Path]:
    found = {p.parent.parent.parent for p in directory.rglob(f"output/data/{EVALUATION}")}
    found |= {p.parent.parent for p in directory.rglob("output/output.tar.gz")}
    return sorted(found)


def _read_job(job: Path) -> tuple[dict[str, Any], pd.DataFrame | None]:
    data = job / "output" / "data"
    if (data / EVALUATION).is_file():
        evaluation = json.loads((data / EVALUATION).read_text())
        curve = pd.read_csv(data / CURVE) if (data / CURVE).is_file() else None
        return evaluation, curve
    # fetched from SageMaker: read the two members straight from the archive, nothing is extracted
    with tarfile.open(job / "output" / "output.tar.gz") as archive:
        members = {m.name.removeprefix("./"): m for m in archive.getmembers() if m.isfile()}
        if EVALUATION not in members:
            raise FileNotFoundError(f"output.tar.gz has no {EVALUATION}")
        evaluation = json.load(archive.extractfile(members[EVALUATION]))  # type: ignore[arg-type]
        curve = None
        if CURVE in members:
            curve = pd.read_csv(io.BytesIO(archive.extractfile(members[CURVE]).read()))  # type: ignore[union-attr]
        return evaluation, curve


def collect_runs(directory: str | Path) -> tuple[list[RunRecord], list[SkippedRun]]:
    """Every RL run under ``directory``; jobs that cannot be read are returned as skipped, with the reason."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory")
    runs: list[RunRecord] = []
    skipped: list[SkippedRun] = []
    for job in _job_dirs(directory):
        try:
            evaluation, curve = _read_job(job)
            if "mean_reward" not in evaluation:
                skipped.append(SkippedRun(job, "not an RL job (its evaluation.json has no mean_reward)"))
                continue
            runs.append(
                RunRecord(
                    path=job,
                    config_name=str(evaluation.get("config_name", job.name)),
                    algo=str(evaluation.get("algo", "unknown")),
                    env_id=str(evaluation.get("env_id", "")),
                    seed=int(evaluation.get("seed", -1)),
                    mean_reward=float(evaluation["mean_reward"]),
                    timesteps=int(evaluation.get("timesteps", 0)),
                    wall_seconds=float(evaluation.get("wall_seconds", 0.0)),
                    episode_rewards=[float(r) for r in evaluation.get("episode_rewards", [])],
                    curve=curve,
                )
            )
        except (OSError, ValueError, KeyError, tarfile.TarError) as error:
            skipped.append(SkippedRun(job, f"{type(error).__name__}: {error}"))
    return runs, skipped


def summarize(runs: list[RunRecord], *, seed: int = 0) -> list[GroupSummary]:
    """Group runs by (config name, algorithm) and compute each group's statistics."""
    grouped: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for run in runs:
        grouped[run.group].append(run)
    summaries = []
    for (config_name, algo), members in sorted(grouped.items()):
        members.sort(key=lambda r: r.seed)
        finals = np.array([r.mean_reward for r in members])
        summaries.append(
            GroupSummary(
                config_name=config_name,
                algo=algo,
                env_id=members[0].env_id,
                n_runs=len(members),
                seeds=[r.seed for r in members],
                mean=stratified_bootstrap_ci(finals, "mean", seed=seed),
                median=stratified_bootstrap_ci(finals, "median", seed=seed),
                iqm=stratified_bootstrap_ci(finals, "iqm", seed=seed),
                final_returns=finals.tolist(),
                mean_timesteps=float(np.mean([r.timesteps for r in members])),
                mean_wall_seconds=float(np.mean([r.wall_seconds for r in members])),
            )
        )
    return summaries


def write_report(directory: str | Path, *, seed: int = 0) -> ReportResult:
    """Summarize every run under ``directory`` into summary.json and two plots next to them."""
    directory = Path(directory)
    runs, skipped = collect_runs(directory)
    if not runs:
        reasons = "".join(f"\n  - {s.path}: {s.reason}" for s in skipped)
        raise FileNotFoundError(
            f"no RL jobs under {directory}: looked for */output/data/{EVALUATION} and */output/output.tar.gz{reasons}"
        )
    groups = summarize(runs, seed=seed)
    summary_path = directory / SUMMARY_FILE
    summary_path.write_text(
        json.dumps(
            {
                "directory": str(directory),
                "confidence": 0.95,
                "method": "stratified bootstrap, percentile CI (Agarwal et al. 2021)",
                "groups": [g.to_dict() for g in groups],
                "skipped": [{"path": str(s.path), "reason": s.reason} for s in skipped],
            },
            indent=2,
        )
    )
    curves = {
        f"{config} [{algo}]": [r.curve for r in runs if r.group == (config, algo) and r.curve is not None and len(r.curve)]
        for config, algo in {r.group for r in runs}
    }
    curves = {label: frames for label, frames in sorted(curves.items()) if frames}
    curves_plot = plot_learning_curves(curves, directory / CURVES_PLOT) if curves else None
    final_plot = plot_final_returns({g.label: g.iqm for g in groups}, directory / FINAL_PLOT)
    return ReportResult(groups, skipped, summary_path, curves_plot, final_plot)


def report_table(groups: list[GroupSummary]) -> Table:
    """The summary as a rich table for the terminal."""
    table = Table(title="final mean return per run, aggregated over runs (95% stratified-bootstrap CI)")
    for column in ("config", "algo", "runs", "mean [CI]", "median [CI]", "IQM [CI]", "timesteps", "wall s"):
        table.add_column(column, justify="left" if column in ("config", "algo") else "right")
    for g in groups:
        table.add_row(
            g.config_name,
            g.algo,
            str(g.n_runs),
            _interval(g.mean),
            _interval(g.median),
            _interval(g.iqm),
            f"{g.mean_timesteps:,.0f}",
            f"{g.mean_wall_seconds:.1f}",
        )
    return table


def _interval(interval: Interval) -> str:
    return f"{interval.estimate:.2f} [{interval.low:.2f}, {interval.high:.2f}]"


__all__ = ["GroupSummary", "ReportResult", "RunRecord", "SkippedRun", "collect_runs", "iqm", "report_table", "summarize", "write_report"]
