"""Every sagelab environment: both env checkers, seeded determinism, vector twin == N scalar envs, baselines."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import envs

# short episodes, so that a few dozen steps cross several autoresets
SHORT: dict[str, dict] = {
    "envs/BinPacking-v0": {"time_horizon": 15},
    "envs/Newsvendor-v0": {"max_steps": 8},
    "envs/VehicleRouting-v0": {"episode_length": 30},
    "envs/Knapsack-v0": {},
    "envs/Autoscaling-v0": {"max_time_steps": 12},
    "envs/Portfolio-v0": {"steps": 12},
}


def short_kwargs(env_id: str) -> dict:
    return SHORT.get(env_id, {})


@pytest.fixture(params=envs.ENV_IDS)
def env_id(request: pytest.FixtureRequest) -> str:
    return request.param


def test_gymnasium_and_sb3_env_checkers_pass(env_id: str) -> None:
    env = gym.make(env_id, **short_kwargs(env_id))
    with warnings.catch_warnings():
        # a constant observation entry (e.g. a fixed capacity) has low == high; the checkers warn, rightly harmless
        warnings.filterwarnings("ignore", message=".*low.*high.*")
        gymnasium_check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env.unwrapped, warn=True)


def test_reset_and_step_are_deterministic_under_a_seed(env_id: str) -> None:
    def rollout(seed: int) -> list:
        env = gym.make(env_id, **short_kwargs(env_id))
        env.action_space.seed(seed)
        obs, _ = env.reset(seed=seed)
        trace = [obs]
        for _ in range(40):
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            trace += [obs, reward, terminated, truncated]
            if terminated or truncated:
                trace.append(env.reset()[0])
        return trace

    first, again, other = rollout(3), rollout(3), rollout(4)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_vector_twin_equals_scalar_envs_across_autoresets(env_id: str) -> None:
    kwargs, num = short_kwargs(env_id), 5
    twin = gym.make_vec(env_id, num_envs=num, vectorization_mode="vector_entry_point", **kwargs)
    reference = SyncVectorEnv(
        [lambda: gym.make(env_id, disable_env_checker=True, **kwargs) for _ in range(num)],
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    assert twin.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs_twin, _ = twin.reset(seed=11)
    obs_ref, _ = reference.reset(seed=11)
    np.testing.assert_allclose(obs_twin, obs_ref, rtol=1e-6)
    twin.action_space.seed(5)
    episodes_ended = 0
    for _ in range(60):
        actions = twin.action_space.sample()
        obs_twin, reward_twin, term_twin, trunc_twin, info_twin = twin.step(actions)
        obs_ref, reward_ref, term_ref, trunc_ref, info_ref = reference.step(actions)
        np.testing.assert_allclose(obs_twin, obs_ref, rtol=1e-6)
        np.testing.assert_allclose(reward_twin, reward_ref, rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(term_twin, term_ref)
        np.testing.assert_array_equal(trunc_twin, trunc_ref)
        done = term_twin | trunc_twin
        for i in np.flatnonzero(done):
            np.testing.assert_allclose(info_twin["final_obs"][i], info_ref["final_obs"][i], rtol=1e-6)
        episodes_ended += int(done.sum())
    assert episodes_ended >= num, "the test must cross autoresets"


def test_baseline_predicts_like_an_sb3_model(env_id: str) -> None:
    env = gym.make(env_id, **short_kwargs(env_id))
    for name in envs.baseline_names(env_id):
        policy = envs.baseline_policy(env_id, name, **short_kwargs(env_id))
        obs, _ = env.reset(seed=0)
        action, state = policy.predict(obs, deterministic=True)
        assert state is None and env.action_space.contains(np.asarray(action, dtype=env.action_space.dtype))
        batch = np.stack([obs, env.reset(seed=1)[0], env.reset(seed=2)[0]])
        actions, _ = policy.predict(batch)
        assert len(actions) == 3
        np.testing.assert_array_equal(actions[0], action)


def test_baselines_play_full_episodes_with_valid_actions(env_id: str) -> None:
    env = gym.make(env_id, **short_kwargs(env_id))
    for name in envs.baseline_names(env_id):
        policy = envs.baseline_policy(env_id, name, **short_kwargs(env_id))
        obs, info = env.reset(seed=7)
        for _ in range(10_000):
            action, _ = policy.predict(obs)
            if "action_mask" in info:
                assert info["action_mask"][int(action)], f"{name} chose a masked action"
            obs, _, terminated, truncated, info = env.step(action)
            assert not info.get("invalid_action", False), f"{name} took an invalid action"
            if terminated or truncated:
                break
        else:
            pytest.fail(f"{name}: the episode did not end")


def test_unknown_parameters_fail_at_construction(env_id: str) -> None:
    # TypeError, as Python raises for an unexpected keyword argument: SB3's make_vec_env relies on it
    with pytest.raises(TypeError, match="no_such_parameter"):
        gym.make(env_id, no_such_parameter=1, disable_env_checker=True)


def test_stable_baselines3_make_vec_env_builds_copies(env_id: str) -> None:
    from stable_baselines3.common.env_util import make_vec_env

    # make_vec_env first tries render_mode="rgb_array" and falls back without it on a TypeError only
    venv = make_vec_env(env_id, n_envs=2, seed=0, env_kwargs=SHORT.get(env_id, {}))
    assert venv.reset().shape[0] == 2
    venv.close()


SPEC_SECTIONS = [
    "Description",
    "Observation Space",
    "Action Space",
    "Rewards",
    "Starting State",
    "Episode End",
    "Arguments",
    "Source",
    "Deviations",
    "Baselines",
]


def test_every_env_docstring_is_a_spec_in_one_layout_naming_its_strongest_baseline(env_id: str) -> None:
    problem = envs._problem(env_id)
    module = importlib.import_module(problem.module)
    doc = inspect.getdoc(getattr(module, problem.env_class))
    sections = [line[3:] for line in doc.splitlines() if line.startswith("## ")]
    assert sections == SPEC_SECTIONS
    baselines = doc.split("## Baselines", 1)[1]
    assert "strongest" in baselines and all(f"``{name}``" in baselines for name in module.BASELINES)
    # the declared strongest is a shipped baseline, and the one the docstring's sentence with "strongest" names
    strongest = envs.strongest_baseline(env_id)
    assert strongest in module.BASELINES
    sentence = next(s for s in " ".join(baselines.split()).split(". ") if "strongest" in s)
    assert [name for name in module.BASELINES if f"``{name}``" in sentence] == [strongest]


def test_every_env_and_twin_takes_its_parameters_as_keywords(env_id: str) -> None:
    problem = envs._problem(env_id)
    module = importlib.import_module(problem.module)
    for cls, leading in (
        (getattr(module, problem.env_class), []),
        (getattr(module, problem.vector_class), ["num_envs"]),
    ):
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
        assert [p.name for p in parameters[:-1]] == leading and parameters[-1].kind is inspect.Parameter.VAR_KEYWORD
    assert module.make_params() == module.make_params(**dataclasses.asdict(module.make_params()))


def test_every_baseline_is_a_policy_with_sb3s_predict_signature(env_id: str) -> None:
    from stable_baselines3.common.policies import BasePolicy

    def shape(function: object) -> list[tuple]:  # names, kinds and defaults (annotations differ in spelling)
        return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]

    for name in envs.baseline_names(env_id):
        policy = envs.baseline_policy(env_id, name, **short_kwargs(env_id))
        assert isinstance(policy, envs.Policy)
        assert shape(type(policy).predict) == shape(BasePolicy.predict)


def test_the_portfolio_price_model_imports_without_the_env_module() -> None:
    code = "import sys, envs._portfolio_prices; assert 'envs.portfolio' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
