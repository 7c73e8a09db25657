"""Build the SB3 vectorized environments a job trains and evaluates on, from an ``EnvConfig``."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import (
    DummyVecEnv,
    SubprocVecEnv,
    VecEnv,
    VecFrameStack,
    VecNormalize,
)

import envs  # noqa: F401  (registers the sagelab environments)
from rl.arrays import apply_statistics
from rl.config import EnvConfig
from rl.env_spec import env_maker
from rl.wrapper_paths import anchored


def _make_wrapped(maker: Any, specs: list[tuple[type, dict[str, Any]]], **kwargs: Any) -> gym.Env:
    # The configured wrappers go inside SB3's Monitor (make_vec_env adds it around what this returns): an
    # episode a wrapper ends (TimeLimit) must be an episode the Monitor records, or evaluate_policy, which
    # counts the Monitor's episodes, never finishes.
    env = gym.make(maker, **kwargs) if isinstance(maker, str) else maker(**kwargs)
    for wrapper, wrapper_kwargs in specs:
        env = wrapper(env, **wrapper_kwargs)
    return env


def _anchored_specs(config: EnvConfig, files_under: str) -> list[tuple[type, dict[str, Any]]]:
    return [(wrapper, anchored(wrapper, kwargs, files_under)) for wrapper, kwargs in config.wrapper_specs()]


def make_env(config: EnvConfig, *, n_envs: int, seed: int, files_under: str = "") -> VecEnv:
    """N seeded copies of the env (or its vector twin) with the configured wrappers and episode monitor.

    Normalization is not applied here: see :func:`make_training_env` and :func:`make_evaluation_env`.
    Files the wrappers write go under the directory :func:`rl.wrapper_paths.inside` names, in ``files_under``.
    """
    if config.vectorized:
        from rl.vector_env import make_sb3_vec_env

        # config.name is the id: a vectorized env is a registered sagelab id (validated)
        venv = make_sb3_vec_env(config.name, n_envs=n_envs, seed=seed, env_kwargs=dict(config.kwargs))
    else:
        # the id (gymnasium.make imports a module: prefix) or the env.entry_point class (pickles by reference)
        maker = env_maker(config.id, config.entry_point)
        venv = make_vec_env(
            # partial of a module-level function so SubprocVecEnv can pickle it
            functools.partial(_make_wrapped, maker, _anchored_specs(config, files_under)) if config.wrappers else maker,
            n_envs=n_envs,
            seed=seed,
            env_kwargs=dict(config.kwargs),
            vec_env_cls=SubprocVecEnv if config.vec_env == "subproc" else DummyVecEnv,
        )
    if config.frame_stack:
        venv = VecFrameStack(venv, n_stack=config.frame_stack)
    return venv


def make_training_env(
    config: EnvConfig, *, seed: int, gamma: float, statistics: Mapping[str, np.ndarray] | None = None
) -> VecEnv:
    """The training env; with normalization, saved ``statistics`` (see :mod:`rl.arrays`) are resumed when given."""
    venv = make_env(config, n_envs=config.n_envs, seed=seed)
    norm = config.normalization
    if norm is None:
        return venv
    normalizer = VecNormalize(
        venv,
        norm_obs=norm.norm_obs,
        norm_reward=norm.norm_reward,
        clip_obs=norm.clip_obs,
        clip_reward=norm.clip_reward,
        gamma=gamma,
    )
    if statistics is not None:
        apply_statistics(normalizer, statistics)
    return normalizer


def make_evaluation_env(
    config: EnvConfig, *, seed: int, statistics: Mapping[str, np.ndarray] | None = None, n_envs: int = 1
) -> VecEnv:
    """An evaluation env of ``n_envs`` sub-envs (seeded ``seed + i``): frozen normalization statistics, raw rewards."""
    # the same wrapper stack as training (a vector twin when vectorized), so that SB3 can sync
    # normalization statistics wrapper by wrapper; a twin's sub-env steps exactly like the scalar env
    venv = make_env(config.model_copy(update={"vec_env": "dummy"}), n_envs=n_envs, seed=seed, files_under="evaluation")
    if config.normalization is None:
        return venv
    norm = config.normalization
    normalizer = VecNormalize(venv, norm_obs=norm.norm_obs, norm_reward=False, clip_obs=norm.clip_obs)
    if statistics is not None:
        apply_statistics(normalizer, statistics)
    normalizer.training = False
    return normalizer
