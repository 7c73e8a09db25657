"""Baseline heuristics of a config's env: the config's own ``baselines:`` first, then those sagelab ships.

A baseline is an object with SB3's ``predict(observation, state=None, episode_start=None,
deterministic=True) -> (actions, state)``. A config names its own as ``name: module:callable``; the
callable is imported (never evaluated) and called with the env's ``env.kwargs``, as sagelab's own are.
"""

from __future__ import annotations

from typing import Any

import envs
from rl.config import RLConfig, resolve_baseline


def baseline_names(config: RLConfig) -> list[str]:
    """The baselines available for ``config``'s env, the config's own first (the first is the default)."""
    names = list(config.baselines)
    if config.env.id in envs.ENV_IDS:
        names += [name for name in envs.baseline_names(config.env.id) if name not in names]
    return names


def baseline_policy(config: RLConfig, name: str | None = None) -> Any:
    """Build the baseline ``name`` (default: the first of :func:`baseline_names`); KeyError if there is none."""
    names = baseline_names(config)
    if not names:
        raise KeyError(
            f"{config.env.name} has no baselines; add a 'baselines:' section (name: module:callable) to the config"
        )
    chosen = name or names[0]
    if chosen in config.baselines:
        return resolve_baseline(config.baselines[chosen])(**config.env.kwargs)
    if chosen not in names:
        raise KeyError(f"unknown baseline {chosen!r} for {config.env.name}; expected one of {', '.join(names)}")
    return envs.baseline_policy(config.env.name, chosen, **config.env.kwargs)


def strongest_baseline(config: RLConfig) -> str:
    """The baseline an agent of ``config`` must beat: the strongest its sagelab env declares, else the config's
    first (for a user's env the config's own list decides, its first being its default); KeyError if there is none.
    """
    if config.env.id in envs.ENV_IDS:
        return envs.strongest_baseline(config.env.id)
    names = baseline_names(config)
    if not names:
        raise KeyError(
            f"{config.env.name} has no baselines; add a 'baselines:' section (name: module:callable) to the config"
        )
    return names[0]
