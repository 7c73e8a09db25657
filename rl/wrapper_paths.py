"""Paths in wrapper kwargs stay inside the job: checked when the config is validated, anchored when envs are built.

Trusted wrappers may write files: SB3's ``Monitor(filename=...)``, Gymnasium's ``RecordVideo(video_folder=...)``.
A config (a user's, or one planted in a model directory that ``sagelab evaluate`` reads) must not make
them write anywhere else. A wrapper parameter is a path when its name says so (``filename``, ``*_file``,
``*_path``, ``*_dir``, ``*_folder``, ...); its value must be a relative path without ``..``. Envs are then
built with those paths joined onto the directory :func:`inside` names (the job's ``output/data``, so the
files travel in output.tar.gz; ``sagelab evaluate`` uses a temporary directory), never the process's cwd.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path, PurePosixPath
from typing import Any

_PATH_NAME = re.compile(r"(^|_)(file|filename|path|dir|directory|folder|prefix)$|^(log|save|video|monitor|output)_")
_ROOT: ContextVar[Path | None] = ContextVar("wrapper_root", default=None)


def path_parameters(wrapper: type, kwargs: dict[str, Any]) -> list[str]:
    """The kwargs of ``wrapper`` that name files or directories."""
    try:
        accepted = set(inspect.signature(wrapper).parameters)
    except (TypeError, ValueError):
        accepted = set(kwargs)
    return [name for name in kwargs if _PATH_NAME.search(name) and (name in accepted or not accepted)]


def check_wrapper_paths(name: str, wrapper: type, kwargs: dict[str, Any]) -> None:
    """Raise a ValueError naming the wrapper and kwarg when a path would leave the job directory."""
    for key in path_parameters(wrapper, kwargs):
        value = kwargs[key]
        if value is None:
            continue  # e.g. Monitor(filename=None): no file
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"wrapper {name}: {key} must be a relative path inside the job directory, got {value!r}")
        parts = PurePosixPath(value).parts
        if PurePosixPath(value).is_absolute() or value.startswith("~") or "\\" in value or ".." in parts:
            raise ValueError(
                f"wrapper {name}: {key}={value!r} points outside the job directory; give a relative path without '..' "
                "(it is written under the job's output/data)"
            )


@contextmanager
def inside(root: Path) -> Iterator[Path]:
    """Build envs whose wrapper paths land under ``root`` while the block runs."""
    token = _ROOT.set(root)
    try:
        yield root
    finally:
        _ROOT.reset(token)


@contextmanager
def inside_scratch_unless_set() -> Iterator[Path]:
    """Outside a job (``sagelab evaluate``, a notebook), wrapper files go to a temporary directory, then away."""
    current = _ROOT.get()
    if current is not None:
        yield current
        return
    with tempfile.TemporaryDirectory(prefix="sagelab-wrapper-files-") as scratch, inside(Path(scratch)) as root:
        yield root


@functools.cache
def validation_scratch() -> Path:
    """Where the env built to validate a config writes its wrapper files: one directory per process, removed at exit.

    One and the same per process, so that the validated env's cache key (its kwargs) stays the same.
    """
    scratch = Path(tempfile.mkdtemp(prefix="sagelab-validation-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return scratch


def anchored(wrapper: type, kwargs: dict[str, Any], subdir: str = "", root: Path | None = None) -> dict[str, Any]:
    """``kwargs`` with every path joined onto ``root`` (default: the current root, else the cwd) and ``subdir``."""
    # a *_prefix (RecordVideo's name_prefix) is a file name inside another path kwarg: checked, not moved
    names = [n for n in path_parameters(wrapper, kwargs) if isinstance(kwargs[n], str) and not n.endswith("prefix")]
    if not names:
        return kwargs
    root = (root or _ROOT.get() or Path.cwd()) / subdir
    placed = {**kwargs, **{n: str(root / kwargs[n]) for n in names}}
    for name in names:
        Path(placed[name]).parent.mkdir(parents=True, exist_ok=True)
    return placed
