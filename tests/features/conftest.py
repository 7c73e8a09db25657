"""Small relational churn data and a configured AutoFeatures, shared by the features tests."""

from __future__ import annotations

import pandas as pd
import pytest

from features import AutoFeatures
from features.datasets import churn_tables

RELATIONSHIPS = (
    ("customers", "customer_id", "sessions", "customer_id"),
    ("sessions", "session_id", "transactions", "session_id"),
)


def churn_transformer(**changes) -> AutoFeatures:
    settings = dict(
        target_table="customers",
        index="customer_id",
        relationships=RELATIONSHIPS,
        indexes={"sessions": "session_id", "transactions": "transaction_id"},
        time_indexes={"sessions": "session_start", "transactions": "transaction_time"},
        cutoff_time="cutoff_time",
        max_depth=1,
        max_candidates=60,
        max_features=6,
        cv_folds=3,
        chunk_size=30,
        trans_primitives=["time_since", "divide_numeric"],
        agg_primitives=["count", "mean", "sum", "max", "time_since_last"],
    )
    settings.update(changes)
    return AutoFeatures(**settings)


@pytest.fixture(scope="session")
def churn() -> dict[str, pd.DataFrame]:
    return churn_tables(n_customers=240, seed=1)


def split(churn: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.Series, dict[str, pd.DataFrame]]:
    customers = churn["customers"]
    return (
        customers.drop(columns=["churned"]),
        customers["churned"],
        {"sessions": churn["sessions"], "transactions": churn["transactions"]},
    )


@pytest.fixture(scope="session")
def fitted(churn: dict[str, pd.DataFrame]) -> AutoFeatures:
    X, y, tables = split(churn)
    return churn_transformer().fit(X, y, tables=tables)
