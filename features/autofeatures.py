"""AutoFeatures: Deep Feature Synthesis candidates, chosen by cross-validated score, as a scikit-learn transformer.

``fit(X, y, tables=...)``: X holds the rows to predict (the target table, one row per prediction),
``tables`` the related tables. A held-out share of the rows (``test_size``) is set aside first and
never seen by generation, ranking or selection; it only measures the result at the end. With
``cutoff_time`` (a datetime column of X) no feature of a row uses related data from after its time.
``transform`` computes the selected features for new rows from the saved feature definitions
(featuretools' own serialization) without refitting anything.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted
from tqdm.auto import tqdm

from features import persistence
from features.config import DEFAULT_METRICS, FeaturesConfig
from features.entityset import Schema, balanced_subset, build_entityset, compute, cutoff_frame, generate_definitions
from features.groupby import groupby_definitions
from features.profile import infer_problem_type
from features.selection import Score, as_model_input, clearly_better, gain_ranking, in_fold_prefix_scores, model_for, without_monotone_duplicates

# candidate sets are scored on folds other than the screening's, twice reshuffled: a steadier comparison
SCORING_SEED_OFFSET = 7919
SCORING_REPEATS = 2
# more points of the report's score curve (raw columns + the top n candidates): small sets are cheap to fit
CURVE_SIZES = (1, 4, 16, 64)


class AutoFeatures(TransformerMixin, BaseEstimator):
    """Automated feature engineering: generate with featuretools DFS, keep what improves the CV score.

    :param index: unique id column of X (None: row order).
    :param relationships: ``(parent_table, parent_column, child_table, child_column)`` links; the target
        table (X) is named ``target_table``.
    :param indexes: id column per related table; ``time_indexes``: time column per related table.
    :param cutoff_time: datetime column of X: each row's prediction time.
    :param training_window: e.g. ``"180 days"``: only related data this long before the cutoff.
    :param problem_type: ``auto``, ``regression``, ``binary`` or ``multiclass``.
    :param metric: a scikit-learn scorer name (default per problem type: RMSE, AUC, macro-F1).
    :param cv_folds: K of the K-fold CV that ranks and selects (on the training rows only).
    :param test_size: share of rows held out before anything is learned; scored once at the end (0: none).
    :param max_depth: Deep Feature Synthesis depth; ``max_candidates``: at most this many definitions (input columns
        included), drawn evenly from every primitive family when there are more.
    :param agg_primitives: featuretools aggregation primitives (None: a curated set); ``trans_primitives``: transform
        primitives (None: arithmetic between numeric pairs, datetime parts, text lengths), featuretools' names or
        sagelab's ``pairwise_min`` and ``pairwise_max`` (OpenFE's min/max of two columns; not in the default set).
    :param max_features: None (default): the choice is between the raw columns and the raw columns plus every
        candidate that passed the gain screen; N: plus the best-ranked N distinct candidates instead. The raw columns
        alone are kept only when they score better by more than one standard error of the fold-by-fold difference.
    :param time_budget_seconds: stop generating candidates after this long (the candidates so far are used); the
        final comparison of the raw columns with the candidate set always runs.
    :param groupby_aggregations: add statistics of numeric columns and row counts per key (a categorical column or a
        numeric one with few values, at least 20 rows per value) and row counts per pair of keys, learned on the
        training rows.
    :param chunk_size: candidates computed and ranked at a time, bounding memory on wide data.
    :param verbose: progress bars (candidate chunks, scoring folds) and step messages on stderr/stdout.
    """

    def __init__(
        self,
        *,
        target_table: str = "data",
        index: str | None = None,
        relationships: Sequence[tuple[str, str, str, str]] = (),
        indexes: Mapping[str, str] | None = None,
        time_indexes: Mapping[str, str] | None = None,
        cutoff_time: str | None = None,
        training_window: str | None = None,
        problem_type: str = "auto",
        metric: str | None = None,
        cv_folds: int = 5,
        test_size: float = 0.2,
        max_depth: int = 2,
        max_features: int | None = None,
        max_candidates: int = 2000,
        time_budget_seconds: float | None = None,
        agg_primitives: Sequence[str] | None = None,
        trans_primitives: Sequence[str] | None = None,
        groupby_aggregations: bool = True,
        chunk_size: int = 512,
        random_state: int = 0,
        verbose: bool = False,
    ) -> None:
        self.target_table = target_table
        self.index = index
        self.relationships = relationships
        self.indexes = indexes
        self.time_indexes = time_indexes
        self.cutoff_time = cutoff_time
        self.training_window = training_window
        self.problem_type = problem_type
        self.metric = metric
        self.cv_folds = cv_folds
        self.test_size = test_size
        self.max_depth = max_depth
        self.max_features = max_features
        self.max_candidates = max_candidates
        self.time_budget_seconds = time_budget_seconds
        self.agg_primitives = agg_primitives
        self.trans_primitives = trans_primitives
        self.groupby_aggregations = groupby_aggregations
        self.chunk_size = chunk_size
        self.random_state = random_state
        self.verbose = verbose

    @classmethod
    def from_config(cls, config: FeaturesConfig, **overrides: Any) -> AutoFeatures:
        """An AutoFeatures with the settings of a features job config."""
        related = [t for t in config.tables if t.name != config.target_table_name]
        target = config.table(config.target_table_name)
        settings = dict(
            target_table=target.name,
            index=target.index,
            relationships=tuple((r.parent_table, r.parent_column, r.child_table, r.child_column) for r in config.relationships),
            indexes={t.name: t.index for t in related if t.index},
            time_indexes={t.name: t.time_index for t in related if t.time_index},
            cutoff_time=config.cutoff_time,
            training_window=config.training_window,
            problem_type=config.problem_type,
            metric=config.metric,
            cv_folds=config.cv_folds,
            test_size=config.test_size,
            max_depth=config.max_depth,
            max_features=config.max_features,
            max_candidates=config.max_candidates,
            time_budget_seconds=config.time_budget_seconds,
            agg_primitives=config.agg_primitives,
            trans_primitives=config.trans_primitives,
            groupby_aggregations=config.groupby_aggregations,
            chunk_size=config.chunk_size,
            random_state=config.seed,
        )
        settings.update(overrides)
        return cls(**settings)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # LightGBM and featuretools handle missing values
        tags.input_tags.string = True  # categorical and text columns are features, not errors
        tags.transformer_tags.preserves_dtype = []  # the output is a DataFrame of mixed dtypes
        return tags

    # --- fitting -----------------------------------------------------------------------------------

    def _schema(self) -> Schema:
        return Schema(
            target_table=self.target_table,
            index=self.index,
            time_index=dict(self.time_indexes or {}),
            indexes=dict(self.indexes or {}),
            relationships=tuple(tuple(r) for r in self.relationships),  # type: ignore[misc]
            cutoff_time=self.cutoff_time,
        )

    def _log(self, message: str) -> None:
        if self.verbose:
            print(message, flush=True)

    def fit(self, X: pd.DataFrame, y: Any, tables: Mapping[str, pd.DataFrame] | None = None) -> AutoFeatures:
        """Generate candidates on the training rows, select by CV score, measure on the held-out rows."""
        self._fit(X, y, tables)
        return self

    def fit_transform(self, X: Any, y: Any = None, tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        """``fit(X, y).transform(X)``; without held-out rows the matrix computed while fitting is reused."""
        matrix = self._fit(X, y, tables)
        return matrix if matrix is not None else self.transform(X, tables=tables)

    def _fit(self, X: Any, y: Any, tables: Mapping[str, pd.DataFrame] | None) -> pd.DataFrame | None:
        """Fit; return the selected features of X when every row was a training row (else None)."""
        started = time.monotonic()
        deadline = started + self.time_budget_seconds if self.time_budget_seconds else None
        X = self._as_frame(X)
        y = pd.Series(np.asarray(y), index=X.index, name=getattr(y, "name", None) or "target")
        if y.isna().any():
            raise ValueError(f"y has {int(y.isna().sum())} missing values; drop or fill those rows first")
        type_of_target(y, input_name="y", raise_unknown=True)
        needed = 2 * self.cv_folds
        if len(X) < needed:
            raise ValueError(f"X has n_samples={len(X)}; {self.cv_folds}-fold CV needs at least {needed} rows")
        self.n_features_in_ = X.shape[1]
        tables = dict(tables or {})
        self.problem_type_, self.problem_type_reason_ = (
            infer_problem_type(y) if self.problem_type == "auto" else (self.problem_type, "set by the user")
        )
        self.metric_ = self.metric or DEFAULT_METRICS[self.problem_type_]
        stratify = y if self.problem_type_ != "regression" else None
        if self.test_size:
            train_rows, holdout_rows = train_test_split(
                np.arange(len(X)), test_size=self.test_size, random_state=self.random_state, stratify=stratify
            )
        else:
            train_rows, holdout_rows = np.arange(len(X)), np.array([], dtype=int)
        X_train, y_train = X.iloc[train_rows], y.iloc[train_rows].reset_index(drop=True)

        schema = self._schema()
        entityset = build_entityset(X_train, tables, schema)
        definitions = generate_definitions(
            entityset, schema, max_depth=self.max_depth, max_candidates=None,
            agg_primitives=self.agg_primitives, trans_primitives=self.trans_primitives,
        )
        if self.groupby_aggregations:
            # statistics learned from the training rows only; the held-out rows are not in this entityset
            definitions += groupby_definitions(entityset, schema.target_table)
        definitions = balanced_subset(definitions, self.max_candidates, seed=self.random_state)
        raw_names = [c for c in X.columns if c not in {self.index, self.cutoff_time}]
        by_name = {f.get_name(): f for f in definitions}
        raw = [name for name in by_name if name in raw_names]
        candidates = [name for name in by_name if name not in raw]
        cap = self.max_features if self.max_features is not None else len(candidates)
        self._log(f"{len(definitions)} feature definitions ({len(raw)} raw, {len(candidates)} generated)")

        cutoff = cutoff_frame(X_train, schema)
        # candidates are computed and ranked chunk by chunk; only the best of each chunk is kept in memory.
        # The raw columns ride along with the first chunk: with cutoff times every featuretools pass is costly.
        chunks = [candidates[start : start + self.chunk_size] for start in range(0, len(candidates), self.chunk_size)] or [[]]
        survivors: list[pd.DataFrame] = []
        survivor_gains: list[pd.Series] = []
        every_gaining_kept = True
        for position, chunk in enumerate(tqdm(chunks, desc="ranking candidate chunks", unit="chunk", disable=not self.verbose)):
            if deadline is not None and time.monotonic() > deadline:
                if position:
                    break
                chunk = []  # out of time already: the raw columns are still needed
            wanted = [by_name[n] for n in ([*raw, *chunk] if position == 0 else chunk)]
            matrix = (compute(wanted, entityset, cutoff, self.training_window).reset_index(drop=True)
                      if wanted else pd.DataFrame(index=pd.RangeIndex(len(X_train))))
            if position == 0:
                base_matrix, matrix = matrix[raw], matrix.drop(columns=raw)
            matrix = matrix.loc[:, matrix.nunique(dropna=True) > 1]
            if matrix.empty:
                continue
            ranking = gain_ranking(pd.concat([base_matrix, matrix], axis=1), y_train, self.problem_type_, self.cv_folds, self.random_state)
            gaining = [n for n in ranking.index if n in matrix.columns and ranking[n] > 0]
            keep = gaining[: max(cap, len(chunk) // 2)]
            survivors.append(matrix[keep])
            survivor_gains.append(ranking[keep])
            every_gaining_kept &= len(keep) == len(gaining)
        pool = pd.concat([base_matrix, *survivors], axis=1)
        generated = [c for c in pool.columns if c not in raw]
        if self.max_features is None or (len(survivors) == 1 and every_gaining_kept):
            # without a cap the order only arranges the score curve, whose sets every fold ranks again; with one chunk
            # whose screen dropped only columns no tree split on, refitting without them gives the same trees and gains
            ranking = pd.concat(survivor_gains).sort_values(ascending=False, kind="stable") if survivor_gains else pd.Series(dtype=float)
        else:
            ranking = gain_ranking(pool, y_train, self.problem_type_, self.cv_folds, self.random_state)
        # near-monotone copies would take slots of a capped budget from candidates that add something
        distinct = without_monotone_duplicates(pool, [n for n in ranking.index if n in generated], raw)
        self.n_near_duplicates_ = len(generated) - len(distinct)
        ranked = [n for n in ranking.index if n in generated] if self.max_features is None else distinct
        budget = min(cap, len(ranked))
        sizes = {0, budget, len(ranked), *(n for n in CURVE_SIZES if n < len(ranked))}
        with tqdm(total=self.cv_folds * SCORING_REPEATS, desc="scoring candidate sets", unit="fold", disable=not self.verbose) as progress:
            scores = in_fold_prefix_scores(
                pool, y_train, raw, ranked, sizes, problem_type=self.problem_type_, metric=self.metric_, k=self.cv_folds,
                seed=self.random_state + SCORING_SEED_OFFSET, repeats=SCORING_REPEATS, required={0, budget, len(ranked)}, deadline=deadline,
                on_fold=progress.update,
            )
        candidate_set = "dfs_all" if budget == len(ranked) else "top_gain"
        contenders = {name: size for name, size in (("raw", 0), (candidate_set, budget)) if size in scores}
        # only two contenders: picking the best of many sizes would pick fold noise (measured: worse on new rows).
        # The candidate set holds the raw columns too and trees can ignore what does not help, so the raw columns alone
        # must win by more than fold noise (measured: choices of raw on small margins lost on new rows; fair, where
        # nothing helps, still gets its raw columns)
        engineered = next((name for name, size in contenders.items() if size > 0), None)
        self.selection_choice_ = (
            "raw" if engineered is None or ("raw" in contenders and clearly_better(scores[0], scores[contenders[engineered]]))
            else engineered
        )
        selected = [*raw, *ranked[: contenders[self.selection_choice_]]]
        self.score_curve_ = [(len(raw) + n, score.mean) for n, score in sorted(scores.items())]
        self.feature_definitions_ = [by_name[n] for n in selected]
        self.feature_names_out_ = np.array(selected, dtype=object)
        self.raw_features_ = raw
        self.n_candidates_ = len(definitions)
        # input columns only: a new category there is a data problem; a generated one (the MODE of a related column)
        # may take any value its source column can, seen among the training rows or not
        self.categories_ = {
            n: sorted(map(str, pool[n].dropna().unique())) for n in raw if n in selected and not pd.api.types.is_numeric_dtype(pool[n])
        }
        self.feature_names_in_ = np.array([c for c in X.columns], dtype=object)
        self.table_columns_ = {name: list(frame.columns) for name, frame in tables.items()}
        final = model_for(self.problem_type_, self.random_state).fit(as_model_input(pool[selected]), y_train)
        self.importances_ = dict(zip(selected, map(float, final.booster_.feature_importance(importance_type="gain")), strict=True))
        rows = {"raw": 0, "dfs_all": len(ranked), **({"top_gain": budget} if budget < len(ranked) else {})}
        self.leaderboard_ = [_row(name, scores.get(size), len(raw) + size) for name, size in rows.items()]
        self.leaderboard_.append({**_row("selected", scores[contenders[self.selection_choice_]], len(selected)), "chosen": self.selection_choice_})
        self.holdout_ = self._holdout(X, y, tables, train_rows, holdout_rows, pool, raw, y_train)
        self.fit_seconds_ = time.monotonic() - started
        return None if len(holdout_rows) else pool[selected].copy()

    def _holdout(self, X, y, tables, train_rows, holdout_rows, pool, raw, y_train) -> dict[str, float]:
        """Scores on the held-out rows, with models fit on the training rows: raw columns vs selected features."""
        if not len(holdout_rows):
            return {}
        scorer = get_scorer(self.metric_)
        X_hold, y_hold = X.iloc[holdout_rows], y.iloc[holdout_rows].reset_index(drop=True)
        held = self.transform(X_hold, tables=tables).reset_index(drop=True)
        result = {}
        model = model_for(self.problem_type_, self.random_state).fit(as_model_input(pool[list(self.feature_names_out_)]), y_train)
        result["selected"] = float(scorer(model, self._align(as_model_input(held), pool), y_hold))
        if raw:
            base = model_for(self.problem_type_, self.random_state).fit(as_model_input(pool[raw]), y_train)
            result["raw"] = float(scorer(base, self._align(as_model_input(held[raw]), pool), y_hold))
        return result

    @staticmethod
    def _align(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
        # categories must match the training ones for LightGBM to map them the same way
        reference_input = as_model_input(reference[frame.columns])
        for name in frame.columns:
            if isinstance(reference_input[name].dtype, pd.CategoricalDtype):
                frame[name] = pd.Categorical(frame[name].astype(str), categories=reference_input[name].cat.categories.astype(str))
        return frame

    # --- transforming --------------------------------------------------------------------------------

    def _as_frame(self, X: Any) -> pd.DataFrame:
        """X as a DataFrame; arrays get sklearn's checks (2-d, dense, real, non-empty) and columns x0, x1, ..."""
        if isinstance(X, pd.DataFrame):
            if X.shape[0] == 0 or X.shape[1] == 0:
                raise ValueError(f"X has shape {X.shape}: a minimum of 1 sample and 1 feature is required")
            numeric = X.select_dtypes("number")
            infinite = [c for c in numeric.columns if np.isinf(numeric[c].to_numpy(dtype=float)).any()]
            if infinite:
                raise ValueError(f"X column(s) {', '.join(map(str, infinite))} contain infinity; expected finite numbers or NaN")
            return X.reset_index(drop=True)
        # missing values are allowed (LightGBM handles them); infinity, complex and sparse input are not
        array = check_array(X, dtype=None, ensure_all_finite="allow-nan", input_name="X")
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])]).infer_objects()

    def transform(self, X: Any, tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        """The selected features for new rows (computed from the saved definitions; nothing is refit)."""
        check_is_fitted(self, "feature_definitions_")
        positional = not isinstance(X, pd.DataFrame)
        X = self._as_frame(X)
        if positional and X.shape[1] != self.n_features_in_:
            # arrays carry no column names: only the count can be checked
            raise ValueError(f"X has {X.shape[1]} features, but AutoFeatures is expecting {self.n_features_in_} features as input")
        tables = dict(tables or {})
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise ValueError(f"X is missing column(s) {', '.join(map(str, missing))} that the transformer was fit with")
        for name, columns in self.table_columns_.items():
            if name not in tables:
                raise ValueError(f"table {name!r} is missing; pass tables={{'{name}': DataFrame, ...}} as at fit")
            absent = [c for c in columns if c not in tables[name].columns]
            if absent:
                raise ValueError(f"table {name!r} is missing column(s) {', '.join(absent)}")
        schema = self._schema()
        rows = X[list(self.feature_names_in_)]
        entityset = build_entityset(rows, {n: tables[n] for n in self.table_columns_}, schema)
        matrix = compute(self.feature_definitions_, entityset, cutoff_frame(rows, schema), self.training_window)
        matrix = matrix[list(self.feature_names_out_)].reset_index(drop=True)
        for name, known in self.categories_.items():
            unseen = sorted(set(map(str, matrix[name].dropna().unique())) - set(known))
            if unseen:
                raise ValueError(f"column {name!r} has categories not seen at fit: {', '.join(unseen[:5])}")
        return matrix

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_definitions_")
        return self.feature_names_out_.copy()

    # --- persistence ---------------------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Feature definitions via featuretools' serialization plus parameters and learned state as JSON."""
        check_is_fitted(self, "feature_definitions_")
        return persistence.save(self, directory)

    @classmethod
    def load(cls, directory: str | Path) -> AutoFeatures:
        """A fitted AutoFeatures from :meth:`save`'s directory."""
        return persistence.load(cls, directory)

    def describe_features(self) -> list[dict[str, Any]]:
        """The selected features with featuretools' plain-words description and their importance."""
        import featuretools as ft

        check_is_fitted(self, "feature_definitions_")
        return [
            {"name": f.get_name(), "description": ft.describe_feature(f), "importance": self.importances_.get(f.get_name(), 0.0)}
            for f in self.feature_definitions_
        ]


def _row(name: str, score: Score | None, count: int) -> dict[str, Any]:
    row: dict[str, Any] = {"candidate_set": name, "cv_score": None, "cv_std": None, "fit_seconds": 0.0, "n_features": count}
    if score is not None:
        row.update(cv_score=score.mean, cv_std=score.std, fit_seconds=score.seconds)
    return row
