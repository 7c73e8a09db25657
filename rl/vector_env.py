"""Train SB3 on a Gymnasium ``VectorEnv`` (the NumPy twins of ``envs``) as if it were a ``DummyVecEnv``.

Gymnasium vector envs and SB3 ``VecEnv``\\ s differ in their conventions: Gymnasium returns
``(obs, rewards, terminated, truncated, infos)`` with one info *dict of arrays* (``_key`` masks mark the
sub-envs that set ``key``); SB3 returns ``(obs, rewards, dones, infos)`` with one info dict per sub-env,
the last observation of an episode in ``info["terminal_observation"]`` and the truncation flag in
``info["TimeLimit.truncated"]``. Both autoreset in the same step when the Gymnasium env uses
``AutoresetMode.SAME_STEP``, which :class:`GymnasiumVecEnvAdapter` requires, so the conversion is exact.

Episode statistics come from SB3's own ``VecMonitor`` (see :func:`make_sb3_vec_env`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper
from gymnasium.wrappers.vector import DictInfoToList
from stable_baselines3.common.vec_env import VecEnv, VecMonitor
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvObs, VecEnvStepReturn

import envs  # noqa: F401  (registers the sagelab environments for make_sb3_vec_env)


class GymnasiumVecEnvAdapter(VecEnv):
    """An SB3 ``VecEnv`` backed by one Gymnasium ``VectorEnv`` with same-step autoreset.

    Transitions equal those of SB3's ``DummyVecEnv`` over the corresponding scalar envs with the same seeds:
    ``reset()`` passes the seeds set by :meth:`seed` (``seed + i`` for sub-env ``i``, handed to the vector env
    as the single ``seed``, which Gymnasium spreads the same way) and the options set by ``set_options``;
    ``reset_infos`` holds the per-env reset infos. Rewards are float32, as in ``DummyVecEnv``.

    The sub-envs of a vector env are not separate objects, so the attribute and method helpers act on the
    vector env itself: ``get_attr(name)`` returns its attribute once per requested index (sub-envs share their
    parameters); ``env_method(name)`` calls its method once and, if the result has one row per sub-env (an
    array or sequence of length ``num_envs``), returns the rows of the requested indices, else the result for
    each index. So ``env_method("action_masks")`` yields the per-env masks sb3-contrib's ``MaskablePPO``
    stacks. ``set_attr`` sets the attribute on the vector env and therefore only for all indices at once.

    :param venv: the Gymnasium vector env; its ``metadata["autoreset_mode"]`` must be ``SAME_STEP``.
    """

    def __init__(self, venv: VectorEnv) -> None:
        if not isinstance(venv, VectorEnv):
            raise TypeError(f"venv must be a gymnasium.vector.VectorEnv, got {type(venv).__name__}")
        mode = venv.metadata.get("autoreset_mode")
        if mode != AutoresetMode.SAME_STEP:
            raise ValueError(
                f"venv.metadata['autoreset_mode'] must be AutoresetMode.SAME_STEP (SB3 resets in the step that "
                f"ends an episode), got {mode!r}"
            )
        self.venv = venv
        # Gymnasium's own converter from its dict-of-arrays infos to one dict per sub-env.
        self._list_infos = DictInfoToList(venv)
        self._actions: np.ndarray | None = None
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)

    def reset(self) -> VecEnvObs:
        """Reset every sub-env with the pending seeds/options (then forget them, as ``DummyVecEnv``)."""
        options = self._options[0]
        if any(o != options for o in self._options):
            raise ValueError(
                f"options must be the same for every sub-env of a vector env (it takes one options dict), "
                f"got {self._options!r}"
            )
        # Gymnasium annotates seed as int | None, but its vector envs (and our twins) take one seed per sub-env too
        seed = self._vector_seed()
        obs, infos = self._list_infos.reset(seed=seed, options=options or None)  # type: ignore[arg-type]
        self.reset_infos = infos
        self._reset_seeds()
        self._reset_options()
        return obs

    def _vector_seed(self) -> int | list[int | None] | None:
        seeds = self._seeds
        if all(s is None for s in seeds):
            return None
        first = seeds[0]
        if first is not None and all(s == first + i for i, s in enumerate(seeds)):
            return int(first)  # the vector env seeds sub-env i with seed + i itself
        return list(seeds)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("step_wait() called without a pending step_async(actions)")
        obs, rewards, terminated, truncated, list_infos = self._list_infos.step(self._actions)
        self._actions = None
        terminated, truncated = np.asarray(terminated, bool), np.asarray(truncated, bool)
        dones = terminated | truncated
        infos: list[dict[str, Any]] = []
        for i, info in enumerate(list_infos):
            if dones[i]:
                # Same-step autoreset: the top-level info is the new episode's reset info, the ended
                # episode's last step info and observation are under final_info / final_obs.
                final_info = dict(info.get("final_info", {}))
                final_info["terminal_observation"] = info["final_obs"]
                self.reset_infos[i] = {k: v for k, v in info.items() if k not in ("final_info", "final_obs")}
                info = final_info
            info["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            infos.append(info)
        return obs, np.asarray(rewards, dtype=np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The vector env's attribute ``attr_name`` once per index; ``AttributeError`` if it has none."""
        value = getattr(self.venv, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set ``attr_name`` on the vector env (shared by all sub-envs, so ``indices`` must cover all)."""
        wanted = sorted(set(self._get_indices(indices)))
        if wanted != list(range(self.num_envs)):
            raise ValueError(
                f"indices must select all {self.num_envs} sub-envs of a vector env (they share attributes), "
                f"got {indices!r}"
            )
        setattr(self.venv, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        """Call the vector env's method once; split a per-sub-env result (length ``num_envs``) by index."""
        result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
        rows = isinstance(result, (np.ndarray, Sequence)) and not isinstance(result, str)
        per_env = rows and len(result) == self.num_envs
        return [result[i] if per_env else result for i in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        """Whether ``wrapper_class`` wraps the vector env, or (for a ``SyncVectorEnv``) the sub-env.

        A vector entry-point twin has no per-sub-env wrappers, so for it this is ``False`` unless the vector
        env itself is wrapped by ``wrapper_class``; the sub-envs of an ``AsyncVectorEnv`` live in other
        processes and report ``False``.
        """
        layer: Any = self.venv
        while isinstance(layer, VectorWrapper):
            if isinstance(layer, wrapper_class):
                return [True for _ in self._get_indices(indices)]
            layer = layer.env
        if isinstance(layer, wrapper_class):
            return [True for _ in self._get_indices(indices)]
        if isinstance(layer, gym.vector.SyncVectorEnv):
            from stable_baselines3.common.env_util import is_wrapped

            return [is_wrapped(layer.envs[i], wrapper_class) for i in self._get_indices(indices)]
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        if self.render_mode != "rgb_array":
            warnings.warn(f"The render mode is {self.render_mode}, but get_images() needs 'rgb_array'.", stacklevel=2)
            return [None for _ in range(self.num_envs)]
        frames = self.venv.render()
        return [None for _ in range(self.num_envs)] if frames is None else [np.asarray(frame) for frame in frames]


def make_sb3_vec_env(env_id: str, n_envs: int, seed: int | None, env_kwargs: dict[str, Any]) -> VecEnv:
    """``VecMonitor(GymnasiumVecEnvAdapter(...))`` over the vector entry point (the NumPy twin) of ``env_id``.

    :param env_id: a registered id whose spec has a ``vector_entry_point`` (every ``envs/...-v0``).
    :param n_envs: number of sub-environments.
    :param seed: seed of sub-env 0 at the first ``reset()`` (sub-env ``i`` gets ``seed + i``); ``None`` for
        fresh entropy.
    :param env_kwargs: keyword parameters of the environment.
    :return: an SB3 ``VecEnv`` whose infos carry VecMonitor's ``episode`` statistics.
    """
    venv = gym.make_vec(env_id, num_envs=n_envs, vectorization_mode="vector_entry_point", **env_kwargs)
    adapter = GymnasiumVecEnvAdapter(venv)
    if seed is not None:
        adapter.seed(seed)
    return VecMonitor(adapter)
