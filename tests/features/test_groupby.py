"""Group-by statistics and frequency counts keyed by categorical and low-cardinality numeric columns."""

from __future__ import annotations

import featuretools as ft
import numpy as np
import pandas as pd
import pytest

from features import AutoFeatures
from features.entityset import SINGLE_TABLE, Schema, build_entityset, compute
from features.groupby import groupby_definitions, key_labels


def test_how_common_a_numeric_code_is_becomes_a_feature() -> None:
    # the label marks rows whose (numeric) code is rare; codes are numbered in no order of frequency,
    # so a tree on the code itself needs a split per code, while COUNT BY code needs one
    rng = np.random.default_rng(0)
    weights = rng.permutation(np.geomspace(1, 60, 30))
    code = rng.choice(30, size=800, p=weights / weights.sum())
    counts = np.bincount(code, minlength=30)
    rare = counts[code] < np.median(counts)
    y = (rare ^ (rng.random(800) < 0.1)).astype(int)
    X = pd.DataFrame({"code": code, "amount": rng.normal(size=800)})
    fitted = AutoFeatures(
        max_depth=1, max_features=4, cv_folds=3, trans_primitives=["add_numeric"], test_size=0.25
    ).fit(X, y)
    assert "COUNT BY code" in fitted.get_feature_names_out()
    assert fitted.holdout_["selected"] > fitted.holdout_["raw"] + 0.02, fitted.holdout_
    described = fitted.describe_features().set_index("name")["description"]
    assert 'number of training rows that share the "code" with this row' in described["COUNT BY code"]


def test_a_numeric_key_finds_its_group_whether_stored_as_integer_or_float() -> None:
    # an integer column at fit reads as float in new rows with a gap; both must map to the same groups
    assert list(key_labels(pd.Series([1, 2, 3]))) == list(key_labels(pd.Series([1.0, 2.0, 3.0])))
    assert list(key_labels(pd.Series([1, 2], dtype="Int64"))) == ["1.0", "2.0"]
    assert list(key_labels(pd.Series(["a", "b"], dtype="category"))) == ["a", "b"]
    training = pd.DataFrame({"level": [0, 0, 1, 1, 1, 2], "x": [1.0, 3.0, 10.0, 20.0, 30.0, 5.0]})
    entityset = build_entityset(training, {}, Schema())
    definitions = {f.get_name(): f for f in groupby_definitions(entityset, SINGLE_TABLE, min_rows_per_numeric_value=1)}
    assert {"COUNT BY level", "MEAN(x) BY level", "STD(x) BY level"} <= set(definitions)
    assert "MEAN(level) BY level" not in definitions  # a column's statistic by itself is the column again
    new_rows = pd.DataFrame({"level": [2.0, np.nan, 1.0, 7.0], "x": [0.0, 0.0, 0.0, 0.0]})
    wanted = [definitions["COUNT BY level"], definitions["MEAN(x) BY level"]]
    matrix = compute(wanted, build_entityset(new_rows, {}, Schema()), None, None).reset_index(drop=True)
    # a key never seen at fit: no training row has it (count 0) and its statistics are unknown; a missing key: unknown
    expected = pd.DataFrame(
        {"COUNT BY level": [1.0, np.nan, 3.0, 0.0], "MEAN(x) BY level": [5.0, np.nan, 20.0, np.nan]}
    )
    pd.testing.assert_frame_equal(matrix[expected.columns], expected, check_dtype=False)


def test_how_many_training_rows_share_a_pair_of_keys() -> None:
    training = pd.DataFrame(
        {"a": [1, 1, 2, 2, 2], "b": pd.Categorical(["x", "y", "x", "x", "y"]), "v": [1.0, 2.0, 3.0, 4.0, 5.0]}
    )
    entityset = build_entityset(training, {}, Schema())
    definitions = {f.get_name(): f for f in groupby_definitions(entityset, SINGLE_TABLE, min_rows_per_numeric_value=1)}
    assert {"COUNT BY a AND b", "COUNT BY a AND v", "COUNT BY b AND v"} <= set(definitions)
    new_rows = pd.DataFrame({"a": [2, 1, 3, np.nan], "b": pd.Categorical(["x", "x", "x", "y"]), "v": [0.0] * 4})
    matrix = compute([definitions["COUNT BY a AND b"]], build_entityset(new_rows, {}, Schema()), None, None)
    # (2, x) twice at fit, (1, x) once, (3, x) never: 0; a missing key: unknown
    np.testing.assert_array_equal(matrix["COUNT BY a AND b"].to_numpy(), [2.0, 1.0, 0.0, np.nan])
    assert 'training rows that share the "a" and the "b" with this row' in ft.describe_feature(
        definitions["COUNT BY a AND b"]
    )
    # the lookup table travels with featuretools' own serialization of the definition
    (loaded,) = ft.load_features(ft.save_features([definitions["COUNT BY a AND b"]]))
    again = compute([loaded], build_entityset(new_rows, {}, Schema()), None, None)
    np.testing.assert_array_equal(again["COUNT BY a AND b"].to_numpy(), [2.0, 1.0, 0.0, np.nan])


def test_a_numeric_column_whose_values_rarely_repeat_is_no_key() -> None:
    # 20 rows per value: a code; about 9 rows per value: a measurement at coarse precision, whose groups are noise
    rng = np.random.default_rng(0)
    training = pd.DataFrame(
        {
            "code": np.repeat(np.arange(5), 20),
            "reading": np.round(rng.uniform(0, 1, 100), 1)
            * 2.5,  # at most 11 values, in 100 rows: about 9 rows per value
            "store": pd.Categorical(
                rng.choice([f"s{i}" for i in range(40)], 100)
            ),  # a category stays a key however rare
            "x": rng.normal(size=100),
        }
    )
    entityset = build_entityset(training, {}, Schema())
    names = {f.get_name() for f in groupby_definitions(entityset, SINGLE_TABLE)}
    assert {
        "COUNT BY code",
        "MEAN(x) BY code",
        "COUNT BY store",
        "MEAN(x) BY store",
        "COUNT BY code AND store",
    } <= names
    assert not any("BY reading" in name or "AND reading" in name for name in names), sorted(names)
    assert "MEAN(reading) BY code" in names  # still a value to summarize
    loose = {f.get_name() for f in groupby_definitions(entityset, SINGLE_TABLE, min_rows_per_numeric_value=5)}
    assert "MEAN(x) BY reading" in loose


def test_the_deviation_from_a_group_mean_is_found_learned_at_fit_and_saved(tmp_path) -> None:
    # y is how far x lies above its store's mean: one column a tree cannot rebuild from x and MEAN(x) BY store cheaply
    rng = np.random.default_rng(0)
    store = rng.integers(0, 10, 400)
    X = pd.DataFrame(
        {"store": pd.Categorical([f"s{i}" for i in store]), "x": rng.normal(0, 3, 10)[store] + rng.normal(size=400)}
    )
    y = X["x"] - X.groupby("store", observed=True)["x"].transform("mean") + rng.normal(0, 0.2, 400)
    fitted = AutoFeatures(max_depth=1, cv_folds=3, test_size=0.0, trans_primitives=["add_numeric"]).fit(X, y)
    assert "x - MEAN(x) BY store" in fitted.get_feature_names_out()
    described = fitted.describe_features().set_index("name")["description"]
    assert "lies above its mean over the training rows" in described["x - MEAN(x) BY store"]
    one = X.iloc[[5]].assign(x=100.0)  # one new row: the training mean, not the batch's
    mean = X.loc[X["store"] == one["store"].iloc[0], "x"].mean()
    assert fitted.transform(one)["x - MEAN(x) BY store"].iloc[0] == pytest.approx(100.0 - mean)
    fitted.save(tmp_path / "model")
    pd.testing.assert_frame_equal(
        AutoFeatures.load(tmp_path / "model").transform(X.head(9)), fitted.transform(X.head(9))
    )
