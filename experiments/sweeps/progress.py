"""A sweep's progress bar: trials done (of the budget), pruned, failed and running, and the best value so far."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from experiments.progress import console


class SweepProgress:
    """A rich progress bar over an Optuna study, refreshed when a trial starts and when one ends.

    :param name: the sweep's name (the bar's label).
    :param total: the trial budget.
    :param metric: the objective metric's name, shown beside the best value.
    :param quiet: draw nothing.
    """

    def __init__(self, name: str, total: int, metric: str, *, quiet: bool = False) -> None:
        self.metric = metric
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
            disable=quiet,
        )
        self._task = self._progress.add_task(f"sweep {name}", total=total, status="")
        self._lock = threading.Lock()

    @contextmanager
    def running(self) -> Iterator[SweepProgress]:
        with self._progress:
            yield self

    def refresh(self, study: Any, _trial: Any = None) -> None:
        """Count the study's trials by state (usable as an Optuna ``study.optimize`` callback)."""
        from optuna.trial import TrialState

        # a trial a signal stopped is continued by another: neither done nor failed
        states = [t.state for t in study.get_trials(deepcopy=False) if not t.user_attrs.get("stopped")]
        done = sum(s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL) for s in states)
        try:
            best = f"best {self.metric} {study.best_value:.4g}"
        except ValueError:  # no trial has completed yet
            best = "no trial completed yet"
        status = (
            f"{states.count(TrialState.COMPLETE)} complete, {states.count(TrialState.PRUNED)} pruned, "
            f"{states.count(TrialState.FAIL)} failed, {states.count(TrialState.RUNNING)} running; {best}"
        )
        with self._lock:
            self._progress.update(self._task, completed=done, status=status)
