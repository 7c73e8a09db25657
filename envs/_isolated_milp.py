"""``scipy.optimize.milp`` in a worker process, so that a crash of HiGHS costs one solve, not the caller.

HiGHS, which ``milp`` calls, can crash the process it runs in (a SIGSEGV: scipy/scipy#22188), and with a
wall-clock time limit its path is not deterministic, so such a crash is rare and cannot be reproduced on demand.
In the caller's process it would end an hour-long evaluation. :class:`IsolatedMILP` runs the solves in one worker
process, started at the first solve and kept for the next ones, since a process per solve would cost more than
the solves. A worker that dies during a solve, or gives no answer long after the solve's time limit (a hang),
raises :class:`SolverCrashed`; the next solve starts a new one.

The worker is a fresh interpreter (a spawn, never a fork: the caller may hold torch threads, which a fork copies
in an unsafe state) that runs this file and nothing else. It is started with :mod:`subprocess` rather than
``multiprocessing``'s ``spawn`` method, which re-imports the caller's main script in the worker: a script
without an ``if __name__ == "__main__"`` guard then fails at the first solve, and one with a guard pays for its
imports (torch) again. The problems and results go over a ``multiprocessing`` pipe, pickled: they are our own
data between our own processes. The worker ignores SIGINT and SIGTERM, which a terminal sends to the whole
process group: the caller's job decides how to stop (:mod:`rl.signals`), and the worker ends when the caller
closes the pipe or dies (the worker then reads EOF).
"""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import time
import weakref
from multiprocessing.connection import Connection
from typing import Any

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
# the worker's command line: this file run by the caller's interpreter, without importing the envs package
_BOOTSTRAP = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='milp_worker')['_serve'](int(sys.argv[2]))"


class SolverCrashed(RuntimeError):
    """The worker process died during a solve, or hung and was killed (``reason``: the signal, the exit code, or
    how long it went without an answer)."""

    def __init__(self, returncode: int | None, hung_after: float | None = None) -> None:
        if hung_after is not None:
            self.reason = f"no answer in {hung_after:g} s"
        elif returncode is not None and returncode < 0:
            try:
                self.reason = signal.Signals(-returncode).name
            except ValueError:
                self.reason = f"signal {-returncode}"
        else:
            self.reason = f"exit code {returncode}"
        what = "hung in a solve and was killed" if hung_after is not None else "died during a solve"
        super().__init__(f"the milp worker process {what} ({self.reason})")


def _serve(fd: int) -> None:
    """The worker: answer each ``(args, kwargs)`` on the pipe ``fd`` with ``(True, result, cpu seconds)`` or
    ``(False, error, cpu seconds)``, until EOF."""
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # blocked by the parent until now: see _start
    from scipy.optimize import milp

    conn = Connection(fd)
    while True:
        try:
            args, kwargs = conn.recv()
        except EOFError:  # the parent closed the pipe or died
            return
        started = time.process_time()
        try:
            answer: tuple = (True, milp(*args, **kwargs), time.process_time() - started)
        except Exception as error:  # a bad problem is the caller's error: raised there, the worker lives on
            answer = (False, error, time.process_time() - started)
        try:
            conn.send(answer)
        except OSError:  # the parent closed the pipe mid-solve (interrupted) or died
            return
        except Exception as error:  # e.g. an exception that does not pickle
            conn.send((False, RuntimeError(f"milp failed in the worker: {error!r}"), answer[2]))


def _stop(process: subprocess.Popen, conn: Connection) -> None:
    """Close the pipe (the worker reads EOF and returns), then reap it; kill one that does not end."""
    conn.close()
    try:
        process.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class IsolatedMILP:
    """``milp(...)`` with ``scipy.optimize.milp``'s arguments and result, solved in a worker process.

    ``cpu_seconds`` is the CPU time the worker spent in solves, which the caller's ``time.process_time`` misses.

    :param hang_grace: seconds past a solve's ``time_limit`` option without an answer after which the worker counts
        as hung: it is killed and the solve raises :class:`SolverCrashed` (HiGHS checks its limit as it works, so a
        healthy answer comes far sooner); a solve without a time limit is waited for
    """

    def __init__(self, hang_grace: float = 60.0) -> None:
        self.hang_grace = hang_grace
        self.cpu_seconds = 0.0
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._finalizer: weakref.finalize | None = None

    @property
    def pid(self) -> int | None:
        """The worker's process id, None before the first solve and after a crash or :meth:`close`."""
        return self._process.pid if self._process is not None else None

    def milp(self, *args: Any, **kwargs: Any) -> Any:
        """Solve in the worker; raise :class:`SolverCrashed` if it dies meanwhile, and what ``milp`` raises."""
        if self._conn is None:
            self._start()
        assert self._conn is not None and self._process is not None
        limit = (kwargs.get("options") or {}).get("time_limit")
        wait = None if limit is None else float(limit) + self.hang_grace
        try:
            self._conn.send((args, kwargs))
            if not self._conn.poll(wait):
                self._process.kill()  # hung: its answer would never come
                self._process.wait()
                raise SolverCrashed(None, hung_after=wait)
            ok, result, cpu = self._conn.recv()
        except (EOFError, OSError):  # the worker is gone (EOF; a send to a closed pipe is an OSError)
            try:
                returncode = self._process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                returncode = None
            self.close()
            raise SolverCrashed(returncode) from None
        except BaseException:
            # interrupted between question and answer (a later answer would be read as the next one's), or hung
            self.close()
            raise
        self.cpu_seconds += cpu
        if not ok:
            raise result
        return result

    def close(self) -> None:
        """End the worker (a later solve starts a new one)."""
        if self._finalizer is not None:
            self._finalizer()
        self._process = self._conn = self._finalizer = None

    def _start(self) -> None:
        parent, child = multiprocessing.Pipe()
        command = [sys.executable, "-c", _BOOTSTRAP, __file__, str(child.fileno())]
        # a stop signal that reaches the process group while the worker starts would kill it before it ignores them
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            process = subprocess.Popen(command, pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            child.close()  # only the worker holds its end: the parent's death or close reaches it as EOF
        self._process, self._conn = process, parent
        self._finalizer = weakref.finalize(self, _stop, process, parent)
