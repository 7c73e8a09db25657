"""Reading job directories: finished runs (in place or as fetched archives), failed, interrupted and unreadable jobs."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from contract import EVALUATION_FILE, ContainerPaths
from contract.evaluation import EvaluationRecord, write_evaluation
from rl.runs import find_runs
from tests.rl.jobdirs import finished_run, rl_config, unfinished_run


def pack_as_fetched(job: Path, destination: Path, prefix: str = "") -> Path:
    """Only output/output.tar.gz, as SageMaker uploads it, members named ``prefix + file``."""
    fetched = ContainerPaths(destination)
    fetched.output_dir.mkdir(parents=True)
    with tarfile.open(fetched.output_archive, "w:gz") as archive:
        for file in sorted(ContainerPaths(job).output_data_dir.iterdir()):
            archive.add(file, arcname=prefix + file.name)
    return destination


@pytest.mark.parametrize("prefix", ["", "./", "data/"])
def test_reads_jobs_fetched_as_output_archives(tmp_path: Path, prefix: str) -> None:
    job = finished_run(tmp_path / "staging", "cloud-job", rl_config(seed=3), 480.0, curve=[(500, 240.0)])
    pack_as_fetched(job, tmp_path / "runs" / "cloud-job", prefix)
    [run], unfinished = find_runs(tmp_path / "runs")
    assert not unfinished
    assert (run.config_name, run.algo, run.seed, run.mean_reward) == ("cp", "ppo", 3, 480.0)
    assert run.config["seed"] == 3 and run.config["total_timesteps"] == 1000
    assert run.curve is not None and list(run.curve["timesteps"]) == [500]
    assert not ContainerPaths(tmp_path / "runs" / "cloud-job").output_data_dir.exists()  # read in memory


def test_archive_members_pointing_outside_the_job_are_never_written(tmp_path: Path) -> None:
    job = finished_run(tmp_path / "staging", "cloud-job", rl_config(), 1.0)
    fetched = ContainerPaths(pack_as_fetched(job, tmp_path / "runs" / "job"))
    with tarfile.open(fetched.output_archive, "w:gz") as archive:
        for file in sorted(ContainerPaths(job).output_data_dir.iterdir()):
            archive.add(file, arcname=file.name)
        evil = tarfile.TarInfo("../../../escaped.txt")
        evil.size = 3
        archive.addfile(evil, io.BytesIO(b"bad"))
    [run], _ = find_runs(tmp_path / "runs")
    assert run.mean_reward == 1.0
    assert not list(tmp_path.rglob("escaped.txt"))


def test_the_directory_itself_may_be_one_job(tmp_path: Path) -> None:
    job = finished_run(tmp_path, "single", rl_config(), 5.0)
    [run], _ = find_runs(job)
    assert run.path == job


def test_failed_and_interrupted_jobs_are_listed_with_their_reason_or_last_timestep(tmp_path: Path) -> None:
    finished_run(tmp_path, "good", rl_config(), 1.0)
    unfinished_run(
        tmp_path, "crashed", rl_config(seed=4), failure="RuntimeError: the env returned NaN observations", reached=400
    )
    unfinished_run(tmp_path, "stopped", rl_config(seed=5, budget=2000), reached=1200)
    runs, unfinished = find_runs(tmp_path)
    assert [r.path.name for r in runs] == ["good"]
    crashed, stopped = sorted(unfinished, key=lambda u: u.path.name)
    assert (crashed.status, crashed.reason, crashed.config_name, crashed.seed) == (
        "failed",
        "RuntimeError: the env returned NaN observations",
        "cp",
        4,
    )
    assert (stopped.status, stopped.seed, stopped.last_timestep) == ("interrupted", 5, 1200)
    assert "last timestep 1,200 of 2,000" in stopped.reason


def test_a_job_stopped_by_a_signal_is_interrupted_with_the_reason_it_wrote(tmp_path: Path) -> None:
    reason = "stopped by SIGTERM at 1200 of 2000 timesteps, with a checkpoint; run the job again to resume it"
    unfinished_run(tmp_path, "stopped", rl_config(seed=5, budget=2000), failure=reason, reached=1200)
    [], [stopped] = find_runs(tmp_path)
    assert (stopped.status, stopped.reason, stopped.last_timestep) == ("interrupted", reason, 1200)


def test_unreadable_jobs_are_reported_with_the_reason(tmp_path: Path) -> None:
    finished_run(tmp_path, "good", rl_config(), 1.0)
    broken = ContainerPaths(finished_run(tmp_path, "broken-json", rl_config(seed=1), 1.0))
    (broken.output_data_dir / EVALUATION_FILE).write_text("{not json")
    diverged = (
        ContainerPaths(finished_run(tmp_path, "diverged", rl_config(seed=2), 1.0)).output_data_dir / EVALUATION_FILE
    )
    diverged.write_text(json.dumps({**json.loads(diverged.read_text()), "mean_reward": float("nan")}))
    no_config = (
        ContainerPaths(finished_run(tmp_path, "no-config", rl_config(seed=3), 1.0)).output_data_dir / EVALUATION_FILE
    )
    no_config.write_text(json.dumps({k: v for k, v in json.loads(no_config.read_text()).items() if k != "config"}))
    features = ContainerPaths(tmp_path / "features-job")
    write_evaluation(
        features.output_data_dir,
        EvaluationRecord(
            kind="features",
            config_name="churn",
            seed=0,
            timesteps=0,
            wall_seconds=1.0,
            problem_type="binary",
            metric="roc_auc",
        ),
    )
    unknown = (
        ContainerPaths(finished_run(tmp_path, "other-format", rl_config(seed=4), 1.0)).output_data_dir / EVALUATION_FILE
    )
    unknown.write_text(json.dumps({**json.loads(unknown.read_text()), "reward": 1.0}))
    truncated = ContainerPaths(tmp_path / "truncated")
    truncated.output_dir.mkdir(parents=True)
    truncated.output_archive.write_bytes(b"\x1f\x8b\x08\x00garbage")

    runs, unfinished = find_runs(tmp_path)
    assert [r.path.name for r in runs] == ["good"]
    reasons = {u.path.name: u.reason for u in unfinished}
    assert {u.status for u in unfinished} == {"unreadable"}
    assert "is not an evaluation record: (file): Invalid JSON" in reasons["broken-json"]
    assert "not an RL job: its evaluation.json is of a features job" in reasons["features-job"]
    assert (
        "is not an evaluation record: reward: not a field of this sagelab's records (written by a newer sagelab?)"
        in reasons["other-format"]
    )
    assert "mean_reward is nan" in reasons["diverged"]
    assert "records no config" in reasons["no-config"]
    assert reasons["truncated"]
    with pytest.raises(FileNotFoundError, match=r"report directory .*nowhere does not exist"):
        find_runs(tmp_path / "nowhere")
