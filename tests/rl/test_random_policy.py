"""The random policy: the normalization's floor, acting at random within the env's rules."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from rl.config import EnvConfig
from rl.random_policy import RandomPolicy, random_policy


def test_draws_only_valid_actions_when_the_env_masks_them() -> None:
    policy = RandomPolicy(gym.spaces.Discrete(4), seed=0, uses_action_masks=True)
    masks = np.array([[False, True, False, True], [True, False, False, False]] * 50)
    actions, state = policy.predict(np.zeros((100, 3)), action_masks=masks)
    assert state is None and actions.shape == (100,)
    assert set(actions[0::2]) == {1, 3} and set(actions[1::2]) == {0}


def test_one_action_per_observation_of_the_batch_and_seeded() -> None:
    space = gym.spaces.Box(-1.0, 1.0, shape=(2,))
    first, _ = RandomPolicy(space, seed=3).predict(np.zeros((5, 7)))
    again, _ = RandomPolicy(space, seed=3).predict(np.zeros((5, 7)))
    assert first.shape == (5, 2) and np.array_equal(first, again) and space.contains(first[0].astype(np.float32))


def test_it_uses_masks_exactly_on_envs_that_have_them() -> None:
    assert random_policy(EnvConfig(id="envs/Knapsack-v0")).uses_action_masks
    assert not random_policy(EnvConfig(id="envs/Newsvendor-v0")).uses_action_masks
