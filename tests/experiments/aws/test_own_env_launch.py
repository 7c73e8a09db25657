"""A user's own env on `--backend sagemaker` (moto server): its module travels in the source bundle, and the
job run from that bundle as SageMaker would gives the local job's episode returns."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.experiments.aws.conftest import BUCKET, MotoAWS
from tests.experiments.aws.container import run_like_sagemaker
from tests.experiments.aws.test_launch import created_job_names, sagemaker_section
from tests.experiments.conftest import sagelab
from tests.experiments.test_own_env import PACKAGE, project_config, starter_project


@pytest.mark.slow
def test_own_env_on_sagemaker_is_the_local_job(aws: MotoAWS, tmp_path: Path) -> None:
    # one form of naming the env (module:EnvId): both forms resolve through the same code.source_dir import,
    # and both are run, resumed and evaluated locally by tests/experiments/test_own_env.py
    form = "module_id"
    project = starter_project(tmp_path)
    (project / ".env").write_text("SECRET=do-not-ship\n")
    config = project_config(
        project,
        form,
        total_timesteps=1024,
        evaluation={"episodes": 3, "frequency": 512},
        checkpoint={"frequency": 512, "keep": 1},
        sagemaker=sagemaker_section(aws),
    )
    local = sagelab("run", config, "--output-dir", tmp_path / "local", "--job-name", "local", "--quiet")
    assert local.returncode == 0, local.stdout + local.stderr
    local_evaluation = json.loads((tmp_path / "local/local/output/data/evaluation.json").read_text())

    launched = sagelab("run", config, "--backend", "sagemaker", "--no-wait", cwd=tmp_path)
    assert launched.returncode == 0, launched.stdout + launched.stderr
    [name] = created_job_names(launched.stdout)

    # --- what was sent: the user's module in the recorded source bundle, and no secret --------
    [request] = aws.requests_for("SageMaker.CreateTrainingJob")
    assert request["Environment"]["SAGELAB_SOURCE_DIR"] == "."
    code = next(c for c in request["InputDataConfig"] if c["ChannelName"] == "code")
    prefix = code["DataSource"]["S3DataSource"]["S3Uri"].split(f"{BUCKET}/", 1)[1]
    keys = {
        o["Key"][len(prefix) :].lstrip("/")
        for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]
    }
    assert {f"{PACKAGE}/__init__.py", f"{PACKAGE}/corridor.py", "sagelab_code.json", "rl/job.py"} <= keys
    assert ".env" not in keys and not any(k.startswith("runs/") for k in keys)

    # --- run from that bundle as SageMaker would: the same episodes as the local job -----------
    container, done = run_like_sagemaker(name, tmp_path / "container")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (container.channel_dir("code") / PACKAGE / "corridor.py").is_file()
    remote_evaluation = json.loads((container.output_data_dir / "evaluation.json").read_text())
    assert remote_evaluation["episode_rewards"] == local_evaluation["episode_rewards"]

    fetched = sagelab("fetch", name, "--to", tmp_path / "fetched")
    assert fetched.returncode == 0, fetched.stderr
    evaluated = sagelab("evaluate", tmp_path / "fetched" / name, "--source-dir", project, "--json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["episode_rewards"] == local_evaluation["episode_rewards"]
