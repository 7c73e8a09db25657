"""Comparisons over groups of runs: per group, per env, and normalized across envs (Agarwal et al. 2021).

Per group: IQM, median and mean of its runs' final returns with stratified-bootstrap intervals (rliable).
Per env: the probability that each agent group improves on each baseline of that env, and on each other
agent group while there are at most :data:`MAX_AGENTS_COMPARED` (a sweep's dozens of trials would make
hundreds of pairs). When an env has a measured random policy (the ``random`` baseline) and at least one
other baseline, every group's final returns are also normalized there: 0 is the random policy's mean final
return, 1 the best baseline's. Across envs: for each method (an agent's algorithm, MaskablePPO counted as
PPO; ``best baseline``; ``random``) present on every normalized env with one group each, the aggregates of
the normalized scores (IQM, median, mean, optimality gap under 1) and the performance profile, over the runs
of all envs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rl.grouping import Group, canonical, env_label
from rl.stats import (
    DEFAULT_REPS,
    IMPROVEMENT_REPS,
    Interval,
    aggregate_intervals,
    normalize,
    performance_profiles,
    probability_of_improvement,
)

RANDOM = "baseline:random"
BEST_BASELINE = "best baseline"
PROFILE_POINTS = 101
# An algorithm and its action-masking variant are one method across envs: the suite's masked envs need MaskablePPO.
ALGORITHM_FAMILIES: dict[str, str] = {"maskable_ppo": "ppo"}
# Profiles start at tau = -1: a run further below the random policy than the best baseline is above it shows as
# the profile's drop below 1 at the left edge; one such outlier (-155) would otherwise squeeze [0, 1] to a sliver.
PROFILE_FLOOR = -1.0
MAX_AGENTS_COMPARED = 6  # agent-vs-agent probabilities of improvement up to 15 pairs per env


def finals(group: Group) -> np.ndarray:
    """The group's per-run final mean returns, in seed order."""
    return np.array([run.mean_reward for run in group.runs], dtype=float)


@dataclass
class EnvComparison:
    """The groups of one env with their statistics, improvements and (if measured) normalized scores."""

    label: str
    groups: list[Group]
    statistics: dict[str, dict[str, Interval]]
    improvements: list[dict[str, Any]] = field(default_factory=list)
    random_score: float | None = None
    best_baseline: str | None = None
    best_score: float | None = None
    normalized: dict[str, dict[str, Interval]] = field(default_factory=dict)
    normalized_scores: dict[str, np.ndarray] = field(default_factory=dict)
    note: str | None = None


def _references(groups: list[Group]) -> tuple[Group | None, Group | None, str | None]:
    random = next((g for g in groups if g.algo == RANDOM), None)
    baselines = [g for g in groups if g.is_baseline and g.algo != RANDOM]
    if random is None or not baselines:
        missing = " and ".join(m for m, ok in (("a random policy", random), ("a baseline", baselines)) if not ok)
        return None, None, f"not normalized: no {missing} measured on this env (sagelab evaluate --baseline ...)"
    return random, max(baselines, key=lambda g: float(finals(g).mean())), None


def _pairs(groups: list[Group]) -> list[tuple[Group, Group]]:
    """Each agent against each baseline, and each pair of agents while there are few (a sweep has dozens)."""
    agents = [g for g in groups if not g.is_baseline]
    pairs = [(agent, baseline) for agent in agents for baseline in groups if baseline.is_baseline]
    if len(agents) <= MAX_AGENTS_COMPARED:
        pairs += [(x, y) for i, x in enumerate(agents) for y in agents[i + 1 :]]
    return pairs


def compare_env(groups: list[Group], label: str, *, reps: int = DEFAULT_REPS, seed: int = 0) -> EnvComparison:
    """Statistics of every group of one env, agents' probabilities of improvement, normalized scores."""
    statistics = {g.label: aggregate_intervals(finals(g), reps=reps, seed=seed) for g in groups}
    comparison = EnvComparison(label, groups, statistics)
    for agent, other in _pairs(groups):
        interval = probability_of_improvement(finals(agent), finals(other), reps=min(reps, IMPROVEMENT_REPS), seed=seed)
        comparison.improvements.append({"x": agent.label, "y": other.label, "probability": interval})
    random, best, comparison.note = _references(groups)
    if random is None or best is None:
        return comparison
    comparison.random_score, comparison.best_score = float(finals(random).mean()), float(finals(best).mean())
    comparison.best_baseline = best.label
    try:
        for group in groups:
            scores = normalize(finals(group), comparison.random_score, comparison.best_score)
            comparison.normalized_scores[group.label] = scores
            comparison.normalized[group.label] = aggregate_intervals(
                scores, ("iqm", "median", "mean", "optimality_gap"), reps=reps, seed=seed
            )
    except ValueError as error:
        comparison.normalized, comparison.normalized_scores, comparison.note = {}, {}, f"not normalized: {error}"
    return comparison


def compare_envs(groups: list[Group], *, reps: int = DEFAULT_REPS, seed: int = 0) -> list[EnvComparison]:
    """One :class:`EnvComparison` per env (env id, kwargs, wrappers), in the order of the groups."""
    by_env: dict[str, list[Group]] = defaultdict(list)
    for group in groups:
        by_env[canonical(group.env)].append(group)
    envs = [members[0].env for members in by_env.values()]
    return [compare_env(members, env_label(members[0].env, envs), reps=reps, seed=seed) for members in by_env.values()]


def profile_thresholds(normalized: np.ndarray) -> np.ndarray:
    """The performance profile's thresholds tau: from 0 (or the lowest score, but not below
    :data:`PROFILE_FLOOR`) to 1 (or the highest score)."""
    low = max(min(0.0, float(np.min(normalized))), PROFILE_FLOOR)
    return np.linspace(low, max(1.0, float(np.max(normalized))), PROFILE_POINTS)


@dataclass
class CrossEnv:
    """Normalized scores of each method over the envs where all methods were measured."""

    envs: list[str]
    methods: dict[str, dict[str, str]]  # method -> env -> group label
    runs: int
    aggregates: dict[str, dict[str, Interval]]
    thresholds: np.ndarray
    profiles: dict[str, np.ndarray]
    profile_bands: dict[str, np.ndarray]
    notes: list[str]


def _method(comparison: EnvComparison, group: Group) -> str | None:
    """The group's method across envs; None for a baseline that is neither random nor the env's best."""
    if group.label == comparison.best_baseline:
        return BEST_BASELINE
    if group.algo == RANDOM:
        return "random"
    if group.is_baseline:
        return None
    return ALGORITHM_FAMILIES.get(group.algo, group.algo)


def cross_env(comparisons: list[EnvComparison], *, reps: int = DEFAULT_REPS, seed: int = 0) -> CrossEnv | None:
    """The cross-env comparison, or None when fewer than two envs are normalized.

    A method counts on an env when it has exactly one group there; a method must be on every normalized
    env. Every env contributes the same number of runs (the smallest count; the first seeds of each group),
    because rliable's stratified bootstrap takes a (runs, envs) matrix.
    """
    normalized = [c for c in comparisons if c.normalized_scores]
    if len(normalized) < 2:
        return None
    placed: dict[str, dict[str, str]] = defaultdict(dict)
    notes: list[str] = []
    for comparison in normalized:
        counted: dict[str, list[str]] = defaultdict(list)
        for group in comparison.groups:
            method = _method(comparison, group)
            if method is not None:
                counted[method].append(group.label)
        for method, labels in counted.items():
            if len(labels) == 1:
                placed[method][comparison.label] = labels[0]
            else:
                notes.append(
                    f"{comparison.label}: {len(labels)} groups of {method} ({', '.join(labels)}); none is counted"
                )
    env_labels = [c.label for c in normalized]
    methods = {m: envs for m, envs in placed.items() if set(envs) == set(env_labels)}
    notes += [
        f"{m} is left out: measured on {len(e)} of {len(env_labels)} envs"
        for m, e in placed.items()
        if m not in methods
    ]
    if not methods:
        return None
    scores = {c.label: c.normalized_scores for c in normalized}
    runs = min(len(scores[env][label]) for envs in methods.values() for env, label in envs.items())
    matrices = {
        method: np.column_stack([scores[env][envs[env]][:runs] for env in env_labels])
        for method, envs in methods.items()
    }
    aggregates = {
        m: aggregate_intervals(x, ("iqm", "median", "mean", "optimality_gap"), reps=reps, seed=seed)
        for m, x in matrices.items()
    }
    thresholds = profile_thresholds(np.concatenate([x.ravel() for x in matrices.values()]))
    profiles, bands = performance_profiles(matrices, thresholds, reps=reps, seed=seed)
    return CrossEnv(env_labels, methods, runs, aggregates, thresholds, profiles, bands, notes)
