"""Group-by aggregations: a numeric column's statistic per value of a categorical key, learned on the training rows.

``MEAN(age) BY plan`` maps each row's ``plan`` to the mean ``age`` of the training rows with that plan.
The statistics are learned once, at fit, from the rows the candidates are generated on (never from
held-out rows), and stored inside the featuretools primitive's arguments, so featuretools' own
serialization saves them with the feature definitions and ``transform`` applies the same numbers to
new rows, one row or many (a key not seen at fit gives a missing value, which the boosting model handles).
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
from featuretools.primitives import TransformPrimitive
from woodwork.column_schema import ColumnSchema
from woodwork.logical_types import Double

STATISTICS = ("mean", "std", "max", "min")
DEFAULT_STATISTICS = ("mean", "std")
MAX_KEY_CARDINALITY = 50  # keys with more distinct values make per-group statistics of a few rows: noise


class GroupStatistic(TransformPrimitive):
    """The ``statistic`` of ``value_column`` among the training rows sharing this row's key (a lookup table)."""

    name = "group_statistic"
    input_types = [ColumnSchema(semantic_tags={"category"})]
    return_type = ColumnSchema(logical_type=Double, semantic_tags={"numeric"})

    def __init__(self, value_column: str = "", statistic: str = "mean", lookup: dict[str, float] | None = None) -> None:
        if statistic not in STATISTICS:
            raise ValueError(f"statistic {statistic!r} is not one of {', '.join(STATISTICS)}")
        self.value_column = value_column
        self.statistic = statistic
        self.lookup = dict(lookup or {})
        self.description_template = f"the {statistic} of {value_column} over the training rows whose {{}} equals this row's"

    def get_function(self):
        lookup = self.lookup

        def statistic_of_group(keys: pd.Series) -> pd.Series:
            return keys.astype(str).map(lookup).astype(float)

        return statistic_of_group

    def generate_name(self, base_feature_names: list[str]) -> str:
        return f"{self.statistic.upper()}({self.value_column}) BY {base_feature_names[0]}"


def groupby_definitions(entityset: Any, target_table: str, statistics: tuple[str, ...] = DEFAULT_STATISTICS) -> list:
    """A GroupStatistic feature for each (categorical key, numeric column, statistic) of the target table."""
    import featuretools as ft

    frame = entityset[target_table]
    schema = frame.ww.schema
    index = schema.index
    keys = [c for c in schema.columns if c != index and "category" in schema.semantic_tags[c]
            and 1 < frame[c].nunique(dropna=True) <= MAX_KEY_CARDINALITY]
    values = [c for c in schema.columns if c != index and "numeric" in schema.semantic_tags[c]]
    definitions = []
    for key in keys:
        grouped = frame.groupby(frame[key].astype(str), observed=True)
        for value in values:
            for statistic in statistics:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    table = grouped[value].agg(statistic).dropna()
                lookup = {str(k): float(v) for k, v in table.items()}
                primitive = GroupStatistic(value_column=value, statistic=statistic, lookup=lookup)
                definitions.append(ft.Feature(entityset[target_table].ww[key], primitive=primitive))
    return definitions
