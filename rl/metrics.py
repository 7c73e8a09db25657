"""The metric log lines RL jobs print, in the ``name=value;`` form SageMaker's MetricDefinitions parse.

The job runner builds one regex per name in ``METRIC_NAMES`` (experiments.contract); the job prints
through :func:`format_metrics`. Keep both in this one place so the two can never drift apart.
"""

from __future__ import annotations

import math

METRIC_NAMES: tuple[str, ...] = (
    "timesteps",
    "fps",
    "train_episode_reward",
    "train_episode_length",
    "eval_mean_reward",
    "eval_std_reward",
    "final_mean_reward",
    "final_std_reward",
)


def format_metrics(**values: float | int) -> str:
    """One log line, e.g. ``timesteps=20000; eval_mean_reward=487.2;`` (names must be in METRIC_NAMES)."""
    unknown = set(values) - set(METRIC_NAMES)
    if unknown:
        raise KeyError(f"unknown metric name(s) {sorted(unknown)}; declare them in rl.metrics.METRIC_NAMES")
    parts = []
    for name, value in values.items():
        if isinstance(value, int) and not isinstance(value, bool):
            parts.append(f"{name}={value};")
        elif math.isfinite(float(value)):
            parts.append(f"{name}={float(value):.6g};")
    return " ".join(parts)
