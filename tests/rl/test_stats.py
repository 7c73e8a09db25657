"""IQM and bootstrap confidence intervals, checked against hand computations and SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import bootstrap

from rl.stats import iqm, paired_difference_ci, stratified_bootstrap_ci


def test_iqm_of_known_arrays() -> None:
    assert iqm(np.arange(8)) == pytest.approx(3.5)  # middle half: 2, 3, 4, 5
    assert iqm([1, 2, 3, 4, 100, 5, 6, 7]) == pytest.approx(4.5)  # the outlier is trimmed
    assert iqm([5.0] * 4) == 5.0


def test_constant_scores_give_a_zero_width_interval() -> None:
    for aggregate in ("mean", "median", "iqm"):
        interval = stratified_bootstrap_ci(np.full((6, 3), 2.5), aggregate)
        assert (interval.estimate, interval.low, interval.high) == (2.5, 2.5, 2.5)


def test_single_task_mean_interval_agrees_with_scipy_percentile_bootstrap() -> None:
    scores = np.random.default_rng(1).normal(10.0, 3.0, size=30)
    ours = stratified_bootstrap_ci(scores, "mean", reps=20_000, seed=2)
    theirs = bootstrap((scores,), np.mean, n_resamples=20_000, method="percentile", random_state=3).confidence_interval
    assert ours.estimate == pytest.approx(scores.mean())
    assert ours.low == pytest.approx(theirs.low, abs=0.1)
    assert ours.high == pytest.approx(theirs.high, abs=0.1)


def test_resampling_is_stratified_by_task() -> None:
    # task 0 scores ~0, task 1 scores ~100: a stratified resample always keeps 3 runs of each task,
    # so the overall mean stays near 50; pooled resampling would spread it far wider
    scores = np.column_stack([np.array([0.0, 1.0, 2.0]), np.array([100.0, 101.0, 102.0])])
    interval = stratified_bootstrap_ci(scores, "mean", reps=5_000)
    assert interval.estimate == pytest.approx(51.0)
    assert 50.0 <= interval.low <= interval.estimate <= interval.high <= 52.0


def test_intervals_are_reproducible_and_contain_the_estimate() -> None:
    scores = np.random.default_rng(0).exponential(size=(10, 2))
    first = stratified_bootstrap_ci(scores, "iqm", seed=7)
    assert first == stratified_bootstrap_ci(scores, "iqm", seed=7)
    assert first.low <= first.estimate <= first.high


def test_paired_difference_detects_a_consistent_improvement() -> None:
    rng = np.random.default_rng(0)
    episode_difficulty = rng.normal(0, 50, size=100)  # shared by both policies: cancels when paired
    baseline = 100 + episode_difficulty
    agent = baseline + 5 + rng.normal(0, 1, size=100)
    interval = paired_difference_ci(agent, baseline)
    assert interval.excludes(0.0) and interval.low > 4
    same = paired_difference_ci(baseline, baseline)
    assert not same.excludes(0.0)


def test_bad_input_is_rejected_with_the_shape() -> None:
    with pytest.raises(ValueError, match="shape"):
        stratified_bootstrap_ci(np.array([]))
    with pytest.raises(ValueError, match="NaN"):
        stratified_bootstrap_ci(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="same length"):
        paired_difference_ci(np.ones(3), np.ones(4))
