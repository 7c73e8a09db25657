"""Checkpoints: everything needed to continue a run where it stopped.

A checkpoint is a directory ``step_<timesteps>/`` holding the SB3 model, the DQN replay buffer, the
VecNormalize statistics, the job's config (so ``sagelab evaluate`` takes a checkpoint as it takes a model
directory) and ``state.json`` (timesteps, learning-curve rows, wall time so far). It is
written to a temporary directory and renamed into place, so a spot interruption in the middle of a
write never leaves a half checkpoint that a resumed job would load. (SB3's CheckpointCallback writes
files in place and keeps them all, hence this module.)
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

from rl.algorithms import CONFIG_FILE, MODEL_FILE
from rl.config import RLConfig
from rl.env_factory import VECNORMALIZE_FILE

_PREFIX = "step_"
STATE_FILE = "state.json"
REPLAY_BUFFER_FILE = "replay_buffer.pkl"


@dataclass(frozen=True)
class Checkpoint:
    """A complete checkpoint on disk."""

    path: Path
    timesteps: int
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def model_path(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def replay_buffer_path(self) -> Path:
        return self.path / REPLAY_BUFFER_FILE

    @property
    def vecnormalize_path(self) -> Path:
        return self.path / VECNORMALIZE_FILE


def save_checkpoint(
    directory: Path, model: BaseAlgorithm, *, state: dict[str, Any], keep: int, config: RLConfig | None = None
) -> Checkpoint:
    """Write a checkpoint of ``model`` (trained by ``config``) at its current timestep; prune all but the newest ``keep``."""
    directory.mkdir(parents=True, exist_ok=True)
    timesteps = int(model.num_timesteps)
    target = directory / f"{_PREFIX}{timesteps:012d}"
    staging = directory / f".staging-{os.getpid()}-{timesteps}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    model.save(staging / MODEL_FILE)
    if isinstance(model, OffPolicyAlgorithm) and model.replay_buffer is not None:
        model.save_replay_buffer(staging / REPLAY_BUFFER_FILE)
    normalizer = model.get_vec_normalize_env()
    if normalizer is not None:
        normalizer.save(str(staging / VECNORMALIZE_FILE))
    if config is not None:
        (staging / CONFIG_FILE).write_text(json.dumps(config.model_dump(mode="json"), indent=2))
    full_state = {**state, "timesteps": timesteps}
    # state.json last: its presence marks the staging directory complete
    (staging / STATE_FILE).write_text(json.dumps(full_state, indent=2))
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    for old in list_checkpoints(directory)[:-keep]:
        shutil.rmtree(old.path, ignore_errors=True)
    return Checkpoint(target, timesteps, full_state)


def list_checkpoints(directory: Path) -> list[Checkpoint]:
    """Complete checkpoints in ``directory``, oldest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.glob(f"{_PREFIX}*"):
        state_file = path / STATE_FILE
        if path.is_dir() and state_file.is_file() and (path / MODEL_FILE).is_file():
            state = json.loads(state_file.read_text())
            found.append(Checkpoint(path, int(state["timesteps"]), state))
    return sorted(found, key=lambda c: c.timesteps)


def latest_checkpoint(directory: Path) -> Checkpoint | None:
    """The newest complete checkpoint in ``directory``, if any."""
    checkpoints = list_checkpoints(directory)
    return checkpoints[-1] if checkpoints else None
