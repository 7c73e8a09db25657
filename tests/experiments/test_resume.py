"""What running a job again finds in its directory: the same job, across a config field added since."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.config import validate
from experiments.local import check_resumable, prepare_job
from experiments.resume import earlier_run
from tests.experiments.conftest import tiny_rl_config


def test_a_job_laid_out_before_a_field_existed_is_the_same_job(tmp_path: Path) -> None:
    job = validate(tiny_rl_config())
    paths = prepare_job(job, tmp_path)
    # as an older sagelab wrote it: without a field added since (here evaluation.stop_at_reward, default null)
    stored = json.loads(paths.hyperparameters_file.read_text())
    del stored["evaluation.stop_at_reward"]
    paths.hyperparameters_file.write_text(json.dumps(stored))
    assert earlier_run(job, tmp_path) == paths
    check_resumable(job, paths)  # not refused
    # a field that differs still makes it another job
    assert earlier_run(validate(tiny_rl_config(evaluation={"episodes": 4, "frequency": 512})), tmp_path) is None


def test_a_directory_written_as_this_sagelab_writes_it_is_found_without_revalidating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # validating every candidate's hyperparameters would grow with the output directory: only a directory
    # whose hyperparameters differ as written (an older layout) is validated
    job = validate(tiny_rl_config())
    paths = prepare_job(job, tmp_path)
    validated: list[object] = []
    monkeypatch.setattr("experiments.resume.as_run_now", lambda stored: validated.append(stored) or dict(stored))
    assert earlier_run(job, tmp_path) == paths
    assert validated == []
