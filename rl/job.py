"""One RL job: train (or resume), checkpoint, evaluate, and write the artifacts.

The job knows three directories and nothing about where it runs:

- ``model_dir``: the trained model with what is needed to reload it (SageMaker uploads it as the model archive);
- ``output_data_dir``: the evaluation record, the learning curve, TensorBoard events (the output archive);
- ``checkpoint_dir``: checkpoints; when one is there the job continues from it (SageMaker syncs this
  directory to S3, so a spot-interrupted job restarts from its last checkpoint).

Progress goes out as metric log lines through ``log`` (see :mod:`contract.metrics`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, CallbackList

from contract import EVALUATION_FILE, LEARNING_CURVE_FILE, LEARNING_CURVE_PLOT, format_metrics
from contract.evaluation import RewardStop, read_evaluation, write_evaluation
from contract.layout import TENSORBOARD_DIR
from rl.algorithms import build_algorithm, gamma_of
from rl.best import SaveBestModel, restore_best_score, ship_best
from rl.callbacks import (
    MetricLogger,
    PeriodicCheckpoint,
    RecordEvaluation,
    ResumableEvalCallback,
    ResumableMaskableEvalCallback,
    StopAtRewardThreshold,
    StopOnSignal,
    TrainingStopped,
)
from rl.checkpoints import Checkpoint, clean_staging, latest_checkpoint, save_checkpoint
from rl.config import RLConfig
from rl.curve import LearningCurve
from rl.env_factory import make_evaluation_env, make_training_env
from rl.evaluation import Evaluation, TrainedModel, evaluate
from rl.saved_model import (
    is_saved_model,
    load_saved_model,
    read_statistics,
    restore_for_training,
    save_model_dir,
)
from rl.signals import GUARD, Interrupted
from rl.wrapper_paths import inside


@dataclass
class TrainResult:
    """What a job produced. ``evaluation`` is None when the job was interrupted before the end."""

    model: BaseAlgorithm
    config: RLConfig
    evaluation: Evaluation | None
    timesteps: int
    wall_seconds: float
    model_dir: Path
    output_data_dir: Path
    checkpoint_dir: Path

    @property
    def interrupted(self) -> bool:
        return self.evaluation is None


def run(
    config: RLConfig,
    *,
    model_dir: Path,
    output_data_dir: Path,
    checkpoint_dir: Path,
    log: Callable[[str], None] = print,
    progress_bar: bool = False,
) -> TrainResult:
    """Train ``config`` to its total timesteps (resuming from ``checkpoint_dir`` if it holds a checkpoint), or
    until an evaluation during training reaches ``evaluation.stop_at_reward``.

    On SIGINT or SIGTERM (at any point: set-up, training, a checkpoint write, the final evaluation) the job
    stops at the next safe point, saves a checkpoint and the current model and returns with ``interrupted``
    set; running the job again continues from there. A job that already finished is left as it is.
    """
    with GUARD.installed(), inside(output_data_dir):  # files of wrappers (Monitor) land in output/data
        completed = _completed(config, model_dir, output_data_dir, checkpoint_dir, log)
        if completed is not None:
            return completed
        return _train(config, model_dir, output_data_dir, checkpoint_dir, log, progress_bar)


def _completed(
    config: RLConfig, model_dir: Path, output_data_dir: Path, checkpoint_dir: Path, log: Callable[[str], None]
) -> TrainResult | None:
    """The result of a job that already finished (its evaluation written last), read back untouched.

    A finished job given a larger ``total_timesteps`` (in-process, e.g. a notebook) is not finished: it
    continues from its last checkpoint; unless it stopped at a reward threshold the config still asks for.
    """
    if not is_saved_model(model_dir):
        return None
    record = read_evaluation(output_data_dir)
    if record is None:
        return None
    if record.timesteps < config.total_timesteps and not _stops_at(config, record.stopped_at_reward):
        return None
    evaluation = Evaluation(**{name: getattr(record, name) for name in Evaluation.__dataclass_fields__})
    model = load_saved_model(model_dir, device=config.device).model
    stop = record.stopped_at_reward
    at = f"stopped at evaluation.stop_at_reward {stop.threshold:g}, " if stop is not None else ""
    log(f"the job already finished ({at}{record.timesteps} timesteps, {EVALUATION_FILE} written); nothing to do")
    return TrainResult(
        model, config, evaluation, record.timesteps, record.wall_seconds, model_dir, output_data_dir, checkpoint_dir
    )


def _train(
    config: RLConfig,
    model_dir: Path,
    output_data_dir: Path,
    checkpoint_dir: Path,
    log: Callable[[str], None],
    progress_bar: bool,
) -> TrainResult:
    """Build (or resume) the model, train it to the total, evaluate it and write the artifacts; on a stop
    signal save a checkpoint and return without an evaluation."""
    started = time.perf_counter()
    _prepare(config, model_dir, output_data_dir, checkpoint_dir, log)
    resumed = latest_checkpoint(checkpoint_dir)
    curve = _resumed_curve(output_data_dir, resumed)
    model = _build_or_resume(config, resumed, output_data_dir / TENSORBOARD_DIR, log)
    previous_wall = float(resumed.state.get("wall_seconds", 0.0)) if resumed else 0.0
    reward_stop = _reward_stop(config, resumed, log)

    def elapsed() -> float:
        return previous_wall + time.perf_counter() - started

    def stopped() -> dict[str, Any] | None:
        return reward_stop.reached.model_dump() if reward_stop is not None and reward_stop.reached else None

    def checkpoint() -> Checkpoint:
        state = {"curve": curve.rows, "wall_seconds": elapsed(), "stopped_at_reward": stopped()}
        return save_checkpoint(checkpoint_dir, model, state=state, keep=config.checkpoint.keep, config=config)

    last = resumed
    if model.num_timesteps < config.total_timesteps and GUARD.received is None and stopped() is None:
        callbacks = _callbacks(config, curve, checkpoint, reward_stop, log, output_data_dir, checkpoint_dir)
        _learn(model, config, callbacks, resumed is None, progress_bar)
        if config.checkpoint.frequency and GUARD.received is None:
            # the trained model, after its last update: a job stopped in its final evaluation resumes to this model
            last = checkpoint()
    save_model_dir(model, config, model_dir)
    evaluation = _final_evaluation(model, config, log)
    timesteps = int(model.num_timesteps)
    if evaluation is None:
        _keep_checkpoint(model, last, checkpoint, log)
        return TrainResult(model, config, None, timesteps, elapsed(), model_dir, output_data_dir, checkpoint_dir)

    evaluation, extra = _shipped(config, evaluation, timesteps, model_dir, checkpoint_dir)
    if stopped() is not None:
        extra["stopped_at_reward"] = stopped()
    wall = elapsed()
    log(
        format_metrics(
            timesteps=timesteps, final_mean_reward=evaluation.mean_reward, final_std_reward=evaluation.std_reward
        )
    )
    _write_outputs(config, evaluation, timesteps, wall, curve, output_data_dir, extra)
    return TrainResult(model, config, evaluation, timesteps, wall, model_dir, output_data_dir, checkpoint_dir)


def _prepare(
    config: RLConfig, model_dir: Path, output_data_dir: Path, checkpoint_dir: Path, log: Callable[[str], None]
) -> None:
    """Threads, directories, and what an interrupted run left half written."""
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    for directory in (model_dir, output_data_dir, checkpoint_dir):
        directory.mkdir(parents=True, exist_ok=True)
    (output_data_dir / f".{EVALUATION_FILE}.partial").unlink(missing_ok=True)
    for path in clean_staging(checkpoint_dir):
        log(f"cleaned {path.name}, left by an interrupted checkpoint write")


def _resumed_curve(output_data_dir: Path, resumed: Checkpoint | None) -> LearningCurve:
    """The learning curve so far (the checkpoint's rows when resuming), written out."""
    rows = [tuple(r) for r in resumed.state.get("curve", [])] if resumed else []
    curve = LearningCurve(output_data_dir / LEARNING_CURVE_FILE, rows=rows)
    curve.write()
    return curve


def _build_or_resume(
    config: RLConfig, resumed: Checkpoint | None, tensorboard_dir: Path, log: Callable[[str], None]
) -> BaseAlgorithm:
    gamma = gamma_of(config.algo)
    if resumed is None:
        env = make_training_env(config.env, seed=config.seed, gamma=gamma)
        return build_algorithm(
            config.algo, env, seed=config.seed, device=config.device, tensorboard_log=tensorboard_dir
        )
    env = make_training_env(config.env, seed=config.seed, gamma=gamma, statistics=read_statistics(resumed.path))
    model = restore_for_training(config, resumed.path, env, tensorboard_log=tensorboard_dir)
    log(f"resuming from checkpoint {resumed.path.name} at {model.num_timesteps} of {config.total_timesteps} timesteps")
    return model


def _stops_at(config: RLConfig, stop: RewardStop | None) -> bool:
    """Whether a recorded stop still ends training: the config asks to stop at a reward that evaluation reached."""
    threshold = config.evaluation.stop_at_reward
    return stop is not None and threshold is not None and stop.mean_reward >= threshold


def _reward_stop(
    config: RLConfig, resumed: Checkpoint | None, log: Callable[[str], None]
) -> StopAtRewardThreshold | None:
    """SB3's stop at ``evaluation.stop_at_reward``, holding the stop a resumed checkpoint recorded (a job stopped
    during its final evaluation): such a job does not train again."""
    threshold = config.evaluation.stop_at_reward
    if threshold is None:
        return None
    saved = resumed.state.get("stopped_at_reward") if resumed else None
    reached = RewardStop.model_validate(saved) if saved else None
    if not _stops_at(config, reached):
        return StopAtRewardThreshold(threshold, log)
    log(f"training had stopped at evaluation.stop_at_reward {threshold:g}; it does not start again")
    return StopAtRewardThreshold(threshold, log, reached)


def _learn(model: BaseAlgorithm, config: RLConfig, callbacks: CallbackList, fresh: bool, progress_bar: bool) -> None:
    """Train to the config's total timesteps; a stop signal (at a safe point) or the reward stop ends it early."""
    with contextlib.suppress(TrainingStopped):
        model.learn(
            config.total_timesteps - model.num_timesteps,
            callback=callbacks,
            reset_num_timesteps=fresh,
            progress_bar=progress_bar,
            tb_log_name="sb3",
        )


def _final_evaluation(model: BaseAlgorithm, config: RLConfig, log: Callable[[str], None]) -> Evaluation | None:
    """The trained policy's evaluation, or None when a stop signal came first."""
    if GUARD.received is not None:
        return None
    log(f"final evaluation: {config.evaluation.episodes} episodes")
    try:
        with GUARD.interruptible():  # a long evaluation is abandoned, not waited for: it is rerun on resume
            return evaluate(TrainedModel.of(model, config))
    except Interrupted:
        return None


def _keep_checkpoint(
    model: BaseAlgorithm, last: Checkpoint | None, checkpoint: Callable[[], Checkpoint], log: Callable[[str], None]
) -> None:
    """Save where a stopped job is (unless its last checkpoint already is there), and say so."""
    if last is not None and model.num_timesteps == last.timesteps:
        kept = f"checkpoint {last.path.name} kept"  # nothing new to save
    else:
        kept = f"checkpoint {checkpoint().path.name} saved"
    log(f"received {GUARD.name}: {kept} at {model.num_timesteps} timesteps")
    log(format_metrics(timesteps=int(model.num_timesteps)))


def _shipped(
    config: RLConfig, evaluation: Evaluation, timesteps: int, model_dir: Path, checkpoint_dir: Path
) -> tuple[Evaluation, dict[str, Any]]:
    """The evaluation of the model model/ ships, and with evaluation.keep_best how it was chosen."""
    if not config.evaluation.keep_best:
        return evaluation, {}
    # not interruptible: it rewrites model/, which must hold one whole model when the job stops
    return ship_best(evaluation, timesteps, checkpoint_dir, model_dir)


def _callbacks(
    config: RLConfig,
    curve: LearningCurve,
    checkpoint: Callable[[], object],
    reward_stop: StopAtRewardThreshold | None,
    log: Callable[[str], None],
    output_data_dir: Path,
    checkpoint_dir: Path,
) -> CallbackList:
    n_envs = config.env.n_envs
    stop = StopOnSignal(GUARD, reward_stop)
    callbacks: list[BaseCallback] = [stop, MetricLogger(max(config.total_timesteps // 100, n_envs), log)]
    if config.evaluation.frequency:
        eval_env = make_evaluation_env(config.env, seed=config.eval_seed)
        # MaskablePPO must see the action masks when evaluated, as when it trains
        evaluation_class = (
            ResumableMaskableEvalCallback if config.algo.name == "maskable_ppo" else ResumableEvalCallback
        )
        keep_best = config.evaluation.keep_best
        # SB3's reward stop runs after each evaluation, not as callback_on_new_best as in SB3's example: that one's
        # stop would skip callback_after_eval, the learning curve's row of the evaluation that reached the
        # threshold (it stops on the same evaluation: the best mean is the evaluation's when it is a new best).
        # CallbackList passes the EvalCallback down to it as its parent, which it reads the best mean from
        after_eval: list[BaseCallback] = [RecordEvaluation(curve, log)]
        after_eval += [reward_stop] if reward_stop is not None else []
        evaluation_callback = evaluation_class(
            eval_env,
            n_eval_episodes=config.evaluation.episodes,
            # EvalCallback counts calls; each call advances n_envs timesteps
            eval_freq=max(config.evaluation.frequency // n_envs, 1),
            deterministic=config.evaluation.deterministic,
            callback_after_eval=CallbackList(after_eval),
            callback_on_new_best=SaveBestModel(config, checkpoint_dir) if keep_best else None,
            # SB3 keeps per-episode results only with a log path; it writes RL Zoo's evaluations.npz
            # (for the current training segment; learning_curve.csv covers resumed runs whole)
            log_path=str(output_data_dir),
            verbose=0,
            warn=False,
        )
        if keep_best:
            restore_best_score(evaluation_callback, checkpoint_dir)
        callbacks.append(evaluation_callback)
    if config.checkpoint.frequency:
        callbacks.append(PeriodicCheckpoint(config.checkpoint.frequency, checkpoint, until=config.total_timesteps))
    callbacks.extend(callback(**kwargs) for callback, kwargs in config.callback_specs())  # the config's own
    return CallbackList(callbacks)


def _write_outputs(
    config: RLConfig,
    evaluation: Evaluation,
    timesteps: int,
    wall: float,
    curve: LearningCurve,
    output_data_dir: Path,
    extra: dict[str, Any],
) -> None:
    if curve.rows:
        from rl.plots import plot_learning_curve  # matplotlib: imported only by a job that has a curve

        plot_learning_curve(
            curve.path, output_data_dir / LEARNING_CURVE_PLOT, title=f"{config.name} (seed {config.seed})"
        )
    # the model in model/ (the best checkpoint with evaluation.keep_best), and how it was chosen in ``extra``;
    # last: the record's presence marks the job finished (a resume then changes nothing)
    write_evaluation(output_data_dir, evaluation.to_record(config, timesteps=timesteps, wall_seconds=wall, extra=extra))
