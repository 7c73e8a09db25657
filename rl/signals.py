"""SIGINT and SIGTERM during a job: remembered, then acted on where the job can stop cleanly.

SageMaker sends SIGTERM to stop a job or on a spot interruption (SIGKILL follows 120 s later); a
terminal's Ctrl-C sends SIGINT to the whole process group, the runner and the job alike. Neither may
kill the job between two files of a checkpoint, so the handler only records the signal (the default
*deferred* mode): training stops at its next step (:class:`rl.callbacks.StopOnSignal`), set-up and
checkpoint writes finish first. Inside :meth:`SignalGuard.interruptible` (a long final evaluation) the
signal raises :class:`Interrupted` at once instead, and the guard is back in deferred mode before the
exception propagates, so that a second signal cannot interrupt the checkpoint written in response.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

# what signal.getsignal returns and signal.signal takes back
_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """Raised inside :meth:`SignalGuard.interruptible` when a stop signal arrives."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


class SignalGuard:
    """Records the first stop signal; see the module docstring for when it interrupts."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._interruptible = False
        self._depth = 0
        self._previous: dict[signal.Signals, _Handler] = {}

    @property
    def name(self) -> str | None:
        """The received signal's name (``SIGTERM``), or None."""
        return signal.Signals(self.received).name if self.received is not None else None

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is None:
            self.received = signum
        if self._interruptible:
            self._interruptible = False  # before raising: the handler of the next signal only records it
            raise Interrupted(signum)

    @contextmanager
    def installed(
        self, signals: tuple[signal.Signals, ...] = STOP_SIGNALS, afterwards: _Handler | None = None
    ) -> Iterator[SignalGuard]:
        """Handle ``signals`` while the block runs (nested blocks share the outermost installation).

        :param afterwards: the handler the signals get when the outermost block ends (default: the ones they had
            before it). ``signal.SIG_IGN`` for a process that ends with the block: a late signal is then ignored
            in whichever thread it lands, where blocking it in the main thread would leave torch's threads to
            take it with the default action, killing the process
        """
        if threading.current_thread() is not threading.main_thread():
            yield self  # handlers can only be installed from the main thread
            return
        if self._depth == 0:
            self.received = None  # a new job (a notebook trains many in one process) starts unsignalled
            self._previous = {sig: signal.getsignal(sig) for sig in signals}
            for sig in signals:
                signal.signal(sig, self._handle)
            # a runner holds stop signals back while it starts a job process (see experiments.local): one that
            # came before the handlers existed is delivered now, to them
            signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1
            if self._depth == 0:
                for sig, handler in self._previous.items():
                    signal.signal(sig, handler if afterwards is None else afterwards)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Let a stop signal (or one already received) raise :class:`Interrupted` inside the block."""
        if self.received is not None:
            raise Interrupted(self.received)
        self._interruptible = True
        try:
            yield
        finally:
            self._interruptible = False


GUARD = SignalGuard()  # one per process: signal handlers are process-wide
