"""The selection steps on data whose informative columns are known."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from features.families import ModelFamily
from features.selection import Score, clearly_better, gain_ranking, in_fold_prefix_scores, without_monotone_duplicates

LIGHTGBM = ModelFamily()


def cv_score(
    frame: pd.DataFrame, y: pd.Series, problem_type: str, metric: str, k: int, seed: int, repeats: int = 1
) -> Score:
    """The CV score of every column of ``frame`` together: the prefix scores' size 0 with all columns as the base."""
    return in_fold_prefix_scores(
        frame,
        y,
        list(frame.columns),
        [],
        {0},
        problem_type=problem_type,
        metric=metric,
        k=k,
        seed=seed,
        family=LIGHTGBM,
        repeats=repeats,
    )[0]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(400, 8)), columns=[f"c{i}" for i in range(8)])
    y = pd.Series(frame["c0"] * 3 + frame["c1"] * 2 + frame["c2"] + rng.normal(0, 0.3, 400), name="y")
    return frame, y


SEARCH = dict(problem_type="regression", metric="neg_root_mean_squared_error", k=3, seed=0, family=LIGHTGBM)


def test_in_fold_scores_rank_inside_each_fold_and_keep_the_informative_top(data) -> None:
    frame, y = data
    ranked = ["c5", "c6", "c1", "c3", "c2", "c4", "c7"]  # the order given does not matter: each fold ranks again
    scores = in_fold_prefix_scores(frame, y, ["c0"], ranked, {0, 2, 7, 50}, **SEARCH)
    assert sorted(scores) == [0, 2, 7]  # sizes past the candidates are the full set
    # each fold's ranking puts the informative c1 and c2 first, so the top 2 beat c0 alone and all of them
    assert scores[2].mean > scores[7].mean > scores[0].mean
    assert scores[0].mean == pytest.approx(cv_score(frame[["c0"]], y, "regression", SEARCH["metric"], 3, 0).mean)
    assert scores[7].mean == pytest.approx(
        cv_score(frame[["c0", *ranked]], y, "regression", SEARCH["metric"], 3, 0).mean
    )


def test_in_fold_scores_keep_the_required_sizes_past_the_deadline(data) -> None:
    frame, y = data
    folds_done = []
    late = in_fold_prefix_scores(
        frame,
        y,
        ["c0"],
        ["c1", "c2", "c3"],
        {0, 1, 3},
        required={0, 3},
        deadline=time.monotonic() - 1,
        on_fold=lambda: folds_done.append(1),
        **SEARCH,
    )
    assert sorted(late) == [0, 3] and len(folds_done) == 3
    assert sorted(in_fold_prefix_scores(frame, y, [], ["c1", "c2"], {0, 2}, **SEARCH)) == [2]  # no columns: no score


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_ranking_learned_from_every_row_flatters_its_top_and_the_in_fold_ranking_does_not(seed: int) -> None:
    # the label depends on one column; 40 noise columns, ranked by gain on all 150 rows, look better in CV than they are
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(150, 41)), columns=["signal", *[f"noise{i}" for i in range(40)]])
    y = pd.Series(frame["signal"] + rng.normal(0, 1, 150))
    noise = list(frame.columns[1:])
    ranking = gain_ranking(frame, y, "regression", 5, 0, LIGHTGBM)
    top = [c for c in ranking.index if c in noise][:3]
    metric = "neg_root_mean_squared_error"
    leaky = cv_score(frame[["signal", *top]], y, "regression", metric, 5, 7)
    honest = in_fold_prefix_scores(
        frame, y, ["signal"], noise, {0, 3}, problem_type="regression", metric=metric, k=5, seed=7, family=LIGHTGBM
    )
    assert leaky.mean > honest[3].mean + 0.05  # the same three noise columns, judged by rows that chose them
    assert honest[3].mean < honest[0].mean  # judged fairly, noise hurts
    if seed == 1:
        assert leaky.mean > honest[0].mean  # the failure this prevents: noise judged better than the signal alone


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


def test_columns_no_tree_splits_on_do_not_change_the_other_gains(data) -> None:
    # AutoFeatures reuses a chunk's ranking for the pool when the screen dropped only zero-gain columns
    frame, y = data
    # an exact copy loses every tie to its original; a column with one odd row can never make a leaf
    wide = frame.assign(copy_of_c0=frame["c0"], constant_but_one=np.r_[1.0, np.zeros(len(frame) - 1)])
    ranking = gain_ranking(wide, y, "regression", 3, 0, LIGHTGBM)
    assert ranking["copy_of_c0"] == 0.0 and ranking["constant_but_one"] == 0.0
    gaining = [c for c in wide.columns if ranking[c] > 0]
    again = gain_ranking(wide[gaining], y, "regression", 3, 0, LIGHTGBM)
    pd.testing.assert_series_equal(again[gaining], ranking[gaining])


def test_a_set_is_clearly_better_only_beyond_the_noise_of_its_fold_by_fold_differences() -> None:
    incumbent = Score(folds=(0.75, 0.85, 0.80, 0.70, 0.90), seconds=0.0)
    # the same small lead on every fold: clear, although far below the folds' spread
    steady = Score(folds=(0.76, 0.86, 0.81, 0.71, 0.91), seconds=0.0)
    assert clearly_better(steady, incumbent)
    assert not clearly_better(incumbent, steady)
    # a larger lead in the mean that comes from one fold: within the noise
    erratic = Score(folds=(0.65, 0.95, 0.80, 0.70, 1.00), seconds=0.0)
    assert not clearly_better(erratic, incumbent)
    assert not clearly_better(incumbent, incumbent)


def test_fold_scores_come_back_in_fold_order_for_every_set(data) -> None:
    frame, y = data
    scores = in_fold_prefix_scores(frame, y, ["c3"], ["c0", "c1", "c2"], {0, 3}, repeats=2, **SEARCH)
    assert len(scores[0].folds) == len(scores[3].folds) == 6
    assert scores[3].mean == pytest.approx(np.mean(scores[3].folds))
    # the informative columns win on every single fold, far beyond the noise of the differences
    assert all(a > b for a, b in zip(scores[3].folds, scores[0].folds, strict=True))
    assert clearly_better(scores[3], scores[0]) and not clearly_better(scores[0], scores[3])
