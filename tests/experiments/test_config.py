"""The job config: a flat YAML file split into an envelope and a domain config, validated once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gymnasium
import pytest
import yaml

from contract.sagemaker import decode_hyperparameters, encode_hyperparameters
from experiments.config import (
    CONFIG_DIR,
    ENVELOPE_KEYS,
    ConfigError,
    FeaturesJob,
    RLJob,
    hyperparameter_view,
    load_job_config,
    to_mapping,
    validate,
)
from features.config import FeaturesConfig
from rl.config import RLConfig
from tests.experiments.conftest import tiny_rl_config

SHIPPED = sorted(path.stem for path in CONFIG_DIR.glob("*.yaml"))


def test_every_config_the_package_ships_is_tested() -> None:
    assert len(SHIPPED) >= 9 and "cartpole_ppo" in SHIPPED and "churn_features" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_config_loads_and_validates(name: str) -> None:
    job = load_job_config(name)
    raw = yaml.safe_load((CONFIG_DIR / f"{name}.yaml").read_text())
    assert job.kind == raw.get("kind", "rl")
    assert job.name == raw["name"]
    if isinstance(job, RLJob):
        assert isinstance(job.config, RLConfig) and job.config.total_timesteps == raw["total_timesteps"]
    else:
        assert isinstance(job.config, FeaturesConfig) and set(job.inputs) == set(raw["inputs"])
    # what the entry point receives validates to the same job (the contract round-trips)
    assert validate(hyperparameter_view(job)).config == job.config


def test_the_domain_config_holds_no_envelope_and_the_envelope_no_domain_field() -> None:
    job = validate(
        {
            **tiny_rl_config(),
            "inputs": {"train": "/data"},
            "search_space": {"parameters": {"algo.hyperparameters.gamma": {"type": "float", "low": 0.9, "high": 0.99}}},
        }
    )
    assert not ENVELOPE_KEYS & set(job.config.model_dump())
    assert job.inputs == {"train": "/data"} and job.search_space is not None
    view = hyperparameter_view(job)
    assert view["kind"] == "rl" and "inputs" not in view and "search_space" not in view
    assert to_mapping(job)["inputs"] == {"train": "/data"}


def test_stop_at_reward_env_is_the_registered_threshold_and_travels_as_a_number() -> None:
    job = validate(tiny_rl_config(evaluation={"frequency": 512, "stop_at_reward": "env"}))
    assert job.config.evaluation.stop_at_reward == gymnasium.spec("CartPole-v1").reward_threshold
    # the SageMaker hyperparameters carry the number, and the entry point validates them to the same config
    hyperparameters = encode_hyperparameters(hyperparameter_view(job))
    assert hyperparameters["evaluation.stop_at_reward"] == "475.0"
    assert validate(decode_hyperparameters(hyperparameters)).config == job.config


def test_a_features_job_is_told_apart_by_its_kind() -> None:
    job = load_job_config("churn_features")
    assert isinstance(job, FeaturesJob) and hyperparameter_view(job)["kind"] == "features"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"algo": {"name": "a3c"}}, "algo.name: "),
        ({"evaluation": {"episods": 3}}, "evaluation.episods: unknown field; did you mean episodes? (got 3)"),
        ({"total_timestep": 10}, "total_timestep: unknown field; did you mean total_timesteps? (got 10)"),
        (
            {"env": {"id": "CartPole-v1", "normalize": {"norm_obss": True}}},
            "env.normalize.norm_obss: unknown field; did you mean norm_obs? (got True)",
        ),
        ({"evaluation": {"xyz": 3}}, "evaluation.xyz: unknown field (got 3)"),  # nothing close: no guess
        ({"inputs": ["train"]}, "inputs: "),
        ({"kind": "vision"}, "kind: 'vision' is not allowed"),
        (
            {"evaluation": {"frequency": 0, "stop_at_reward": 20}},
            "evaluation.stop_at_reward: needs evaluations during training to reach the threshold: set "
            "evaluation.frequency > 0 (got 20.0)",
        ),
        ({"evaluation": {"stop_at_reward": True}}, "evaluation.stop_at_reward: expected a number, not true/false"),
        (
            {"env": {"id": "Pendulum-v1"}, "evaluation": {"stop_at_reward": "env"}},
            "evaluation.stop_at_reward: 'env' means the env's registered reward_threshold, but Pendulum-v1 registers "
            "none; give a number (got 'env')",
        ),
        (
            {"search_space": {"parameters": {"inputs.train": {"type": "categorical", "values": ["a"]}}}},
            "'inputs.train' is not a tunable config key",
        ),
    ],
)
def test_mistakes_name_the_field_as_the_file_spells_it(changes: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        validate(tiny_rl_config(**changes), "job.yaml")
    assert expected in str(error.value) and "config." not in str(error.value)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (  # fits the mapping branch: the path into the mapping, no branch name
            {"env": {"id": "CartPole-v1", "normalize": {"clip_obs": True}}},
            "env.normalize.clip_obs: expected a number, not true/false (got True)",
        ),
        (  # fits no branch: one line saying what is accepted
            {"env": {"id": "CartPole-v1", "normalize": 3}},
            "env.normalize: expected true/false or a mapping of VecNormalize settings "
            "(norm_obs, norm_reward, clip_obs, clip_reward) (got 3)",
        ),
        (
            {"callbacks": [["stable_baselines3.common.callbacks.StopTrainingOnMaxEpisodes"]]},
            "callbacks.0: expected a dotted class path, or a mapping of one class path to its keyword arguments "
            "(got ['stable_baselines3.common.callbacks.StopTrainingOnMaxEpisodes'])",
        ),
        (
            {"env": {"id": "CartPole-v1", "wrappers": [{"gymnasium.wrappers.TimeLimit": 50}]}},
            "env.wrappers.0: the keyword arguments of gymnasium.wrappers.TimeLimit must be a mapping such as "
            "{max_episode_steps: 200}, not int (got {'gymnasium.wrappers.TimeLimit': 50})",
        ),
        (  # another library's style of naming a class and its arguments
            {"env": {"id": "CartPole-v1", "wrappers": [{"id": "gymnasium.wrappers.TimeLimit", "kwargs": {}}]}},
            "env.wrappers.0: expected one 'module.Class: {keyword: value}' entry, got 2 keys (id, kwargs) "
            "(got {'id': 'gymnasium.wrappers.TimeLimit', 'kwargs': {}})",
        ),
        (  # a sweep range's type is a tag too
            {"search_space": {"parameters": {"seed": {"type": "int", "low": 0, "high": 9, "step": 2}}}},
            "search_space.parameters.seed.step: unknown field (got 2)",
        ),
    ],
    ids=[
        "normalize-mapping",
        "normalize-neither",
        "callback-neither",
        "wrapper-kwargs",
        "wrapper-two-keys",
        "sweep-range",
    ],
)
def test_a_union_field_is_reported_at_the_path_the_file_spells_without_branch_names(
    changes: dict, problem: str
) -> None:
    with pytest.raises(ConfigError) as error:
        validate(tiny_rl_config(**changes), "job.yaml")
    assert error.value.problems == [problem]


@pytest.mark.parametrize("job", [RLJob, FeaturesJob])
def test_every_union_in_a_job_config_picks_one_branch(job: type) -> None:
    # a smart union validates every branch and reports each under its branch name: none may creep in
    def types(schema: object) -> Iterator[str]:
        if isinstance(schema, dict):
            yield from [schema["type"]] if isinstance(schema.get("type"), str) else []
            for value in schema.values():
                yield from types(value)
        elif isinstance(schema, list | tuple):
            for value in schema:
                yield from types(value)

    found = set(types(job.__pydantic_core_schema__))
    assert "union" not in found and "tagged-union" in found  # (the search space's ranges, at least)


def test_a_path_that_is_neither_a_file_nor_a_shipped_name_lists_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cartpole_ppo"):
        load_job_config(tmp_path / "missing.yaml")


def _hyperparameters(**values: object) -> dict:
    config = tiny_rl_config()
    config["algo"] = {**config["algo"], "hyperparameters": {**config["algo"]["hyperparameters"], **values}}
    return config


def _features(**changes: object) -> dict:
    return {**yaml.safe_load((CONFIG_DIR / "churn_features.yaml").read_text()), **changes}


SAGEMAKER = {"role": "arn:aws:iam::123456789012:role/SageMaker", "output_path": "s3://bucket/runs"}
NOT_BOOLEAN = {  # YAML's true is Python's 1: refused wherever a config holds a number
    "features-max-depth-true": (_features(max_depth=True), "max_depth: expected an integer, not true/false"),
    "features-test-size-true": (_features(test_size=True), "test_size: expected a number, not true/false"),
    "features-budget-true": (_features(time_budget_seconds=True), "time_budget_seconds: expected a number"),
    "normalize-clip-true": (
        tiny_rl_config(env={"id": "CartPole-v1", "normalize": {"clip_obs": True}}),
        "env.normalize.clip_obs: expected a number, not true/false",
    ),
    "sagemaker-instances-true": (
        tiny_rl_config(sagemaker={**SAGEMAKER, "instance_count": True}),
        "sagemaker.instance_count: expected an integer, not true/false",
    ),
    "sweep-trials-true": (
        tiny_rl_config(search_space={"parameters": {"seed": {"type": "int", "low": 0, "high": 9}}, "trials": True}),
        "search_space.trials: expected an integer, not true/false",
    ),
    "sweep-range-bound-true": (
        tiny_rl_config(
            search_space={"parameters": {"algo.hyperparameters.gamma": {"type": "float", "low": True, "high": 0.99}}}
        ),
        "search_space.parameters.algo.hyperparameters.gamma.low: expected a number, not true/false",
    ),
}
BAD_VALUES = {
    **NOT_BOOLEAN,
    "gamma-2": (_hyperparameters(gamma=2), "algo.hyperparameters.gamma: expected a number in [0, 1] (got 2)"),
    "learning-rate-word": (
        _hyperparameters(learning_rate="fast"),
        "learning_rate: expected a number > 0 or a schedule",
    ),
    "batch-size-0": (_hyperparameters(batch_size=0), "batch_size: expected an integer >= 1 (got 0)"),
    "n-steps-negative": (_hyperparameters(n_steps=-5), "n_steps: expected an integer >= 1 (got -5)"),
    "total-timesteps-true": (tiny_rl_config(total_timesteps=True), "total_timesteps: expected an integer, not true"),
    "lstm-policy-for-ppo": (
        tiny_rl_config(algo={"name": "ppo", "policy": "LstmPolicy"}),
        "algo.policy: PPO has no policy 'LstmPolicy'",
    ),
    "mlp-lstm-policy-for-ppo": (
        tiny_rl_config(algo={"name": "ppo", "policy": "MlpLstmPolicy"}),
        "MlpLstmPolicy is a policy of recurrent_ppo",
    ),
    "policy-kwargs-typo": (
        _hyperparameters(policy_kwargs={"net_arc": [64]}),
        "policy_kwargs.net_arc: PPO's MlpPolicy has no parameter 'net_arc'; did you mean net_arch?",
    ),
    "activation-as-code": (
        _hyperparameters(policy_kwargs={"activation_fn": "torch.nn.ReLU"}),
        "policy_kwargs.activation_fn: expected one of tanh, relu",
    ),
    "schedule-nan": (_hyperparameters(learning_rate="lin_nan"), "learning_rate: a schedule's values must be finite"),
    "schedule-negative": (_hyperparameters(learning_rate="lin_-0.5"), "learning_rate: a schedule's start must be > 0"),
    "env-kwargs-dotted": (
        tiny_rl_config(env={"id": "CartPole-v1", "n_envs": 2, "kwargs": {"a.b": 1}}),
        "env.kwargs.a.b: a keyword argument is a Python name",
    ),
    "env-kwargs-typo": (
        tiny_rl_config(env={"id": "CartPole-v1", "n_envs": 2, "kwargs": {"sutton_barto_rewrd": True}}),
        "did you mean sutton_barto_reward?",
    ),
    "batch-size-1-normalized": (_hyperparameters(batch_size=1), "batch_size: must be > 1 while normalize_advantage"),
    "sde-on-discrete": (_hyperparameters(use_sde=True), "use_sde: gSDE needs a continuous (Box) action space"),
    "search-space-past-a-bound": (
        tiny_rl_config(
            search_space={"parameters": {"algo.hyperparameters.gamma": {"type": "float", "low": 0.9, "high": 1.5}}}
        ),
        "search_space.parameters.algo.hyperparameters.gamma: at 1.5, algo.hyperparameters.gamma: expected a number",
    ),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("config", "expected"), BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_value_that_cannot_run_exits_2_naming_field_and_value_before_any_job_directory(
    cli, write_config, tmp_path: Path, command: str, config: dict, expected: str
) -> None:
    output = tmp_path / "runs"
    done = cli(command, write_config(config), *(["--output-dir", output] if command == "run" else []))
    assert done.returncode == 2 and expected in " ".join(done.stderr.split()), done.stderr
    assert not output.exists()
