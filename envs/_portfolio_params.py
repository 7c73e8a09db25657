"""The Portfolio problem's parameters and spaces (shared by :mod:`envs.portfolio` and :mod:`envs._portfolio_prices`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from envs._params import int_at_least, real_above, real_at_least, reject_unknown


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
    trading_cost = real_at_least("trading_cost", p["trading_cost"])
    if trading_cost >= 0.5:
        # the cost of a rebalance is at most 2 * trading_cost of the portfolio; it must stay below all of it
        raise ValueError(f"trading_cost must be in [0, 0.5), got {p['trading_cost']!r}")
    time_cost = real_at_least("time_cost", p["time_cost"])
    if time_cost >= 1:
        raise ValueError(f"time_cost must be in [0, 1), got {p['time_cost']!r}")
    drift, volatility = _vector("regime_drift", p["regime_drift"]), _vector("regime_volatility", p["regime_volatility"])
    if len(volatility) != len(drift) or min(volatility) <= 0:
        raise ValueError(
            f"regime_volatility must hold {len(drift)} positive numbers (one per regime), got "
            f"{p['regime_volatility']!r}"
        )
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
        raise ValueError(
            f"asset_volatility must be a range (low, high) with 0 < low <= high, got {p['asset_volatility']!r}"
        )
    correlation = real_at_least("correlation", p["correlation"])
    if correlation >= 1:
        raise ValueError(f"correlation must be in [0, 1), got {p['correlation']!r}")
    return PortfolioParams(
        n_assets=int_at_least("n_assets", p["n_assets"]),
        steps=int_at_least("steps", p["steps"]),
        window_length=int_at_least("window_length", p["window_length"]),
        trading_cost=trading_cost,
        time_cost=time_cost,
        action_scale=real_above("action_scale", p["action_scale"]),
        regime_drift=drift,
        regime_volatility=volatility,
        regime_transition=tuple(tuple(row) for row in transition.tolist()),
        asset_volatility=(vol[0], vol[1]),
        asset_drift_sigma=real_at_least("asset_drift_sigma", p["asset_drift_sigma"]),
        correlation=correlation,
    )


def observation_space(p: PortfolioParams) -> spaces.Box:
    """Normalized price windows (>= 0, unbounded above), then portfolio weights in [0, 1]."""
    prices = p.n_assets * p.window_length
    high = np.concatenate([np.full(prices, np.inf), np.ones(p.n_assets + 1)]).astype(np.float32)
    return spaces.Box(np.zeros_like(high), high, dtype=np.float32)


def action_space(p: PortfolioParams) -> spaces.Box:
    """One logit per holding (cash first), in [-1, 1]."""
    return spaces.Box(-1.0, 1.0, shape=(p.n_assets + 1,), dtype=np.float32)
