"""The local runner as a user drives it: several seeds at once, Ctrl-C, and the embedded demo job."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contract import ContainerPaths
from tests.experiments.conftest import REPO, sagelab, tiny_rl_config


def _timesteps(job: Path) -> int:
    log = ContainerPaths(job).log_file
    steps = re.findall(r"\btimesteps=(\d+);", log.read_text()) if log.is_file() else []
    return int(steps[-1]) if steps else 0


@pytest.mark.slow
def test_ctrl_c_reaches_every_job_of_a_parallel_multi_seed_run(tmp_path: Path, write_config) -> None:
    total = 40_000
    config = write_config(
        tiny_rl_config(total_timesteps=total, evaluation={"episodes": 2, "frequency": 0}, checkpoint={"frequency": 0})
    )
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "experiments.cli",
            "run",
            str(config),
            "--seeds",
            "0",
            "1",
            "--parallel",
            "2",
            "--output-dir",
            str(tmp_path),
            "--quiet",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 180
    jobs: list[Path] = []
    while time.monotonic() < deadline:
        jobs = sorted(tmp_path.glob("tiny-ppo-s*"))
        if len(jobs) == 2 and all(_timesteps(job) >= 1000 for job in jobs):
            break
        time.sleep(0.2)
    runner.send_signal(signal.SIGINT)  # Ctrl-C to the runner only: it must pass the stop on to both jobs
    out, err = runner.communicate(timeout=180)
    assert runner.returncode == 0, out + err
    assert [job.name.split("-")[2] for job in jobs] == ["s0", "s1"]
    for job in jobs:
        paths = ContainerPaths(job)
        [checkpoint] = list(paths.checkpoint_dir.iterdir())
        assert 1000 <= json.loads((checkpoint / "state.json").read_text())["timesteps"] < total
        assert not paths.evaluation_file.exists() and not paths.failure_file.exists()
    assert out.count("stopped") == 2 and out.count("--resume") == 2


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
