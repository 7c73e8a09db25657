"""The SageMaker training-container contract, in one place.

A SageMaker training container sees ``/opt/ml``::

    input/config/hyperparameters.json   hyperparameters, every value a string
    input/config/resourceconfig.json    hosts of the cluster
    input/config/inputdataconfig.json   the input channels
    input/data/<channel>/               each channel's files
    model/                              uploaded as output/model.tar.gz
    output/data/                        uploaded as output/output.tar.gz
    output/failure                      the failure reason, written by a failing job
    checkpoints/                        synced with the checkpoint S3 URI

plus ``SM_*`` environment variables naming those places. The local runner lays out the same tree
under a job directory and sets the same variables; the entry point reads only this contract, so it
runs unchanged inside SageMaker. Metric log lines are defined here once, as the regexes handed to
SageMaker's MetricDefinitions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from features.metrics import METRIC_NAMES as FEATURES_METRIC_NAMES
from rl.metrics import METRIC_NAMES as RL_METRIC_NAMES

CONTAINER_ROOT = Path("/opt/ml")
DEFAULT_HOST = "algo-1"
ENTRY_MODULE = "experiments.entry"
# SageMaker's limits on CreateTrainingJob hyperparameters.
MAX_HYPERPARAMETERS = 100
MAX_HYPERPARAMETER_KEY = 256
MAX_HYPERPARAMETER_VALUE = 2500
# SageMaker shows at most this much of the failure file as the job's FailureReason.
MAX_FAILURE_REASON = 1024


@dataclass(frozen=True)
class ContainerPaths:
    """The directories and files of one job, rooted at ``/opt/ml`` in SageMaker or a job directory locally."""

    root: Path

    @property
    def input_config_dir(self) -> Path:
        return self.root / "input" / "config"

    @property
    def input_data_dir(self) -> Path:
        return self.root / "input" / "data"

    @property
    def hyperparameters_file(self) -> Path:
        return self.input_config_dir / "hyperparameters.json"

    @property
    def resource_config_file(self) -> Path:
        return self.input_config_dir / "resourceconfig.json"

    @property
    def input_data_config_file(self) -> Path:
        return self.input_config_dir / "inputdataconfig.json"

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def output_data_dir(self) -> Path:
        return self.output_dir / "data"

    @property
    def failure_file(self) -> Path:
        return self.output_dir / "failure"

    @property
    def model_archive(self) -> Path:
        return self.output_dir / "model.tar.gz"

    @property
    def output_archive(self) -> Path:
        return self.output_dir / "output.tar.gz"

    @property
    def checkpoint_dir(self) -> Path:
        return self.root / "checkpoints"

    @property
    def log_file(self) -> Path:
        """The job's stdout/stderr; CloudWatch Logs holds it on SageMaker."""
        return self.root / "job.log"

    def channel_dir(self, channel: str) -> Path:
        return self.input_data_dir / channel

    def create(self) -> ContainerPaths:
        """Create every directory of the layout."""
        for directory in (self.input_config_dir, self.input_data_dir, self.model_dir, self.output_data_dir, self.checkpoint_dir):
            directory.mkdir(parents=True, exist_ok=True)
        return self

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ContainerPaths:
        """The layout the running container was given (``/opt/ml`` unless SM_MODEL_DIR says otherwise)."""
        environ = os.environ if environ is None else environ
        model_dir = environ.get("SM_MODEL_DIR")
        return cls(Path(model_dir).parent if model_dir else CONTAINER_ROOT)


# --- hyperparameters -------------------------------------------------------------------------------


def _encode_value(value: Any) -> str:
    # Plain strings stay unquoted, as SageMaker users write them, unless they would decode as something
    # else ("123", "true"): then they are JSON-quoted so that decode(encode(x)) == x always holds.
    if isinstance(value, str):
        return value if _decode_value(value) == value else json.dumps(value)
    return json.dumps(value)


def _decode_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def encode_hyperparameters(config: Mapping[str, Any]) -> dict[str, str]:
    """Flatten a nested config to SageMaker hyperparameters: dotted keys, string values.

    ``{"algo": {"hyperparameters": {"learning_rate": 0.001}}}`` becomes
    ``{"algo.hyperparameters.learning_rate": "0.001"}``, the form SageMaker's HyperparameterTuner can
    address key by key. Lists and empty mappings stay whole as JSON.
    """
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and value:
            for key, item in value.items():
                if "." in str(key):
                    raise ValueError(f"config key {prefix + '.' if prefix else ''}{key!r} contains '.', which hyperparameter names reserve")
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        else:
            flat[prefix] = _encode_value(value)

    walk("", config)
    if len(flat) > MAX_HYPERPARAMETERS:
        raise ValueError(f"the config flattens to {len(flat)} hyperparameters; SageMaker accepts at most {MAX_HYPERPARAMETERS}")
    for key, value in flat.items():
        if len(key) > MAX_HYPERPARAMETER_KEY or len(value) > MAX_HYPERPARAMETER_VALUE:
            raise ValueError(
                f"hyperparameter {key[:60]!r} is too long for SageMaker (key <= {MAX_HYPERPARAMETER_KEY}, value <= "
                f"{MAX_HYPERPARAMETER_VALUE} characters)"
            )
    return flat


def decode_hyperparameters(hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild the nested config from SageMaker hyperparameters (the inverse of encode_hyperparameters).

    Values may arrive as strings (hyperparameters.json) or already decoded (SM_HPS, tuner
    substitutions); both are accepted.
    """
    nested: dict[str, Any] = {}
    for key in sorted(hyperparameters):
        raw = hyperparameters[key]
        value = _decode_value(raw) if isinstance(raw, str) else raw
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"hyperparameter {key!r} conflicts with hyperparameter {part!r}")
            node = child
        node[leaf] = value
    return nested


# --- files and environment of a container ----------------------------------------------------------


def resource_config(hosts: list[str] | None = None, current_host: str = DEFAULT_HOST, instance_type: str = "local") -> dict[str, Any]:
    """The content of resourceconfig.json for a (single-instance) cluster."""
    hosts = hosts or [current_host]
    return {
        "current_host": current_host,
        "current_instance_type": instance_type,
        "current_group_name": "homogeneousCluster",
        "hosts": hosts,
        "instance_groups": [{"instance_group_name": "homogeneousCluster", "instance_type": instance_type, "hosts": hosts}],
        "network_interface_name": "eth0",
    }


def input_data_config(channels: list[str]) -> dict[str, dict[str, str]]:
    """The content of inputdataconfig.json: every channel in File mode, fully replicated."""
    return {
        name: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}
        for name in channels
    }


def write_input_config(paths: ContainerPaths, hyperparameters: Mapping[str, str], channels: list[str]) -> None:
    """Write the three files of input/config as SageMaker does."""
    paths.input_config_dir.mkdir(parents=True, exist_ok=True)
    paths.hyperparameters_file.write_text(json.dumps(dict(hyperparameters), indent=2, sort_keys=True))
    paths.resource_config_file.write_text(json.dumps(resource_config(), indent=2))
    paths.input_data_config_file.write_text(json.dumps(input_data_config(channels), indent=2))


def read_hyperparameters(paths: ContainerPaths) -> dict[str, Any]:
    """The hyperparameters the container was given (string values, as in hyperparameters.json)."""
    if not paths.hyperparameters_file.is_file():
        raise FileNotFoundError(f"{paths.hyperparameters_file} is missing; is this a SageMaker-style job directory?")
    return json.loads(paths.hyperparameters_file.read_text())


def read_channels(paths: ContainerPaths) -> dict[str, Path]:
    """The input channels of the container (from inputdataconfig.json), name -> directory."""
    if not paths.input_data_config_file.is_file():
        return {}
    return {name: paths.channel_dir(name) for name in sorted(json.loads(paths.input_data_config_file.read_text()))}


def _env_name(key: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", key.upper())


def container_environment(
    paths: ContainerPaths, *, job_name: str, num_cpus: int, num_gpus: int = 0, entry_point: str = ENTRY_MODULE
) -> dict[str, str]:
    """The ``SM_*`` variables SageMaker's training toolkit sets, for the layout in ``paths``."""
    hyperparameters = read_hyperparameters(paths)
    decoded = {key: _decode_value(value) for key, value in hyperparameters.items()}
    channels = list(read_channels(paths))
    resources = json.loads(paths.resource_config_file.read_text()) if paths.resource_config_file.exists() else resource_config()
    channel_dirs = {name: str(paths.channel_dir(name)) for name in channels}
    training_env = {
        "job_name": job_name,
        "current_host": resources["current_host"],
        "hosts": resources["hosts"],
        "is_master": resources["current_host"] == resources["hosts"][0],
        "master_hostname": resources["hosts"][0],
        "network_interface_name": resources["network_interface_name"],
        "num_cpus": num_cpus,
        "num_gpus": num_gpus,
        "hyperparameters": decoded,
        "channel_input_dirs": channel_dirs,
        "input_data_config": input_data_config(channels),
        "resource_config": resources,
        "input_dir": str(paths.root / "input"),
        "input_config_dir": str(paths.input_config_dir),
        "model_dir": str(paths.model_dir),
        "output_dir": str(paths.output_dir),
        "output_data_dir": str(paths.output_data_dir),
        "output_intermediate_dir": str(paths.output_dir / "intermediate"),
        "module_name": entry_point,
        "user_entry_point": entry_point,
        "log_level": 20,
    }
    environment = {
        "SM_TRAINING_ENV": json.dumps(training_env),
        "SM_HPS": json.dumps(decoded),
        "SM_CHANNELS": json.dumps(channels),
        "SM_MODEL_DIR": str(paths.model_dir),
        "SM_INPUT_DIR": str(paths.root / "input"),
        "SM_INPUT_CONFIG_DIR": str(paths.input_config_dir),
        "SM_INPUT_DATA_CONFIG": json.dumps(input_data_config(channels)),
        "SM_OUTPUT_DIR": str(paths.output_dir),
        "SM_OUTPUT_DATA_DIR": str(paths.output_data_dir),
        "SM_OUTPUT_INTERMEDIATE_DIR": str(paths.output_dir / "intermediate"),
        "SM_RESOURCE_CONFIG": json.dumps(resources),
        "SM_HOSTS": json.dumps(resources["hosts"]),
        "SM_CURRENT_HOST": resources["current_host"],
        "SM_CURRENT_INSTANCE_TYPE": resources["current_instance_type"],
        "SM_NETWORK_INTERFACE_NAME": resources["network_interface_name"],
        "SM_NUM_CPUS": str(num_cpus),
        "SM_NUM_GPUS": str(num_gpus),
        "SM_MODULE_NAME": entry_point,
        "SM_USER_ENTRY_POINT": entry_point,
        "SM_LOG_LEVEL": "20",
    }
    environment.update({f"SM_CHANNEL_{_env_name(name)}": path for name, path in channel_dirs.items()})
    environment.update({f"SM_HP_{_env_name(key)}": value for key, value in hyperparameters.items()})
    return environment


def write_failure(paths: ContainerPaths, reason: str) -> None:
    """Write the failure file SageMaker reports as the job's FailureReason."""
    paths.output_dir.mkdir(parents=True, exist_ok=True)
    paths.failure_file.write_text(reason.strip()[:MAX_FAILURE_REASON] + "\n")


def read_failure(paths: ContainerPaths) -> str | None:
    """The failure reason of a failed job, or None."""
    return paths.failure_file.read_text().strip() if paths.failure_file.is_file() else None


# --- metrics ---------------------------------------------------------------------------------------

METRIC_NAMES: tuple[str, ...] = tuple(dict.fromkeys(RL_METRIC_NAMES + FEATURES_METRIC_NAMES))
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def metric_regex(name: str) -> str:
    """The regex of one metric log line, with the value as its one group (SageMaker's convention)."""
    return rf"\b{re.escape(name)}=({_NUMBER});"


METRIC_DEFINITIONS: list[dict[str, str]] = [{"Name": name, "Regex": metric_regex(name)} for name in METRIC_NAMES]
_COMPILED = [(d["Name"], re.compile(d["Regex"])) for d in METRIC_DEFINITIONS]


def parse_metrics(line: str) -> dict[str, float]:
    """The metrics in one log line, parsed with exactly the regexes handed to SageMaker."""
    found = {}
    for name, pattern in _COMPILED:
        match = pattern.search(line)
        if match:
            found[name] = float(match.group(1))
    return found
