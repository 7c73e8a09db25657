"""The local runner as a user drives it: the embedded demo job (signals to several seeds: tests/reliability)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract import ContainerPaths
from tests.experiments.conftest import sagelab, tiny_rl_config


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


def test_a_finished_job_whose_record_has_no_kind_is_a_user_error_naming_the_file(
    tmp_path: Path, cli, write_config
) -> None:
    from experiments.config import load_job_config
    from experiments.local import prepare_job

    config = write_config(tiny_rl_config())
    paths = prepare_job(load_job_config(config), tmp_path, "job")
    paths.evaluation_file.write_text(json.dumps({"config_name": "tiny-ppo", "seed": 0, "timesteps": 1024}))
    done = cli("run", config, "--output-dir", tmp_path, "--job-name", "job", "--quiet")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{paths.evaluation_file} is not an evaluation record: kind: missing" in " ".join(done.stderr.split())
