"""What ``--resume`` (or running the same job again) finds in a job directory: a job to continue, or one finished.

A job writes ``output/data/evaluation.json`` last (both kinds), so its presence, without a failure,
means the job finished; the runner packs the archives after that, so archives older than it were
packed by an earlier, interrupted run (or packing was itself interrupted) and are packed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from contract import ContainerPaths, decode_hyperparameters, encode_hyperparameters, read_hyperparameters

if TYPE_CHECKING:
    from experiments.config import Job


def finished(paths: ContainerPaths) -> bool:
    """Whether the job in ``paths`` ran to its end (a resume must not train it again)."""
    return paths.evaluation_file.is_file() and not paths.failure_file.exists()


def never_trained(paths: ContainerPaths) -> bool:
    """Whether the job in ``paths`` left nothing to continue: no checkpoint, no model, no evaluation.

    Such a directory (a job that failed during set-up, or was stopped before it began) holds no work, so
    its name may be reused by a job with another config.
    """
    checkpoints = paths.checkpoint_dir.iterdir() if paths.checkpoint_dir.is_dir() else iter(())
    model = paths.model_dir.iterdir() if paths.model_dir.is_dir() else iter(())
    # a .staging-* checkpoint is an unfinished write, never loaded
    has_checkpoint = any(not entry.name.startswith(".") for entry in checkpoints)
    return not (has_checkpoint or any(model) or paths.evaluation_file.exists())


def packed(paths: ContainerPaths) -> bool:
    """Whether both archives exist and were packed after the job finished."""
    finished_at = paths.evaluation_file.stat().st_mtime_ns
    archives = (paths.model_archive, paths.output_archive)
    return all(a.is_file() and a.stat().st_mtime_ns >= finished_at for a in archives)


def as_run_now(stored: Mapping[str, str]) -> dict[str, str]:
    """A job directory's hyperparameters as this sagelab's entry point runs them (it validates them): a config
    field added since the job was laid out takes its default there, so the job is still the same job.

    Hyperparameters that no longer validate are returned as they are (they then differ from any valid job's).
    """
    from experiments.config import hyperparameter_view, validate

    try:
        return encode_hyperparameters(hyperparameter_view(validate(decode_hyperparameters(stored))))
    except ValueError:  # ConfigError among them
        return dict(stored)


def earlier_run(job: Job, output_dir: Path) -> ContainerPaths | None:
    """The newest job directory an earlier ``sagelab run`` of this very job (same config, same seed) left in
    ``output_dir``, so that running a command again resumes what it stopped and skips what it finished."""
    from experiments.config import hyperparameter_view
    from experiments.local import job_name_prefix

    wanted = encode_hyperparameters(hyperparameter_view(job))
    for root in sorted(output_dir.glob(f"{job_name_prefix(job)}*"), reverse=True):  # names end in their start time
        paths = ContainerPaths(root.resolve())
        try:
            if not paths.hyperparameters_file.is_file():
                continue
            stored = read_hyperparameters(paths)
            # validating a directory's hyperparameters costs a config validation: only when they differ as written
            if stored == wanted or as_run_now(stored) == wanted:
                return paths
        except (OSError, ValueError):
            continue  # not a job directory of ours: never resumed
    return None
