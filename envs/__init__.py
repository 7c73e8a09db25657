"""Operations-research environments from the SageMaker RL examples, as Gymnasium 1.x environments.

Importing this package registers every environment under the ``envs/`` namespace, each with its
vectorized NumPy twin as the vector entry point::

    import gymnasium as gym
    import envs  # noqa: F401  (registers the environments)

    env = gym.make("envs/BinPacking-v0")
    vec = gym.make_vec("envs/BinPacking-v0", num_envs=1024, vectorization_mode="vector_entry_point")

Each module holds one problem, in one layout: a frozen ``<Name>Params`` dataclass with the source's defaults and
``make_params(**kwargs)`` (checks shared in :mod:`envs._params`), the scalar env ``<Name>Env(**params)`` whose
docstring is the spec (Gymnasium's sections: observation, action, rewards, start, episode end, arguments, source,
deviations, baselines), the vector twin ``<Name>VectorEnv(num_envs, **params)`` (both step one batched core, see
:mod:`envs._twin`) and the baselines the literature compares against, each a :class:`Policy` (:mod:`envs._policy`)
listed in the module's ``BASELINES``, the strongest named by its ``STRONGEST_BASELINE`` (the one an agent must beat;
the env docstring gives the numbers). ``baseline_policy`` and ``strongest_baseline`` look those up by env id.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from gymnasium.envs.registration import register, registry

from envs._policy import Policy

__all__ = ["ENV_IDS", "PROBLEMS", "Policy", "baseline_names", "baseline_policy", "strongest_baseline"]


@dataclass(frozen=True)
class _Problem:
    name: str
    module: str
    env_class: str
    vector_class: str


PROBLEMS: tuple[_Problem, ...] = (
    _Problem("BinPacking", "envs.bin_packing", "BinPackingEnv", "BinPackingVectorEnv"),
    _Problem("Newsvendor", "envs.newsvendor", "NewsvendorEnv", "NewsvendorVectorEnv"),
    _Problem("VehicleRouting", "envs.vehicle_routing", "VehicleRoutingEnv", "VehicleRoutingVectorEnv"),
    _Problem("Knapsack", "envs.knapsack", "KnapsackEnv", "KnapsackVectorEnv"),
    _Problem("Autoscaling", "envs.autoscaling", "AutoscalingEnv", "AutoscalingVectorEnv"),
    _Problem("Portfolio", "envs.portfolio", "PortfolioEnv", "PortfolioVectorEnv"),
)

ENV_IDS: tuple[str, ...] = tuple(f"envs/{p.name}-v0" for p in PROBLEMS)

for _p in PROBLEMS:
    _env_id = f"envs/{_p.name}-v0"
    if _env_id not in registry:
        register(
            id=_env_id,
            entry_point=f"{_p.module}:{_p.env_class}",
            vector_entry_point=f"{_p.module}:{_p.vector_class}",
        )


def _problem(env_id: str) -> _Problem:
    for p in PROBLEMS:
        if env_id in (f"envs/{p.name}-v0", p.name):
            return p
    raise KeyError(f"unknown sagelab env {env_id!r}; expected one of {', '.join(ENV_IDS)}")


def baseline_names(env_id: str) -> list[str]:
    """Names of the baseline heuristics shipped for ``env_id`` (the first is the default)."""
    module = importlib.import_module(_problem(env_id).module)
    return list(module.BASELINES)


def strongest_baseline(env_id: str) -> str:
    """The name of ``env_id``'s strongest baseline with its default parameters (its docstring says on what evidence)."""
    return str(importlib.import_module(_problem(env_id).module).STRONGEST_BASELINE)


def baseline_policy(env_id: str, name: str | None = None, **env_kwargs: object) -> Policy:
    """Build the baseline heuristic ``name`` (default: the env's first) for ``env_id``.

    The returned object is a :class:`Policy`: SB3's ``predict(observation, state=None, episode_start=None,
    deterministic=False) -> (actions, state)``, for single or batched observations. ``env_kwargs`` are the
    kwargs the env was built with (baselines read the env's parameters from them and ignore other keys).
    """
    module = importlib.import_module(_problem(env_id).module)
    names = list(module.BASELINES)
    chosen = name or names[0]
    if chosen not in module.BASELINES:
        raise KeyError(f"unknown baseline {chosen!r} for {env_id}; expected one of {', '.join(names)}")
    return module.BASELINES[chosen](**env_kwargs)
