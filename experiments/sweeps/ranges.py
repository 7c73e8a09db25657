"""A search space's ranges as Optuna distributions and as SageMaker tuner parameter ranges."""

from __future__ import annotations

import json
from typing import Any

from contract import encode_hyperparameters
from experiments.sweeps.space import Categorical, FloatRange, IntRange, LogFloatRange, SearchSpace


def suggest(trial: Any, space: SearchSpace) -> dict[str, Any]:
    """One point of the space, drawn by an Optuna trial (key -> value)."""
    values: dict[str, Any] = {}
    for key, spec in space.parameters.items():
        if isinstance(spec, IntRange):
            values[key] = trial.suggest_int(key, spec.low, spec.high, log=spec.log)
        elif isinstance(spec, LogFloatRange):
            values[key] = trial.suggest_float(key, spec.low, spec.high, log=True)
        elif isinstance(spec, FloatRange):
            values[key] = trial.suggest_float(key, spec.low, spec.high)
        elif isinstance(spec, Categorical):
            # Optuna stores choices as JSON-able scalars: lists (e.g. net_arch) travel as JSON text
            choice = trial.suggest_categorical(key, [json.dumps(v) for v in spec.values])
            values[key] = json.loads(choice)
    return values


def corner_points(space: SearchSpace) -> list[dict[str, Any]]:
    """Points that together touch every bound and category, to validate a space before any trial runs."""
    points: list[dict[str, Any]] = []
    for key, spec in space.parameters.items():
        candidates = spec.values if isinstance(spec, Categorical) else [spec.low, spec.high]
        points.extend({key: value} for value in candidates)
    return points


def as_overrides(values: dict[str, Any]) -> list[str]:
    """``--set``-style overrides for a point (values written as YAML/JSON)."""
    return [f"{key}={json.dumps(value)}" for key, value in values.items()]


def tuner_ranges(space: SearchSpace) -> dict[str, Any]:
    """SageMaker parameter ranges keyed by hyperparameter name (the dotted config key)."""
    from sagemaker.train.tuner import CategoricalParameter, ContinuousParameter, IntegerParameter

    ranges: dict[str, Any] = {}
    for key, spec in space.parameters.items():
        if isinstance(spec, IntRange):
            ranges[key] = IntegerParameter(spec.low, spec.high, scaling_type="Logarithmic" if spec.log else "Linear")
        elif isinstance(spec, LogFloatRange):
            ranges[key] = ContinuousParameter(spec.low, spec.high, scaling_type="Logarithmic")
        elif isinstance(spec, FloatRange):
            ranges[key] = ContinuousParameter(spec.low, spec.high, scaling_type="Linear")
        elif isinstance(spec, Categorical):
            # hyperparameter values are strings decoded as JSON by the entry point (as in hyperparameters.json)
            ranges[key] = CategoricalParameter([encode_hyperparameters({"v": v})["v"] for v in spec.values])
    return ranges
