"""sagelab's own transform primitives: elementwise min and max of two numeric columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import AutoFeatures
from features.entityset import Schema, build_entityset, compute, generate_definitions


def test_min_and_max_of_two_columns_row_by_row_with_gaps_kept() -> None:
    frame = pd.DataFrame({"a": [1.0, 5.0, np.nan, -2.0], "b": [3.0, 2.0, 4.0, -2.0]})
    entityset = build_entityset(frame, {}, Schema())
    definitions = generate_definitions(
        entityset,
        Schema(),
        max_depth=1,
        max_candidates=None,
        agg_primitives=[],
        trans_primitives=["pairwise_min", "pairwise_max"],
    )
    names = [f.get_name() for f in definitions]
    assert names == ["a", "b", "a MAX b", "a MIN b"]  # commutative: one of (a, b) and (b, a); no comma for LightGBM
    matrix = compute(definitions, entityset, None, None).reset_index(drop=True)
    np.testing.assert_array_equal(matrix["a MIN b"], [1.0, 2.0, np.nan, -2.0])
    np.testing.assert_array_equal(matrix["a MAX b"], [3.0, 5.0, np.nan, -2.0])


def test_a_label_set_by_the_smaller_of_two_columns_is_found_and_survives_save_and_load(tmp_path) -> None:
    # y is "both a and b above 0.5": one split on min(a, b), a staircase of splits on a and b
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((600, 4)), columns=["a", "b", "c", "d"])
    y = ((np.minimum(X["a"], X["b"]) > 0.5) ^ (rng.random(600) < 0.05)).astype(int)
    fitted = AutoFeatures(
        max_depth=1, max_features=1, cv_folds=3, trans_primitives=["pairwise_min", "add_numeric"], test_size=0.25
    ).fit(X, y)
    assert list(fitted.get_feature_names_out()) == ["a", "b", "c", "d", "a MIN b"], fitted.leaderboard_
    described = fitted.describe_features().set_index("name")["description"]
    assert "smaller of" in described["a MIN b"]
    fitted.save(tmp_path / "model")
    loaded = AutoFeatures.load(tmp_path / "model")
    new_rows = pd.DataFrame(rng.random((5, 4)), columns=["a", "b", "c", "d"])
    pd.testing.assert_frame_equal(loaded.transform(new_rows), fitted.transform(new_rows))
    np.testing.assert_array_equal(loaded.transform(new_rows)["a MIN b"], np.minimum(new_rows["a"], new_rows["b"]))
