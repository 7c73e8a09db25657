"""NumPy array files (``.npz``) for VecNormalize statistics and replay buffers, read without pickle.

SB3 saves both with pickle (``VecNormalize.save``, ``save_replay_buffer``). sagelab stores their arrays
instead and reads them back with ``allow_pickle=False``; the objects themselves (with their settings,
spaces and shapes) are built from the job's config as in a new job, and the arrays are checked against
them (names, shapes, dtypes) before they are copied in.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.running_mean_std import RunningMeanStd
from stable_baselines3.common.vec_env import VecNormalize

from contract.layout import REPLAY_BUFFER_FILE, SB3_STATISTICS_FILE, STATISTICS_FILE

Arrays = dict[str, np.ndarray]


class UnsafeArraysError(ValueError):
    """An array file that is not what sagelab wrote: refused rather than interpreted."""


def write_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` uncompressed to ``path`` (an open handle, so NumPy adds no suffix)."""
    with open(path, "wb") as stream:
        np.savez(stream, allow_pickle=False, **arrays)


def read_arrays(path: Path) -> Arrays:
    """The arrays of an ``.npz`` file, refusing pickled (object) content and anything that is not an npz."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise UnsafeArraysError(f"refusing to load {path}: expected an .npz archive of arrays")
        with loaded:
            arrays = {name: loaded[name] for name in loaded.files}
    except UnsafeArraysError:
        raise
    except (ValueError, OSError, EOFError, KeyError) as error:  # allow_pickle=False raises ValueError on pickles
        raise UnsafeArraysError(f"refusing to load {path}: not an array file written by sagelab ({error})") from None
    for name, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise UnsafeArraysError(
                f"refusing to load {path}: array {name!r} has dtype {array.dtype}, expected numbers"
            )
    return arrays


# --- VecNormalize statistics -----------------------------------------------------------------------


def _running_stats(normalizer: VecNormalize) -> dict[str, RunningMeanStd]:
    stats = {"ret": normalizer.ret_rms}
    if isinstance(normalizer.obs_rms, dict):
        stats.update({f"obs.{key}": rms for key, rms in normalizer.obs_rms.items()})
    else:
        stats["obs"] = normalizer.obs_rms
    return stats


def statistics_arrays(normalizer: VecNormalize) -> Arrays:
    """The running means, variances and counts of ``normalizer`` (observations, and returns)."""
    arrays: Arrays = {}
    for prefix, rms in _running_stats(normalizer).items():
        arrays[f"{prefix}.mean"] = np.asarray(rms.mean, dtype=np.float64)
        arrays[f"{prefix}.var"] = np.asarray(rms.var, dtype=np.float64)
        arrays[f"{prefix}.count"] = np.asarray(rms.count, dtype=np.float64)
    return arrays


def save_statistics(normalizer: VecNormalize, directory: Path, *, sb3_pickle: bool = True) -> None:
    """Write ``vecnormalize.npz`` (and SB3's ``vecnormalize.pkl`` for users) into ``directory``."""
    write_arrays(directory / STATISTICS_FILE, statistics_arrays(normalizer))
    if sb3_pickle:
        normalizer.save(str(directory / SB3_STATISTICS_FILE))


def apply_statistics(normalizer: VecNormalize, arrays: Mapping[str, np.ndarray], source: object = "statistics") -> None:
    """Copy saved statistics into ``normalizer`` (built from the same config), checking names and shapes."""
    stats = _running_stats(normalizer)
    expected = {f"{prefix}.{part}" for prefix in stats for part in ("mean", "var", "count")}
    if set(arrays) != expected:
        raise UnsafeArraysError(f"{source}: holds {sorted(arrays)}, expected {sorted(expected)} for this env")
    for prefix, rms in stats.items():
        mean, var, count = (
            np.asarray(arrays[f"{prefix}.{part}"], dtype=np.float64) for part in ("mean", "var", "count")
        )
        if mean.shape != np.shape(rms.mean) or var.shape != np.shape(rms.var) or count.shape != ():
            raise UnsafeArraysError(
                f"{source}: {prefix} statistics have shape {mean.shape}, expected {np.shape(rms.mean)}"
            )
        rms.mean, rms.var, rms.count = mean, var, float(count)


# --- replay buffers --------------------------------------------------------------------------------


def _buffer_arrays(buffer: ReplayBuffer) -> dict[str, np.ndarray]:
    arrays = {}
    for key, value in vars(buffer).items():
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            arrays[key] = value
        elif isinstance(value, dict):  # DictReplayBuffer: one array per observation key
            arrays.update({f"{key}.{k}": v for k, v in value.items() if isinstance(v, np.ndarray)})
    return arrays


def save_replay_buffer(buffer: ReplayBuffer, directory: Path) -> None:
    """Write the filled part of ``buffer``'s arrays and its position to ``replay_buffer.npz``."""
    filled = buffer.buffer_size if buffer.full else buffer.pos
    arrays = {
        name: value[:filled] if value.shape[:1] == (buffer.buffer_size,) else value
        for name, value in _buffer_arrays(buffer).items()
    }
    arrays["_pos"], arrays["_full"] = np.asarray(buffer.pos), np.asarray(buffer.full)
    write_arrays(directory / REPLAY_BUFFER_FILE, arrays)


def restore_replay_buffer(buffer: ReplayBuffer, directory: Path) -> None:
    """Refill ``buffer`` (built from the same config) from ``replay_buffer.npz`` in ``directory``."""
    path = directory / REPLAY_BUFFER_FILE
    saved = read_arrays(path)
    try:
        pos, full = int(saved.pop("_pos")), bool(saved.pop("_full"))
    except (KeyError, TypeError, ValueError):
        raise UnsafeArraysError(f"refusing to load {path}: no buffer position") from None
    if not 0 <= pos <= buffer.buffer_size:
        raise UnsafeArraysError(f"{path}: position {pos} outside a buffer of {buffer.buffer_size}")
    filled = buffer.buffer_size if full else pos
    targets = _buffer_arrays(buffer)
    if set(saved) != set(targets):
        raise UnsafeArraysError(f"{path}: holds {sorted(saved)}, expected {sorted(targets)} for this buffer")
    for name, target in targets.items():
        source = saved[name]
        whole = target.shape[:1] != (buffer.buffer_size,)
        expected_shape = target.shape if whole else (filled, *target.shape[1:])
        if source.shape != expected_shape or source.dtype != target.dtype:
            raise UnsafeArraysError(
                f"{path}: {name} is {source.dtype}{source.shape}, expected {target.dtype}{expected_shape}"
            )
        if whole:
            target[...] = source
        else:
            target[:filled] = source
    buffer.pos, buffer.full = pos, full
