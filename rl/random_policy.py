"""The random policy: the floor of the normalized scores (0 = what acting at random earns, as in Agarwal et al. 2021).

It is evaluated like any baseline (``sagelab evaluate --baseline random --config ...``), so the reference
is measured on the same episodes and protocol as the agents. On an env that masks actions
(``action_masks()``, as MaskablePPO uses), it draws uniformly among the valid actions: acting at random
within the rules, not breaking them.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from rl.config import EnvConfig

RANDOM_BASELINE = "random"


class RandomPolicy:
    """Uniformly random actions, with SB3's ``predict`` signature for a batch of observations.

    :param action_space: the env's action space (one sub-env's).
    :param seed: seed of the action draws.
    :param uses_action_masks: draw among the valid actions given to ``predict`` (the env masks actions).
    """

    def __init__(self, action_space: gym.Space, seed: int = 0, uses_action_masks: bool = False) -> None:
        self.action_space = action_space
        # True when the env has action_masks(): the evaluation then hands them to predict, as to MaskablePPO
        self.uses_action_masks = uses_action_masks
        self.rng = np.random.default_rng(seed)
        action_space.seed(seed)

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = True,
        action_masks: np.ndarray | None = None,
    ) -> tuple[np.ndarray, None]:
        batch = len(next(iter(observation.values())) if isinstance(observation, dict) else observation)
        if action_masks is None or not isinstance(self.action_space, gym.spaces.Discrete):
            return np.array([self.action_space.sample() for _ in range(batch)]), None
        masks = np.asarray(action_masks, dtype=bool).reshape(batch, -1)
        actions = [self.rng.choice(np.flatnonzero(row)) if row.any() else self.action_space.sample() for row in masks]
        return np.array(actions), None


def random_policy(env_config: EnvConfig, seed: int = 0) -> RandomPolicy:
    """A random policy over the action space of the env ``env_config`` builds (one env is built to read it)."""
    from rl.env_factory import make_evaluation_env

    env = make_evaluation_env(env_config.model_copy(update={"normalize": False}), seed=seed)
    try:
        return RandomPolicy(env.action_space, seed=seed, uses_action_masks=bool(env.has_attr("action_masks")))
    finally:
        env.close()
