"""rl.stats is rliable: the same numbers as rliable called directly, and the behaviour a report relies on."""

from __future__ import annotations

import numpy as np
import pytest
from rliable import library as rly
from rliable import metrics

from rl.stats import (
    Interval,
    aggregate_intervals,
    curve_band,
    normalize,
    paired_difference_ci,
    performance_profiles,
    probability_of_improvement,
    stratified_bootstrap_ci,
)

REPS = 300  # enough to compare with rliable and to see intervals shrink; users get DEFAULT_REPS (2,000)


def rliable_directly(scores: np.ndarray, function, seed: int, reps: int = REPS) -> tuple[float, float, float]:
    np.random.seed(seed)
    estimates, intervals = rly.get_interval_estimates({"x": scores}, lambda s: np.array([function(s)]), reps=reps)
    return float(estimates["x"][0]), float(intervals["x"][0, 0]), float(intervals["x"][1, 0])


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("iqm", metrics.aggregate_iqm),
        ("mean", metrics.aggregate_mean),
        ("median", metrics.aggregate_median),
        ("optimality_gap", lambda s: metrics.aggregate_optimality_gap(s, 1.0)),
    ],
)
def test_aggregates_are_rliables_to_the_last_digit(name: str, function) -> None:
    scores = np.random.default_rng(7).normal(0.8, 0.3, size=(6, 3))
    ours = aggregate_intervals(scores, (name,), reps=REPS, seed=4)[name]
    assert (ours.estimate, ours.low, ours.high) == rliable_directly(scores, function, seed=4)
    assert ours.low < ours.estimate < ours.high


def test_one_task_median_is_the_median_over_runs() -> None:
    finals = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    intervals = aggregate_intervals(finals, ("iqm", "median", "mean"), reps=REPS)
    assert intervals["median"].estimate == 3.0
    assert intervals["mean"].estimate == pytest.approx(22.0)
    assert intervals["iqm"].estimate == pytest.approx(3.0)  # trims 1 and 100 (25% each end, interpolated)


def test_the_seed_fixes_the_intervals_and_leaves_numpys_global_generator_alone() -> None:
    scores = np.random.default_rng(0).exponential(size=(10, 2))
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    first = stratified_bootstrap_ci(scores, "iqm", reps=REPS, seed=7)
    assert np.random.random() == expected_next
    assert first == stratified_bootstrap_ci(scores, "iqm", reps=REPS, seed=7)
    assert first != stratified_bootstrap_ci(scores, "iqm", reps=REPS, seed=8)
    narrow = aggregate_intervals(scores, ("iqm",), reps=REPS, confidence=0.5, seed=7)["iqm"]
    assert first.low < narrow.low <= narrow.high < first.high


def test_resampling_is_stratified_by_task() -> None:
    # task 0 scores ~0, task 1 ~100: a stratified resample keeps 3 runs of each task, so the mean stays in [50, 52]
    scores = np.column_stack([np.array([0.0, 1.0, 2.0]), np.array([100.0, 101.0, 102.0])])
    interval = stratified_bootstrap_ci(scores, "mean", reps=5_000)
    assert interval.estimate == pytest.approx(51.0)
    assert 50.0 <= interval.low <= interval.estimate <= interval.high <= 52.0


def test_probability_of_improvement_is_rliables() -> None:
    better, worse = np.array([5.0, 6.0, 7.0, 8.0]), np.array([1.0, 2.0, 6.5, 3.0])
    interval = probability_of_improvement(better, worse, reps=300, seed=2)
    # 14 of the 16 pairs favour `better` (5.0 and 6.0 lose to 6.5)
    assert interval.estimate == pytest.approx(14 / 16)
    np.random.seed(2)
    _, direct = rly.get_interval_estimates(
        {"p": [better[:, None], worse[:, None]]},
        lambda x, y: np.array([metrics.probability_of_improvement(x, y)]),
        reps=300,
    )
    assert (interval.low, interval.high) == (direct["p"][0, 0], direct["p"][1, 0])
    assert probability_of_improvement(worse, worse, reps=10).estimate == 0.5


def test_a_single_run_needs_no_resampling_and_gets_rliables_interval() -> None:
    # every resample of one run is that run: the shortcut must give what rliable's bootstrap gives
    curve = np.array([[1.0, 3.0, 2.0]])
    np.random.seed(0)
    _, direct = rly.get_interval_estimates(
        {"c": curve[:, None, :]}, lambda s: metrics.aggregate_iqm(s[:, 0, 0])[None], reps=20
    )
    estimate, low, high = curve_band(curve)
    assert list(estimate) == list(low) == list(high) == [1.0, 3.0, 2.0]
    assert (low[0], high[0]) == (direct["c"][0, 0], direct["c"][1, 0])
    one, other = np.array([5.0]), np.array([7.0])
    np.random.seed(0)
    _, direct = rly.get_interval_estimates(
        {"p": [one[:, None], other[:, None]]},
        lambda x, y: np.array([metrics.probability_of_improvement(x, y)]),
        reps=20,
    )
    assert probability_of_improvement(one, other) == Interval(0.0, direct["p"][0, 0], direct["p"][1, 0])
    assert probability_of_improvement(other, one).estimate == 1.0


def test_performance_profiles_count_the_runs_above_each_threshold() -> None:
    scores = {"agent": np.array([[0.2, 1.5], [0.8, 1.1], [1.2, 0.9]])}
    profiles, bands = performance_profiles(scores, np.array([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(profiles["agent"], [1.0, 0.5, 0.0])
    assert bands["agent"].shape == (2, 3)
    assert bands["agent"][0, 1] <= 0.5 <= bands["agent"][1, 1]


def test_normalize_puts_random_at_zero_and_the_best_baseline_at_one() -> None:
    np.testing.assert_allclose(
        normalize(np.array([-10.0, 40.0, 90.0]), random_score=-10.0, best_score=40.0), [0.0, 1.0, 2.0]
    )
    with pytest.raises(ValueError, match="tie"):
        normalize(np.ones(2), random_score=3.0, best_score=3.0)


def test_curve_band_is_the_iqm_per_point() -> None:
    matrix = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 6.0], [1.0, 100.0]])
    estimate, low, high = curve_band(matrix, reps=REPS)
    assert estimate[0] == low[0] == high[0] == 1.0  # identical runs: a zero-width band
    assert estimate[1] == pytest.approx(5.0) and low[1] < 5.0 < high[1]
    # rliable's sample-efficiency curve: its IQM at each point, one stratified bootstrap over the runs
    curves = np.random.default_rng(3).normal(size=(5, 4))
    ours = curve_band(curves, reps=REPS, seed=1)
    np.random.seed(1)
    estimates, intervals = rly.get_interval_estimates(
        {"c": curves[:, None, :]},
        lambda s: np.array([metrics.aggregate_iqm(s[..., point]) for point in range(s.shape[-1])]),
        reps=REPS,
    )
    for mine, theirs in zip(ours, (estimates["c"], intervals["c"][0], intervals["c"][1]), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    with pytest.raises(ValueError, match="finite"):
        curve_band(np.array([[1.0, np.nan]]))


def test_paired_difference_detects_a_consistent_improvement() -> None:
    rng = np.random.default_rng(0)
    episode_difficulty = rng.normal(0, 50, size=100)  # shared by both policies: cancels when paired
    baseline = 100 + episode_difficulty
    agent = baseline + 5 + rng.normal(0, 1, size=100)
    interval = paired_difference_ci(agent, baseline)
    assert interval.estimate == pytest.approx(np.mean(agent - baseline))
    assert 4.5 < interval.low < interval.high < 5.5
    unpaired = stratified_bootstrap_ci(agent, "mean")
    assert unpaired.high - unpaired.low > 10 * (interval.high - interval.low)


def test_bad_input_is_rejected_with_what_was_seen() -> None:
    with pytest.raises(ValueError, match=r"shape \(0,\)"):
        stratified_bootstrap_ci(np.array([]))
    with pytest.raises(ValueError, match=r"NaN .* \[1, 0\]"):
        stratified_bootstrap_ci(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="aggregate must be one of iqm, median, mean, optimality_gap, got 'mode'"):
        stratified_bootstrap_ci(np.ones(3), "mode")
    with pytest.raises(ValueError, match="reps must be a positive integer, got 0"):
        stratified_bootstrap_ci(np.ones(3), reps=0)
    with pytest.raises(ValueError, match="confidence must be in"):
        stratified_bootstrap_ci(np.ones(3), confidence=95)
    with pytest.raises(ValueError, match=r"same length, got shapes \(3,\) and \(4,\)"):
        paired_difference_ci(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="same tasks"):
        probability_of_improvement(np.ones((3, 2)), np.ones((3, 1)))


def test_a_single_run_gives_rliables_zero_width_interval_without_resampling() -> None:
    scores = np.array([[3.0, 5.0]])
    ours = aggregate_intervals(scores, ("iqm", "mean"), reps=50)
    assert (ours["iqm"].estimate, ours["iqm"].low, ours["iqm"].high) == rliable_directly(
        scores, metrics.aggregate_iqm, 0, reps=50
    )
    assert ours["mean"] == stratified_bootstrap_ci(np.array([4.0]), "mean")
