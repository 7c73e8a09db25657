"""Paths in wrapper kwargs stay inside the job directory, whoever wrote the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from rl import evaluate, train
from rl.config import RLConfig
from tests.rl.test_job import tiny

MONITOR = "stable_baselines3.common.monitor.Monitor"


def with_monitor(filename: object, **changes: object) -> dict:
    return tiny(env={"id": "CartPole-v1", "n_envs": 1, "wrappers": [{MONITOR: {"filename": filename}}]}, **changes)


@pytest.mark.parametrize("filename", ["/tmp/sagelab-escaped", "../../escaped", "monitor/../../escaped", "~/escaped", 3])
def test_a_wrapper_path_outside_the_job_is_a_config_error(filename: object) -> None:
    with pytest.raises(ValueError, match=r"wrapper stable_baselines3.common.monitor.Monitor: filename"):
        RLConfig.model_validate(with_monitor(filename))


def test_monitor_files_are_written_under_the_jobs_output_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the process's directory is not where a job's files go
    result = train(with_monitor("monitor/train", total_timesteps=256), tmp_path / "job", progress_bar=False)
    data = tmp_path / "job" / "output" / "data"
    assert (data / "monitor" / "train.monitor.csv").is_file()  # training episodes
    assert (data / "evaluation" / "monitor" / "train.monitor.csv").is_file()  # the evaluation env's own
    # re-evaluating the model later writes nothing beside the user either
    evaluate(result.model_dir, episodes=1)
    assert list(elsewhere.iterdir()) == []
