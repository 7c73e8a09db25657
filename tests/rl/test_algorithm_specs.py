"""Every SB3 / sb3-contrib algorithm: the light table validation reads agrees with the installed classes,
and each mismatch SB3 would only hit at run time is a validation error naming the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rl.algorithm_specs import ALGORITHM_SPECS, ALGORITHMS, default_policy
from rl.config import RLConfig, algorithm_class


def test_every_sb3_and_sb3_contrib_algorithm_is_there() -> None:
    assert set(ALGORITHMS) == {
        "a2c",
        "ppo",
        "dqn",
        "sac",
        "td3",
        "ddpg",
        "qrdqn",
        "tqc",
        "trpo",
        "ars",
        "recurrent_ppo",
        "maskable_ppo",
        "crossq",
    }


@pytest.mark.parametrize("name", ALGORITHMS)
def test_spec_policies_are_the_class_policy_aliases(name: str) -> None:
    spec = ALGORITHM_SPECS[name]
    cls = algorithm_class(name)
    assert cls.__name__ == spec.class_name and cls.__module__ == spec.source
    assert set(spec.policies) == set(cls.policy_aliases)
    assert spec.dict_policy is None or spec.dict_policy in spec.policies


@pytest.mark.parametrize("name", ALGORITHMS)
def test_spec_action_spaces_are_those_the_class_accepts(name: str) -> None:
    from stable_baselines3.common.envs import (
        IdentityEnv,
        IdentityEnvBox,
        IdentityEnvMultiBinary,
        IdentityEnvMultiDiscrete,
    )

    accepted = set()
    for env in (IdentityEnvBox(), IdentityEnv(3), IdentityEnvMultiDiscrete(3), IdentityEnvMultiBinary(3)):
        try:  # BaseAlgorithm checks supported_action_spaces before it builds anything
            algorithm_class(name)(ALGORITHM_SPECS[name].policies[0], env, _init_setup_model=False)
        except AssertionError:
            continue
        accepted.add(type(env.action_space).__name__)
    assert accepted == set(ALGORITHM_SPECS[name].action_spaces)


def test_default_policy_fits_the_algorithm_and_the_observations() -> None:
    assert default_policy("recurrent_ppo", dict_observations=False) == "MlpLstmPolicy"
    assert default_policy("recurrent_ppo", dict_observations=True) == "MultiInputLstmPolicy"
    assert default_policy("sac", dict_observations=True) == "MultiInputPolicy"
    assert default_policy("ppo", dict_observations=False) == "MlpPolicy"


def config(env_id: str, name: str, **algo: object) -> dict:
    return {"env": {"id": env_id}, "algo": {"name": name, **algo}, "total_timesteps": 100}


def validation_error(raw: dict) -> str:
    with pytest.raises(ValidationError) as info:
        RLConfig.model_validate(raw)
    return str(info.value)


@pytest.mark.parametrize(
    ("raw", "field", "expected"),
    [
        (config("Pendulum-v1", "dqn"), "algo.name", "DQN cannot act in a Box action space"),
        (config("Pendulum-v1", "qrdqn"), "algo.name", "QRDQN cannot act in a Box action space"),
        (config("CartPole-v1", "sac"), "algo.name", "SAC cannot act in a Discrete action space"),
        (config("CartPole-v1", "td3"), "algo.name", "TD3 cannot act in a Discrete action space"),
        (config("CartPole-v1", "crossq"), "algo.name", "CrossQ cannot act in a Discrete action space"),
        (config("CartPole-v1", "maskable_ppo"), "algo.name", "MaskablePPO needs an env with an action_masks() method"),
        (
            config("CartPole-v1", "ppo", policy="MlpLstmPolicy"),
            "algo.policy",
            "(MlpLstmPolicy is a policy of recurrent_ppo)",
        ),
        (config("CartPole-v1", "ppo", policy="LstmPolicy"), "algo.policy", "PPO has no policy 'LstmPolicy'"),
        (
            config("CartPole-v1", "recurrent_ppo", policy="MlpPolicy"),
            "algo.policy",
            "RecurrentPPO has no policy 'MlpPolicy'",
        ),
        (
            config("CartPole-v1", "ppo", policy="MultiInputPolicy"),
            "algo.policy",
            "MultiInputPolicy needs a Dict observation space",
        ),
        (config("Pendulum-v1", "ars", policy="CnnPolicy"), "algo.policy", "ARS has no policy 'CnnPolicy'"),
    ],
)
def test_algorithm_and_env_mismatches_name_the_field(raw: dict, field: str, expected: str) -> None:
    text = validation_error(raw)
    assert field in text and expected in text


@pytest.mark.parametrize(
    ("env_id", "name"),
    [("CartPole-v1", n) for n in ("a2c", "ppo", "dqn", "qrdqn", "trpo", "ars", "recurrent_ppo")]
    + [("Pendulum-v1", n) for n in ("sac", "td3", "ddpg", "tqc", "crossq", "ars", "a2c")]
    + [("envs/BinPacking-v0", "maskable_ppo")],
)
def test_fitting_algorithm_and_env_validate(env_id: str, name: str) -> None:
    assert RLConfig.model_validate(config(env_id, name)).algo.policy is None  # chosen when the model is built
