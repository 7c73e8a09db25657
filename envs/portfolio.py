"""Portfolio management on seeded synthetic prices (Jiang et al. 2017; SageMaker example
rl_portfolio_management_coach_customEnv).

The parameters and spaces are in :mod:`envs._portfolio_params`, the price model in :mod:`envs._portfolio_prices`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs._params import params_from
from envs._policy import BaselinePolicy
from envs._portfolio_params import PortfolioParams, action_space, make_params, observation_space
from envs._portfolio_prices import _PriceModel
from envs._twin import ScalarTwinEnv, VectorTwinEnv

__all__ = [
    "BASELINES",
    "STRONGEST_BASELINE",
    "EqualWeightPolicy",
    "PortfolioEnv",
    "PortfolioParams",
    "PortfolioVectorEnv",
    "make_params",
]


def _holdings_sum(x: np.ndarray) -> np.ndarray:
    """Sum over the first axis (holdings) of ``x`` ``(holdings, envs)``, adding the holdings one after another.

    A running sum rounds the same for one env as for a thousand; ``np.sum`` would switch between pairwise and
    sequential order with the array's shape, and a scalar env would drift from its twin in the last bit.
    """
    return np.cumsum(x, axis=0)[-1]


def _softmax(logits: np.ndarray) -> np.ndarray:
    """``softmax`` over the first axis of float64 ``logits`` (holdings, ...), in place."""
    logits -= logits.max(axis=0)
    np.exp(logits, out=logits)
    logits /= _holdings_sum(logits)
    return logits


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
            days, rows = self.t + p.window_length - 1, self._rows
            np.divide(self.prices[days + 1, rows], self.prices[days, rows], out=y[1:].T, dtype=np.float64)
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
        info = {
            "portfolio_value": self.value.copy(),
            "log_return": log_return,
            "cost": cost,
            "market_return": market_return,
        }
        return log_return * 1000.0 / p.steps, np.zeros_like(truncated), truncated, info


class PortfolioEnv(ScalarTwinEnv):
    """Reallocate a fund among ``n_assets`` stocks and cash every trading day.

    ## Description
    Each day the agent sets target portfolio weights; rebalancing costs ``trading_cost`` per unit of turnover,
    then the next day's prices move the holdings. The goal is the highest average daily log growth.

    ## Observation Space
    ``Box(float32, n_assets * window_length + n_assets + 1)``: for each asset (asset-major) the closing prices
    of the last ``window_length`` days divided by today's close (Jiang's normalized price tensor; the last
    entry of each asset is 1), then the current portfolio weights (cash first, after today's price move; they
    sum to 1).

    ## Action Space
    ``Box(-1, 1, (n_assets + 1,), float32)``: logits, cash first. The new weights are ``softmax(action_scale *
    a)``; ``a = 0`` is the uniform portfolio over cash and assets, and the largest-to-smallest weight ratio is
    at most ``exp(2 * action_scale)``.

    ## Rewards
    ``1000 / steps * ln(p_t / p_{t-1})`` with ``p_t = p_{t-1} (1 - mu) (y . w) (1 - time_cost)``, ``mu =
    trading_cost * sum|w - w'|`` (Jiang's eq. 16 approximation), ``w'`` the weights before rebalancing and
    ``y = (1, close_t+1 / close_t)`` the price relatives of the next day. The episode's return is thus 1000
    times the average daily log growth. ``info``: portfolio_value, log_return, cost, market_return (mean price
    relative).

    ## Starting State
    Value 1, all in cash. Prices: the synthetic model of :func:`envs._portfolio_prices.draw_prices`
    (regime-switching correlated geometric Brownian motion), a new path per episode, shipped with the package
    (no data).

    ## Episode End
    Truncated after ``steps`` days (730); never terminated (value stays > 0 because ``trading_cost < 0.5``).

    ## Arguments
    ``n_assets`` 16, ``steps`` 730, ``window_length`` 7, ``trading_cost`` 0.0025, ``time_cost`` 0,
    ``action_scale`` 10; price model: ``regime_drift`` (0.0008, -0.0015) per day (bull, bear),
    ``regime_volatility`` (1, 2) multipliers, ``regime_transition`` ((0.99, 0.01), (0.04, 0.96)),
    ``asset_volatility`` U(0.01, 0.03) per day, ``asset_drift_sigma`` 0.0003, ``correlation`` 0.4.

    ## Source
    Jiang, Xu & Liang, "A deep reinforcement learning framework for the financial portfolio management problem"
    (arXiv:1706.10059, 2017), as set up by the SageMaker example ``rl_portfolio_management_coach_customEnv``
    (``src/portfolio_env.py``, ``PortfolioEnv``: 16 NASDAQ stocks, 730-step episodes, 7-day window, 0.25%
    trading cost, reward = 1000/steps * log return).

    ## Deviations
    (1) Prices are synthetic (the example read 2012-2017 OHLC history of 16 stocks from an HDF5 file), so only
    closing prices exist: the observation has Jiang's close channel, not high/low, and the return is
    close-to-close as in the paper and the example's notebook (its code used the day's close/open). (2) The
    action is a softmax of logits in [-1, 1] rather than the example's ``Box(0, 1)`` renormalized, so PPO's
    Gaussian actions map to valid portfolios. (3) The cost compares the new weights with the weights drifted by
    the *previous* day's prices (the example drifted them with the coming day's), and the episode is ``steps``
    days (the example ran one more). (4) The observation includes the current weights, which Jiang's state has
    and the example's omitted.

    ## Baselines
    ``equal_weight`` (:class:`EqualWeightPolicy`, Jiang et al.'s UCRP), the only and so the strongest shipped.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 -- gymnasium's Env.metadata is no ClassVar (mypy)

    def __init__(self, **params: Any) -> None:
        self.params = make_params(**params)
        self.observation_space = observation_space(self.params)
        self.action_space = action_space(self.params)
        self._core = _Books(self.params, 1)


class PortfolioVectorEnv(VectorTwinEnv):
    """``num_envs`` :class:`PortfolioEnv` in NumPy arrays; sub-env ``i`` reset with seed ``s`` uses ``s + i``."""

    def __init__(self, num_envs: int = 1, **params: Any) -> None:
        self.params = make_params(**params)
        self._init_twin(
            num_envs, _Books(self.params, num_envs), observation_space(self.params), action_space(self.params)
        )


class EqualWeightPolicy(BaselinePolicy):
    """Rebalance every day to equal weights over the assets (Jiang et al.'s uniform constant rebalanced
    portfolio, UCRP): logits +1 for every asset and -1 for cash, i.e. weight ``1/n_assets`` on each asset
    and ``exp(-2 * action_scale)``-small cash (1e-9 relative at the default scale). Needs no observation
    beyond its shape.

    :param env_kwargs: the kwargs the env was built with (``n_assets`` is read; other keys ignored).
    """

    def __init__(self, **env_kwargs: Any) -> None:
        self.params = params_from(make_params, PortfolioParams, env_kwargs)
        self.observation_size = observation_space(self.params).shape[0]

    def _act(self, batch: np.ndarray) -> np.ndarray:
        action = np.ones(self.params.n_assets + 1, np.float32)
        action[0] = -1.0
        return np.tile(action, (len(batch), 1))


BASELINES: dict[str, type] = {"equal_weight": EqualWeightPolicy}
STRONGEST_BASELINE = "equal_weight"
