"""A finished job is never trained again; one runner per job directory, and a killed one frees it at once."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from rl.checkpoints import latest_checkpoint
from tests.experiments.conftest import sagelab, tiny_rl_config
from tests.reliability.jobs import finish, start, tree_hashes, wait_for_line


@pytest.mark.slow
def test_resuming_a_finished_job_changes_nothing_and_says_so(tmp_path: Path, write_config) -> None:
    config = write_config(tiny_rl_config())
    done = sagelab("run", config, "--output-dir", tmp_path, "--job-name", "job", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    job = tmp_path / "job"
    before = tree_hashes(job)
    assert {"model/parameters.pt", "output/model.tar.gz", "output/data/evaluation.json"} <= set(before)

    again = sagelab("run", config, "--resume", job, "--quiet")
    assert again.returncode == 0, again.stderr
    assert "already finished; nothing to resume, nothing changed" in again.stdout
    assert tree_hashes(job) == before  # every artifact byte for byte, job.log included

    # a runner stopped after the job finished but before it packed: the archives are packed, nothing retrained
    (job / "output" / "output.tar.gz").unlink()
    packed = sagelab("run", config, "--resume", job, "--quiet")
    assert packed.returncode == 0 and "packed its archives" in packed.stdout
    after = tree_hashes(job)
    assert (job / "output" / "output.tar.gz").is_file()
    assert {k: v for k, v in after.items() if not k.endswith(".tar.gz")} == {
        k: v for k, v in before.items() if not k.endswith(".tar.gz")
    }


@pytest.mark.slow
def test_a_second_runner_is_refused_and_a_killed_job_resumes_at_once(tmp_path: Path, write_config) -> None:
    config = write_config(tiny_rl_config(total_timesteps=200_000, evaluation={"episodes": 2, "frequency": 0}))
    runner = start("run", config, "--output-dir", tmp_path, "--job-name", "job", "--quiet")
    job = tmp_path / "job"
    try:
        wait_for_line(job / "job.log", "timesteps=", runner)
        holders = json.loads((job / ".lock").read_text())
        second = sagelab("run", config, "--resume", job, "--quiet")
        assert second.returncode == 2
        assert "is in use by a running job" in second.stderr and f"job PID {holders['job']}" in second.stderr
        assert f"runner PID {runner.pid}" in second.stderr

        # the runner alone dies: the job process still holds the directory
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
        third = sagelab("run", config, "--resume", job, "--quiet")
        assert third.returncode == 2 and f"job PID {holders['job']}" in third.stderr
    finally:
        os.killpg(runner.pid, signal.SIGKILL)  # the job process is in the runner's group
    # kill -9 leaves no lock behind: the job resumes at once (and is stopped again by SIGTERM to its runner)
    resumed = start("run", config, "--resume", job, "--quiet")
    wait_for_line(
        job / "job.log", "resuming from checkpoint" if latest_checkpoint(job / "checkpoints") else "setting up", resumed
    )
    os.kill(resumed.pid, signal.SIGTERM)
    code, out, err = finish(resumed)
    assert code == 0, out + err
    assert "checkpoint saved" in out and latest_checkpoint(job / "checkpoints") is not None
