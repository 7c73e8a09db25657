"""The training seeds of one config against one baseline, on the same evaluation episodes (issue 20's protocol).

Every agent (one per training seed) and the baseline play the same episodes, so each seed's difference to
the baseline is paired episode by episode (:func:`rl.stats.paired_difference_ci`). A slow baseline may play
only the first ``M`` of the agents' episodes: the differences are then taken over those ``M``. Across seeds,
each seed's mean difference is one run: their IQM and mean get rliable's stratified-bootstrap intervals over
the seeds (:func:`rl.stats.aggregate_intervals`), and the probability of improvement is the chance that an
agent run's mean over the paired episodes exceeds the baseline's (:func:`rl.stats.probability_of_improvement`,
the baseline being a single run: it is evaluated once, not once per seed). Those statistics treat the runs
as independent draws of one config's training: for anything else (a job and its checkpoints, which share one
training seed; jobs of different configs) :func:`across_seeds_problem` says why, and only the per-run
comparisons are made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rl.config import RLConfig
from rl.grouping import ENV_KEYS
from rl.stats import (
    DEFAULT_REPS,
    IMPROVEMENT_REPS,
    Interval,
    aggregate_intervals,
    paired_difference_ci,
    probability_of_improvement,
    stratified_bootstrap_ci,
)


def check_same_env(configs: Mapping[str, RLConfig]) -> None:
    """Refuse runs evaluated on different envs: a paired comparison needs the same episodes for all.

    Compared are the settings that make the env a task (:data:`rl.grouping.ENV_KEYS`: id, entry point, kwargs,
    wrappers, frame stacking); training-only settings (copies, normalization) may differ.

    :param configs: each run's label (its job directory) -> its config.
    :raises ValueError: naming the setting, the two runs and their values.
    """
    (first, reference), *others = configs.items()
    for label, config in others:
        for key in ENV_KEYS:
            field = key.removeprefix("env.")
            seen, expected = getattr(config.env, field), getattr(reference.env, field)
            if seen != expected:
                raise ValueError(
                    f"{label} was trained on another env than {first}: {key} is {seen!r} there and {expected!r} "
                    "here; pass the training seeds of one config (same env settings)"
                )


# Settings that may differ between seeds of one config: they name a run or say where it runs, not what it learns.
_NOT_TRAINING = {"seed", "name", "device", "torch_threads", "checkpoint"}


def across_seeds_problem(configs: Mapping[str, RLConfig]) -> str | None:
    """Why statistics across training seeds do not apply to these runs, or None when they do.

    They apply to two or more runs of one config (every setting that shapes training equal, the seed apart) with
    distinct training seeds, each read from the run's saved config.

    :param configs: each run's label (its job directory) -> its config.
    """
    if len(configs) < 2:
        return "a single training run"
    first: dict[int, str] = {}
    for label, config in configs.items():
        if config.seed in first:
            return (
                f"{first[config.seed]} and {label} share training seed {config.seed} (one training run, e.g. a job "
                "and its checkpoints)"
            )
        first[config.seed] = label
    (reference_label, reference), *others = configs.items()
    expected = reference.model_dump(mode="json", exclude=_NOT_TRAINING)
    for label, config in others:
        difference = _first_difference(config.model_dump(mode="json", exclude=_NOT_TRAINING), expected)
        if difference is not None:
            key, seen, wanted = difference
            return (
                f"{label} and {reference_label} are different configs ({key} is {seen!r} there and {wanted!r} here), "
                "not seeds of one"
            )
    return None


def _first_difference(seen: Any, expected: Any, prefix: str = "") -> tuple[str, Any, Any] | None:
    """The first dotted key whose values differ, with both values."""
    if isinstance(seen, dict) and isinstance(expected, dict):
        for key in sorted(seen.keys() | expected.keys()):
            found = _first_difference(seen.get(key), expected.get(key), f"{prefix}{key}.")
            if found is not None:
                return found
        return None
    return None if seen == expected else (prefix.removesuffix("."), seen, expected)


@dataclass(frozen=True)
class RunResult:
    """One run's agent on the episodes: its mean and its paired difference to the baseline."""

    label: str
    returns: list[float]  # every episode, in the order the baseline played them
    mean: Interval  # over all episodes (bootstrap over episodes)
    paired_mean: float  # over the episodes the baseline played
    difference: Interval  # agent - baseline over those episodes, paired

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "mean": self.mean.to_dict(),
            "paired_mean": self.paired_mean,
            "difference": self.difference.to_dict(),
            "returns": self.returns,
        }


@dataclass(frozen=True)
class AcrossSeeds:
    """The aggregates over training seeds of the per-seed mean differences to the baseline."""

    difference: dict[str, Interval]  # "iqm", "mean" of the per-seed mean differences, intervals over seeds
    improvement: Interval  # P(an agent run's paired mean > the baseline's)

    def to_dict(self) -> dict[str, Any]:
        return {
            "difference": {name: interval.to_dict() for name, interval in self.difference.items()},
            "probability_of_improvement": self.improvement.to_dict(),
        }


@dataclass(frozen=True)
class RunsVsBaseline:
    """Every run's result and, when the runs are training seeds of one config, the aggregates over them."""

    baseline: str
    baseline_returns: list[float]
    baseline_mean: Interval
    episodes: int  # played by each agent
    runs: list[RunResult]
    across_seeds: AcrossSeeds | None  # None: the runs are not distinct training seeds (see across_seeds_problem)

    @property
    def baseline_episodes(self) -> int:
        return len(self.baseline_returns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "episodes": self.episodes,
            "baseline_episodes": self.baseline_episodes,
            "baseline_mean": self.baseline_mean.to_dict(),
            "baseline_returns": self.baseline_returns,
            "runs": [run.to_dict() for run in self.runs],
            "across_seeds": None if self.across_seeds is None else self.across_seeds.to_dict(),
        }


def compare_runs(
    agents: Mapping[str, Sequence[float]],
    baseline: str,
    baseline_returns: Sequence[float],
    *,
    seeds: bool,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
) -> RunsVsBaseline:
    """Each agent run against the baseline on the same episodes, and the aggregates over seeds if they are seeds.

    :param agents: run label -> its per-episode returns, every run on the same episodes in the same order.
    :param baseline: the baseline's name.
    :param baseline_returns: the baseline's returns on the first ``M`` of those episodes (``M`` <= episodes).
    :param seeds: whether the runs are distinct training seeds of one config (:func:`across_seeds_problem`
        says why not); only then are they aggregated.
    :param reps: bootstrap replicates of every interval.
    :param seed: seed of the resampling.
    """
    lengths = {len(returns) for returns in agents.values()}
    if len(lengths) != 1:
        raise ValueError(f"every agent must play the same episodes, got {sorted(lengths)} episodes")
    [episodes] = lengths
    paired = len(baseline_returns)
    if not 0 < paired <= episodes:
        raise ValueError(f"the baseline must play 1 to {episodes} of the agents' episodes, got {paired}")
    base = np.asarray(baseline_returns, dtype=float)
    results = []
    for label, returns in agents.items():
        played = np.asarray(returns, dtype=float)
        results.append(
            RunResult(
                label=label,
                returns=[float(r) for r in played],
                mean=stratified_bootstrap_ci(played, "mean", reps=reps, seed=seed),
                paired_mean=float(played[:paired].mean()),
                difference=paired_difference_ci(played[:paired], base, reps=reps, seed=seed),
            )
        )
    return RunsVsBaseline(
        baseline=baseline,
        baseline_returns=[float(r) for r in base],
        baseline_mean=stratified_bootstrap_ci(base, "mean", reps=reps, seed=seed),
        episodes=episodes,
        runs=results,
        across_seeds=_across_seeds(results, float(base.mean()), reps=reps, seed=seed) if seeds else None,
    )


def _across_seeds(results: list[RunResult], baseline_mean: float, *, reps: int, seed: int) -> AcrossSeeds:
    differences = np.array([result.difference.estimate for result in results])
    paired_means = np.array([result.paired_mean for result in results])
    return AcrossSeeds(
        difference=aggregate_intervals(differences, ("iqm", "mean"), reps=reps, seed=seed),
        improvement=probability_of_improvement(
            paired_means, [baseline_mean], reps=min(reps, IMPROVEMENT_REPS), seed=seed
        ),
    )
