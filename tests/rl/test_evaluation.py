"""Evaluation details that the end-to-end job tests do not pin down."""

from __future__ import annotations

import numpy as np
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
