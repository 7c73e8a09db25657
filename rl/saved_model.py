"""A job's saved model (a model directory or a checkpoint): written and read back without unpickling.

A saved model directory holds ``config.json`` (the job's resolved config), the model files of
:mod:`rl.model_io`, and with normalization the statistics of :mod:`rl.arrays`; a checkpoint adds the
replay buffer of off-policy algorithms. Reading one builds the algorithm from the config, exactly as a
new job does, and copies the saved tensors, counters and arrays into it. SB3's own ``model.zip`` and
``vecnormalize.pkl`` are written beside them for users who trust the files; they are never read here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gymnasium import spaces
from pydantic import ValidationError
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from contract.layout import (
    MODEL_CONFIG_FILE,
    MODEL_STATE_FILE,
    PARAMETERS_FILE,
    REPLAY_BUFFER_FILE,
    SB3_MODEL_FILE,
    STATISTICS_FILE,
)
from rl.algorithm_specs import default_policy
from rl.algorithms import build_algorithm, sb3_kwargs
from rl.arrays import (
    Arrays,
    read_arrays,
    restore_replay_buffer,
    save_replay_buffer,
    save_statistics,
)
from rl.config import RLConfig, algorithm_class
from rl.env_factory import make_env
from rl.model_io import (
    UnsafeModelError,
    has_model_files,
    restore_model_files,
    save_model_files,
)

# what a directory needs to be a saved model sagelab can read
SAVED_MODEL_FILES = (MODEL_CONFIG_FILE, PARAMETERS_FILE, MODEL_STATE_FILE)


@dataclass
class SavedModel:
    """A model read back from a directory, with the config that trained it and its normalization statistics."""

    model: BaseAlgorithm
    config: RLConfig
    statistics: Arrays | None


def save_model_dir(model: BaseAlgorithm, config: RLConfig, directory: Path, *, replay_buffer: bool = False) -> None:
    """Write ``model``, its statistics (and with ``replay_buffer`` its replay buffer) and ``config`` into
    ``directory``."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        save_model_files(model, directory)
        normalizer = model.get_vec_normalize_env()
        if normalizer is not None:
            save_statistics(normalizer, directory)
        if replay_buffer and isinstance(model, OffPolicyAlgorithm) and model.replay_buffer is not None:
            save_replay_buffer(model.replay_buffer, directory)
        (directory / MODEL_CONFIG_FILE).write_text(json.dumps(config.model_dump(mode="json"), indent=2))
    except OSError as error:
        if error.filename is not None:
            raise
        # a failed write (a full disk) says only "No space left on device": name the directory it was writing
        raise OSError(error.errno, error.strerror or str(error), str(directory)) from error


def is_saved_model(directory: Path) -> bool:
    """Whether ``directory`` holds a model sagelab wrote (and can read without unpickling)."""
    return has_model_files(directory) and (directory / MODEL_CONFIG_FILE).is_file()


def read_config(directory: Path) -> RLConfig:
    """The validated config saved beside a model (a hostile config is refused like a bad user config)."""
    path = directory / MODEL_CONFIG_FILE
    try:
        return RLConfig.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnsafeModelError(f"refusing to load {path}: not JSON ({error})") from None
    except ValidationError as error:
        raise UnsafeModelError(f"refusing to load {path}: not a valid sagelab RL config ({error})") from None


def read_statistics(directory: Path) -> Arrays | None:
    """The normalization statistics saved in ``directory``, or None when the model has none."""
    path = directory / STATISTICS_FILE
    return read_arrays(path) if path.exists() else None


def load_saved_model(directory: Path, *, device: str = "auto") -> SavedModel:
    """Read the model saved in ``directory`` for prediction (no env attached)."""
    if not is_saved_model(directory):
        raise FileNotFoundError(_missing_message(directory))
    config = read_config(directory)
    statistics = read_statistics(directory)
    if statistics is not None and config.env.normalization is None:
        raise UnsafeModelError(f"{directory} holds normalization statistics but its config has env.normalize off")
    model = restore_model_files(_without_env(config, device), directory)
    return SavedModel(model, config, statistics)


def restore_for_training(
    config: RLConfig, directory: Path, env: VecEnv, *, tensorboard_log: Path | None
) -> BaseAlgorithm:
    """The model of the checkpoint in ``directory``, attached to ``env`` (built by the job) to train on."""
    model = build_algorithm(config.algo, env, seed=config.seed, device=config.device, tensorboard_log=tensorboard_log)
    restore_model_files(model, directory)
    buffer = model.replay_buffer if isinstance(model, OffPolicyAlgorithm) else None
    if buffer is not None and (directory / REPLAY_BUFFER_FILE).exists():
        restore_replay_buffer(buffer, directory)
    return model


def _without_env(config: RLConfig, device: str) -> BaseAlgorithm:
    """The algorithm ``config`` builds, set up for the env's spaces but with no env kept (as SB3's load does)."""
    cls: type[BaseAlgorithm] = algorithm_class(config.algo.name)
    probe = make_env(config.env.model_copy(update={"vec_env": "dummy"}), n_envs=1, seed=config.eval_seed)
    try:
        wrapped = cls._wrap_env(probe, verbose=0)  # the spaces training saw (e.g. image observations transposed)
        spaces_seen = wrapped.observation_space, wrapped.action_space
        policy = config.algo.policy or default_policy(
            config.algo.name, dict_observations=isinstance(spaces_seen[0], spaces.Dict)
        )
        model = cls(
            policy,
            env=None,
            seed=config.seed,
            device=device,
            verbose=0,
            _init_setup_model=False,
            # every concrete SB3 algorithm takes _init_setup_model (and its hyperparameters); BaseAlgorithm does not
            **sb3_kwargs(config.algo),  # type: ignore[call-arg]
        )
        model.observation_space, model.action_space = spaces_seen
        model.n_envs = config.env.n_envs  # buffers are shaped as in training
        model.env = wrapped  # SAC, TQC and CrossQ read the action space from the env while setting up
        model._setup_model()
        model.env = None
    finally:
        probe.close()
    return model


def _missing_message(directory: Path) -> str:
    if (directory / SB3_MODEL_FILE).is_file():
        return (
            f"{directory} holds an SB3 {SB3_MODEL_FILE} but no sagelab model files: sagelab never unpickles a "
            f"{SB3_MODEL_FILE} (it can run code). If you trust the file, load it with SB3 (e.g. PPO.load)"
        )
    return f"{directory} holds no sagelab model ({', '.join(SAVED_MODEL_FILES)})"
