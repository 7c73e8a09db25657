"""The seeded price model of the Portfolio env: a regime-switching market with correlated assets.

:func:`draw_prices` is one episode's path; :class:`_PriceModel` draws many sub-envs' paths at once, bit for
bit equal to one :func:`draw_prices` call per generator (the vector twin resets 1024 envs at a time).
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Iterator

import numpy as np

from envs._portfolio_params import PortfolioParams


def draw_prices(rng: np.random.Generator, p: PortfolioParams) -> np.ndarray:
    """Closing prices ``(days, n_assets)`` of one episode, starting at 1, from the regime-switching model.

    A Markov chain of market regimes (started in its stationary law) sets each day's drift ``mu_s`` and
    volatility multiplier ``k_s``; asset i has daily volatility ``sigma_i ~ U(asset_volatility)`` and
    excess drift ``alpha_i ~ N(0, asset_drift_sigma)`` for the episode; shocks have pairwise correlation
    ``correlation`` through one market factor. Daily log return:
    ``mu_s + alpha_i - (sigma_i k_s)^2 / 2 + sigma_i k_s (sqrt(rho) m_t + sqrt(1 - rho) e_ti)``.

    Draws, in this order: the first regime, one uniform per day for the chain, ``sigma``, ``alpha`` (if
    ``asset_drift_sigma > 0``), the market factor, the asset shocks (see :class:`_PriceModel`).
    """
    ((_, log_prices),) = _PriceModel(p, 1).draw([rng])
    return np.exp(log_prices[:, 0])


@functools.lru_cache(maxsize=16)
def _regime_lookup(transition: tuple[tuple[float, ...], ...]) -> tuple[tuple[float, ...], np.ndarray, np.ndarray]:
    """The regime chain as table lookups: ``(cdf, breaks, following)``.

    ``cdf`` is the cumulative stationary law, normalized as ``Generator.choice(p=...)`` does, so that
    ``bisect_right(cdf, rng.random())`` is ``rng.choice(len(cdf), p=...)``, draw for draw. ``breaks`` are the sorted
    entries of the transition rows' cumulative sums; ``following[s, k]`` is the regime after ``s`` when the
    day's uniform falls in bin ``k`` of ``breaks``: the number of row ``s``'s cumulative entries <= the
    uniform (the inverse-cdf draw), capped at the last regime against rounding. Within one bin that count
    is the count at the bin's lower edge, so the lookup equals the draw exactly.
    """
    matrix = np.asarray(transition)
    stationary = np.full(len(matrix), 1 / len(matrix)) @ np.linalg.matrix_power(matrix, 1000)
    cdf = np.cumsum(stationary / stationary.sum())
    cdf /= cdf[-1]
    cumulative = np.cumsum(matrix, axis=1)
    breaks = np.unique(cumulative)
    lower_edges = np.concatenate([[-np.inf], breaks])
    following = np.minimum((cumulative[:, :, None] <= lower_edges).sum(axis=1), len(matrix) - 1)
    return tuple(cdf.tolist()), breaks, following


def _regimes(first: np.ndarray, bins: np.ndarray, following: np.ndarray) -> np.ndarray:
    """Regimes ``(days, paths)`` of chains started in ``first`` whose uniforms fall in ``bins`` (days, paths)."""
    n_days, n = bins.shape
    regimes = np.empty((n_days, n), np.intp)
    if n < 32:
        # a few paths: a Python loop per path costs less than a NumPy call per day
        table = following.tolist()
        for i in range(n):
            state, column = int(first[i]), [0] * n_days
            for day, k in enumerate(bins[:, i].tolist()):
                column[day] = state
                state = table[state][k]
            regimes[:, i] = column
        return regimes
    flat, width, states = following.ravel(), following.shape[1], first
    for day in range(n_days):  # the chain is sequential in days, so step every path at once
        regimes[day] = states
        states = flat[states * width + bins[day]]
    return regimes


class _PriceModel:
    """Draws the price paths of many sub-envs at once, path ``i`` from ``rngs[i]``, equal bit for bit to
    one :func:`draw_prices` call per generator: the same draws, and the same floating-point operations
    (only reordered across paths and days, and commuted, never reassociated).

    Paths are built ``chunk`` at a time in a reused float64 buffer laid out ``(days, paths, assets)``:
    the day-by-day cumulative sum then adds contiguous slabs, and the working set stays in cache.

    :param p: the env's parameters.
    :param chunk: the most paths built at once.
    """

    def __init__(self, p: PortfolioParams, chunk: int) -> None:
        self.p = p
        self._paths = np.empty((p.days, chunk, p.n_assets))
        self._gathered = np.empty(((p.days - 1) * chunk, p.n_assets))

    def draw(self, rngs: list[np.random.Generator]) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(start, log_prices)``: float64 log prices ``(days, c, assets)`` of paths ``start .. start + c - 1``
        (prices are their ``np.exp``), a view into a buffer that the next chunk overwrites."""
        p, n, n_days, assets = self.p, len(rngs), self.p.days - 1, self.p.n_assets
        cdf, breaks, following = _regime_lookup(p.regime_transition)
        first, uniforms = np.empty(n, np.intp), np.empty((n, n_days))
        sigma, alpha, market = np.empty((n, assets)), np.zeros((n, assets)), np.empty((n, n_days))
        for i, rng in enumerate(rngs):  # every draw but the asset shocks, in draw_prices' order
            first[i] = bisect.bisect_right(cdf, rng.random())  # Generator.choice's draw (see _regime_lookup)
            rng.random(out=uniforms[i])
            sigma[i] = rng.uniform(*p.asset_volatility, size=assets)
            if p.asset_drift_sigma > 0:
                alpha[i] = rng.normal(0.0, p.asset_drift_sigma, size=assets)
            rng.standard_normal(out=market[i])
        regimes = _regimes(first, np.searchsorted(breaks, uniforms.T, side="right"), following)
        # volatility sigma_i k_s and drift (mu_s + alpha_i) - (sigma_i k_s)^2 / 2 take one value per regime
        vol = sigma[:, None, :] * np.asarray(p.regime_volatility)[:, None]  # (paths, regimes, assets)
        drift = (np.asarray(p.regime_drift)[:, None] + alpha[:, None, :]) - vol**2 / 2
        for start in range(0, n, self._paths.shape[1]):
            stop = min(start + self._paths.shape[1], n)
            chunk = slice(start, stop)
            yield start, self._chunk(rngs[chunk], market[chunk], regimes[:, chunk], vol[chunk], drift[chunk])

    def _chunk(
        self,
        rngs: list[np.random.Generator],
        market: np.ndarray,
        regimes: np.ndarray,
        vol: np.ndarray,
        drift: np.ndarray,
    ) -> np.ndarray:
        p, c, n_days = self.p, len(rngs), self.p.days - 1
        paths = self._paths[:, :c]
        log_returns = paths[1:]
        for i, rng in enumerate(rngs):
            np.multiply(rng.standard_normal((n_days, p.n_assets)), math.sqrt(1 - p.correlation), out=log_returns[:, i])
        log_returns += (math.sqrt(p.correlation) * market).T[:, :, None]  # now the shocks
        # row (path, regime) of the per-regime tables for every day and path
        index = (regimes + np.arange(c) * len(p.regime_drift)).ravel()
        gathered = self._gathered[: n_days * c]
        np.take(vol.reshape(-1, p.n_assets), index, axis=0, out=gathered, mode="clip")
        log_returns *= gathered.reshape(log_returns.shape)
        np.take(drift.reshape(-1, p.n_assets), index, axis=0, out=gathered, mode="clip")
        log_returns += gathered.reshape(log_returns.shape)
        paths[0] = 0.0
        if c * p.n_assets < 64:
            np.cumsum(paths, axis=0, out=paths)  # few paths: one call beats one per day
        else:
            for day in range(1, p.days):  # NumPy's cumsum along the first axis is ~8x slower
                np.add(paths[day - 1], paths[day], out=paths[day])
        return paths
