"""SB3 callbacks of a job: metric log lines, learning-curve rows, periodic checkpoints, stop on a signal or at a
reward threshold."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from sb3_contrib.common.maskable.callbacks import MaskableEvalCallback
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback, StopTrainingOnRewardThreshold

from contract import format_metrics
from contract.evaluation import RewardStop
from rl.curve import LearningCurve
from rl.signals import GUARD, SignalGuard


class _EveryNTimesteps(BaseCallback):
    """Calls ``_on_interval`` whenever ``num_timesteps`` crosses a multiple of ``interval``."""

    def __init__(self, interval: int) -> None:
        super().__init__()
        self.interval = max(int(interval), 1)
        self._last_bucket = -1

    def _on_training_start(self) -> None:
        self._last_bucket = self.num_timesteps // self.interval

    def _on_step(self) -> bool:
        bucket = self.num_timesteps // self.interval
        if bucket > self._last_bucket:
            self._last_bucket = bucket
            self._on_interval()
        return True

    def _on_interval(self) -> None:
        raise AssertionError("subclasses define _on_interval")


class MetricLogger(_EveryNTimesteps):
    """Prints ``timesteps=...; fps=...; train_episode_reward=...;`` every ``interval`` timesteps."""

    def __init__(self, interval: int, log: Callable[[str], None]) -> None:
        super().__init__(interval)
        self.log = log
        self._clock = (0.0, 0)

    def _on_training_start(self) -> None:
        super()._on_training_start()
        self._clock = (time.perf_counter(), self.num_timesteps)

    def _on_interval(self) -> None:
        now, steps = time.perf_counter(), self.num_timesteps
        fps = (steps - self._clock[1]) / max(now - self._clock[0], 1e-9)
        self._clock = (now, steps)
        values: dict[str, float | int] = {"timesteps": int(steps), "fps": fps}
        episodes = self.model.ep_info_buffer
        if episodes:
            values["train_episode_reward"] = float(np.mean([e["r"] for e in episodes]))
            values["train_episode_length"] = float(np.mean([e["l"] for e in episodes]))
        self.log(format_metrics(**values))


class RecordEvaluation(BaseCallback):
    """Run by SB3's EvalCallback after each evaluation: adds a learning-curve row and a metric line."""

    def __init__(self, curve: LearningCurve, log: Callable[[str], None]) -> None:
        super().__init__()
        self.curve = curve
        self.log = log

    def _on_step(self) -> bool:
        evaluation = self.parent
        assert isinstance(evaluation, EvalCallback), "runs as an EvalCallback's callback_after_eval"
        rewards = evaluation.evaluations_results[-1]
        mean, std = float(np.mean(rewards)), float(np.std(rewards))
        self.curve.append(self.num_timesteps, mean, std)
        self.log(format_metrics(timesteps=int(self.num_timesteps), eval_mean_reward=mean, eval_std_reward=std))
        return True


class _KeepScheduleOnResume(EvalCallback):
    """Keeps an EvalCallback's schedule on global timesteps across resumes.

    EvalCallback counts its own calls from zero in every ``learn``; a resumed job would then evaluate
    at ``resume point + k * frequency`` instead of at multiples of the frequency, as an
    uninterrupted run does.
    """

    def _on_training_start(self) -> None:
        super()._on_training_start()
        self.n_calls = self.num_timesteps // self.training_env.num_envs


class ResumableEvalCallback(_KeepScheduleOnResume):
    """SB3's EvalCallback, resumable (see :class:`_KeepScheduleOnResume`)."""


class ResumableMaskableEvalCallback(_KeepScheduleOnResume, MaskableEvalCallback):
    """sb3-contrib's MaskableEvalCallback (evaluates with action masks), resumable."""


class StopAtRewardThreshold(StopTrainingOnRewardThreshold):
    """SB3's ``StopTrainingOnRewardThreshold`` (run by an EvalCallback) that remembers where it stopped training
    (``reached``) and says so through ``log`` once.

    :param reward_threshold: the mean evaluation reward at which training stops
    :param log: where the one line about the stop goes
    :param reached: a stop recorded before a resume: training does not start again
    """

    def __init__(self, reward_threshold: float, log: Callable[[str], None], reached: RewardStop | None = None) -> None:
        super().__init__(reward_threshold, verbose=0)
        self.log = log
        self.reached = reached

    def _on_step(self) -> bool:
        if self.reached is not None:  # an algorithm that ignores the request (ARS) may evaluate again: keep the first
            return False
        if super()._on_step():
            return True
        mean = float(self.parent.best_mean_reward)
        self.reached = RewardStop(threshold=self.reward_threshold, timesteps=int(self.num_timesteps), mean_reward=mean)
        self.log(
            f"training stops at {self.num_timesteps} timesteps: the evaluation's mean reward {mean:.2f} reached "
            f"evaluation.stop_at_reward {self.reward_threshold:g}"
        )
        return False


class PeriodicCheckpoint(_EveryNTimesteps):
    """Calls ``save`` every ``interval`` timesteps before ``until`` (the job decides what a checkpoint holds).

    Callbacks run while the algorithm collects experience, before it updates on it, so a checkpoint at the last
    step would hold the model one update short of the trained one: the job saves that one after training instead.
    """

    def __init__(self, interval: int, save: Callable[[], object], until: int) -> None:
        super().__init__(interval)
        self.save = save
        self.until = until

    def _on_interval(self) -> None:
        if self.num_timesteps < self.until:
            self.save()


class TrainingStopped(Exception):
    """Raised by :class:`StopOnSignal` for an algorithm that ignores a callback's request to stop (ARS)."""


class StopOnSignal(BaseCallback):
    """Ends ``learn`` at the next step after SIGINT or SIGTERM, so the job can checkpoint and exit cleanly.

    SageMaker sends SIGTERM to stop a job or on spot interruption and allows it 120 seconds before
    SIGKILL; stopping at the next environment step leaves ample time to write a checkpoint. The signal
    itself is caught by :data:`rl.signals.GUARD`, which the job installs for its whole run.
    """

    def __init__(self, guard: SignalGuard = GUARD, reward_stop: StopAtRewardThreshold | None = None) -> None:
        super().__init__()
        self.guard = guard
        self.reward_stop = reward_stop  # ARS ignores its request to stop too: it is stopped here as on a signal

    @property
    def received(self) -> int | None:
        return self.guard.received

    def _on_step(self) -> bool:
        return self.guard.received is None

    def _on_rollout_start(self) -> None:
        # every algorithm but ARS ends learn() when _on_step says False, before another rollout starts;
        # ARS ignores it, so it is stopped here, between two updates, where its state is whole
        if self.guard.received is not None:
            raise TrainingStopped(f"signal {self.guard.received}")
        if self.reward_stop is not None and self.reward_stop.reached is not None:
            raise TrainingStopped(f"evaluation.stop_at_reward {self.reward_stop.reward_threshold:g} reached")
