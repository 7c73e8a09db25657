"""A corridor: walk right to the exit, avoid the walls (a starter env; replace it with your problem)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class CorridorEnv(gym.Env):
    """Walk along a corridor of ``length`` cells to the exit at the right end.

    ## Observation space
    ``Box(0, 1, (2,), float32)``: the position as a fraction of the length, and the fraction of the step
    budget used.

    ## Action space
    ``Discrete(3)``: 0 = step left, 1 = stay, 2 = step right. With probability ``slip`` the agent stays.

    ## Reward
    ``+1`` on reaching the exit, ``-0.01`` for every other step.

    ## Start state
    A random cell in the left half of the corridor.

    ## Episode end
    Terminates at the exit; truncates after ``max_steps`` steps.

    :param length: number of cells
    :param slip: probability that a move does not happen
    :param max_steps: step budget of an episode
    """

    metadata: dict[str, Any] = {"render_modes": []}  # an instance attribute in gymnasium.Env, as here

    def __init__(self, length: int = 10, slip: float = 0.1, max_steps: int = 100) -> None:
        self.length, self.slip, self.max_steps = int(length), float(slip), int(max_steps)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float32)
        self.action_space = spaces.Discrete(3)
        self._position, self._steps = 0, 0

    def _observation(self) -> np.ndarray:
        return np.array([self._position / (self.length - 1), self._steps / self.max_steps], dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._position = int(self.np_random.integers(0, self.length // 2))
        self._steps = 0
        return self._observation(), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self.np_random.random() >= self.slip:
            self._position = int(np.clip(self._position + int(action) - 1, 0, self.length - 1))
        self._steps += 1
        terminated = self._position == self.length - 1
        truncated = not terminated and self._steps >= self.max_steps
        return self._observation(), 1.0 if terminated else -0.01, terminated, truncated, {}


class GoRight:
    """The obvious heuristic: always step right. Has SB3's ``predict`` signature, for single or batched observations."""

    def predict(
        self, observation: np.ndarray, state: Any = None, episode_start: Any = None, deterministic: bool = True
    ) -> tuple[np.ndarray, Any]:
        batch = np.asarray(observation).reshape(-1, 2).shape[0]
        actions = np.full(batch, 2, dtype=np.int64)
        return (actions if np.asarray(observation).ndim > 1 else actions[0]), state


def make_go_right(**env_kwargs: Any) -> GoRight:
    """The config's ``baselines:`` entry; it is called with the env's ``env.kwargs``."""
    return GoRight()
