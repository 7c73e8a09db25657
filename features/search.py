"""The two steps of AutoFeatures' search between generating definitions and the final model.

:func:`screen` computes the candidates chunk by chunk on the training rows and keeps those the model family
gains from (the best of each chunk: wide candidate sets never sit in memory whole) and returns them with
their ranking. :func:`choose` scores the raw columns, the best-ranked 5, 10, 20, ... candidates and all of them on
fresh, repeated folds (the ranking learned again inside every fold) and picks one: how many generated features
are kept is the consuming model's CV score's choice, as OpenFE and Autopilot choose among candidate sets.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.entityset import compute
from features.families import ModelFamily
from features.progress import Progress
from features.selection import Score, clearly_better, gain_ranking, in_fold_prefix_scores, without_monotone_duplicates
from features.settings import SearchSettings

# candidate sets are scored on folds other than the screening's, twice reshuffled: a steadier comparison
SCORING_SEED_OFFSET = 7919
SCORING_REPEATS = 2
# more points of the report's score curve (raw columns + the top n candidates): small sets are cheap to fit
CURVE_SIZES = (1, 4, 16, 64)
SHADOWS = 20  # shuffled copies per chunk for screen="shadow"
# keep_candidates="cv": the top 5, 10, 20, ... candidates (a geometric grid, like the candidate sets of Autopilot
# and OpenFE) compete with every screened candidate
SIZE_GRID_START = 5


@dataclass(frozen=True)
class Problem:
    """What every step scores against: the training rows' labels and how to score them."""

    y: pd.Series
    problem_type: str
    metric: str
    family: ModelFamily
    seed: int
    settings: SearchSettings
    deadline: float | None

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline


@dataclass(frozen=True)
class Pool:
    """The training rows' raw columns and screened candidates, with the candidates' ranking (``distinct``: the same
    without near-monotone copies of a better-ranked candidate or a raw column)."""

    matrix: pd.DataFrame
    raw: list[str]
    ranked: list[str]
    distinct: list[str]
    n_near_duplicates: int


@dataclass(frozen=True)
class Choice:
    """The chosen set (``raw``, ``top_<n>``, ``dfs_all`` or ``top_gain``), its columns and every set's CV score."""

    name: str
    selected: list[str]
    scores: dict[int, Score]
    sets: dict[str, list[str]]  # candidate set -> the candidates it adds to the raw columns

    def leaderboard(self, n_raw: int) -> pd.DataFrame:
        """One row per candidate set: its CV score (mean, std, seconds), its size, and which set was chosen."""
        rows = []
        for name, members in self.sets.items():
            score = self.scores.get(len(members))
            rows.append(
                {
                    "candidate_set": name,
                    "cv_score": score.mean if score else None,
                    "cv_std": score.std if score else None,
                    "fit_seconds": score.seconds if score else 0.0,
                    "n_features": n_raw + len(members),
                    "chosen": self.name if name == "selected" else None,
                }
            )
        return pd.DataFrame(rows)


def screen(
    definitions: Mapping[str, Any],
    raw: list[str],
    entityset: Any,
    cutoff: pd.DataFrame | None,
    problem: Problem,
    progress: Progress,
) -> Pool:
    """Compute the candidates chunk by chunk and keep those the family gains from (see the module)."""
    settings = problem.settings
    candidates = [name for name in definitions if name not in raw]
    cap = settings.max_features if settings.max_features is not None else len(candidates)
    size = settings.chunk_size
    # the raw columns ride along with the first chunk: with cutoff times every featuretools pass is costly
    chunks = [candidates[start : start + size] for start in range(0, len(candidates), size)] or [[]]
    base = pd.DataFrame(index=pd.RangeIndex(len(problem.y)))
    survivors: list[pd.DataFrame] = []
    gains: list[pd.Series] = []
    every_gaining_kept = True
    for position, chunk in enumerate(chunks):
        progress.stage("computing and ranking candidates", step=position + 1, steps=len(chunks))
        if problem.out_of_time():
            if position:
                break
            chunk = []  # out of time already: the raw columns are still needed
        wanted = [definitions[n] for n in ([*raw, *chunk] if position == 0 else chunk)]
        matrix = compute(wanted, entityset, cutoff, settings.training_window).reset_index(drop=True) if wanted else base
        if position == 0:
            base, matrix = matrix[raw], matrix.drop(columns=raw)
        matrix = matrix.loc[:, matrix.nunique(dropna=True) > 1]
        if matrix.empty:
            continue
        gaining = _gaining(base, matrix, problem, position)
        keep = list(gaining.index[: max(cap, len(chunk) // 2)])
        survivors.append(matrix[keep])
        gains.append(gaining[keep])
        every_gaining_kept &= len(keep) == len(gaining)
    pool = pd.concat([base, *survivors], axis=1)
    ranked_once = settings.max_features is None or (len(survivors) == 1 and every_gaining_kept)
    ordered = _ordered(pool, raw, gains if ranked_once else None, problem, progress)
    # near-monotone copies would take slots of a capped budget from candidates that add something
    distinct = without_monotone_duplicates(pool, ordered, raw)
    ranked = ordered if settings.max_features is None else distinct
    return Pool(pool, raw, ranked, distinct, len(ordered) - len(distinct))


def _gaining(base: pd.DataFrame, matrix: pd.DataFrame, problem: Problem, position: int) -> pd.Series:
    """The gain of the chunk's candidates that the family gains from, best first: any gain with screen='gain',
    more than from every shadow with screen='shadow'."""
    settings = problem.settings
    shadows = _shadows(matrix, problem.seed + position) if settings.screen == "shadow" else matrix.iloc[:, :0]
    ranking = gain_ranking(
        pd.concat([base, matrix, shadows], axis=1),
        problem.y,
        problem.problem_type,
        settings.cv_folds,
        problem.seed,
        problem.family,
    )
    bar = max(0.0, float(ranking[shadows.columns].max())) if len(shadows.columns) else 0.0
    return ranking[[n for n in ranking.index if n in matrix.columns and ranking[n] > bar]]


def _ordered(
    pool: pd.DataFrame, raw: list[str], gains: list[pd.Series] | None, problem: Problem, progress: Progress
) -> list[str]:
    """The pool's generated candidates, best first: by their chunks' gains when given, else ranked together."""
    if gains is not None:
        # without a cap the order only arranges the score curve, whose sets every fold ranks again; with one chunk
        # whose screen dropped only columns no model used, refitting without them gives the same ranking
        ranking = pd.concat(gains).sort_values(ascending=False, kind="stable") if gains else pd.Series(dtype=float)
    else:
        progress.stage("ranking the screened candidates together")
        settings = problem.settings
        ranking = gain_ranking(pool, problem.y, problem.problem_type, settings.cv_folds, problem.seed, problem.family)
    generated = set(pool.columns) - set(raw)
    return [n for n in ranking.index if n in generated]


def _shadows(matrix: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Up to ``SHADOWS`` candidates with their rows shuffled: what the model gains from a column of pure noise with
    a candidate's distribution (Boruta's shadow features)."""
    rng = np.random.default_rng(seed)
    picked = rng.choice(matrix.columns.to_numpy(), size=min(SHADOWS, matrix.shape[1]), replace=False)
    order = rng.permutation(len(matrix))
    return pd.DataFrame(
        {f"shadow {i}": matrix[name].to_numpy()[order] for i, name in enumerate(picked)}, index=matrix.index
    )


def size_grid(n: int) -> list[int]:
    """The sizes of the ``top_<n>`` candidate sets: ``SIZE_GRID_START``, twice that, ... while below ``n``."""
    sizes, size = [], SIZE_GRID_START
    while size < n:
        sizes.append(size)
        size *= 2
    return sizes


def choose(pool: Pool, problem: Problem, progress: Progress) -> Choice:
    """Score the raw columns and the candidate sets on fresh folds and pick one (see :func:`_pick`)."""
    settings, ranked = problem.settings, pool.ranked
    budget = min(settings.max_features or len(ranked), len(ranked))
    grid = size_grid(min(budget, len(pool.distinct))) if settings.keep_candidates == "cv" else []
    curve = grid or [n for n in CURVE_SIZES if n < len(ranked)]
    steps = settings.cv_folds * SCORING_REPEATS
    done = iter(range(1, steps + 1))
    progress.stage("confirming: scoring candidate sets", step=0, steps=steps)
    scores = in_fold_prefix_scores(
        pool.matrix,
        problem.y,
        pool.raw,
        ranked,
        {0, budget, len(ranked), *curve},
        problem_type=problem.problem_type,
        metric=problem.metric,
        k=settings.cv_folds,
        seed=problem.seed + SCORING_SEED_OFFSET,
        family=problem.family,
        repeats=SCORING_REPEATS,
        required={0, budget, len(ranked)},
        deadline=problem.deadline,
        on_fold=lambda: progress.stage("confirming: scoring candidate sets", step=next(done), steps=steps),
        eligible=pool.distinct,
    )
    candidate_set = "dfs_all" if budget == len(ranked) else "top_gain"
    sets = {
        "raw": [],
        **{f"top_{n}": pool.distinct[:n] for n in grid},
        "dfs_all": ranked,
        **({"top_gain": ranked[:budget]} if budget < len(ranked) else {}),
    }
    names = ("raw", *(f"top_{n}" for n in grid), candidate_set)
    contenders = {name: len(sets[name]) for name in names if len(sets[name]) in scores}
    name = _pick(contenders, scores, problem.family)
    return Choice(name, [*pool.raw, *sets[name]], scores, {**sets, "selected": sets[name]})


def _pick(contenders: dict[str, int], scores: dict[int, Score], family: ModelFamily) -> str:
    """The engineered set (``top_<n>``, ``dfs_all`` or ``top_gain``) with the best mean CV score, the smallest on a
    tie, against the raw columns. With LightGBM the candidate sets hold the raw columns too and trees ignore what
    does not help, so the raw columns alone must win by more than fold noise (measured: choices of raw on small
    margins lost on new rows). A conditioned model (linear, kernel, ...) is hurt by columns it cannot use: there
    the engineered set must win by more than fold noise."""
    engineered = [name for name, size in contenders.items() if size > 0]
    if not engineered:
        return "raw"
    best = max(engineered, key=lambda name: scores[contenders[name]].mean)  # the first, so the smallest, on a tie
    if "raw" not in contenders:
        return best
    raw, candidate = scores[contenders["raw"]], scores[contenders[best]]
    if family.conditioned:
        return best if clearly_better(candidate, raw) else "raw"
    return "raw" if clearly_better(raw, candidate) else best
