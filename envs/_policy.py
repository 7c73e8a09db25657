"""The shape every baseline shares: Stable-Baselines3's ``predict``, over one observation or a batch."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Policy(Protocol):
    """What sagelab evaluates: anything with SB3's ``BasePolicy.predict`` signature (models and baselines)."""

    def predict(
        self,
        observation: np.ndarray,
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]: ...


class BaselinePolicy(ABC):
    """Base of the shipped heuristics: checks the observation's shape, batches it, calls :meth:`_act`.

    Subclasses set ``observation_size`` and define ``_act(batch [n, size]) -> actions [n, ...]``; a policy that
    keeps per-episode memory also overrides :meth:`reset_plans`. ``state`` is passed through unchanged (the
    heuristics are not recurrent) and ``deterministic`` is ignored (they are deterministic).
    """

    observation_size: int

    def predict(
        self,
        observation: np.ndarray,
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """Actions for one observation ``[size]`` or a batch ``[n_envs, size]``, and ``state`` unchanged."""
        obs = np.asarray(observation)
        if obs.ndim not in (1, 2) or obs.shape[-1] != self.observation_size:
            raise ValueError(
                f"observation must have shape ({self.observation_size},) or (n_envs, {self.observation_size}), "
                f"got {obs.shape}"
            )
        batch = obs.reshape(-1, self.observation_size)
        if episode_start is not None:
            self.reset_plans(np.flatnonzero(np.asarray(episode_start).reshape(-1)))
        actions = self._act(batch)
        return (actions if obs.ndim == 2 else actions[0]), state

    def reset_plans(self, rows: np.ndarray) -> None:
        """Forget what the policy remembers of the episodes in ``rows`` (called for SB3's ``episode_start``).

        The shipped heuristics but the MIP are memoryless: by default there is nothing to forget."""
        del rows

    @abstractmethod
    def _act(self, batch: np.ndarray) -> np.ndarray:
        """The actions ``[n, ...]`` for a batch of observations ``[n, observation_size]``."""
