"""Shared helpers for job tests: a tiny but real CartPole job, and the sagelab CLI in a subprocess or in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def tiny_rl_config(**changes: object) -> dict:
    """A real PPO CartPole job small enough for a unit test (a few seconds)."""
    config = {
        "kind": "rl",
        "name": "tiny-ppo",
        "env": {"id": "CartPole-v1", "n_envs": 2},
        "algo": {"name": "ppo", "hyperparameters": {"n_steps": 64, "batch_size": 64, "n_epochs": 2}},
        "total_timesteps": 1024,
        "seed": 0,
        "evaluation": {"episodes": 3, "frequency": 512},
        "checkpoint": {"frequency": 512, "keep": 2},
    }
    config.update(changes)
    return config


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """The sagelab CLI's ``main`` called in this process (no interpreter start-up): for what fails fast.

    Returns a CompletedProcess like :func:`sagelab`, so a test reads the same either way.
    """
    from experiments.cli import main

    def run(*args: str | Path) -> subprocess.CompletedProcess:
        capsys.readouterr()
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exit:  # argparse's usage errors
            code = int(exit.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["sagelab", *map(str, args)], code, out, err)

    return run


@pytest.fixture
def write_config(tmp_path: Path):
    def write(config: dict, name: str = "job.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    return write


def sagelab(*args: str | Path, timeout: float = 300, **popen: object) -> subprocess.CompletedProcess:
    """Run the sagelab CLI as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "experiments.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=popen.pop("cwd", REPO),
        env={**os.environ, "COLUMNS": "200", **popen.pop("env", {})},
        **popen,
    )
