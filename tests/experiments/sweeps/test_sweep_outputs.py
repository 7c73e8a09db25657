"""A sweep's figures and progress bar, on an Optuna study of a known function (no jobs)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import optuna

from experiments.sweeps.plots import PLOTS, write_study_plots
from experiments.sweeps.progress import SweepProgress


def quadratic_study(trials: int) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial: optuna.Trial) -> float:
        x, y = trial.suggest_float("x", -2, 2), trial.suggest_int("y", 0, 4)
        if trial.number == 1:
            raise optuna.TrialPruned()
        return -(x**2) - (y - 2) ** 2

    study.optimize(objective, n_trials=trials)
    return study


def test_a_finished_sweep_writes_optunas_figures(tmp_path: Path) -> None:
    written, not_drawn = write_study_plots(quadratic_study(8), tmp_path)
    assert [p.name for p in written] == [f"{name}.png" for name in PLOTS] and not not_drawn
    for path in written:
        image = matplotlib.image.imread(path)
        assert image.shape[1] == 8 * 120 and image[..., :3].std() > 0.05  # drawn, not a blank canvas


def test_figures_optuna_cannot_draw_are_named_with_the_reason(tmp_path: Path) -> None:
    written, not_drawn = write_study_plots(quadratic_study(1), tmp_path)
    assert "optimization_history.png" in [p.name for p in written]
    assert any(reason.startswith("param_importances:") for reason in not_drawn)


def test_the_progress_bar_counts_trials_by_state_and_shows_the_best_value() -> None:
    study = quadratic_study(5)
    progress = SweepProgress("demo", 10, "final_mean_reward", quiet=True)
    progress.refresh(study)
    task = progress._progress.tasks[0]
    assert task.completed == 5 and task.total == 10
    assert task.fields["status"].startswith("4 complete, 1 pruned, 0 failed, 0 running; best final_mean_reward ")
    assert f"{study.best_value:.4g}" in task.fields["status"]
