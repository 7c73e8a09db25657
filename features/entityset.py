"""Tables -> featuretools EntitySet, and the DFS that generates candidate feature definitions."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features.primitives import PairwiseMax, PairwiseMin

if TYPE_CHECKING:
    import featuretools as ft

# Curated defaults: cheap, widely useful primitives (featuretools' own defaults include slow ones such as trend)
AGG_PRIMITIVES: tuple[str, ...] = ("count", "sum", "mean", "max", "min", "std", "num_unique", "mode", "time_since_last")
TRANS_PRIMITIVES: tuple[str, ...] = (
    "add_numeric",
    "subtract_numeric",
    "multiply_numeric",
    "divide_numeric",
    "month",
    "weekday",
    "hour",
    "time_since",
    "num_characters",
    "num_words",
)
SINGLE_TABLE = "data"
# sagelab's own transform primitives, for ``trans_primitives`` by name (featuretools resolves only its own names)
OWN_PRIMITIVES = {primitive.name: primitive for primitive in (PairwiseMin, PairwiseMax)}


@dataclass(frozen=True)
class Schema:
    """How the tables fit together: the target table, indexes, time indexes, relationships."""

    target_table: str = SINGLE_TABLE
    index: str | None = None
    time_index: dict[str, str] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)
    relationships: tuple[tuple[str, str, str, str], ...] = ()  # parent table, parent column, child table, child column
    cutoff_time: str | None = None
    ids: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id columns per table: never fed to a primitive


def build_entityset(target_rows: pd.DataFrame, tables: Mapping[str, pd.DataFrame], schema: Schema) -> ft.EntitySet:
    """An EntitySet of the rows to predict (no label, no cutoff column) and the related tables."""
    import featuretools as ft

    entityset = ft.EntitySet(id="sagelab")
    base = target_rows.drop(columns=[schema.cutoff_time] if schema.cutoff_time else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # woodwork's type-inference chatter
        entityset.add_dataframe(
            dataframe_name=schema.target_table,
            dataframe=base.copy(),
            index=schema.index or "sagelab_row",
            make_index=schema.index is None,
        )
        for name, frame in tables.items():
            entityset.add_dataframe(
                dataframe_name=name,
                dataframe=frame.copy(),
                index=schema.indexes.get(name) or f"{name}_row",
                make_index=name not in schema.indexes,
                time_index=schema.time_index.get(name),
            )
        for parent, parent_column, child, child_column in schema.relationships:
            entityset.add_relationship(parent, parent_column, child, child_column)
    return entityset


def cutoff_frame(target_rows: pd.DataFrame, schema: Schema) -> pd.DataFrame | None:
    """featuretools' cutoff-time frame (instance id, time) for the rows to predict, if there are cutoff times."""
    if not schema.cutoff_time:
        return None
    ids = target_rows[schema.index] if schema.index else pd.Series(range(len(target_rows)))
    return pd.DataFrame(
        {"instance_id": ids.to_numpy(), "time": pd.to_datetime(target_rows[schema.cutoff_time]).to_numpy()}
    )


def generate_definitions(
    entityset: ft.EntitySet,
    schema: Schema,
    *,
    max_depth: int,
    max_candidates: int | None,
    agg_primitives: Sequence[str] | None,
    trans_primitives: Sequence[str] | None,
) -> list:
    """Candidate feature definitions by Deep Feature Synthesis (definitions only: nothing is computed);
    ``max_candidates`` truncates featuretools' own order (None: every definition; see :func:`balanced_subset`)."""
    import featuretools as ft

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ft.dfs(
            entityset=entityset,
            target_dataframe_name=schema.target_table,
            agg_primitives=list(agg_primitives or AGG_PRIMITIVES),
            trans_primitives=[OWN_PRIMITIVES.get(name, name) for name in trans_primitives or TRANS_PRIMITIVES],
            max_depth=max_depth,
            max_features=-1 if max_candidates is None else max_candidates,
            ignore_columns={table: list(columns) for table, columns in schema.ids.items()},
            features_only=True,
        )


def primitive_family(definition) -> str:
    """What kind of candidate a definition is: its primitive's name (a group statistic's with the statistic)."""
    primitive = definition.primitive
    if hasattr(primitive, "statistic"):
        return f"{primitive.name}_{primitive.statistic}"
    return primitive.name or type(definition).__name__  # identity and direct (parent-column) features have no primitive


def balanced_subset(definitions: list, limit: int, seed: int) -> list:
    """At most ``limit`` of ``definitions``, in their order: every input column, and the candidates drawn in turn
    from each primitive family, at random within a family, until the limit.

    featuretools' ``max_features`` keeps the first definitions it generates, which are whole primitive families in
    the order of its primitive list: on 30 numeric columns a limit of 600 kept every sum, a sixth of the ratios
    and no product or difference at all. Here a limit thins every family instead of dropping the later ones.
    """
    if len(definitions) <= limit:
        return list(definitions)
    import featuretools as ft

    rng = np.random.default_rng(seed)
    identity = [i for i, f in enumerate(definitions) if isinstance(f, ft.IdentityFeature)]  # the input columns
    families: defaultdict[str, list[int]] = defaultdict(list)
    for i, definition in enumerate(definitions):
        if not isinstance(definition, ft.IdentityFeature):
            families[primitive_family(definition)].append(i)
    queues = [list(rng.permutation(members)) for _, members in sorted(families.items())]
    chosen = list(identity)
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(int(queue.pop()))
    return [definitions[i] for i in sorted(chosen)]


def compute(
    features: list,
    entityset: ft.EntitySet,
    cutoff: pd.DataFrame | None,
    training_window: str | None,
) -> pd.DataFrame:
    """The feature matrix of ``features``; with cutoff times, no row sees data from after its cutoff."""
    import featuretools as ft

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matrix = ft.calculate_feature_matrix(
            features, entityset=entityset, cutoff_time=cutoff, training_window=training_window, verbose=False
        )
    if cutoff is not None:
        matrix = matrix.reindex(cutoff["instance_id"].to_numpy())  # featuretools sorts by cutoff time
    return matrix
