"""What a killed checkpoint writer leaves behind is cleaned, or put in place when it is whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from rl import train
from rl.checkpoints import clean_staging, latest_checkpoint, list_checkpoints
from rl.evaluation import load_trained
from tests.rl.test_job import tiny


def test_stale_staging_directories_are_removed_and_a_whole_one_is_put_in_place(tmp_path: Path) -> None:
    result = train(
        tiny(total_timesteps=256, evaluation={"episodes": 1, "frequency": 0}), tmp_path / "job", progress_bar=False
    )
    checkpoints = result.checkpoint_dir
    [checkpoint] = list_checkpoints(checkpoints)
    # killed while writing: files but no state.json yet
    half = checkpoints / ".staging-4242-512"
    shutil.copytree(checkpoint.path, half)
    (half / "state.json").unlink()
    # killed between retiring a checkpoint and renaming its replacement: the replacement is whole
    whole = checkpoints / ".staging-4243-256"
    checkpoint.path.rename(whole)
    retired = checkpoints / ".retired-4243-step_000000000128"
    retired.mkdir()
    assert latest_checkpoint(checkpoints) is None

    handled = clean_staging(checkpoints)
    assert set(handled) == {half, whole, retired}
    assert [c.timesteps for c in list_checkpoints(checkpoints)] == [256]
    assert sorted(p.name for p in checkpoints.iterdir()) == [checkpoint.path.name]


@pytest.mark.parametrize("algo", ["ppo", "dqn"])
def test_the_last_checkpoint_holds_the_trained_model_after_its_last_update(tmp_path: Path, algo: str) -> None:
    # SB3 calls callbacks while it collects, before it updates: a checkpoint written there at the last step would
    # be one update short, and a job killed in its final evaluation would resume to that model instead of model/
    result = train(
        tiny(algo, total_timesteps=512, checkpoint={"frequency": 256, "keep": 2}), tmp_path, progress_bar=False
    )
    assert [c.timesteps for c in list_checkpoints(result.checkpoint_dir)] == [256, 512]
    last = load_trained(latest_checkpoint(result.checkpoint_dir).path).model.policy.state_dict()
    shipped = load_trained(result.model_dir).model.policy.state_dict()
    assert last.keys() == shipped.keys()
    for name, tensor in shipped.items():
        assert torch.equal(last[name], tensor), name
