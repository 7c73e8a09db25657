"""The SageMaker source bundle of a job with code.source_dir: the user's files git would track, beside sagelab's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from contract.layout import BUNDLE_CODE_FILE
from experiments.aws.source import MAX_BUNDLE_BYTES, build_source_bundle
from experiments.config import load_job_config
from experiments.errors import UserError
from tests.experiments.test_own_env import PACKAGE, project_config, starter_project


def with_clutter(project: Path) -> None:
    """What a real project directory holds besides its code."""
    (project / ".env").write_text("AWS_SECRET_ACCESS_KEY=do-not-ship\n")
    (project / "runs/old-job").mkdir(parents=True)
    (project / "runs/old-job/model.zip").write_bytes(b"x")
    (project / ".venv/lib").mkdir(parents=True)
    (project / ".venv/pyvenv.cfg").write_text("home = /usr\n")
    (project / ".venv/lib/site.py").write_text("")
    (project / "myvenv").mkdir()
    (project / "myvenv/pyvenv.cfg").write_text("home = /usr\n")
    (project / "data.parquet").write_bytes(b"big")
    with open(project / ".gitignore", "a") as ignore:
        ignore.write("*.parquet\n")
    (project / "requirements.txt").write_text("# the env's own needs\nnetworkx>=3  # graphs\n")


def bundle_of(project: Path, tmp_path: Path) -> tuple[Path, set[str]]:
    job = load_job_config(project_config(project, "module_id"))
    bundle = build_source_bundle(job, tmp_path / "bundle")
    return bundle, {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}


@pytest.mark.parametrize("git", [False, True], ids=["plain-directory", "git-work-tree"])
def test_bundle_ships_what_git_would_track_and_never_secrets(tmp_path: Path, git: bool) -> None:
    project = starter_project(tmp_path)
    with_clutter(project)
    if git:
        subprocess.run(["git", "init", "-q", str(project)], check=True)
        subprocess.run(["git", "-C", str(project), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(project), "add", "-f", ".env"], check=True)  # even if someone tracked it
    bundle, files = bundle_of(project, tmp_path)
    assert {
        f"{PACKAGE}/__init__.py",
        f"{PACKAGE}/corridor.py",
        "sagelab.yaml",
        "tests/test_env.py",
        ".gitignore",
    } <= files
    assert {"experiments/entry.py", "rl/job.py", "envs/__init__.py", "requirements.txt", BUNDLE_CODE_FILE} <= files
    assert not any(
        f == ".env" or f.startswith(("runs/", ".venv/", "myvenv/", ".git/")) or f.endswith(".parquet") for f in files
    ), files
    requirements = (bundle / "requirements.txt").read_text().splitlines()
    assert "networkx>=3" in requirements and any(r.startswith("stable-baselines3==") for r in requirements)
    assert "do-not-ship" not in "".join(p.read_text(errors="replace") for p in bundle.rglob("*") if p.is_file())


def test_bundle_refuses_a_package_named_like_sagelabs(tmp_path: Path) -> None:
    project = starter_project(tmp_path)
    (project / "rl").mkdir()
    (project / "rl/__init__.py").write_text("")
    with pytest.raises(UserError, match="rl would overwrite sagelab's own part"):
        bundle_of(project, tmp_path)


def test_bundle_over_100_mb_is_refused_before_anything_is_copied(tmp_path: Path) -> None:
    project = starter_project(tmp_path)
    with open(project / "weights.bin", "wb") as big:  # sparse: no disk space used
        big.truncate(MAX_BUNDLE_BYTES + 1)
    with pytest.raises(UserError, match=r"more than the 100 MB a source bundle may hold \(largest: weights.bin"):
        bundle_of(project, tmp_path)
    assert not (tmp_path / "bundle").exists()
    os.remove(project / "weights.bin")
