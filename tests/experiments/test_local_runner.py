"""The local runner as a user drives it: the embedded demo job (signals to several seeds: tests/reliability)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract import ContainerPaths
from tests.experiments.conftest import sagelab


@pytest.mark.slow
def test_the_demo_runs_the_embedded_config(tmp_path: Path) -> None:
    done = sagelab(
        "run",
        "--demo",
        "--set",
        "total_timesteps=512",
        "--set",
        "evaluation.episodes=2",
        "--set",
        "evaluation.frequency=0",
        "--output-dir",
        tmp_path,
        "--quiet",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [job] = tmp_path.glob("cartpole-ppo-s0-*")
    record = json.loads(ContainerPaths(job).evaluation_file.read_text())
    assert record["config_name"] == "cartpole-ppo" and record["episodes"] == 2 and record["timesteps"] >= 512
    assert "completed" in done.stdout


def test_run_without_a_config_or_demo_says_what_to_give(cli) -> None:
    done = cli("run")
    assert done.returncode == 2 and "give a CONFIG" in done.stderr and "--demo" in done.stderr
