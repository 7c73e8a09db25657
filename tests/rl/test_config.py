"""RLConfig validation: every kind of mistake is caught before anything trains, with a clear message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from stable_baselines3.common.utils import LinearSchedule

from rl.config import NormalizeConfig, RLConfig
from rl.schedules import parse_schedule, resolve_schedules

EPISODIC = {"train_freq": [1, "episode"]}


def base(**changes: object) -> dict:
    config = {
        "name": "test",
        "env": {"id": "CartPole-v1", "n_envs": 2},
        "algo": {"name": "ppo", "hyperparameters": {"n_steps": 32, "learning_rate": "lin_0.001"}},
        "total_timesteps": 1000,
    }
    config.update(changes)
    return config


def error_text(raw: dict) -> str:
    with pytest.raises(ValidationError) as info:
        RLConfig.model_validate(raw)
    return str(info.value)


def test_defaults_and_eval_seed() -> None:
    config = RLConfig.model_validate(base(seed=3))
    assert config.eval_seed == 1_000_003
    assert config.checkpoint.frequency == 0
    assert RLConfig.model_validate(base(evaluation={"seed": 7})).eval_seed == 7


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (base(env={"id": "CartPol-v1"}), "did you mean CartPole-v1"),
        (base(algo={"name": "sacc"}), "unknown algorithm 'sacc'; did you mean sac"),
        (base(algo={"name": "ppo", "hyperparameters": {"learning_rat": 0.1}}), "did you mean learning_rate"),
        (base(algo={"name": "dqn", "hyperparameters": {"n_epochs": 8}}), "DQN has no hyperparameter 'n_epochs'"),
        (base(algo={"name": "ppo", "hyperparameters": {"seed": 1}}), "set by seed"),
        (base(algo={"name": "ppo", "hyperparameters": {"learning_rate": "lin_fast"}}), "lin_<start>"),
        (
            base(algo={"name": "ppo", "hyperparameters": {"policy_kwargs": {"activation_fn": "nn.Tanh"}}}),
            "activation_fn",
        ),
        (base(total_timesteps=0), "greater than or equal to 1"),
        (
            base(algo={"name": "dqn", "hyperparameters": {"replay_buffer_kwargs": {"handle_timeout": False}}}),
            "replay_buffer_kwargs.handle_timeout: SB3's ReplayBuffer has no parameter 'handle_timeout'; did you mean",
        ),
        (
            base(algo={"name": "ppo", "hyperparameters": {"rollout_buffer_kwargs": {"gamma": 0.5}}}),
            "rollout_buffer_kwargs.gamma: is set by the algorithm",
        ),
        (
            base(algo={"name": "dqn", "hyperparameters": {"train_freq": [1, "episode"]}}),
            "algo.hyperparameters.train_freq: training every n episodes needs a single env",
        ),
        (
            base(env={"id": "CartPole-v1"}, algo={"name": "dqn", "hyperparameters": {"optimize_memory_usage": True}}),
            "set replay_buffer_kwargs.handle_timeout_termination: false",
        ),
        (base(total_timesteps="many"), "valid integer"),
        (base(env={"id": "CartPole-v1", "n_envs": 0}), "n_envs"),
        (base(env={"id": "CartPole-v1", "wrappers": ["os.system"]}), "not from a trusted module"),
        (base(env={"id": "CartPole-v1", "wrappers": ["gymnasium.wrappers.NoSuchWrapper"]}), "does not exist"),
        (base(name="has spaces"), "name"),
        (base(evalution={"episodes": 3}), "Extra inputs are not permitted"),
    ],
)
def test_mistakes_name_the_field_and_what_is_allowed(raw: dict, expected: str) -> None:
    assert expected in error_text(raw)


@pytest.mark.parametrize(
    "raw",
    [
        # one step per update is fine without advantage normalization (A2C's default)
        base(env={"id": "CartPole-v1", "n_envs": 1}, algo={"name": "a2c", "hyperparameters": {"n_steps": 1}}),
        base(
            env={"id": "CartPole-v1", "n_envs": 1},
            algo={"name": "dqn", "hyperparameters": {"train_freq": [1, "episode"]}},
        ),
        base(
            algo={
                "name": "dqn",
                "hyperparameters": {
                    "optimize_memory_usage": True,
                    "replay_buffer_kwargs": {"handle_timeout_termination": False},
                    "buffer_size": 5.0e4,
                },
            }
        ),
    ],
)
def test_combinations_sb3_accepts_validate(raw: dict) -> None:
    RLConfig.model_validate(raw)


def test_wrappers_resolve_to_classes_with_kwargs() -> None:
    config = RLConfig.model_validate(
        base(env={"id": "CartPole-v1", "wrappers": [{"gymnasium.wrappers.TimeLimit": {"max_episode_steps": 50}}]})
    )
    [(wrapper, kwargs)] = config.env.wrapper_specs()
    assert wrapper.__name__ == "TimeLimit" and kwargs == {"max_episode_steps": 50}


def test_linear_schedule_matches_rl_zoo() -> None:
    schedule = parse_schedule("lin_0.001")
    assert isinstance(schedule, LinearSchedule)
    # RL Zoo: progress_remaining * initial_value
    assert schedule(1.0) == pytest.approx(0.001)
    assert schedule(0.5) == pytest.approx(0.0005)
    assert schedule(0.0) == pytest.approx(0.0)
    assert parse_schedule("lin_1_0.5")(0.0) == pytest.approx(0.5)
    resolved = resolve_schedules({"learning_rate": "lin_0.1", "n_steps": 8})
    assert resolved["n_steps"] == 8 and resolved["learning_rate"](1.0) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("normalize", "expected"),
    [
        (False, None),
        (True, NormalizeConfig()),
        ({"clip_obs": 5}, NormalizeConfig(clip_obs=5.0)),
        (NormalizeConfig(norm_reward=False), NormalizeConfig(norm_reward=False)),  # a config built in Python
    ],
)
def test_normalize_is_a_switch_or_its_settings(normalize: object, expected: NormalizeConfig | None) -> None:
    config = RLConfig.model_validate(base(env={"id": "CartPole-v1", "normalize": normalize}))
    assert config.env.normalization == expected
