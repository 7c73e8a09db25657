"""The runs under a directory: each job's final evaluation, learning curve and config, and the jobs that did not finish.

A job directory (at any depth) is one whose ``output/`` holds ``data/``, ``output.tar.gz`` (as fetched from
SageMaker) or ``failure``. A job with a final ``evaluation.json`` is a :class:`RunRecord`; any other is an
:class:`UnfinishedRun`: *failed* (with the reason from ``output/failure``), *interrupted* (stopped by a signal,
as its ``output/failure`` says, or without a final evaluation; with the last timestep it reached) or
*unreadable* (with what is wrong). Nothing is silently dropped.

Every ``evaluation.json`` is read as :class:`contract.evaluation.EvaluationRecord`, the one record every job
kind writes; a features job's record is listed as not an RL run. The experiment a run belongs to is its
resolved config: the ``config`` its evaluation record carries, or else the ``model/config.json`` saved beside
its model.
"""

from __future__ import annotations

import io
import json
import math
import re
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import pandas as pd

from contract import CHECKPOINT_DIR as CHECKPOINTS
from contract import EVALUATION_FILE as EVALUATION
from contract import FAILURE_FILE as FAILURE
from contract import LEARNING_CURVE_FILE as CURVE
from contract import MODEL_DIR, OUTPUT_DATA_DIR, OUTPUT_DIR, ContainerPaths, is_stop_reason
from contract import OUTPUT_ARCHIVE as ARCHIVE
from contract.evaluation import EvaluationRecord, parse_evaluation
from contract.layout import CHECKPOINT_PREFIX, MODEL_CONFIG_FILE
from rl.curve import read_curve

MODEL_CONFIG = Path(MODEL_DIR) / MODEL_CONFIG_FILE
HYPERPARAMETERS = ContainerPaths(Path()).hyperparameters_file
_ANY_JOB = ContainerPaths(Path("*"))
_T = TypeVar("_T")
LOOKED_FOR = f"{_ANY_JOB.evaluation_file}, {_ANY_JOB.output_archive} or {_ANY_JOB.failure_file}"


def _present(value: _T | None) -> _T:
    # EvaluationRecord requires env_id, algo and mean_reward of every kind "rl" record; RunRecord holds only those
    assert value is not None
    return value


@dataclass
class RunRecord:
    """One finished RL job: its evaluation record (kind ``rl``), its config and its learning curve (if any)."""

    path: Path
    evaluation: EvaluationRecord = field(repr=False)
    config: dict[str, Any] = field(repr=False)
    curve: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def config_name(self) -> str:
        return self.evaluation.config_name

    @property
    def algo(self) -> str:
        return _present(self.evaluation.algo)

    @property
    def env_id(self) -> str:
        return _present(self.evaluation.env_id)

    @property
    def seed(self) -> int:
        return self.evaluation.seed

    @property
    def mean_reward(self) -> float:
        return _present(self.evaluation.mean_reward)

    @property
    def timesteps(self) -> int:
        return self.evaluation.timesteps

    @property
    def wall_seconds(self) -> float:
        return self.evaluation.wall_seconds

    @property
    def episode_rewards(self) -> list[float]:
        return self.evaluation.episode_rewards

    @property
    def is_baseline(self) -> bool:
        return self.algo.startswith("baseline:")


@dataclass
class UnfinishedRun:
    """A job without a usable final evaluation: ``status`` is failed, interrupted or unreadable."""

    path: Path
    status: str
    reason: str
    config_name: str | None = None
    seed: int | None = None
    last_timestep: int | None = None


class _Skip(Exception):
    """A job that cannot be used, with the reason to report."""


def job_directories(directory: Path) -> list[Path]:
    """Every job directory under ``directory`` (or ``directory`` itself), sorted."""
    found = {
        output.parent
        for output in directory.rglob(OUTPUT_DIR)
        if (output / OUTPUT_DATA_DIR).is_dir() or (output / ARCHIVE).is_file() or (output / FAILURE).is_file()
    }
    if (directory / OUTPUT_DIR).is_dir() and any(
        (directory / OUTPUT_DIR / name).exists() for name in (OUTPUT_DATA_DIR, ARCHIVE, FAILURE)
    ):
        found.add(directory)
    # a folder named "output" inside a job's own outputs (e.g. a TensorBoard subdirectory) is not a job
    return sorted(
        job for job in found if not any(job.is_relative_to(other / OUTPUT_DIR) for other in found if other != job)
    )


def _archive_member(archive: tarfile.TarFile, name: str) -> IO[bytes] | None:
    # SageMaker packs the contents of output/data, so members sit at the top level ("./name" or "name").
    # Only regular files are read, and only into memory: nothing is extracted.
    members = [m for m in archive.getmembers() if m.isfile()]
    exact = [m for m in members if m.name.removeprefix("./") == name]
    nested = [m for m in members if m.name.endswith("/" + name)]
    if not exact and len(nested) > 1:
        raise _Skip(f"{ARCHIVE} holds several {name}: {[m.name for m in nested]}")
    chosen = exact or nested
    return archive.extractfile(chosen[0]) if chosen else None


def _read_outputs(job: Path) -> tuple[bytes | None, pd.DataFrame | None]:
    """(evaluation.json's bytes or None, learning curve or None) from output/data or, failing that, output.tar.gz."""
    data, archive_path = ContainerPaths(job).output_data_dir, ContainerPaths(job).output_archive
    if (data / EVALUATION).is_file() or not archive_path.is_file():
        evaluation = (data / EVALUATION).read_bytes() if (data / EVALUATION).is_file() else None
        return evaluation, read_curve(data / CURVE) if (data / CURVE).is_file() else None
    with tarfile.open(archive_path, "r:gz") as archive:
        evaluation_file = _archive_member(archive, EVALUATION)
        evaluation = evaluation_file.read() if evaluation_file is not None else None
        curve_file = _archive_member(archive, CURVE)
        curve = (
            read_curve(io.BytesIO(curve_file.read()), name=f"{archive_path}:{CURVE}")
            if curve_file is not None
            else None
        )
    return evaluation, curve


def _saved_config(job: Path) -> dict[str, Any] | None:
    path = job / MODEL_CONFIG
    return json.loads(path.read_text()) if path.is_file() else None


def _record(job: Path, evaluation: bytes, curve: pd.DataFrame | None) -> RunRecord:
    try:
        record = parse_evaluation(evaluation, EVALUATION)
    except ValueError as error:
        raise _Skip(str(error)) from None
    if record.kind != "rl":
        raise _Skip(f"not an RL job: its {EVALUATION} is of a {record.kind} job")
    if not math.isfinite(_present(record.mean_reward)):
        raise _Skip(f"{EVALUATION}: mean_reward is {record.mean_reward}, expected a finite number")
    config = record.config if record.config is not None else _saved_config(job)
    if config is None:
        raise _Skip(f"{EVALUATION} records no config and there is no {MODEL_CONFIG}: the run's experiment is unknown")
    return RunRecord(path=job, evaluation=record, config=config, curve=curve)


def _identity(job: Path) -> tuple[str | None, int | None, int | None]:
    """(config name, seed, timestep budget) of a job from its saved config or its hyperparameters.json."""
    config = _saved_config(job)
    if config is None and (job / HYPERPARAMETERS).is_file():
        # hyperparameters.json holds every value as a (JSON-encoded) string, keyed by the dotted config key
        flat = json.loads((job / HYPERPARAMETERS).read_text())
        config = {key: _decoded(flat.get(key)) for key in ("name", "seed", "total_timesteps")}
    config = config or {}
    seed, budget = config.get("seed"), config.get("total_timesteps")
    return config.get("name"), seed if isinstance(seed, int) else None, budget if isinstance(budget, int) else None


def _decoded(value: Any) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _last_timestep(job: Path, curve: pd.DataFrame | None) -> int | None:
    steps = [int(curve["timesteps"].iloc[-1])] if curve is not None and len(curve) else []
    for checkpoint in (job / CHECKPOINTS).glob(f"{CHECKPOINT_PREFIX}*"):
        match = re.fullmatch(rf"{CHECKPOINT_PREFIX}(\d+)", checkpoint.name)
        if match and checkpoint.is_dir():
            steps.append(int(match.group(1)))
    return max(steps) if steps else None


def _unfinished(job: Path, status: str, reason: str, curve: pd.DataFrame | None = None) -> UnfinishedRun:
    name, seed, budget = _identity(job)
    last = _last_timestep(job, curve)
    if status == "interrupted" and not is_stop_reason(reason):  # a stop reason says where it stopped itself
        reached = "no timestep recorded" if last is None else f"last timestep {last:,}"
        reason = f"{reason} ({reached}{f' of {budget:,}' if budget and last is not None else ''})"
    return UnfinishedRun(job, status, reason, name, seed, last)


def _read_job(job: Path) -> RunRecord | UnfinishedRun:
    failure = ContainerPaths(job).failure_file
    try:
        evaluation, curve = _read_outputs(job)
        reason = failure.read_text().strip() if failure.is_file() else None
        if reason is not None and is_stop_reason(reason):
            return _unfinished(job, "interrupted", reason, curve)
        if reason is not None:
            return _unfinished(job, "failed", reason or "(empty failure file)", curve)
        if evaluation is None:
            return _unfinished(job, "interrupted", f"no final {EVALUATION}: interrupted or still running", curve)
        return _record(job, evaluation, curve)
    except _Skip as reason:
        return _unfinished(job, "unreadable", str(reason))
    except (OSError, EOFError, zlib.error, ValueError, tarfile.TarError) as error:
        return _unfinished(job, "unreadable", f"{type(error).__name__}: {error}")


def find_runs(directory: str | Path) -> tuple[list[RunRecord], list[UnfinishedRun]]:
    """Every finished RL run under ``directory`` and every job that is not one, with the reason."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"report directory {directory} does not exist or is not a directory")
    runs: list[RunRecord] = []
    unfinished: list[UnfinishedRun] = []
    for job in job_directories(directory):
        read = _read_job(job)
        if isinstance(read, RunRecord):
            runs.append(read)
        else:
            unfinished.append(read)
    return runs, unfinished
