"""Env options of a config that change what the agent sees, in real training runs: subprocess envs, wrappers,
frame stacking."""

from __future__ import annotations

from pathlib import Path

from stable_baselines3.common.vec_env import SubprocVecEnv, VecFrameStack

from rl import evaluate, train
from rl.config import RLConfig
from rl.env_factory import make_env
from tests.rl.test_job import tiny


def test_subproc_vec_env_trains_in_worker_processes(tmp_path: Path) -> None:
    config = RLConfig.model_validate(
        tiny(env={"id": "CartPole-v1", "n_envs": 2, "vec_env": "subproc"}, total_timesteps=256)
    )
    env = make_env(config.env, n_envs=2, seed=0)
    try:
        assert isinstance(env, SubprocVecEnv) and env.num_envs == 2
    finally:
        env.close()
    result = train(config, tmp_path, progress_bar=False)
    assert result.timesteps == 256 and result.evaluation is not None and result.evaluation.episodes == 2


def test_wrappers_and_frame_stack_shape_what_the_policy_sees(tmp_path: Path) -> None:
    env = {
        "id": "CartPole-v1",
        "n_envs": 2,
        "frame_stack": 3,
        "wrappers": [{"gymnasium.wrappers.TimeLimit": {"max_episode_steps": 15}}],
    }
    result = train(
        tiny(env=env, total_timesteps=256, evaluation={"episodes": 4, "frequency": 0}), tmp_path, progress_bar=False
    )
    # CartPole's 4 observations, 3 frames deep
    assert result.model.observation_space.shape == (12,)
    assert isinstance(result.model.get_env(), VecFrameStack)
    # the evaluation env is wrapped like the training env: no episode outlives the TimeLimit
    assert result.evaluation is not None and max(result.evaluation.episode_lengths) <= 15
    # and so is the env of a reloaded model: re-evaluating reproduces the job's evaluation
    assert evaluate(result.model_dir).episode_rewards == result.evaluation.episode_rewards
