"""Automated feature engineering on featuretools: profile, generate (DFS), select by CV score, export.

    from features import AutoFeatures

    transformer = AutoFeatures(target_table="customers", index="customer_id", cutoff_time="cutoff_time",
                               relationships=[("customers", "customer_id", "sessions", "customer_id")], ...)
    transformer.fit(customers.drop(columns="churned"), customers["churned"], tables={"sessions": sessions})
    transformer.transform(new_customers, tables={"sessions": new_sessions})

The names below are imported on first use: ``import features`` (or ``features.config``) stays light, without
scikit-learn, featuretools or LightGBM.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from features.autofeatures import AutoFeatures
    from features.config import FeaturesConfig
    from features.profiling import DataProfile, infer_problem_type, profile

_WHERE = {
    "AutoFeatures": "features.autofeatures",
    "FeaturesConfig": "features.config",
    "DataProfile": "features.profiling",
    "infer_problem_type": "features.profiling",
    "profile": "features.profiling",
}
__all__ = ["AutoFeatures", "DataProfile", "FeaturesConfig", "infer_problem_type", "profile"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'features' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
