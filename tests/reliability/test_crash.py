"""A job process killed by a signal it cannot handle (a crash in native code, kill -9, the out-of-memory killer)
writes no reason of its own: the runner writes it to ``output/failure`` and job.log, and the job runs on when
run again."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.experiments.conftest import sagelab
from tests.reliability.jobs import finish, pause_env, paused_config, start, wait_for_pause


@pytest.mark.slow
def test_a_job_process_that_crashes_says_why_and_the_same_command_runs_it_on(tmp_path: Path, write_config) -> None:
    config = write_config(paused_config())
    job, pauses = tmp_path / "job", tmp_path / "pauses"
    command = ("run", config, "--output-dir", tmp_path, "--job-name", "job")
    runner = start(*command, env=pause_env("training", pauses))
    try:
        wait_for_pause(pauses, "training", runner)
        [paused] = pauses.glob("training-*")
        os.kill(int(paused.name.removeprefix("training-")), signal.SIGSEGV)  # the job process, as a solver's crash
        code, out, err = finish(runner)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
    reason = (job / "output" / "failure").read_text().strip()
    assert code == 1, out + err
    assert reason.startswith("the job process was killed by SIGSEGV (it crashed in native code;"), reason
    assert reason.endswith("run the job again to resume from its last checkpoint")
    assert "failed (-11)" in out and "killed by SIGSEGV" in " ".join(out.split())
    log = (job / "job.log").read_text()
    # faulthandler's report: where the Python code was when the process died, then the runner's reason
    assert "Fatal Python error: Segmentation fault" in log and "sagelab_pauses.py" in log
    assert log.rstrip().endswith(reason)

    again = sagelab(*command, "--quiet")
    assert again.returncode == 0, again.stdout + again.stderr
    assert not (job / "output" / "failure").exists()
    assert (job / "output" / "data" / "evaluation.json").is_file()
