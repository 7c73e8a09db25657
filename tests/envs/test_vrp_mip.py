"""VehicleRouting's ORL-style order-acceptance MIP and the value-aware greedy: choices on hand-made states,
valid actions over episodes, the per-solve time limit, and the ranking against greedy_nearest."""

from __future__ import annotations

import time

import numpy as np
import pytest

import envs
from envs._vrp_mip import _Model
from envs.vehicle_routing import (
    GreedyNearestOrderPolicy,
    OrderAcceptanceMIPPolicy,
    ValueGreedyPolicy,
    VehicleRoutingEnv,
    VehicleRoutingVectorEnv,
)
from tests.envs.vrp_states import crowded_model, state_of

# Three order slots, two restaurants, no random orders: the tests place orders by hand.
QUIET = {"n_orders": 3, "order_prob": 0.0, "order_timeout_prob": 0.0}
N = QUIET["n_orders"]
ACCEPT, PICKUP, DELIVER = 1, 1 + N, 1 + 2 * N


def quiet_env(**overrides: object) -> VehicleRoutingEnv:
    env = VehicleRoutingEnv(**{**QUIET, **overrides})
    env.reset(seed=0)
    env._core.restaurants[0] = [[0, 0], [3, 3]]
    env._core.driver[0] = [0, 2]
    return env


def place_order(env: VehicleRoutingEnv, slot: int, customer, restaurant: int, value: float, status=1, elapsed=0):
    core = env._core
    core.orders[0, slot], core.restaurant_of[0, slot], core.value[0, slot] = customer, restaurant, value
    core.status[0, slot], core.elapsed[0, slot] = status, elapsed
    core.load[0] = int((core.status[0] == 3).sum())


def observe(env: VehicleRoutingEnv) -> np.ndarray:
    return env._core.observations()[0]


def solve_state(env: VehicleRoutingEnv, time_value: float = 0.7) -> tuple[list[int], list[tuple[str, int]], bool]:
    """The model of the env's state with every order a candidate, solved to optimality."""
    d = state_of(env)
    orders = np.flatnonzero(d["status"] > 0).tolist()
    solved = _Model(env.params, d, orders, time_value).solve(time_limit=30.0, gap=0.0)
    assert solved is not None and solved[2]
    return solved


@pytest.mark.parametrize(("value", "accepted"), [(4.7, False), (4.9, True)])
def test_mip_accepts_an_order_exactly_when_its_value_pays_for_the_route(value, accepted):
    # Driver (0, 2), restaurant 0 at (0, 0), customer (0, -3): 2 + 3 cells to serve, 3 back to restaurant 0.
    # Serving costs 0.1 a cell and 0.7 a step until the delivery (the accept, then 5 steps): 0.8 + 4.2 = 5.0;
    # not serving drives 2 cells to restaurant 0: 0.2. So the order pays iff value > 4.8.
    env = quiet_env()
    place_order(env, 0, customer=[0, -3], restaurant=0, value=value)
    accept, route, _ = solve_state(env)
    assert accept == ([0] if accepted else [])
    assert route == ([("P", 0), ("D", 0), ("R", 0)] if accepted else [("R", 0)])


def test_mip_route_respects_the_vehicle_capacity():
    # Two orders from restaurant 0 to customers straight below it: with two seats the route picks both up
    # first (0 -> 0 -> 2 -> 4 cells); with one seat it must deliver the first before the second pickup.
    for capacity, kinds in ((2, ["P", "P", "D", "D", "R"]), (1, ["P", "D", "P", "D", "R"])):
        env = quiet_env(driver_capacity=capacity)
        env._core.driver[0] = [0, 0]
        place_order(env, 0, customer=[0, -2], restaurant=0, value=10.0)
        place_order(env, 1, customer=[0, -4], restaurant=0, value=10.0)
        accept, route, _ = solve_state(env)
        assert sorted(accept) == [0, 1] and [kind for kind, _ in route] == kinds, (capacity, route)


def test_mip_route_meets_deadlines_before_distance():
    # Two carried orders: the nearer (3 cells up) has time; the farther (7 cells down) has 8 steps left, so the
    # route must deliver the far one first (7 steps, then 10 more up), not the near one first (3 + 10 = 13 > 8).
    env = quiet_env(order_promise=60)
    place_order(env, 0, customer=[0, 5], restaurant=0, value=5.0, status=3, elapsed=0)
    place_order(env, 1, customer=[0, -5], restaurant=0, value=5.0, status=3, elapsed=52)
    accept, route, _ = solve_state(env)
    assert accept == [] and route[:2] == [("D", 1), ("D", 0)]


def test_mip_accepts_a_valuable_order_then_picks_it_up_and_delivers_it_on_time():
    env = quiet_env()
    place_order(env, 1, customer=[-3, 2], restaurant=0, value=10.0)
    policy = OrderAcceptanceMIPPolicy(**QUIET)
    obs, total, delivered = observe(env), 0.0, 0
    actions = []
    for _ in range(15):
        action, _ = policy.predict(obs)
        actions.append(int(action))
        obs, reward, _, _, info = env.step(action)
        total, delivered = total + reward, delivered + info["orders_delivered"]
    assert actions[0] == ACCEPT + 1 and PICKUP + 1 in actions and DELIVER + 1 in actions
    assert delivered == 1 and total > 10.0 - 15 * 0.2


def test_mip_declines_orders_it_cannot_deliver_in_time_or_that_cost_more_than_they_pay():
    env = quiet_env(order_promise=20)
    place_order(env, 0, customer=[-5, -5], restaurant=1, value=12.0, elapsed=10)  # 6 + 18 cells, 10 steps left
    place_order(env, 1, customer=[5, 5], restaurant=0, value=0.5)  # 10 + 10 cells at 0.1 + time: not worth 0.5
    policy = OrderAcceptanceMIPPolicy(**QUIET, order_promise=20)
    action, _ = policy.predict(observe(env))
    assert action not in (ACCEPT, ACCEPT + 1)


def test_mip_serves_committed_orders_before_their_deadlines():
    env = quiet_env(order_promise=30, driver_capacity=2)
    place_order(env, 0, customer=[5, 2], restaurant=0, value=6.0, status=3, elapsed=20)  # 5 cells, 10 steps left
    place_order(env, 1, customer=[-5, -5], restaurant=1, value=6.0, status=2, elapsed=0)
    policy = OrderAcceptanceMIPPolicy(**QUIET, order_promise=30, driver_capacity=2)
    missed = delivered = 0
    obs = observe(env)
    for _ in range(28):
        obs, _, _, _, info = env.step(policy.predict(obs)[0])
        missed, delivered = missed + info["orders_missed"], delivered + info["orders_delivered"]
    assert missed == 0 and delivered == 2


def test_mip_plays_episodes_with_valid_actions_and_the_twin_alike():
    vec = VehicleRoutingVectorEnv(2, episode_length=50)
    policy = OrderAcceptanceMIPPolicy(episode_length=50)
    obs, _ = vec.reset(seed=4)
    starts = np.ones(2, bool)
    for _ in range(50):
        actions, _ = policy.predict(obs, episode_start=starts)
        assert vec.action_masks()[np.arange(2), actions].all()
        obs, _, _, truncated, info = vec.step(actions)
        assert not info.get("invalid_action", info.get("final_info", {}).get("invalid_action")).any()
        starts = truncated
    assert truncated.all() and policy.solves > 0


def test_mip_solve_stops_at_its_time_limit():
    model = crowded_model()
    start = time.perf_counter()
    solved = model.solve(time_limit=0.05, gap=1e-6)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.05 + 1.0, f"a 0.05 s solve took {elapsed:.2f} s"
    assert solved is None or not solved[2]  # stopped by the limit, not proven optimal


def test_value_greedy_accepts_the_most_valuable_order_worth_the_threshold():
    env = quiet_env()
    place_order(env, 0, customer=[1, 2], restaurant=0, value=5.9)
    place_order(env, 1, customer=[2, 2], restaurant=0, value=7.0)
    place_order(env, 2, customer=[-2, 2], restaurant=0, value=9.0)
    assert ValueGreedyPolicy(**QUIET).predict(observe(env))[0] == ACCEPT + 2
    assert GreedyNearestOrderPolicy(**QUIET).predict(observe(env))[0] == ACCEPT + 0  # the lowest slot
    env._core.status[0, 1:] = 0
    assert ValueGreedyPolicy(**QUIET).predict(observe(env))[0] != ACCEPT + 0  # 5.9 < 6: declined
    assert ValueGreedyPolicy(**QUIET, min_value=5.0).predict(observe(env))[0] == ACCEPT + 0


def mean_return(policy: object, seeds: range, steps: int) -> float:
    vec = VehicleRoutingVectorEnv(len(seeds), episode_length=steps)
    obs, _ = vec.reset(seed=seeds.start)
    total = np.zeros(len(seeds))
    for _ in range(steps):
        obs, reward, *_ = vec.step(policy.predict(obs)[0])
        total += reward
    return float(total.mean())


@pytest.mark.slow
def test_mip_is_at_least_as_good_as_value_greedy_and_both_beat_greedy_nearest_on_fixed_seeds():
    # Measured 2026-12-07 on the loaded 2-core machine (300 steps, seeds 0-2): greedy_nearest 16.4, 117.7, 63.2;
    # value_greedy 126.5, 187.7, 143.9; the MIP 138.0, 188.1, 160.9 (its solves stop at a wall-clock limit,
    # so its returns move a little with the machine's load).
    seeds, steps = range(3), 300
    greedy = mean_return(GreedyNearestOrderPolicy(), seeds, steps)
    value_greedy = mean_return(ValueGreedyPolicy(), seeds, steps)
    mip = mean_return(envs.baseline_policy("envs/VehicleRouting-v0", "order_acceptance_mip"), seeds, steps)
    assert value_greedy > greedy
    assert mip >= value_greedy
