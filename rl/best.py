"""The best evaluated model of a run (``evaluation.keep_best``), as RL Zoo keeps ``best_model``.

Whenever an evaluation during training beats every earlier one, the model is saved, through the same
:func:`rl.saved_model.save_model_dir` as the final model (with its normalization statistics of that
moment), into ``<checkpoint_dir>/best/``: the checkpoint directory is what SageMaker syncs and what a
resumed job reads, so the best model and its score survive a spot interruption. At the end of the job
the final policy and the best model are both evaluated on the job's evaluation episodes; the best model
is shipped in ``model/`` and the evaluation record reports both.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback

from contract.layout import BEST_MODEL_DIR, BEST_STATE_FILE
from rl.config import RLConfig
from rl.evaluation import Evaluation, evaluate
from rl.saved_model import save_model_dir


@dataclass(frozen=True)
class BestModel:
    """The saved best model: where it is, when it was saved and the evaluation score that chose it."""

    path: Path
    timesteps: int
    selection_mean_reward: float


def best_dir(checkpoint_dir: Path) -> Path:
    """Where the best model of a job lives (inside its checkpoint directory)."""
    return checkpoint_dir / BEST_MODEL_DIR


def save_best(model: BaseAlgorithm, config: RLConfig, checkpoint_dir: Path, *, mean_reward: float) -> BestModel:
    """Save ``model`` as the best so far, replacing the previous best in one rename (never half written)."""
    target = best_dir(checkpoint_dir)
    staging = checkpoint_dir / f".staging-best-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    save_model_dir(model, config, staging)
    best = BestModel(target, int(model.num_timesteps), float(mean_reward))
    # the state file last: its presence marks the directory complete
    (staging / BEST_STATE_FILE).write_text(
        json.dumps({"timesteps": best.timesteps, "selection_mean_reward": best.selection_mean_reward}, indent=2)
    )
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return best


def read_best(checkpoint_dir: Path) -> BestModel | None:
    """The best model saved in ``checkpoint_dir``, if a complete one is there."""
    state_file = best_dir(checkpoint_dir) / BEST_STATE_FILE
    if not state_file.is_file():
        return None
    state = json.loads(state_file.read_text())
    return BestModel(best_dir(checkpoint_dir), int(state["timesteps"]), float(state["selection_mean_reward"]))


class SaveBestModel(BaseCallback):
    """SB3's ``callback_on_new_best``: saves the model each time an evaluation sets a new best mean return."""

    def __init__(self, config: RLConfig, checkpoint_dir: Path) -> None:
        super().__init__()
        self.config = config
        self.checkpoint_dir = checkpoint_dir

    def _on_step(self) -> bool:
        evaluation = self.parent
        assert isinstance(evaluation, EvalCallback), "runs as an EvalCallback's callback_after_eval"
        save_best(self.model, self.config, self.checkpoint_dir, mean_reward=float(evaluation.best_mean_reward))
        return True


def restore_best_score(evaluation: EvalCallback, checkpoint_dir: Path) -> None:
    """On resume, only an evaluation better than the saved best may replace it (EvalCallback starts at -inf)."""
    best = read_best(checkpoint_dir)
    if best is not None and math.isfinite(best.selection_mean_reward):
        evaluation.best_mean_reward = best.selection_mean_reward


def ship_best(
    final: Evaluation, timesteps: int, checkpoint_dir: Path, model_dir: Path
) -> tuple[Evaluation, dict[str, Any]]:
    """Put the best model into ``model_dir`` and evaluate it like the final policy (trained for ``timesteps``).

    Returns the evaluation of the model now in ``model_dir`` and the record's extra fields:
    ``shipped`` (``best_checkpoint`` or ``final_policy``), ``final_policy`` and ``best_checkpoint``
    (each an evaluation of the same episodes; the best one also with its timesteps and the
    in-training score that chose it). Without any evaluation during training the final policy stays.
    """
    final_record = {**final.to_dict(), "timesteps": int(timesteps)}
    best = read_best(checkpoint_dir)
    if best is None:
        return final, {"shipped": "final_policy", "final_policy": final_record, "best_checkpoint": None}
    for stale in model_dir.iterdir():
        if stale.is_file():
            stale.unlink()
    for item in best.path.iterdir():
        if item.name != BEST_STATE_FILE and item.is_file():
            shutil.copy2(item, model_dir / item.name)
    shipped = evaluate(model_dir)
    best_record = {
        **shipped.to_dict(),
        "timesteps": best.timesteps,
        "selection_mean_reward": best.selection_mean_reward,
    }
    return shipped, {"shipped": "best_checkpoint", "final_policy": final_record, "best_checkpoint": best_record}
