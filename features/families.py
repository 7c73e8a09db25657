"""The model family that consumes the features is the one that ranks and selects them.

:class:`ModelFamily` gives AutoFeatures what it needs of a model: a fresh one to fit, its importance per
input column, and how a feature matrix must be prepared for it. The default is LightGBM (categories as
pandas categories, missing values as they are). Any other scikit-learn estimator is fit behind a
:class:`Conditioner` learned on the rows it is fit on: numbers clipped to their 1st-99th percentiles (a ratio
such as ``age / sex`` has a few huge values that wreck a linear model), missing values filled with the median,
standardized; categories one-hot encoded. Its importance is ``feature_importances_`` or ``|coef_|`` (on
standardized inputs, so comparable), as scikit-learn's ``SelectFromModel`` reads them, summed over a
category's one-hot columns; permutation importance when it has neither.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import Pipeline

from features.selection import as_model_input, model_for

CLIP_QUANTILES = (0.01, 0.99)


class Conditioner(TransformerMixin, BaseEstimator):
    """Clip, impute and standardize numbers, one-hot encode categories: what a linear model needs."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> Conditioner:
        numeric = [str(n) for n, c in X.items() if _is_number(c)]
        self.categories_: dict[str, list[str]] = {
            str(n): sorted(map(str, c.dropna().unique())) for n, c in X.items() if not _is_number(c)
        }
        values = X[numeric].to_numpy(dtype=float) if numeric else np.empty((len(X), 0))
        low, high, median, filled = _clipped(values)
        mean, std = filled.mean(axis=0), filled.std(axis=0)
        std[std == 0] = 1.0
        # column -> [low, high, median, mean, std] (vectorized: a pandas clip per column costs milliseconds)
        self.numeric_: dict[str, list[float]] = {
            name: [float(v) for v in stats] for name, *stats in zip(numeric, low, high, median, mean, std, strict=True)
        }
        self.feature_names_in_ = np.array([str(c) for c in X.columns], dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        numeric = list(self.numeric_)
        stats = np.array(list(self.numeric_.values()), dtype=float).reshape(-1, 5).T
        values = X[numeric].to_numpy(dtype=float) if numeric else np.empty((len(X), 0))
        values = np.where(np.isnan(values), stats[2], np.clip(values, stats[0], stats[1]))
        scaled = pd.DataFrame((values - stats[3]) / stats[4], columns=numeric, index=X.index)
        parts = [scaled]
        for name, categories in self.categories_.items():
            text = X[name].astype(object).where(X[name].notna(), None).astype(str).to_numpy()
            parts.append(pd.DataFrame({f"{name}={c}": (text == c).astype(float) for c in categories}, index=X.index))
        return pd.concat(parts, axis=1)[self.transform_names()]

    def groups(self) -> list[str]:
        """The input column of each output column, in output order (a category's one-hot columns share one)."""
        return [
            name for name in self.feature_names_in_ for _ in ([0] if name in self.numeric_ else self.categories_[name])
        ]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(self.transform_names(), dtype=object)

    def transform_names(self) -> list[str]:
        return [
            name if name in self.numeric_ else f"{name}={c}"
            for name in self.feature_names_in_
            for c in ([None] if name in self.numeric_ else self.categories_[name])
        ]

    def state(self) -> dict[str, Any]:
        """The learned numbers, as JSON-compatible values."""
        return {"numeric": self.numeric_, "categories": self.categories_, "columns": list(self.feature_names_in_)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Conditioner:
        conditioner = cls()
        conditioner.numeric_ = {k: list(v) for k, v in state["numeric"].items()}
        conditioner.categories_ = {k: list(v) for k, v in state["categories"].items()}
        conditioner.feature_names_in_ = np.array(state["columns"], dtype=object)
        return conditioner


def _is_number(column: pd.Series) -> bool:
    return not isinstance(column.dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(column)


def _clipped(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per column: the clip bounds, the median, and the values clipped with missing ones set to the median."""
    if not values.shape[1]:
        empty = np.empty(0)
        return empty, empty, empty, values
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column: its statistics are 0
        low, high = np.nan_to_num(np.nanquantile(values, CLIP_QUANTILES, axis=0))
        median = np.nan_to_num(np.nanmedian(values, axis=0))
    filled = np.where(np.isnan(values), median, np.clip(values, low, high))
    return low, high, median, filled


@dataclass(frozen=True)
class ModelFamily:
    """LightGBM (``estimator`` None or a LightGBM model) or any scikit-learn estimator behind a Conditioner."""

    estimator: Any = None

    @property
    def conditioned(self) -> bool:
        """Whether the model needs conditioned inputs (everything but LightGBM)."""
        return self.estimator is not None and not type(self.estimator).__module__.startswith("lightgbm")

    @property
    def name(self) -> str:
        return "LightGBM" if self.estimator is None else type(self.estimator).__name__

    def model(self, problem_type: str, seed: int, *, search: bool = False) -> Any:
        """An unfitted model; ``search``: the default family's cheaper twin for ranking and selection."""
        if self.estimator is None:
            return model_for(problem_type, seed, search=search)
        if not self.conditioned:
            return clone(self.estimator)
        return Pipeline([("condition", Conditioner()), ("model", clone(self.estimator))])

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A feature matrix as the model takes it (numbers as floats, the rest as categories)."""
        return as_model_input(frame)

    def importances(self, model: Any, X: pd.DataFrame, y: pd.Series) -> np.ndarray:
        """Importance of each column of ``X`` (which ``model`` was fit on) for ranking candidates."""
        if self.estimator is None:
            return model.booster_.feature_importance(importance_type="gain")
        final = model[-1] if isinstance(model, Pipeline) else model
        if hasattr(final, "feature_importances_"):
            raw = np.asarray(final.feature_importances_, dtype=float)
        elif hasattr(final, "coef_"):
            coef = np.abs(np.asarray(final.coef_, dtype=float))
            raw = coef.sum(axis=0) if coef.ndim == 2 else coef
        else:
            from sklearn.inspection import permutation_importance

            return permutation_importance(model, X, y, n_repeats=2, random_state=0).importances_mean
        if not isinstance(model, Pipeline):
            return raw
        per_column = pd.Series(raw, index=model[0].groups()).groupby(level=0, sort=False).sum()
        return per_column.reindex([str(c) for c in X.columns]).fillna(0.0).to_numpy()
