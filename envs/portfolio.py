"""Portfolio management on seeded synthetic prices (Jiang et al. 2017; SageMaker example rl_portfolio_management_coach_customEnv)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from envs._portfolio_prices import _PriceModel, draw_prices
from envs._twin import ScalarTwinEnv, VectorTwinEnv, known_fields, positive_int, positive_real, reject_unknown


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
    reject_unknown("Portfolio", kwargs, PortfolioParams)
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
    return make_params(**known_fields(env_kwargs, PortfolioParams))


def observation_space(p: PortfolioParams) -> spaces.Box:
    """Normalized price windows (>= 0, unbounded above), then portfolio weights in [0, 1]."""
    prices = p.n_assets * p.window_length
    high = np.concatenate([np.full(prices, np.inf), np.ones(p.n_assets + 1)]).astype(np.float32)
    return spaces.Box(np.zeros_like(high), high, dtype=np.float32)


def action_space(p: PortfolioParams) -> spaces.Box:
    """One logit per holding (cash first), in [-1, 1]."""
    return spaces.Box(-1.0, 1.0, shape=(p.n_assets + 1,), dtype=np.float32)


def _holdings_sum(x: np.ndarray) -> np.ndarray:
    """Sum over the first axis of ``x`` (holdings, envs), bit for bit as ``x.T.sum(axis=-1)`` on contiguous
    rows: NumPy's pairwise summation of a row, done here for all envs at once with a few vector ops
    (NumPy reduces a short contiguous row per call; tests pin the order to ``np.sum``)."""
    k = len(x)
    if x.ndim == 1 or x.shape[1] < 32:
        return np.ascontiguousarray(x.T).sum(axis=-1)  # few envs: NumPy's own sum is cheaper
    if k > 128:  # NumPy splits long rows in two blocks of multiples of 8
        half = k // 2 - (k // 2) % 8
        return _holdings_sum(x[:half]) + _holdings_sum(x[half:])
    if k < 8:
        total = x[0].copy()
        for row in x[1:]:
            total += row
        return total
    body = k - k % 8
    lanes = x[:8] + x[8:16] if body > 8 else x[:8].copy()  # eight accumulators over every eighth element
    for start in range(16, body, 8):
        lanes += x[start : start + 8]
    pairs = lanes[0::2] + lanes[1::2]  # (l0 + l1), (l2 + l3), ...
    quads = pairs[0::2] + pairs[1::2]
    total = quads[0] + quads[1]
    for row in x[body:]:
        total += row
    return total


def _softmax(logits: np.ndarray) -> np.ndarray:
    """``softmax`` over the first axis of float64 ``logits`` (holdings, ...), in place."""
    logits -= logits.max(axis=0)
    np.exp(logits, out=logits)
    logits /= _holdings_sum(logits)
    return logits


def weights_from_actions(actions: np.ndarray, action_scale: float) -> np.ndarray:
    """Portfolio weights ``softmax(action_scale * a)`` over the last axis (cash first)."""
    holdings_first = np.moveaxis(np.asarray(actions), -1, 0)
    logits = np.multiply(holdings_first, action_scale, dtype=np.float64, order="C")
    return np.moveaxis(_softmax(logits.reshape(len(logits), -1)).reshape(logits.shape), 0, -1)


class _Books:
    """Price paths, portfolio weights and values of N sub-envs.

    Weights are laid out holdings-major, ``(holdings, N)``: a holding's weights are a contiguous slab over
    the envs, so that a step is a few vector ops over whole slabs, where NumPy would loop per env over
    17-long rows. Prices are ``(days, N, assets)``: a day of every env is one contiguous slab.
    """

    def __init__(self, p: PortfolioParams, num: int) -> None:
        self.p = p
        # float32 halves the memory traffic of building observations (737 days x 16 assets x 1024 envs)
        self.prices = np.zeros((p.days, num, p.n_assets), np.float32)
        self.weights = np.zeros((p.n_assets + 1, num))  # after the last day's price move
        self.value = np.ones(num)
        self.t = np.zeros(num, np.int64)
        self._rows = np.arange(num)
        self._window = np.arange(p.window_length)
        self._relatives = np.ones((p.n_assets + 1, num))  # y of the last step; the cash row stays 1
        self._normalized = np.empty((num, p.n_assets, p.window_length), np.float32)  # observation scratch
        self._model = _PriceModel(p, min(num, 64))

    def reset_rows(self, rows: np.ndarray, rngs: list[np.random.Generator]) -> None:
        for start, log_prices in self._model.draw(rngs):
            columns = rows[start : start + log_prices.shape[1]]
            if columns[-1] - columns[0] == len(columns) - 1 and (np.diff(columns) == 1).all():
                # a slice: exp straight into the float32 prices, one pass fewer than exp then a scatter
                np.exp(log_prices, out=self.prices[:, columns[0] : columns[-1] + 1])
            else:
                self.prices[:, columns] = np.exp(log_prices)
        self.weights[:, rows] = 0.0
        self.weights[0, rows] = 1.0  # all in cash, as the example
        self.value[rows] = 1.0
        self.t[rows] = 0

    def _common_day(self) -> int | None:
        """The sub-envs' day when they are in step (fixed-length episodes keep them so), else None."""
        t0 = int(self.t[0])
        return t0 if (self.t == t0).all() else None

    def observations(self) -> np.ndarray:
        num, assets, length = len(self.t), self.p.n_assets, self.p.window_length
        out = np.empty((num, assets * length + assets + 1), np.float32)
        prices = out[:, : assets * length]
        prices.shape = (num, assets, length)  # a view into out (raises rather than copy)
        t0 = self._common_day()
        if t0 is None:
            window = self.prices[self.t[:, None] + self._window, self._rows[:, None]]  # (N, window, assets)
            np.divide(window.transpose(0, 2, 1), window[:, -1:].transpose(0, 2, 1), out=prices)
        elif num < 16:
            window = self.prices[t0 : t0 + length]  # a slice, not a gather: (window, N, assets)
            np.divide(window.transpose(1, 2, 0), window[-1][:, :, None], out=prices)
        else:
            # many envs: a call per day divides whole slabs, into a dense scratch whose strided day
            # column NumPy walks in one loop (in out, a row's tail would split it into a loop per env)
            window, normalized = self.prices[t0 : t0 + length], self._normalized
            for day in range(length):
                np.divide(window[day], window[-1], out=normalized[:, :, day])
            prices[...] = normalized
        out[:, assets * length :] = self.weights.T
        return out

    def masks(self) -> None:
        return None

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        p, y = self.p, self._relatives
        actions = actions.reshape(len(self.t), -1)
        target = _softmax(np.multiply(actions.T, p.action_scale, dtype=np.float64, order="C"))
        t0 = self._common_day()
        if t0 is None:
            today, rows = self.t + p.window_length - 1, self._rows
            np.divide(self.prices[today + 1, rows], self.prices[today, rows], out=y[1:].T, dtype=np.float64)
        else:
            today = t0 + p.window_length - 1
            np.divide(self.prices[today + 1].T, self.prices[today].T, out=y[1:], dtype=np.float64)
        turnover = target - self.weights
        cost = p.trading_cost * _holdings_sum(np.abs(turnover, out=turnover))
        held = y * target  # the new weights after the coming day's price move, unnormalized
        growth_before_costs = _holdings_sum(held)
        growth = (1 - cost) * growth_before_costs * (1 - p.time_cost)
        log_return = np.log(growth)
        self.value = self.value * growth
        self.weights = np.divide(held, growth_before_costs, out=held)
        self.t += 1
        truncated = self.t >= p.steps
        market_return = _holdings_sum(y[1:]) / p.n_assets  # = relatives.mean(axis=1), bit for bit
        info = {"portfolio_value": self.value.copy(), "log_return": log_return, "cost": cost, "market_return": market_return}
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
