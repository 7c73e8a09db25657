"""Progress of running jobs on the terminal, driven by the jobs' own metric log lines."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

console = Console(stderr=True)  # progress and logs
# results, for scripts to read: when piped, wide enough that tables and paths are not folded
stdout = Console(width=None if sys.stdout.isatty() else 160)


class JobProgress:
    """One bar per job, advanced by its ``timesteps=`` lines; eval results printed above the bars."""

    def __init__(self, *, quiet: bool, echo_lines: bool) -> None:
        self.quiet = quiet
        self.echo_lines = echo_lines
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=quiet,
        )
        self._lock = threading.Lock()

    @contextmanager
    def running(self) -> Iterator[JobProgress]:
        with self._progress:
            yield self

    def track(self, name: str, total: int | None) -> Callable[[str, dict[str, float]], None]:
        """A handler of job ``name``'s lines (and the metrics the runner parsed from them) that updates its bar."""
        task = self._progress.add_task(name, total=total, status="")

        def on_line(line: str, metrics: dict[str, float]) -> None:
            with self._lock:
                if "timesteps" in metrics:
                    self._progress.update(task, completed=metrics["timesteps"])
                if "eval_mean_reward" in metrics:
                    self._progress.update(task, status=f"eval {metrics['eval_mean_reward']:.1f}")
                if self.echo_lines and not self.quiet and "fps" not in metrics:
                    self._progress.console.print(Text.assemble((name, "dim"), " ", line), highlight=False)

        return on_line
