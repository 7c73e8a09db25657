"""The metric log lines every job prints, ``name=value;``, and the regexes that read them.

Jobs print through :func:`format_metrics`; SageMaker reads the lines with :data:`METRIC_DEFINITIONS`
(one regex per name, handed to CreateTrainingJob), and the local runner with :func:`parse_metrics`,
which uses exactly those regexes. Declaring the names here keeps the three from drifting apart.
"""

from __future__ import annotations

import math
import re

RL_METRIC_NAMES: tuple[str, ...] = (
    "timesteps",
    "fps",
    "train_episode_reward",
    "train_episode_length",
    "eval_mean_reward",
    "eval_std_reward",
    "final_mean_reward",
    "final_std_reward",
)
FEATURES_METRIC_NAMES: tuple[str, ...] = (
    "raw_cv_score",
    "dfs_cv_score",
    "selected_cv_score",
    "selected_cv_std",
    "holdout_score",
    "raw_holdout_score",
    "n_candidates",
    "n_selected",
)
METRIC_NAMES: tuple[str, ...] = tuple(dict.fromkeys(RL_METRIC_NAMES + FEATURES_METRIC_NAMES))
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def format_metrics(**values: float | int) -> str:
    """One log line, e.g. ``timesteps=20000; eval_mean_reward=487.2;`` (names must be in METRIC_NAMES).

    Integers print whole, floats with 6 significant digits; non-finite values are left out (no regex
    could read them back, and SageMaker would drop them).
    """
    unknown = set(values) - set(METRIC_NAMES)
    if unknown:
        raise KeyError(f"unknown metric name(s) {sorted(unknown)}; declare them in contract.metrics")
    parts = []
    for name, value in values.items():
        if isinstance(value, int) and not isinstance(value, bool):
            parts.append(f"{name}={value};")
        elif math.isfinite(float(value)):
            parts.append(f"{name}={float(value):.6g};")
    return " ".join(parts)


def metric_regex(name: str) -> str:
    """The regex of one metric log line, with the value as its one group (SageMaker's convention)."""
    return rf"\b{re.escape(name)}=({_NUMBER});"


METRIC_DEFINITIONS: list[dict[str, str]] = [{"Name": name, "Regex": metric_regex(name)} for name in METRIC_NAMES]
_COMPILED = [(d["Name"], re.compile(d["Regex"])) for d in METRIC_DEFINITIONS]


def parse_metrics(line: str) -> dict[str, float]:
    """The metrics in one log line, parsed with exactly the regexes handed to SageMaker."""
    if "=" not in line:  # most log lines carry no metric; skip the 16 regexes
        return {}
    found = {}
    for name, pattern in _COMPILED:
        match = pattern.search(line)
        if match:
            found[name] = float(match.group(1))
    return found
