"""Group-by aggregations: a numeric column's statistic per value of a key, learned on the training rows.

``MEAN(age) BY plan`` maps each row's ``plan`` to the mean ``age`` of the training rows with that plan;
``COUNT BY plan`` to how many training rows have that plan (frequency encoding); ``COUNT BY plan AND region``
to how many have both (OpenFE's CombineThenFreq); ``age - MEAN(age) BY plan`` to how far a row's age lies above
its plan's mean. Keys are categorical
columns and numeric columns with few distinct values that repeat (codes, counts, levels), as in OpenFE's group-by
and frequency operators.
The statistics are learned once, at fit, from the rows the candidates are generated on (never from
held-out rows), and stored inside the featuretools primitive's arguments, so featuretools' own
serialization saves them with the feature definitions and ``transform`` applies the same numbers to
new rows, one row or many (a key not seen at fit has a count of 0 and missing statistics, which the
boosting model handles).
"""

from __future__ import annotations

import warnings
from collections.abc import Collection
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from featuretools.primitives import TransformPrimitive
from woodwork.column_schema import ColumnSchema
from woodwork.logical_types import Double

STATISTICS = ("mean", "std", "max", "min", "count")
DEFAULT_STATISTICS = ("mean", "std")
MAX_KEY_CARDINALITY = 50  # keys with more distinct values make per-group statistics of a few rows: noise
# A numeric column is a code or a level only if its values repeat; one with fewer rows per value than this is a
# measurement at coarse precision (wine's nonflavanoid_phenols: 39 values in 133 rows), and its groups' statistics
# are a few rows' noise. 20: category_encoders' TargetEncoder trusts a category's own statistic from 20 rows on.
MIN_ROWS_PER_NUMERIC_KEY_VALUE = 20


class GroupStatistic(TransformPrimitive):
    """The ``statistic`` of ``value_column`` among the training rows sharing this row's key (a lookup table)."""

    name = "group_statistic"
    input_types: ClassVar[list[list[ColumnSchema]]] = [
        [ColumnSchema(semantic_tags={"category"})],
        [ColumnSchema(semantic_tags={"numeric"})],
    ]
    return_type = ColumnSchema(logical_type=Double, semantic_tags={"numeric"})

    def __init__(self, value_column: str = "", statistic: str = "mean", lookup: dict[str, float] | None = None) -> None:
        if statistic not in STATISTICS:
            raise ValueError(f"statistic {statistic!r} is not one of {', '.join(STATISTICS)}")
        self.value_column = value_column
        self.statistic = statistic
        self.lookup = dict(lookup or {})
        self.description_template = (
            "the number of training rows that share {} with this row"
            if statistic == "count"
            else f"the {statistic} of {value_column} over the training rows that share {{}} with this row"
        )

    def get_function(self):
        lookup = self.lookup
        counting = self.statistic == "count"

        def statistic_of_group(keys: pd.Series) -> pd.Series:
            labels = key_labels(keys)
            return looked_up_counts(labels, lookup, keys) if counting else labels.map(lookup).astype(float)

        return statistic_of_group

    def generate_name(self, base_feature_names: list[str]) -> str:
        if self.statistic == "count":
            return f"COUNT BY {base_feature_names[0]}"
        return f"{self.statistic.upper()}({self.value_column}) BY {base_feature_names[0]}"


class GroupDeviation(TransformPrimitive):
    """How far a row's value lies above the mean of that value among the training rows sharing its key (OpenFE's
    GroupByThenMean taken one step further: the deviation itself, which a tree would need many splits to rebuild)."""

    name = "group_deviation"
    input_types: ClassVar[list[list[ColumnSchema]]] = [
        [ColumnSchema(semantic_tags={"numeric"}), ColumnSchema(semantic_tags={"category"})],
        [ColumnSchema(semantic_tags={"numeric"}), ColumnSchema(semantic_tags={"numeric"})],
    ]
    return_type = ColumnSchema(logical_type=Double, semantic_tags={"numeric"})
    description_template = "how far {} lies above its mean over the training rows that share {} with this row"

    def __init__(self, lookup: dict[str, float] | None = None) -> None:
        self.lookup = dict(lookup or {})

    def get_function(self):
        lookup = self.lookup

        def deviation_from_group_mean(values: pd.Series, keys: pd.Series) -> pd.Series:
            return pd.Series(
                values.astype(float).to_numpy() - key_labels(keys).map(lookup).astype(float).to_numpy(),
                index=values.index,
            )

        return deviation_from_group_mean

    def generate_name(self, base_feature_names: list[str]) -> str:
        value, key = base_feature_names
        return f"{value} - MEAN({value}) BY {key}"


class PairCount(TransformPrimitive):
    """How many training rows share this row's values of two keys (OpenFE's CombineThenFreq): a lookup table."""

    name = "pair_count"
    input_types: ClassVar[list[list[ColumnSchema]]] = [
        [ColumnSchema(semantic_tags={first}), ColumnSchema(semantic_tags={second})]
        for first in ("category", "numeric")
        for second in ("category", "numeric")
    ]
    return_type = ColumnSchema(logical_type=Double, semantic_tags={"numeric"})
    description_template = "the number of training rows that share {} and {} with this row"

    def __init__(self, lookup: dict[str, float] | None = None) -> None:
        self.lookup = dict(lookup or {})

    def get_function(self):
        lookup = self.lookup

        def count_of_pair(first: pd.Series, second: pd.Series) -> pd.Series:
            return looked_up_counts(pair_labels(key_labels(first), key_labels(second)), lookup, first, second)

        return count_of_pair

    def generate_name(self, base_feature_names: list[str]) -> str:
        return f"COUNT BY {base_feature_names[0]} AND {base_feature_names[1]}"


def looked_up_counts(labels: pd.Series, lookup: dict[str, float], *keys: pd.Series) -> pd.Series:
    """The training-row count of each label; a label never seen at fit counts 0 (no training row has it), unless
    one of its ``keys`` is missing: then it is unknown."""
    counts = labels.map(lookup).astype(float)
    return counts.mask(counts.isna().to_numpy() & np.logical_and.reduce([key.notna().to_numpy() for key in keys]), 0.0)


def pair_labels(first: pd.Series, second: pd.Series) -> pd.Series:
    """Two keys' labels (:func:`key_labels`) as one label per row, in the rows' order (the index of ``first``)."""
    return first + "|" + second.to_numpy()


def key_labels(keys: pd.Series) -> pd.Series:
    """A key column as the strings of the lookup tables; numbers as floats, so that 3 and 3.0 (an integer column
    at fit, the same column with a gap in new rows) find the same group."""
    if pd.api.types.is_numeric_dtype(keys) and not pd.api.types.is_bool_dtype(keys):
        keys = keys.astype(float)
    return keys.astype(str)


def groupby_definitions(
    entityset: Any,
    target_table: str,
    statistics: tuple[str, ...] = DEFAULT_STATISTICS,
    min_rows_per_numeric_value: float = MIN_ROWS_PER_NUMERIC_KEY_VALUE,
    exclude: Collection[str] = (),
) -> list:
    """A GroupStatistic feature for each (key, other numeric column, statistic) of the target table, a count per
    key and a count per pair of keys. Keys are categorical columns with 2 to ``MAX_KEY_CARDINALITY`` distinct
    values, and numeric ones with as few whose values repeat: at least ``min_rows_per_numeric_value`` rows per
    distinct value on average. Columns in ``exclude`` (ids) are neither keys nor values."""
    import featuretools as ft

    frame = entityset[target_table]
    schema = frame.ww.schema
    index = schema.index

    def is_key(column: str) -> bool:
        tags = schema.semantic_tags[column]
        distinct = frame[column].nunique(dropna=True)
        if "category" in tags:
            return 1 < distinct <= MAX_KEY_CARDINALITY
        return "numeric" in tags and 1 < distinct <= min(
            MAX_KEY_CARDINALITY, frame[column].count() / min_rows_per_numeric_value
        )

    usable = [c for c in schema.columns if c != index and c not in exclude]
    keys = [c for c in usable if is_key(c)]
    values = [c for c in usable if "numeric" in schema.semantic_tags[c]]
    labels = {key: key_labels(frame[key]) for key in keys}  # once per key: the pairs reuse them
    definitions = []
    for key in keys:
        grouped = frame.groupby(labels[key], observed=True)
        counts = {str(k): float(v) for k, v in grouped.size().items()}
        definitions.append(
            ft.Feature(entityset[target_table].ww[key], primitive=GroupStatistic(statistic="count", lookup=counts))
        )
        for value in values:
            if value == key:
                continue
            for statistic in statistics:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    table = grouped[value].agg(statistic).dropna()
                lookup = {str(k): float(v) for k, v in table.items()}
                primitive = GroupStatistic(value_column=value, statistic=statistic, lookup=lookup)
                definitions.append(ft.Feature(entityset[target_table].ww[key], primitive=primitive))
                if statistic == "mean":
                    columns = [entityset[target_table].ww[value], entityset[target_table].ww[key]]
                    definitions.append(ft.Feature(columns, primitive=GroupDeviation(lookup=lookup)))
    for position, first in enumerate(keys):
        for second in keys[position + 1 :]:
            both = (frame[first].notna() & frame[second].notna()).to_numpy()
            counts = {
                str(k): float(v) for k, v in pair_labels(labels[first], labels[second])[both].value_counts().items()
            }
            columns = [entityset[target_table].ww[first], entityset[target_table].ww[second]]
            definitions.append(ft.Feature(columns, primitive=PairCount(lookup=counts)))
    return definitions
