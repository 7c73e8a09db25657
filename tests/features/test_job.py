"""A features job through the CLI under the job contract, and each bad-input error before work starts."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from contract import METRIC_DEFINITIONS, parse_metrics
from features.config import FeaturesConfig
from features.datasets import churn_tables
from features.tables import TableWarning
from features.validation import DataError, check_tables, read_tables
from tests.experiments.conftest import sagelab

SHIPPED = Path(__file__).resolve().parents[2] / "experiments" / "configs" / "churn_features.yaml"


def small_job(tmp_path: Path, **changes: object) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for name, frame in churn_tables(n_customers=200, seed=2).items():
        frame.to_csv(data / f"{name}.csv", index=False)
    raw = yaml.safe_load(SHIPPED.read_text())
    raw.update(
        inputs={"train": str(data)},
        max_depth=1,
        max_candidates=40,
        max_features=2,
        cv_folds=3,
        agg_primitives=["count", "mean", "time_since_last"],
        trans_primitives=["time_since"],
        **changes,
    )
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_shipped_config_validates_without_its_envelope() -> None:
    raw = yaml.safe_load(SHIPPED.read_text())
    fields = {k: v for k, v in raw.items() if k not in ("kind", "inputs")}
    config = FeaturesConfig.model_validate(fields)
    assert config.target == "churned" and config.cutoff_time == "cutoff_time"
    assert (
        FeaturesConfig.model_validate({**fields, "max_features": None}).max_features is None
    )  # no cap: the CV score decides


@pytest.mark.slow
def test_features_job_writes_the_contract_artifacts(tmp_path: Path) -> None:
    done = sagelab("run", small_job(tmp_path), "--output-dir", tmp_path / "runs", "--job-name", "churn", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    job = tmp_path / "runs" / "churn"
    assert (job / "model/autofeatures/feature_definitions.json").is_file()
    assert (job / "model/autofeatures/autofeatures.json").is_file()
    for name in (
        "selected_features.csv",
        "leaderboard.json",
        "report.md",
        "report.html",
        "importance.png",
        "score_vs_features.png",
    ):
        assert (job / "output/data" / name).is_file(), name
    assert (job / "output/model.tar.gz").is_file() and (job / "output/output.tar.gz").is_file()
    for name in ("data_exploration.ipynb", "candidate_definitions.ipynb"):  # Autopilot's notebooks, run when written
        notebook = nbformat.read(job / "output/data" / name, as_version=4)
        outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
        assert outputs and not [o for o in outputs if o.output_type == "error"], name
        assert all(cell.execution_count for cell in notebook.cells if cell.cell_type == "code"), name
    log = (job / "job.log").read_text()
    for stage in (
        "building the EntitySet",
        "computing and ranking candidates 1/",
        "confirming: scoring candidate sets",
    ):
        assert stage in log, stage
    metrics: dict[str, float] = {}
    for line in (job / "job.log").read_text().splitlines():
        metrics.update(parse_metrics(line))
    assert {"selected_cv_score", "holdout_score", "n_candidates", "n_selected", "dfs_cv_score"} <= set(metrics)
    names = {d["Name"] for d in METRIC_DEFINITIONS}
    assert set(metrics) <= names
    matrix = pd.read_csv(job / "output/data/selected_features.csv")
    assert len(matrix) == 200 and list(matrix.columns[:2]) == ["customer_id", "churned"]  # rows join back by id
    customers = pd.read_csv(tmp_path / "data" / "customers.csv")
    joined = matrix.merge(customers, on="customer_id", suffixes=("", "_input"))
    assert len(joined) == 200 and (joined["churned"] == joined["churned_input"]).all()
    leaderboard = json.loads((job / "output/data/leaderboard.json").read_text())
    sets = [row["candidate_set"] for row in leaderboard]
    assert sets == ["raw", "dfs_all", "top_gain", "selected"]  # max_features=2 binds: top_gain is the capped contender
    assert leaderboard[-1]["chosen"] in ("raw", "top_gain")


def frames_and_config(**changes: object) -> tuple[dict[str, pd.DataFrame], FeaturesConfig]:
    raw = yaml.safe_load(SHIPPED.read_text())
    raw = {k: v for k, v in raw.items() if k not in ("kind", "inputs")}
    raw.update(changes)
    return churn_tables(n_customers=30, seed=3), FeaturesConfig.model_validate(raw)


def test_missing_target_column() -> None:
    frames, config = frames_and_config(target="cancelled")
    with pytest.raises(DataError, match="target column 'cancelled' is not in table 'customers'"):
        check_tables(config, frames)


def test_target_all_null() -> None:
    frames, config = frames_and_config()
    frames["customers"]["churned"] = None
    with pytest.raises(DataError, match="target column 'churned' of table 'customers' is empty"):
        check_tables(config, frames)


def test_relationship_naming_an_absent_key() -> None:
    frames, config = frames_and_config(
        relationships=[{"parent": "customers.customer_id", "child": "sessions.client_id"}]
    )
    with pytest.raises(DataError, match="table 'sessions' has no column 'client_id'"):
        check_tables(config, frames)


def test_duplicate_index_values() -> None:
    frames, config = frames_and_config()
    frames["sessions"].loc[1, "session_id"] = frames["sessions"].loc[0, "session_id"]
    with pytest.raises(DataError, match="index column 'session_id' has duplicate values"):
        check_tables(config, frames)


def test_cutoff_time_that_is_not_a_datetime() -> None:
    frames, config = frames_and_config()
    frames["customers"]["cutoff_time"] = range(len(frames["customers"]))
    with pytest.raises(DataError, match="cutoff_time column 'cutoff_time' must hold datetimes"):
        check_tables(config, frames)


def test_config_references_are_checked_before_reading_data() -> None:
    with pytest.raises(ValueError, match=r"relationships\[0\].child: table 'visits' is not declared"):
        frames_and_config(relationships=[{"parent": "customers.customer_id", "child": "visits.customer_id"}])


def test_bad_data_fails_the_job_with_the_reason_in_the_failure_file(tmp_path: Path) -> None:
    done = sagelab(
        "run",
        small_job(tmp_path, target="cancelled"),
        "--output-dir",
        tmp_path / "runs",
        "--job-name",
        "bad",
        "--quiet",
    )
    assert done.returncode == 1
    assert "target column 'cancelled' is not in table 'customers'" in (tmp_path / "runs/bad/output/failure").read_text()


def channel_with(tmp_path: Path, frames: dict[str, pd.DataFrame]) -> dict[str, Path]:
    data = tmp_path / "channel"
    data.mkdir(exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(data / f"{name}.csv", index=False)
    return {"train": data}


def test_an_empty_csv_names_the_table_and_file(tmp_path: Path) -> None:
    frames, config = frames_and_config()
    channels = channel_with(tmp_path, frames)
    (channels["train"] / "sessions.csv").write_text("")
    with pytest.raises(DataError, match=r"table 'sessions': file .*sessions.csv is empty"):
        read_tables(config, channels)
    (channels["train"] / "sessions.csv").write_text("session_id,customer_id,session_start\n")
    with pytest.raises(DataError, match=r"table 'sessions' is empty \(0 rows"):
        read_tables(config, channels)


def test_unparseable_time_index_values_are_an_error_naming_table_and_column(tmp_path: Path) -> None:
    frames, config = frames_and_config()
    frames["sessions"]["session_start"] = frames["sessions"]["session_start"].astype(str)
    frames["sessions"].loc[4, "session_start"] = "last tuesday"
    with pytest.raises(
        DataError, match=r"table 'sessions': time column 'session_start' has 1 value\(s\) .* 'last tuesday'"
    ):
        read_tables(config, channel_with(tmp_path, frames))


def test_a_quote_in_a_column_name_names_table_and_column(tmp_path: Path) -> None:
    frames, config = frames_and_config()
    frames["transactions"] = frames["transactions"].rename(columns={"amount": 'amount "usd"'})
    with pytest.raises(DataError, match=r"table 'transactions': column name 'amount \"usd\"' contains a double quote"):
        read_tables(config, channel_with(tmp_path, frames))


def test_a_target_of_0_1_and_yes_read_from_csv_is_refused(tmp_path: Path) -> None:
    frames, config = frames_and_config()
    frames["customers"]["churned"] = frames["customers"]["churned"].astype(object)
    frames["customers"].loc[0, "churned"] = "yes"
    read = read_tables(config, channel_with(tmp_path, frames))
    with pytest.raises(
        DataError, match=r"target column 'churned' of table 'customers' mixes numbers \(0, 1\) and text \('yes'\)"
    ):
        check_tables(config, read)


def test_a_missing_index_value_names_table_and_column() -> None:
    frames, config = frames_and_config()
    frames["sessions"]["session_id"] = frames["sessions"]["session_id"].astype(float)
    frames["sessions"].loc[2, "session_id"] = None
    with pytest.raises(DataError, match=r"table 'sessions': index column 'session_id' has 1 missing value"):
        check_tables(config, frames)


def test_orphan_child_keys_are_a_warning_with_the_count() -> None:
    frames, config = frames_and_config()
    frames["sessions"].loc[:2, "customer_id"] = 10_000
    with pytest.warns(
        TableWarning, match=r"3 of \d+ row\(s\) of 'sessions' have a 'customer_id' that matches no row of 'customers'"
    ):
        check_tables(config, frames)
