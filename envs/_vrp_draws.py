"""The randomness of VehicleRouting episodes: what each sub-env draws, and the batched work on the draws.

Each sub-env draws from its own generator in a fixed order, which is part of the seeded stream (a scalar env
and a twin's sub-env seeded alike must see the same numbers): when an episode starts, the restaurants' cells,
the driver's cell and the first block of order events; every ``BLOCK_STEPS`` steps, the next block. Turning
the uniforms of many sub-envs into orders (zone, customer cell, value) is then array work over all of them.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np
from scipy import stats

from envs._vrp_params import VehicleRoutingParams

# Order events are drawn in blocks of this many steps: the twin then steps by indexing, and memory stays
# bounded for long episodes and many sub-envs. Part of the seeded stream.
BLOCK_STEPS = 100
# The fields of a block's events: a new order's customer cell and restaurant (blank: 0, 0, -1), whether an
# order is created in a vacant slot, whether an open order is taken by another driver.
EVENT_X, EVENT_Y, EVENT_RESTAURANT, EVENT_CREATED, EVENT_TAKEN = range(5)


class RawBlocks(NamedTuple):
    """The uniforms of ``m`` sub-envs' blocks; ``uniforms[:, 0..3]`` decide taken, created, zone and customer cell."""

    uniforms: np.ndarray  # [m, 4, steps, n_orders]
    restaurant: np.ndarray  # [m, steps, n_orders]
    value: np.ndarray  # [m, steps, n_orders], the quantile of the order's value


class Block(NamedTuple):
    """The order events of ``m`` sub-envs' blocks: sub-env ``i``, slot ``o`` after step ``t`` is ``[i, ..., t, o]``."""

    events: np.ndarray  # [m, 5, steps, n_orders], fields EVENT_*
    value: np.ndarray  # [m, steps, n_orders], the new order's value (0 if none)


def draw_start(rng: np.random.Generator, p: VehicleRoutingParams) -> tuple[np.ndarray, np.ndarray]:
    """The restaurants' cells (distinct, ``[n_restaurants, 2]``) and the driver's cell (``[2]``) of an episode."""
    width, height = p.grid_shape
    quad = np.array(p.map_quad)
    cells = rng.choice(width * height, size=p.n_restaurants, replace=False)
    c = rng.integers(width * height)
    return np.stack([cells // height, cells % height], axis=-1) - quad, np.array([c // height, c % height]) - quad


def empty_blocks(p: VehicleRoutingParams, m: int, steps: int) -> RawBlocks:
    """Room for the raw blocks of ``m`` sub-envs (see :func:`draw_block`)."""
    shape = (m, steps, p.n_orders)
    return RawBlocks(np.empty((m, 4, *shape[1:])), np.empty(shape, np.int64), np.empty(shape))


def draw_block(rng: np.random.Generator, p: VehicleRoutingParams, raw: RawBlocks, i: int) -> None:
    """Draw the uniforms of sub-env ``i``'s next block into ``raw``, in the stream's order."""
    rng.random(out=raw.uniforms[i])  # the same numbers as four draws of [steps, n_orders] in a row
    raw.restaurant[i] = rng.integers(p.n_restaurants, size=raw.restaurant.shape[1:])
    rng.random(out=raw.value[i])


def free_cells(p: VehicleRoutingParams, restaurants: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each zone's cells that are not restaurants, for ``m`` sub-envs with ``restaurants`` ``[m, R, 2]``.

    Returns the cells as one code ``x * height + y`` each, ``[m, num_zones, most cells of a zone]`` (a zone's
    free cells first, column by column in map order), and their number ``[m, num_zones]``.
    """
    ys = np.arange(-p.map_quad[1], p.map_quad[1] + 1)
    zones = [np.stack(np.meshgrid(columns, ys, indexing="ij"), axis=-1).reshape(-1, 2) for columns in p.zone_columns()]
    codes = np.zeros((len(restaurants), p.num_zones, max(len(z) for z in zones)), np.int64)
    count = np.zeros((len(restaurants), p.num_zones), np.int64)
    for k, grid in enumerate(zones):
        taken = (grid[None, :, None, :] == restaurants[:, None, :, :]).all(-1).any(-1)  # [m, cells]
        codes[:, k, : len(grid)] = _cell_code(p, grid)[np.argsort(taken, axis=1, kind="stable")]
        count[:, k] = len(grid) - taken.sum(1)
    return codes, count


def _cell_code(p: VehicleRoutingParams, cells: np.ndarray) -> np.ndarray:
    return (cells[..., 0] + p.map_quad[0]) * p.grid_shape[1] + cells[..., 1] + p.map_quad[1]


@functools.lru_cache(maxsize=32)
def _cell_coordinates(p: VehicleRoutingParams) -> tuple[np.ndarray, np.ndarray]:
    """x and y of every cell code (lookups in these small tables are faster than dividing the codes)."""
    x, y = np.divmod(np.arange(p.grid_shape[0] * p.grid_shape[1]), p.grid_shape[1])
    return x - p.map_quad[0], y - p.map_quad[1]


def make_block(p: VehicleRoutingParams, raw: RawBlocks, codes: np.ndarray, count: np.ndarray, out: Block) -> None:
    """Write the order events of ``m`` sub-envs' raw blocks into ``out``, given their :func:`free_cells`.

    A new order's zone follows ``order_probs_per_zone``; its customer is uniform over the zone's free cells
    (the example rejection-samples the same distribution) and its value is :func:`order_values`. Only the
    entries where an order is created are worked out, addressed by flat indices (faster than boolean masks).
    """
    _, steps, n = raw.value.shape
    size = steps * n  # entries of one field of one sub-env's block
    created = raw.uniforms[:, 1] < p.order_prob
    out.events[:, EVENT_X:EVENT_RESTAURANT] = 0
    out.events[:, EVENT_RESTAURANT] = -1
    out.events[:, EVENT_CREATED] = created
    out.events[:, EVENT_TAKEN] = raw.uniforms[:, 0] < p.order_timeout_prob
    out.value[...] = 0.0
    entry = np.flatnonzero(created)  # sub-env * size + step * n + slot
    sub = entry // size
    uniform = raw.uniforms.reshape(-1)[entry + sub * (3 * size) + 2 * size]  # field 2 of the sub-env's four
    zone = np.zeros(len(entry), np.int64)
    for edge in np.cumsum(p.order_probs_per_zone)[:-1]:  # searchsorted, clipped to the last zone, but faster
        zone += uniform >= edge
    group = sub * p.num_zones + zone
    uniform = raw.uniforms.reshape(-1)[entry + sub * (3 * size) + 3 * size]
    code = codes.reshape(-1)[group * codes.shape[2] + np.floor(uniform * count.reshape(-1)[group]).astype(np.int64)]
    events, at = out.events.reshape(-1), entry + sub * (4 * size)
    x, y = _cell_coordinates(p)
    events[at + EVENT_X * size], events[at + EVENT_Y * size] = x[code], y[code]
    events[at + EVENT_RESTAURANT * size] = raw.restaurant.reshape(-1)[entry]
    out.value.reshape(-1)[entry] = order_values(p, raw.value.reshape(-1)[entry], zone)


def event_dtype(p: VehicleRoutingParams) -> type[np.signedinteger[Any]]:
    """The narrowest integer type holding every event field (coordinates, restaurant index, flags)."""
    return np.int8 if max(*p.map_quad, p.n_restaurants) < 127 else np.int64


def order_values(p: VehicleRoutingParams, u: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """Order values from uniforms ``u``: the zone's half-normal truncated at its maximum, at quantile ``u``
    (``scipy.stats.truncnorm``, lower bound the zone's ``order_reward_min``, upper ``order_reward_max``, scale
    ``half_norm_scale_reward_per_zone``)."""
    per_zone = (p.order_reward_min, p.order_reward_max, p.half_norm_scale_reward_per_zone)
    lo, hi, scale = (np.asarray(values, np.float64)[zone] for values in per_zone)
    return stats.truncnorm.ppf(u, 0.0, (hi - lo) / scale, loc=lo, scale=scale)
