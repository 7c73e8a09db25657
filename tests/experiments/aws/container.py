"""Run a training job created on the moto server exactly as SageMaker would, on this machine.

Reads the job from DescribeTrainingJob, downloads its input channels (the SDK's ``code`` channel
with the source bundle among them) into an /opt/ml-shaped directory, writes input/config from the
job's hyperparameters, runs the job's command (``python -m experiments.entry``) from the code
directory with the SM_* variables, and uploads model.tar.gz and output.tar.gz where SageMaker puts
them (the job's ModelArtifacts location).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3

from contract import ContainerPaths, container_environment, pack_directory, write_input_config


def run_like_sagemaker(job_name: str, root: Path) -> tuple[ContainerPaths, subprocess.CompletedProcess]:
    sagemaker, s3 = boto3.client("sagemaker"), boto3.client("s3")
    job = sagemaker.describe_training_job(TrainingJobName=job_name)
    paths = ContainerPaths(root).create()
    channels = []
    for channel in job["InputDataConfig"]:
        name = channel["ChannelName"]
        bucket, _, prefix = channel["DataSource"]["S3DataSource"]["S3Uri"][5:].partition("/")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                target = paths.channel_dir(name) / item["Key"][len(prefix) :].lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, item["Key"], str(target))
        channels.append(name)
    write_input_config(paths, job["HyperParameters"], channels)
    # the job's Environment, as SageMaker sets it in the container
    container = container_environment(
        paths, hyperparameters=job["HyperParameters"], channels=channels, job_name=job_name, num_cpus=1
    )
    environment = {**os.environ, **job.get("Environment", {}), **container}
    done = subprocess.run(
        [sys.executable, "-m", "experiments.entry"],
        cwd=paths.channel_dir("code"),  # the bundle's packages import from here, as in the container
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    paths.log_file.write_text(done.stdout + done.stderr)
    model_uri = job["ModelArtifacts"]["S3ModelArtifacts"]
    bucket, _, model_key = model_uri[5:].partition("/")
    s3.upload_file(str(pack_directory(paths.model_dir, paths.model_archive)), bucket, model_key)
    output_key = model_key.rsplit("/", 1)[0] + "/output.tar.gz"
    s3.upload_file(str(pack_directory(paths.output_data_dir, paths.output_archive)), bucket, output_key)
    return paths, done
