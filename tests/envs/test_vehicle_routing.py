"""VehicleRouting: the published dynamics on hand-computed transitions, the twin, masks, baselines, parameters."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from scipy.stats import truncnorm
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import envs
from envs._vrp_draws import order_values
from envs.vehicle_routing import (
    BASELINES,
    GreedyNearestOrderPolicy,
    VehicleRoutingEnv,
    VehicleRoutingVectorEnv,
    decode_observation,
    make_params,
)

# Two order slots, two restaurants, no random orders: the tests place orders by hand.
QUIET = {"n_orders": 2, "order_prob": 0.0, "order_timeout_prob": 0.0}


def quiet_env(**overrides: object) -> VehicleRoutingEnv:
    env = VehicleRoutingEnv(**{**QUIET, **overrides})
    env.reset(seed=0)
    fleet = env._core
    fleet.restaurants[0] = [[0, 0], [3, 3]]
    fleet.driver[0] = [0, 2]
    return env


def place_order(env: VehicleRoutingEnv, slot: int, customer, restaurant: int, value: float, status=1, elapsed=0):
    fleet = env._core
    fleet.orders[0, slot] = customer
    fleet.restaurant_of[0, slot] = restaurant
    fleet.value[0, slot] = value
    fleet.status[0, slot] = status
    fleet.elapsed[0, slot] = elapsed
    fleet.load[0] = int((fleet.status[0] == 3).sum())


def fields(obs: np.ndarray, n_orders: int = 2) -> dict[str, np.ndarray]:
    return decode_observation(obs, n_orders, 2)


def test_registered_with_its_vector_twin():
    assert "envs/VehicleRouting-v0" in envs.ENV_IDS
    vec = gym.make_vec("envs/VehicleRouting-v0", num_envs=3, vectorization_mode="vector_entry_point")
    assert isinstance(vec, VehicleRoutingVectorEnv) and vec.num_envs == 3
    assert vec.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert list(BASELINES) == ["greedy_nearest", "value_greedy", "order_acceptance_mip", "accept_all_nearest"]
    assert isinstance(envs.baseline_policy("envs/VehicleRouting-v0", n_orders=4), GreedyNearestOrderPolicy)


def test_defaults_follow_the_sagemaker_example():
    env = VehicleRoutingEnv()
    p = env.params
    assert (p.n_restaurants, p.n_orders, p.driver_capacity, p.map_quad) == (2, 10, 4, (5, 5))
    assert (p.order_prob, p.order_promise, p.order_timeout_prob, p.episode_length) == (0.5, 60, 0.15, 1000)
    assert p.order_probs_per_zone == (0.1, 0.5, 0.3, 0.1)
    assert (p.penalty_per_timestep, p.penalty_per_move, p.order_miss_penalty) == (0.1, 0.1, 50.0)
    assert env.observation_space.shape == (2 * 2 + 4 + 6 * 10,) and env.observation_space.dtype == np.float32
    assert env.action_space.n == 1 + 3 * 10 + 2


def test_passes_gymnasium_and_sb3_env_checkers():
    with warnings.catch_warnings():
        # The capacity entry is a constant, as in the example's observation; the checkers warn about that.
        warnings.filterwarnings("ignore", message=".*maximum and minimum values are equal.*")
        gym_check_env(VehicleRoutingEnv(), skip_render_check=True)
        sb3_check_env(VehicleRoutingEnv(episode_length=50))


def test_seeded_reset_and_step_are_deterministic():
    def rollout(seed: int) -> tuple[np.ndarray, list[float]]:
        env, rng = VehicleRoutingEnv(episode_length=150), np.random.default_rng(1)
        obs, info = env.reset(seed=seed)
        observations, rewards = [obs], []
        for _ in range(150):
            obs, reward, *_, info = env.step(rng.choice(np.flatnonzero(info["action_mask"])))
            observations.append(obs)
            rewards.append(reward)
        return np.stack(observations), rewards

    a, b, c = rollout(3), rollout(3), rollout(4)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    assert not np.array_equal(a[0], c[0])


def test_accept_pickup_and_deliver_pay_a_third_each_minus_time_and_moves():
    env = quiet_env()
    place_order(env, 0, customer=[-2, 2], restaurant=0, value=6.0)
    accept, pickup, deliver = 1, 1 + 2, 1 + 2 * 2

    obs, reward, *_ = env.step(accept)
    assert reward == pytest.approx(-0.1 + 2.0)
    assert fields(obs)["status"][0] == 2 and fields(obs)["elapsed"][0] == 1

    obs, reward, *_ = env.step(pickup)  # (0, 2) -> (0, 1): one cell towards restaurant (0, 0)
    assert reward == pytest.approx(-0.2) and fields(obs)["driver"].tolist() == [0, 1]
    obs, reward, *_ = env.step(pickup)  # arrives and picks up
    assert reward == pytest.approx(-0.2 + 2.0)
    assert fields(obs)["status"][0] == 3 and fields(obs)["load"] == 1

    path = []
    for _ in range(3):  # x first on |dx| == |dy| (the example's vrp_action_go_from_a_to_b)
        obs, reward, *_ = env.step(deliver)
        path.append(fields(obs)["driver"].tolist())
        assert reward == pytest.approx(-0.2)
    assert path == [[-1, 0], [-1, 1], [-2, 1]]
    obs, reward, _, _, info = env.step(deliver)
    assert reward == pytest.approx(-0.2 + 2.0)
    assert info["orders_delivered"] == 1 and fields(obs)["status"][0] == 0 and fields(obs)["load"] == 0
    assert fields(obs)["value"][0] == 0 and fields(obs)["restaurant_of"][0] == -1


def test_expired_orders_pay_the_miss_penalty_and_return_the_thirds():
    env = quiet_env(order_promise=10)
    place_order(env, 0, customer=[-2, 2], restaurant=0, value=6.0, status=2, elapsed=8)
    place_order(env, 1, customer=[4, 4], restaurant=1, value=3.0, status=3, elapsed=9)
    obs, reward, _, _, info = env.step(0)  # order 1 reaches the promise: -50 and its 2/3 taken back
    assert reward == pytest.approx(-0.1 - 50.0 - 2.0)
    assert info["orders_missed"] == 1 and fields(obs)["load"] == 0 and fields(obs)["status"].tolist() == [2, 0]
    obs, reward, _, _, info = env.step(0)  # order 0 (accepted only): -50 and its 1/3 taken back
    assert reward == pytest.approx(-0.1 - 50.0 - 2.0)
    assert fields(obs)["status"].tolist() == [0, 0]


def test_open_orders_expire_without_penalty():
    env = quiet_env(order_promise=10)
    place_order(env, 0, customer=[-2, 2], restaurant=0, value=6.0, status=1, elapsed=9)
    obs, reward, _, _, info = env.step(0)
    assert reward == pytest.approx(-0.1) and info["orders_missed"] == 0 and fields(obs)["status"][0] == 0


def test_mask_blocks_pickup_at_capacity_and_invalid_actions_are_waits():
    env = quiet_env(driver_capacity=1)
    place_order(env, 0, customer=[-2, 2], restaurant=0, value=6.0, status=3)
    place_order(env, 1, customer=[4, 4], restaurant=1, value=3.0, status=2)
    mask = env.action_masks()
    # wait | accept 0, 1 | pickup 0, 1 | deliver 0, 1 | restaurant 0, 1
    assert mask.tolist() == [True, False, False, False, False, True, False, True, True]
    obs_before = env._core.observations()[0]
    obs, reward, _, _, info = env.step(4)  # pick up order 1 with a full vehicle
    assert info["invalid_action"] and reward == pytest.approx(-0.1)
    assert fields(obs)["driver"].tolist() == fields(obs_before)["driver"].tolist()
    np.testing.assert_array_equal(info["action_mask"], env.action_masks())


def test_orders_follow_the_zone_distribution():
    params = {"order_prob": 1.0, "order_timeout_prob": 1.0, "episode_length": 200}
    vec = VehicleRoutingVectorEnv(16, **params)
    obs, _ = vec.reset(seed=0)
    zone_of_column = np.concatenate([np.full(len(c), z) for z, c in enumerate(vec.params.zone_columns())])
    counts, low, high = np.zeros(4), np.array(vec.params.order_reward_min), np.array(vec.params.order_reward_max)
    for _ in range(199):  # every open order is taken by another driver, so each slot holds a fresh order
        obs, *_ = vec.step(np.zeros(16, np.int64))
        d = decode_observation(obs, 10, 2)
        assert (d["status"] == 1).all() and (d["elapsed"] == 0).all()
        zone = zone_of_column[d["orders"][..., 0] + 5]
        counts += np.bincount(zone.ravel(), minlength=4)
        assert ((d["value"] >= low[zone] - 1e-5) & (d["value"] <= high[zone] + 1e-5)).all()
        on_restaurant = (d["orders"][:, :, None, :] == d["restaurants"][:, None, :, :]).all(-1).any(-1)
        assert not on_restaurant.any()
    np.testing.assert_allclose(counts / counts.sum(), vec.params.order_probs_per_zone, atol=0.01)


def run_side_by_side(num_envs: int, seed: int, steps: int, **params: object) -> int:
    """Step the twin and ``num_envs`` scalar envs with the same masked random actions; return episodes seen."""
    vec = VehicleRoutingVectorEnv(num_envs, **params)
    scalars = [VehicleRoutingEnv(**params) for _ in range(num_envs)]
    obs, info = vec.reset(seed=seed)
    for i, env in enumerate(scalars):
        o, inf = env.reset(seed=seed + i)
        np.testing.assert_array_equal(obs[i], o)
        np.testing.assert_array_equal(info["action_mask"][i], inf["action_mask"])
    rng, episodes = np.random.default_rng(seed), 0
    for _ in range(steps):
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in vec.action_masks()])
        obs, rewards, terminated, truncated, infos = vec.step(actions)
        for i, env in enumerate(scalars):
            o, r, te, tr, inf = env.step(actions[i])
            assert rewards[i] == pytest.approx(r, abs=1e-12) and terminated[i] == te and truncated[i] == tr
            if te or tr:
                episodes += 1
                np.testing.assert_array_equal(infos["final_obs"][i], o)
                assert infos["final_info"]["orders_delivered"][i] == inf["orders_delivered"]
                o, inf = env.reset()
            np.testing.assert_array_equal(obs[i], o)
            np.testing.assert_array_equal(infos["action_mask"][i], inf["action_mask"])
    return episodes


def test_vector_twin_equals_scalar_envs_across_autoresets():
    assert run_side_by_side(4, seed=11, steps=130, episode_length=25) == 4 * 5


def test_vector_twin_equals_scalar_envs_across_random_blocks():
    # Episodes longer than the 100-step blocks of pre-drawn randomness, so refills happen mid-episode.
    assert run_side_by_side(2, seed=5, steps=260, episode_length=120, n_orders=4, order_prob=0.8) == 2 * 2


def test_vector_twin_equals_scalar_envs_with_wide_integer_state():
    # A map too wide for int8 events and a capacity too large for an int16 state take the int64 fallbacks.
    one_zone = {
        "num_zones": 1,
        "order_probs_per_zone": (1,),
        "order_reward_min": (1,),
        "order_reward_max": (2,),
        "half_norm_scale_reward_per_zone": (1,),
    }
    wide = {"map_quad": (200, 1), "driver_capacity": 40_000, **one_zone}
    assert run_side_by_side(2, seed=3, steps=90, episode_length=40, **wide) == 2 * 2
    vec = VehicleRoutingVectorEnv(2, order_prob=1.0, **wide)
    vec.reset(seed=0)
    obs, *_ = vec.step(np.zeros(2, np.int64))
    assert np.abs(decode_observation(obs, 10, 2)["orders"][..., 0]).max() > 127


def test_sub_envs_out_of_step_equal_scalar_envs():
    # A twin's sub-envs normally share a clock. Reset one alone (as the twin's core allows) so that blocks are
    # refilled and episodes end at different steps in different sub-envs.
    params = {"episode_length": 130, "n_orders": 4, "order_prob": 0.8}
    vec = VehicleRoutingVectorEnv(3, **params)
    scalars = [VehicleRoutingEnv(**params) for _ in range(3)]
    vec.reset(seed=1)
    for i, env in enumerate(scalars):
        env.reset(seed=1 + i)
    rng, ended = np.random.default_rng(0), []
    for t in range(300):
        if t == 40:
            vec._rngs[1] = np.random.default_rng(9)
            vec._core.reset_rows(np.array([1]), [vec._rngs[1]])
            scalars[1].np_random = np.random.default_rng(9)
            scalars[1].reset()
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in vec.action_masks()])
        obs, rewards, _, truncated, infos = vec.step(actions)
        for i, env in enumerate(scalars):
            o, r, _, tr, inf = env.step(actions[i])
            assert rewards[i] == r and truncated[i] == tr
            if tr:
                ended.append((t, i))
                np.testing.assert_array_equal(infos["final_obs"][i], o)
                o, inf = env.reset()
            np.testing.assert_array_equal(obs[i], o)
            np.testing.assert_array_equal(infos["action_mask"][i], inf["action_mask"])
    assert ended == [(129, 0), (129, 2), (169, 1), (259, 0), (259, 2), (299, 1)]


def two_zones(low: tuple, high: tuple, scale: tuple) -> dict:
    return {
        "num_zones": 2,
        "order_probs_per_zone": (0.3, 0.7),
        "order_reward_min": low,
        "order_reward_max": high,
        "half_norm_scale_reward_per_zone": scale,
    }


# The last has loc 0 and scale 1: the values are the standard quantiles, every bit of them visible.
@pytest.mark.parametrize("params", [{}, two_zones((1, 2), (40, 2.5), (3, 0.1)), two_zones((0, 0), (5, 0.2), (1, 1))])
def test_order_values_follow_each_zones_truncated_half_normal(params: dict):
    p = make_params(**params)
    rng = np.random.default_rng(0)
    u = rng.random(200_000)
    zone = rng.integers(p.num_zones, size=len(u))
    values = order_values(p, u, zone)
    for z in range(p.num_zones):
        lo, hi, scale = p.order_reward_min[z], p.order_reward_max[z], p.half_norm_scale_reward_per_zone[z]
        mine = values[zone == z]
        assert lo <= mine.min() and mine.max() <= hi
        law = truncnorm(0.0, (hi - lo) / scale, loc=lo, scale=scale)
        assert mine.mean() == pytest.approx(law.mean(), abs=4 * law.std() / np.sqrt(len(mine)))


def assert_same_tree(a: object, b: object) -> None:
    if isinstance(a, dict):
        assert set(a) == set(b)
        for key in a:
            assert_same_tree(a[key], b[key])
    elif isinstance(a, tuple) or (isinstance(a, np.ndarray) and a.dtype == object):
        for x, y in zip(a, b, strict=True):
            assert_same_tree(x, y)
    elif a is None:
        assert b is None
    else:
        np.testing.assert_array_equal(a, b)
        assert np.asarray(a).dtype == np.asarray(b).dtype


def test_vector_twin_matches_gymnasium_sync_vector_env_including_infos():
    params = {"episode_length": 7, "n_orders": 3, "order_prob": 0.7}
    twin = VehicleRoutingVectorEnv(3, **params)
    sync = SyncVectorEnv([lambda: VehicleRoutingEnv(**params)] * 3, autoreset_mode=AutoresetMode.SAME_STEP)
    assert_same_tree(twin.reset(seed=2), sync.reset(seed=2))
    rng = np.random.default_rng(0)
    for _ in range(16):
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in twin.action_masks()])
        assert_same_tree(twin.step(actions), sync.step(actions))


def test_reset_without_seed_continues_each_sub_env_stream():
    vec, env = VehicleRoutingVectorEnv(2, episode_length=5), VehicleRoutingEnv(episode_length=5)
    vec.reset(seed=3)
    env.reset(seed=3)
    np.testing.assert_array_equal(vec.reset()[0][0], env.reset()[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"driver_capacity": -1}, r"driver_capacity must be an integer >= 1, got -1"),
        ({"n_orders": 2.5}, r"n_orders must be an integer >= 1, got 2.5"),
        ({"order_prob": 1.5}, r"order_prob must be a number in \[0.0, 1.0\], got 1.5"),
        ({"order_probs_per_zone": ()}, r"order_probs_per_zone must have num_zones=4 entries, got 0"),
        ({"order_probs_per_zone": (0.5, 0.5, 0.5, 0.5)}, r"order_probs_per_zone must sum to 1"),
        ({"order_reward_max": (12, 8, 5)}, r"order_reward_max must have num_zones=4 entries, got 3"),
        ({"order_reward_min": (8, 5, 6, 1)}, r"order_reward_max\[2\] must exceed order_reward_min\[2\]=6.0"),
        ({"map_quad": (5,)}, r"map_quad must be a pair \(half_width, half_height\)"),
        ({"map_quad": (1, 0), "num_zones": 4}, r"num_zones must be <= the map width"),
        ({"n_restaurants": 40}, r"n_restaurants must be < 22 \(cells in the smallest zone"),
    ],
)
def test_bad_parameters_fail_at_construction(kwargs: dict, message: str):
    with pytest.raises(ValueError, match=message):
        VehicleRoutingEnv(**kwargs)
    with pytest.raises(ValueError, match=message):
        VehicleRoutingVectorEnv(2, **kwargs)


def test_unknown_parameters_are_rejected():
    with pytest.raises(TypeError, match=r"unknown VehicleRouting parameter\(s\) \['capacity'\]"):
        VehicleRoutingVectorEnv(2, capacity=3)
    with pytest.raises(TypeError, match="capacity"):
        VehicleRoutingEnv(capacity=3)


def test_bad_actions_are_rejected():
    env, vec = VehicleRoutingEnv(), VehicleRoutingVectorEnv(2)
    env.reset(seed=0)
    vec.reset(seed=0)
    with pytest.raises(ValueError, match=r"action 33 is not in the action space Discrete\(33\)"):
        env.step(33)
    with pytest.raises(ValueError, match=r"actions must lie in MultiDiscrete\(\[33 33\]\), got shape \(3,\)"):
        vec.step(np.zeros(3, np.int64))
    with pytest.raises(ValueError, match=r"actions must lie in MultiDiscrete"):
        vec.step(np.array([0, 33]))
