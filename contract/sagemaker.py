"""The SageMaker side of the contract: hyperparameter strings, ``input/config`` files, ``SM_*`` variables.

SageMaker hands a training job its hyperparameters as ``input/config/hyperparameters.json`` (every
value a string) and names the layout in ``SM_*`` environment variables. The local runner writes the
same files and sets the same variables, and the entry point reads only these, so a job runs
unchanged inside SageMaker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from contract.layout import INPUT_DIR, ContainerPaths

DEFAULT_HOST = "algo-1"
ENTRY_MODULE = "experiments.entry"
# SageMaker's limits on CreateTrainingJob hyperparameters.
MAX_HYPERPARAMETERS = 100
MAX_HYPERPARAMETER_KEY = 256
MAX_HYPERPARAMETER_VALUE = 2500


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
                    raise ValueError(
                        f"config key {prefix + '.' if prefix else ''}{key!r} contains '.', which hyperparameter names "
                        "reserve"
                    )
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        else:
            flat[prefix] = _encode_value(value)

    walk("", config)
    if len(flat) > MAX_HYPERPARAMETERS:
        raise ValueError(
            f"the config flattens to {len(flat)} hyperparameters; SageMaker accepts at most {MAX_HYPERPARAMETERS}"
        )
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


def resource_config(
    hosts: list[str] | None = None, current_host: str = DEFAULT_HOST, instance_type: str = "local"
) -> dict[str, Any]:
    """The content of resourceconfig.json for a (single-instance) cluster."""
    hosts = hosts or [current_host]
    return {
        "current_host": current_host,
        "current_instance_type": instance_type,
        "current_group_name": "homogeneousCluster",
        "hosts": hosts,
        "instance_groups": [
            {"instance_group_name": "homogeneousCluster", "instance_type": instance_type, "hosts": hosts}
        ],
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


def training_environment(
    paths: ContainerPaths,
    *,
    hyperparameters: Mapping[str, str],
    channels: list[str],
    job_name: str,
    num_cpus: int,
    num_gpus: int = 0,
    entry_point: str = ENTRY_MODULE,
) -> dict[str, Any]:
    """The content of ``SM_TRAINING_ENV`` (the training toolkit's view of a single-instance job)."""
    resources = resource_config()
    return {
        "job_name": job_name,
        "current_host": resources["current_host"],
        "current_instance_type": resources["current_instance_type"],
        "hosts": resources["hosts"],
        "is_master": True,
        "master_hostname": resources["hosts"][0],
        "network_interface_name": resources["network_interface_name"],
        "num_cpus": num_cpus,
        "num_gpus": num_gpus,
        "hyperparameters": {key: _decode_value(value) for key, value in hyperparameters.items()},
        "channels": channels,
        "channel_input_dirs": {name: str(paths.channel_dir(name)) for name in channels},
        "input_data_config": input_data_config(channels),
        "resource_config": resources,
        "input_dir": str(paths.root / INPUT_DIR),
        "input_config_dir": str(paths.input_config_dir),
        "model_dir": str(paths.model_dir),
        "output_dir": str(paths.output_dir),
        "output_data_dir": str(paths.output_data_dir),
        "output_intermediate_dir": str(paths.output_dir / "intermediate"),
        "module_name": entry_point,
        "user_entry_point": entry_point,
        "log_level": 20,
    }


def container_environment(
    paths: ContainerPaths,
    *,
    hyperparameters: Mapping[str, str],
    channels: list[str],
    job_name: str,
    num_cpus: int,
    num_gpus: int = 0,
    entry_point: str = ENTRY_MODULE,
) -> dict[str, str]:
    """The ``SM_*`` variables SageMaker's training toolkit sets, for the layout in ``paths``.

    Built from the hyperparameters and channels the caller wrote into ``input/config``, not read back.
    """
    env = training_environment(
        paths,
        hyperparameters=hyperparameters,
        channels=channels,
        job_name=job_name,
        num_cpus=num_cpus,
        num_gpus=num_gpus,
        entry_point=entry_point,
    )
    environment = {"SM_TRAINING_ENV": json.dumps({k: v for k, v in env.items() if k != "channels"})}
    as_json = ("hosts", "channels", "input_data_config", "resource_config")
    as_text = (
        "model_dir",
        "input_dir",
        "input_config_dir",
        "output_dir",
        "output_data_dir",
        "output_intermediate_dir",
        "current_host",
        "current_instance_type",
        "network_interface_name",
        "num_cpus",
        "num_gpus",
        "module_name",
        "user_entry_point",
        "log_level",
    )
    environment.update({f"SM_{key.upper()}": json.dumps(env[key]) for key in as_json})
    environment.update({f"SM_{key.upper()}": str(env[key]) for key in as_text})
    environment["SM_HPS"] = json.dumps(env["hyperparameters"])
    environment.update({f"SM_CHANNEL_{_env_name(name)}": path for name, path in env["channel_input_dirs"].items()})
    environment.update({f"SM_HP_{_env_name(key)}": value for key, value in hyperparameters.items()})
    return environment
