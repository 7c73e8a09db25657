"""A stop signal to a features job, which has no checkpoint to stop at: it stops at once, leaves no half-written
output, exits as a stopped RL job does (0, the reason in ``output/failure``), and the same command runs it again.

The job is held by test-local user code (tests/reliability/user_code) half-way through writing its outputs, the
worst moment to stop, until the signal has been handled.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.experiments.conftest import sagelab
from tests.features.test_job import small_job
from tests.reliability.jobs import USER_CODE, stop_at_pause


@pytest.mark.slow
def test_ctrl_c_while_a_features_job_writes_leaves_nothing_half_written_and_the_same_command_runs_it(
    tmp_path: Path,
) -> None:
    config = small_job(tmp_path, code={"source_dir": str(USER_CODE)})
    command = ("run", config, "--output-dir", tmp_path / "runs", "--job-name", "churn", "--quiet")
    _, code, out, err = stop_at_pause(
        *command, phase="features write", pause_dir=tmp_path / "pause", send=lambda pid: os.killpg(pid, signal.SIGINT)
    )
    job = tmp_path / "runs" / "churn"
    log = (job / "job.log").read_text()
    assert code == 0, out + err + log
    assert "Traceback" not in log + err and "KeyboardInterrupt" not in log + err, log + err
    reason = (job / "output" / "failure").read_text()
    assert reason.startswith("stopped by SIG") and "run it again" in reason, reason
    assert "stopped" in out, out
    # the model and the report were written when the signal came: neither is left, nor an archive of them
    assert not [path for folder in ("model", "output/data") for path in (job / folder).rglob("*")]
    assert not (job / "model.tar.gz").exists() and not (job / "output.tar.gz").exists()

    again = sagelab(*command)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "completed" in again.stdout, again.stdout
    assert not (job / "output" / "failure").exists()
    assert json.loads((job / "output" / "data" / "evaluation.json").read_text())["kind"] == "features"
    assert (job / "job.log").read_text().count("setting up the features job") == 2
