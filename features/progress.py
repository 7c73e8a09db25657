"""Where the time of a fit goes, stage by stage: a rich display on a terminal, plain lines in a job log.

The stages of :meth:`AutoFeatures.fit`: checking the tables, building the EntitySet, generating candidate
definitions, computing and ranking candidates (chunk k of n), ranking the screened candidates together,
confirming (scoring the candidate sets, fold k of n), the final model and the held-out rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class Progress(Protocol):
    """Receives each stage as it starts (with ``step`` of ``steps`` for stages that repeat) and the end."""

    def stage(self, name: str, *, step: int | None = None, steps: int | None = None) -> None: ...

    def close(self) -> None: ...


class Silent:
    """No display (``verbose=False``)."""

    def stage(self, name: str, *, step: int | None = None, steps: int | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class LogLines:
    """One line per stage (and per step) with the seconds elapsed: what a job log shows."""

    def __init__(self, log: Callable[[str], None] = print) -> None:
        self.log = log
        self.started = time.monotonic()
        self.number = 0
        self.current: str | None = None

    def stage(self, name: str, *, step: int | None = None, steps: int | None = None) -> None:
        if name != self.current:
            self.number += 1
            self.current = name
        where = f" {step}/{steps}" if steps else ""
        self.log(f"[stage {self.number}] {name}{where} ({time.monotonic() - self.started:.1f} s)")

    def close(self) -> None:
        self.log(f"[stage done] fit finished ({time.monotonic() - self.started:.1f} s)")


class RichStages:
    """A rich progress display: one line per stage with its bar (for stages with steps) and elapsed time."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        # on stderr, like tqdm: stdout stays the caller's
        self.display = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.display.start()
        self.tasks: dict[str, Any] = {}
        self.current: str | None = None

    def stage(self, name: str, *, step: int | None = None, steps: int | None = None) -> None:
        if name not in self.tasks:
            if self.current is not None:
                self._finish(self.current)
            self.tasks[name] = self.display.add_task(name, total=steps or 1)
            self.current = name
        if steps:
            self.display.update(self.tasks[name], completed=step or 0, total=steps)

    def _finish(self, name: str) -> None:
        task = self.tasks[name]
        total = self.display.tasks[task].total or 1
        self.display.update(task, completed=total)

    def close(self) -> None:
        if self.current is not None:
            self._finish(self.current)
        self.display.stop()


def progress_for(verbose: bool, log: Callable[[str], None] | None = None) -> Progress:
    """Plain lines to ``log`` if given, else a rich display when ``verbose``, else nothing."""
    if log is not None:
        return LogLines(log)
    return RichStages() if verbose else Silent()
