"""The search settings of AutoFeatures, defined once: the features job config and the estimator's parameters.

:class:`SearchSettings` is the single definition of every setting that a features job config and an
``AutoFeatures`` estimator share (with its default, range and description). ``FeaturesConfig`` extends it
with the job's tables and target; ``AutoFeatures.__init__`` takes its fields as keyword parameters (its
signature is built from this model), stores them unchanged, and validates them here at ``fit``.
Adding an option is adding a field here. This module imports only pydantic and :mod:`contract.fields`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.fields import Float, Int

# The metric used when none is given, per problem type (SageMaker Autopilot's defaults, as sklearn scorers).
DEFAULT_METRICS: dict[str, str] = {
    "regression": "neg_root_mean_squared_error",
    "binary": "roc_auc",
    "multiclass": "f1_macro",
}


class SearchSettings(BaseModel):
    """How candidates are generated, ranked and selected: what a features job and ``AutoFeatures`` share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cutoff_time: str | None = Field(
        None, description="datetime column of the target table: each row's prediction time; no feature uses later data"
    )
    training_window: str | None = Field(
        None, description="only data this long before the cutoff time, e.g. '30 days' (needs cutoff_time)"
    )
    problem_type: Literal["auto", "regression", "binary", "multiclass"] = "auto"
    metric: str | None = Field(None, description="sklearn scorer name; default per problem type (RMSE, AUC, macro-F1)")
    cv_folds: Int = Field(5, ge=2, le=20, description="K of the K-fold CV that ranks and selects (training rows only)")
    test_size: Float = Field(
        0.2, ge=0.0, lt=0.9, description="held-out share of rows, never seen by generation or selection (0: none)"
    )
    max_depth: Int = Field(2, ge=1, le=4, description="Deep Feature Synthesis depth")
    max_features: Int | None = Field(
        None,
        ge=1,
        description="the candidate sets hold the raw columns plus at most the best-ranked N candidates (null: no cap)",
    )
    max_candidates: Int = Field(
        2000,
        ge=1,
        description="at most this many definitions, input columns included; when DFS and the group-by statistics "
        "offer more, drawn evenly from every primitive family",
    )
    time_budget_seconds: Float | None = Field(None, gt=0, description="stop generating candidates after this long")
    agg_primitives: list[str] | None = Field(
        None, description="featuretools aggregation primitives; default: a curated set"
    )
    trans_primitives: list[str] | None = Field(
        None,
        description="featuretools transform primitives, or sagelab's pairwise_min / pairwise_max; default: "
        "arithmetic between numeric pairs, datetime parts, text lengths",
    )
    groupby_aggregations: bool = Field(
        True,
        description="statistics of numeric columns and row counts per key (categorical or numeric with at most "
        "50 values, 20 rows per value) and per pair of keys, learned on the training rows",
    )
    chunk_size: Int = Field(512, ge=1, description="candidates computed and scored at a time (bounds memory)")
    screen: Literal["gain", "shadow"] = Field(
        "gain",
        description="which candidates survive a chunk's ranking: 'gain', any the model gains from; 'shadow', only "
        "those it gains more from than from every shadow (a candidate with its rows shuffled, Boruta's null)",
    )
    keep_candidates: Literal["cv", "all"] = Field(
        "cv",
        description="how many screened candidates are kept: 'cv', whichever of the best-ranked 5, 10, 20, ... "
        "(near-monotone copies skipped) or all of them the estimator scores best in CV on the training rows; "
        "'all', every one (up to max_features)",
    )
    keep_index: bool = Field(
        True,
        description="transform's output carries the index column first, so its rows join back "
        "(False in a Pipeline whose model must not see the id)",
    )

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str | None) -> str | None:
        if metric is not None:
            from sklearn.metrics import get_scorer_names  # only when a metric is set: validation stays light

            if metric not in get_scorer_names():
                raise ValueError(
                    f"metric {metric!r} is not a scikit-learn scorer name (e.g. roc_auc, f1_macro, neg_log_loss, r2)"
                )
        return metric

    @model_validator(mode="after")
    def _window_needs_cutoff(self) -> SearchSettings:
        if self.training_window and not self.cutoff_time:
            raise ValueError("training_window needs cutoff_time (the window ends at each row's cutoff time)")
        return self


SETTING_NAMES: tuple[str, ...] = tuple(SearchSettings.model_fields)
