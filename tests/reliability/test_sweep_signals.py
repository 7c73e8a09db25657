"""SIGTERM to a local sweep's process alone, and Ctrl-C to its group, stop it like a ``--seeds`` run: the
running trial saves a checkpoint, no further trial starts, and the same command again continues the stopped
trial in its directory and leaves the finished one as it is. After a SIGKILL to its group the same command
continues the killed trial from its last checkpoint the same way.

The trial is held in training by the test-local user code (tests/reliability/user_code) until the signal has
been handled, so the signal hits it exactly there.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from contract import ContainerPaths
from experiments.resume import finished
from rl.checkpoints import latest_checkpoint
from tests.experiments.conftest import sagelab
from tests.reliability.jobs import paused_config, stop_at_pause, tree_hashes

SPACE = {
    "parameters": {"algo.hyperparameters.n_epochs": {"type": "int", "low": 2, "high": 4}},
    "objective": {"metric": "final_mean_reward", "direction": "maximize"},
    "trials": 3,
    "parallel": 1,
    "pruning": False,
}


@pytest.mark.slow
def test_sigterm_to_a_sweep_checkpoints_its_trial_and_the_same_command_continues_it(
    tmp_path: Path, write_config
) -> None:
    # two trials: that no other starts after the stop is the next test's (each trial costs seconds)
    config = write_config({**paused_config(), "search_space": {**SPACE, "trials": 2}})
    command = ("sweep", config, "--output-dir", tmp_path, "--name", "sweep", "--quiet")
    # trial 0 (the config as written) finishes; the signal, to the sweep process alone, comes while trial 1 trains
    _, code, out, err = stop_at_pause(
        *command, phase="training", pause_dir=tmp_path / "pause", jobs="trial-001",
        send=lambda pid: os.kill(pid, signal.SIGTERM),
    )  # fmt: skip
    sweep = tmp_path / "sweep"
    assert code == 0, out + err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert finished(ContainerPaths(sweep / "trial-000"))
    stopped = sweep / "trial-001"
    assert latest_checkpoint(stopped / "checkpoints") is not None
    assert (stopped / "output" / "failure").read_text().startswith("stopped by SIG")
    assert not (sweep / "sweep.json").exists()
    assert "stopped" in out and "run the same command again" in out, out
    first = tree_hashes(sweep / "trial-000")

    again = sagelab(*command)
    assert again.returncode == 0, again.stdout + again.stderr
    assert tree_hashes(sweep / "trial-000") == first  # the finished trial is not trained again
    assert "resuming from checkpoint" in (stopped / "job.log").read_text()
    result = json.loads((sweep / "sweep.json").read_text())
    completed = [t for t in result["trials"] if t["state"] == "COMPLETE"]
    assert len(completed) == 2, result["trials"]
    assert str(stopped) in {t["job_dir"] for t in completed}  # continued in its own directory
    assert sorted(p.name for p in sweep.glob("trial-*")) == ["trial-000", "trial-001"]  # and no new trial
    assert [t["state"] for t in result["trials"]].count("STOPPED") == 1
    for trial in completed:
        evaluation = json.loads((Path(trial["job_dir"]) / "output" / "data" / "evaluation.json").read_text())
        assert evaluation["timesteps"] == paused_config()["total_timesteps"]


@pytest.mark.slow
def test_ctrl_c_to_a_sweep_checkpoints_its_trial_and_starts_no_other(tmp_path: Path, write_config) -> None:
    config = write_config({**paused_config(), "search_space": SPACE})
    _, code, out, err = stop_at_pause(
        "sweep", config, "--output-dir", tmp_path, "--name", "sweep", "--quiet",
        phase="training", pause_dir=tmp_path / "pause", send=lambda pid: os.killpg(pid, signal.SIGINT),
    )  # fmt: skip
    assert code == 0, out + err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    trial = tmp_path / "sweep" / "trial-000"
    assert latest_checkpoint(trial / "checkpoints") is not None
    assert (trial / "output" / "failure").read_text().startswith("stopped by SIG")
    assert [p.name for p in (tmp_path / "sweep").glob("trial-*")] == ["trial-000"], "a trial started after the stop"


@pytest.mark.slow
def test_sigkill_to_a_sweep_and_the_same_command_continues_its_trial_from_its_checkpoint(
    tmp_path: Path, write_config
) -> None:
    # one trial (the config as written), with a checkpoint every rollout: one is on disk when the job pauses
    config = write_config({**paused_config(checkpoint={"frequency": 128}), "search_space": {**SPACE, "trials": 1}})
    command = ("sweep", config, "--output-dir", tmp_path, "--name", "sweep", "--quiet")
    _, code, _, _ = stop_at_pause(
        *command, phase="training", pause_dir=tmp_path / "pause", send=lambda pid: os.killpg(pid, signal.SIGKILL)
    )
    assert code == -signal.SIGKILL
    killed = tmp_path / "sweep" / "trial-000"
    checkpoint = latest_checkpoint(killed / "checkpoints")
    assert checkpoint is not None

    again = sagelab(*command)
    assert again.returncode == 0, again.stdout + again.stderr
    log = (killed / "job.log").read_text()
    assert f"resuming from checkpoint {checkpoint.path.name} at {checkpoint.timesteps}" in log
    result = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    # the killed trial is recorded as such (not left running), and the trial continuing it is the one counted
    assert [(t["state"], t["job_dir"]) for t in result["trials"]] == [
        ("KILLED", str(killed)),
        ("COMPLETE", str(killed)),
    ]
    assert [p.name for p in (tmp_path / "sweep").glob("trial-*")] == ["trial-000"]
    evaluation = json.loads((killed / "output" / "data" / "evaluation.json").read_text())
    assert evaluation["timesteps"] == paused_config()["total_timesteps"]
