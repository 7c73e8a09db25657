"""IQM and bootstrap confidence intervals, checked against hand computations and SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import bootstrap, trim_mean

from rl.stats import iqm, optimality_gap, paired_difference_ci, stratified_bootstrap_ci


def test_iqm_of_known_arrays() -> None:
    assert iqm(np.arange(8)) == pytest.approx(3.5)  # middle half: 2, 3, 4, 5
    assert iqm([1, 2, 3, 4, 100, 5, 6, 7]) == pytest.approx(4.5)  # the outlier is trimmed
    assert iqm([5.0] * 4) == 5.0
    assert iqm(np.array([[0.0, 10.0], [1.0, 11.0], [2.0, 12.0], [3.0, 13.0]]), axis=0) == pytest.approx([1.5, 11.5])


def test_optimality_gap_counts_only_the_shortfall() -> None:
    # shortfalls below 10: 10, 5, 0, 0 -> mean 3.75; 20 exceeding the threshold earns nothing extra
    assert optimality_gap([0.0, 5.0, 10.0, 20.0], threshold=10.0) == pytest.approx(3.75)
    interval = stratified_bootstrap_ci(np.full(5, 12.0), lambda s: optimality_gap(s, 10.0, axis=-1))
    assert (interval.estimate, interval.low, interval.high) == (0.0, 0.0, 0.0)


def test_constant_scores_give_a_zero_width_interval() -> None:
    for aggregate in ("mean", "median", "iqm"):
        interval = stratified_bootstrap_ci(np.full((6, 3), 2.5), aggregate)
        assert (interval.estimate, interval.low, interval.high) == (2.5, 2.5, 2.5)


@pytest.mark.parametrize(("name", "statistic"), [("mean", np.mean), ("iqm", lambda x, axis: trim_mean(x, 0.25, axis=axis))])
def test_single_task_interval_is_scipys_percentile_bootstrap(name: str, statistic: object) -> None:
    # One task is an ordinary bootstrap. Given the same generator, SciPy draws the same (reps, runs)
    # index array, so the intervals agree to rounding, not just statistically.
    scores = np.random.default_rng(1).normal(10.0, 3.0, size=25)
    ours = stratified_bootstrap_ci(scores, name, reps=3_000, seed=5)
    theirs = bootstrap(
        (scores,), statistic, n_resamples=3_000, method="percentile", rng=np.random.default_rng(5)
    ).confidence_interval
    assert ours.low == pytest.approx(theirs.low, rel=1e-12)
    assert ours.high == pytest.approx(theirs.high, rel=1e-12)


def test_single_task_mean_interval_agrees_with_scipy_under_independent_seeds() -> None:
    scores = np.random.default_rng(1).normal(10.0, 3.0, size=30)
    ours = stratified_bootstrap_ci(scores, "mean", reps=20_000, seed=2)
    theirs = bootstrap(
        (scores,), np.mean, n_resamples=20_000, method="percentile", rng=np.random.default_rng(3)
    ).confidence_interval
    assert ours.estimate == pytest.approx(scores.mean())
    # the standard error is ~0.55; independent Monte-Carlo runs agree to a small fraction of it
    assert ours.low == pytest.approx(theirs.low, abs=0.05)
    assert ours.high == pytest.approx(theirs.high, abs=0.05)


def test_resampling_is_stratified_by_task() -> None:
    # task 0 scores ~0, task 1 scores ~100: a stratified resample always keeps 3 runs of each task,
    # so the overall mean stays within [50, 52]; pooled resampling would often draw 5 or 6 runs of one task
    scores = np.column_stack([np.array([0.0, 1.0, 2.0]), np.array([100.0, 101.0, 102.0])])
    interval = stratified_bootstrap_ci(scores, "mean", reps=5_000)
    assert interval.estimate == pytest.approx(51.0)
    assert 50.0 <= interval.low <= interval.estimate <= interval.high <= 52.0
    assert interval.high - interval.low > 0.5


def test_intervals_are_reproducible_and_widen_with_confidence() -> None:
    scores = np.random.default_rng(0).exponential(size=(10, 2))
    first = stratified_bootstrap_ci(scores, "iqm", seed=7)
    assert first == stratified_bootstrap_ci(scores, "iqm", seed=7)
    assert first.low <= first.estimate <= first.high
    narrow = stratified_bootstrap_ci(scores, "iqm", confidence=0.5, seed=7)
    assert first.low < narrow.low <= narrow.high < first.high


def test_paired_difference_detects_a_consistent_improvement() -> None:
    rng = np.random.default_rng(0)
    episode_difficulty = rng.normal(0, 50, size=100)  # shared by both policies: cancels when paired
    baseline = 100 + episode_difficulty
    agent = baseline + 5 + rng.normal(0, 1, size=100)
    interval = paired_difference_ci(agent, baseline)
    assert interval.estimate == pytest.approx(np.mean(agent - baseline))
    assert interval.excludes(0.0) and 4.5 < interval.low < interval.high < 5.5
    # unpaired, the episode difficulty (std 50) would swamp a difference of 5
    unpaired = stratified_bootstrap_ci(agent, "mean").high - stratified_bootstrap_ci(agent, "mean").low
    assert unpaired > 10 * (interval.high - interval.low)
    assert not paired_difference_ci(baseline, baseline).excludes(0.0)


def test_bad_input_is_rejected_with_what_was_seen() -> None:
    with pytest.raises(ValueError, match=r"shape \(0,\)"):
        stratified_bootstrap_ci(np.array([]))
    with pytest.raises(ValueError, match=r"NaN .* \[1, 0\]"):
        stratified_bootstrap_ci(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="aggregate must be one of .* got 'mode'"):
        stratified_bootstrap_ci(np.ones(3), "mode")
    with pytest.raises(ValueError, match="reps must be a positive integer, got 0"):
        stratified_bootstrap_ci(np.ones(3), reps=0)
    with pytest.raises(ValueError, match="confidence must be in"):
        stratified_bootstrap_ci(np.ones(3), confidence=95)
    with pytest.raises(ValueError, match="one value per replicate"):
        stratified_bootstrap_ci(np.ones(3), lambda s: s)
    with pytest.raises(ValueError, match=r"same length, got shapes \(3,\) and \(4,\)"):
        paired_difference_ci(np.ones(3), np.ones(4))
