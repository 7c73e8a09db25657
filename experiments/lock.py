"""One runner per job directory (and per sweep directory): an exclusive OS lock held for the job's whole life.

``flock`` on ``<job>/.lock``: the kernel releases it when the last process holding it dies, however it
dies, so a job killed with ``kill -9`` can be resumed at once, and no stale lock file ever needs
removing. The runner takes the lock before it touches the directory and hands the locked descriptor to
the job process it starts, so the lock lives as long as either of them: a second runner of the same
directory (``sagelab run --resume``, or the same command again) is refused (exit code 2) with the PIDs
that hold it, even after the runner alone was killed. Within one process the lock is re-entrant (the
command takes it before it checks the directory, the runner again to start the job); it is released when
the outermost holder is done. A local sweep locks its directory the same way (``what="sweep"``) and hands that
lock to every trial's job process too.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from experiments.errors import UserError

LOCK_FILE = ".lock"


@dataclass
class JobLock:
    """A held lock on a job directory."""

    root: Path
    fd: int
    holders: int = 0

    def record(self, **pids: int) -> None:
        """Write who holds the lock (``runner=``, ``job=`` PIDs) into the lock file, for the refusal message."""
        text = json.dumps({"runner": os.getpid(), **pids}).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, text, 0)


_HELD: dict[Path, JobLock] = {}
_GUARD = threading.Lock()


def _holders(path: Path) -> str:
    try:
        pids = json.loads(path.read_text(encoding="utf-8") or "{}")
        described = [f"{role} PID {int(pid)}" for role, pid in pids.items()]
    except (OSError, ValueError, TypeError, AttributeError):
        described = []
    return " and ".join(described) or "another process"


@contextmanager
def holding(root: Path, what: str = "job") -> Iterator[JobLock]:
    """Hold the directory's lock while the block runs, or raise a UserError naming who holds it.

    :param what: what the directory holds (``job`` or ``sweep``), for the refusal message.
    """
    lock = _acquire(root, what)
    try:
        yield lock
    finally:
        with _GUARD:
            lock.holders -= 1
            if lock.holders == 0:
                del _HELD[lock.root]
                os.close(lock.fd)  # the job process, if still running, keeps its inherited copy locked


def _acquire(root: Path, what: str) -> JobLock:
    root = root.resolve()
    with _GUARD:
        if root in _HELD:
            _HELD[root].holders += 1
            return _HELD[root]
        path = root / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise UserError(f"cannot lock {what} directory {root}: {error.strerror} ({path})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(
                f"{what} directory {root} is in use by a running {what} ({_holders(path)}); wait for it to finish or "
                "stop it first"
            ) from None
        lock = JobLock(root, fd, holders=1)
        lock.record()
        _HELD[root] = lock
        return lock
