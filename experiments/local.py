"""The local runner: a SageMaker-shaped job directory and the entry point run in a subprocess.

``prepare_job`` lays out ``<output-dir>/<job-name>/`` like ``/opt/ml`` and fills the input channels;
``execute_job`` runs ``python -m experiments.entry`` with the ``SM_*`` variables SageMaker sets,
tees its output into the job's log file and, afterwards, packs the model and output archives as
SageMaker uploads them. A SIGTERM or Ctrl-C to the runner is passed on to the job, which then saves
a checkpoint and stops, and no further job is started; ``--resume`` (or the same command again, see
:func:`experiments.resume.earlier_run`) runs the same job directory again. A job process killed by a signal
it cannot handle (a crash in native code, kill -9, the out-of-memory killer) wrote no reason of its own: the
runner writes it to ``output/failure`` and job.log.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from contract import (
    ENTRY_MODULE,
    ContainerPaths,
    container_environment,
    encode_hyperparameters,
    pack_directory,
    parse_metrics,
    read_failure,
    read_hyperparameters,
    write_input_config,
)
from contract.evaluation import EvaluationRecord, read_evaluation
from experiments import failure
from experiments.code import job_process_environment, write_code_record
from experiments.config import Job, hyperparameter_view
from experiments.errors import UserError
from experiments.joblog import JobLog
from experiments.lock import JobLock, holding
from experiments.resume import as_run_now
from rl.signals import STOP_SIGNALS

MAX_JOB_NAME = 63  # SageMaker's limit on training job names


@dataclass
class JobOutcome:
    """How a job ended and where its artifacts are."""

    name: str
    paths: ContainerPaths
    exit_code: int
    metrics: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    log_error: str | None = None  # why job.log stopped short, when it did
    started: bool = True  # False: the runner was stopped before it started this job

    @property
    def failure(self) -> str | None:
        return read_failure(self.paths)

    @property
    def evaluation(self) -> EvaluationRecord | None:
        try:
            return read_evaluation(self.paths.output_data_dir)
        except ValueError as error:  # a hand-written or older evaluation.json: the user's to fix or remove
            raise UserError(str(error)) from None

    @property
    def succeeded(self) -> bool:
        """Ended cleanly: finished, or stopped by a signal after saving a checkpoint (see :attr:`interrupted`)."""
        return self.started and self.exit_code == 0

    @property
    def interrupted(self) -> bool:
        """Stopped by SIGINT/SIGTERM after saving a checkpoint, without a final evaluation (the stop's reason is
        in ``output/failure``)."""
        return self.succeeded and self.evaluation is None


def job_name(job: Job) -> str:
    """A unique, SageMaker-valid job name: ``<name>-s<seed>-<yyyymmdd-hhmmss>-<4 hex>``."""
    return job_name_prefix(job) + f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def job_name_prefix(job: Job) -> str:
    """What every name :func:`job_name` gives ``job`` starts with: ``<name>-s<seed>-``."""
    seed = f"-s{job.seed}-"
    return job.name[: MAX_JOB_NAME - len(seed) - len("yyyymmdd-hhmmss-abcd")].rstrip("-") + seed


def prepare_job(job: Job, output_dir: Path, name: str | None = None) -> ContainerPaths:
    """Create the job directory: layout, input/config files, channel data."""
    name = name or job_name(job)
    if not re.fullmatch(r"[A-Za-z0-9](-*[A-Za-z0-9]){0,62}", name):
        raise UserError(
            f"job name {name!r} is invalid: up to 63 letters, digits and hyphens, starting with a letter or digit"
        )
    # absolute: the job process runs in the job directory and receives these paths as SM_* variables
    paths = ContainerPaths((output_dir / name).resolve())
    if paths.root.exists():
        raise UserError(f"job directory {paths.root} already exists; use --resume {paths.root} to continue it")
    _check_inputs(job)
    # laid out beside and renamed into place: a job directory is whole or absent, whatever kills the runner
    staging = ContainerPaths(paths.root.with_name(f".preparing-{name}-{os.getpid()}"))
    try:
        _remove_stale_layouts(paths.root.parent)
        staging.create()
        for channel, location in job.inputs.items():
            _fill_channel(staging.channel_dir(channel), location)
        write_input_config(staging, encode_hyperparameters(hyperparameter_view(job)), list(job.inputs))
        if job.code is not None:
            write_code_record(staging.root, job.code)
        os.rename(staging.root, paths.root)
    except OSError as error:
        shutil.rmtree(staging.root, ignore_errors=True)  # a job that never started leaves no directory behind
        raise UserError(
            f"cannot create job directory {paths.root}: {error.strerror or error} ({error.filename or paths.root})"
        ) from None
    return paths


def _remove_stale_layouts(output_dir: Path) -> None:
    """Remove job layouts whose runner died before renaming them into place."""
    if not output_dir.is_dir():
        return
    for stale in output_dir.glob(".preparing-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        try:
            os.kill(int(pid), 0)  # still preparing it
        except (ValueError, ProcessLookupError):
            shutil.rmtree(stale, ignore_errors=True)
        except PermissionError:
            pass  # another user's live process


def _check_inputs(job: Job) -> None:
    for channel, location in job.inputs.items():
        if not re.fullmatch(r"[A-Za-z0-9._-]+", channel):
            raise UserError(f"inputs.{channel}: channel names are letters, digits, '.', '_' and '-'")
        if location.startswith("s3://"):
            raise UserError(f"inputs.{channel}: {location} is on S3; run with --backend sagemaker or give a local path")
        if location.startswith("builtin:"):
            from features.datasets import available_datasets

            name = location.removeprefix("builtin:")
            if name not in available_datasets():
                raise UserError(
                    f"inputs.{channel}: no built-in dataset {name!r}; expected one of {', '.join(available_datasets())}"
                )
        elif not Path(location).exists():
            raise UserError(f"inputs.{channel}: {location} does not exist")


def _fill_channel(directory: Path, location: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if location.startswith("builtin:"):
        from features.datasets import write_dataset

        write_dataset(location.removeprefix("builtin:"), directory)
    elif Path(location).is_dir():
        shutil.copytree(location, directory, dirs_exist_ok=True)
    else:
        shutil.copy2(location, directory)


def check_resumable(job: Job, paths: ContainerPaths) -> None:
    """Refuse to resume a job directory with a different config (its checkpoints belong to another job)."""
    if not paths.hyperparameters_file.is_file():
        raise UserError(
            f"{paths.root} is not a job directory (no {paths.hyperparameters_file.relative_to(paths.root)})"
        )
    stored = as_run_now(read_hyperparameters(paths))
    wanted = encode_hyperparameters(hyperparameter_view(job))
    different = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
    if different:
        raise UserError(
            f"cannot resume {paths.root}: the config differs from the job's {paths.hyperparameters_file.name} in "
            f"{', '.join(different[:5])}"
        )


class _Children:
    """Running job processes, so a signal to the runner reaches every job, and stops the runner starting more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: set[subprocess.Popen] = set()
        self.stopping = False

    def add(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.add(process)
            if self.stopping:  # the signal came while this job was starting: it stops at once, with a checkpoint
                process.send_signal(signal.SIGTERM)

    def discard(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.discard(process)

    def terminate(self) -> None:
        with self._lock:
            self.stopping = True
            for process in self._processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)


CHILDREN = _Children()


def execute_job(
    job: Job,
    paths: ContainerPaths,
    *,
    on_line: Callable[[str, dict[str, float]], None] = lambda line, metrics: None,
    num_cpus: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    shared_locks: Sequence[JobLock] = (),
) -> JobOutcome:
    """Run the entry point on ``job``'s prepared (or resumable) job directory; returns when the job process has exited.

    ``on_line`` receives every line the job prints with the metrics parsed from it (parsed once, here).
    ``should_stop`` is asked after every line the job prints; once it says yes the job gets SIGTERM,
    exactly as SageMaker stops a job (it checkpoints and exits cleanly). Once the runner itself got SIGINT or
    SIGTERM (see :func:`forward_signals`) no job is started: the outcome says so (``started`` False).
    ``shared_locks`` (a sweep's directory lock) are handed to the job process with the job directory's own, so
    that they too last until it ends, even when the runner is killed first.
    """
    if CHILDREN.stopping:
        return JobOutcome(paths.root.name, paths, exit_code=0, started=False)
    # the SM_* variables from the job itself: what prepare_job wrote into input/config, not read back
    container = container_environment(
        paths,
        hyperparameters=encode_hyperparameters(hyperparameter_view(job)),
        channels=list(job.inputs),
        job_name=paths.root.name,
        num_cpus=num_cpus or os.cpu_count() or 1,
    )
    with holding(paths.root) as lock:  # one runner per job directory, held by the job process too
        fds = (lock.fd, *(shared.fd for shared in shared_locks))
        return _execute(paths, container, fds, on_line, should_stop, lock.record)


def _execute(
    paths: ContainerPaths,
    container: dict[str, str],
    lock_fds: tuple[int, ...],
    on_line: Callable[[str, dict[str, float]], None],
    should_stop: Callable[[], bool],
    record_pid: Callable[..., None],
) -> JobOutcome:
    started = time.perf_counter()
    paths.failure_file.unlink(missing_ok=True)  # a rerun starts without the previous attempt's failure
    environment = {
        **os.environ,
        **container,
        "PYTHONUNBUFFERED": "1",
        **job_process_environment(paths.root),  # the user's code.source_dir first on the job's Python path
    }
    metrics: dict[str, float] = {}
    with JobLog(paths.log_file) as log:
        with _stop_signals_held():  # only while it starts: the runner's own thread must get its signals afterwards
            process = subprocess.Popen(
                [sys.executable, "-m", ENTRY_MODULE],
                env=environment,
                cwd=paths.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                pass_fds=lock_fds,  # the job keeps the directory locked even if the runner dies
            )
        record_pid(job=process.pid)
        CHILDREN.add(process)
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.rstrip("\n")
                log.write(raw)
                found = parse_metrics(line)
                metrics.update(found)
                on_line(line, found)
                if process.poll() is None and should_stop():
                    process.send_signal(signal.SIGTERM)
                    should_stop = lambda: False  # noqa: E731  (one signal is enough)
            exit_code = process.wait()
        finally:
            CHILDREN.discard(process)
        if exit_code < 0 and read_failure(paths) is None:  # killed before it could write why: say it for it
            reason = failure.killed_reason(-exit_code)
            failure.record(paths, reason)
            log.write(reason + "\n")
            on_line(reason, {})
    pack_outputs(paths)
    return JobOutcome(paths.root.name, paths, exit_code, metrics, time.perf_counter() - started, log.error)


@contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Start a job process with SIGINT and SIGTERM blocked (a signal mask survives exec): a Ctrl-C in the moment
    before the job has its handlers waits for them (:class:`rl.signals.SignalGuard` unblocks) instead of killing
    it without a checkpoint."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def pack_outputs(paths: ContainerPaths) -> None:
    """Pack model.tar.gz and output.tar.gz from the job's model/ and output/data/ (as SageMaker uploads them)."""
    # SageMaker uploads what the job left, success or not: keep both archives whenever there is content.
    for source, archive in ((paths.model_dir, paths.model_archive), (paths.output_data_dir, paths.output_archive)):
        if source.is_dir() and any(source.iterdir()):
            try:
                pack_directory(source, archive)
            except OSError as error:  # a full disk: the job's own outcome still gets reported
                print(
                    f"sagelab: warning: could not pack {archive}: {error.strerror or error}",
                    file=sys.stderr,
                    flush=True,
                )


def stopping() -> bool:
    """Whether the runner got SIGINT or SIGTERM (see :func:`forward_signals`): its jobs are stopping, none starts."""
    return CHILDREN.stopping


def forward_signals() -> None:
    """Pass SIGTERM (and Ctrl-C) received by the runner on to every running job, and start no other job."""
    if threading.current_thread() is not threading.main_thread():
        return
    CHILDREN.stopping = False  # a new command (the CLI called again in one process) starts its jobs

    def _forward(_signum: int, _frame: object) -> None:
        CHILDREN.terminate()

    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
