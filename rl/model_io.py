"""Save and restore an SB3 model without pickle: tensors, JSON and the job's config.

SB3's ``model.zip`` stores the model's attributes as cloudpickle (schedules, spaces, the policy class), so
loading one runs whatever code the file names. sagelab writes beside it what it needs to rebuild the
model itself, and reads nothing else back:

- ``parameters.pt``: the state dicts SB3's ``get_parameters`` returns (policy, target networks, every
  optimizer) and the other torch variables (SAC's ``log_ent_coef``), loaded with
  ``torch.load(weights_only=True)``, which refuses anything but tensors and plain containers;
- ``model_state.json``: the model's plain counters (``num_timesteps``, ``_n_updates``, DQN's
  ``_n_calls`` and ``exploration_rate``, ...) and recent episode statistics;
- the rest (spaces, schedules, policy class and kwargs, buffers' shapes) comes from constructing the
  algorithm again from the job's config and its env, as a new job does.

Which tensors to save comes from each algorithm's own ``_get_torch_save_params`` (the list SB3's ``save``
uses), so every SB3 and sb3-contrib algorithm is covered the same way. ``model.zip`` stays beside the files
for users who trust it (``PPO.load`` keeps working); sagelab never opens it.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import warnings
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.save_util import recursive_getattr, recursive_setattr

from contract.layout import MODEL_STATE_FILE, PARAMETERS_FILE, SB3_MODEL_FILE

_FORMAT = "sagelab-model/1"

# Attributes the job sets itself on every run, never restored from a file.
_NOT_RESTORED = frozenset({"tensorboard_log", "verbose", "device"})
_EPISODE_BUFFERS = ("ep_info_buffer", "ep_success_buffer")


class UnsafeModelError(ValueError):
    """A model file that is not what sagelab wrote: refused rather than interpreted."""


def save_model_files(model: BaseAlgorithm, directory: Path, *, sb3_zip: bool = True) -> None:
    """Write the parameters and the model state (and SB3's ``model.zip`` for users) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    _, variable_names = model._get_torch_save_params()
    tensors = {
        "state_dicts": model.get_parameters(),
        "variables": {name: recursive_getattr(model, name) for name in variable_names},
    }
    # serialized in memory, then written: on a full disk torch.save itself fails with an opaque RuntimeError
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    (directory / PARAMETERS_FILE).write_bytes(buffer.getbuffer())
    (directory / MODEL_STATE_FILE).write_text(json.dumps(_plain_state(model), indent=1))
    if sb3_zip:
        model.save(directory / SB3_MODEL_FILE)


def has_model_files(directory: Path) -> bool:
    """Whether ``directory`` holds a model sagelab can restore."""
    return (directory / PARAMETERS_FILE).is_file() and (directory / MODEL_STATE_FILE).is_file()


def restore_model_files(model: BaseAlgorithm, directory: Path) -> BaseAlgorithm:
    """Put the parameters and counters saved in ``directory`` into ``model``, built afresh from the same config.

    Raises :class:`UnsafeModelError` for a file that is not a weights-only tensor file or plain JSON of
    the expected shape, and for parameters that do not fit the model.
    """
    state = _load_json(directory / MODEL_STATE_FILE)
    if state.get("algorithm") != type(model).__name__:
        raise UnsafeModelError(
            f"the model saved in {directory} is a {state.get('algorithm')!r}, its config builds a "
            f"{type(model).__name__}"
        )
    tensors = _load_tensors(directory / PARAMETERS_FILE, model.device)
    state_names, variable_names = model._get_torch_save_params()
    state_dicts, variables = tensors.get("state_dicts"), tensors.get("variables")
    if not isinstance(state_dicts, dict) or set(state_dicts) != set(state_names):
        found = sorted(state_dicts) if isinstance(state_dicts, dict) else type(state_dicts).__name__
        raise UnsafeModelError(
            f"{directory / PARAMETERS_FILE} holds parameters for {found}, expected {sorted(state_names)}"
        )
    if not isinstance(variables, dict) or not set(variables) <= set(variable_names):
        raise UnsafeModelError(
            f"{directory / PARAMETERS_FILE}: unexpected torch variables; expected some of {variable_names}"
        )
    try:
        model.set_parameters(state_dicts, exact_match=True, device=model.device)
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        first_line = str(error).strip().splitlines()[0][:300]
        raise UnsafeModelError(
            f"{directory / PARAMETERS_FILE} does not fit the model its config builds: {first_line}"
        ) from None
    for name, value in variables.items():
        if not isinstance(value, torch.Tensor):
            raise UnsafeModelError(f"{directory / PARAMETERS_FILE}: variable {name!r} is not a tensor")
        # as SB3's load: set .data so optimizers keep pointing at the same tensor
        recursive_setattr(model, f"{name}.data", value.data)
    _restore_plain_state(model, state)
    if model.use_sde:
        # gSDE policies define reset_noise; BasePolicy does not, and nn.Module's __getattr__ types it as a Tensor
        model.policy.reset_noise()  # type: ignore[operator]
    return model


def _load_tensors(path: Path, device: torch.device) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    try:
        with (
            warnings.catch_warnings()
        ):  # a hostile file's pickle protocol is no reason to warn: it is refused or loaded safely
            warnings.simplefilter("ignore")
            loaded = torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UnsafeModelError(
            f"refusing to load {path}: not a weights-only tensor file written by sagelab ({first_line})"
        ) from None
    if not isinstance(loaded, dict):
        raise UnsafeModelError(f"refusing to load {path}: expected a mapping of tensors, got {type(loaded).__name__}")
    return loaded


def _load_json(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnsafeModelError(f"refusing to load {path}: not JSON ({error})") from None
    if (
        not isinstance(loaded, dict)
        or loaded.get("format") != _FORMAT
        or not isinstance(loaded.get("attributes"), dict)
    ):
        raise UnsafeModelError(f"refusing to load {path}: not a {_FORMAT} state file")
    return loaded


def _plain(value: Any) -> Any:
    """``value`` as a JSON scalar, or ``...`` when it is not one (NumPy scalars count as scalars)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # JSON has no inf/nan; restored by float()
    return ...


def _plain_state(model: BaseAlgorithm) -> dict[str, Any]:
    # What SB3's save pickles, minus what is rebuilt from the config: only the plain scalars remain.
    state_names, variable_names = model._get_torch_save_params()
    skipped = (
        set(model._excluded_save_params()) | {n.split(".")[0] for n in state_names + variable_names} | _NOT_RESTORED
    )
    attributes = {}
    for key, value in vars(model).items():
        plain = _plain(value)
        if key not in skipped and plain is not ...:
            attributes[key] = plain
    episodes = {}
    for key in _EPISODE_BUFFERS:
        buffer = getattr(model, key, None)
        if buffer is not None:
            episodes[key] = [_plain_episode(e) for e in buffer]
    return {"format": _FORMAT, "algorithm": type(model).__name__, "attributes": attributes, "episodes": episodes}


def _plain_episode(entry: Any) -> Any:
    # ep_info_buffer holds Monitor's {"r", "l", "t"} records, ep_success_buffer booleans
    if isinstance(entry, dict):
        return {str(k): v for k, v in ((k, _plain(v)) for k, v in entry.items()) if v is not ...}
    plain = _plain(entry)
    return None if plain is ... else plain


def _is_episode(entry: Any) -> bool:
    if isinstance(entry, dict):
        return all(isinstance(v, (bool, int, float)) for v in entry.values())
    return isinstance(entry, (bool, int, float))


def _same_kind(saved: Any, fresh: Any) -> bool:
    if fresh is None or saved is None:
        return fresh is None and saved is None
    if isinstance(fresh, bool) or isinstance(saved, bool):
        return isinstance(fresh, bool) and isinstance(saved, bool)
    if isinstance(fresh, (int, float, np.number)) and isinstance(saved, (int, float)):
        return True
    return isinstance(fresh, str) and isinstance(saved, str)


def _restore_plain_state(model: BaseAlgorithm, state: dict[str, Any]) -> None:
    current = vars(model)
    for key, saved in state["attributes"].items():
        fresh = current.get(key, ...)
        if key in _NOT_RESTORED or fresh is ... or _plain(fresh) is ...:
            continue  # only plain attributes the freshly built model has are ever set
        if isinstance(saved, str) and isinstance(fresh, (float, np.floating)):
            saved = float(saved)  # inf and nan, written as strings
        if not _same_kind(saved, fresh):
            raise UnsafeModelError(f"model state {key!r} is {saved!r}, expected a value like {fresh!r}")
        setattr(
            model, key, int(saved) if isinstance(fresh, (int, np.integer)) and not isinstance(fresh, bool) else saved
        )
    episodes = state.get("episodes") or {}
    for key in _EPISODE_BUFFERS:
        entries = episodes.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list) or not all(_is_episode(e) for e in entries):
            raise UnsafeModelError(f"model state {key!r} is not a list of episode records")
        setattr(model, key, deque(entries, maxlen=model._stats_window_size))
