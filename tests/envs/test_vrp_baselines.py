"""VehicleRouting's greedy baselines: their choices on hand-made states, valid actions over whole episodes,
batched and single observations, and their ranking against a random policy."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.vehicle_routing import (
    BASELINES,
    AcceptAllNearestPolicy,
    GreedyNearestOrderPolicy,
    VehicleRoutingVectorEnv,
)
from tests.envs.test_vehicle_routing import QUIET, place_order, quiet_env


@pytest.mark.parametrize("name", list(BASELINES))
def test_baselines_predict_single_and_batched_observations(name: str):
    policy = envs.baseline_policy("envs/VehicleRouting-v0", name, episode_length=10, unrelated_kwarg=1)
    vec = VehicleRoutingVectorEnv(5)
    obs, _ = vec.reset(seed=0)
    actions, state = policy.predict(obs)
    assert actions.shape == (5,) and state is None and np.issubdtype(actions.dtype, np.integer)
    single, _ = policy.predict(obs[2], state=None, episode_start=np.array([True]), deterministic=True)
    assert single.shape == () and single == actions[2]
    with pytest.raises(ValueError, match="observation must have shape"):
        policy.predict(obs[:, :10])


@pytest.mark.parametrize("policy_class", [GreedyNearestOrderPolicy, AcceptAllNearestPolicy])
def test_baselines_take_only_valid_actions_over_full_episodes(policy_class: type):
    vec = VehicleRoutingVectorEnv(8, episode_length=300)
    policy = policy_class(episode_length=300)
    obs, _ = vec.reset(seed=0)
    for _ in range(300):
        actions, _ = policy.predict(obs)
        assert vec.action_masks()[np.arange(8), actions].all()
        obs, _, _, truncated, _ = vec.step(actions)
    assert truncated.all()


def test_greedy_serves_the_nearest_stop_and_accepts_only_what_fits():
    env = quiet_env(driver_capacity=2)
    policy = GreedyNearestOrderPolicy(**QUIET, driver_capacity=2)
    place_order(env, 0, customer=[-2, 2], restaurant=1, value=6.0, status=2)  # restaurant (3, 3): 4 away
    place_order(env, 1, customer=[0, 3], restaurant=0, value=6.0, status=3)  # customer (0, 3): 1 away
    obs = env._core.observations()[0]
    assert policy.predict(obs)[0] == 1 + 2 * 2 + 1  # deliver order 1
    env._core.driver[0] = [3, 2]  # now restaurant (3, 3) is 1 away, the customer 4
    assert policy.predict(env._core.observations()[0])[0] == 1 + 2 + 0  # pick up order 0

    env._core.status[0, 0] = 1  # order 0 open, one order carried, one seat free: accept it
    assert policy.predict(env._core.observations()[0])[0] == 1

    full = quiet_env(driver_capacity=1)  # one order carried fills the vehicle: greedy leaves the open order
    place_order(full, 0, customer=[-2, 2], restaurant=1, value=6.0, status=1)
    place_order(full, 1, customer=[0, 3], restaurant=0, value=6.0, status=3)
    obs = full._core.observations()[0]
    assert GreedyNearestOrderPolicy(**QUIET, driver_capacity=1).predict(obs)[0] == 1 + 2 * 2 + 1
    assert AcceptAllNearestPolicy(**QUIET, driver_capacity=1).predict(obs)[0] == 1


def test_greedy_serves_an_order_about_to_miss_before_a_nearer_stop():
    env = quiet_env(order_promise=20)
    policy = GreedyNearestOrderPolicy(**QUIET, order_promise=20)
    place_order(env, 0, customer=[0, 3], restaurant=0, value=6.0, status=3, elapsed=0)  # 1 away, much slack
    place_order(env, 1, customer=[-5, 2], restaurant=0, value=6.0, status=3, elapsed=14)  # 5 away, 0 slack
    assert policy.predict(env._core.observations()[0])[0] == 1 + 2 * 2 + 1
    env._core.elapsed[0, 1] = 15  # hopeless now: skipped, the nearest stop is served
    assert policy.predict(env._core.observations()[0])[0] == 1 + 2 * 2 + 0


def test_greedy_beats_random_and_accept_all():
    returns = {}
    policies = {"greedy": GreedyNearestOrderPolicy(), "accept_all": AcceptAllNearestPolicy(), "random": None}
    for name, policy in policies.items():
        vec, rng = VehicleRoutingVectorEnv(8, episode_length=300), np.random.default_rng(0)
        obs, _ = vec.reset(seed=0)
        total = np.zeros(8)
        for _ in range(300):
            if policy is None:
                actions = np.array([rng.choice(np.flatnonzero(m)) for m in vec.action_masks()])
            else:
                actions = policy.predict(obs)[0]
            obs, reward, *_ = vec.step(actions)
            total += reward
        returns[name] = total.mean()
    assert returns["greedy"] > 0 > returns["random"]
    assert returns["greedy"] > returns["accept_all"]
