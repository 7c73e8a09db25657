"""The metric log lines a features job prints (``name=value;``), parsed by SageMaker MetricDefinitions."""

from __future__ import annotations

METRIC_NAMES: tuple[str, ...] = (
    "raw_cv_score",
    "dfs_cv_score",
    "selected_cv_score",
    "selected_cv_std",
    "holdout_score",
    "raw_holdout_score",
    "n_candidates",
    "n_selected",
)
