"""Statistics across runs, computed by rliable (Agarwal et al. 2021, "Deep Reinforcement Learning at the Edge
of the Statistical Precipice", NeurIPS; https://github.com/google-research/rliable).

Scores are matrices of shape (runs, tasks): one row per run (seed), one column per task (env). Every
interval is rliable's stratified bootstrap (runs resampled with replacement within each task) with
percentile bounds. Aggregates:

- ``iqm``: interquartile mean over all runs of all tasks (rliable's ``aggregate_iqm``);
- ``mean``: mean of the per-task means (``aggregate_mean``);
- ``median``: for one task, the median over runs; for several, the median of the per-task means
  (``aggregate_median``; over one task that would be the mean again, hence the exception);
- ``optimality_gap``: how far scores fall short of a threshold, on average (``aggregate_optimality_gap``;
  1.0 for scores normalized so that 1 is the best baseline).

rliable draws its bootstrap indices from NumPy's global generator; :func:`_seeded` seeds it for the call
and restores its state afterwards, so a given ``seed`` always gives the same intervals and nothing else
is disturbed. ``DEFAULT_REPS`` is 2,000 replicates where rliable defaults to 50,000: for the handful of
runs a study has, the Monte-Carlo error of a 95% bound at 2,000 replicates is far below the spread
between seeds, and a report over dozens of groups stays fast. Pass ``reps=50_000`` for rliable's default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from rliable import library as rly
from rliable import metrics
from scipy.stats import trim_mean

DEFAULT_REPS = 2_000
DEFAULT_CONFIDENCE = 0.95
# A replicate of the probability of improvement is a Mann-Whitney U test (~5 ms): 500 keep a report
# comparing every pair of groups on an env to seconds.
IMPROVEMENT_REPS = 500
AGGREGATES: tuple[str, ...] = ("iqm", "median", "mean", "optimality_gap")


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval [low, high]."""

    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


def _median(scores: np.ndarray) -> float:
    return float(np.median(scores)) if scores.shape[1] == 1 else float(metrics.aggregate_median(scores))


def aggregate_function(name: str, threshold: float = 1.0) -> Callable[[np.ndarray], float]:
    """The rliable aggregate ``name`` (see the module docstring) of a (runs, tasks) matrix."""
    functions: dict[str, Callable[[np.ndarray], float]] = {
        "iqm": metrics.aggregate_iqm,
        "mean": metrics.aggregate_mean,
        "median": _median,
        "optimality_gap": lambda scores: metrics.aggregate_optimality_gap(scores, threshold),
    }
    if name not in functions:
        raise ValueError(f"aggregate must be one of {', '.join(AGGREGATES)}, got {name!r}")
    return functions[name]


def as_matrix(scores: np.ndarray | Sequence[float]) -> np.ndarray:
    """Scores as a finite (runs, tasks) float matrix; a 1-d array is one task."""
    matrix = np.asarray(scores, dtype=float)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(f"scores must be a non-empty (runs,) or (runs, tasks) array, got shape {np.shape(scores)}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError(
            f"scores contain NaN or infinite values at (run, task) {np.argwhere(~np.isfinite(matrix))[0].tolist()}"
        )
    return matrix


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _check(reps: int, confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if int(reps) != reps or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps}")


def aggregate_intervals(
    scores: np.ndarray | Sequence[float],
    names: Sequence[str] = ("iqm", "median", "mean"),
    *,
    threshold: float = 1.0,
    reps: int = DEFAULT_REPS,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> dict[str, Interval]:
    """Each aggregate of ``scores`` with its stratified-bootstrap interval, from one rliable bootstrap.

    :param scores: shape (runs,) for one task or (runs, tasks).
    :param names: aggregates from :data:`AGGREGATES`.
    :param threshold: the optimality gap's threshold.
    :param reps: bootstrap replicates.
    :param confidence: coverage of the two-sided percentile interval.
    :param seed: seed of the resampling.
    """
    matrix = as_matrix(scores)
    _check(reps, confidence)
    functions = [aggregate_function(name, threshold) for name in names]
    if matrix.shape[0] == 1:
        # one run per task: every resample is the data itself, so rliable's interval is the point (skip the reps)
        return {
            name: Interval(*(float(function(matrix)),) * 3) for name, function in zip(names, functions, strict=True)
        }

    def all_aggregates(sample: np.ndarray) -> np.ndarray:
        return np.array([function(sample) for function in functions], dtype=float)

    with _seeded(seed):
        estimates, intervals = rly.get_interval_estimates(
            {"scores": matrix}, all_aggregates, reps=int(reps), confidence_interval_size=confidence
        )
    low, high = intervals["scores"]
    return {
        name: Interval(float(estimates["scores"][i]), float(low[i]), float(high[i])) for i, name in enumerate(names)
    }


def stratified_bootstrap_ci(
    scores: np.ndarray | Sequence[float],
    aggregate: str = "iqm",
    *,
    reps: int = DEFAULT_REPS,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Interval:
    """One aggregate of a (runs, tasks) score matrix with its stratified-bootstrap interval (rliable)."""
    return aggregate_intervals(scores, (aggregate,), reps=reps, confidence=confidence, seed=seed)[aggregate]


def paired_difference_ci(
    first: np.ndarray | Sequence[float],
    second: np.ndarray | Sequence[float],
    *,
    reps: int = DEFAULT_REPS,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Interval:
    """CI of mean(first) - mean(second) for two policies evaluated on the same episodes (same seeds).

    Episodes are resampled as pairs, so the variance both policies share on an episode (a hard item
    sequence, a demand spike) cancels. "A beats B" is supported when the interval lies above 0.

    :param first: per-episode returns of the first policy, shape (episodes,).
    :param second: per-episode returns of the second policy on the same episodes, in the same order.
    """
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"paired scores must be two 1-d arrays of the same length, got shapes {a.shape} and {b.shape}")
    return stratified_bootstrap_ci(a - b, "mean", reps=reps, confidence=confidence, seed=seed)


def probability_of_improvement(
    x: np.ndarray | Sequence[float],
    y: np.ndarray | Sequence[float],
    *,
    reps: int = IMPROVEMENT_REPS,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Interval:
    """P(X > Y): the chance a run of X scores above a run of Y, averaged over tasks, with its interval.

    rliable's ``probability_of_improvement`` (the Mann-Whitney U statistic divided by runs_x * runs_y),
    bootstrapped over the runs of each group independently. 0.5 means no difference.

    :param x: scores of X, shape (runs_x,) or (runs_x, tasks).
    :param y: scores of Y on the same tasks, shape (runs_y,) or (runs_y, tasks).
    """
    first, second = as_matrix(x), as_matrix(y)
    if first.shape[1] != second.shape[1]:
        raise ValueError(f"both groups need the same tasks, got {first.shape[1]} and {second.shape[1]} columns")
    _check(reps, confidence)
    if first.shape[0] == second.shape[0] == 1:
        # one run each (a sweep's trials): every resample is the data itself, so the interval is the point
        return Interval(*(float(metrics.probability_of_improvement(first, second)),) * 3)

    def improvement(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.array([metrics.probability_of_improvement(a, b)])

    with _seeded(seed):
        estimates, intervals = rly.get_interval_estimates(
            {"x>y": [first, second]}, improvement, reps=int(reps), confidence_interval_size=confidence
        )
    return Interval(float(estimates["x>y"][0]), float(intervals["x>y"][0, 0]), float(intervals["x>y"][1, 0]))


def performance_profiles(
    scores: Mapping[str, np.ndarray],
    thresholds: np.ndarray,
    *,
    reps: int = DEFAULT_REPS,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Score distributions: for each threshold, the fraction of runs (of all tasks) scoring above it.

    rliable's ``create_performance_profile`` with its stratified-bootstrap band.

    :param scores: label -> (runs, tasks) normalized scores; every label over the same tasks.
    :param thresholds: the thresholds tau.
    :return: (label -> profile of shape (thresholds,), label -> band of shape (2, thresholds)).
    """
    _check(reps, confidence)
    matrices = {label: as_matrix(matrix) for label, matrix in scores.items()}
    with _seeded(seed):
        profiles, bands = rly.create_performance_profile(
            matrices, np.asarray(thresholds, dtype=float), reps=int(reps), confidence_interval_size=confidence
        )
    return {k: np.asarray(v) for k, v in profiles.items()}, {k: np.asarray(v) for k, v in bands.items()}


def normalize(scores: np.ndarray, random_score: float, best_score: float) -> np.ndarray:
    """Scores on the scale where the random policy scores 0 and the best baseline 1 (Agarwal et al. 2021).

    :raises ValueError: when the two references coincide, so the scale is undefined.
    """
    if not np.isfinite(random_score) or not np.isfinite(best_score) or best_score == random_score:
        raise ValueError(
            f"cannot normalize: the best baseline ({best_score}) and the random policy ({random_score}) tie"
        )
    return (np.asarray(scores, dtype=float) - random_score) / (best_score - random_score)


def curve_band(
    matrix: np.ndarray, *, reps: int = 500, confidence: float = DEFAULT_CONFIDENCE, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IQM over runs at each point of a (runs, points) learning-curve matrix, with its bootstrap band.

    As rliable's sample-efficiency curves: the (runs, 1 task, points) scores are resampled by rliable's
    stratified bootstrap and the IQM is taken point by point. Every run must have a value at every point.

    :return: (estimate, low, high), each of shape (points,).
    """
    values = np.asarray(matrix, dtype=float)
    if values.ndim != 2 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"a curve band needs a finite, non-empty (runs, points) matrix, got shape {values.shape}")
    _check(reps, confidence)
    if values.shape[0] == 1:
        # one run: every resample is the run itself, so the band is the curve (a sweep has one run per trial)
        return values[0].copy(), values[0].copy(), values[0].copy()

    def iqm_per_point(sample: np.ndarray) -> np.ndarray:
        return np.asarray(trim_mean(sample[:, 0, :], 0.25, axis=0))

    with _seeded(seed):
        estimates, intervals = rly.get_interval_estimates(
            {"curve": values[:, None, :]}, iqm_per_point, reps=int(reps), confidence_interval_size=confidence
        )
    return estimates["curve"], intervals["curve"][0], intervals["curve"][1]
