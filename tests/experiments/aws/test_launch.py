"""`--backend sagemaker` end to end against a moto server: what is sent, run as SageMaker would, fetched back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from contract import METRIC_DEFINITIONS
from contract.metrics import RL_METRIC_NAMES as RL_METRICS
from tests.experiments.aws.conftest import BUCKET, MotoAWS
from tests.experiments.aws.container import run_like_sagemaker
from tests.experiments.conftest import sagelab, tiny_rl_config


def sagemaker_section(aws: MotoAWS, **changes: object) -> dict:
    section = {
        "role": aws.role_arn,
        "region": aws.region,
        "output_path": f"s3://{BUCKET}/sagelab",
        "instance_type": "ml.c5.xlarge",
        "use_spot": True,
        "max_run_seconds": 3600,
        "max_wait_seconds": 7200,
        "volume_size_gb": 20,
        "tags": {"project": "sagelab-tests"},
        "validate_role": False,
    }
    section.update(changes)
    return section


def created_job_names(stdout: str) -> list[str]:
    return re.findall(r"created training job (\S+)", stdout)


def assert_sent_as_configured(aws: MotoAWS, described: dict, local_job: Path) -> None:
    """What the moto server recorded of CreateTrainingJob is the local job's config, and leaks no secret."""
    assert described["HyperParameters"] == json.loads((local_job / "input/config/hyperparameters.json").read_text())
    assert described["AlgorithmSpecification"]["TrainingImage"].endswith("/pytorch-training:2.5-cpu-py311")
    assert described["ResourceConfig"] == {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 20}
    assert described["EnableManagedSpotTraining"] is True
    assert described["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    assert described["CheckpointConfig"]["S3Uri"].startswith(f"s3://{BUCKET}/sagelab/checkpoints/tiny-ppo-s0")
    assert described["CheckpointConfig"]["LocalPath"] == "/opt/ml/checkpoints"
    assert described["OutputDataConfig"]["S3OutputPath"] == f"s3://{BUCKET}/sagelab"

    [request] = aws.requests_for("SageMaker.CreateTrainingJob")
    # moto's DescribeTrainingJob reports canned MetricDefinitions; the request shows what was sent
    assert request["AlgorithmSpecification"]["MetricDefinitions"] == METRIC_DEFINITIONS
    assert {"Key": "project", "Value": "sagelab-tests"} in request["Tags"]
    log = (local_job / "job.log").read_text()
    for definition in request["AlgorithmSpecification"]["MetricDefinitions"]:
        if definition["Name"] in RL_METRICS and definition["Name"] != "train_episode_length":
            assert re.search(definition["Regex"], log), f"{definition['Name']} regex matches no line of a real job log"
    assert "AWS_SECRET_ACCESS_KEY" not in json.dumps(request) and "testing" not in json.dumps(
        request.get("Environment", {})
    )


def assert_source_bundle_uploaded(described: dict) -> None:
    """The code channel holds the packages, the requirements and the job's config, and no bytecode."""
    code = next(c for c in described["InputDataConfig"] if c["ChannelName"] == "code")
    prefix = code["DataSource"]["S3DataSource"]["S3Uri"].split(f"{BUCKET}/", 1)[1]
    keys = {
        o["Key"][len(prefix) :].lstrip("/")
        for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]
    }
    assert {
        "experiments/entry.py",
        "rl/job.py",
        "envs/__init__.py",
        "features/config.py",
        "requirements.txt",
        "sagelab_job.yaml",
    } <= keys
    assert not any("__pycache__" in key for key in keys)


@pytest.mark.slow
def test_sagemaker_job_is_the_local_job(aws: MotoAWS, tmp_path: Path, write_config) -> None:
    config = write_config(tiny_rl_config(sagemaker=sagemaker_section(aws)))
    local = sagelab("run", config, "--output-dir", tmp_path / "local", "--job-name", "local", "--quiet")
    assert local.returncode == 0, local.stdout + local.stderr
    local_job = tmp_path / "local" / "local"

    launched = sagelab("run", config, "--backend", "sagemaker", "--no-wait")
    assert launched.returncode == 0, launched.stdout + launched.stderr
    [name] = created_job_names(launched.stdout)
    assert "console.aws.amazon.com/sagemaker" in launched.stdout and name in launched.stdout

    described = boto3.client("sagemaker").describe_training_job(TrainingJobName=name)
    assert_sent_as_configured(aws, described, local_job)
    assert_source_bundle_uploaded(described)

    # --- run it as SageMaker would, then fetch and evaluate like a local job --------------------
    container, done = run_like_sagemaker(name, tmp_path / "container")
    assert done.returncode == 0, done.stdout + done.stderr
    requirements = (container.channel_dir("code") / "requirements.txt").read_text()
    assert "stable-baselines3==" in requirements and "torch" not in requirements.split()

    fetched = sagelab("fetch", name, "--to", tmp_path / "fetched")
    assert fetched.returncode == 0, fetched.stderr
    job_dir = tmp_path / "fetched" / name
    assert (job_dir / "model/model.zip").is_file() and (job_dir / "output/data/evaluation.json").is_file()

    local_evaluation = json.loads((local_job / "output/data/evaluation.json").read_text())
    evaluated = sagelab("evaluate", job_dir, "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["episode_rewards"] == local_evaluation["episode_rewards"]

    report = sagelab("report", tmp_path / "fetched")
    assert report.returncode == 0 and "tiny-ppo" in report.stdout

    listed = sagelab("jobs")
    assert listed.returncode == 0 and name in listed.stdout


def test_seeds_launch_one_job_each(aws: MotoAWS, tmp_path: Path, write_config) -> None:
    config = write_config(tiny_rl_config(sagemaker=sagemaker_section(aws, use_spot=False, max_wait_seconds=None)))
    launched = sagelab("run", config, "--backend", "sagemaker", "--no-wait", "--seeds", "0", "1", "2")
    assert launched.returncode == 0, launched.stdout + launched.stderr
    names = created_job_names(launched.stdout)
    assert len(names) == 3
    seeds = sorted(
        boto3.client("sagemaker").describe_training_job(TrainingJobName=n)["HyperParameters"]["seed"] for n in names
    )
    assert seeds == ["0", "1", "2"]


def test_builtin_input_channel_is_uploaded(aws: MotoAWS, tmp_path: Path) -> None:
    config = tmp_path / "churn.yaml"
    shipped = Path(__file__).resolve().parents[3] / "experiments" / "configs" / "churn_features.yaml"
    import yaml

    raw = yaml.safe_load(shipped.read_text())
    raw["sagemaker"] = sagemaker_section(aws, use_spot=False, max_wait_seconds=None)
    config.write_text(yaml.safe_dump(raw))
    launched = sagelab("run", config, "--backend", "sagemaker", "--no-wait")
    assert launched.returncode == 0, launched.stdout + launched.stderr
    [name] = created_job_names(launched.stdout)
    described = boto3.client("sagemaker").describe_training_job(TrainingJobName=name)
    train = next(c for c in described["InputDataConfig"] if c["ChannelName"] == "train")
    prefix = train["DataSource"]["S3DataSource"]["S3Uri"].split(f"{BUCKET}/", 1)[1]
    keys = sorted(
        o["Key"].rsplit("/", 1)[1] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]
    )
    assert keys == ["customers.csv", "sessions.csv", "transactions.csv"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"role": "my-role"}, "sagemaker.role"),
        ({"output_path": "bucket/prefix"}, "sagemaker.output_path"),
        ({"instance_type": "c5.xlarge"}, "sagemaker.instance_type"),
        ({"use_spot": False, "max_wait_seconds": 7200}, "max_wait_seconds applies only with use_spot"),
        ({"environment": {"AWS_SECRET_ACCESS_KEY": "x"}}, "credentials must come from the AWS credential chain"),
    ],
)
def test_bad_sagemaker_settings_fail_before_anything_is_sent(
    tmp_path: Path, write_config, cli, changes: dict, expected: str
) -> None:
    section = {"role": "arn:aws:iam::123456789012:role/r", "output_path": "s3://bucket/prefix", **changes}
    done = cli("run", write_config(tiny_rl_config(sagemaker=section)), "--backend", "sagemaker")
    assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr


def test_a_config_without_a_sagemaker_section_is_refused(write_config, cli) -> None:
    done = cli("run", write_config(tiny_rl_config()), "--backend", "sagemaker")
    assert done.returncode == 2 and "needs a 'sagemaker:' section" in done.stderr


def test_wait_reports_the_final_status(aws: MotoAWS, write_config) -> None:
    config = write_config(tiny_rl_config(sagemaker=sagemaker_section(aws, use_spot=False, max_wait_seconds=None)))
    done = sagelab("run", config, "--backend", "sagemaker")  # --wait is the default
    assert done.returncode == 0, done.stdout + done.stderr
    [name] = created_job_names(done.stdout)
    assert f"{name}: Completed" in done.stdout
    assert f"sagelab fetch {name}" in done.stdout
