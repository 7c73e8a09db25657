"""A model.tar.gz planted in S3 cannot run code through ``sagelab fetch`` and ``sagelab evaluate``."""

from __future__ import annotations

import tarfile
from pathlib import Path

import boto3
import pytest

from rl import train
from tests.experiments.aws.conftest import BUCKET, MotoAWS
from tests.experiments.aws.test_launch import created_job_names, sagemaker_section
from tests.experiments.conftest import sagelab, tiny_rl_config
from tests.reliability.payloads import plant


def pack(directory: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        for file in sorted(directory.iterdir()):
            tar.add(file, arcname=file.name)
    return archive


@pytest.mark.slow
def test_fetched_planted_models_evaluate_safely_or_are_refused(aws: MotoAWS, tmp_path: Path, write_config) -> None:
    marker = tmp_path / "marker"
    config = tiny_rl_config(total_timesteps=256, evaluation={"episodes": 2, "frequency": 0})
    model_dir = train(
        {k: v for k, v in config.items() if k != "kind"}, tmp_path / "trained", progress_bar=False
    ).model_dir
    users_only = tmp_path / "users-only"
    everything = tmp_path / "everything"
    for target, planted in ((users_only, ("model.zip",)), (everything, tuple(p.name for p in model_dir.iterdir()))):
        target.mkdir()
        for file in model_dir.iterdir():
            (target / file.name).write_bytes(file.read_bytes())
        for name in planted:
            plant(target / name, marker)

    job_config = write_config(tiny_rl_config(sagemaker=sagemaker_section(aws, use_spot=False, max_wait_seconds=None)))
    [name] = created_job_names(sagelab("run", job_config, "--backend", "sagemaker", "--no-wait").stdout)
    uri = boto3.client("sagemaker").describe_training_job(TrainingJobName=name)["ModelArtifacts"]["S3ModelArtifacts"]
    key = uri.split(f"{BUCKET}/", 1)[1]
    for planted, expected in ((users_only, 0), (everything, 2)):
        boto3.client("s3").upload_file(str(pack(planted, tmp_path / f"{planted.name}.tar.gz")), BUCKET, key)
        fetched = sagelab("fetch", name, "--to", tmp_path / f"fetched-{planted.name}")
        assert fetched.returncode == 0, fetched.stderr
        evaluated = sagelab("evaluate", tmp_path / f"fetched-{planted.name}" / name)
        assert evaluated.returncode == expected, evaluated.stdout + evaluated.stderr
        if expected:
            assert "refusing to load" in evaluated.stderr and "Traceback" not in evaluated.stderr
        assert not marker.exists(), f"the payload ran on fetch + evaluate of {planted.name}"
