"""Elementwise minimum and maximum of two numeric columns: OpenFE's ``min``/``max`` operators, which featuretools lacks.

``a MIN b`` is the smaller of the two values in each row: the "both above" region of a tree split
on it is one split instead of two. A missing value on either side gives a missing result, as featuretools'
arithmetic primitives do.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from featuretools.primitives import TransformPrimitive
from woodwork.column_schema import ColumnSchema
from woodwork.logical_types import Double


class _RowwiseOfTwo(TransformPrimitive):
    """``operation`` of two numbers, row by row, named ``a WORD b``; no ``name``, so featuretools never offers it."""

    input_types: ClassVar[list[ColumnSchema]] = [
        ColumnSchema(semantic_tags={"numeric"}),
        ColumnSchema(semantic_tags={"numeric"}),
    ]
    return_type = ColumnSchema(logical_type=Double, semantic_tags={"numeric"})
    commutative = True
    operation: np.ufunc
    word: str

    def get_function(self):
        operation = type(self).operation
        return lambda left, right: operation(left.astype(float), right.astype(float))

    def generate_name(self, base_feature_names: list[str]) -> str:
        # infix, like featuretools' "a + b": LightGBM refuses feature names with a comma
        return f"{base_feature_names[0]} {self.word} {base_feature_names[1]}"


class PairwiseMin(_RowwiseOfTwo):
    """The smaller of two numbers, row by row."""

    name = "pairwise_min"
    operation = np.minimum
    word = "MIN"
    description_template = "the smaller of {} and {}"


class PairwiseMax(_RowwiseOfTwo):
    """The larger of two numbers, row by row."""

    name = "pairwise_max"
    operation = np.maximum
    word = "MAX"
    description_template = "the larger of {} and {}"
