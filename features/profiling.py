"""Data profile and problem-type inference: what the columns are and what kind of prediction the target asks for."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# a numeric target with at most this many distinct values, all integers, is taken as classes
MAX_CLASSES = 20


@dataclass
class ColumnProfile:
    name: str
    logical_type: str
    missing_fraction: float
    distinct: int


@dataclass
class DataProfile:
    """Per-column types (woodwork), missing values, cardinality; the target's distribution and problem type."""

    rows: int
    columns: list[ColumnProfile]
    target: str
    target_summary: dict[str, Any]
    problem_type: str
    reason: str
    tables: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def infer_problem_type(y: pd.Series) -> tuple[str, str]:
    """``regression``, ``binary`` or ``multiclass``, with the reason in words."""
    values = y.dropna()
    distinct = values.nunique()
    if distinct < 2:
        raise ValueError(f"target {y.name!r} has {distinct} distinct value(s); nothing to predict")
    if distinct == 2:
        return (
            "binary",
            f"target {y.name!r} has exactly 2 distinct values "
            f"({', '.join(map(str, sorted(values.unique().tolist())))})",
        )
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "multiclass", f"target {y.name!r} is non-numeric with {distinct} distinct values"
    integral = bool(np.all(np.equal(np.mod(values.to_numpy(dtype=float), 1), 0)))
    if integral and distinct <= MAX_CLASSES:
        return "multiclass", f"target {y.name!r} has {distinct} distinct integer values (<= {MAX_CLASSES}: classes)"
    return "regression", f"target {y.name!r} is numeric with {distinct} distinct values"


def profile(frame: pd.DataFrame, target: str, tables: dict[str, pd.DataFrame] | None = None) -> DataProfile:
    """Profile ``frame`` (the rows to predict, target included)."""
    import woodwork  # noqa: F401  (registers the .ww accessor)

    typed = frame.drop(columns=[target]).copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # woodwork's date-parsing chatter while it tries each column as a datetime
        typed.ww.init()
    types = typed.ww.logical_types
    columns = [
        ColumnProfile(str(name), str(types[name]), float(typed[name].isna().mean()), int(typed[name].nunique()))
        for name in typed.columns
    ]
    y = frame[target]
    problem_type, reason = infer_problem_type(y)
    if problem_type == "regression":
        summary = {k: float(v) for k, v in y.describe().items()}
    else:
        summary = {str(k): int(v) for k, v in y.value_counts().items()}
    summary["missing"] = int(y.isna().sum())
    return DataProfile(
        len(frame), columns, target, summary, problem_type, reason, {k: len(v) for k, v in (tables or {}).items()}
    )
