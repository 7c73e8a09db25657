"""Checkpoints: everything needed to continue a run where it stopped.

A checkpoint is a directory ``step_<timesteps>/`` holding a saved model (see :mod:`rl.saved_model`:
tensors, counters, normalization statistics, the config, so ``sagelab evaluate`` takes a checkpoint as it
takes a model directory), the replay buffer of off-policy algorithms, and ``state.json`` (timesteps,
learning-curve rows, wall time so far). Nothing in it is unpickled when a job resumes.

It is written to ``.staging-<pid>-<timesteps>/`` with ``state.json`` last and renamed into place, so a
kill in the middle of a write never leaves a half checkpoint that a resumed job would load; what such a
kill leaves behind is cleaned (or, if complete, put in place) by :func:`clean_staging` on the next run.
(SB3's CheckpointCallback writes files in place and keeps them all, hence this module.)
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm

from contract.layout import CHECKPOINT_PREFIX, CHECKPOINT_STATE_FILE, REPLAY_BUFFER_FILE
from rl.config import RLConfig
from rl.saved_model import SAVED_MODEL_FILES, is_saved_model, save_model_dir

_STAGING = ".staging-"
_RETIRED = ".retired-"  # a checkpoint being replaced or pruned, renamed away before it is deleted


class CheckpointError(ValueError):
    """A checkpoint directory that cannot be resumed from (damaged, or not written by this sagelab)."""


@dataclass(frozen=True)
class Checkpoint:
    """A complete checkpoint on disk."""

    path: Path
    timesteps: int
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def replay_buffer_path(self) -> Path:
        """The replay buffer's arrays (present for off-policy algorithms)."""
        return self.path / REPLAY_BUFFER_FILE


def _step_dir(directory: Path, timesteps: int) -> Path:
    return directory / f"{CHECKPOINT_PREFIX}{timesteps:012d}"


def save_checkpoint(
    directory: Path, model: BaseAlgorithm, *, state: dict[str, Any], keep: int, config: RLConfig
) -> Checkpoint:
    """Write a checkpoint of ``model`` (trained by ``config``) at its current timestep; prune all but the newest
    ``keep``."""
    directory.mkdir(parents=True, exist_ok=True)
    timesteps = int(model.num_timesteps)
    target = _step_dir(directory, timesteps)
    staging = directory / f"{_STAGING}{os.getpid()}-{timesteps}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        save_model_dir(model, config, staging, replay_buffer=True)
        full_state = {**state, "timesteps": timesteps}
        # state.json last: its presence marks the staging directory complete
        (staging / CHECKPOINT_STATE_FILE).write_text(json.dumps(full_state, indent=2))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a failed write (a full disk) leaves nothing behind
        raise
    if target.exists():
        _retire(target)
    os.replace(staging, target)
    for old in list_checkpoints(directory)[:-keep]:
        _retire(old.path)
    return Checkpoint(target, timesteps, full_state)


def _retire(path: Path) -> None:
    # renamed first, so that a kill during the deletion leaves nothing that looks like a checkpoint
    retired = path.with_name(f"{_RETIRED}{os.getpid()}-{path.name}")
    os.replace(path, retired)
    shutil.rmtree(retired, ignore_errors=True)


def _read_state(path: Path) -> dict[str, Any]:
    state_file = path / CHECKPOINT_STATE_FILE
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        int(state["timesteps"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(
            f"checkpoint {path} is damaged or was not written by sagelab ({state_file.name}: {error}); "
            "move it away to resume from the one before"
        ) from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path}: {state_file.name} is not a mapping")
    return state


def list_checkpoints(directory: Path) -> list[Checkpoint]:
    """Complete checkpoints in ``directory``, oldest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.glob(f"{CHECKPOINT_PREFIX}*"):
        if not (path.is_dir() and (path / CHECKPOINT_STATE_FILE).is_file()):
            continue
        if not is_saved_model(path):
            raise CheckpointError(
                f"checkpoint {path} has no sagelab model files ({', '.join(SAVED_MODEL_FILES)}): it was "
                "written by an older sagelab, whose pickled checkpoints are no longer loaded; start a new job"
            )
        state = _read_state(path)
        found.append(Checkpoint(path, int(state["timesteps"]), state))
    return sorted(found, key=lambda c: c.timesteps)


def latest_checkpoint(directory: Path) -> Checkpoint | None:
    """The newest complete checkpoint in ``directory``, if any."""
    checkpoints = list_checkpoints(directory)
    return checkpoints[-1] if checkpoints else None


def clean_staging(directory: Path) -> list[Path]:
    """Deal with what a killed writer left in ``directory``; returns the paths removed or put in place.

    Call it with the job directory to oneself (the job's lock held): a complete staging directory whose
    checkpoint is missing (killed between replacing an old checkpoint and renaming the new one) is put in
    place, everything else half-written is removed.
    """
    if not directory.is_dir():
        return []
    handled = []
    for path in sorted(directory.glob(f"{_STAGING}*")) + sorted(directory.glob(f"{_RETIRED}*")):
        if (
            path.name.startswith(_STAGING)
            and path.is_dir()
            and (path / CHECKPOINT_STATE_FILE).is_file()
            and is_saved_model(path)
        ):
            try:
                target = _step_dir(directory, int(_read_state(path)["timesteps"]))
            except CheckpointError:
                target = None
            if target is not None and not target.exists():
                os.replace(path, target)
                handled.append(path)
                continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        handled.append(path)
    return handled
