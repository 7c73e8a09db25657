"""The failure file, written so that it arrives even on a full disk.

A job that fails on a full disk (``No space left on device``) must still say so in ``output/failure``,
which is where SageMaker and ``sagelab run`` look. Writing a new file then fails too, so the job
reserves the space at its start: :func:`reserve` writes a placeholder of the failure file's maximum
size, and :func:`record` overwrites those already allocated bytes with the reason, trims the file and
renames it to ``output/failure``, which needs no new data blocks. It is called before anything else is
printed or written about the failure.
"""

from __future__ import annotations

import contextlib
import os
import signal

from contract.layout import MAX_FAILURE_REASON, ContainerPaths, write_failure

_RESERVE_NAME = ".failure-reserved"
_RESERVE_BYTES = 4096  # one page or block: more than MAX_FAILURE_REASON of UTF-8 plus a newline


def _reserve_path(paths: ContainerPaths) -> os.PathLike[str]:
    return paths.output_dir / _RESERVE_NAME


def reserve(paths: ContainerPaths) -> None:
    """Set aside the failure file's space in ``output/`` (best effort: no space, no reserve)."""
    with contextlib.suppress(OSError):
        paths.output_dir.mkdir(parents=True, exist_ok=True)
        with open(_reserve_path(paths), "wb") as stream:
            stream.write(b" " * _RESERVE_BYTES)
            stream.flush()
            os.fsync(stream.fileno())


def release(paths: ContainerPaths) -> None:
    """Drop the reserve (the job ended without failing)."""
    with contextlib.suppress(OSError):
        os.unlink(_reserve_path(paths))


def record(paths: ContainerPaths, reason: str) -> None:
    """Write ``reason`` to ``output/failure``, into the reserved space when there is one."""
    text = (reason.strip()[:MAX_FAILURE_REASON] + "\n").encode("utf-8", errors="replace")[:_RESERVE_BYTES]
    reserved = _reserve_path(paths)
    try:
        with open(reserved, "r+b") as stream:
            stream.write(text)
            stream.truncate(len(text))
        os.replace(reserved, paths.failure_file)
    except OSError:
        write_failure(paths, reason)  # no reserve (or it failed): a plain write, which needs free space


# Signals whose default action ends a process with a core dump: the job crashed in native code (a solver, torch).
_CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE})


def killed_reason(signum: int) -> str:
    """Why a job process that ended by signal ``signum`` wrote no reason of its own, for ``output/failure``."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    if signum in _CRASH_SIGNALS:
        cause = "it crashed in native code; job.log shows the Python stack of every thread at the crash"
    elif signum == signal.SIGKILL:
        cause = "kill -9, or the kernel's out-of-memory killer"
    else:
        cause = "a signal the job does not stop at (it stops with a checkpoint at SIGINT and SIGTERM only)"
    return f"the job process was killed by {name} ({cause}); run the job again to resume from its last checkpoint"
