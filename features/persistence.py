"""Saving and loading a fitted AutoFeatures: featuretools' own serialization for the feature definitions,
JSON for the parameters and the learned state (no pickle, so a saved model is readable and diffable).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import features.groupby
import features.primitives  # noqa: F401  (the same for pairwise_min and pairwise_max)
from contract.layout import AUTOFEATURES_STATE_FILE, FEATURE_DEFINITIONS_FILE
from features.families import Conditioner

# learned attributes stored as they are (JSON-compatible already)
PLAIN_STATE = (
    "problem_type_",
    "problem_type_reason_",
    "metric_",
    "raw_features_",
    "categories_",
    "table_columns_",
    "importances_",
    "holdout_",
    "n_candidates_",
    "n_near_duplicates_",
    "fit_seconds_",
    "selection_choice_",
    "index_",
    "indexes_",
    "id_columns_",
    "estimator_name_",
    "candidate_sets_",
)
HISTORIES = ("score_curve_",)  # lists of (feature count, CV score)
# a file from before a history was renamed: its old name (the prefix search curve of that version)
RENAMED_HISTORIES = {"score_curve_": "top_gain_history_"}
# learned attributes added after the first saved format; a file from before them loads with "not recorded"
ADDED_LATER: dict[str, Any] = {
    "n_near_duplicates_": None,
    "index_": None,
    "indexes_": None,
    "id_columns_": {},
    "estimator_name_": "LightGBM",
    "candidate_sets_": {},
}
# parameters added after the first saved format, with the value that reproduces the old behaviour
OLD_PARAMETERS = {"keep_index": False, "keep_candidates": "all"}
# a consuming model is saved by class and parameters and restored only from these packages (nothing is unpickled)
ESTIMATOR_PACKAGES = ("sklearn.", "lightgbm.")


def save(transformer: Any, directory: str | Path) -> Path:
    """Write ``feature_definitions.json`` (featuretools) and ``autofeatures.json`` (parameters, learned state)."""
    import featuretools as ft

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ft.save_features(transformer.feature_definitions_, str(directory / FEATURE_DEFINITIONS_FILE))
    state = {name: getattr(transformer, name) for name in PLAIN_STATE}
    params = transformer.get_params(deep=False)
    state["params"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items() if k != "estimator"}
    state["params"]["estimator"] = _estimator_state(params["estimator"])
    state["leaderboard_"] = json.loads(transformer.leaderboard_.to_json(orient="records"))
    conditioner = transformer.conditioner_
    state["conditioner_"] = None if conditioner is None else conditioner.state()
    state["feature_names_in_"] = list(transformer.feature_names_in_)
    state["feature_names_out_"] = list(transformer.feature_names_out_)
    for name in HISTORIES:
        state[name] = [list(step) for step in getattr(transformer, name)]
    (directory / AUTOFEATURES_STATE_FILE).write_text(json.dumps(state, indent=2, default=str))
    return directory


def load(cls: type, directory: str | Path) -> Any:
    """An instance of ``cls`` (AutoFeatures) restored from :func:`save`'s directory."""
    import featuretools as ft

    directory = Path(directory)
    for name in (FEATURE_DEFINITIONS_FILE, AUTOFEATURES_STATE_FILE):
        if not (directory / name).is_file():
            raise FileNotFoundError(
                f"{directory / name} does not exist; expected a directory written by AutoFeatures.save"
            )
    state = json.loads((directory / AUTOFEATURES_STATE_FILE).read_text())
    params = state["params"]
    params["relationships"] = tuple(tuple(r) for r in params.get("relationships") or ())
    params["estimator"] = _estimator_from(params.get("estimator"), directory / AUTOFEATURES_STATE_FILE)
    transformer = cls(**{**OLD_PARAMETERS, **params})
    transformer.feature_definitions_ = ft.load_features(str(directory / FEATURE_DEFINITIONS_FILE))
    for name in PLAIN_STATE:
        if name not in state and name not in ADDED_LATER:
            raise ValueError(
                f"{directory / AUTOFEATURES_STATE_FILE} has no {name!r}; expected a file written by AutoFeatures.save"
            )
        setattr(transformer, name, state.get(name, ADDED_LATER.get(name)))
    if transformer.indexes_ is None:  # saved before the indexes were resolved at fit: the declared ones
        transformer.index_, transformer.indexes_ = params.get("index"), dict(params.get("indexes") or {})
    if "leaderboard_" not in state:
        raise ValueError(
            f"{directory / AUTOFEATURES_STATE_FILE} has no 'leaderboard_'; expected a file written by AutoFeatures.save"
        )
    transformer.leaderboard_ = pd.DataFrame(state["leaderboard_"])
    conditioner = state.get("conditioner_")
    transformer.conditioner_ = None if conditioner is None else Conditioner.from_state(conditioner)
    transformer.feature_names_in_ = np.array(state["feature_names_in_"], dtype=object)
    transformer.n_features_in_ = len(transformer.feature_names_in_)
    transformer.feature_names_out_ = np.array(state["feature_names_out_"], dtype=object)
    for name in HISTORIES:
        steps = state[name] if name in state else state.get(RENAMED_HISTORIES[name], [])
        setattr(transformer, name, [tuple(step) for step in steps])
    return transformer


def _estimator_state(estimator: Any) -> dict[str, Any] | None:
    if estimator is None:
        return None
    kind = type(estimator)
    params = estimator.get_params(deep=False)
    try:
        json.dumps(params)
    except TypeError:
        raise ValueError(
            f"the estimator's parameters {params} are not JSON values; AutoFeatures.save stores only "
            "estimators with plain parameters"
        ) from None
    return {"class": f"{kind.__module__}.{kind.__qualname__}", "params": params}


def _estimator_from(state: dict[str, Any] | None, source: Path) -> Any:
    if state is None:
        return None
    import importlib

    module, _, name = state["class"].rpartition(".")
    if not module.startswith(ESTIMATOR_PACKAGES):
        raise ValueError(
            f"{source}: estimator class {state['class']!r} is not from scikit-learn or LightGBM; "
            "AutoFeatures.load restores only those"
        )
    return getattr(importlib.import_module(module), name)(**state["params"])
