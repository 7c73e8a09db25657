"""The tables handed to AutoFeatures, checked and read for their keys before featuretools sees them.

- Every error names the table and the column, and offers the close matches (``difflib``) of a misspelt name.
- Id columns (an index, a foreign key, or a column that looks like an id: unique or near-unique integer or
  string keys, names such as ``order_id``) are found here; they never feed arithmetic or aggregations.
- A related table without a declared index gets one: the parent key a relationship names, else its id column,
  with a warning naming the column used; a clear error when no column fits.
- Child keys that match no parent row are counted and reported as a warning.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# a column named like an id: "id", "order_id", "order-id", "ORDER_ID", "orderId", "orderID" (not "paid", "valid")
ID_NAME = re.compile(r"(?i:(^|[_\-\s])id)$|[a-z0-9](Id|ID)$")
# a column without such a name is an id if its integer or string values are (almost) all distinct
NEAR_UNIQUE = 0.95
MIN_ROWS_FOR_UNIQUENESS = 20


class TableError(ValueError):
    """A table, column or relationship that cannot be used, named with what was found and what was expected."""


class TableWarning(UserWarning):
    """Something about the tables the user should know (an inferred index, orphan keys, an id-like column)."""


def close_matches(name: str, options: Iterable[object]) -> str:
    """``"; did you mean 'x'?"`` when ``name`` is close to one of ``options``, else ``""``."""
    matches = difflib.get_close_matches(str(name), [str(o) for o in options], n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(m) for m in matches)}?" if matches else ""


def require_column(table: str, frame: pd.DataFrame, column: str, role: str) -> None:
    """A TableError unless ``frame`` has ``column``."""
    if column not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:15]))
        raise TableError(
            f"table {table!r} has no column {column!r} ({role}){close_matches(column, frame.columns)} (columns: "
            f"{shown})"
        )


def check_frame(table: str, frame: pd.DataFrame) -> None:
    """The problems featuretools would report without naming the table: no rows, quotes in column names."""
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise TableError(
            f"table {table!r} is empty ({frame.shape[0]} rows, {frame.shape[1]} columns); expected rows of data"
        )
    quoted = [str(c) for c in frame.columns if '"' in str(c)]
    if quoted:
        raise TableError(f'table {table!r}: column name {quoted[0]!r} contains a double quote ("); rename the column')


def as_frame(X: object) -> pd.DataFrame:
    """X as a DataFrame (its row labels kept); arrays get scikit-learn's checks and columns x0, x1, ..."""
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"X has shape {X.shape}: a minimum of 1 sample and 1 feature is required")
        numeric = X.select_dtypes("number")
        infinite = [c for c in numeric.columns if np.isinf(numeric[c].to_numpy(dtype=float)).any()]
        if infinite:
            raise ValueError(
                f"X column(s) {', '.join(map(str, infinite))} contain infinity; expected finite numbers or NaN"
            )
        return X
    from sklearn.utils.validation import check_array

    # missing values are allowed (LightGBM handles them); infinity, complex and sparse input are not
    array = check_array(X, dtype=None, ensure_all_finite="allow-nan", input_name="X")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])]).infer_objects()


def check_tables_as_at_fit(tables: Mapping[str, pd.DataFrame], columns_at_fit: Mapping[str, list[str]]) -> None:
    """A TableError unless every related table seen at fit is there again, with every column it had."""
    for name, columns in columns_at_fit.items():
        if name not in tables:
            raise TableError(
                f"table {name!r} is missing; pass tables={{'{name}': DataFrame, ...}} as at "
                f"fit{close_matches(name, tables)}"
            )
        absent = [c for c in columns if c not in tables[name].columns]
        if absent:
            raise TableError(f"table {name!r} is missing column(s) {', '.join(absent)}")


def check_index_values(table: str, frame: pd.DataFrame, column: str) -> None:
    """An index column must have no missing and no repeated values."""
    missing = int(frame[column].isna().sum())
    if missing:
        raise TableError(
            f"table {table!r}: index column {column!r} has {missing} missing value(s); every row needs an id"
        )
    repeated = frame.loc[frame[column].duplicated(), column]
    if len(repeated):
        raise TableError(
            f"table {table!r}: index column {column!r} has duplicate values, e.g. {repeated.head(3).tolist()}"
        )


def mixed_labels(values: pd.Series) -> tuple[list[str], list[str]]:
    """The numeric and the non-numeric distinct labels of ``values``, when it mixes both (else two empty lists)."""
    present = values.dropna()
    if pd.api.types.is_numeric_dtype(present) or pd.api.types.is_bool_dtype(present):
        return [], []
    labels = sorted(map(str, present.unique()))
    numeric = [label for label in labels if _is_number(label)]
    if not numeric or len(numeric) == len(labels):
        return [], []
    return numeric, [label for label in labels if not _is_number(label)]


def check_target(table: str, column: str, values: pd.Series) -> None:
    """A TableError when a label column mixes numbers and text (0, 1 and "yes" is not a 3-class problem)."""
    numbers, words = mixed_labels(values)
    if numbers:
        raise TableError(
            f"target column {column!r} of table {table!r} mixes numbers ({', '.join(numbers[:5])}) and text "
            f"({', '.join(repr(w) for w in words[:5])}); expected one kind of label, e.g. recode {words[0]!r} as a "
            "number"
        )


def parse_times(table: str, column: str, values: pd.Series) -> pd.Series:
    """``values`` as datetimes; a TableError naming the values that are not datetimes (never silently NaT)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if pd.api.types.is_numeric_dtype(values):
        raise TableError(
            f"table {table!r}: time column {column!r} holds numbers (e.g. {values.dropna().iloc[0]!r}); expected "
            "datetimes"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' "could not infer format" chatter
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    lost = values.notna() & parsed.isna()
    if lost.any():
        examples = ", ".join(repr(v) for v in values[lost].astype(str).unique()[:3])
        raise TableError(
            f"table {table!r}: time column {column!r} has {int(lost.sum())} value(s) that are not datetimes, e.g. "
            f"{examples}"
        )
    return parsed


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def looks_like_id(name: object, values: pd.Series) -> bool:
    """Whether a column is an id: integer or string keys named like an id, or (almost) all distinct; integers
    without an id-like name must also be a dense range (amounts in cents are distinct too, but not consecutive)."""
    integer = pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values)
    text = pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
    if not (integer or text):
        return False
    if ID_NAME.search(str(name)):
        return True
    present = values.dropna()
    if len(present) < MIN_ROWS_FOR_UNIQUENESS:
        return False
    distinct = present.nunique()
    if distinct < NEAR_UNIQUE * len(present):
        return False
    return text or int(present.max()) - int(present.min()) + 1 <= 2 * distinct


@dataclass
class Keys:
    """What :func:`resolve_keys` found: the index of every table and the id columns that no feature may use."""

    target_index: str | None
    indexes: dict[str, str]
    ids: dict[str, list[str]] = field(default_factory=dict)


def resolve_keys(
    target_table: str,
    X: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    index: str | None,
    indexes: Mapping[str, str],
    relationships: Iterable[tuple[str, str, str, str]],
) -> Keys:
    """Check the relationships against the tables and settle every table's index and id columns (see the module)."""
    frames = {target_table: X, **tables}
    relationships = list(relationships)
    _check_declared(target_table, frames, index, indexes, relationships)
    parent_keys = {parent: column for parent, column, _, _ in relationships}
    if index is None and target_table in parent_keys:
        index = parent_keys[target_table]
        warnings.warn(
            f"table {target_table!r} (X) has no declared index; using column {index!r}, the key its "
            f"relationships name (pass index={index!r} to silence this)",
            TableWarning,
            stacklevel=3,
        )
    resolved = {
        name: indexes[name] if name in indexes else _inferred_index(name, frame, parent_keys.get(name))
        for name, frame in tables.items()
    }
    for name, column in [(target_table, index), *resolved.items()]:
        if column is not None:
            check_index_values(name, frames[name], column)
    _check_parents(target_table, index, resolved, relationships, frames)
    foreign = {(child, column) for _, _, child, column in relationships}
    ids: dict[str, list[str]] = {}
    for name, frame in frames.items():
        own = index if name == target_table else resolved[name]
        found = [c for c in frame.columns if c != own and ((name, c) in foreign or looks_like_id(c, frame[c]))]
        if found:
            ids[name] = found
    loose = [c for c in ids.get(target_table, []) if (target_table, c) not in foreign]
    if loose:
        warnings.warn(
            f"column(s) {', '.join(map(repr, loose))} of {target_table!r} (X) look like ids: not used as "
            "features, in arithmetic or in aggregations (declare index= if one identifies the rows)",
            TableWarning,
            stacklevel=3,
        )
    return Keys(index, resolved, ids)


def _check_declared(
    target_table: str,
    frames: Mapping[str, pd.DataFrame],
    index: str | None,
    indexes: Mapping[str, str],
    relationships: list[tuple[str, str, str, str]],
) -> None:
    for name, frame in frames.items():
        check_frame(name, frame)
    if index is not None:
        require_column(target_table, frames[target_table], index, "index")
    for name, column in indexes.items():
        if name not in frames:
            raise TableError(
                f"indexes names table {name!r}, which is not among the tables "
                f"({', '.join(frames)}){close_matches(name, frames)}"
            )
        require_column(name, frames[name], column, "index")
    for parent, parent_column, child, child_column in relationships:
        link = f"relationship {parent}.{parent_column} -> {child}.{child_column}"
        for table, column, side in ((parent, parent_column, "parent key"), (child, child_column, "child key")):
            if table not in frames:
                raise TableError(
                    f"{link}: table {table!r} is not among the tables ({', '.join(frames)})"
                    f"{close_matches(table, frames)}; pass it in tables={{{table!r}: DataFrame}}"
                )
            try:
                require_column(table, frames[table], column, side)
            except TableError as error:
                raise TableError(f"{link}: {error}") from None


def _inferred_index(name: str, frame: pd.DataFrame, parent_key: str | None) -> str:
    if parent_key is not None:
        column, why = parent_key, "the parent key its relationships name"
    else:
        unique = [
            c for c in frame.columns if looks_like_id(c, frame[c]) and frame[c].notna().all() and frame[c].is_unique
        ]
        if not unique:
            raise TableError(
                f"table {name!r} has no declared index and no column is a unique id (integer or string "
                f"values, one per row); add an id column or pass indexes={{{name!r}: column}}"
            )
        column = min(unique, key=lambda c: not ID_NAME.search(str(c)))
        why = "its unique id column"
    warnings.warn(
        f"table {name!r} has no declared index; using column {column!r} ({why}); pass "
        f"indexes={{{name!r}: {column!r}}} to silence this",
        TableWarning,
        stacklevel=4,
    )
    return column


def _check_parents(
    target_table: str,
    index: str | None,
    resolved: Mapping[str, str],
    relationships: list[tuple[str, str, str, str]],
    frames: Mapping[str, pd.DataFrame],
) -> None:
    for parent, parent_column, child, child_column in relationships:
        link = f"relationship {parent}.{parent_column} -> {child}.{child_column}"
        parent_index = index if parent == target_table else resolved[parent]
        if parent_column != parent_index:
            declared = "index" if parent == target_table else f"indexes[{parent!r}]"
            raise TableError(
                f"{link}: the parent key must be the index of table {parent!r}, but {declared} is "
                f"{parent_index!r}; set {declared}={parent_column!r} or link to {parent_index!r}"
            )
        keys = frames[child][child_column].dropna()
        orphans = int((~keys.isin(frames[parent][parent_column])).sum())
        if orphans:
            warnings.warn(
                f"{link}: {orphans} of {len(keys)} row(s) of {child!r} have a {child_column!r} that matches "
                f"no row of {parent!r}; they are left out of every aggregation",
                TableWarning,
                stacklevel=4,
            )
