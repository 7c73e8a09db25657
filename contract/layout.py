"""The SageMaker training-container layout, and the names of every file a job shares with the rest.

A SageMaker training container sees ``/opt/ml``::

    input/config/hyperparameters.json   hyperparameters, every value a string
    input/config/resourceconfig.json    hosts of the cluster
    input/config/inputdataconfig.json   the input channels
    input/data/<channel>/               each channel's files
    model/                              uploaded as output/model.tar.gz
    output/data/                        uploaded as output/output.tar.gz (evaluation.json, learning_curve.csv, ...)
    output/failure                      why the job did not finish: it failed, or a signal stopped it
    checkpoints/                        synced with the checkpoint S3 URI

The local runner lays out the same tree under a job directory (plus ``job.log``, which CloudWatch
holds on SageMaker, and ``code.json``); a fetched SageMaker job is unpacked into it too.

Every name a job writes for someone else to read (inside ``model/``, ``checkpoints/``, ``output/data/``,
and the files of a report, a sweep or a source bundle) is defined below; other modules import it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CONTAINER_ROOT = Path("/opt/ml")

# --- the container tree ----------------------------------------------------------------------------
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
# beside the tree, in a local job directory only
LOG_FILE = "job.log"
CODE_RECORD_FILE = "code.json"  # where the job's user code came from (path and content hash)

# --- a saved model: model/, each checkpoint and the best model -------------------------------------
MODEL_CONFIG_FILE = "config.json"  # the resolved domain config the model was trained with
PARAMETERS_FILE = "parameters.pt"  # tensors only, loaded with torch.load(weights_only=True)
MODEL_STATE_FILE = "model_state.json"  # the model's plain counters
STATISTICS_FILE = "vecnormalize.npz"  # VecNormalize's arrays
SB3_MODEL_FILE = "model.zip"  # for users (PPO.load); never read by sagelab
SB3_STATISTICS_FILE = "vecnormalize.pkl"  # for users (VecNormalize.load); never read by sagelab
# a features job's transformer, in model/FEATURES_MODEL_DIR
FEATURES_MODEL_DIR = "autofeatures"
FEATURE_DEFINITIONS_FILE = "feature_definitions.json"  # featuretools' own serialization
AUTOFEATURES_STATE_FILE = "autofeatures.json"  # parameters and learned state

# --- checkpoints/ ----------------------------------------------------------------------------------
CHECKPOINT_PREFIX = "step_"  # one saved model per checkpoint, in step_<timesteps, 12 digits>/
CHECKPOINT_STATE_FILE = "state.json"  # written last: its presence marks the checkpoint complete
REPLAY_BUFFER_FILE = "replay_buffer.npz"
BEST_MODEL_DIR = "best"  # evaluation.keep_best's model
BEST_STATE_FILE = "best.json"

# --- output/data/ ----------------------------------------------------------------------------------
# read by `sagelab report` and the runner, whatever the job kind
EVALUATION_FILE = "evaluation.json"
LEARNING_CURVE_FILE = "learning_curve.csv"
LEARNING_CURVE_PLOT = "learning_curve.png"
TENSORBOARD_DIR = "tensorboard"
# a features job's outputs
SELECTED_FEATURES_FILE = "selected_features.csv"  # the feature matrix of the training rows
FEATURE_DESCRIPTIONS_FILE = "selected_features.json"
LEADERBOARD_FILE = "leaderboard.json"
DATA_PROFILE_FILE = "data_profile.json"
CANDIDATE_SETS_FILE = "candidate_sets.json"
EXPLORATION_NOTEBOOK = "data_exploration.ipynb"
CANDIDATES_NOTEBOOK = "candidate_definitions.ipynb"
FEATURES_REPORT_MARKDOWN = "report.md"
FEATURES_REPORT_HTML = "report.html"
IMPORTANCE_PLOT = "importance.png"
SCORE_PLOT = "score_vs_features.png"

# --- a directory of many jobs ----------------------------------------------------------------------
SUMMARY_FILE = "summary.json"  # `sagelab report`
SWEEP_FILE = "sweep.json"  # a finished sweep: best trial, trials
STUDY_FILE = "study.db"  # the sweep's Optuna study (sqlite)

# --- the source bundle of a SageMaker job ----------------------------------------------------------
BUNDLE_CONFIG_FILE = "sagelab_job.yaml"  # the resolved job config, for people reading the bundle
BUNDLE_CODE_FILE = "sagelab_code.json"  # the user's code record
BUNDLE_REQUIREMENTS_FILE = "requirements.txt"

# SageMaker shows at most this much of the failure file as the job's FailureReason.
MAX_FAILURE_REASON = 1024
# how the failure file of a job stopped by SIGINT/SIGTERM starts (it exited 0 and can be resumed)
STOPPED_REASON = "stopped by "


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

    @property
    def code_record_file(self) -> Path:
        """Where the job's user code came from (a local job directory only)."""
        return self.root / CODE_RECORD_FILE

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
    """Why the job did not finish (it failed, or was stopped: see :func:`is_stop_reason`), or None."""
    return paths.failure_file.read_text().strip() if paths.failure_file.is_file() else None


def is_stop_reason(reason: str) -> bool:
    """Whether a failure reason says a signal stopped the job (it did not fail; it can be resumed)."""
    return reason.startswith(STOPPED_REASON)
