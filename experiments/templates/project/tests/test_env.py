"""The env passes both env checkers: Gymnasium's (the API contract) and Stable-Baselines3's (what SB3 needs)."""

import gymnasium as gym
import my_env
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from my_env.corridor import CorridorEnv
from stable_baselines3.common.env_checker import check_env as sb3_check_env


def test_gymnasium_env_checker() -> None:
    gymnasium_check_env(CorridorEnv(), skip_render_check=True)


def test_sb3_env_checker() -> None:
    sb3_check_env(CorridorEnv(), warn=True)


def test_registered_id_and_baseline() -> None:
    env = gym.make("Corridor-v0")
    observation, _ = env.reset(seed=0)
    action, _ = my_env.make_go_right().predict(observation)
    assert env.action_space.contains(action)
