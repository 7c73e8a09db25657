"""The SageMaker training-container layout, and the names of every file a job shares with the rest.

A SageMaker training container sees ``/opt/ml``::

    input/config/hyperparameters.json   hyperparameters, every value a string
    input/config/resourceconfig.json    hosts of the cluster
    input/config/inputdataconfig.json   the input channels
    input/data/<channel>/               each channel's files
    model/                              uploaded as output/model.tar.gz
    output/data/                        uploaded as output/output.tar.gz (evaluation.json, learning_curve.csv, ...)
    output/failure                      the failure reason, written by a failing job
    checkpoints/                        synced with the checkpoint S3 URI

The local runner lays out the same tree under a job directory (plus ``job.log``, which CloudWatch
holds on SageMaker); a fetched SageMaker job is unpacked into it too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CONTAINER_ROOT = Path("/opt/ml")

MODEL_DIR = "model"
OUTPUT_DIR = "output"
OUTPUT_DATA_DIR = "data"  # inside OUTPUT_DIR
CHECKPOINT_DIR = "checkpoints"
INPUT_DIR = "input"
HYPERPARAMETERS_FILE = "hyperparameters.json"
RESOURCE_CONFIG_FILE = "resourceconfig.json"
INPUT_DATA_CONFIG_FILE = "inputdataconfig.json"
MODEL_ARCHIVE = "model.tar.gz"
OUTPUT_ARCHIVE = "output.tar.gz"
FAILURE_FILE = "failure"
LOG_FILE = "job.log"
# in output/data: read by `sagelab report` and the runner, whatever the job kind
EVALUATION_FILE = "evaluation.json"
LEARNING_CURVE_FILE = "learning_curve.csv"
LEARNING_CURVE_PLOT = "learning_curve.png"

# SageMaker shows at most this much of the failure file as the job's FailureReason.
MAX_FAILURE_REASON = 1024


@dataclass(frozen=True)
class ContainerPaths:
    """The directories and files of one job, rooted at ``/opt/ml`` in SageMaker or a job directory locally."""

    root: Path

    @property
    def input_config_dir(self) -> Path:
        return self.root / INPUT_DIR / "config"

    @property
    def input_data_dir(self) -> Path:
        return self.root / INPUT_DIR / "data"

    @property
    def hyperparameters_file(self) -> Path:
        return self.input_config_dir / HYPERPARAMETERS_FILE

    @property
    def resource_config_file(self) -> Path:
        return self.input_config_dir / RESOURCE_CONFIG_FILE

    @property
    def input_data_config_file(self) -> Path:
        return self.input_config_dir / INPUT_DATA_CONFIG_FILE

    @property
    def model_dir(self) -> Path:
        return self.root / MODEL_DIR

    @property
    def output_dir(self) -> Path:
        return self.root / OUTPUT_DIR

    @property
    def output_data_dir(self) -> Path:
        return self.output_dir / OUTPUT_DATA_DIR

    @property
    def failure_file(self) -> Path:
        return self.output_dir / FAILURE_FILE

    @property
    def model_archive(self) -> Path:
        return self.output_dir / MODEL_ARCHIVE

    @property
    def output_archive(self) -> Path:
        return self.output_dir / OUTPUT_ARCHIVE

    @property
    def evaluation_file(self) -> Path:
        return self.output_data_dir / EVALUATION_FILE

    @property
    def checkpoint_dir(self) -> Path:
        return self.root / CHECKPOINT_DIR

    @property
    def log_file(self) -> Path:
        """The job's stdout/stderr; CloudWatch Logs holds it on SageMaker."""
        return self.root / LOG_FILE

    def channel_dir(self, channel: str) -> Path:
        return self.input_data_dir / channel

    def create(self) -> ContainerPaths:
        """Create every directory of the layout."""
        for directory in (
            self.input_config_dir,
            self.input_data_dir,
            self.model_dir,
            self.output_data_dir,
            self.checkpoint_dir,
        ):
            directory.mkdir(parents=True, exist_ok=True)
        return self

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ContainerPaths:
        """The layout the running container was given (``/opt/ml`` unless SM_MODEL_DIR says otherwise)."""
        environ = os.environ if environ is None else environ
        model_dir = environ.get("SM_MODEL_DIR")
        return cls(Path(model_dir).parent if model_dir else CONTAINER_ROOT)


def write_failure(paths: ContainerPaths, reason: str) -> None:
    """Write the failure file SageMaker reports as the job's FailureReason."""
    paths.output_dir.mkdir(parents=True, exist_ok=True)
    paths.failure_file.write_text(reason.strip()[:MAX_FAILURE_REASON] + "\n")


def read_failure(paths: ContainerPaths) -> str | None:
    """The failure reason of a failed job, or None."""
    return paths.failure_file.read_text().strip() if paths.failure_file.is_file() else None
