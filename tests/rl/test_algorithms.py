"""Each algorithm sagelab added beyond PPO/DQN/MaskablePPO trains, is stopped by SIGTERM, resumes and evaluates."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from rl import evaluate, load_trained, train
from rl.algorithm_specs import ALGORITHM_SPECS
from rl.checkpoints import latest_checkpoint

_OFF_POLICY = {"learning_starts": 64, "buffer_size": 2000, "batch_size": 32, "train_freq": 8, "gradient_steps": 1}
# (env, hyperparameters): the smallest budgets that still run every code path
CASES: dict[str, tuple[str, dict]] = {
    "a2c": ("CartPole-v1", {"n_steps": 8}),
    "sac": ("Pendulum-v1", _OFF_POLICY),
    "td3": ("Pendulum-v1", _OFF_POLICY),
    "ddpg": ("Pendulum-v1", _OFF_POLICY),
    "tqc": ("Pendulum-v1", {**_OFF_POLICY, "top_quantiles_to_drop_per_net": 2}),
    "crossq": ("Pendulum-v1", _OFF_POLICY),
    "qrdqn": ("CartPole-v1", {**_OFF_POLICY, "target_update_interval": 64}),
    "trpo": ("CartPole-v1", {"n_steps": 64, "batch_size": 32, "n_critic_updates": 2}),
    "ars": ("CartPole-v1", {"n_delta": 2, "n_top": 1}),
    "recurrent_ppo": ("CartPole-v1", {"n_steps": 32, "batch_size": 32, "n_epochs": 1}),
}
TOTAL = 400


def config(name: str) -> dict:
    env_id, hyperparameters = CASES[name]
    return {
        "name": f"tiny-{name.replace('_', '-')}",
        "env": {"id": env_id},
        "algo": {"name": name, "hyperparameters": hyperparameters},
        "total_timesteps": TOTAL,
        "evaluation": {"episodes": 2, "frequency": 0},
        "checkpoint": {"frequency": 0, "keep": 1},
    }


def sigterm_after(timesteps: int):
    """A job log that sends this process SIGTERM (as SageMaker does) once the job has trained ``timesteps``."""
    sent: list[bool] = []

    def log(line: str) -> None:
        match = re.match(r"timesteps=(\d+)", line)
        if not sent and match and int(match[1]) >= timesteps:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGTERM)

    return log


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_algorithm_trains_checkpoints_on_sigterm_resumes_and_evaluates(name: str, tmp_path: Path) -> None:
    stopped = train(config(name), tmp_path, progress_bar=False, log=sigterm_after(TOTAL // 8))
    assert stopped.interrupted and 0 < stopped.timesteps < TOTAL
    checkpoint = latest_checkpoint(stopped.checkpoint_dir)
    assert checkpoint is not None and checkpoint.timesteps == stopped.timesteps
    assert checkpoint.replay_buffer_path.exists() == ALGORITHM_SPECS[name].off_policy
    assert type(stopped.model).__name__ == ALGORITHM_SPECS[name].class_name

    lines: list[str] = []
    resumed = train(config(name), tmp_path, progress_bar=False, log=lines.append)
    assert any(line.startswith("resuming from checkpoint") for line in lines)
    assert not resumed.interrupted and resumed.timesteps >= TOTAL
    if ALGORITHM_SPECS[name].off_policy:  # the replay buffer came back with the checkpoint
        assert resumed.model.replay_buffer.size() >= min(resumed.timesteps, 2000) - 1
    # the saved model, reloaded, reproduces the job's own final evaluation
    assert evaluate(load_trained(resumed.model_dir)).episode_rewards == resumed.evaluation.episode_rewards
