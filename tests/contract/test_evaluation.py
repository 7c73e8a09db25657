"""evaluation.json: one record for every job kind, validated on the way in and out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from contract import EVALUATION_FILE, ContainerPaths
from contract.evaluation import EvaluationRecord, read_evaluation, write_evaluation

RL = {
    "kind": "rl",
    "config_name": "cp",
    "seed": 3,
    "timesteps": 1000,
    "wall_seconds": 2.5,
    "env_id": "CartPole-v1",
    "algo": "ppo",
    "mean_reward": 9.5,
    "std_reward": 0.5,
    "episodes": 2,
    "episode_rewards": [9.0, 10.0],
    "episode_lengths": [9, 10],
    "deterministic": True,
    "eval_seed": 1_000_003,
    "metrics": {"final_mean_reward": 9.5, "final_std_reward": 0.5},
}
FEATURES = {
    "kind": "features",
    "config_name": "churn",
    "seed": 0,
    "timesteps": 0,
    "wall_seconds": 30.0,
    "problem_type": "binary",
    "metric": "roc_auc",
    "metrics": {"holdout_score": 0.81, "n_selected": 12.0},
}


@pytest.mark.parametrize("fields", [RL, FEATURES], ids=["rl", "features"])
def test_a_record_round_trips_through_the_job_layout(tmp_path: Path, fields: dict) -> None:
    paths = ContainerPaths(tmp_path / "job")
    written = write_evaluation(paths.output_data_dir, EvaluationRecord.model_validate(fields))
    assert written == paths.evaluation_file == tmp_path / "job" / "output" / "data" / EVALUATION_FILE
    assert read_evaluation(paths.output_data_dir) == EvaluationRecord.model_validate(fields)
    assert json.loads(written.read_text())["kind"] == fields["kind"]


def test_no_record_means_none(tmp_path: Path) -> None:
    assert read_evaluation(tmp_path) is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({**RL, "mean_reward": None}, "a rl evaluation needs mean_reward"),
        ({**FEATURES, "metric": None}, "a features evaluation needs metric"),
        ({**RL, "kind": "vision"}, "kind"),
        ({**RL, "typo": 1}, "typo"),
        ({k: v for k, v in RL.items() if k != "seed"}, "seed"),
    ],
    ids=["rl-without-returns", "features-without-metric", "unknown-kind", "unknown-field", "no-seed"],
)
def test_a_record_missing_what_its_kind_needs_is_refused(fields: dict, expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        EvaluationRecord.model_validate(fields)


def test_the_headline_needs_no_job_kind_from_the_reader() -> None:
    assert EvaluationRecord.model_validate(RL).headline() == "mean reward 9.50 +- 0.50 over 2 episodes"
    assert EvaluationRecord.model_validate(FEATURES).headline() == "holdout_score=0.81, n_selected=12"


def test_a_record_without_its_kind_is_refused_naming_the_file_and_the_field(tmp_path: Path) -> None:
    # a hand-written or older record: the kind decides which fields it needs, so it is not guessed from the keys
    (tmp_path / EVALUATION_FILE).write_text(json.dumps({k: v for k, v in RL.items() if k != "kind"}))
    with pytest.raises(ValueError, match="kind") as error:
        read_evaluation(tmp_path)
    assert str(error.value).startswith(f"{tmp_path / EVALUATION_FILE} is not an evaluation record: kind: missing")
    assert "rl or features" in str(error.value)


def test_a_field_this_sagelab_does_not_know_is_named_as_perhaps_from_a_newer_sagelab(tmp_path: Path) -> None:
    # records are strict: a field a newer sagelab added is refused by name, not silently dropped
    (tmp_path / EVALUATION_FILE).write_text(json.dumps({**RL, "added_later": 1}))
    with pytest.raises(ValueError, match="added_later") as error:
        read_evaluation(tmp_path)
    assert str(error.value) == (
        f"{tmp_path / EVALUATION_FILE} is not an evaluation record: "
        "added_later: not a field of this sagelab's records (written by a newer sagelab?)"
    )
