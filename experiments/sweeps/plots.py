"""Optuna's own figures of a finished sweep, written as images beside sweep.json."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

PLOTS: tuple[str, ...] = ("optimization_history", "param_importances", "parallel_coordinate")


def _plotters() -> dict[str, Callable[[Any], Any]]:
    from optuna.visualization import matplotlib as optuna_plots

    return {
        "optimization_history": optuna_plots.plot_optimization_history,
        "param_importances": optuna_plots.plot_param_importances,
        "parallel_coordinate": optuna_plots.plot_parallel_coordinate,
    }


def write_study_plots(study: Any, directory: Path, dpi: int = 120) -> tuple[list[Path], list[str]]:
    """Write each of :data:`PLOTS` as ``<name>.png`` in ``directory``.

    :return: the files written, and for each figure that cannot be drawn (parameter importances and
        parallel coordinates need two completed trials), why.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.trial import TrialState

    completed = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    written, skipped = [], []
    for name, plot in _plotters().items():
        needed = 1 if name == "optimization_history" else 2  # Optuna draws an empty figure with fewer
        if completed < needed:
            skipped.append(f"{name}: needs {needed} completed trials, the sweep has {completed}")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # optuna.visualization.matplotlib is marked experimental
                axes = plot(study)
        except (ValueError, RuntimeError) as error:
            skipped.append(f"{name}: {error}")
            continue
        figure = axes.figure if hasattr(axes, "figure") else axes.flat[0].figure
        figure.set_size_inches(8, 5)
        figure.tight_layout()
        path = directory / f"{name}.png"
        figure.savefig(path, dpi=dpi)
        plt.close(figure)
        written.append(path)
    return written, skipped
