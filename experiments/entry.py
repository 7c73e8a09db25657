"""The job entry point: reads the SageMaker container contract and runs the job it describes.

Runs as ``python -m experiments.entry`` both under the local runner and inside a SageMaker training
container. It reads nothing but the contract (the hyperparameters file, the SM_* layout, the input
channels), so the two places give the same results.

Exit codes: 0 done (or stopped by SIGINT/SIGTERM after saving a checkpoint, which ``output/failure`` then
says; a features job, which has no checkpoint, stops at once and removes what it had written, so that nothing
half-written is packed or uploaded and running it again starts it over), 1 the job failed, 2 the job config
is invalid. On failure the reason is in ``output/failure``
(written first, into space reserved at the start, so that it arrives even on a full disk) and everything
already written (checkpoints, logs, partial outputs) stays where it is. Stop signals are caught from the
first line on (see :mod:`rl.signals`): a Ctrl-C to the process group never kills the job between two files.
"""

from __future__ import annotations

import faulthandler
import os
import shutil
import signal
import sys
import traceback
from pathlib import Path

from contract import ContainerPaths, decode_hyperparameters, read_channels, read_hyperparameters
from contract.layout import STOPPED_REASON
from experiments import failure
from experiments.config import ConfigError, FeaturesJob, validate
from rl.signals import GUARD, Interrupted


def _log(line: str) -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:
        # the runner reading our output died (kill -9): keep the job going, its output goes nowhere
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.dup2(devnull, sys.stderr.fileno())


def run_from_contract(paths: ContainerPaths) -> int:
    """Run the job laid out at ``paths``; returns the process exit code."""
    with GUARD.installed():
        failure.reserve(paths)
        code = _run(paths)
        if code == 0:
            failure.release(paths)
        return code


def _run(paths: ContainerPaths) -> int:
    try:
        job = validate(decode_hyperparameters(read_hyperparameters(paths)), source=str(paths.hyperparameters_file))
    except (ConfigError, FileNotFoundError) as error:
        failure.record(paths, f"invalid job config: {error}")
        print(error, file=sys.stderr, flush=True)
        return 2
    _log(f"setting up the {job.kind} job")  # signals are caught from here on (the marker tests wait for)
    try:
        if isinstance(job, FeaturesJob):
            from features.job import run as run_features

            with GUARD.interruptible():  # a features job has no checkpoint to stop at: it stops at once
                run_features(
                    job.config,
                    channels=read_channels(paths),
                    model_dir=paths.model_dir,
                    output_data_dir=paths.output_data_dir,
                    log=_log,
                )
        else:
            from rl.job import run as run_rl

            result = run_rl(
                job.config,
                model_dir=paths.model_dir,
                output_data_dir=paths.output_data_dir,
                checkpoint_dir=paths.checkpoint_dir,
                log=_log,
            )
            if result.interrupted:
                reason = (
                    f"{STOPPED_REASON}{GUARD.name} at {result.timesteps} of {job.config.total_timesteps} timesteps, "
                    "with a checkpoint; run the job again to resume it"
                )
                failure.record(paths, reason)  # the job did not finish: why, where SageMaker and sagelab look
                _log(reason)
    except Interrupted as error:
        reason = f"{error} before the features job finished (it has no checkpoint); run it again to start over"
        failure.record(paths, reason)
        for written in (paths.model_dir, paths.output_data_dir):
            _empty(written)
        _log(reason)
        return 0
    except Exception as error:
        failure.record(paths, f"{type(error).__name__}: {error}")  # first: the traceback may not fit on a full disk
        traceback.print_exc()
        return 1
    return 0


def _empty(directory: Path) -> None:
    """Remove what ``directory`` holds (the guard is deferred again: a second signal cannot cut this short)."""
    for entry in directory.iterdir() if directory.is_dir() else ():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def main() -> int:
    """Console entry: the layout comes from the SM_* environment (``/opt/ml`` inside SageMaker)."""
    # a crash in native code (a solver, torch) prints every thread's Python stack into the job's log
    faulthandler.enable()
    # once the job has ended, a stop signal (one the runner forwards after the job's own) must not kill the process
    # on its way out, with the signal's exit code instead of the job's: the handlers give way to ignoring them
    with GUARD.installed(afterwards=signal.SIG_IGN):
        return run_from_contract(ContainerPaths.from_environment())


if __name__ == "__main__":
    sys.exit(main())
