"""A features job under the container contract: read the channels, check the data, fit, write artifacts."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from contract import format_metrics
from contract.evaluation import EvaluationRecord, write_evaluation
from contract.layout import (
    FEATURE_DESCRIPTIONS_FILE,
    FEATURES_MODEL_DIR,
    LEADERBOARD_FILE,
    MODEL_CONFIG_FILE,
    SELECTED_FEATURES_FILE,
)
from features.autofeatures import AutoFeatures
from features.config import FeaturesConfig
from features.progress import LogLines
from features.tables import TableWarning
from features.validation import check_tables, read_tables


def run(
    config: FeaturesConfig,
    *,
    channels: dict[str, Path],
    model_dir: Path,
    output_data_dir: Path,
    log: Callable[[str], None] = print,
) -> EvaluationRecord:
    """Fit AutoFeatures on the job's tables; the transformer goes to ``model_dir``, matrix and report to
    ``output_data_dir``."""
    started = time.perf_counter()
    frames = read_tables(config, channels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TableWarning)
        check_tables(config, frames)  # every data problem is reported before the expensive part
    for warning in caught:
        log(f"warning: {warning.message}")
    target_table = config.target_table_name
    rows = frames[target_table]
    rows = rows[rows[config.target].notna()].reset_index(drop=True)
    X, y = rows.drop(columns=[config.target]), rows[config.target]
    related = {name: frame for name, frame in frames.items() if name != target_table}
    log(f"{len(X)} rows to predict in {target_table!r}; related tables: {', '.join(related) or 'none'}")

    transformer = AutoFeatures.from_config(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TableWarning)  # logged above, from the same checks
        transformer.fit(X, y, tables=related, progress=LogLines(log))
    log(f"problem type: {transformer.problem_type_} ({transformer.problem_type_reason_}); metric {transformer.metric_}")
    metrics = _metrics(transformer)
    log(format_metrics(**metrics))
    transformer.save(model_dir / FEATURES_MODEL_DIR)
    (model_dir / MODEL_CONFIG_FILE).write_text(json.dumps(config.model_dump(mode="json"), indent=2))
    _write_outputs(transformer, config, rows, related, output_data_dir, model_dir, log)
    record = EvaluationRecord(
        kind="features",
        config_name=config.name,
        seed=config.seed,
        timesteps=0,
        wall_seconds=round(time.perf_counter() - started, 3),
        metrics={name: float(value) for name, value in metrics.items()},
        problem_type=transformer.problem_type_,
        metric=transformer.metric_,
    )
    write_evaluation(output_data_dir, record)
    return record


def _metrics(transformer: AutoFeatures) -> dict[str, float | int]:
    """The job's metric line: CV scores of the candidate sets, held-out scores, counts."""
    scores = transformer.leaderboard_.set_index("candidate_set").to_dict("index")
    metrics: dict[str, float | int] = {
        "n_candidates": transformer.n_candidates_,
        "n_selected": len(transformer.feature_definitions_),
        "dfs_cv_score": float(scores["dfs_all"]["cv_score"]),
        "selected_cv_score": float(scores["selected"]["cv_score"]),
        "selected_cv_std": float(scores["selected"]["cv_std"]),
    }
    if pd.notna(scores["raw"]["cv_score"]):
        metrics["raw_cv_score"] = float(scores["raw"]["cv_score"])
    if "selected" in transformer.holdout_:
        metrics["holdout_score"] = transformer.holdout_["selected"]
    if "raw" in transformer.holdout_:
        metrics["raw_holdout_score"] = transformer.holdout_["raw"]
    return metrics


def _write_outputs(
    transformer: AutoFeatures,
    config: FeaturesConfig,
    rows: pd.DataFrame,
    related: dict[str, pd.DataFrame],
    output_data_dir: Path,
    model_dir: Path,
    log: Callable[[str], None],
) -> None:
    """Feature matrix (id column first, then the label), leaderboard, descriptions, report and notebooks."""
    from features.notebooks import write_notebooks
    from features.profiling import profile
    from features.report import write_report

    output_data_dir.mkdir(parents=True, exist_ok=True)
    matrix = transformer.transform(rows.drop(columns=[config.target]), tables=related)
    matrix.insert(
        1 if transformer.keep_index and transformer.index_ else 0, config.target, rows[config.target].to_numpy()
    )
    matrix.to_csv(output_data_dir / SELECTED_FEATURES_FILE, index=False)
    transformer.leaderboard_.to_json(output_data_dir / LEADERBOARD_FILE, orient="records", indent=2)
    transformer.describe_features().to_json(output_data_dir / FEATURE_DESCRIPTIONS_FILE, orient="records", indent=2)
    write_report(transformer, output_data_dir, title=config.name)
    profiled = profile(rows, config.target, related).to_dict()
    write_notebooks(transformer, profiled, output_data_dir, model_dir / FEATURES_MODEL_DIR, title=config.name, log=log)
