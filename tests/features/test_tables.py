"""Guard rails on the tables: ids never become features, errors name table, column and close matches."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from features import AutoFeatures
from features.tables import TableError, TableWarning, looks_like_id, parse_times

LINK = ("users", "user_id", "orders", "user_id")


def users_and_orders(seed: int = 0, n: int = 60) -> tuple[pd.DataFrame, pd.Series, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(seed)
    users = pd.DataFrame(
        {"user_id": np.arange(1000, 1000 + n), "age": rng.integers(18, 70, n), "handle": [f"user{i}" for i in range(n)]}
    )
    orders = pd.DataFrame(
        {
            "order_id": np.arange(5000, 5000 + 5 * n),
            "user_id": rng.choice(users["user_id"], 5 * n),
            "amount": rng.gamma(2.0, 10.0, 5 * n),
        }
    )
    return users, pd.Series(rng.integers(0, 2, n), name="bought"), {"orders": orders}


def small(**changes: object) -> AutoFeatures:
    settings = dict(
        target_table="users",
        index="user_id",
        relationships=[LINK],
        max_depth=2,
        cv_folds=2,
        test_size=0.0,
        agg_primitives=["sum", "max", "mean", "count"],
        trans_primitives=["add_numeric"],
        max_candidates=80,
    )
    settings.update(changes)
    return AutoFeatures(**settings)


def test_ids_never_feed_arithmetic_or_aggregations_and_an_inferred_index_is_named() -> None:
    users, y, tables = users_and_orders()
    with pytest.warns(TableWarning, match="table 'orders' has no declared index; using column 'order_id'"):
        fitted = small().fit(users, y, tables=tables)
    definitions = [f.get_name() for f in fitted.feature_definitions_]
    assert fitted.indexes_ == {"orders": "order_id"} and fitted.id_columns_["orders"] == ["user_id"]
    assert not [n for n in definitions if "order_id" in n or "orders.user_id" in n], definitions
    assert "user_id" not in definitions  # the index of X is no feature either
    assert fitted.n_candidates_ > 5  # the amounts are still aggregated


def test_an_undeclared_id_column_of_x_is_left_out_with_a_warning() -> None:
    users, y, _ = users_and_orders(n=80)
    X = users.assign(serial=users["user_id"] - 1000, score=np.linspace(0, 1, 80))
    with pytest.warns(TableWarning, match=r"'user_id', 'handle', 'serial' of 'data' \(X\) look like ids"):
        fitted = AutoFeatures(max_depth=1, cv_folds=2, test_size=0.0, trans_primitives=["add_numeric"]).fit(X, y)
    names = list(fitted.get_feature_names_out())
    assert not [n for n in names if "user_id" in n or "serial" in n or "handle" in n] and "age + score" in names
    assert fitted.transform(X).shape[0] == 80  # the ids are still accepted as input


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("order_id", [3, 3, 4, 5], True),  # named like an id
        ("customerID", ["a", "b", "a", "c"], True),
        ("serial", list(range(100, 140)), True),  # a dense run of distinct integers
        ("amount_cents", list(range(0, 4000, 100)), False),  # distinct, but not consecutive
        ("paid", [0, 1] * 20, False),
        ("ratio", list(np.linspace(0, 1, 40)), False),  # floats are measurements
    ],
)
def test_what_looks_like_an_id(name: str, values: list, expected: bool) -> None:
    assert looks_like_id(name, pd.Series(values)) is expected


def test_a_related_table_without_any_usable_index_is_a_clear_error() -> None:
    users, y, tables = users_and_orders()
    logs = {"visits": pd.DataFrame({"user_id": tables["orders"]["user_id"], "seconds": 1.5})}
    with pytest.raises(TableError, match=r"table 'visits' has no declared index and no column is a unique id"):
        small(relationships=[("users", "user_id", "visits", "user_id")]).fit(users, y, tables=logs)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"relationships": [("users", "user_id", "orders", "userid")]},
            r"relationship users.user_id -> orders.userid: table 'orders' has no column 'userid' \(child key\); did "
            r"you mean 'user_id'\?",
        ),
        (
            {"relationships": [("users", "user_id", "order", "user_id")]},
            r"table 'order' is not among the tables \(users, orders\); did you mean 'orders'\?",
        ),
        ({"index": "uid"}, r"table 'users' has no column 'uid' \(index\); did you mean 'user_id'\?"),
        ({"index": "handle"}, r"the parent key must be the index of table 'users', but index is 'handle'"),
        ({"indexes": {"order": "order_id"}}, r"indexes names table 'order'.*did you mean 'orders'\?"),
    ],
)
def test_relationship_and_table_errors_name_table_column_and_close_matches(changes: dict, message: str) -> None:
    users, y, tables = users_and_orders()
    with pytest.raises(TableError, match=message):
        small(**changes).fit(users, y, tables=tables)


def test_child_keys_matching_no_parent_are_counted_in_a_warning() -> None:
    users, y, tables = users_and_orders()
    orders = tables["orders"].copy()
    orders.loc[:6, "user_id"] = 99  # 7 orders of a user who does not exist
    with pytest.warns(
        TableWarning, match=r"7 of 300 row\(s\) of 'orders' have a 'user_id' that matches no row of 'users'"
    ):
        small(indexes={"orders": "order_id"}, max_depth=1).fit(users, y, tables={"orders": orders})


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (
            lambda users, orders: (
                users,
                orders.astype({"order_id": float}).assign(order_id=lambda f: f["order_id"].where(f.index != 3)),
            ),
            r"table 'orders': index column 'order_id' has 1 missing value",
        ),
        (
            lambda users, orders: (users.rename(columns={"age": 'age "years"'}), orders),
            r"table 'users': column name 'age \"years\"' contains a double quote",
        ),
        (lambda users, orders: (users, orders.iloc[:0]), r"table 'orders' is empty \(0 rows"),
    ],
)
def test_bad_tables_are_errors_naming_table_and_column(spoil, message: str) -> None:
    users, y, tables = users_and_orders()
    users, orders = spoil(users, tables["orders"])
    with pytest.raises(TableError, match=message):
        small(indexes={"orders": "order_id"}).fit(users, y, tables={"orders": orders})


def test_a_target_mixing_numbers_and_text_is_refused() -> None:
    users, _, tables = users_and_orders()
    y = pd.Series([0, 1, "yes"] * 20, name="bought")
    with pytest.raises(
        TableError, match=r"target column 'bought' of table 'users' mixes numbers \(0, 1\) and text \('yes'\)"
    ):
        small().fit(users, y, tables=tables)


def test_unparseable_times_are_an_error_not_missing_values() -> None:
    values = pd.Series(["2024-01-02", "2024-02-30", None, "soon"])
    with pytest.raises(
        TableError,
        match=(
            r"table 'orders': time column 'placed' has 2 value\(s\) that are not datetimes, e.g. '2024-02-30', "
            r"'soon'"
        ),
    ):
        parse_times("orders", "placed", values)
    parsed = parse_times("orders", "placed", pd.Series(["2024-01-02", None, "2024-03-04 10:00"]))
    assert parsed.isna().tolist() == [False, True, False]  # a missing time stays missing; nothing else is lost
    users, y, tables = users_and_orders()
    orders = tables["orders"].assign(placed=["2024-01-01"] * 299 + ["yesterday"])
    with pytest.raises(TableError, match="time column 'placed' has 1 value"):
        small(indexes={"orders": "order_id"}, time_indexes={"orders": "placed"}).fit(
            users, y, tables={"orders": orders}
        )


def test_unknown_parameters_and_bad_settings_name_the_parameter() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_feature'; did you mean 'max_features'"):
        AutoFeatures(max_feature=3)
    users, y, tables = users_and_orders()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TableWarning)
        with pytest.raises(ValueError, match="cv_folds: Input should be greater than or equal to 2"):
            small(cv_folds=1).fit(users, y, tables=tables)


def test_the_shadow_screen_keeps_what_beats_shuffled_copies() -> None:
    # y depends on a * b only; the shadow screen drops candidates no better than a shuffled candidate
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(400, 5)), columns=["a", "b", "c", "d", "e"])
    y = X["a"] * X["b"] + rng.normal(0, 0.3, 400)
    settings = dict(
        max_depth=1, cv_folds=3, test_size=0.0, trans_primitives=["multiply_numeric"], groupby_aggregations=False
    )
    gain = AutoFeatures(**settings).fit(X, y)
    shadow = AutoFeatures(screen="shadow", **settings).fit(X, y)
    generated = [n for n in shadow.get_feature_names_out() if n not in X.columns]
    assert "a * b" in generated and len(generated) < len(gain.get_feature_names_out()) - 5
