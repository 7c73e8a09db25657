"""Knapsack: transitions on hand-made items, the action mask, the threshold baselines, the vector twin."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import envs  # noqa: F401  (registers the environments)
from envs.knapsack import (
    ACCEPT,
    REJECT,
    CompetitiveThresholdPolicy,
    KnapsackEnv,
    ValueWeightThresholdPolicy,
    action_mask,
)

ENV_ID = "envs/Knapsack-v0"


def scripted_env(capacity: tuple[int, int], items: list[tuple[int, int, int]]) -> KnapsackEnv:
    """An env with the given (weight, volume) capacity offering the given (weight, volume, value) items."""
    env = KnapsackEnv(horizon=len(items))
    env.reset(seed=0)
    env._core.capacity[0] = capacity
    env._core.items[0, : len(items)] = items
    return env


def test_accepting_rejecting_and_overfilling_follow_the_example() -> None:
    env = scripted_env((100, 50), [(60, 20, 30), (50, 10, 80), (30, 40, 5), (10, 10, 7)])
    obs = env._core.observations()[0]
    np.testing.assert_array_equal(obs, [100, 50, 0, 0, 0, 60, 20, 30, 4])
    obs, reward, terminated, _, info = env.step(ACCEPT)
    assert reward == 30 and info["accepted"] and not terminated
    np.testing.assert_array_equal(obs, [100, 50, 60, 20, 30, 50, 10, 80, 3])
    # 60 + 50 > 100: accepting is masked; taken anyway it is a drop, as in the example
    assert not info["action_mask"][ACCEPT] and not env.action_masks()[ACCEPT]
    obs, reward, _, _, info = env.step(ACCEPT)
    assert reward == -10 and not info["accepted"] and obs[2] == 60
    obs, reward, _, _, info = env.step(REJECT)  # volume 20 + 40 > 50 would not fit either
    assert reward == -10 and not info["accepted"]
    obs, reward, terminated, truncated, info = env.step(ACCEPT)
    assert reward == 7 and terminated and not truncated
    np.testing.assert_array_equal(obs[2:5], [70, 30, 37])
    assert obs[8] == 0


def test_action_mask_from_the_observation_matches_the_env() -> None:
    env = KnapsackEnv(capacity_range=(100, 120))
    obs, info = env.reset(seed=4)
    for _ in range(50):
        np.testing.assert_array_equal(action_mask(obs), info["action_mask"])
        obs, _, terminated, _, info = env.step(int(info["action_mask"][ACCEPT]))
        if terminated:
            break
    assert not info["action_mask"][ACCEPT]  # a small bag filled greedily ends full


def obs_of(capacity: float, load: float, item: tuple[int, int, int], left: int) -> np.ndarray:
    return np.array([capacity, capacity, load, load, 0, *item, left], np.float32)


def test_paced_threshold_accepts_everything_that_fits_when_capacity_is_plentiful() -> None:
    policy = ValueWeightThresholdPolicy()
    # 2 items left, mean size 50 each, 900 free: every item is expected to fit, even a poor one
    assert policy.threshold(obs_of(1000, 100, (90, 90, 1), 2)) == -math.inf
    assert policy.predict(obs_of(1000, 100, (90, 90, 1), 2))[0] == ACCEPT
    assert policy.predict(obs_of(1000, 950, (90, 90, 99), 2))[0] == REJECT  # does not fit


def test_paced_threshold_rejects_poor_items_early_and_rises_as_room_shrinks() -> None:
    policy = ValueWeightThresholdPolicy()
    poor, rich = (90, 90, 5), (10, 10, 90)
    assert policy.predict(obs_of(500, 0, poor, 50))[0] == REJECT
    assert policy.predict(obs_of(500, 0, rich, 50))[0] == ACCEPT
    # tau is per fraction of the free room; per unit of absolute size it rises as the room shrinks
    per_unit = [policy.threshold(obs_of(500, load, rich, 30))[0] / (500 - load) for load in (0, 200, 400)]
    assert per_unit[0] < per_unit[1] < per_unit[2]
    medium = (40, 40, 50)
    assert policy.predict(obs_of(500, 0, medium, 10))[0] == ACCEPT
    assert policy.predict(obs_of(500, 400, medium, 10))[0] == REJECT
    batch = np.stack([obs_of(500, 0, poor, 50), obs_of(500, 0, rich, 50), obs_of(1000, 100, poor, 2)])
    np.testing.assert_array_equal(policy.predict(batch)[0], [REJECT, ACCEPT, ACCEPT])


def test_paced_threshold_beats_accepting_whatever_fits() -> None:
    env = KnapsackEnv()
    policy, totals = ValueWeightThresholdPolicy(), {"paced": [], "greedy": []}
    for name in totals:
        for seed in range(20):
            obs, info = env.reset(seed=seed)
            total, done = 0.0, False
            while not done:
                action = policy.predict(obs)[0] if name == "paced" else int(info["action_mask"][ACCEPT])
                obs, reward, done, _, info = env.step(action)
                total += reward
            totals[name].append(total)
    assert np.mean(totals["paced"]) > np.mean(totals["greedy"]) + 200


def test_competitive_threshold_is_zhou_psi() -> None:
    policy = CompetitiveThresholdPolicy()
    (low, high), _ = policy.density_bounds
    assert (low, high) == (1 / 99, 99.0)
    assert policy.threshold(np.array(0.0), low, high) == pytest.approx(low / math.e)
    assert policy.threshold(np.array(1.0), low, high) == pytest.approx(high)
    # half full: psi(0.5) = sqrt(U e / L) * L / e ~ 0.606; density 50 / 90 ~ 0.56 falls short, 60 / 90 clears it
    assert policy.predict(obs_of(1000, 500, (90, 90, 50), 10))[0] == REJECT
    assert policy.predict(obs_of(1000, 500, (90, 90, 60), 10))[0] == ACCEPT


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"capacity_range": (-5, 10)}, ["capacity_range", "-5"]),
        ({"capacity_range": (10, 5)}, ["capacity_range", "low <= high"]),
        ({"item_value_range": (1,)}, ["item_value_range", "pair"]),
        ({"drop_penalty": -1}, ["drop_penalty", "-1"]),
        ({"horizon": 0}, ["horizon", ">= 1"]),
        ({"capacity": 10}, ["capacity", "expected"]),
    ],
)
def test_bad_parameters_fail_at_construction(kwargs: dict, words: list[str]) -> None:
    with pytest.raises((ValueError, TypeError)) as error:  # TypeError for an unknown name
        gym.make(ENV_ID, **kwargs)
    assert all(word in str(error.value) for word in words)


def test_vector_twin_equals_scalar_envs_across_autoresets() -> None:
    kwargs, num = {"horizon": 6}, 4
    twin = gym.make_vec(ENV_ID, num_envs=num, vectorization_mode="vector_entry_point", **kwargs)
    reference = SyncVectorEnv(
        [lambda: KnapsackEnv(**kwargs) for _ in range(num)], autoreset_mode=AutoresetMode.SAME_STEP
    )
    np.testing.assert_array_equal(twin.reset(seed=9)[0], reference.reset(seed=9)[0])
    rng = np.random.default_rng(1)
    for _ in range(25):
        actions = rng.integers(0, 2, size=num)
        out_twin, out_ref = twin.step(actions), reference.step(actions)
        for a, b in zip(out_twin[:4], out_ref[:4], strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(out_twin[4]["action_mask"], out_ref[4]["action_mask"])
        np.testing.assert_array_equal(twin.unwrapped.action_masks(), out_ref[4]["action_mask"])
