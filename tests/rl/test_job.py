"""The RL job in-process (the notebook API): artifacts, checkpoints with replay buffer and normalization, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rl import evaluate, load_trained, train
from rl.checkpoints import list_checkpoints


def tiny(algo: str = "ppo", **changes: object) -> dict:
    hyperparameters = (
        {"n_steps": 64, "batch_size": 64, "n_epochs": 2}
        if algo == "ppo"
        else {"learning_starts": 100, "buffer_size": 5000, "train_freq": 4, "target_update_interval": 100}
    )
    config = {
        "name": f"tiny-{algo}",
        "env": {"id": "CartPole-v1", "n_envs": 2 if algo == "ppo" else 1},
        "algo": {"name": algo, "hyperparameters": hyperparameters},
        "total_timesteps": 512,
        "evaluation": {"episodes": 2, "frequency": 256},
        "checkpoint": {"frequency": 256, "keep": 1},
    }
    config.update(changes)
    return config


def test_train_returns_model_evaluation_and_paths(tmp_path: Path) -> None:
    lines: list[str] = []
    result = train(tiny(), tmp_path, progress_bar=False, log=lines.append)
    assert not result.interrupted
    assert result.timesteps == 512 and result.evaluation.episodes == 2
    assert (result.model_dir / "model.zip").is_file()
    recorded = json.loads((result.output_data_dir / "evaluation.json").read_text())
    assert recorded["mean_reward"] == pytest.approx(result.evaluation.mean_reward)
    assert any(line.startswith("timesteps=512; final_mean_reward=") for line in lines)
    # reloading the saved model reproduces the job's own evaluation
    assert evaluate(result.model_dir).episode_rewards == result.evaluation.episode_rewards


def test_normalization_statistics_travel_with_the_model(tmp_path: Path) -> None:
    result = train(tiny(env={"id": "CartPole-v1", "n_envs": 2, "normalize": True}), tmp_path, progress_bar=False)
    assert (result.model_dir / "vecnormalize.npz").is_file() and (result.model_dir / "vecnormalize.pkl").is_file()
    trained = load_trained(result.model_dir)
    assert trained.statistics is not None
    assert evaluate(trained).episode_rewards == result.evaluation.episode_rewards


def test_dqn_checkpoint_holds_the_replay_buffer_and_resume_continues(tmp_path: Path) -> None:
    first = train(tiny("dqn", total_timesteps=300), tmp_path, progress_bar=False)
    [checkpoint] = list_checkpoints(first.checkpoint_dir)  # keep 1: the trained model's, at the end of training
    assert checkpoint.timesteps == 300 and (checkpoint.path / "replay_buffer.npz").is_file()

    lines: list[str] = []
    resumed = train(tiny("dqn", total_timesteps=600), tmp_path, progress_bar=False, log=lines.append)
    assert resumed.timesteps == 600
    assert resumed.model.replay_buffer.size() > 300  # the buffer came back, then grew
    assert any("resuming from checkpoint" in line and "at 300 of 600" in line for line in lines)
    # a checkpoint is evaluated like a finished model (RL Zoo's --load-checkpoint)
    [latest] = list_checkpoints(resumed.checkpoint_dir)
    from_checkpoint = evaluate(latest.path, episodes=2)
    assert from_checkpoint.episodes == 2 and load_trained(latest.path).model.num_timesteps == latest.timesteps
    curve = (resumed.output_data_dir / "learning_curve.csv").read_text().splitlines()[1:]
    # evaluations stay on multiples of the frequency across the resume
    assert [int(row.split(",")[0]) for row in curve] == [256, 512]


def test_vectorized_env_with_normalization_trains_evaluates_and_reloads(tmp_path: Path) -> None:
    config = {
        "name": "tiny-bp",
        "env": {
            "id": "envs/BinPacking-v0",
            "kwargs": {"time_horizon": 50},
            "n_envs": 4,
            "vectorized": True,
            "normalize": True,
        },
        "algo": {"name": "maskable_ppo", "hyperparameters": {"n_steps": 64, "batch_size": 64, "n_epochs": 1}},
        "total_timesteps": 512,
        "evaluation": {"episodes": 3, "frequency": 256},
    }
    result = train(config, tmp_path, progress_bar=False)
    assert result.evaluation.episodes == 3
    assert evaluate(result.model_dir).episode_rewards == result.evaluation.episode_rewards


def test_keep_best_ships_the_best_evaluated_model_and_records_both(tmp_path: Path) -> None:
    config = tiny(total_timesteps=1024, evaluation={"episodes": 2, "frequency": 256, "keep_best": True})
    result = train(config, tmp_path, progress_bar=False)
    recorded = json.loads((result.output_data_dir / "evaluation.json").read_text())
    curve = [row.split(",") for row in (result.output_data_dir / "learning_curve.csv").read_text().splitlines()[1:]]
    scores = [float(mean) for _, mean, _ in curve]
    best = recorded["best_checkpoint"]
    # the first evaluation with the highest in-training score chose the best model (RL Zoo's best_model)
    assert best["timesteps"] == int(curve[scores.index(max(scores))][0])
    assert best["selection_mean_reward"] == pytest.approx(max(scores))
    assert recorded["shipped"] == "best_checkpoint" and recorded["final_policy"]["timesteps"] == 1024
    # model/ holds the best model: it loads at its own timestep and reproduces the record's top-level score
    trained = load_trained(result.model_dir)
    assert trained.model.num_timesteps == best["timesteps"]
    assert recorded["mean_reward"] == pytest.approx(best["mean_reward"])
    assert evaluate(trained).episode_rewards == best["episode_rewards"] == result.evaluation.episode_rewards
    # the final policy was evaluated on the same episodes (same seed and count)
    assert recorded["final_policy"]["eval_seed"] == best["eval_seed"] and recorded["final_policy"]["episodes"] == 2


def test_keep_best_survives_a_resume(tmp_path: Path) -> None:
    keep = {"episodes": 2, "frequency": 256, "keep_best": True}
    train(tiny(total_timesteps=512, evaluation=keep), tmp_path, progress_bar=False)
    resumed = train(tiny(total_timesteps=2048, evaluation=keep), tmp_path, progress_bar=False)
    recorded = json.loads((resumed.output_data_dir / "evaluation.json").read_text())
    curve = [row.split(",") for row in (resumed.output_data_dir / "learning_curve.csv").read_text().splitlines()[1:]]
    scores = [float(mean) for _, mean, _ in curve]
    # the best over the whole run, both segments (here the first evaluation: a resumed EvalCallback that
    # forgot the saved best score would replace it with the best evaluation after the resume)
    assert recorded["best_checkpoint"]["timesteps"] == int(curve[scores.index(max(scores))][0])
    assert scores.index(max(scores)) < 2, "the test needs the best evaluation before the resume"


def test_keep_best_without_evaluations_during_training_is_a_config_error() -> None:
    from rl.config import RLConfig

    with pytest.raises(ValueError, match="keep_best needs evaluations during training"):
        RLConfig.model_validate(tiny(evaluation={"frequency": 0, "keep_best": True}))


def _curve(result) -> list[tuple[int, float]]:
    rows = (result.output_data_dir / "learning_curve.csv").read_text().splitlines()[1:]
    return [(int(steps), float(mean)) for steps, mean, _ in (row.split(",") for row in rows)]


def test_stop_at_reward_ends_training_at_the_evaluation_that_reached_it_and_the_job_stays_finished(
    tmp_path: Path,
) -> None:
    config = tiny(total_timesteps=4096, evaluation={"episodes": 2, "frequency": 256, "stop_at_reward": 20})
    lines: list[str] = []
    result = train(config, tmp_path, progress_bar=False, log=lines.append)
    assert not result.interrupted and result.timesteps < 4096
    # the curve ends at the evaluation that reached the threshold; none before it did
    *earlier, (last_steps, last_mean) = _curve(result)
    assert last_steps == result.timesteps and last_mean >= 20 and all(mean < 20 for _, mean in earlier)
    recorded = json.loads((result.output_data_dir / "evaluation.json").read_text())
    assert recorded["timesteps"] == result.timesteps
    assert recorded["stopped_at_reward"] == {"threshold": 20.0, "timesteps": result.timesteps, "mean_reward": last_mean}
    assert sum("training stops at" in line and "evaluation.stop_at_reward 20" in line for line in lines) == 1
    assert load_trained(result.model_dir).model.num_timesteps == result.timesteps
    # a job that stopped at its threshold is finished: running it again trains nothing and rewrites nothing
    written = (result.output_data_dir / "evaluation.json").stat().st_mtime_ns
    again: list[str] = []
    rerun = train(config, tmp_path, progress_bar=False, log=again.append)
    assert rerun.timesteps == result.timesteps and any("already finished" in line for line in again)
    assert (result.output_data_dir / "evaluation.json").stat().st_mtime_ns == written


def test_a_job_stopped_by_sigterm_resumes_and_still_stops_at_the_reward_with_keep_best(tmp_path: Path) -> None:
    from tests.rl.test_algorithms import sigterm_after

    evaluation = {"episodes": 2, "frequency": 256, "stop_at_reward": 20, "keep_best": True}
    config = tiny(total_timesteps=4096, evaluation=evaluation)
    stopped = train(config, tmp_path, progress_bar=False, log=sigterm_after(100))
    assert stopped.interrupted and stopped.timesteps < 256  # before the first evaluation

    resumed = train(config, tmp_path, progress_bar=False)
    recorded = json.loads((resumed.output_data_dir / "evaluation.json").read_text())
    *_, (last_steps, last_mean) = _curve(resumed)
    assert not resumed.interrupted and resumed.timesteps == last_steps < 4096 and last_mean >= 20
    assert recorded["stopped_at_reward"]["timesteps"] == last_steps
    # the evaluation that stopped training set the best score, so it is the shipped best model
    assert recorded["shipped"] == "best_checkpoint" and recorded["best_checkpoint"]["timesteps"] == last_steps


def test_qrdqn_trains_checkpoints_and_reloads(tmp_path: Path) -> None:
    config = tiny("qrdqn")
    config["algo"]["hyperparameters"]["policy_kwargs"] = {"n_quantiles": 10}
    result = train(config, tmp_path, progress_bar=False)
    [checkpoint] = list_checkpoints(result.checkpoint_dir)
    assert checkpoint.replay_buffer_path.is_file()
    trained = load_trained(result.model_dir)
    assert type(trained.model).__name__ == "QRDQN" and trained.model.policy.n_quantiles == 10
    assert evaluate(trained).episode_rewards == result.evaluation.episode_rewards
