"""Evaluation details that the end-to-end job tests do not pin down."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rl.config import EnvConfig
from rl.evaluation import evaluate_policy_on


class ThreadProbe:
    """A policy with SB3's ``predict`` shape that records torch's thread count at each call."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        self.threads.append(torch.get_num_threads())
        return np.zeros(len(observation), dtype=np.int64), None


def test_the_policy_runs_on_one_torch_thread_and_the_setting_is_restored() -> None:
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        probe = ThreadProbe()
        result = evaluate_policy_on(probe, EnvConfig(id="CartPole-v1"), episodes=2, seed=0)
        assert result.episodes == 2 and set(probe.threads) == {1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


@pytest.mark.parametrize(
    ("env_id", "vectorized"), [("envs/Knapsack-v0", False), ("envs/Knapsack-v0", True), ("envs/Newsvendor-v0", True)]
)
def test_parallel_evaluation_plays_each_sub_envs_episodes_in_a_fixed_order(env_id: str, vectorized: bool) -> None:
    import envs

    config = EnvConfig(id=env_id, vectorized=vectorized)
    policy = envs.baseline_policy(env_id, envs.baseline_names(env_id)[0])
    parallel = evaluate_policy_on(policy, config, episodes=7, seed=50, n_envs=3)
    # episode j is sub-env j % 3's (j // 3)-th episode, and sub-env i is an env seeded 50 + i
    alone = [
        evaluate_policy_on(policy, config, episodes=len(range(i, 7, 3)), seed=50 + i).episode_rewards for i in range(3)
    ]
    assert parallel.episode_rewards == [alone[j % 3][j // 3] for j in range(7)]
    assert parallel.episodes == 7 and len(parallel.episode_lengths) == 7


def test_parallel_evaluation_passes_masks_to_a_maskable_policy(tmp_path) -> None:
    from sb3_contrib import MaskablePPO

    from rl.env_factory import make_env

    config = EnvConfig(id="envs/Knapsack-v0")
    model = MaskablePPO("MlpPolicy", make_env(config, n_envs=1, seed=0), n_steps=64, batch_size=64, seed=0)
    result = evaluate_policy_on(model, config, episodes=4, seed=3, n_envs=2)
    alone = [evaluate_policy_on(model, config, episodes=2, seed=3 + i).episode_rewards for i in range(2)]
    assert result.episode_rewards == [alone[0][0], alone[1][0], alone[0][1], alone[1][1]]


@pytest.mark.parametrize("n_envs", [1, 3])
def test_on_episode_is_called_once_per_episode_played(n_envs: int) -> None:
    import envs

    ended: list[int] = []
    policy = envs.baseline_policy("envs/Knapsack-v0")
    result = evaluate_policy_on(
        policy, EnvConfig(id="envs/Knapsack-v0"), episodes=5, seed=0, n_envs=n_envs, on_episode=lambda: ended.append(1)
    )
    assert len(ended) == result.episodes == 5
