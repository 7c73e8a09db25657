"""AutoFeatures(estimator=...): the consuming model ranks and selects, and a linear model gets usable inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from features import AutoFeatures
from features.datasets import load_dataset
from features.families import Conditioner

LINEAR = dict(max_depth=1, cv_folds=3, test_size=0.0, groupby_aggregations=False)


@pytest.mark.slow
def test_a_ridge_pipeline_on_diabetes_does_no_worse_than_the_raw_columns() -> None:
    # the README's pipeline: LightGBM-chosen ratios such as age / sex gave RidgeCV an RMSE of 107 against 55
    data = load_dataset("diabetes")["data"]
    X, y = data.drop(columns=["progression"]), data["progression"]
    folds = KFold(3, shuffle=True, random_state=0)
    auto = AutoFeatures(estimator=RidgeCV(), trans_primitives=["multiply_numeric", "divide_numeric"], **LINEAR)
    engineered = -cross_val_score(make_pipeline(auto, RidgeCV()), X, y, cv=folds, scoring="neg_root_mean_squared_error")
    raw = -cross_val_score(
        make_pipeline(StandardScaler(), RidgeCV()), X, y, cv=folds, scoring="neg_root_mean_squared_error"
    )
    assert engineered.mean() <= raw.mean() * 1.01, (engineered, raw)


def test_a_linear_model_gets_the_product_it_needs_clipped_and_scaled(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"]).assign(plan=rng.choice(["x", "y"], 300))
    X.loc[:4, "c"] = np.nan
    y = 2 * X["a"] * X["b"] + X["c"].fillna(0) + rng.normal(0, 0.3, 300)
    auto = AutoFeatures(estimator=RidgeCV(), trans_primitives=["multiply_numeric"], **LINEAR).fit(X, y)
    assert auto.selection_choice_ != "raw" and "a * b" in auto.get_feature_names_out()
    assert auto.estimator_name_ == "RidgeCV" and {"plan=x", "plan=y"} <= set(auto.get_feature_names_out())
    matrix = auto.transform(X)
    assert not matrix.isna().any().any() and matrix.index.equals(X.index)
    assert matrix.drop(columns=["plan=x", "plan=y"]).std(ddof=0).round(6).eq(1.0).all()  # standardized
    bound = auto.conditioner_.numeric_["a * b"][1]
    assert auto.transform(X.assign(a=1e6, b=1e6))["a * b"].max() == pytest.approx(
        (bound - auto.conditioner_.numeric_["a * b"][3]) / auto.conditioner_.numeric_["a * b"][4]
    )
    raw_rmse = -cross_val_score(
        make_pipeline(Conditioner(), RidgeCV()),
        X.assign(plan=X["plan"].astype("category")),
        y,
        cv=3,
        scoring="neg_root_mean_squared_error",
    ).mean()
    assert auto.leaderboard_.set_index("candidate_set").loc["selected", "cv_score"] > -0.6 * raw_rmse
    auto.save(tmp_path / "model")
    loaded = AutoFeatures.load(tmp_path / "model")
    assert isinstance(loaded.estimator, RidgeCV)
    pd.testing.assert_frame_equal(loaded.transform(X.head(20)), matrix.head(20))


def test_a_classifier_family_ranks_by_its_coefficients() -> None:
    data = load_dataset("breast_cancer")["data"].iloc[:300, [0, 1, 2, 3, -1]]
    X, y = data.drop(columns=["benign"]), data["benign"]
    auto = AutoFeatures(
        estimator=LogisticRegression(max_iter=500), max_features=3, trans_primitives=["divide_numeric"], **LINEAR
    )
    auto.fit(X, y)
    assert auto.problem_type_ == "binary" and auto.describe_features()["importance"].gt(0).all()
    assert set(auto.describe_features()["name"]) >= set(X.columns)
