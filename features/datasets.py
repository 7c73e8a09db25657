"""Datasets shipped with sagelab, generated or loaded offline (nothing is downloaded).

- ``churn``: a relational dataset generated deterministically — customers, their sessions and the
  transactions within sessions — whose label (churned in the 60 days after a per-customer cutoff
  time) depends on behaviour aggregated over the customer's history before the cutoff: how recently
  and how often they visited, how much they spent, how long sessions were. Rows after the cutoff
  exist in the child tables, so a feature that ignores cutoff times leaks the label.
- ``diabetes`` (regression), ``breast_cancer`` (binary: 1 = benign, as scikit-learn codes it), ``wine`` (multiclass):
  single tables from scikit-learn's bundled datasets.
- ``fair`` (binary: had an affair; Fair 1978, 6,366 rows), ``anes96`` (binary: voted Dole over Clinton;
  1996 American National Election Study, 944 rows), ``star98`` (regression: share of a California school
  district's pupils above the national maths median, 303 rows) and ``randhie`` (regression: doctor visits
  in the RAND Health Insurance Experiment, 20,190 rows): single tables from statsmodels' bundled datasets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def churn_tables(n_customers: int = 1000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The churn dataset as DataFrames: customers (with label and cutoff_time), sessions, transactions."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    customer_id = np.arange(1, n_customers + 1)
    signup = start + pd.to_timedelta(rng.integers(0, 180, n_customers), unit="D")
    cutoff = signup + pd.to_timedelta(rng.integers(120, 240, n_customers), unit="D")
    plan = rng.choice(["basic", "standard", "premium"], n_customers, p=[0.5, 0.35, 0.15])
    region = rng.choice(["north", "south", "east", "west"], n_customers)
    engagement = rng.gamma(2.0, 1.0, n_customers)  # latent: drives visits, spend and (inversely) churn
    sessions = _sessions(rng, customer_id, signup, cutoff, engagement)
    transactions = _transactions(rng, sessions, dict(zip(customer_id, plan, strict=True)))
    churned = _churned(rng, sessions, customer_id, cutoff, plan)
    customers = pd.DataFrame(
        {
            "customer_id": customer_id,
            "signup_date": signup,
            "plan": plan,
            "region": region,
            "age": rng.integers(18, 80, n_customers),
            "cutoff_time": cutoff,
            "churned": churned,
        }
    )
    return {"customers": customers, "sessions": sessions, "transactions": transactions}


def _sessions(
    rng: np.random.Generator,
    customer_id: np.ndarray,
    signup: pd.DatetimeIndex,
    cutoff: pd.DatetimeIndex,
    engagement: np.ndarray,
) -> pd.DataFrame:
    """Each customer's visits from signup to 60 days past the cutoff, more and longer the more engaged."""
    sessions = []
    for i in range(len(customer_id)):
        days = (cutoff[i] - signup[i]).days + 60  # activity continues past the cutoff: a leak to avoid
        rate = 0.02 + 0.04 * engagement[i]
        n = max(1, rng.poisson(rate * days))
        # disengaging customers fade out: their visits concentrate early in the history
        fade = 1.0 + 2.5 / (0.5 + engagement[i])
        offsets = np.sort((rng.beta(1.0, fade, n) * days).astype(int))
        sessions.append(
            pd.DataFrame(
                {
                    "customer_id": customer_id[i],
                    "session_start": signup[i]
                    + pd.to_timedelta(offsets, unit="D")
                    + pd.to_timedelta(rng.integers(0, 86400, n), unit="s"),
                    "device": rng.choice(["mobile", "desktop", "tablet"], n, p=[0.6, 0.3, 0.1]),
                    "duration_minutes": np.round(rng.gamma(2.0, 4.0 + 3.0 * engagement[i], n), 1),
                }
            )
        )
    frame = pd.concat(sessions, ignore_index=True).sort_values("session_start", kind="stable", ignore_index=True)
    frame.insert(0, "session_id", np.arange(1, len(frame) + 1))
    return frame


def _transactions(rng: np.random.Generator, sessions: pd.DataFrame, plans: dict[int, str]) -> pd.DataFrame:
    """A purchase in about a third of the sessions, its amount scaled by the customer's plan."""
    spend_level = {"basic": 15.0, "standard": 30.0, "premium": 60.0}
    bought = sessions[rng.random(len(sessions)) < 0.35]
    amounts = [round(float(rng.gamma(2.0, spend_level[plans[c]] / 2.0)), 2) for c in bought["customer_id"]]
    return pd.DataFrame(
        {
            "transaction_id": np.arange(1, len(bought) + 1),
            "session_id": bought["session_id"].to_numpy(),
            "transaction_time": bought["session_start"].to_numpy()
            + pd.to_timedelta(rng.integers(60, 1800, len(bought)), unit="s"),
            "amount": amounts,
        }
    )


def _churned(
    rng: np.random.Generator,
    sessions: pd.DataFrame,
    customer_id: np.ndarray,
    cutoff: pd.DatetimeIndex,
    plan: np.ndarray,
) -> np.ndarray:
    """The label: behaviour before the cutoff (recency, visits in the last 90 days, plan), seen through noise."""
    before = sessions.merge(pd.DataFrame({"customer_id": customer_id, "cutoff": cutoff}), on="customer_id")
    before = before[before["session_start"] < before["cutoff"]]
    last_visit = before.groupby("customer_id")["session_start"].max().reindex(customer_id)
    recency_days = ((pd.Series(cutoff, index=customer_id) - last_visit).dt.days).fillna(365).to_numpy()
    visits_90 = (
        before[before["session_start"] >= before["cutoff"] - pd.Timedelta(days=90)]
        .groupby("customer_id")
        .size()
        .reindex(customer_id)
        .fillna(0)
        .to_numpy()
    )
    score = 0.035 * recency_days - 0.25 * visits_90 - 0.4 * (plan == "premium") + rng.normal(0, 0.8, len(customer_id))
    return (score > np.quantile(score, 0.7)).astype(int)


def _sklearn_table(loader: Callable[..., Any], target: str) -> dict[str, pd.DataFrame]:
    frame = loader(as_frame=True).frame
    frame = frame.rename(columns={"target": target})
    frame.columns = [
        str(c).replace(" ", "_").replace("(", "").replace(")", "").replace("/", "_") for c in frame.columns
    ]
    return {"data": frame}


def _diabetes() -> dict[str, pd.DataFrame]:
    from sklearn.datasets import load_diabetes

    return _sklearn_table(load_diabetes, "progression")


def _breast_cancer() -> dict[str, pd.DataFrame]:
    from sklearn.datasets import load_breast_cancer

    return _sklearn_table(load_breast_cancer, "benign")


def _wine() -> dict[str, pd.DataFrame]:
    from sklearn.datasets import load_wine

    return _sklearn_table(load_wine, "cultivar")


def _statsmodels_frame(name: str) -> pd.DataFrame:
    from statsmodels import datasets

    return getattr(datasets, name).load_pandas().data.copy()


def _fair() -> dict[str, pd.DataFrame]:
    frame = _statsmodels_frame("fair")
    # the usual binary reading of the study (Fair 1978; statsmodels' logit example): any affair at all
    frame["had_affair"] = (frame.pop("affairs") > 0).astype(int)
    return {"data": frame}


def _anes96() -> dict[str, pd.DataFrame]:
    frame = _statsmodels_frame("anes96").drop(columns=["logpopul"])  # log of popul: a derived copy
    frame["vote"] = frame.pop("vote").astype(int)
    return {"data": frame}


def _star98() -> dict[str, pd.DataFrame]:
    frame = _statsmodels_frame("star98")
    # statsmodels models the two counts as a binomial response; as a regression target, their share
    frame["share_above"] = frame["NABOVE"] / (frame.pop("NABOVE") + frame.pop("NBELOW"))
    return {"data": frame}


def _randhie() -> dict[str, pd.DataFrame]:
    frame = _statsmodels_frame("randhie")
    frame["mdvis"] = frame.pop("mdvis")  # the target last, like the other tables
    return {"data": frame}


_DATASETS: dict[str, Callable[[], dict[str, pd.DataFrame]]] = {
    "churn": churn_tables,
    "diabetes": _diabetes,
    "breast_cancer": _breast_cancer,
    "wine": _wine,
    "fair": _fair,
    "anes96": _anes96,
    "star98": _star98,
    "randhie": _randhie,
}

# the target column of each single-table dataset (churn's is ``customers.churned``)
TARGETS = {
    "diabetes": "progression",
    "breast_cancer": "benign",
    "wine": "cultivar",
    "fair": "had_affair",
    "anes96": "vote",
    "star98": "share_above",
    "randhie": "mdvis",
}


def available_datasets() -> list[str]:
    """Names of the built-in datasets."""
    return sorted(_DATASETS)


def load_dataset(name: str) -> dict[str, pd.DataFrame]:
    """A built-in dataset as ``{table name: DataFrame}``."""
    if name not in _DATASETS:
        raise ValueError(f"no built-in dataset {name!r}; expected one of {', '.join(available_datasets())}")
    return _DATASETS[name]()


def write_dataset(name: str, directory: str | Path) -> list[Path]:
    """Write a built-in dataset's tables as ``<table>.csv`` into ``directory`` (an input channel)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table, frame in load_dataset(name).items():
        path = directory / f"{table}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    return written
