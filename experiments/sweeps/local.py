"""A local sweep with Optuna: each trial is a local job (the same job contract), pruned on its evaluations.

Trials are jobs under ``<output-dir>/<sweep-name>/trial-NNN/``, so ``sagelab report`` reads them like
any jobs (each trial its own group: trials differ in their config). The Optuna study lives in ``study.db``
(SQLite) beside them: running the same sweep again continues it, and ``optuna-dashboard
sqlite:///<sweep-dir>/study.db`` opens it. A finished sweep writes sweep.json and Optuna's figures
(optimization history, parameter importances, parallel coordinates) beside it. Pruning uses the
``eval_mean_reward=`` lines a trial prints while it trains: when
Optuna's median pruner says a trial is behind, the trial gets SIGTERM (it checkpoints and stops).

SIGINT or SIGTERM to the sweep (the runner's :func:`experiments.local.forward_signals`, installed by the
command) stops it like a ``--seeds`` run: the running trials checkpoint, no other starts, and the study records
them as failed with the user attribute ``stopped``. Running the same sweep again enqueues each stopped trial
once more, with its parameters and job directory, so it continues from its checkpoint.

A sweep directory has one runner: the sweep holds its ``.lock`` (:mod:`experiments.lock`), and so does every
trial's job process, so a second runner is refused (exit code 2) until the first and the trials it started
have ended, however they ended. A trial the study still lists as running when the sweep opens it is therefore
one whose runner was killed (``kill -9``): the study records it as failed, ``stopped`` and ``killed``, and it is
continued like a stopped trial from its job directory's last checkpoint (each trial's directory is recorded
before its job starts). A killed trial whose job had finished is not run again: its value is read from the job.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract import ContainerPaths, parse_metrics
from contract.evaluation import read_evaluation
from contract.layout import STUDY_FILE, SWEEP_FILE
from experiments.config import Job, apply_overrides, validate
from experiments.errors import UserError
from experiments.local import check_resumable, execute_job, pack_outputs, prepare_job, stopping
from experiments.lock import JobLock, holding
from experiments.resume import finished, packed
from experiments.sweeps.plots import write_study_plots
from experiments.sweeps.progress import SweepProgress
from experiments.sweeps.ranges import as_overrides, corner_points, suggest
from experiments.sweeps.space import Categorical, SearchSpace

if TYPE_CHECKING:
    import optuna

STOPPED = "stopped"  # user attribute of a trial that ended before its job: a signal stopped it, or its runner died
KILLED = "killed"  # user attribute of a stopped trial whose runner was killed while it ran
RESUMES = "resumes"  # user attribute of the trial that continues it: the stopped trial's number


class _Stopped(Exception):
    """The sweep got a stop signal: the trial saved a checkpoint (or never started) and is continued next time."""


@dataclass
class SweepResult:
    """The best trial and where everything is."""

    directory: Path
    best_params: dict[str, Any]
    best_value: float
    trials: list[dict[str, Any]]
    plots: list[Path] = field(default_factory=list)
    plots_not_drawn: list[str] = field(default_factory=list)


def check_space(raw: Mapping[str, Any], space: SearchSpace, source: str) -> None:
    """Validate the config at every bound and category of the space before any trial runs."""
    for point in corner_points(space):
        validate(apply_overrides(raw, as_overrides(point), source=f"search_space {source}"), source)


def config_point(raw: Mapping[str, Any], space: SearchSpace) -> dict[str, Any] | None:
    """The config's own values of the searched keys as Optuna params, if every one lies in the space."""
    params: dict[str, Any] = {}
    for key, spec in space.parameters.items():
        node: Any = raw
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        if isinstance(spec, Categorical):
            if node not in spec.values:
                return None
            params[key] = json.dumps(node)
        elif isinstance(node, bool) or not isinstance(node, int | float) or not spec.low <= node <= spec.high:
            return None
        else:
            params[key] = node
    return params


def run_local_sweep(
    raw: Mapping[str, Any],
    space: SearchSpace,
    output_dir: Path,
    *,
    name: str,
    quiet: bool = True,
    show_progress: bool = False,
) -> SweepResult | None:
    """Run (or continue) the sweep ``name`` of the config mapping ``raw`` over ``space``.

    :param quiet: silence Optuna's own log lines.
    :param show_progress: draw a progress bar (trials done, pruned, running, best value so far) on stderr.
    :return: the result, or None if a stop signal ended the sweep first (see :func:`stopped_trials`).
    """
    check_space(raw, space, name)
    directory = output_dir / name
    directory.mkdir(parents=True, exist_ok=True)
    with holding(directory, what="sweep") as lock:  # one runner: a trial the study lists as running is a killed one
        study = _open_study(raw, space, directory, name, quiet)
        progress = SweepProgress(name, space.trials, space.objective.metric, quiet=not show_progress)
        _optimize(study, _objective(raw, space, directory, study, progress, lock), space, progress)
        if stopped_trials(study) or (stopping() and _counted(study) < space.trials):
            return None
        return _write_result(study, space, directory, name)


def stopped_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The trials a stop signal (or a killed runner) ended that no later trial continues yet."""
    continued = {t.user_attrs.get(RESUMES) for t in study.trials}
    return [t for t in study.trials if t.user_attrs.get(STOPPED) and t.number not in continued]


def _counted(study: optuna.Study) -> int:
    """Finished trials that count against the budget (a stopped trial's continuation counts, the stop does not)."""
    return len([t for t in study.trials if t.state.is_finished() and not t.user_attrs.get(STOPPED)])


def _open_study(raw: Mapping[str, Any], space: SearchSpace, directory: Path, name: str, quiet: bool) -> optuna.Study:
    """The sweep's study in ``directory`` (continued when it exists), the config as written its first trial."""
    import optuna

    pruner = (
        optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
        if space.pruning
        else optuna.pruners.NopPruner()
    )
    if quiet:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(f"sqlite:///{directory / STUDY_FILE}")
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        load_if_exists=True,
        direction=space.objective.direction,
        sampler=optuna.samplers.TPESampler(seed=int(raw.get("seed", 0))),
        pruner=pruner,
    )
    if not study.trials:
        baseline = config_point(raw, space)
        if baseline is not None:
            # the config as written is trial 0: a sweep never reports worse than not sweeping
            study.enqueue_trial(baseline, user_attrs={"baseline": True})
    _fail_killed(study, storage)
    for trial in stopped_trials(study):  # continued in their job directories, before any new trial
        attrs: dict[str, Any] = {k: trial.user_attrs[k] for k in ("baseline", "job_dir") if k in trial.user_attrs}
        study.enqueue_trial(trial.params, user_attrs={**attrs, RESUMES: trial.number})
    return study


def _fail_killed(study: optuna.Study, storage: optuna.storages.RDBStorage) -> None:
    """Record the trials a killed runner left running as failed, ``stopped`` and ``killed``, as Optuna's
    ``fail_stale_trials`` records a trial whose heartbeat stopped.

    The sweep's lock says no process runs them any more: no heartbeat (and its grace period) is needed to know.
    """
    from optuna.trial import TrialState

    study_id = storage.get_study_id_from_name(study.study_name)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        storage.set_trial_user_attr(trial_id, KILLED, True)  # the attributes first: a finished trial refuses them
        storage.set_trial_user_attr(trial_id, STOPPED, True)
        storage.set_trial_state_values(trial_id, TrialState.FAIL)


def _objective(
    raw: Mapping[str, Any],
    space: SearchSpace,
    directory: Path,
    study: optuna.Study,
    progress: SweepProgress,
    sweep_lock: JobLock,
) -> Callable[[optuna.Trial], float]:
    """A trial: a local job of the config with the trial's values, stopped when Optuna prunes it."""
    import optuna

    objective_name = space.objective.metric
    lock = threading.Lock()

    def objective(trial: optuna.Trial) -> float:
        progress.refresh(study)
        values = suggest(trial, space)
        job: Job = validate(apply_overrides(raw, as_overrides(values)), f"trial {trial.number}")
        if stopping():  # the signal came as Optuna started this trial: no job directory for it
            _stop(study, trial)
        with lock:  # prepare_job creates directories; keep trial numbering and layout race-free
            paths = _trial_paths(job, trial, directory)
        trial.set_user_attr("job_dir", str(paths.root))  # before the job runs: where to continue it if we are killed
        if finished(paths):  # its job finished before the runner that ran it was killed: never trained again
            return _recorded_value(paths, objective_name, trial.number)
        pruned = threading.Event()

        def on_line(line: str, metrics: dict[str, float]) -> None:
            if "eval_mean_reward" in metrics and "timesteps" in metrics:
                trial.report(metrics["eval_mean_reward"], step=int(metrics["timesteps"]))
                if trial.should_prune():
                    pruned.set()

        outcome = execute_job(
            job, paths, on_line=on_line, num_cpus=1, should_stop=pruned.is_set, shared_locks=(sweep_lock,)
        )
        if pruned.is_set():
            raise optuna.TrialPruned()
        if stopping() and (not outcome.started or outcome.interrupted):
            _stop(study, trial)
        if not outcome.succeeded:
            raise RuntimeError(f"trial {trial.number} failed: {outcome.failure or 'see ' + str(paths.log_file)}")
        if objective_name not in outcome.metrics:
            raise RuntimeError(f"trial {trial.number} printed no {objective_name}= line; see {paths.log_file}")
        return outcome.metrics[objective_name]

    return objective


def _trial_paths(job: Job, trial: optuna.Trial, directory: Path) -> ContainerPaths:
    """A new trial's job directory, or the one of the stopped trial it continues."""
    earlier = trial.user_attrs.get("job_dir")
    if earlier is None:
        return prepare_job(job, directory, f"trial-{trial.number:03d}")
    paths = ContainerPaths(Path(earlier))
    check_resumable(job, paths)
    return paths


def _recorded_value(paths: ContainerPaths, metric: str, number: int) -> float:
    """The objective of a finished job from what it printed (its log) and recorded (its evaluation.json)."""
    if not packed(paths):
        pack_outputs(paths)  # the killed runner had not packed its archives
    metrics: dict[str, float] = {}
    if paths.log_file.is_file():  # eval_mean_reward is only in the log (the last value); the final metrics in both
        for line in paths.log_file.read_text(encoding="utf-8", errors="replace").splitlines():
            metrics.update(parse_metrics(line))
    try:
        record = read_evaluation(paths.output_data_dir)
    except ValueError as error:
        raise RuntimeError(f"trial {number}: {error}") from None
    metrics.update(record.metrics if record is not None else {})
    if metric not in metrics:
        raise RuntimeError(f"trial {number}: its finished job recorded no {metric}; see {paths.log_file}")
    return metrics[metric]


def _stop(study: optuna.Study, trial: optuna.Trial) -> None:
    """End ``trial`` as stopped and start no other; raises :class:`_Stopped`."""
    import optuna

    trial.set_user_attr(STOPPED, True)
    study.stop()
    # the stop is the command's to report: not as failed trials with tracebacks in Optuna's log
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    raise _Stopped()


def _optimize(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    space: SearchSpace,
    progress: SweepProgress,
) -> None:
    """Run the enqueued trials, then new ones until the space's number of trials has finished."""
    import optuna

    waiting = [t for t in study.trials if t.state == optuna.trial.TrialState.WAITING]
    with progress.running():
        progress.refresh(study)
        if waiting:
            # enqueued trials alone: with several workers, SQLite storage can hand one enqueued trial to two
            study.optimize(
                objective, n_trials=len(waiting), n_jobs=1, catch=(RuntimeError, _Stopped), callbacks=[progress.refresh]
            )
        remaining = space.trials - _counted(study)
        if remaining > 0 and not stopping():
            study.optimize(
                objective,
                n_trials=remaining,
                n_jobs=space.parallel,
                catch=(RuntimeError, _Stopped),
                callbacks=[progress.refresh],
            )


def _write_result(study: Any, space: SearchSpace, directory: Path, name: str) -> SweepResult:
    """The best trial, sweep.json and Optuna's figures of a finished sweep."""
    import optuna

    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not finished:
        raise UserError(f"sweep {name}: no trial completed; see the job logs under {directory}")
    maximize = space.objective.direction == "maximize"
    best = max(finished, key=lambda t: t.value) if maximize else min(finished, key=lambda t: t.value)
    best_params = suggest(optuna.trial.FixedTrial(best.params), space)
    trials = [
        {
            "number": t.number,
            "state": "KILLED" if t.user_attrs.get(KILLED) else "STOPPED" if t.user_attrs.get(STOPPED) else t.state.name,
            "value": t.value,
            "params": suggest(optuna.trial.FixedTrial(t.params), space) if t.params else {},
            "job_dir": t.user_attrs.get("job_dir"),
            "baseline": bool(t.user_attrs.get("baseline")),
        }
        for t in study.trials
    ]
    plots, not_drawn = write_study_plots(study, directory)
    summary = {
        "name": name,
        "objective": space.objective.model_dump(),
        "best_params": best_params,
        "best_value": float(best.value),
        "best_trial": best.number,
        "trials": trials,
        "study": str(directory / STUDY_FILE),
        "plots": [p.name for p in plots],
        "plots_not_drawn": not_drawn,
    }
    (directory / SWEEP_FILE).write_text(json.dumps(summary, indent=2))
    return SweepResult(directory, best_params, float(best.value), trials, plots, not_drawn)
