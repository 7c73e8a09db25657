"""Exploration noise of off-policy continuous-control algorithms (TD3, DDPG, SAC, TQC), written as data.

SB3 takes an ``action_noise`` object sized to the action space; a config writes it as RL Zoo's
``noise_type``/``noise_std`` pair does, ``action_noise: {type: normal, std: 0.1}``, and the object is built
when the model is, from the env's action space.
"""

from __future__ import annotations

from typing import Any

NOISE_TYPES: tuple[str, ...] = ("normal", "ornstein_uhlenbeck")


def check_action_noise(value: Any) -> None:
    """A ValueError unless ``value`` is ``{type: normal|ornstein_uhlenbeck, std: <positive number>}``."""
    if not isinstance(value, dict) or set(value) - {"type", "std"} or "type" not in value:
        raise ValueError(f"action_noise must be {{type: {'|'.join(NOISE_TYPES)}, std: <number>}}, got {value!r}")
    if value["type"] not in NOISE_TYPES:
        raise ValueError(f"action_noise.type {value['type']!r} is not one of {', '.join(NOISE_TYPES)}")
    std = value.get("std", 0.1)
    if isinstance(std, bool) or not isinstance(std, int | float) or not std > 0:
        raise ValueError(f"action_noise.std must be a positive number, got {std!r}")


def build_action_noise(value: dict[str, Any], action_space: Any) -> Any:
    """SB3's noise object for ``value`` (checked by :func:`check_action_noise`) over a Box ``action_space``."""
    import numpy as np
    from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise

    size = int(np.prod(action_space.shape))
    mean, sigma = np.zeros(size), float(value.get("std", 0.1)) * np.ones(size)
    if value["type"] == "normal":
        return NormalActionNoise(mean=mean, sigma=sigma)
    return OrnsteinUhlenbeckActionNoise(mean=mean, sigma=sigma)
