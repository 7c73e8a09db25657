"""Candidate generation: Deep Feature Synthesis definitions and the limit on how many are tried."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from features.entityset import Schema, balanced_subset, build_entityset, generate_definitions, primitive_family
from features.groupby import groupby_definitions

ARITHMETIC = ["add_numeric", "subtract_numeric", "multiply_numeric", "divide_numeric"]


@pytest.fixture(scope="module")
def every_definition() -> list:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 30)), columns=[f"c{i}" for i in range(30)])
    frame["level"] = rng.integers(0, 4, size=200)
    entityset = build_entityset(frame, {}, Schema())
    definitions = generate_definitions(
        entityset, Schema(), max_depth=1, max_candidates=None, agg_primitives=[], trans_primitives=ARITHMETIC
    )
    return definitions + groupby_definitions(entityset, "data")


def test_featuretools_own_limit_drops_whole_primitive_families() -> None:
    # why balanced_subset exists: featuretools keeps the first definitions it generates
    entityset = build_entityset(
        pd.DataFrame(np.ones((5, 30)) * np.arange(30), columns=[f"c{i}" for i in range(30)]), {}, Schema()
    )
    truncated = generate_definitions(
        entityset, Schema(), max_depth=1, max_candidates=600, agg_primitives=[], trans_primitives=ARITHMETIC
    )
    families = Counter(map(primitive_family, truncated))
    assert len(truncated) == 600 and len(families) < 5, families  # at least one family of four is missing entirely


def test_a_candidate_limit_thins_every_family_and_keeps_every_input_column(every_definition: list) -> None:
    everything = Counter(map(primitive_family, every_definition))
    assert everything["IdentityFeature"] == 31 and everything["divide_numeric"] == 2 * everything["add_numeric"]
    chosen = balanced_subset(every_definition, 600, seed=0)
    families = Counter(map(primitive_family, chosen))
    assert len(chosen) == 600
    assert families["IdentityFeature"] == 31
    assert set(families) == set(everything)  # no family dropped, the small group-by families whole
    for family in ("group_statistic_mean", "group_statistic_std", "group_statistic_count"):
        assert families[family] == everything[family]
    arithmetic = [families[name] for name in ARITHMETIC]
    assert max(arithmetic) - min(arithmetic) <= 1, families  # the large families share what is left evenly
    positions = {id(f): i for i, f in enumerate(every_definition)}
    assert [positions[id(f)] for f in chosen] == sorted(positions[id(f)] for f in chosen)  # featuretools' order kept


def test_the_draw_within_a_family_follows_the_seed(every_definition: list) -> None:
    names = lambda seed: [f.get_name() for f in balanced_subset(every_definition, 300, seed=seed)]  # noqa: E731
    assert names(3) == names(3)
    assert names(3) != names(4)
    within_limit = balanced_subset(every_definition, len(every_definition), seed=0)
    assert [f.get_name() for f in within_limit] == [f.get_name() for f in every_definition]


def test_a_limit_below_the_input_columns_keeps_the_input_columns_only(every_definition: list) -> None:
    chosen = balanced_subset(every_definition, 5, seed=0)
    assert Counter(map(primitive_family, chosen)) == {"IdentityFeature": 31}
