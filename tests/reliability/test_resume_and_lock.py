"""A finished job is never trained again; one runner per job directory, and a killed one frees it at once."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.experiments.conftest import sagelab, tiny_rl_config
from tests.reliability.jobs import pause_env, paused_config, start, tree_hashes, wait_for_pause


@pytest.mark.slow
def test_resuming_or_rerunning_a_finished_job_changes_nothing_and_says_so(tmp_path: Path, write_config) -> None:
    config = write_config(tiny_rl_config())
    done = sagelab("run", config, "--output-dir", tmp_path, "--job-name", "job", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    job = tmp_path / "job"
    before = tree_hashes(job)
    assert {"model/parameters.pt", "output/model.tar.gz", "output/data/evaluation.json"} <= set(before)
    assert any(name.startswith("checkpoints/") for name in before)  # a periodic checkpoint a resume could reload

    for again in (
        sagelab("run", config, "--resume", job, "--quiet"),
        sagelab("run", config, "--output-dir", tmp_path, "--job-name", "job", "--quiet"),  # the same command again
    ):
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"job {job} already finished; nothing to resume, nothing changed" in again.stdout
        assert tree_hashes(job) == before  # every file byte for byte: model/, output/, checkpoints, job.log

    # a runner stopped after the job finished but before it packed: the archives are packed, nothing retrained
    (job / "output" / "output.tar.gz").unlink()
    packed = sagelab("run", config, "--resume", job, "--quiet")
    assert packed.returncode == 0 and "packed its archives" in packed.stdout
    after = tree_hashes(job)
    assert (job / "output" / "output.tar.gz").is_file()
    assert {k: v for k, v in after.items() if not k.endswith(".tar.gz")} == {
        k: v for k, v in before.items() if not k.endswith(".tar.gz")
    }


def _wait_gone(pid: int, timeout: float = 30) -> None:
    """Until ``pid`` has exited (gone, or a zombie no one reaped: its files, and so its lock, are closed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return
        except FileNotFoundError:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} still runs {timeout} s after SIGKILL")


@pytest.mark.slow
def test_a_second_runner_is_refused_and_a_killed_job_resumes_at_once(tmp_path: Path, write_config) -> None:
    config = write_config(paused_config())
    runner = start(
        "run", config, "--output-dir", tmp_path, "--job-name", "job", "--quiet",
        env=pause_env("training", tmp_path / "pause"),
    )  # fmt: skip
    job = tmp_path / "job"
    try:
        wait_for_pause(tmp_path / "pause", "training", runner)  # the job is training, and stays so
        holders = json.loads((job / ".lock").read_text())
        assert holders["runner"] == runner.pid
        for second in (
            sagelab("run", config, "--resume", job, "--quiet"),
            sagelab("run", config, "--output-dir", tmp_path, "--job-name", "job", "--quiet"),
        ):
            assert second.returncode == 2, second.stdout + second.stderr
            assert "is in use by a running job" in second.stderr
            assert f"runner PID {runner.pid} and job PID {holders['job']}" in second.stderr

        # the runner alone dies: the job process still holds the directory
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
        third = sagelab("run", config, "--resume", job, "--quiet")
        assert third.returncode == 2 and f"job PID {holders['job']}" in third.stderr
    finally:
        os.killpg(runner.pid, signal.SIGKILL)  # the job process is in the runner's group
    _wait_gone(holders["job"])
    # kill -9 leaves no lock behind: the job resumes at once, to its end
    resumed = sagelab("run", config, "--resume", job, "--quiet")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert json.loads((job / "output" / "data" / "evaluation.json").read_text())["timesteps"] == 1024


def test_the_same_command_again_finds_its_own_job_directory_and_no_other(tmp_path: Path) -> None:
    from experiments.config import load_job_config
    from experiments.local import prepare_job
    from experiments.resume import earlier_run

    job = load_job_config(tiny_rl_config(), seed=1)
    assert earlier_run(job, tmp_path) is None
    other_seed = prepare_job(load_job_config(tiny_rl_config(), seed=2), tmp_path)
    other_budget = prepare_job(load_job_config(tiny_rl_config(total_timesteps=2048), seed=1), tmp_path)
    assert earlier_run(job, tmp_path) is None  # neither is this job: another seed, another config
    own = prepare_job(job, tmp_path)
    assert earlier_run(job, tmp_path) == own
    assert {other_seed.root, other_budget.root, own.root} == set(tmp_path.iterdir())


@pytest.mark.slow
def test_a_job_name_is_reused_while_its_job_never_trained_and_refused_once_it_did(tmp_path: Path, write_config) -> None:
    from contract import ContainerPaths, write_failure
    from experiments.config import load_job_config
    from experiments.local import prepare_job

    # what a job that failed during set-up leaves: its layout and a failure, no checkpoint, no model
    failed = prepare_job(load_job_config(tiny_rl_config(total_timesteps=2048)), tmp_path, "job")
    write_failure(failed, "the env could not be built")
    fixed = sagelab("run", write_config(tiny_rl_config()), "--output-dir", tmp_path, "--job-name", "job", "--quiet")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "never started training (it had failed: the env could not be built); laying it out anew" in fixed.stdout
    paths = ContainerPaths(tmp_path / "job")
    assert json.loads(paths.evaluation_file.read_text())["timesteps"] == 1024 and not paths.failure_file.exists()

    # now it holds a trained job: another config under its name is refused, naming the difference
    before = tree_hashes(paths.root)
    other = write_config(tiny_rl_config(total_timesteps=2048), "other.yaml")
    refused = sagelab("run", other, "--output-dir", tmp_path, "--job-name", "job", "--quiet")
    assert refused.returncode == 2 and "the config differs" in refused.stderr and "total_timesteps" in refused.stderr
    assert tree_hashes(paths.root) == before
