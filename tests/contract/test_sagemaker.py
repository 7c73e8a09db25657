"""The SageMaker container contract: hyperparameter strings, SM_* variables, metric regexes, failure file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from contract import (
    METRIC_DEFINITIONS,
    METRIC_NAMES,
    ContainerPaths,
    container_environment,
    decode_hyperparameters,
    encode_hyperparameters,
    format_metrics,
    parse_metrics,
    read_failure,
    write_failure,
    write_input_config,
)
from experiments.config import hyperparameter_view, load_job_config


def test_hyperparameters_are_strings_with_dotted_keys() -> None:
    encoded = encode_hyperparameters(
        {"algo": {"hyperparameters": {"learning_rate": 0.001, "net": [64, 64], "schedule": "lin_0.1"}}, "seed": 3}
    )
    assert encoded == {
        "algo.hyperparameters.learning_rate": "0.001",
        "algo.hyperparameters.net": "[64, 64]",
        "algo.hyperparameters.schedule": "lin_0.1",
        "seed": "3",
    }
    assert all(isinstance(value, str) for value in encoded.values())


@pytest.mark.parametrize(
    "value", ["123", "true", "null", "[1]", "plain text", 0, 1.5e-7, True, None, [1, "a"], {}, {"a": {"b": "2"}}]
)
def test_hyperparameters_round_trip_every_type(value: object) -> None:
    config = {"section": {"value": value}}
    assert decode_hyperparameters(encode_hyperparameters(config)) == config


def test_decode_accepts_values_already_decoded() -> None:
    # SM_HPS and tuner substitutions deliver numbers, not strings
    assert decode_hyperparameters({"algo.hyperparameters.gamma": 0.99, "seed": "1"}) == {
        "algo": {"hyperparameters": {"gamma": 0.99}},
        "seed": 1,
    }


def test_sagemaker_limits_are_enforced() -> None:
    with pytest.raises(ValueError, match="at most 100"):
        encode_hyperparameters({f"k{i}": i for i in range(101)})
    with pytest.raises(ValueError, match="too long"):
        encode_hyperparameters({"k": "x" * 3000})


def test_shipped_config_survives_the_contract() -> None:
    job = load_job_config("cartpole_ppo")
    view = hyperparameter_view(job)
    assert decode_hyperparameters(json.loads(json.dumps(encode_hyperparameters(view)))) == view
    assert "sagemaker" not in view and "inputs" not in view


def test_container_environment_has_the_sm_variables(tmp_path: Path) -> None:
    paths = ContainerPaths(tmp_path / "job").create()
    paths.channel_dir("train").mkdir()
    write_input_config(paths, {"seed": "4", "algo.name": "ppo"}, ["train"])
    env = container_environment(
        paths, hyperparameters={"seed": "4", "algo.name": "ppo"}, channels=["train"], job_name="job", num_cpus=2
    )
    assert env["SM_MODEL_DIR"] == str(paths.model_dir)
    assert env["SM_OUTPUT_DATA_DIR"] == str(paths.output_data_dir)
    assert json.loads(env["SM_CHANNELS"]) == ["train"]
    assert env["SM_CHANNEL_TRAIN"] == str(paths.channel_dir("train"))
    assert json.loads(env["SM_HPS"]) == {"seed": 4, "algo.name": "ppo"}
    assert env["SM_HP_SEED"] == "4" and env["SM_HP_ALGO_NAME"] == "ppo"
    assert env["SM_NUM_CPUS"] == "2" and env["SM_NUM_GPUS"] == "0"
    assert json.loads(env["SM_HOSTS"]) == ["algo-1"] and env["SM_CURRENT_HOST"] == "algo-1"
    training_env = json.loads(env["SM_TRAINING_ENV"])
    assert training_env["channel_input_dirs"] == {"train": str(paths.channel_dir("train"))}
    assert ContainerPaths.from_environment(env) == paths
    assert ContainerPaths.from_environment({}).root == Path("/opt/ml")


def test_metric_regexes_parse_what_the_job_prints() -> None:
    line = format_metrics(timesteps=20000, eval_mean_reward=487.25, eval_std_reward=1.5e-3)
    assert parse_metrics(line) == {"timesteps": 20000.0, "eval_mean_reward": 487.25, "eval_std_reward": 0.0015}
    # names are matched whole: eval_mean_reward must not also match as mean_reward of another metric
    assert parse_metrics("final_mean_reward=-3.5;") == {"final_mean_reward": -3.5}
    assert {d["Name"] for d in METRIC_DEFINITIONS} == set(METRIC_NAMES)
    for definition in METRIC_DEFINITIONS:
        assert re.compile(definition["Regex"]).groups == 1


def test_failure_file_is_truncated_to_what_sagemaker_shows(tmp_path: Path) -> None:
    paths = ContainerPaths(tmp_path)
    assert read_failure(paths) is None
    write_failure(paths, "boom " * 500)
    assert paths.failure_file.is_file()
    assert len(read_failure(paths)) <= 1024
