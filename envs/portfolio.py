"""Portfolio management on seeded synthetic prices (Jiang et al. 2017; SageMaker example rl_portfolio_management_coach_customEnv)."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from gymnasium import spaces

from envs._twin import ScalarTwinEnv, VectorTwinEnv, positive_int, positive_real


@dataclass(frozen=True)
class PortfolioParams:
    """Validated parameters (see :class:`PortfolioEnv`). Price-model figures are per trading day."""

    n_assets: int = 16
    steps: int = 730
    window_length: int = 7
    trading_cost: float = 0.0025
    time_cost: float = 0.0
    action_scale: float = 10.0
    regime_drift: tuple[float, ...] = (0.0008, -0.0015)
    regime_volatility: tuple[float, ...] = (1.0, 2.0)
    regime_transition: tuple[tuple[float, ...], ...] = ((0.99, 0.01), (0.04, 0.96))
    asset_volatility: tuple[float, float] = (0.01, 0.03)
    asset_drift_sigma: float = 0.0003
    correlation: float = 0.4

    @property
    def days(self) -> int:
        """Closing prices per episode: the first window, then one more day per step."""
        return self.window_length + self.steps


def _vector(name: str, value: Any) -> tuple[float, ...]:
    array = np.asarray(value, dtype=float) if not isinstance(value, str) else np.array([np.nan])
    if array.ndim != 1 or array.size == 0 or not np.isfinite(array).all():
        raise ValueError(f"{name} must be a non-empty sequence of finite numbers, got {value!r}")
    return tuple(array.tolist())


def make_params(**kwargs: Any) -> PortfolioParams:
    """Check the parameters once, for the scalar env, its twin and the baseline alike."""
    names = [f.name for f in fields(PortfolioParams)]
    unknown = sorted(set(kwargs) - set(names))
    if unknown:
        raise ValueError(f"unknown Portfolio parameter(s) {unknown}; expected some of {names}")
    p = {**PortfolioParams().__dict__, **kwargs}
    trading_cost = positive_real("trading_cost", p["trading_cost"], strict=False)
    if trading_cost >= 0.5:
        # the cost of a rebalance is at most 2 * trading_cost of the portfolio; it must stay below all of it
        raise ValueError(f"trading_cost must be in [0, 0.5), got {p['trading_cost']!r}")
    time_cost = positive_real("time_cost", p["time_cost"], strict=False)
    if time_cost >= 1:
        raise ValueError(f"time_cost must be in [0, 1), got {p['time_cost']!r}")
    drift, volatility = _vector("regime_drift", p["regime_drift"]), _vector("regime_volatility", p["regime_volatility"])
    if len(volatility) != len(drift) or min(volatility) <= 0:
        raise ValueError(f"regime_volatility must hold {len(drift)} positive numbers (one per regime), got {p['regime_volatility']!r}")
    try:
        transition = np.asarray(p["regime_transition"], dtype=float)
    except (TypeError, ValueError):
        transition = np.full((0,), np.nan)
    if transition.shape != (len(drift), len(drift)) or (transition < 0).any() or not np.allclose(transition.sum(1), 1):
        raise ValueError(
            f"regime_transition must be a {len(drift)}x{len(drift)} matrix of probabilities whose rows sum to 1, "
            f"got {p['regime_transition']!r}"
        )
    vol = _vector("asset_volatility", p["asset_volatility"])
    if len(vol) != 2 or not 0 < vol[0] <= vol[1]:
        raise ValueError(f"asset_volatility must be a range (low, high) with 0 < low <= high, got {p['asset_volatility']!r}")
    correlation = positive_real("correlation", p["correlation"], strict=False)
    if correlation >= 1:
        raise ValueError(f"correlation must be in [0, 1), got {p['correlation']!r}")
    return PortfolioParams(
        n_assets=positive_int("n_assets", p["n_assets"]),
        steps=positive_int("steps", p["steps"]),
        window_length=positive_int("window_length", p["window_length"]),
        trading_cost=trading_cost,
        time_cost=time_cost,
        action_scale=positive_real("action_scale", p["action_scale"]),
        regime_drift=drift,
        regime_volatility=volatility,
        regime_transition=tuple(tuple(row) for row in transition.tolist()),
        asset_volatility=(vol[0], vol[1]),
        asset_drift_sigma=positive_real("asset_drift_sigma", p["asset_drift_sigma"], strict=False),
        correlation=correlation,
    )


def params_from(env_kwargs: dict[str, Any]) -> PortfolioParams:
    """The env's parameters from the kwargs it was built with, ignoring keys that are not env parameters."""
    names = {f.name for f in fields(PortfolioParams)}
    return make_params(**{k: v for k, v in env_kwargs.items() if k in names})


def observation_space(p: PortfolioParams) -> spaces.Box:
    """Normalized price windows (>= 0, unbounded above), then portfolio weights in [0, 1]."""
    prices = p.n_assets * p.window_length
    high = np.concatenate([np.full(prices, np.inf), np.ones(p.n_assets + 1)]).astype(np.float32)
    return spaces.Box(np.zeros_like(high), high, dtype=np.float32)


def action_space(p: PortfolioParams) -> spaces.Box:
    """One logit per holding (cash first), in [-1, 1]."""
    return spaces.Box(-1.0, 1.0, shape=(p.n_assets + 1,), dtype=np.float32)


def weights_from_actions(actions: np.ndarray, action_scale: float) -> np.ndarray:
    """Portfolio weights ``softmax(action_scale * a)`` over the last axis (cash first)."""
    logits = action_scale * np.asarray(actions, dtype=np.float64)
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def draw_prices(rng: np.random.Generator, p: PortfolioParams) -> np.ndarray:
    """Closing prices ``(days, n_assets)`` of one episode, starting at 1, from the regime-switching model.

    A Markov chain of market regimes (started in its stationary law) sets each day's drift ``mu_s`` and
    volatility multiplier ``k_s``; asset i has daily volatility ``sigma_i ~ U(asset_volatility)`` and
    excess drift ``alpha_i ~ N(0, asset_drift_sigma)`` for the episode; shocks have pairwise correlation
    ``correlation`` through one market factor. Daily log return:
    ``mu_s + alpha_i - (sigma_i k_s)^2 / 2 + sigma_i k_s (sqrt(rho) m_t + sqrt(1 - rho) e_ti)``.
    """
    transition = np.asarray(p.regime_transition)
    stationary = np.full(len(transition), 1 / len(transition)) @ np.linalg.matrix_power(transition, 1000)
    cumulative = np.cumsum(transition, axis=1).tolist()
    n_days, last = p.days - 1, len(transition) - 1
    regimes = [0] * n_days
    state = int(rng.choice(len(transition), p=stationary / stationary.sum()))
    # a sequential chain; plain Python floats keep this loop ~10x faster than NumPy scalars
    for day, u in enumerate(rng.random(n_days).tolist()):
        regimes[day] = state
        state = min(bisect.bisect_right(cumulative[state], u), last)
    sigma = rng.uniform(*p.asset_volatility, size=p.n_assets)
    alpha = rng.normal(0.0, p.asset_drift_sigma, size=p.n_assets) if p.asset_drift_sigma > 0 else np.zeros(p.n_assets)
    market = rng.standard_normal((n_days, 1))
    shocks = math.sqrt(p.correlation) * market + math.sqrt(1 - p.correlation) * rng.standard_normal((n_days, p.n_assets))
    vol = sigma * np.asarray(p.regime_volatility)[regimes][:, None]
    log_returns = np.asarray(p.regime_drift)[regimes][:, None] + alpha - vol**2 / 2 + vol * shocks
    return np.exp(np.concatenate([np.zeros((1, p.n_assets)), np.cumsum(log_returns, axis=0)]))


class _Books:
    """Price paths, portfolio weights and values of N sub-envs."""

    def __init__(self, p: PortfolioParams, num: int) -> None:
        self.p = p
        # float32 halves the memory traffic of building observations (1024 envs x 737 days x 16 assets)
        self.prices = np.zeros((num, p.days, p.n_assets), np.float32)
        self.weights = np.zeros((num, p.n_assets + 1))  # after the last day's price move
        self.value = np.ones(num)
        self.t = np.zeros(num, np.int64)
        self._rows = np.arange(num)
        self._window = np.arange(p.window_length)

    def reset_rows(self, rows: np.ndarray, rngs: list[np.random.Generator]) -> None:
        for row, rng in zip(rows, rngs, strict=True):
            self.prices[row] = draw_prices(rng, self.p)
        self.weights[rows] = 0.0
        self.weights[rows, 0] = 1.0  # all in cash, as the example
        self.value[rows] = 1.0
        self.t[rows] = 0

    def observations(self) -> np.ndarray:
        num, assets, length = len(self.t), self.p.n_assets, self.p.window_length
        t0 = int(self.t[0])
        if (self.t == t0).all():  # fixed-length episodes keep the sub-envs in step: a slice, not a gather
            window = self.prices[:, t0 : t0 + length]
        else:
            window = self.prices[self._rows[:, None], self.t[:, None] + self._window]  # (N, window, assets)
        out = np.empty((num, assets * length + assets + 1), np.float32)
        prices = out[:, : assets * length]
        prices.shape = (num, assets, length)  # a view into out (raises rather than copy)
        np.divide(window.transpose(0, 2, 1), window[:, -1:, :].transpose(0, 2, 1), out=prices)
        out[:, assets * length :] = self.weights
        return out

    def masks(self) -> None:
        return None

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        p, rows = self.p, self._rows
        target = weights_from_actions(actions.reshape(len(rows), -1), p.action_scale)
        today = self.t + p.window_length - 1
        relative = self.prices[rows, today + 1].astype(np.float64) / self.prices[rows, today]
        y = np.concatenate([np.ones((len(rows), 1)), relative], axis=1)
        cost = p.trading_cost * np.abs(target - self.weights).sum(axis=1)
        growth = (1 - cost) * (y * target).sum(axis=1) * (1 - p.time_cost)
        log_return = np.log(growth)
        self.value = self.value * growth
        self.weights = y * target / (y * target).sum(axis=1, keepdims=True)
        self.t += 1
        truncated = self.t >= p.steps
        info = {"portfolio_value": self.value.copy(), "log_return": log_return, "cost": cost, "market_return": relative.mean(axis=1)}
        return log_return * 1000.0 / p.steps, np.zeros_like(truncated), truncated, info


class PortfolioEnv(ScalarTwinEnv):
    """Reallocate a fund among ``n_assets`` stocks and cash every trading day.

    **Source.** Jiang, Xu & Liang, "A deep reinforcement learning framework for the financial portfolio
    management problem" (arXiv:1706.10059, 2017), as set up by the SageMaker example
    ``rl_portfolio_management_coach_customEnv`` (``src/portfolio_env.py``, ``PortfolioEnv``: 16 NASDAQ
    stocks, 730-step episodes, 7-day window, 0.25% trading cost, reward = 1000/steps * log return).

    **Observation** ``Box(float32, n_assets * window_length + n_assets + 1)``: for each asset (asset-major)
    the closing prices of the last ``window_length`` days divided by today's close (Jiang's normalized
    price tensor; the last entry of each asset is 1), then the current portfolio weights (cash first,
    after today's price move; they sum to 1).

    **Action** ``Box(-1, 1, (n_assets + 1,), float32)``: logits, cash first. The new weights are
    ``softmax(action_scale * a)``; ``a = 0`` is the uniform portfolio over cash and assets, and the
    largest-to-smallest weight ratio is at most ``exp(2 * action_scale)``.

    **Reward** ``1000 / steps * ln(p_t / p_{t-1})`` with ``p_t = p_{t-1} (1 - mu) (y . w) (1 - time_cost)``,
    ``mu = trading_cost * sum|w - w'|`` (Jiang's eq. 16 approximation), ``w'`` the weights before
    rebalancing and ``y = (1, close_t+1 / close_t)`` the price relatives of the next day. The episode's
    return is thus 1000 times the average daily log growth. ``info``: portfolio_value, log_return, cost,
    market_return (mean price relative).

    **Start** value 1, all in cash. Prices: the synthetic model of :func:`draw_prices` (regime-switching
    correlated geometric Brownian motion), a new path per episode, shipped with the package (no data).

    **Episode end** truncated after ``steps`` days (730); never terminated (value stays > 0 because
    ``trading_cost < 0.5``).

    **Parameters** ``n_assets`` 16, ``steps`` 730, ``window_length`` 7, ``trading_cost`` 0.0025,
    ``time_cost`` 0, ``action_scale`` 10; price model: ``regime_drift`` (0.0008, -0.0015) per day (bull,
    bear), ``regime_volatility`` (1, 2) multipliers, ``regime_transition`` ((0.99, 0.01), (0.04, 0.96)),
    ``asset_volatility`` U(0.01, 0.03) per day, ``asset_drift_sigma`` 0.0003, ``correlation`` 0.4.

    **Deviations** (1) Prices are synthetic (the example read 2012-2017 OHLC history of 16 stocks from an
    HDF5 file), so only closing prices exist: the observation has Jiang's close channel, not high/low,
    and the return is close-to-close as in the paper and the example's notebook (its code used the
    day's close/open). (2) The action is a softmax of logits in [-1, 1] rather than the example's
    ``Box(0, 1)`` renormalized, so PPO's Gaussian actions map to valid portfolios. (3) The cost compares
    the new weights with the weights drifted by the *previous* day's prices (the example drifted them
    with the coming day's), and the episode is ``steps`` days (the example ran one more). (4) The
    observation includes the current weights, which Jiang's state has and the example's omitted.

    **Baseline** ``equal_weight`` (:class:`EqualWeightPolicy`).
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, **params: Any) -> None:
        self.params = make_params(**params)
        self.observation_space = observation_space(self.params)
        self.action_space = action_space(self.params)
        self._core = _Books(self.params, 1)


class PortfolioVectorEnv(VectorTwinEnv):
    """``num_envs`` :class:`PortfolioEnv` in NumPy arrays; sub-env ``i`` reset with seed ``s`` uses ``s + i``."""

    def __init__(self, num_envs: int = 1, **params: Any) -> None:
        self.params = make_params(**params)
        self._init_twin(num_envs, _Books(self.params, num_envs), observation_space(self.params), action_space(self.params))


class EqualWeightPolicy:
    """Rebalance every day to equal weights over the assets (Jiang et al.'s uniform constant rebalanced
    portfolio, UCRP): logits +1 for every asset and -1 for cash, i.e. weight ``1/n_assets`` on each asset
    and ``exp(-2 * action_scale)``-small cash (1e-9 relative at the default scale). Needs no observation
    beyond its shape.

    :param env_kwargs: the kwargs the env was built with (``n_assets`` is read; other keys ignored).
    """

    def __init__(self, **env_kwargs: Any) -> None:
        self.params = params_from(env_kwargs)

    def predict(
        self, observation: np.ndarray, state: Any = None, episode_start: Any = None, deterministic: bool = True
    ) -> tuple[np.ndarray, None]:
        """Actions for one observation or a batch (leading axis = envs)."""
        obs = np.asarray(observation)
        size = observation_space(self.params).shape[0]
        if obs.shape[-1:] != (size,) or obs.ndim > 2:
            raise ValueError(f"observation must have shape ({size},) or (n_envs, {size}), got {obs.shape}")
        action = np.ones(self.params.n_assets + 1, np.float32)
        action[0] = -1.0
        return (np.tile(action, (len(obs), 1)) if obs.ndim > 1 else action), None


BASELINES: dict[str, type] = {"equal_weight": EqualWeightPolicy}
