"""Choosing features by cross-validated score on the training rows only.

Candidates are ranked by LightGBM gain, measured inside each training fold and averaged (OpenFE's
idea of judging a feature by what a boosting model gains from it), chunk by chunk so wide candidate
sets never sit in memory whole. Two searches then propose a set: :func:`prefix_select` takes the top
of the ranking, as many as score best in K-fold CV; :func:`forward_select` adds candidates in rank
order and keeps each one only if the K-fold CV score of the user's metric improves. Both skip candidates
that :func:`without_monotone_duplicates` finds near-monotone in a better-ranked one. Ranking and search
use :func:`model_for`'s cheaper ``search`` twin; the caller judges the proposals on fresh folds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold

# a candidate must raise the CV score by this share of its magnitude (at least 1e-4): smaller gains are fold noise
MIN_RELATIVE_IMPROVEMENT = 1e-3
SEARCH_TREES = 60
# above this rank correlation a candidate is near-monotone in a kept column: a tree finds the same splits in both
NEAR_DUPLICATE_RANK_CORRELATION = 0.98
SEARCH_BINS = 63  # histogram bins of the search twin (LightGBM's default 255): histograms are most of a fit's time


@dataclass(frozen=True)
class Score:
    mean: float
    std: float
    seconds: float


def model_for(problem_type: str, seed: int, *, search: bool = False):
    """The gradient-boosting model that scores a feature set; ``search=True``: its cheaper twin for ranking and
    selection (half the trees at twice the learning rate: the same total step; coarser histograms)."""
    import lightgbm as lgb

    trees, rate = (SEARCH_TREES, 0.16) if search else (120, 0.08)
    params = dict(n_estimators=trees, learning_rate=rate, num_leaves=15, min_child_samples=10, random_state=seed, n_jobs=1, verbose=-1)
    if search:
        params["max_bin"] = SEARCH_BINS
    return lgb.LGBMRegressor(**params) if problem_type == "regression" else lgb.LGBMClassifier(**params)


def folds(problem_type: str, k: int, seed: int):
    return KFold(k, shuffle=True, random_state=seed) if problem_type == "regression" else StratifiedKFold(k, shuffle=True, random_state=seed)


def as_model_input(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as float, everything else as pandas categories (LightGBM splits on categories natively)."""
    out = {}
    for name, column in frame.items():
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            out[name] = pd.to_numeric(column, errors="coerce").astype(float)
        elif pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.astype("int64").astype(float)
        else:
            out[name] = column.astype("category")
    return pd.DataFrame(out, index=frame.index)


def cv_score(frame: pd.DataFrame, y: pd.Series, problem_type: str, metric: str, k: int, seed: int, repeats: int = 1) -> Score:
    """Mean and std over K folds (``repeats`` times, reshuffled) of the metric; each model sees its training part only."""
    started = time.perf_counter()
    scorer = get_scorer(metric)
    X = as_model_input(frame)
    scores = []
    for repeat in range(repeats):
        for train, valid in folds(problem_type, k, seed + repeat).split(X, y):
            model = model_for(problem_type, seed, search=True).fit(X.iloc[train], y.iloc[train])
            scores.append(scorer(model, X.iloc[valid], y.iloc[valid]))
    return Score(float(np.mean(scores)), float(np.std(scores)), time.perf_counter() - started)


def gain_ranking(frame: pd.DataFrame, y: pd.Series, problem_type: str, k: int, seed: int) -> pd.Series:
    """Mean LightGBM gain of each column over models fit on the K training folds (never on validation rows)."""
    X = as_model_input(frame)
    gains = np.zeros(X.shape[1])
    for train, _ in folds(problem_type, k, seed).split(X, y):
        model = model_for(problem_type, seed, search=True).fit(X.iloc[train], y.iloc[train])
        gains += model.booster_.feature_importance(importance_type="gain")
    return pd.Series(gains / k, index=X.columns).sort_values(ascending=False)


def without_monotone_duplicates(frame: pd.DataFrame, ranked: list[str], base: list[str], threshold: float = NEAR_DUPLICATE_RANK_CORRELATION) -> list[str]:
    """``ranked`` minus each numeric candidate whose rank correlation with ``base`` or a better-ranked kept
    candidate exceeds ``threshold``: a near-monotone transform of a column offers a tree the same splits,
    and would take a slot of the ``max_features`` budget from a feature that adds something."""
    numeric = [c for c in dict.fromkeys([*base, *ranked]) if pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])]
    ranks = frame[numeric].astype(float).rank()
    # missing rows take the middle rank, so a column with many gaps is no duplicate: LightGBM gives missing values their own branch
    ranks = ranks.fillna(ranks.mean())
    centred = ranks - ranks.mean()
    norms = np.sqrt((centred**2).sum()).replace(0.0, np.inf)
    unit = (centred / norms).to_numpy()
    position = {name: i for i, name in enumerate(numeric)}
    kept_positions = [position[c] for c in base if c in position]
    kept: list[str] = []
    for name in ranked:
        if name in position:
            if kept_positions and np.abs(unit[:, kept_positions].T @ unit[:, position[name]]).max() > threshold:
                continue
            kept_positions.append(position[name])
        kept.append(name)
    return kept


def forward_select(
    frame: pd.DataFrame,
    y: pd.Series,
    ranked: list[str],
    base: list[str],
    *,
    problem_type: str,
    metric: str,
    k: int,
    seed: int,
    max_features: int,
    deadline: float | None,
    patience: int | None = None,
    on_step: Callable[[str, Score, bool], None] = lambda name, score, kept: None,
    known: Mapping[tuple[str, ...], Score] | None = None,
) -> tuple[list[str], Score, list[tuple[int, float]]]:
    """Add ranked candidates one at a time to ``base``, keeping those that raise the CV score.

    Stops at ``max_features`` columns, at the ``deadline``, or after ``patience`` rejections in a row
    (the ranking puts the likely winners first, so a long run of rejections means the rest are noise).
    ``known``: scores already measured on the same folds, by column tuple (not measured again).
    """
    known = known or {}
    chosen = list(base)
    best = (known.get(tuple(chosen)) or cv_score(frame[chosen], y, problem_type, metric, k, seed)) if chosen else Score(-np.inf, 0.0, 0.0)
    history = [(len(chosen), best.mean)] if chosen else []
    rejected_in_a_row = 0
    for name in ranked:
        if len(chosen) >= max_features or (deadline is not None and time.monotonic() > deadline):
            break
        if patience is not None and rejected_in_a_row >= patience:
            break
        if name in chosen:
            continue
        score = cv_score(frame[[*chosen, name]], y, problem_type, metric, k, seed)
        threshold = max(1e-4, MIN_RELATIVE_IMPROVEMENT * abs(best.mean)) if np.isfinite(best.mean) else 0.0
        kept = score.mean > best.mean + threshold
        if kept:
            chosen.append(name)
            best = score
            history.append((len(chosen), score.mean))
        rejected_in_a_row = 0 if kept else rejected_in_a_row + 1
        on_step(name, score, kept)
    return chosen, best, history



def prefix_select(
    frame: pd.DataFrame,
    y: pd.Series,
    ranked: list[str],
    base: list[str],
    *,
    problem_type: str,
    metric: str,
    k: int,
    seed: int,
    max_features: int,
    deadline: float | None = None,
    known: Mapping[tuple[str, ...], Score] | None = None,
) -> tuple[list[str], Score, list[tuple[int, float]]]:
    """``base`` plus the best-ranked ``n`` candidates, ``n`` the best by CV among 0, 1, 2, 4, ... ``max_features``.
    ``known``: scores already measured on the same folds, by column tuple (not measured again).

    A handful of nested sets instead of one decision per feature: far fewer CV runs, and far fewer
    chances to keep a feature for a lucky fold assignment (OpenFE's choice: the top of a gain ranking).
    """
    known = known or {}
    largest = min(max_features, len(ranked))
    sizes = sorted({0, largest, *(2**i for i in range(largest.bit_length()) if 2**i < largest)})
    results: list[tuple[int, Score]] = []
    for size in sizes:
        if deadline is not None and time.monotonic() > deadline and results:
            break
        columns = [*base, *ranked[:size]]
        if columns:
            results.append((size, known.get(tuple(columns)) or cv_score(frame[columns], y, problem_type, metric, k, seed)))
    size, best = max(results, key=lambda item: item[1].mean)
    return [*base, *ranked[:size]], best, [(len(base) + n, score.mean) for n, score in results]
