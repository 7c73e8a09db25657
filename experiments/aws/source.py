"""The source bundle a SageMaker job runs: the sagelab packages, pinned requirements, the resolved config.

The training container (the PyTorch training image, which brings torch) installs
``requirements.txt`` and runs the same entry point as the local runner, ``python -m
experiments.entry``, from the bundle directory, so the packages import from there.
"""

from __future__ import annotations

import importlib
import re
import shutil
from importlib import metadata
from pathlib import Path

import yaml

from experiments.config import RLJob, FeaturesJob

PACKAGES: tuple[str, ...] = ("rl", "features", "envs", "experiments")
REQUIREMENTS_FILE = "requirements.txt"
CONFIG_FILE = "sagelab_job.yaml"
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


def build_source_bundle(job: RLJob | FeaturesJob, directory: Path) -> Path:
    """Write the bundle for ``job`` into ``directory`` (created) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for package in PACKAGES:
        source = Path(importlib.import_module(package).__file__).parent  # type: ignore[arg-type]
        shutil.copytree(source, directory / package, ignore=_IGNORED, dirs_exist_ok=True)
    (directory / REQUIREMENTS_FILE).write_text("\n".join(pinned_requirements()) + "\n")
    # for people reading the job's code in S3: the job itself reads hyperparameters.json
    resolved = job.model_dump(mode="json", exclude={"sagemaker", "search_space"}, exclude_none=True)
    (directory / CONFIG_FILE).write_text(yaml.safe_dump(resolved, sort_keys=False))
    return directory
