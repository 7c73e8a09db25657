"""AutoFeatures: Deep Feature Synthesis candidates, chosen by cross-validated score, as a scikit-learn transformer.

``fit(X, y, tables=...)``: X holds the rows to predict (the target table, one row per prediction),
``tables`` the related tables. A held-out share of the rows (``test_size``) is set aside first and
never seen by generation, ranking or selection; it only measures the result at the end. With
``cutoff_time`` (a datetime column of X) no feature of a row uses related data from after its time.
``transform`` computes the selected features for new rows from the saved feature definitions
(featuretools' own serialization) without refitting anything; its rows keep X's row labels.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from features import persistence
from features.entityset import Schema, balanced_subset, build_entityset, compute, cutoff_frame, generate_definitions
from features.families import Conditioner, ModelFamily
from features.groupby import groupby_definitions
from features.profiling import infer_problem_type
from features.progress import Progress, progress_for
from features.search import Choice, Pool, Problem, choose, screen
from features.settings import DEFAULT_METRICS, SearchSettings
from features.tables import as_frame, check_tables_as_at_fit, check_target, close_matches, parse_times, resolve_keys

# the estimator's own parameters (how the tables fit together, the consuming model, the seed, the display);
# the search settings come from SearchSettings, the one definition they share with the features job config
OWN_PARAMETERS: dict[str, Any] = {
    "target_table": "data",
    "index": None,
    "relationships": (),
    "indexes": None,
    "time_indexes": None,
    "estimator": None,
    "random_state": 0,
    "verbose": False,
}
PARAMETERS: dict[str, Any] = {**OWN_PARAMETERS, **{n: f.default for n, f in SearchSettings.model_fields.items()}}


class AutoFeatures(TransformerMixin, BaseEstimator):
    """Automated feature engineering: generate with featuretools DFS, keep what improves the CV score.

    The search settings (``cutoff_time``, ``training_window``, ``problem_type``, ``metric``, ``cv_folds``,
    ``test_size``, ``max_depth``, ``max_features``, ``max_candidates``, ``time_budget_seconds``,
    ``agg_primitives``, ``trans_primitives``, ``groupby_aggregations``, ``chunk_size``, ``keep_index``) are the
    fields of :class:`features.settings.SearchSettings`, documented there and validated at ``fit``. Besides:

    :param target_table: the name of X's table in relationships and feature names.
    :param index: unique id column of X (None: row order, or the key its relationships name).
    :param relationships: ``(parent_table, parent_column, child_table, child_column)`` links.
    :param indexes: id column per related table (a missing one is inferred, with a warning naming it);
        ``time_indexes``: time column per related table.
    :param estimator: the scikit-learn model that will consume the features (None: LightGBM). It ranks and
        selects the candidates; a model other than LightGBM gets them clipped, imputed and standardized (and
        ``transform`` returns them so), see :mod:`features.families`.
    :param random_state: seed of the split, the folds and the models.
    :param verbose: a stage-by-stage progress display (rich) while fitting.
    """

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(PARAMETERS))
        if unknown:
            raise TypeError(
                f"AutoFeatures got an unexpected keyword argument {unknown[0]!r}{close_matches(unknown[0], PARAMETERS)}"
            )
        for name, default in PARAMETERS.items():
            setattr(self, name, params.get(name, default))

    # the signature scikit-learn's get_params/set_params/clone read: every parameter, keyword-only, with its default
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d) for n, d in PARAMETERS.items()]
    )

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> AutoFeatures:
        """An AutoFeatures with the settings of a features job config (a ``FeaturesConfig``)."""
        related = [t for t in config.tables if t.name != config.target_table_name]
        target = config.table(config.target_table_name)
        settings = dict(
            target_table=target.name,
            index=target.index,
            relationships=tuple(
                (r.parent_table, r.parent_column, r.child_table, r.child_column) for r in config.relationships
            ),
            indexes={t.name: t.index for t in related if t.index},
            time_indexes={t.name: t.time_index for t in related if t.time_index},
            random_state=config.seed,
            **{name: getattr(config, name) for name in SearchSettings.model_fields},
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

    def fit(
        self, X: Any, y: Any, tables: Mapping[str, pd.DataFrame] | None = None, *, progress: Progress | None = None
    ) -> AutoFeatures:
        """Generate candidates on the training rows, select by CV score, measure on the held-out rows.

        :param progress: receives each stage (default: a rich display when ``verbose``, else nothing).
        """
        self._fit(X, y, tables, progress)
        return self

    def fit_transform(
        self, X: Any, y: Any = None, tables: Mapping[str, pd.DataFrame] | None = None, **fit_params: Any
    ) -> pd.DataFrame:
        """``fit(X, y).transform(X)``."""
        return self.fit(X, y, tables, **fit_params).transform(X, tables=tables)

    def _settings(self) -> SearchSettings:
        values = {name: getattr(self, name) for name in SearchSettings.model_fields}
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        try:
            return SearchSettings.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors())
            raise ValueError(f"AutoFeatures parameter(s) not valid: {problems}") from None

    def _fit(self, X: Any, y: Any, tables: Mapping[str, pd.DataFrame] | None, progress: Progress | None) -> None:
        started = time.monotonic()
        settings = self._settings()
        progress = progress or progress_for(self.verbose)
        progress.stage("checking the tables")
        X, y, tables, schema = self._checked(X, y, tables, settings)
        self.problem_type_, self.problem_type_reason_ = (
            infer_problem_type(y) if settings.problem_type == "auto" else (settings.problem_type, "set by the user")
        )
        self.metric_ = settings.metric or DEFAULT_METRICS[self.problem_type_]
        train_rows, holdout_rows = self._split(y, settings.test_size)
        X_train, y_train = X.iloc[train_rows], y.iloc[train_rows].reset_index(drop=True)
        family = ModelFamily(self.estimator)
        deadline = started + settings.time_budget_seconds if settings.time_budget_seconds else None
        problem = Problem(y_train, self.problem_type_, self.metric_, family, self.random_state, settings, deadline)
        progress.stage("building the EntitySet")
        entityset = build_entityset(X_train, tables, schema)
        progress.stage("generating candidate definitions")
        definitions = self._definitions(entityset, schema, settings)
        raw = [c for c in X.columns if c not in {schema.index, settings.cutoff_time} and c in definitions]
        pool = screen(definitions, raw, entityset, cutoff_frame(X_train, schema), problem, progress)
        choice = choose(pool, problem, progress)
        progress.stage("fitting the final model and scoring the held-out rows")
        final = self._learn(pool, choice, definitions, problem)
        self.holdout_ = self._holdout(X, y, tables, holdout_rows, pool, problem, final) if len(holdout_rows) else {}
        self.fit_seconds_ = time.monotonic() - started
        progress.close()

    def _checked(
        self, X: Any, y: Any, tables: Mapping[str, pd.DataFrame] | None, settings: SearchSettings
    ) -> tuple[pd.DataFrame, pd.Series, dict[str, pd.DataFrame], Schema]:
        """X, y and the tables checked (errors name table and column); the schema with every index and id."""
        X = as_frame(X)
        y = pd.Series(np.asarray(y), index=X.index, name=getattr(y, "name", None) or "target")
        if y.isna().any():
            raise ValueError(f"y has {int(y.isna().sum())} missing values; drop or fill those rows first")
        check_target(self.target_table, str(y.name), y)
        type_of_target(y, input_name="y", raise_unknown=True)
        needed = 2 * settings.cv_folds
        if len(X) < needed:
            raise ValueError(f"X has n_samples={len(X)}; {settings.cv_folds}-fold CV needs at least {needed} rows")
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.array(list(X.columns), dtype=object)
        tables = dict(tables or {})
        keys = resolve_keys(self.target_table, X, tables, self.index, dict(self.indexes or {}), self.relationships)
        time_indexes = dict(self.time_indexes or {})
        for name, column in time_indexes.items():
            if name in tables and column in tables[name].columns:
                tables[name] = tables[name].assign(**{column: parse_times(name, column, tables[name][column])})
        if settings.cutoff_time is not None:
            X = X.assign(
                **{settings.cutoff_time: parse_times(self.target_table, settings.cutoff_time, X[settings.cutoff_time])}
            )
        self.index_ = keys.target_index
        self.indexes_ = keys.indexes
        self.id_columns_ = keys.ids
        self.table_columns_ = {name: list(frame.columns) for name, frame in tables.items()}
        schema = Schema(
            self.target_table,
            keys.target_index,
            time_indexes,
            keys.indexes,
            tuple(tuple(r) for r in self.relationships),
            settings.cutoff_time,
            {name: tuple(columns) for name, columns in keys.ids.items()},
        )
        return X, y, tables, schema

    def _split(self, y: pd.Series, test_size: float) -> tuple[np.ndarray, np.ndarray]:
        if not test_size:
            return np.arange(len(y)), np.array([], dtype=int)
        stratify = y if self.problem_type_ != "regression" else None
        train, holdout = train_test_split(
            np.arange(len(y)), test_size=test_size, random_state=self.random_state, stratify=stratify
        )
        return train, holdout

    def _definitions(self, entityset: Any, schema: Schema, settings: SearchSettings) -> dict[str, Any]:
        definitions = generate_definitions(
            entityset,
            schema,
            max_depth=settings.max_depth,
            max_candidates=None,
            agg_primitives=settings.agg_primitives,
            trans_primitives=settings.trans_primitives,
        )
        if settings.groupby_aggregations:
            # statistics learned from the training rows only; the held-out rows are not in this entityset
            definitions += groupby_definitions(
                entityset, schema.target_table, exclude=schema.ids.get(schema.target_table, ())
            )
        definitions = balanced_subset(definitions, settings.max_candidates, seed=self.random_state)
        self.n_candidates_ = len(definitions)
        return {f.get_name(): f for f in definitions}

    def _learn(self, pool: Pool, choice: Choice, definitions: Mapping[str, Any], problem: Problem) -> Any:
        """The learned state: the chosen definitions, the leaderboard, and the final model (fit once), whose
        importances rank the report and whose conditioner (for a model other than LightGBM) ``transform`` applies."""
        selected = choice.selected
        self.selection_choice_ = choice.name
        self.raw_features_ = pool.raw
        self.n_near_duplicates_ = pool.n_near_duplicates
        self.feature_definitions_ = [definitions[n] for n in selected]
        self.score_curve_ = [(len(pool.raw) + n, score.mean) for n, score in sorted(choice.scores.items())]
        self.candidate_sets_ = {name: [*pool.raw, *members] for name, members in choice.sets.items()}
        # input columns only: a new category there is a data problem; a generated one (the MODE of a related column)
        # may take any value its source column can, seen among the training rows or not
        self.categories_ = {
            n: sorted(map(str, pool.matrix[n].dropna().unique()))
            for n in pool.raw
            if n in selected and not pd.api.types.is_numeric_dtype(pool.matrix[n])
        }
        family = problem.family
        training = family.prepare(pool.matrix[selected])
        final = family.model(problem.problem_type, self.random_state).fit(training, problem.y)
        self.importances_ = dict(zip(selected, map(float, family.importances(final, training, problem.y)), strict=True))
        self.conditioner_: Conditioner | None = final[0] if family.conditioned else None
        self.estimator_name_ = family.name
        self.leaderboard_ = choice.leaderboard(len(pool.raw))
        names = self.conditioner_.transform_names() if self.conditioner_ is not None else selected
        self.feature_names_out_ = np.array(self._id_column() + names, dtype=object)
        return final

    def _id_column(self) -> list[str]:
        return [self.index_] if self.keep_index and self.index_ else []

    def _holdout(
        self,
        X: pd.DataFrame,
        y: pd.Series,
        tables: dict[str, pd.DataFrame],
        holdout_rows: np.ndarray,
        pool: Pool,
        problem: Problem,
        final: Any,
    ) -> dict[str, float]:
        """Scores on the held-out rows, with models fit on the training rows: raw columns vs selected features."""
        scorer = get_scorer(self.metric_)
        family = problem.family
        held = self._features(X.iloc[holdout_rows], tables)
        y_hold = y.iloc[holdout_rows].reset_index(drop=True)
        result = {"selected": float(scorer(final, self._align(family.prepare(held), pool.matrix), y_hold))}
        if pool.raw:
            base = family.model(problem.problem_type, self.random_state).fit(
                family.prepare(pool.matrix[pool.raw]), problem.y
            )
            result["raw"] = float(scorer(base, self._align(family.prepare(held[pool.raw]), pool.matrix), y_hold))
        return result

    @staticmethod
    def _align(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
        # categories must match the training ones for LightGBM to map them the same way
        from features.selection import as_model_input

        reference_input = as_model_input(reference[frame.columns])
        for name in frame.columns:
            if isinstance(reference_input[name].dtype, pd.CategoricalDtype):
                frame[name] = pd.Categorical(
                    frame[name].astype(str), categories=reference_input[name].cat.categories.astype(str)
                )
        return frame

    # --- transforming --------------------------------------------------------------------------------

    def _features(self, X: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """The selected features of X's rows (before any conditioning), in row order with a fresh 0..n index."""
        schema = Schema(
            self.target_table,
            self.index_,
            dict(self.time_indexes or {}),
            self.indexes_,
            tuple(tuple(r) for r in self.relationships),
            self.cutoff_time,
        )
        rows = X[list(self.feature_names_in_)].reset_index(drop=True)
        if self.cutoff_time is not None:
            rows[self.cutoff_time] = parse_times(self.target_table, self.cutoff_time, rows[self.cutoff_time])
        entityset = build_entityset(rows, {n: tables[n] for n in self.table_columns_}, schema)
        matrix = compute(self.feature_definitions_, entityset, cutoff_frame(rows, schema), self.training_window)
        return matrix[[f.get_name() for f in self.feature_definitions_]].reset_index(drop=True)

    def transform(self, X: Any, tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        """The selected features for new rows (computed from the saved definitions; nothing is refit), indexed by
        X's own row labels, with the ``index`` column first when ``keep_index``."""
        check_is_fitted(self, "feature_definitions_")
        positional = not isinstance(X, pd.DataFrame)
        X = as_frame(X)
        if positional and X.shape[1] != self.n_features_in_:
            # arrays carry no column names: only the count can be checked
            raise ValueError(
                f"X has {X.shape[1]} features, but AutoFeatures is expecting {self.n_features_in_} features as input"
            )
        tables = dict(tables or {})
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise ValueError(f"X is missing column(s) {', '.join(map(str, missing))} that the transformer was fit with")
        check_tables_as_at_fit(tables, self.table_columns_)
        matrix = self._features(X, tables)
        for name, known in self.categories_.items():
            unseen = sorted(set(map(str, matrix[name].dropna().unique())) - set(known))
            if unseen:
                raise ValueError(f"column {name!r} has categories not seen at fit: {', '.join(unseen[:5])}")
        if self.conditioner_ is not None:
            from features.selection import as_model_input

            matrix = self.conditioner_.transform(as_model_input(matrix))
        if self._id_column():
            matrix.insert(0, self.index_, X[self.index_].to_numpy())
        matrix.index = X.index
        return matrix

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_definitions_")
        return self.feature_names_out_.copy()

    # --- persistence and description -------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Feature definitions via featuretools' serialization plus parameters and learned state as JSON."""
        check_is_fitted(self, "feature_definitions_")
        return persistence.save(self, directory)

    @classmethod
    def load(cls, directory: str | Path) -> AutoFeatures:
        """A fitted AutoFeatures from :meth:`save`'s directory."""
        return persistence.load(cls, directory)

    def describe_features(self) -> pd.DataFrame:
        """The selected features (one row each): name, featuretools' plain-words description, importance."""
        import featuretools as ft

        check_is_fitted(self, "feature_definitions_")
        rows = [
            {
                "name": f.get_name(),
                "description": ft.describe_feature(f),
                "importance": self.importances_.get(f.get_name(), 0.0),
            }
            for f in self.feature_definitions_
        ]
        return pd.DataFrame(rows, columns=["name", "description", "importance"])
