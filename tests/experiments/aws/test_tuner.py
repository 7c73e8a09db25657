"""`sagelab sweep --backend sagemaker`: the tuning job the moto server receives mirrors the search space."""

from __future__ import annotations

import re
from pathlib import Path

import boto3

from contract import METRIC_DEFINITIONS
from tests.experiments.aws.conftest import MotoAWS
from tests.experiments.aws.test_launch import sagemaker_section
from tests.experiments.conftest import sagelab, tiny_rl_config

SPACE = {
    "parameters": {
        "algo.hyperparameters.learning_rate": {"type": "log_float", "low": 0.0001, "high": 0.003},
        "algo.hyperparameters.gamma": {"type": "float", "low": 0.9, "high": 0.999},
        "algo.hyperparameters.n_epochs": {"type": "int", "low": 2, "high": 10},
        "algo.hyperparameters.batch_size": {"type": "categorical", "values": [32, 64]},
    },
    "objective": {"metric": "final_mean_reward", "direction": "maximize"},
    "trials": 6,
    "parallel": 2,
}


def test_tuning_job_has_the_ranges_objective_and_metric_regexes(aws: MotoAWS, tmp_path: Path, write_config) -> None:
    config = write_config(
        {
            **tiny_rl_config(sagemaker=sagemaker_section(aws, use_spot=False, max_wait_seconds=None)),
            "search_space": SPACE,
        }
    )
    done = sagelab("sweep", config, "--backend", "sagemaker")
    assert done.returncode == 0, done.stdout + done.stderr
    [name] = re.findall(r"created tuning job (\S+)", done.stdout)
    assert "hyper-tuning-jobs" in done.stdout

    described = boto3.client("sagemaker").describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    tuning = described["HyperParameterTuningJobConfig"]
    assert tuning["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "final_mean_reward"}
    assert tuning["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 6
    assert tuning["ResourceLimits"]["MaxParallelTrainingJobs"] == 2
    ranges = tuning["ParameterRanges"]
    continuous = {r["Name"]: r for r in ranges["ContinuousParameterRanges"]}
    assert continuous["algo.hyperparameters.learning_rate"]["ScalingType"] == "Logarithmic"
    assert float(continuous["algo.hyperparameters.learning_rate"]["MinValue"]) == 0.0001
    assert float(continuous["algo.hyperparameters.gamma"]["MaxValue"]) == 0.999
    assert continuous["algo.hyperparameters.gamma"]["ScalingType"] == "Linear"
    [integer] = ranges["IntegerParameterRanges"]
    assert (integer["Name"], integer["MinValue"], integer["MaxValue"]) == ("algo.hyperparameters.n_epochs", "2", "10")
    [categorical] = ranges["CategoricalParameterRanges"]
    assert categorical == {"Name": "algo.hyperparameters.batch_size", "Values": ["32", "64"]}

    [request] = aws.requests_for("SageMaker.CreateHyperParameterTuningJob")
    definition = request["TrainingJobDefinition"]
    assert definition["AlgorithmSpecification"]["MetricDefinitions"] == METRIC_DEFINITIONS
    static = definition["StaticHyperParameters"]
    assert static["env.id"] == "CartPole-v1" and static["seed"] == "0"
    # SageMaker rejects a hyperparameter that is both static and tuned
    assert not set(static) & set(SPACE["parameters"])
    assert definition["ResourceConfig"]["InstanceType"] == "ml.c5.xlarge"
    assert definition["OutputDataConfig"]["S3OutputPath"] == "s3://sagelab-test-bucket/sagelab"


def test_sweep_without_a_search_space_is_refused(write_config, cli) -> None:
    done = cli("sweep", write_config(tiny_rl_config()))
    assert done.returncode == 2 and "needs a 'search_space:' section" in done.stderr
