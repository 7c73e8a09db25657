"""The selection steps on data whose informative columns are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.selection import Score, cv_score, forward_select, gain_ranking, prefix_select, without_monotone_duplicates


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(400, 8)), columns=[f"c{i}" for i in range(8)])
    y = pd.Series(frame["c0"] * 3 + frame["c1"] * 2 + frame["c2"] + rng.normal(0, 0.3, 400), name="y")
    return frame, y


SEARCH = dict(problem_type="regression", metric="neg_root_mean_squared_error", k=3, seed=0, deadline=None)


def test_prefix_select_keeps_the_informative_top_of_the_ranking(data) -> None:
    frame, y = data
    ranked = ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]  # c1, c2 informative, then noise
    chosen, score, history = prefix_select(frame, y, ranked, ["c0"], max_features=7, **SEARCH)
    assert [size for size, _ in history] == [1, 2, 3, 5, 8]  # 0, 1, 2, 4 and 7 candidates on top of c0
    assert chosen[:3] == ["c0", "c1", "c2"]
    assert score.mean == max(value for _, value in history)
    assert score.mean > cv_score(frame[["c0"]], y, "regression", SEARCH["metric"], 3, 0).mean


def test_forward_select_rejects_noise_columns(data) -> None:
    frame, y = data
    chosen, _, history = forward_select(frame, y, ["c5", "c1", "c6", "c2"], ["c0"], max_features=5, **SEARCH)
    assert "c1" in chosen and "c2" in chosen and "c5" not in chosen and "c6" not in chosen
    assert [size for size, _ in history] == list(range(1, len(chosen) + 1))


def test_repeated_cv_reshuffles_the_folds(data) -> None:
    frame, y = data
    once = cv_score(frame[["c0", "c1"]], y, "regression", SEARCH["metric"], 3, 0)
    twice = cv_score(frame[["c0", "c1"]], y, "regression", SEARCH["metric"], 3, 0, repeats=2)
    again = cv_score(frame[["c0", "c1"]], y, "regression", SEARCH["metric"], 3, 1)
    assert twice.mean == pytest.approx((once.mean + again.mean) / 2)


def test_monotone_transforms_of_kept_columns_do_not_take_a_slot(data) -> None:
    frame, _ = data
    candidates = frame.assign(
        c0_cubed=frame["c0"] ** 3,  # same order as the raw c0
        product=frame["c0"] * frame["c1"],  # new information
        product_exp=np.exp(frame["c0"] * frame["c1"]),  # same order as the better-ranked product
        negated_sum=-(frame["c2"] + frame["c3"]),  # anti-monotone is the same split for a tree
        sum_with_gaps=(frame["c2"] + frame["c3"]).mask(frame.index % 100 == 0),
        label=pd.Series(np.where(frame["c4"] > 0, "up", "down")).astype("category"),  # not numeric: left to the search
    )
    ranked = ["c0_cubed", "product", "negated_sum", "product_exp", "sum_with_gaps", "label"]
    assert without_monotone_duplicates(candidates, ranked, ["c0", "c1"]) == ["product", "negated_sum", "label"]
    assert without_monotone_duplicates(candidates, ranked, []) == ["c0_cubed", "product", "negated_sum", "label"]


def test_scores_already_measured_on_the_same_folds_are_reused(data) -> None:
    frame, y = data
    ranked = ["c1", "c2", "c3"]
    # a planted score shows the search took it instead of measuring that set again
    planted = {("c0", "c1", "c2", "c3"): Score(1e6, 0.0, 0.0), ("c0",): Score(-1e6, 0.0, 0.0)}
    chosen, score, _ = prefix_select(frame, y, ranked, ["c0"], max_features=3, known=planted, **SEARCH)
    assert chosen == ["c0", "c1", "c2", "c3"] and score.mean == 1e6
    chosen, _, history = forward_select(frame, y, ["c5"], ["c0"], max_features=5, known=planted, **SEARCH)
    assert history[0] == (1, -1e6) and chosen == ["c0", "c5"]  # anything beats the planted base score


def test_columns_no_tree_splits_on_do_not_change_the_other_gains(data) -> None:
    # AutoFeatures reuses a chunk's ranking for the pool when the screen dropped only zero-gain columns
    frame, y = data
    # an exact copy loses every tie to its original; a column with one odd row can never make a leaf
    wide = frame.assign(copy_of_c0=frame["c0"], constant_but_one=np.r_[1.0, np.zeros(len(frame) - 1)])
    ranking = gain_ranking(wide, y, "regression", 3, 0)
    assert ranking["copy_of_c0"] == 0.0 and ranking["constant_but_one"] == 0.0
    gaining = [c for c in wide.columns if ranking[c] > 0]
    again = gain_ranking(wide[gaining], y, "regression", 3, 0)
    pd.testing.assert_series_equal(again[gaining], ranking[gaining])
