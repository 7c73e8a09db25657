"""Shared machinery of a scalar env and its vectorized NumPy twin, for problems whose episode
randomness is drawn up front at reset.

A *core* holds the state of N sub-envs as arrays and steps them all at once; the scalar env is
a core with N = 1 driven by the env's own ``np_random``, the vector twin a core with N = num_envs
and one generator per sub-env (sub-env i seeded ``s + i``, as ``SyncVectorEnv``). A sub-env draws
its whole episode (item sizes, demands, ...) from its generator when it resets, so the twin
reproduces N scalar envs exactly, autoresets included, while a step is pure array arithmetic.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from envs._params import int_at_least


class Core(Protocol):
    """The batched state of N sub-envs."""

    def reset_rows(self, rows: np.ndarray, rngs: list[np.random.Generator]) -> None: ...

    def observations(self) -> np.ndarray: ...

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]: ...

    def masks(self) -> np.ndarray | None: ...


def masked_info(info: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """Gymnasium's batched info for the sub-envs in ``rows``: values zeroed elsewhere, plus ``_key`` masks."""
    out: dict[str, np.ndarray] = {}
    if not rows.any():
        return out
    for key, value in info.items():
        keep = rows.reshape(-1, *([1] * (value.ndim - 1)))
        out[key], out[f"_{key}"] = np.where(keep, value, np.zeros_like(value)), rows.copy()
    return out


def _masks_of(core: Core) -> np.ndarray:
    """The action masks of a masked problem's core (whose ``masks`` returns them, never None)."""
    masks = core.masks()
    if masks is None:
        raise TypeError(f"{type(core).__name__}.masks() returned None: the core of a masked env returns its masks")
    return masks


class ScalarTwinEnv(gym.Env):
    """A Gymnasium env driven by a core of one sub-env. Subclasses set the spaces and ``self._core``."""

    _core: Core
    #: Whether ``step`` returns the core's per-row info as Python scalars (``.item()``), as a hand-written env
    #: does; ``SyncVectorEnv`` batches those into typed arrays but NumPy bools into object arrays.
    python_info_scalars: bool = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._core.reset_rows(np.array([0]), [self.np_random])
        return self._core.observations()[0], self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if not self.action_space.contains(np.asarray(action, dtype=self.action_space.dtype)):
            raise ValueError(f"action {action!r} is not in the action space {self.action_space}")
        actions = np.asarray(action, dtype=self.action_space.dtype)[None, ...]
        reward, terminated, truncated, info = self._core.step(actions)
        scalars = self.python_info_scalars
        out = {key: value[0].item() if scalars and value.ndim == 1 else value[0] for key, value in info.items()}
        out.update(self._info())
        return self._core.observations()[0], float(reward[0]), bool(terminated[0]), bool(truncated[0]), out

    def _info(self) -> dict[str, Any]:
        masks = self._core.masks()
        return {} if masks is None else {"action_mask": masks[0]}


class MaskedScalarTwinEnv(ScalarTwinEnv):
    """A scalar twin env whose problem has invalid actions."""

    def action_masks(self) -> np.ndarray:
        """Valid actions in the current state (for sb3-contrib's MaskablePPO)."""
        return _masks_of(self._core)[0]


class VectorTwinEnv(VectorEnv):
    """N sub-envs of a core stepped together, same-step autoreset (``final_obs``/``final_info`` in infos)."""

    metadata: dict[str, Any] = {  # noqa: RUF012 -- gymnasium declares it an instance attribute; ClassVar fails mypy
        "autoreset_mode": AutoresetMode.SAME_STEP,
        "render_modes": [],
    }

    def _init_twin(self, num_envs: int, core: Core, observation_space: gym.Space, action_space: gym.Space) -> None:
        self.num_envs = int_at_least("num_envs", num_envs)
        self.single_observation_space = observation_space
        self.single_action_space = action_space
        self.observation_space = batch_space(observation_space, self.num_envs)
        self.action_space = batch_space(action_space, self.num_envs)
        self._core = core
        # unseeded until a reset gives seeds (a reset with seed=None keeps each sub-env's stream going)
        self._rngs = [seeding.np_random()[0] for _ in range(self.num_envs)]

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if seed is None or isinstance(seed, (int, Integral)):  # int: for mypy, NumPy integers are Integral too
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        elif len(seed) == self.num_envs:
            seeds = list(seed)
        else:
            raise ValueError(f"seed must be None, an int or a list of {self.num_envs} seeds, got {seed!r}")
        for i, s in enumerate(seeds):
            if s is not None:
                self._rngs[i], _ = seeding.np_random(s)
        self._core.reset_rows(np.arange(self.num_envs), self._rngs)
        return self._core.observations(), self._mask_info()

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        actions = np.asarray(actions, dtype=self.single_action_space.dtype)
        if actions.shape != self.action_space.shape or not self.action_space.contains(actions):
            raise ValueError(f"actions must lie in {self.action_space}, got shape {actions.shape}")
        reward, terminated, truncated, info = self._core.step(actions)
        done = terminated | truncated
        infos: dict[str, Any] = {}
        if done.any():
            observations = self._core.observations()
            final_obs = np.full(self.num_envs, None, dtype=object)
            rows = np.flatnonzero(done)
            for i in rows:
                final_obs[i] = observations[i]
            infos.update(final_obs=final_obs, _final_obs=done.copy())
            infos.update(final_info=masked_info(info, done), _final_info=done.copy())
            self._core.reset_rows(rows, [self._rngs[i] for i in rows])
        infos.update(masked_info(info, ~done))
        infos.update(self._mask_info())
        return self._core.observations(), reward, terminated, truncated, infos

    def _mask_info(self) -> dict[str, np.ndarray]:
        masks = self._core.masks()
        return {} if masks is None else {"action_mask": masks, "_action_mask": np.ones(self.num_envs, bool)}


class MaskedVectorTwinEnv(VectorTwinEnv):
    """A vector twin whose problem has invalid actions."""

    def action_masks(self) -> np.ndarray:
        """Valid actions of every sub-env (bool, ``[num_envs, n_actions]``)."""
        return _masks_of(self._core)
