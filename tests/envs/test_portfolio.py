"""Portfolio: Jiang's value bookkeeping on hand-made prices, the price model, the baseline, the vector twin."""

from __future__ import annotations

import bisect
import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from scipy.special import softmax

import envs  # noqa: F401  (registers the environments)
from envs._portfolio_prices import _PriceModel, draw_prices
from envs.portfolio import (
    EqualWeightPolicy,
    PortfolioEnv,
    PortfolioParams,
    PortfolioVectorEnv,
    _holdings_sum,
    make_params,
)

ENV_ID = "envs/Portfolio-v0"


def scripted_env(prices: list[list[float]], **kwargs) -> PortfolioEnv:
    """An env whose episode runs on the given closing prices (days x assets)."""
    env = PortfolioEnv(n_assets=len(prices[0]), **kwargs)
    env.reset(seed=0)
    env._core.prices[:, 0] = np.asarray(prices, dtype=float)
    return env


def logits_for(weights: list[float], scale: float = 10.0) -> np.ndarray:
    """Actions in [-1, 1] whose softmax is ``weights`` (all weights > 0, within a factor exp(2 * scale))."""
    logits = np.log(weights) / scale
    return (logits - logits.max() + 1).astype(np.float32)


def test_value_and_reward_follow_jiangs_bookkeeping_on_hand_made_prices() -> None:
    prices = [[10.0, 20.0], [10.0, 20.0], [11.0, 18.0], [11.0, 27.0]]  # window 2, then 2 steps
    env = scripted_env(prices, window_length=2, steps=2, trading_cost=0.01)
    w1 = np.array([0.2, 0.5, 0.3])
    obs, reward, terminated, truncated, info = env.step(logits_for(w1))
    # from all cash: turnover |0.2 - 1| + 0.5 + 0.3 = 1.6, cost 1.6%; prices move by (1, 1.1, 0.9)
    growth = (1 - 0.016) * (0.2 + 0.5 * 1.1 + 0.3 * 0.9)
    assert info["cost"] == pytest.approx(0.016, rel=1e-5)
    assert info["portfolio_value"] == pytest.approx(growth, rel=1e-5)
    assert reward == pytest.approx(1000 / 2 * math.log(growth), rel=1e-4)
    drifted = w1 * [1, 1.1, 0.9] / (w1 @ [1, 1.1, 0.9])
    np.testing.assert_allclose(obs[-3:], drifted, rtol=1e-5)
    np.testing.assert_allclose(obs[:4], [10 / 11, 1, 20 / 18, 1], rtol=1e-6)  # windows / today's close
    assert not terminated and not truncated
    # keep the drifted weights: no turnover, no cost; the second asset gains 50%
    _, reward, _, truncated, info = env.step(logits_for(list(drifted)))
    assert info["cost"] == pytest.approx(0.0, abs=1e-5)
    second = drifted @ [1, 1, 1.5]
    assert info["portfolio_value"] == pytest.approx(growth * second, rel=1e-4)
    assert reward == pytest.approx(500 * math.log(second), rel=1e-3) and truncated


def weights_from_actions(actions: np.ndarray, action_scale: float) -> np.ndarray:
    """The env's portfolio weights for ``actions``: softmax(action_scale * a) over holdings (cash first)."""
    return softmax(action_scale * np.asarray(actions, np.float64), axis=-1)


def test_softmax_actions_give_valid_portfolios() -> None:
    env = PortfolioEnv(n_assets=2, steps=3)
    env.reset(seed=0)
    for action in ([0.0, 0.0, 0.0], [1.0, -1.0, -1.0]):
        obs, *_ = env.step(np.array(action, np.float32))
        assert obs[-3:].sum() == pytest.approx(1.0, abs=1e-6) and (obs[-3:] >= 0).all()
    weights = weights_from_actions(np.array([1.0, -1.0, -1.0]), 10.0)
    assert weights[0] > 1 - 1e-8  # logits within [-1, 1] at scale 10 can still put all in cash


def test_equal_weight_baseline_holds_every_asset_equally() -> None:
    env = PortfolioEnv(n_assets=4, steps=5)
    policy = EqualWeightPolicy(n_assets=4, steps=5, unrelated_kwarg=1)
    obs, _ = env.reset(seed=2)
    action, state = policy.predict(obs)
    np.testing.assert_allclose(weights_from_actions(action, 10.0), [0, 0.25, 0.25, 0.25, 0.25], atol=1e-8)
    actions, _ = policy.predict(np.stack([obs, obs]))
    assert actions.shape == (2, 5) and state is None
    with pytest.raises(ValueError, match="shape"):
        policy.predict(np.zeros(3))


def test_price_model_has_the_configured_correlation_and_drift() -> None:
    p = make_params(
        n_assets=4,
        steps=20_000,
        regime_drift=(0.001,),
        regime_volatility=(1.0,),
        regime_transition=((1.0,),),
        asset_volatility=(0.02, 0.02),
        asset_drift_sigma=0.0,
        correlation=0.6,
    )
    prices = draw_prices(np.random.default_rng(0), p)
    assert prices.shape == (p.days, 4) and (prices[0] == 1).all()
    log_returns = np.diff(np.log(prices), axis=0)
    corr = np.corrcoef(log_returns.T)[np.triu_indices(4, 1)]
    np.testing.assert_allclose(corr, 0.6, atol=0.03)
    np.testing.assert_allclose(log_returns.mean(axis=0), 0.001 - 0.02**2 / 2, atol=0.0004)
    np.testing.assert_allclose(log_returns.std(axis=0), 0.02, rtol=0.03)


def test_persistent_regimes_cluster_volatility() -> None:
    def abs_return_autocorrelation(**regimes) -> tuple[float, float]:
        p = make_params(n_assets=1, steps=40_000, asset_drift_sigma=0.0, asset_volatility=(0.01, 0.01), **regimes)
        r = np.diff(np.log(draw_prices(np.random.default_rng(1), p)), axis=0)[:, 0]
        kurtosis = np.mean((r - r.mean()) ** 4) / r.var() ** 2
        return float(np.corrcoef(np.abs(r[1:]), np.abs(r[:-1]))[0, 1]), float(kurtosis)

    # default bull/bear chain: calm and volatile stretches (fat tails, |return| autocorrelated)
    clustered, kurtosis = abs_return_autocorrelation()
    assert clustered > 0.05 and kurtosis > 3.5
    # one regime: plain geometric Brownian motion
    plain, kurtosis = abs_return_autocorrelation(
        regime_drift=(0.0,), regime_volatility=(1.0,), regime_transition=((1.0,),)
    )
    assert abs(plain) < 0.02 and abs(kurtosis - 3) < 0.15


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"regime_transition": ((0.9, 0.2), (0.5, 0.5))}, ["regime_transition", "sum to 1"]),
        ({"regime_transition": ((1.0,),)}, ["regime_transition", "2x2"]),
        ({"regime_volatility": (1.0, -2.0)}, ["regime_volatility", "-2.0"]),
        ({"regime_drift": ()}, ["regime_drift", "non-empty"]),
        ({"trading_cost": -0.1}, ["trading_cost", "-0.1"]),
        ({"trading_cost": 0.7}, ["trading_cost", "0.5"]),
        ({"correlation": 1.0}, ["correlation", "[0, 1)"]),
        ({"asset_volatility": (0.03, 0.01)}, ["asset_volatility", "low <= high"]),
        ({"n_assets": 0}, ["n_assets", "0"]),
        ({"window": 5}, ["window", "expected"]),
    ],
)
def test_bad_parameters_fail_at_construction(kwargs: dict, words: list[str]) -> None:
    with pytest.raises((ValueError, TypeError)) as error:  # TypeError for an unknown name
        gym.make(ENV_ID, **kwargs)
    assert all(word in str(error.value) for word in words)


def test_vector_twin_equals_scalar_envs_across_autoresets() -> None:
    kwargs, num = {"steps": 6, "n_assets": 3}, 4
    twin = gym.make_vec(ENV_ID, num_envs=num, vectorization_mode="vector_entry_point", **kwargs)
    reference = SyncVectorEnv(
        [lambda: PortfolioEnv(**kwargs) for _ in range(num)], autoreset_mode=AutoresetMode.SAME_STEP
    )
    np.testing.assert_array_equal(twin.reset(seed=5)[0], reference.reset(seed=5)[0])
    twin.action_space.seed(0)
    for _ in range(20):
        actions = twin.action_space.sample()
        out_twin, out_ref = twin.step(actions), reference.step(actions)
        for a, b in zip(out_twin[:4], out_ref[:4], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_observations_of_sub_envs_at_different_days() -> None:
    venv = gym.make_vec(ENV_ID, num_envs=3, vectorization_mode="vector_entry_point", steps=8, n_assets=2)
    venv.reset(seed=0)
    core = venv.unwrapped._core
    core.t[:] = [0, 2, 5]  # out of step: the general gather, not the in-step slice
    mixed = core.observations()
    for row, day in enumerate([0, 2, 5]):
        core.t[:] = day
        np.testing.assert_array_equal(mixed[row], core.observations()[row])


def plain_draw_prices(rng: np.random.Generator, p: PortfolioParams) -> np.ndarray:
    """The price model of draw_prices' docstring, written plainly, one day at a time (the reference)."""
    transition = np.asarray(p.regime_transition)
    stationary = np.full(len(transition), 1 / len(transition)) @ np.linalg.matrix_power(transition, 1000)
    cumulative = np.cumsum(transition, axis=1).tolist()
    n_days = p.days - 1
    regimes = [0] * n_days
    state = int(rng.choice(len(transition), p=stationary / stationary.sum()))
    for day, u in enumerate(rng.random(n_days).tolist()):
        regimes[day] = state
        state = min(bisect.bisect_right(cumulative[state], u), len(transition) - 1)
    sigma = rng.uniform(*p.asset_volatility, size=p.n_assets)
    alpha = rng.normal(0.0, p.asset_drift_sigma, size=p.n_assets) if p.asset_drift_sigma > 0 else np.zeros(p.n_assets)
    market = rng.standard_normal((n_days, 1))
    shocks = math.sqrt(p.correlation) * market + math.sqrt(1 - p.correlation) * rng.standard_normal(
        (n_days, p.n_assets)
    )
    vol = sigma * np.asarray(p.regime_volatility)[regimes][:, None]
    log_returns = np.asarray(p.regime_drift)[regimes][:, None] + alpha - vol**2 / 2 + vol * shocks
    return np.exp(np.concatenate([np.zeros((1, p.n_assets)), np.cumsum(log_returns, axis=0)]))


PRICE_MODELS = [
    {},
    {"n_assets": 3, "steps": 50, "asset_drift_sigma": 0.0, "correlation": 0.0},
    {
        "n_assets": 2,
        "steps": 60,
        "regime_drift": (0.001, 0.0, -0.002),
        "regime_volatility": (1.0, 1.5, 3.0),
        "regime_transition": ((0.9, 0.05, 0.05), (0.1, 0.8, 0.1), (0.3, 0.3, 0.4)),
    },
    {"n_assets": 4, "steps": 30, "regime_drift": (0.0,), "regime_volatility": (1.0,), "regime_transition": ((1.0,),)},
]


@pytest.mark.parametrize("kwargs", PRICE_MODELS)
def test_batched_price_paths_equal_the_plain_model_bit_for_bit(kwargs: dict) -> None:
    p = make_params(**kwargs)
    for seed in range(3):
        expected = plain_draw_prices(np.random.default_rng(seed), p)
        np.testing.assert_array_equal(draw_prices(np.random.default_rng(seed), p), expected)
    # many paths at once (the vectorized regime chain, several chunks) leave each generator where one draw does
    plain_rngs, batch_rngs = ([np.random.default_rng(100 + i) for i in range(70)] for _ in range(2))
    expected = np.stack([plain_draw_prices(rng, p) for rng in plain_rngs], axis=1)
    drawn = np.empty_like(expected)
    for start, log_prices in _PriceModel(p, 32).draw(batch_rngs):
        drawn[:, start : start + log_prices.shape[1]] = np.exp(log_prices)
    np.testing.assert_array_equal(drawn, expected)
    assert [rng.random() for rng in batch_rngs] == [rng.random() for rng in plain_rngs]


@pytest.mark.parametrize("envs_count", [3, 64, 1024])
def test_holdings_sum_of_a_batch_equals_each_env_summed_alone(envs_count: int) -> None:
    # one code path for the scalar env (a batch of one) and the twin: a sum must not depend on the batch size
    rng = np.random.default_rng(0)
    for holdings in [1, 2, 7, 8, 9, 17, 33, 129]:
        x = rng.standard_normal((holdings, envs_count)) * 10.0 ** rng.uniform(-8, 8, (holdings, envs_count))
        alone = np.concatenate([_holdings_sum(np.ascontiguousarray(x[:, i : i + 1])) for i in range(envs_count)])
        np.testing.assert_array_equal(_holdings_sum(x), alone, err_msg=f"{holdings} holdings")
        np.testing.assert_allclose(_holdings_sum(x), x.sum(axis=0), rtol=1e-12, atol=1e-300)


def test_wide_vector_twin_equals_scalar_envs_exactly() -> None:
    # 70 envs take the wide paths (vectorized regime chain, chunked draws, slab-wise sums and observations)
    kwargs, num = {"steps": 5, "n_assets": 9}, 70
    twin = PortfolioVectorEnv(num, **kwargs)
    reference = SyncVectorEnv(
        [lambda: PortfolioEnv(**kwargs) for _ in range(num)], autoreset_mode=AutoresetMode.SAME_STEP
    )
    np.testing.assert_array_equal(twin.reset(seed=1)[0], reference.reset(seed=1)[0])
    twin.action_space.seed(2)
    for _ in range(12):
        actions = twin.action_space.sample()
        out_twin, out_ref = twin.step(actions), reference.step(actions)
        for a, b in zip(out_twin[:4], out_ref[:4], strict=True):
            np.testing.assert_array_equal(a, b)
        for key in ("portfolio_value", "log_return", "cost", "market_return"):
            np.testing.assert_array_equal(out_twin[4].get(key, 0), out_ref[4].get(key, 0))
