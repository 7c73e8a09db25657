"""Aggregate the jobs under a directory: per config and algorithm, final returns with honest statistics.

Every job directory (at any depth) with an ``output/data/`` directory or an ``output/output.tar.gz``
(as fetched from SageMaker) is one run, read from ``output/data/evaluation.json`` (and
``learning_curve.csv``, if present) or, failing that, from those members of the archive. Runs are
grouped by (config name, algorithm), so an agent and the baselines evaluated on the same env (``algo``
= ``baseline:<name>``) sit side by side. Each group gets the mean, median and IQM of its runs' final
mean returns with 95% stratified-bootstrap CIs (Agarwal et al. 2021; see ``rl.stats``), written to
``summary.json`` with a learning-curve plot (IQM across seeds, bootstrap band) and a final-return
interval plot. Jobs that cannot be read are skipped with the reason, never silently dropped.
"""

from __future__ import annotations

import io
import json
import math
import tarfile
import warnings
import zlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError
from rich.table import Table

from rl.plots import plot_final_returns, plot_learning_curves, read_curve
from rl.stats import DEFAULT_CONFIDENCE, DEFAULT_REPS, Interval, stratified_bootstrap_ci

EVALUATION = "evaluation.json"
CURVE = "learning_curve.csv"
ARCHIVE = "output.tar.gz"
SUMMARY_FILE = "summary.json"
CURVES_PLOT = "learning_curves.png"
FINAL_PLOT = "final_returns.png"
LOOKED_FOR = f"*/output/data/{EVALUATION} or */output/{ARCHIVE}"


class _Evaluation(BaseModel):
    """The fields of evaluation.json a report uses (rl.job writes more; extra fields are ignored)."""

    config_name: str
    env_id: str
    algo: str
    seed: int
    mean_reward: float
    timesteps: int
    wall_seconds: float
    episode_rewards: list[float]


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
    """The statistics of one (config, algorithm) group over its runs' final mean returns."""

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
    paths: list[str]

    @property
    def label(self) -> str:
        return f"{self.config_name} [{self.algo}]"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ReportResult:
    """What ``write_report`` produced; ``curves_plot`` is None when no run has a learning curve."""

    groups: list[GroupSummary]
    skipped: list[SkippedRun]
    summary_path: Path
    curves_plot: Path | None
    final_plot: Path


class _Skip(Exception):
    """A job that cannot be used, with the reason to report."""


def _job_dirs(directory: Path) -> list[Path]:
    found = {
        output.parent
        for output in directory.rglob("output")
        if (output / "data").is_dir() or (output / ARCHIVE).is_file()
    }
    # a folder named "output" inside a job's own outputs (e.g. a TensorBoard subdirectory) is not a job
    return sorted(job for job in found if not any(job.is_relative_to(other / "output") for other in found if other != job))


def _archive_member(archive: tarfile.TarFile, name: str) -> IO[bytes] | None:
    # SageMaker packs the contents of output/data, so members sit at the top level ("./name" or "name");
    # an archive packed with the data/ folder itself is accepted too. Only regular files are read,
    # and only into memory: nothing is extracted, so no member can land outside the job.
    members = [m for m in archive.getmembers() if m.isfile()]
    exact = [m for m in members if m.name.removeprefix("./") == name]
    nested = [m for m in members if m.name.endswith("/" + name)]
    if not exact and len(nested) > 1:
        raise _Skip(f"{ARCHIVE} holds several {name}: {[m.name for m in nested]}")
    chosen = exact or nested
    return archive.extractfile(chosen[0]) if chosen else None


def _read_job(job: Path) -> tuple[dict[str, Any], pd.DataFrame | None]:
    data, archive_path = job / "output" / "data", job / "output" / ARCHIVE
    if (data / EVALUATION).is_file():
        evaluation = json.loads((data / EVALUATION).read_text())
        return evaluation, read_curve(data / CURVE) if (data / CURVE).is_file() else None
    if not archive_path.is_file():
        raise _Skip(f"missing output/data/{EVALUATION} (and no output/{ARCHIVE}): the job failed or is still running")
    with tarfile.open(archive_path, "r:gz") as archive:
        evaluation_file = _archive_member(archive, EVALUATION)
        if evaluation_file is None:
            raise _Skip(f"output/{ARCHIVE} has no {EVALUATION}")
        evaluation = json.load(evaluation_file)
        curve_file = _archive_member(archive, CURVE)
        curve = read_curve(io.BytesIO(curve_file.read()), name=f"{archive_path}:{CURVE}") if curve_file is not None else None
    return evaluation, curve


def _record(job: Path, evaluation: Any, curve: pd.DataFrame | None) -> RunRecord:
    if not isinstance(evaluation, dict) or ("mean_reward" not in evaluation and "algo" not in evaluation):
        raise _Skip(f"not an RL job: its {EVALUATION} has no mean_reward and no algo")
    try:
        fields = _Evaluation.model_validate(evaluation)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise _Skip(f"{EVALUATION} does not match the format: {problems}") from None
    if not math.isfinite(fields.mean_reward):
        raise _Skip(f"{EVALUATION}: mean_reward is {fields.mean_reward}, expected a finite number")
    return RunRecord(path=job, curve=curve, **fields.model_dump())


def find_runs(directory: str | Path) -> tuple[list[RunRecord], list[SkippedRun]]:
    """Every RL run under ``directory`` and every job that could not be read, with the reason."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"report directory {directory} does not exist or is not a directory")
    runs: list[RunRecord] = []
    skipped: list[SkippedRun] = []
    for job in _job_dirs(directory):
        try:
            runs.append(_record(job, *_read_job(job)))
        except _Skip as reason:
            skipped.append(SkippedRun(job, str(reason)))
        except (OSError, EOFError, zlib.error, ValueError, tarfile.TarError) as error:
            skipped.append(SkippedRun(job, f"{type(error).__name__}: {error}"))
    return runs, skipped


def collect_runs(directory: str | Path) -> list[RunRecord]:
    """Every RL run under ``directory``; each job that cannot be read is reported with a warning naming why.

    Use :func:`find_runs` to get the skipped jobs as data.
    """
    runs, skipped = find_runs(directory)
    for skip in skipped:
        warnings.warn(f"skipped job {skip.path}: {skip.reason}", stacklevel=2)
    return runs


def summarize(runs: list[RunRecord], *, reps: int = DEFAULT_REPS, seed: int = 0) -> list[GroupSummary]:
    """Group runs by (config name, algorithm) and compute each group's statistics, sorted by group.

    :param runs: the runs, e.g. from :func:`collect_runs`.
    :param reps: bootstrap replicates per interval.
    :param seed: seed of the bootstrap resampling (the same seed gives the same intervals).
    """
    grouped: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for run in runs:
        grouped[run.group].append(run)
    summaries = []
    for (config_name, algo), members in sorted(grouped.items()):
        members = sorted(members, key=lambda r: (r.seed, str(r.path)))
        finals = np.array([r.mean_reward for r in members])
        interval = {name: stratified_bootstrap_ci(finals, name, reps=reps, seed=seed) for name in ("mean", "median", "iqm")}
        summaries.append(
            GroupSummary(
                config_name=config_name,
                algo=algo,
                env_id=", ".join(sorted({r.env_id for r in members})),
                n_runs=len(members),
                seeds=[r.seed for r in members],
                **interval,
                final_returns=finals.tolist(),
                mean_timesteps=float(np.mean([r.timesteps for r in members])),
                mean_wall_seconds=float(np.mean([r.wall_seconds for r in members])),
                paths=[str(r.path) for r in members],
            )
        )
    return summaries


def write_report(directory: str | Path, *, reps: int = DEFAULT_REPS, seed: int = 0) -> ReportResult:
    """Summarize every run under ``directory`` into summary.json, learning_curves.png and final_returns.png there.

    :raises FileNotFoundError: when ``directory`` holds no readable RL job (the message lists what was
        looked for and why each job found was skipped).
    """
    directory = Path(directory)
    runs, skipped = find_runs(directory)
    if not runs:
        reasons = "".join(f"\n  - skipped {s.path}: {s.reason}" for s in skipped)
        raise FileNotFoundError(f"no RL jobs under {directory}: looked for {LOOKED_FOR}{reasons}")
    groups = summarize(runs, reps=reps, seed=seed)
    summary_path = directory / SUMMARY_FILE
    summary = {
        "directory": str(directory),
        "statistic": "final mean_reward of each run, aggregated over the runs of a (config_name, algo) group",
        "method": "stratified bootstrap, percentile CI (Agarwal et al. 2021, rliable)",
        "confidence": DEFAULT_CONFIDENCE,
        "reps": reps,
        "seed": seed,
        "groups": [g.to_dict() for g in groups],
        "skipped": [{"path": str(s.path), "reason": s.reason} for s in skipped],
    }
    summary_path.write_text(json.dumps(summary, indent=2))
    curves: dict[str, list[pd.DataFrame]] = defaultdict(list)
    for run in sorted(runs, key=lambda r: r.group):
        if run.curve is not None and len(run.curve):
            curves[f"{run.config_name} [{run.algo}]"].append(run.curve)
    curves_plot = plot_learning_curves(curves, directory / CURVES_PLOT, seed=seed) if curves else None
    final_plot = plot_final_returns({f"{g.label} (n={g.n_runs})": g.iqm for g in groups}, directory / FINAL_PLOT)
    return ReportResult(groups, skipped, summary_path, curves_plot, final_plot)


def report_table(groups: list[GroupSummary]) -> Table:
    """The summary as a rich table for the terminal: one row per (config, algorithm) group."""
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


__all__ = [
    "GroupSummary",
    "ReportResult",
    "RunRecord",
    "SkippedRun",
    "collect_runs",
    "find_runs",
    "report_table",
    "summarize",
    "write_report",
]
