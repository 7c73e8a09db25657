"""The source bundle a SageMaker job runs: the sagelab packages, the user's code, pinned requirements, the config.

The training container (the PyTorch training image, which brings torch) installs
``requirements.txt`` and runs the same entry point as the local runner, ``python -m
experiments.entry``, from the bundle directory, so the packages import from there.

A job with ``code.source_dir`` ships that directory's files beside sagelab's packages (the files git would
track, see :func:`rl.user_code.source_files`: never ``.env``, ``.git``, ``runs/`` or virtualenvs), its
``code.requirements`` appended to the pinned ones (the SDK installs them before the entry point starts),
and ``sagelab_code.json`` with the files' hash. A bundle over :data:`MAX_BUNDLE_BYTES` is refused.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
from importlib import metadata
from pathlib import Path, PurePosixPath

import yaml

from contract.layout import BUNDLE_CODE_FILE, BUNDLE_CONFIG_FILE, BUNDLE_REQUIREMENTS_FILE
from experiments.code import CodeConfig
from experiments.config import Job, bundle_view
from experiments.errors import UserError
from rl.user_code import content_hash, source_files

PACKAGES: tuple[str, ...] = ("contract", "rl", "features", "envs", "experiments")
MAX_BUNDLE_BYTES = 100 * 1024 * 1024
# Provided by the training image; pinning the local build would replace the image's (GPU) torch.
PROVIDED_BY_IMAGE: frozenset[str] = frozenset({"torch"})
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def pinned_requirements() -> list[str]:
    """sagelab's runtime dependencies pinned to the versions installed here (``name==version``)."""
    try:
        declared = metadata.requires("sagelab") or []
    except metadata.PackageNotFoundError:
        declared = []
    pins = []
    for requirement in declared:
        if "extra ==" in requirement:
            continue
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
        if name.lower() in PROVIDED_BY_IMAGE:
            continue
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pins.append(requirement.split(";")[0].strip())
    return sorted(pins, key=str.lower)


def build_source_bundle(job: Job, directory: Path) -> Path:
    """Write the bundle for ``job`` into ``directory`` (created) and return it."""
    user_files = _user_files(job.code) if job.code is not None else []
    directory.mkdir(parents=True, exist_ok=True)
    for package in PACKAGES:
        shutil.copytree(_package_dir(package), directory / package, ignore=_IGNORED, dirs_exist_ok=True)
    requirements = pinned_requirements()
    if job.code is not None:
        for relative in user_files:
            target = directory / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(job.code.path / relative, target)
        if job.code.requirements is not None:
            requirements += _requirement_lines(job.code.requirements_path)
        record = {
            "source_dir": str(job.code.path),
            "sha256": content_hash(job.code.path),
            "files": [str(f) for f in user_files],
        }
        (directory / BUNDLE_CODE_FILE).write_text(json.dumps(record, indent=2))
    (directory / BUNDLE_REQUIREMENTS_FILE).write_text("\n".join(requirements) + "\n")
    # for people reading the job's code in S3: the job itself reads hyperparameters.json
    resolved = bundle_view(job)
    (directory / BUNDLE_CONFIG_FILE).write_text(yaml.safe_dump(resolved, sort_keys=False))
    return directory


def _package_dir(name: str) -> Path:
    module_file = importlib.import_module(name).__file__
    if module_file is None:  # a namespace package; each of sagelab's has an __init__.py
        raise RuntimeError(f"cannot bundle {name}: it is not a regular package")
    return Path(module_file).parent


def _user_files(code: CodeConfig) -> list[PurePosixPath]:
    """The files of ``code.source_dir`` that go into the bundle; a clear error for a clash or an oversized bundle."""
    # the bundle's requirements.txt is sagelab's pins plus code.requirements: a user's own file of that name is merged,
    # not copied
    files = [f for f in source_files(code.path) if str(f) != BUNDLE_REQUIREMENTS_FILE]
    reserved = {*PACKAGES, BUNDLE_CONFIG_FILE, BUNDLE_CODE_FILE}
    clashes = sorted({f.parts[0] for f in files if f.parts[0] in reserved})
    if clashes:
        raise UserError(
            f"code.source_dir {code.path}: {', '.join(clashes)} would overwrite sagelab's own part of the source "
            "bundle; "
            f"rename it (sagelab's packages are {', '.join(PACKAGES)})"
        )
    size = sum((code.path / f).stat().st_size for f in files)
    if size > MAX_BUNDLE_BYTES:
        biggest = sorted(files, key=lambda f: (code.path / f).stat().st_size, reverse=True)[:3]
        raise UserError(
            f"code.source_dir {code.path}: {size / 2**20:.0f} MB of files to ship, more than the "
            f"{MAX_BUNDLE_BYTES // 2**20} MB a source bundle may hold (largest: {', '.join(map(str, biggest))}); "
            "add data and outputs to .gitignore and pass data as inputs: channels"
        )
    return files


def _requirement_lines(path: Path) -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]
