"""The ``search_space:`` section of a job config: ranges over config keys, an objective metric."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contract import METRIC_NAMES
from contract.fields import Float, Int


class _Range(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntRange(_Range):
    """Integers in [low, high] (SageMaker: IntegerParameterRanges)."""

    type: Literal["int"]
    low: Int
    high: Int
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got {self.low}")
        return self


class _RealRange(_Range):
    low: Float
    high: Float

    @model_validator(mode="after")
    def _ordered(self) -> _RealRange:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class FloatRange(_RealRange):
    """Reals in [low, high], uniform (SageMaker: ContinuousParameterRanges, Linear scaling)."""

    type: Literal["float"]


class LogFloatRange(_RealRange):
    """Reals in [low, high], log-uniform (SageMaker: Logarithmic scaling)."""

    type: Literal["log_float"]

    @model_validator(mode="after")
    def _positive(self) -> LogFloatRange:
        if self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got {self.low}")
        return self


class Categorical(_Range):
    """One of a list of values (SageMaker: CategoricalParameterRanges)."""

    type: Literal["categorical"]
    values: list[Any] = Field(min_length=1)


ParameterRange = Annotated[IntRange | FloatRange | LogFloatRange | Categorical, Field(discriminator="type")]

# What a user may write for each range type, shown whenever a range has no or an unknown ``type``.
RANGE_TYPES: dict[str, str] = {
    "int": "{type: int, low: 2, high: 10} (add log: true for a log scale)",
    "float": "{type: float, low: 0.9, high: 0.999}",
    "log_float": "{type: log_float, low: 0.00001, high: 0.01}",
    "categorical": "{type: categorical, values: [64, 128, 256]}",
}


def _check_range_type(key: str, spec: Any) -> None:
    allowed = "; ".join(f"{name}: {example}" for name, example in RANGE_TYPES.items())
    if not isinstance(spec, dict):
        raise ValueError(f"{key}: a range is a mapping with a 'type', got {spec!r}; the types are {allowed}")
    if spec.get("type") not in RANGE_TYPES:
        seen = f"type {spec['type']!r} is not a range type" if "type" in spec else "the range has no 'type'"
        raise ValueError(f"{key}: {seen}; expected one of {', '.join(RANGE_TYPES)}, e.g. {allowed}")


class Objective(BaseModel):
    """The metric a sweep optimizes: a name from the metric log lines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = "final_mean_reward"
    direction: Literal["maximize", "minimize"] = "maximize"

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric not in METRIC_NAMES:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRIC_NAMES)}")
        return metric


class SearchSpace(BaseModel):
    """Ranges over dotted config keys, the objective, and the trial budget."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parameters: dict[str, ParameterRange] = Field(min_length=1)
    objective: Objective = Field(default_factory=Objective)
    trials: Int = Field(10, ge=1, le=500)
    parallel: Int = Field(1, ge=1, le=100, description="trials run at the same time")
    pruning: bool = Field(True, description="stop unpromising trials early on their evaluation reports (local)")

    @field_validator("parameters", mode="before")
    @classmethod
    def _known_types(cls, parameters: Any) -> Any:
        # before pydantic's tagged union, whose messages ("Unable to extract tag using discriminator") name no type
        if isinstance(parameters, dict):
            for key, spec in parameters.items():
                _check_range_type(key, spec)
        return parameters

    @field_validator("parameters")
    @classmethod
    def _dotted_keys(cls, parameters: dict[str, Any]) -> dict[str, Any]:
        for key in parameters:
            if not all(key.split(".")):  # (the job config refuses keys of its envelope)
                raise ValueError(
                    f"{key!r} is not a tunable config key (expected e.g. algo.hyperparameters.learning_rate)"
                )
        return parameters
