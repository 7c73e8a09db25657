"""Newsvendor: the example's bookkeeping on a hand-computed transition, the base-stock level, bad parameters."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

from envs.newsvendor import BaseStockPolicy, NewsvendorEnv


def test_one_period_by_hand() -> None:
    env = NewsvendorEnv(lead_time=2)
    env.reset(seed=0)
    core = env._core
    core.costs[0] = (10.0, 4.0, 1.0, 2.0, 50.0)  # price, cost, holding, penalty, mean demand
    core.inventory[0] = (30.0, 20.0)
    core.demand[0, 0] = 25
    obs, reward, _, _, info = env.step(np.array([0.01], np.float32))  # order 20 units (0.01 * 2000)
    # sales 25 * 10 = 250; purchase 20 * 4 = 80; holding 5 * 1 = 5; no lost sales
    assert reward == pytest.approx(250 - 80 - 5, abs=1e-3)
    assert (info["sales"], info["overage"], info["underage"]) == (25, 5, 0)
    assert info["ordered"] == pytest.approx(20, abs=1e-4)  # float32 action
    # the pipeline moves one step: 20 arrive now (+5 left over), the new order arrives in 2 periods
    np.testing.assert_allclose(obs[:2], [25.0, 20.0])


def test_lost_sales_cost_the_goodwill_penalty() -> None:
    env = NewsvendorEnv(lead_time=1)
    env.reset(seed=0)
    env._core.costs[0] = (10.0, 4.0, 1.0, 2.0, 50.0)
    env._core.inventory[0] = (10.0,)
    env._core.demand[0, 0] = 25
    _, reward, _, _, info = env.step(np.array([0.0], np.float32))
    assert info["underage"] == 15 and reward == pytest.approx(10 * 10 - 2 * 15)


def test_base_stock_orders_up_to_the_critical_ratio_quantile() -> None:
    policy = BaseStockPolicy(lead_time=5)
    obs = np.array([100, 50, 0, 0, 0, 20.0, 8.0, 2.0, 4.0, 30.0], np.float32)
    ratio = (20 - 8 + 4) / (20 - 8 + 4 + 2)
    level = poisson.ppf(ratio, 30 * 6)
    action, _ = policy.predict(obs)
    assert action * 2000 == pytest.approx(level - 150, abs=1e-3)
    stocked = obs.copy()
    stocked[0] = 5000
    assert policy.predict(stocked)[0] == 0  # above the level: order nothing


def test_base_stock_beats_ordering_nothing_and_a_fixed_order() -> None:
    env, policy = NewsvendorEnv(), BaseStockPolicy()

    def mean_return(choose) -> float:
        returns = []
        for seed in range(20):
            obs, _ = env.reset(seed=seed)
            total, done = 0.0, False
            while not done:
                obs, reward, terminated, truncated, _ = env.step(choose(obs))
                total, done = total + reward, terminated or truncated
            returns.append(total)
        return float(np.mean(returns))

    base_stock = mean_return(lambda obs: policy.predict(obs)[0])
    assert base_stock > mean_return(lambda obs: np.zeros(1, np.float32))
    assert base_stock > mean_return(lambda obs: np.full(1, 0.05, np.float32))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lead_time": -1}, "lead_time must be an integer >= 0"),
        ({"discount": 1.5}, r"discount must be in \(0, 1\]"),
        ({"max_steps": 0}, "max_steps must be an integer >= 1"),
        ({"max_action": -5}, "max_action must be a finite number > 0"),
        ({"max_mean_demand": float("nan")}, "max_mean_demand"),
    ],
)
def test_bad_parameters_fail_at_construction(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NewsvendorEnv(**kwargs)
