"""rliable's aggregate intervals agree with the hand-written stratified bootstrap of rl.stats (before it goes)."""

from __future__ import annotations

import numpy as np
import pytest
from rliable import library as rly
from rliable import metrics

from rl.stats import stratified_bootstrap_ci

REPS = 20_000


def rliable_interval(scores: np.ndarray, aggregate, seed: int) -> tuple[float, float, float]:
    np.random.seed(seed)  # rliable draws its indices from NumPy's global generator
    estimates, intervals = rly.get_interval_estimates({"x": scores}, lambda s: np.array([aggregate(s)]), reps=REPS)
    return float(estimates["x"][0]), float(intervals["x"][0, 0]), float(intervals["x"][1, 0])


@pytest.mark.parametrize(("name", "aggregate"), [("iqm", metrics.aggregate_iqm), ("mean", metrics.aggregate_mean)])
@pytest.mark.parametrize("tasks", [1, 3])
def test_rliable_matches_the_hand_written_bootstrap(name: str, aggregate, tasks: int) -> None:
    scores = np.random.default_rng(7).normal(10.0, 3.0, size=(10, tasks)) + np.arange(tasks) * 20.0
    ours = stratified_bootstrap_ci(scores, name, reps=REPS, seed=1)
    estimate, low, high = rliable_interval(scores, aggregate, seed=1)
    assert ours.estimate == pytest.approx(estimate, rel=1e-12)
    # independent Monte-Carlo draws: the bounds agree to a small fraction of the interval's width
    width = high - low
    assert ours.low == pytest.approx(low, abs=0.03 * width)
    assert ours.high == pytest.approx(high, abs=0.03 * width)
