"""Build SB3 algorithms from an ``AlgoConfig`` (saving and loading them: :mod:`rl.saved_model`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from rl.action_noise import build_action_noise
from rl.algorithm_specs import algorithm_spec, default_policy
from rl.config import AlgoConfig, algorithm_class
from rl.hyperparameters import ACTIVATION_FUNCTIONS, OPTIMIZERS
from rl.schedules import resolve_schedules


def sb3_kwargs(config: AlgoConfig) -> dict[str, Any]:
    """The constructor kwargs for SB3: schedules, activation/optimizer names and tuples resolved."""
    kwargs = resolve_schedules(dict(config.hyperparameters))
    policy_kwargs = dict(kwargs.pop("policy_kwargs", None) or {})
    if "activation_fn" in policy_kwargs:
        policy_kwargs["activation_fn"] = getattr(torch.nn, ACTIVATION_FUNCTIONS[policy_kwargs["activation_fn"]])
    if "optimizer_class" in policy_kwargs:
        policy_kwargs["optimizer_class"] = getattr(torch.optim, OPTIMIZERS[policy_kwargs["optimizer_class"]])
    if policy_kwargs:
        kwargs["policy_kwargs"] = policy_kwargs
    # YAML has no tuples; SB3 expects train_freq as int or (int, "step"|"episode").
    if isinstance(kwargs.get("train_freq"), list):
        kwargs["train_freq"] = tuple(kwargs["train_freq"])
    return kwargs


def build_algorithm(
    config: AlgoConfig, env: VecEnv, *, seed: int, device: str, tensorboard_log: Path | None
) -> BaseAlgorithm:
    """A new SB3 model for ``env``."""
    cls = algorithm_class(config.name)
    dict_observations = isinstance(env.observation_space, spaces.Dict)
    kwargs = sb3_kwargs(config)
    if isinstance(kwargs.get("action_noise"), dict):  # written as data; sized to the env's action space here
        kwargs["action_noise"] = build_action_noise(kwargs["action_noise"], env.action_space)
    return cls(
        config.policy or default_policy(config.name, dict_observations=dict_observations),
        env,
        seed=seed,
        device=device,
        verbose=0,
        tensorboard_log=str(tensorboard_log) if tensorboard_log else None,
        **kwargs,
    )


def gamma_of(config: AlgoConfig) -> float:
    """The discount factor the algorithm will use (needed by reward normalization)."""
    import inspect

    if not algorithm_spec(config.name).has_gamma:
        return 0.99  # VecNormalize's default discount for the reward statistics
    default = inspect.signature(algorithm_class(config.name)).parameters["gamma"].default
    return float(config.hyperparameters.get("gamma", default))
