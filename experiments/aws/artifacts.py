"""Training jobs on SageMaker: list them, and fetch one's artifacts into the local job layout.

A fetched job looks like a local one (the layout of :class:`contract.ContainerPaths`: model and
output data directories, both archives, the hyperparameters file), so ``sagelab evaluate`` and ``sagelab report``
work on it unchanged. Archives are unpacked with the standard library's ``data`` filter (no path traversal).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from contract import OUTPUT_ARCHIVE, ContainerPaths, extract_safely, write_failure
from experiments.aws.session import S3Location, client
from experiments.errors import UserError


@dataclass(frozen=True)
class JobSummary:
    """One row of ``sagelab jobs``."""

    name: str
    status: str
    created: datetime
    ended: datetime | None


def list_jobs(*, region: str | None = None, limit: int = 20, name_contains: str | None = None) -> list[JobSummary]:
    """The most recent training jobs, newest first."""
    sagemaker = client("sagemaker", region)
    arguments: dict[str, Any] = {"SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": min(limit, 100)}
    if name_contains:
        arguments["NameContains"] = name_contains
    summaries = sagemaker.list_training_jobs(**arguments)["TrainingJobSummaries"]
    return [
        JobSummary(s["TrainingJobName"], s["TrainingJobStatus"], s["CreationTime"], s.get("TrainingEndTime"))
        for s in summaries[:limit]
    ]


def fetch_job(name: str, destination: Path, *, region: str | None = None) -> ContainerPaths:
    """Download and unpack ``name``'s model and output archives into the job layout at ``destination/<name>/``."""
    sagemaker = client("sagemaker", region)
    try:
        description = sagemaker.describe_training_job(TrainingJobName=name)
    except sagemaker.exceptions.ClientError as error:
        raise UserError(f"training job {name!r}: {error.response['Error'].get('Message', error)}") from None
    artifacts = description.get("ModelArtifacts", {}).get("S3ModelArtifacts")
    if not artifacts:
        raise UserError(f"training job {name!r} ({description['TrainingJobStatus']}) has no model artifacts yet")
    model_location = S3Location.parse(artifacts)
    output_location = S3Location(model_location.bucket, model_location.key.rsplit("/", 1)[0] + "/" + OUTPUT_ARCHIVE)

    paths = ContainerPaths(destination / name).create()
    s3 = client("s3", region)
    downloaded = []
    for location, archive, target in (
        (model_location, paths.model_archive, paths.model_dir),
        (output_location, paths.output_archive, paths.output_data_dir),
    ):
        try:
            s3.download_file(location.bucket, location.key, str(archive))
        except s3.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey"):
                continue  # a job that failed early may have uploaded only one archive
            raise
        try:
            extract_safely(archive, target)
        except ValueError as error:  # a member pointing outside the job directory, or not a tar
            raise UserError(f"training job {name!r}: {error}") from None
        downloaded.append(archive.name)
    if not downloaded:
        raise UserError(f"training job {name!r}: neither {model_location.uri} nor {output_location.uri} exists")
    paths.hyperparameters_file.write_text(json.dumps(description.get("HyperParameters", {}), indent=2, sort_keys=True))
    if description.get("FailureReason"):
        write_failure(paths, description["FailureReason"])
    return paths
