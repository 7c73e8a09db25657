"""Automated feature engineering on featuretools: profile, generate (DFS), select by CV score, export.

    from features import AutoFeatures

    transformer = AutoFeatures(target_table="customers", index="customer_id", cutoff_time="cutoff_time",
                               relationships=[("customers", "customer_id", "sessions", "customer_id")], ...)
    transformer.fit(customers.drop(columns="churned"), customers["churned"], tables={"sessions": sessions})
    transformer.transform(new_customers, tables={"sessions": new_sessions})
"""

from features.autofeatures import AutoFeatures
from features.config import FeaturesConfig
from features.profile import DataProfile, infer_problem_type, profile

__all__ = ["AutoFeatures", "DataProfile", "FeaturesConfig", "infer_problem_type", "profile"]
