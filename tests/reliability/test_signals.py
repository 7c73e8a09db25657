"""SIGINT and SIGTERM, to the runner or to its whole process group, at every phase of a job, end with a
checkpoint (or the finished artifacts) and a job that ``--resume`` completes."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from rl.checkpoints import latest_checkpoint
from tests.experiments.conftest import sagelab, tiny_rl_config
from tests.reliability.jobs import finish, start, wait_for_line

TOTAL = 1024
# phase -> (the job-log line that marks it, config changes that make it last long enough to be hit)
PHASES = {
    "set-up": ("setting up the rl job", {}),
    "training": ("timesteps=", {"total_timesteps": 400_000}),
    # 400 evaluation episodes of a barely trained CartPole policy: several seconds
    "final evaluation": ("final evaluation:", {"evaluation": {"episodes": 400, "frequency": 0}}),
}
CASES = [
    ("set-up", signal.SIGINT, "group"),
    ("training", signal.SIGINT, "group"),  # Ctrl-C in a terminal
    ("training", signal.SIGTERM, "runner"),
    ("final evaluation", signal.SIGTERM, "group"),
    ("final evaluation", signal.SIGINT, "runner"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("phase", "signum", "target"), CASES, ids=[f"{p}-{s.name}-{t}" for p, s, t in CASES])
def test_a_signal_at_any_phase_leaves_a_checkpoint_and_a_resumable_job(
    phase: str, signum: signal.Signals, target: str, tmp_path: Path, write_config
) -> None:
    marker, changes = PHASES[phase]
    config = tiny_rl_config(**{"total_timesteps": TOTAL, **changes})
    path = write_config(config)
    runner = start("run", path, "--output-dir", tmp_path, "--job-name", "job", "--quiet")
    job = tmp_path / "job"
    wait_for_line(job / "job.log", marker, runner)
    if target == "group":
        os.killpg(runner.pid, signum)
    else:
        os.kill(runner.pid, signum)
    code, out, err = finish(runner)
    log = (job / "job.log").read_text()
    assert code == 0, out + err + log
    assert "KeyboardInterrupt" not in log + err and "Traceback" not in log
    assert not (job / "output" / "failure").exists()
    checkpoint = latest_checkpoint(job / "checkpoints")
    assert checkpoint is not None, log
    # the runner passes any stop signal on as SIGTERM (as SageMaker stops a job); the group's reaches the job too
    assert "stopped" in out and ("received SIGTERM" in log or f"received {signum.name}" in log)
    if phase == "final evaluation":
        assert checkpoint.timesteps == config["total_timesteps"]  # trained to the end; only the evaluation is left

    # the same config with a budget the test can finish (a bigger one is refused as another job)
    if config["total_timesteps"] != TOTAL:
        return
    resumed = sagelab("run", path, "--resume", job, "--quiet")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    evaluation = json.loads((job / "output" / "data" / "evaluation.json").read_text())
    assert evaluation["timesteps"] >= TOTAL and evaluation["episodes"] == config["evaluation"]["episodes"]
