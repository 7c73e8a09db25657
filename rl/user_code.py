"""A user's own code (``code.source_dir``): which files it is, its content hash, and which modules come from it.

Env ids, env classes, wrappers, callbacks and baselines may come from a user's source directory. They are
imported by dotted path, never evaluated; a module counts as the user's when it is found inside a source
directory that is active in this process: one named by ``SAGELAB_SOURCE_DIR`` (the local runner and the
SageMaker bundle set it, ``os.pathsep``-separated) or one activated by :func:`activate`.

The files of a source directory are those git would track: inside a git work tree, ``git ls-files``
(tracked plus untracked-but-not-ignored); elsewhere the directory's ``.gitignore`` files are honoured.
Secrets and bulk never count, whatever the ignore files say: ``.env`` files, ``.git``, ``runs/``,
virtualenvs, caches.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

SOURCE_DIR_VARIABLE = "SAGELAB_SOURCE_DIR"
_ACTIVE: list[Path] = []
_SAGELAB_PACKAGES = frozenset({"rl", "envs", "features", "experiments"})
# never part of a user's code, even if git tracks them
_NEVER_DIRS = frozenset(
    {
        ".git",
        "runs",
        "__pycache__",
        ".venv",
        "venv",
        "env",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "node_modules",
        ".ipynb_checkpoints",
    }
)
_NEVER_SUFFIXES = (".pyc", ".pyo")


def activate(source_dir: str | Path) -> Path:
    """Put ``source_dir`` first on ``sys.path`` (once) and count its modules as the user's; returns it resolved."""
    path = Path(source_dir).resolve()
    if path not in _ACTIVE:
        _ACTIVE.append(path)
    if str(path) in sys.path:
        sys.path.remove(str(path))
    sys.path.insert(0, str(path))
    importlib.invalidate_caches()
    return path


def source_dirs() -> list[Path]:
    """The active source directories: activated in this process or named by ``SAGELAB_SOURCE_DIR``."""
    named = [Path(p).resolve() for p in os.environ.get(SOURCE_DIR_VARIABLE, "").split(os.pathsep) if p]
    return [*_ACTIVE, *(p for p in named if p not in _ACTIVE)]


def is_user_module(module_name: str) -> bool:
    """Whether the top-level package of ``module_name`` is found inside an active source directory."""
    top = module_name.split(".", 1)[0]
    if not top.isidentifier() or top in _SAGELAB_PACKAGES:  # in a SageMaker bundle they sit beside the user's
        return False
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: nothing is imported
    except (ImportError, ValueError):
        return False
    origin = spec.origin if spec and spec.origin not in (None, "namespace") else None
    locations = [Path(origin)] if origin else [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    return any(_inside(location.resolve(), directory) for location in locations for directory in source_dirs())


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def _never(relative: PurePosixPath) -> bool:
    parts = relative.parts
    if any(part in _NEVER_DIRS or part.endswith(".egg-info") for part in parts[:-1]):
        return True
    name = parts[-1]
    return name == ".env" or name.startswith(".env.") or name.endswith(_NEVER_SUFFIXES) or name == ".DS_Store"


def _is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


def _git_files(source_dir: Path) -> list[PurePosixPath] | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(source_dir), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None  # not inside a git work tree
    return [PurePosixPath(p) for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _walked_files(source_dir: Path) -> list[PurePosixPath]:
    import pathspec

    found: list[PurePosixPath] = []
    ignores: list[tuple[PurePosixPath, pathspec.GitIgnoreSpec]] = []
    for root, dirs, files in os.walk(source_dir):
        here = Path(root)
        relative_root = PurePosixPath(here.relative_to(source_dir).as_posix())
        if (here / ".gitignore").is_file():
            lines = (here / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
            ignores.append((relative_root, pathspec.GitIgnoreSpec.from_lines(lines)))

        def ignored(relative: PurePosixPath, is_dir: bool) -> bool:
            for base, spec in ignores:
                if base == PurePosixPath(".") or base in relative.parents:
                    inner = relative.relative_to(base) if base != PurePosixPath(".") else relative
                    if spec.match_file(f"{inner}/" if is_dir else str(inner)):
                        return True
            return False

        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _NEVER_DIRS and not _is_virtualenv(here / d) and not ignored(relative_root / d, True)
        )
        found.extend(relative_root / f for f in sorted(files) if not ignored(relative_root / f, False))
    return [PurePosixPath(str(p).removeprefix("./")) for p in found]


def source_files(source_dir: str | Path) -> list[PurePosixPath]:
    """The files of ``source_dir`` that git would track, relative to it, sorted; secrets and bulk excluded."""
    directory = Path(source_dir).resolve()
    listed = _git_files(directory)
    files = listed if listed is not None else _walked_files(directory)
    kept = []
    for relative in sorted(set(files)):
        path = directory / relative
        if _never(relative) or not path.is_file() or path.is_symlink():
            continue
        if any(_is_virtualenv(directory / PurePosixPath(*relative.parts[:i])) for i in range(1, len(relative.parts))):
            continue
        kept.append(relative)
    return kept


def content_hash(source_dir: str | Path) -> str:
    """SHA-256 over the names and contents of :func:`source_files` (what the code of a job was)."""
    directory = Path(source_dir).resolve()
    digest = hashlib.sha256()
    for relative in source_files(directory):
        digest.update(str(relative).encode() + b"\0")
        digest.update(hashlib.sha256((directory / relative).read_bytes()).digest())
    return digest.hexdigest()
