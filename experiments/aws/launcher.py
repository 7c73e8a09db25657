"""Launch a job config as a SageMaker training job (SDK v3 ``ModelTrainer``), the same job the local runner runs.

What goes to SageMaker is what the local runner writes: the hyperparameters are
``encode_hyperparameters(hyperparameter_view(job))`` (exactly the container's hyperparameters file), the entry point
is ``python -m experiments.entry``, the metric regexes are ``METRIC_DEFINITIONS``. The container
is the PyTorch training image for the region and instance type; it installs the bundle's pinned
requirements and runs the entry point, which reads the ``/opt/ml`` contract SageMaker provides.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract import (
    CHECKPOINT_DIR,
    CONTAINER_ROOT,
    ENTRY_MODULE,
    METRIC_DEFINITIONS,
    ContainerPaths,
    encode_hyperparameters,
)
from contract.layout import BUNDLE_REQUIREMENTS_FILE
from experiments.aws.config import SageMakerConfig
from experiments.aws.session import S3Location, client, console_url, region_of, sagemaker_session
from experiments.aws.source import build_source_bundle
from experiments.config import Job, hyperparameter_view
from experiments.errors import UserError
from experiments.progress import console, stdout
from rl.user_code import SOURCE_DIR_VARIABLE

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
ENTRY_COMMAND = f"python -m {ENTRY_MODULE}"
CHECKPOINT_LOCAL_PATH = str(ContainerPaths(CONTAINER_ROOT).checkpoint_dir)


@dataclass(frozen=True)
class LaunchedJob:
    """A training job created on SageMaker."""

    name: str
    region: str
    output_path: str

    @property
    def console_url(self) -> str:
        return console_url(self.region, self.name)


def settings_of(job: Job) -> SageMakerConfig:
    """The job's ``sagemaker:`` section, or a clear error when it has none."""
    if job.sagemaker is None:
        raise UserError(
            f"{job.name}: --backend sagemaker needs a 'sagemaker:' section in the config (role, output_path, ...); "
            "see README 'Run on AWS'"
        )
    return job.sagemaker


def training_image(settings: SageMakerConfig, region: str) -> str:
    """The configured image, or the PyTorch training image for the region and instance type (SDK lookup)."""
    if settings.image_uri:
        return settings.image_uri
    from sagemaker.core import image_uris

    return image_uris.retrieve(
        framework="pytorch",
        region=region,
        version=settings.framework_version,
        py_version=settings.py_version,
        instance_type=settings.instance_type,
        image_scope="training",
    )


def base_job_name(job: Job) -> str:
    """``<config name>-s<seed>``; SageMaker appends a timestamp (the whole name stays within 63 characters)."""
    return f"{job.name[:40].rstrip('-')}-s{job.seed}"


def upload_inputs(job: Job, destination: S3Location, s3: Any) -> dict[str, str]:
    """Each input channel as an S3 URI: local files and built-in datasets are uploaded, s3:// URIs kept."""
    channels: dict[str, str] = {}
    for channel, location in job.inputs.items():
        if location.startswith("s3://"):
            channels[channel] = location
            continue
        target = destination.join(channel)
        with tempfile.TemporaryDirectory(prefix="sagelab-input-") as scratch:
            if location.startswith("builtin:"):
                from features.datasets import write_dataset

                write_dataset(location.removeprefix("builtin:"), scratch)
                source = Path(scratch)
            else:
                source = Path(location)
                if not source.exists():
                    raise UserError(f"inputs.{channel}: {location} does not exist")
            files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
            for file in files:
                relative = file.name if source.is_file() else file.relative_to(source).as_posix()
                s3.upload_file(str(file), target.bucket, target.join(relative).key)
        channels[channel] = target.uri + "/"
    return channels


def build_trainer(job: Job, source_dir: Path, *, session: Any = None) -> Any:
    """The ``ModelTrainer`` for ``job`` (nothing is created on AWS until ``train``)."""
    from sagemaker.core.training.configs import (
        CheckpointConfig,
        Compute,
        OutputDataConfig,
        SourceCode,
        StoppingCondition,
        Tag,
    )
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import MetricDefinition

    settings = settings_of(job)
    region = region_of(settings.region)
    output = S3Location.parse(settings.output_path)
    session = session or sagemaker_session(region, default_bucket=output.bucket)
    checkpoint_uri = settings.checkpoint_s3_uri or output.join(CHECKPOINT_DIR, base_job_name(job)).uri
    tags = {"sagelab:config": job.name, "sagelab:seed": str(job.seed), "sagelab:kind": job.kind, **settings.tags}
    trainer = ModelTrainer(
        sagemaker_session=session,
        role=settings.role,
        base_job_name=base_job_name(job),
        # the SDK stages the source bundle under this prefix of the output bucket
        input_s3_key_prefix=output.key or None,
        training_image=training_image(settings, region),
        source_code=SourceCode(
            source_dir=str(source_dir), requirements=BUNDLE_REQUIREMENTS_FILE, command=ENTRY_COMMAND
        ),
        compute=Compute(
            instance_type=settings.instance_type,
            instance_count=settings.instance_count,
            volume_size_in_gb=settings.volume_size_gb,
            enable_managed_spot_training=settings.use_spot,
        ),
        stopping_condition=StoppingCondition(
            max_runtime_in_seconds=settings.max_run_seconds,
            max_wait_time_in_seconds=settings.max_wait_seconds if settings.use_spot else None,
        ),
        output_data_config=OutputDataConfig(s3_output_path=output.uri),
        # always on: SIGTERM and spot interruptions leave a checkpoint that a restart resumes from
        checkpoint_config=CheckpointConfig(s3_uri=checkpoint_uri, local_path=CHECKPOINT_LOCAL_PATH),
        hyperparameters=encode_hyperparameters(hyperparameter_view(job)),
        # the user's modules sit at the bundle's root (the working directory): they are the job's own code
        environment={**settings.environment, **({SOURCE_DIR_VARIABLE: "."} if job.code is not None else {})},
        tags=[Tag(key=k, value=v) for k, v in tags.items()],
    )
    return trainer.with_metric_definitions(
        [MetricDefinition(name=d["Name"], regex=d["Regex"]) for d in METRIC_DEFINITIONS]
    )


@dataclass(frozen=True)
class Launch:
    """What every launch needs: the session in the job's region and the job's input channels on S3."""

    session: Any
    region: str
    output: S3Location
    inputs: list[Any]


def prepare_launch(job: Job, purpose: str = "") -> Launch:
    """Check the settings, open the session, upload the input channels (nothing is created yet)."""
    from sagemaker.core.training.configs import InputData

    settings = settings_of(job)
    region = region_of(settings.region)
    if not settings.validate_role:
        # the SDK's own switch: skip its IAM SimulatePrincipalPolicy role check
        os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
    output = S3Location.parse(settings.output_path)
    session = sagemaker_session(region, default_bucket=output.bucket)
    prefix = output.join("inputs", f"{base_job_name(job)}{purpose}-{time.strftime('%Y%m%d-%H%M%S')}")
    channels = upload_inputs(job, prefix, session.boto_session.client("s3"))
    inputs = [InputData(channel_name=name, data_source=uri) for name, uri in channels.items()]
    return Launch(session, region, output, inputs)


def launch_job(job: Job) -> LaunchedJob:
    """Create the training job for ``job`` on SageMaker and return without waiting."""
    launch = prepare_launch(job)
    with tempfile.TemporaryDirectory(prefix="sagelab-source-") as scratch:
        trainer = build_trainer(job, build_source_bundle(job, Path(scratch)), session=launch.session)
        trainer.train(input_data_config=launch.inputs or None, wait=False, logs=False)
    name = trainer._latest_training_job.training_job_name  # the SDK keeps the created job here
    return LaunchedJob(name=name, region=launch.region, output_path=launch.output.uri)


def wait_for(
    launched: LaunchedJob, *, poll_seconds: float = 30.0, on_status: Callable[[str, str], None] | None = None
) -> dict[str, Any]:
    """Poll a training job until it ends; report each status change; return the last description."""
    sagemaker = client("sagemaker", launched.region)
    last = None
    while True:
        description = sagemaker.describe_training_job(TrainingJobName=launched.name)
        status = (description["TrainingJobStatus"], description.get("SecondaryStatus", ""))
        if status != last and on_status is not None:
            on_status(*status)
        last = status
        if description["TrainingJobStatus"] in TERMINAL_STATUSES:
            return description
        time.sleep(poll_seconds)


def stream_logs(launched: LaunchedJob, emit: Callable[[str], None]) -> None:
    """Print the job's CloudWatch log lines (what the entry point printed, metric lines included)."""
    logs = client("logs", launched.region)
    group = "/aws/sagemaker/TrainingJobs"
    try:
        streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=launched.name)["logStreams"]
    except logs.exceptions.ResourceNotFoundException:
        return
    for stream in streams:
        for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True)[
            "events"
        ]:
            emit(event["message"])


def launch_jobs(jobs: list[Job], *, wait: bool, quiet: bool = False, poll_seconds: float = 30.0) -> int:
    """``sagelab run --backend sagemaker``: one training job per config (per seed). Exit code 1 if any failed."""
    for job in jobs:
        settings_of(job)  # every job must be launchable before the first is created
    launched = []
    for job in jobs:
        created = launch_job(job)
        launched.append(created)
        stdout.print(f"created training job {created.name}\n  {created.console_url}", soft_wrap=True, highlight=False)
    if not wait:
        return 0
    failed = False
    for created in launched:

        def report(status: str, secondary: str, name: str = created.name) -> None:
            if not quiet:
                console.print(f"{name}: {status} ({secondary})")

        description = wait_for(created, poll_seconds=poll_seconds, on_status=report)
        if not quiet:
            stream_logs(created, lambda line: console.print(line, highlight=False, markup=False))
        status = description["TrainingJobStatus"]
        reason = description.get("FailureReason", "")
        stdout.print(f"{created.name}: {status}" + (f" - {reason}" if reason else ""), soft_wrap=True, highlight=False)
        failed |= status != "Completed"
    if launched:
        stdout.print(f"fetch results with: sagelab fetch {launched[0].name} --to runs/", highlight=False)
    return 1 if failed else 0
