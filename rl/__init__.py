"""Reinforcement learning on Stable-Baselines3: train, checkpoint, evaluate, compare across seeds.

Notebook use::

    from experiments.config import load_job_config
    from rl import train, evaluate

    result = train(load_job_config("cartpole_ppo").config, seed=1)
    result.evaluation.mean_reward
    evaluate(result.model_dir, episodes=50)
"""

from __future__ import annotations

import importlib
from typing import Any

# Public names resolve lazily (PEP 562) so that importing a light submodule such as
# rl.stats does not pull in torch and Stable-Baselines3.
_EXPORTS = {
    "load_config": "rl.api",
    "train": "rl.api",
    "RLConfig": "rl.config",
    "Evaluation": "rl.evaluation",
    "evaluate": "rl.evaluation",
    "load_trained": "rl.evaluation",
    "TrainResult": "rl.job",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rl' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
