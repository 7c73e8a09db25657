"""Test-only user code (a job's ``code.source_dir``): holds a job at one phase until a stop signal has arrived.

A signal test names the phase in ``SAGELAB_PAUSE_AT`` (``set-up``, ``training``, ``checkpoint write``,
``final evaluation``, ``packing``, or a features job's ``features write``) and a directory in
``SAGELAB_PAUSE_DIR``. The process that reaches the phase writes ``<phase>-<pid>`` there (holding the
timesteps, where there are some) and waits until the stop signal has been handled, so the test signals it
exactly there, never by sleeping and hoping. With
``SAGELAB_PAUSE_SEEDS`` only the jobs of those seeds pause in training, with ``SAGELAB_PAUSE_JOBS`` only the
jobs of those directory names (a sweep's trials share their seed).

The config names :class:`PauseInTraining` as an env wrapper, so both the runner (validating the config) and
the job process import this module; each wraps the functions of its own phases where they are looked up at
call time, and pauses once per phase. Without ``SAGELAB_PAUSE_AT`` nothing is wrapped or paused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym

PHASE = os.environ.get("SAGELAB_PAUSE_AT")
DIRECTORY = Path(os.environ.get("SAGELAB_PAUSE_DIR", "."))
SEEDS = os.environ.get("SAGELAB_PAUSE_SEEDS", "").split()
JOBS = os.environ.get("SAGELAB_PAUSE_JOBS", "").split()
IN_JOB = "SM_MODEL_DIR" in os.environ  # the runner sets the SageMaker variables for the job process only
TRAINING_PAUSE_AT = 128  # steps of one sub-env
_paused: set[str] = set()


def _job_stopping() -> bool:
    from rl.signals import GUARD

    return GUARD.received is not None


def _runner_stopping() -> bool:
    from experiments.local import CHILDREN

    return CHILDREN.stopping


def pause(phase: str, stopping: Callable[[], bool] = _job_stopping, detail: object = "") -> None:
    """At ``phase`` (once per process): say so in a file, then wait until a stop signal has been handled."""
    if phase != PHASE or phase in _paused:
        return
    _paused.add(phase)
    reached = DIRECTORY / f"{phase}-{os.getpid()}"
    partial = DIRECTORY / f".{reached.name}"
    partial.write_text(str(detail))
    partial.rename(reached)
    deadline = time.monotonic() + 120
    while not stopping():  # in the final evaluation the signal raises out of this sleep instead
        if time.monotonic() > deadline:
            raise TimeoutError(f"paused at {phase} for 120 s and no stop signal came")
        time.sleep(0.01)


class PauseInTraining(gym.Wrapper):
    """Pauses training after :data:`TRAINING_PAUSE_AT` steps (of the jobs of ``SAGELAB_PAUSE_SEEDS`` and
    ``SAGELAB_PAUSE_JOBS``, if set)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.steps = 0

    def step(self, action: Any) -> Any:
        self.steps += 1
        if self.steps >= TRAINING_PAUSE_AT and IN_JOB and self._selected():
            pause("training", detail=self.steps)
        return super().step(action)

    @staticmethod
    def _selected() -> bool:
        # the job process runs in its job directory
        return (not SEEDS or os.environ.get("SM_HP_SEED") in SEEDS) and (not JOBS or Path.cwd().name in JOBS)


if IN_JOB and PHASE == "set-up":
    import rl.env_factory

    _make_env = rl.env_factory.make_env

    def _make_env_paused(*args: Any, files_under: str = "", **kwargs: Any) -> Any:
        if not files_under:  # the training env, built while the job sets up
            pause("set-up")
        return _make_env(*args, files_under=files_under, **kwargs)

    rl.env_factory.make_env = _make_env_paused
elif IN_JOB and PHASE == "checkpoint write":
    import rl.checkpoints

    _save_model_dir = rl.checkpoints.save_model_dir

    def _save_model_dir_paused(model: Any, *args: Any, **kwargs: Any) -> Any:
        _save_model_dir(model, *args, **kwargs)  # the model's files are staged; state.json is not written yet
        pause("checkpoint write", detail=model.num_timesteps)

    rl.checkpoints.save_model_dir = _save_model_dir_paused
elif IN_JOB and PHASE == "final evaluation":
    import rl.evaluation

    _evaluate_policy_on = rl.evaluation.evaluate_policy_on

    def _evaluate_policy_on_paused(*args: Any, **kwargs: Any) -> Any:
        pause("final evaluation")
        return _evaluate_policy_on(*args, **kwargs)

    rl.evaluation.evaluate_policy_on = _evaluate_policy_on_paused
elif IN_JOB and PHASE == "features write":  # imported by sitecustomize: a features job names no user code
    import features.report

    _write_report = features.report.write_report

    def _write_report_paused(*args: Any, **kwargs: Any) -> Any:
        written = _write_report(*args, **kwargs)  # the model, matrix and report are written, the notebooks not yet
        pause("features write")
        return written

    features.report.write_report = _write_report_paused
elif not IN_JOB and PHASE == "packing":
    import experiments.local

    _pack_directory = experiments.local.pack_directory

    def _pack_directory_paused(*args: Any, **kwargs: Any) -> Any:
        _pack_directory(*args, **kwargs)  # model.tar.gz packed, output.tar.gz not yet
        pause("packing", stopping=_runner_stopping)

    experiments.local.pack_directory = _pack_directory_paused
