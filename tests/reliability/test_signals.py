"""SIGINT and SIGTERM, to the runner or to its whole process group, at every phase of a job, end with a
checkpoint (or the finished artifacts), the reason in ``output/failure`` and a job that runs on when run again.

The job is held at each phase by test-local user code (tests/reliability/user_code) until the signal has
been handled, so every case hits its phase exactly. One job directory goes through the phases in order, each
run stopped at the next phase and continued by the next run, so the chain costs one run per phase.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from contract import ContainerPaths
from experiments.resume import finished, packed
from rl.checkpoints import latest_checkpoint, list_checkpoints
from tests.experiments.conftest import sagelab
from tests.reliability.jobs import paused_config, stop_at_pause, tree_hashes

TOTAL = 1024
CHECKPOINT_EVERY = 512
PHASES = ("set-up", "training", "checkpoint write", "final evaluation", "packing")
CASES = [
    (signal.SIGINT, "group"),  # Ctrl-C in a terminal
    (signal.SIGTERM, "runner"),  # kill PID, or a SageMaker-style stop of the runner
    (signal.SIGTERM, "group"),
    (signal.SIGINT, "runner"),
]


def _stopped_at(job: Path, phase: str, detail: str) -> None:
    """What a run stopped at ``phase`` leaves: a whole checkpoint where it stopped, the reason, no final record."""
    checkpoint = latest_checkpoint(job / "checkpoints")
    assert checkpoint is not None, phase
    assert not (job / "output" / "data" / "evaluation.json").exists(), phase
    assert not list((job / "checkpoints").glob(".staging-*")), phase
    if phase == "set-up":
        assert checkpoint.timesteps == 0
    elif phase == "training":
        assert int(detail) * 2 <= checkpoint.timesteps < CHECKPOINT_EVERY  # the next step (2 envs)
    elif phase == "checkpoint write":
        # the write the signal came in finished, whole; the stop saved one more a step later
        assert int(detail) in {c.timesteps for c in list_checkpoints(job / "checkpoints")}
        assert int(detail) <= checkpoint.timesteps < TOTAL
    elif phase == "final evaluation":
        assert checkpoint.timesteps == TOTAL  # trained to the end; only the evaluation is left
    reason = (job / "output" / "failure").read_text()
    assert reason.startswith("stopped by SIG") and f"at {checkpoint.timesteps} of {TOTAL} timesteps" in reason


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "target"), CASES, ids=[f"{s.name}-to-{t}" for s, t in CASES])
def test_a_signal_at_every_phase_leaves_a_checkpoint_and_the_job_runs_on(
    signum: signal.Signals, target: str, tmp_path: Path, write_config
) -> None:
    config = write_config(paused_config())
    job = tmp_path / "job"
    for run, phase in enumerate(PHASES):
        [detail], code, out, err = stop_at_pause(
            "run", config, "--output-dir", tmp_path, "--job-name", "job", "--quiet",
            phase=phase, pause_dir=tmp_path / phase,
            send=lambda pid: (os.killpg if target == "group" else os.kill)(pid, signum),
        )  # fmt: skip
        log = (job / "job.log").read_text()
        said = f"{phase}:\n{out}\n{err}\n{log}"
        assert code == 0, said
        assert "Traceback" not in log + err and "KeyboardInterrupt" not in log + err, said
        # the same command again continued the job where the last run stopped it
        assert log.count("resuming from checkpoint step_") == run, said
        if phase == "packing":  # the job had finished: the runner packs both archives and is done
            assert finished(ContainerPaths(job)) and packed(ContainerPaths(job)), said
            assert "completed" in out, said
        else:
            # the runner passes a stop signal on as SIGTERM (as SageMaker stops a job); the group's reaches the job too
            assert f"received {signum.name}" in log or "received SIGTERM" in log, said
            assert "stopped" in out, said
            _stopped_at(job, phase, detail)
    evaluation = json.loads((job / "output" / "data" / "evaluation.json").read_text())
    assert evaluation["timesteps"] == TOTAL and evaluation["episodes"] == 3


def _seed_dirs(root: Path) -> dict[int, Path]:
    dirs = {int(path.name.split("-s")[1].split("-")[0]): path for path in root.glob("tiny-ppo-s*")}
    assert len(dirs) == len(list(root.glob("tiny-ppo-s*"))), "one job directory per seed"
    return dirs


@pytest.mark.slow
def test_sigterm_to_a_seeds_run_stops_it_and_the_same_command_continues_it(tmp_path: Path, write_config) -> None:
    config = write_config(paused_config())
    command = ("run", config, "--seeds", "0", "1", "2", "--parallel", "1", "--output-dir", tmp_path / "runs", "--quiet")
    # SIGTERM once seed 0 finished and seed 1 is training
    _, code, out, err = stop_at_pause(
        *command, phase="training", pause_dir=tmp_path / "pause", seeds="1",
        send=lambda pid: os.kill(pid, signal.SIGTERM),
    )  # fmt: skip
    assert code == 0, out + err
    jobs = _seed_dirs(tmp_path / "runs")
    assert sorted(jobs) == [0, 1, 2]
    assert finished(ContainerPaths(jobs[0]))
    assert latest_checkpoint(jobs[1] / "checkpoints") is not None
    assert (jobs[1] / "output" / "failure").read_text().startswith("stopped by SIGTERM")
    assert not (jobs[2] / "job.log").exists() and not any((jobs[2] / "checkpoints").iterdir())  # never started
    assert "not started" in out
    first = tree_hashes(jobs[0])

    again = sagelab(*command)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _seed_dirs(tmp_path / "runs") == jobs  # the same three directories, no new ones
    assert f"job {jobs[0]} already finished; nothing to resume, nothing changed" in again.stdout
    assert tree_hashes(jobs[0]) == first
    assert "resuming from checkpoint" in (jobs[1] / "job.log").read_text()
    for job in jobs.values():
        assert json.loads((job / "output" / "data" / "evaluation.json").read_text())["timesteps"] == TOTAL
        assert not (job / "output" / "failure").exists()


@pytest.mark.slow
def test_ctrl_c_to_a_parallel_seeds_run_checkpoints_the_running_jobs_and_starts_no_other(
    tmp_path: Path, write_config
) -> None:
    config = write_config(paused_config())
    _, code, out, err = stop_at_pause(
        "run", config, "--seeds", "0", "1", "2", "--parallel", "2", "--output-dir", tmp_path, "--quiet",
        phase="training", pause_dir=tmp_path / "pause", count=2, send=lambda pid: os.killpg(pid, signal.SIGINT),
    )  # fmt: skip
    assert code == 0, out + err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    jobs = _seed_dirs(tmp_path)
    for seed in (0, 1):
        assert latest_checkpoint(jobs[seed] / "checkpoints") is not None, seed
        assert (jobs[seed] / "output" / "failure").read_text().startswith("stopped by SIG"), seed
    assert not (jobs[2] / "job.log").exists(), "the third seed was started after the stop"
    assert out.count("stopped") >= 2 and "not started" in out


@pytest.mark.slow
def test_ctrl_c_as_a_job_process_starts_waits_for_its_handlers_and_leaves_a_checkpoint(
    tmp_path: Path, write_config
) -> None:
    config = write_config(paused_config())
    # paused at "start": the job process runs, sagelab's code not yet
    _, code, out, err = stop_at_pause(
        "run", config, "--output-dir", tmp_path, "--job-name", "job", "--quiet",
        phase="start", pause_dir=tmp_path / "pause", send=lambda pid: os.killpg(pid, signal.SIGINT),
    )  # fmt: skip
    log = (tmp_path / "job" / "job.log").read_text()
    assert code == 0, out + err + log
    assert "Traceback" not in log + err and "KeyboardInterrupt" not in log + err
    _stopped_at(tmp_path / "job", "set-up", "")
