"""Stochastic dynamic vehicle routing with pickups, deliveries and time windows (a food-delivery driver).

The scalar env, its vectorized NumPy twin and the baseline heuristics live here. Both env classes step
through one batched transition (:class:`_Fleet`), so a single env is a fleet of one and the twin is N of
them advanced by the same array code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from scipy.stats import truncnorm

# Per-episode randomness is drawn in blocks of this many steps (see _draw_block): the twin then steps by
# indexing, and memory stays bounded for long episodes and many sub-envs. Part of the seeded stream.
_BLOCK_STEPS = 100
WAIT, ACCEPT, PICKUP, DELIVER, GO_TO_RESTAURANT = range(5)


@dataclass(frozen=True)
class VehicleRoutingParams:
    """Validated parameters of the problem (names and defaults of the SageMaker example's ``vrp_env.py``)."""

    n_restaurants: int = 2
    n_orders: int = 10
    order_prob: float = 0.5
    driver_capacity: int = 4
    map_quad: tuple[int, int] = (5, 5)
    order_promise: int = 60
    order_timeout_prob: float = 0.15
    episode_length: int = 1000
    num_zones: int = 4
    order_probs_per_zone: tuple[float, ...] = (0.1, 0.5, 0.3, 0.1)
    order_reward_min: tuple[float, ...] = (8.0, 5.0, 2.0, 1.0)
    order_reward_max: tuple[float, ...] = (12.0, 8.0, 5.0, 3.0)
    half_norm_scale_reward_per_zone: tuple[float, ...] = (0.5, 0.5, 0.5, 0.5)
    penalty_per_timestep: float = 0.1
    penalty_per_move: float = 0.1
    order_miss_penalty: float = 50.0

    @property
    def n_actions(self) -> int:
        return 1 + 3 * self.n_orders + self.n_restaurants

    @property
    def obs_dim(self) -> int:
        return 2 * self.n_restaurants + 4 + 6 * self.n_orders

    @property
    def grid_shape(self) -> tuple[int, int]:
        return 2 * self.map_quad[0] + 1, 2 * self.map_quad[1] + 1

    def zone_columns(self) -> list[np.ndarray]:
        """x coordinates of each zone: the map's columns split into ``num_zones`` vertical strips."""
        return np.array_split(np.arange(-self.map_quad[0], self.map_quad[0] + 1), self.num_zones)


def _int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _real(name: str, value: Any, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not low <= float(value) <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def _per_zone(name: str, value: Any, num_zones: int, low: float) -> tuple[float, ...]:
    try:
        seq = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of {num_zones} numbers (one per zone), got {value!r}") from None
    if len(seq) != num_zones:
        raise ValueError(f"{name} must have num_zones={num_zones} entries, got {len(seq)}: {value!r}")
    return tuple(_real(f"{name}[{i}]", v, low) for i, v in enumerate(seq))


def make_params(**kwargs: Any) -> VehicleRoutingParams:
    """Validate env keyword arguments into :class:`VehicleRoutingParams`; raise ``ValueError`` on bad ones."""
    unknown = set(kwargs) - set(VehicleRoutingParams.__dataclass_fields__)
    if unknown:
        raise ValueError(
            f"unknown VehicleRouting parameter(s) {sorted(unknown)}; "
            f"expected some of {sorted(VehicleRoutingParams.__dataclass_fields__)}"
        )
    p = {**VehicleRoutingParams().__dict__, **kwargs}
    num_zones = _int("num_zones", p["num_zones"], 1)
    quad = p["map_quad"]
    if not isinstance(quad, (tuple, list)) or len(quad) != 2:
        raise ValueError(f"map_quad must be a pair (half_width, half_height) of integers >= 0, got {quad!r}")
    quad = (_int("map_quad[0]", quad[0], 0), _int("map_quad[1]", quad[1], 0))
    n_restaurants = _int("n_restaurants", p["n_restaurants"], 1)
    params = VehicleRoutingParams(
        n_restaurants=n_restaurants,
        n_orders=_int("n_orders", p["n_orders"], 1),
        order_prob=_real("order_prob", p["order_prob"], 0.0, 1.0),
        driver_capacity=_int("driver_capacity", p["driver_capacity"], 1),
        map_quad=quad,
        order_promise=_int("order_promise", p["order_promise"], 1),
        order_timeout_prob=_real("order_timeout_prob", p["order_timeout_prob"], 0.0, 1.0),
        episode_length=_int("episode_length", p["episode_length"], 1),
        num_zones=num_zones,
        order_probs_per_zone=_per_zone("order_probs_per_zone", p["order_probs_per_zone"], num_zones, 0.0),
        order_reward_min=_per_zone("order_reward_min", p["order_reward_min"], num_zones, 0.0),
        order_reward_max=_per_zone("order_reward_max", p["order_reward_max"], num_zones, 0.0),
        half_norm_scale_reward_per_zone=_per_zone(
            "half_norm_scale_reward_per_zone", p["half_norm_scale_reward_per_zone"], num_zones, 0.0
        ),
        penalty_per_timestep=_real("penalty_per_timestep", p["penalty_per_timestep"], 0.0),
        penalty_per_move=_real("penalty_per_move", p["penalty_per_move"], 0.0),
        order_miss_penalty=_real("order_miss_penalty", p["order_miss_penalty"], 0.0),
    )
    if not math.isclose(sum(params.order_probs_per_zone), 1.0, abs_tol=1e-9):
        raise ValueError(
            f"order_probs_per_zone must sum to 1, got {params.order_probs_per_zone!r} "
            f"(sum {sum(params.order_probs_per_zone)})"
        )
    for z, (lo, hi, sc) in enumerate(
        zip(params.order_reward_min, params.order_reward_max, params.half_norm_scale_reward_per_zone, strict=True)
    ):
        if not hi > lo:
            raise ValueError(f"order_reward_max[{z}] must exceed order_reward_min[{z}]={lo}, got {hi}")
        if not sc > 0:
            raise ValueError(f"half_norm_scale_reward_per_zone[{z}] must be > 0, got {sc}")
    width, height = params.grid_shape
    if num_zones > width:
        raise ValueError(f"num_zones must be <= the map width 2*map_quad[0]+1={width}, got {num_zones}")
    smallest_zone = min(len(c) for c in params.zone_columns()) * height
    if n_restaurants >= smallest_zone:
        raise ValueError(
            f"n_restaurants must be < {smallest_zone} (cells in the smallest zone, so every zone keeps a free "
            f"delivery cell), got {n_restaurants}"
        )
    return params


def action_mask(status: np.ndarray, load: np.ndarray, capacity: np.ndarray | int, n_restaurants: int) -> np.ndarray:
    """Valid actions (bool, ``[..., n_actions]``) from order statuses ``[..., n_orders]`` and driver load ``[...]``.

    Wait and go-to-restaurant are always valid; accept needs an open order, pickup an accepted order and a free
    seat, deliver a picked-up order (the example's ``__update_avail_actions``).
    """
    status = np.asarray(status)
    free = (np.asarray(load) < np.asarray(capacity))[..., None]
    lead = status.shape[:-1]
    return np.concatenate(
        [
            np.ones((*lead, 1), dtype=bool),
            status == 1,
            (status == 2) & free,
            status == 3,
            np.ones((*lead, n_restaurants), dtype=bool),
        ],
        axis=-1,
    )


def observation_space(p: VehicleRoutingParams) -> spaces.Box:
    """The flat float32 observation box (layout in :class:`VehicleRoutingEnv`'s docstring)."""
    n, r, (qx, qy) = p.n_orders, p.n_restaurants, p.map_quad
    low = [-qx] * r + [-qy] * r + [-qx, -qy, 0, p.driver_capacity] + [-qx] * n + [-qy] * n
    high = [qx] * r + [qy] * r + [qx, qy, p.driver_capacity, p.driver_capacity] + [qx] * n + [qy] * n
    low += [0] * n + [-1] * n + [0] * n + [0] * n
    high += [3] * n + [r - 1] * n + [p.order_promise] * n + [max(p.order_reward_max)] * n
    return spaces.Box(np.array(low, np.float32), np.array(high, np.float32), dtype=np.float32)


def decode_observation(obs: np.ndarray, n_orders: int, n_restaurants: int) -> dict[str, np.ndarray]:
    """Split observations ``[..., obs_dim]`` into named fields (coordinates as ``[..., k, 2]`` int arrays)."""
    obs = np.asarray(obs)
    n, r = n_orders, n_restaurants
    i = 2 * r
    o = obs[..., i + 4 :].reshape(*obs.shape[:-1], 6, n)
    return {
        "restaurants": np.stack([obs[..., :r], obs[..., r:i]], axis=-1).round().astype(np.int64),
        "driver": obs[..., i : i + 2].round().astype(np.int64),
        "load": obs[..., i + 2].round().astype(np.int64),
        "capacity": obs[..., i + 3].round().astype(np.int64),
        "orders": np.stack([o[..., 0, :], o[..., 1, :]], axis=-1).round().astype(np.int64),
        "status": o[..., 2, :].round().astype(np.int64),
        "restaurant_of": o[..., 3, :].round().astype(np.int64),
        "elapsed": o[..., 4, :].round().astype(np.int64),
        "value": o[..., 5, :].astype(np.float64),
    }


def _draw_block(rng: np.random.Generator, p: VehicleRoutingParams, restaurants: np.ndarray, steps: int) -> tuple:
    """The candidate events of ``steps`` steps for every order slot, drawn in a fixed order from ``rng``.

    Slot ``o`` at step ``t`` uses row ``[t, o]``: whether an open order there is taken by another driver,
    whether a new order appears if the slot is free, and that order's delivery cell, restaurant and value.
    Delivery cells are uniform over the zone's cells that are not restaurants (the example rejection-samples).
    """
    n, z = p.n_orders, p.num_zones
    taken = rng.random((steps, n)) < p.order_timeout_prob
    created = rng.random((steps, n)) < p.order_prob
    zone = np.minimum(np.searchsorted(np.cumsum(p.order_probs_per_zone), rng.random((steps, n)), "right"), z - 1)
    cell_u = rng.random((steps, n))
    restaurant = rng.integers(p.n_restaurants, size=(steps, n))
    value_u = rng.random((steps, n))
    cells = np.zeros((steps, n, 2), dtype=np.int64)
    ys = np.arange(-p.map_quad[1], p.map_quad[1] + 1)
    for k, columns in enumerate(p.zone_columns()):
        grid = np.stack(np.meshgrid(columns, ys, indexing="ij"), axis=-1).reshape(-1, 2)
        free = grid[~(grid[:, None, :] == restaurants[None, :, :]).all(-1).any(-1)]
        in_zone = zone == k
        cells[in_zone] = free[np.floor(cell_u[in_zone] * len(free)).astype(np.int64)]
    per_zone = (p.order_reward_min, p.order_reward_max, p.half_norm_scale_reward_per_zone)
    lo, hi, sc = (np.asarray(a)[zone] for a in per_zone)
    value = truncnorm.ppf(value_u, 0.0, (hi - lo) / sc, loc=lo, scale=sc)
    return taken, created, cells, restaurant, value


class _Fleet:
    """The state of N independent problems and their batched transition (shared by the env and its twin)."""

    def __init__(self, p: VehicleRoutingParams, num: int) -> None:
        self.p, self.num = p, num
        n, r, k = p.n_orders, p.n_restaurants, min(_BLOCK_STEPS, p.episode_length)
        self.block = k
        self.restaurants = np.zeros((num, r, 2), np.int64)
        self.driver = np.zeros((num, 2), np.int64)
        self.load = np.zeros(num, np.int64)
        self.clock = np.zeros(num, np.int64)
        self.orders = np.zeros((num, n, 2), np.int64)
        self.status = np.zeros((num, n), np.int64)  # 0 inactive, 1 open, 2 accepted, 3 picked up
        self.restaurant_of = np.full((num, n), -1, np.int64)
        self.elapsed = np.zeros((num, n), np.int64)
        self.value = np.zeros((num, n), np.float64)
        self.b_taken = np.zeros((num, k, n), bool)
        self.b_created = np.zeros((num, k, n), bool)
        self.b_cells = np.zeros((num, k, n, 2), np.int64)
        self.b_restaurant = np.zeros((num, k, n), np.int64)
        self.b_value = np.zeros((num, k, n), np.float64)

    def start(self, i: int, rng: np.random.Generator) -> None:
        """Begin a new episode in row ``i``: place restaurants (distinct cells) and driver, no orders yet."""
        width, height = self.p.grid_shape
        quad = np.array(self.p.map_quad)
        cells = rng.choice(width * height, size=self.p.n_restaurants, replace=False)
        self.restaurants[i] = np.stack([cells // height, cells % height], axis=-1) - quad
        c = rng.integers(width * height)
        self.driver[i] = np.array([c // height, c % height]) - quad
        self.load[i] = self.clock[i] = 0
        self._clear(np.ones(self.p.n_orders, bool), i)
        self.refill(i, rng)

    def refill(self, i: int, rng: np.random.Generator) -> None:
        draws = _draw_block(rng, self.p, self.restaurants[i], self.block)
        self.b_taken[i], self.b_created[i], self.b_cells[i], self.b_restaurant[i], self.b_value[i] = draws

    def _clear(self, which: np.ndarray, rows: Any = slice(None)) -> None:
        for arr, blank in ((self.status, 0), (self.restaurant_of, -1), (self.elapsed, 0), (self.value, 0.0)):
            arr[rows] = np.where(which, blank, arr[rows])
        self.orders[rows] = np.where(which[..., None], 0, self.orders[rows])

    def masks(self) -> np.ndarray:
        return action_mask(self.status, self.load, self.p.driver_capacity, self.p.n_restaurants)

    def observations(self) -> np.ndarray:
        r = self.restaurants
        head = [r[..., 0], r[..., 1], self.driver, self.load[:, None], np.full((self.num, 1), self.p.driver_capacity)]
        tail = [self.orders[..., 0], self.orders[..., 1], self.status, self.restaurant_of, self.elapsed, self.value]
        return np.concatenate(head + tail, axis=1).astype(np.float32)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Advance every row by one step; return rewards and per-row info arrays."""
        p, rows = self.p, np.arange(self.num)
        n = p.n_orders
        valid = self.masks()[rows, actions]
        kind = np.select([actions == 0, actions <= n, actions <= 2 * n, actions <= 3 * n], [0, 1, 2, 3], 4)
        kind = np.where(valid, kind, WAIT)  # an invalid action is a wait (see the spec's deviations)
        slot = np.clip(actions - 1 - n * np.clip(kind - 1, 0, 2), 0, n - 1)
        value = self.value[rows, slot]
        reward = np.full(self.num, -p.penalty_per_timestep)

        accept = kind == ACCEPT
        self.status[rows[accept], slot[accept]] = 2
        reward += np.where(accept, value / 3, 0.0)

        own_restaurant = self.restaurants[rows, np.maximum(self.restaurant_of[rows, slot], 0)]
        chosen_restaurant = self.restaurants[rows, np.clip(actions - 3 * n - 1, 0, p.n_restaurants - 1)]
        target = np.select(
            [kind[:, None] == PICKUP, kind[:, None] == DELIVER],
            [own_restaurant, self.orders[rows, slot]],
            chosen_restaurant,
        )
        moving = kind >= PICKUP
        delta = target - self.driver
        horizontal = np.abs(delta[:, 0]) >= np.abs(delta[:, 1])  # the example moves along x first on ties
        self.driver[:, 0] += np.where(moving & horizontal, np.sign(delta[:, 0]), 0)
        self.driver[:, 1] += np.where(moving & ~horizontal, np.sign(delta[:, 1]), 0)
        reward -= np.where(moving, p.penalty_per_move, 0.0)

        picked = (kind == PICKUP) & (self.driver == own_restaurant).all(1)
        self.status[rows[picked], slot[picked]] = 3
        self.load += picked
        reward += np.where(picked, value / 3, 0.0)

        here = (self.orders == self.driver[:, None, :]).all(-1)
        delivered = (kind == DELIVER)[:, None] & (self.status == 3) & here
        on_time = delivered & (self.elapsed <= p.order_promise)
        reward += (self.value * on_time).sum(1) / 3
        self.load -= delivered.sum(1)
        self._clear(delivered)

        self.elapsed += self.status >= 1
        expired = self.elapsed >= p.order_promise
        missed = expired & (self.status >= 2)
        clawback = self.value * ((self.status == 2) / 3 + (self.status == 3) * 2 / 3)
        reward -= (missed * (p.order_miss_penalty + clawback)).sum(1)
        self.load -= (expired & (self.status == 3)).sum(1)
        self._clear(expired)

        t = self.clock % self.block
        self._clear((self.status == 1) & self.b_taken[rows, t])
        new = (self.status == 0) & self.b_created[rows, t]
        self.status[new] = 1
        self.elapsed[new] = 0
        self.orders[new] = self.b_cells[rows, t][new]
        self.restaurant_of[new] = self.b_restaurant[rows, t][new]
        self.value[new] = self.b_value[rows, t][new]
        self.clock += 1
        info = {"orders_delivered": delivered.sum(1), "orders_missed": missed.sum(1), "invalid_action": ~valid}
        return reward, info


def _check_actions(actions: Any, shape: tuple[int, ...], n_actions: int) -> np.ndarray:
    a = np.asarray(actions)
    if a.shape != shape or not np.issubdtype(a.dtype, np.integer) or (a.size and (a.min() < 0 or a.max() >= n_actions)):
        raise ValueError(f"action must be integer(s) in [0, {n_actions}) with shape {shape}, got {actions!r}")
    return a.astype(np.int64).reshape(-1)


def _masked_info(info: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """Gymnasium's batched info for the sub-envs in ``rows``: values zeroed elsewhere, plus ``_key`` masks."""
    out: dict[str, np.ndarray] = {}
    if not rows.any():  # as SyncVectorEnv, which only adds the keys some sub-env reported
        return out
    for key, value in info.items():
        keep = rows.reshape(-1, *([1] * (value.ndim - 1)))
        out[key], out[f"_{key}"] = np.where(keep, value, np.zeros_like(value)), rows.copy()
    return out


class VehicleRoutingEnv(gym.Env[np.ndarray, np.int64]):
    """Stochastic dynamic vehicle routing: one driver, pickups at restaurants, deliveries within a time window.

    A food-delivery driver on a grid accepts orders from an app, picks each up at its restaurant and delivers
    it to the customer before the order's promise runs out. Orders appear at random, in zones that differ in
    how often they order and what an order is worth; open orders may be taken by other drivers. The vehicle
    carries at most ``driver_capacity`` orders, but any number may be accepted.

    **Observation** — ``Box(float32, (2R + 4 + 6n,))`` (68 by default), ``R = n_restaurants``, ``n = n_orders``;
    cells are integer coordinates in ``[-map_quad[0], map_quad[0]] x [-map_quad[1], map_quad[1]]``:

    ==================  =========================================================================
    ``[0, R)``          restaurant x;  ``[R, 2R)`` restaurant y
    ``2R, 2R+1``        driver x, y
    ``2R+2, 2R+3``      used capacity (orders on board), capacity
    then n each:        order x, order y, status (0 free slot, 1 open, 2 accepted, 3 picked up),
                        restaurant of the order (-1 for a free slot), steps since the order appeared,
                        order value (0 for a free slot)
    ==================  =========================================================================

    **Action** — ``Discrete(1 + 3n + R)``: ``0`` wait; ``1..n`` accept order ``i``; ``n+1..2n`` move one cell
    towards the restaurant of accepted order ``i`` and pick it up once there; ``2n+1..3n`` move one cell towards
    the customer of picked-up order ``i`` and deliver every picked-up order whose customer is at the driver's
    cell; ``3n+1..3n+R`` move one cell towards restaurant ``j``. A move goes along x if ``|dx| >= |dy|``,
    else along y. The valid actions are ``info["action_mask"]`` and :meth:`action_masks` (also computable from
    the observation with :func:`action_mask`): wait and go-to-restaurant always; accept an open order; pick up
    an accepted order when a seat is free; deliver a picked-up order. An invalid action is a wait.

    **Reward** (per step) — ``-penalty_per_timestep``; ``-penalty_per_move`` for each move action; a third of
    the order's value on acceptance, on pickup and on delivery; for an accepted order still undelivered
    ``order_promise`` steps after it appeared, ``-order_miss_penalty`` and the thirds already paid are taken
    back. **Dynamics** after the action: the age of every order grows by one, orders reaching
    ``order_promise`` leave, each open order is taken by another driver with ``order_timeout_prob``, and each
    free slot receives a new order with ``order_prob``: zone ~ ``order_probs_per_zone`` (zones are vertical
    strips of map columns), customer uniform over the zone's non-restaurant cells, restaurant uniform, value
    ~ half-normal(loc ``order_reward_min``, scale ``half_norm_scale_reward_per_zone``) truncated at
    ``order_reward_max`` of the zone.

    **Start** — restaurants on distinct uniform cells, the driver on a uniform cell, no orders, empty vehicle.
    **Termination** — none; the episode is *truncated* after ``episode_length`` steps (the end of the shift).
    ``info`` holds ``action_mask``, and after a step ``orders_delivered``, ``orders_missed``, ``invalid_action``.

    **Parameters** (defaults are the example's and the paper's): ``n_restaurants=2``, ``n_orders=10`` (order
    slots), ``order_prob=0.5``, ``driver_capacity=4``, ``map_quad=(5, 5)`` (an 11 x 11 grid),
    ``order_promise=60``, ``order_timeout_prob=0.15``, ``episode_length=1000``, ``num_zones=4``,
    ``order_probs_per_zone=(0.1, 0.5, 0.3, 0.1)``, ``order_reward_min=(8, 5, 2, 1)``,
    ``order_reward_max=(12, 8, 5, 3)``, ``half_norm_scale_reward_per_zone=(0.5,)*4``,
    ``penalty_per_timestep=0.1``, ``penalty_per_move=0.1``, ``order_miss_penalty=50``.

    **Source** — B. Balaji et al., "ORL: Reinforcement Learning Benchmarks for Online Stochastic Optimization
    Problems", arXiv:1911.10641 (2019), section "Vehicle Routing"; its environment as published in
    aws/amazon-sagemaker-examples ``reinforcement_learning/rl_resource_allocation_ray_customEnv/src/vrp_env.py``
    (``VRPGymEnvironment``), which this follows. OR-Gym's ``VehicleRoutingEnv`` ports the same problem.

    **Deviations** — (1) An invalid action is a wait: the example moved the driver towards a free slot's stale
    fields (restaurant ``-1``, i.e. the last one; cell (0, 0)) and, without its mask, could load beyond
    capacity and fail its own state assertion. (2) The end of the shift is ``truncated``, not ``terminated``:
    the observation has no clock, so learners should bootstrap there. (3) The reset info carries the true mask
    (the example returned all ones). (4) The observation is the example's ``real_obs`` as a flat float32 Box
    (not int16 inside a Dict with the mask), so SB3's MlpPolicy works directly; the mask is in ``info``.
    (5) Randomness comes from ``self.np_random``, drawn in blocks of steps per order slot (see
    :func:`_draw_block`), not the global ``np.random``; customers are sampled uniformly among allowed cells
    rather than by rejection: the same distributions, reproducible under a seed. OR-Gym's port differs from
    the example (places on a 5 x 5 grid of 0..4 but lets the driver reach 5, zones by rows, no time penalty)
    and has bugs (the delivery reward overwrites the step's reward; a miss decrements the capacity instead of
    the load); we follow the example.

    **Baselines** — :class:`GreedyNearestOrderPolicy` (``"greedy_nearest"``, default) and
    :class:`AcceptAllNearestPolicy` (``"accept_all_nearest"``). The ORL paper's baseline (accept every order,
    re-plan the route by dynamic programming over stops whenever an order changes status) is not shipped:
    its planner enumerates the visit orders of all accepted orders, exponential in their number (up to
    ``n_orders`` when every order is accepted), which rules it out as a per-step, batched policy.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        n_restaurants: int = VehicleRoutingParams.n_restaurants,
        n_orders: int = VehicleRoutingParams.n_orders,
        order_prob: float = VehicleRoutingParams.order_prob,
        driver_capacity: int = VehicleRoutingParams.driver_capacity,
        map_quad: tuple[int, int] = VehicleRoutingParams.map_quad,
        order_promise: int = VehicleRoutingParams.order_promise,
        order_timeout_prob: float = VehicleRoutingParams.order_timeout_prob,
        episode_length: int = VehicleRoutingParams.episode_length,
        num_zones: int = VehicleRoutingParams.num_zones,
        order_probs_per_zone: tuple[float, ...] = VehicleRoutingParams.order_probs_per_zone,
        order_reward_min: tuple[float, ...] = VehicleRoutingParams.order_reward_min,
        order_reward_max: tuple[float, ...] = VehicleRoutingParams.order_reward_max,
        half_norm_scale_reward_per_zone: tuple[float, ...] = VehicleRoutingParams.half_norm_scale_reward_per_zone,
        penalty_per_timestep: float = VehicleRoutingParams.penalty_per_timestep,
        penalty_per_move: float = VehicleRoutingParams.penalty_per_move,
        order_miss_penalty: float = VehicleRoutingParams.order_miss_penalty,
    ) -> None:
        params = {k: v for k, v in locals().items() if k in VehicleRoutingParams.__dataclass_fields__}
        self.params = make_params(**params)
        self.observation_space = observation_space(self.params)
        self.action_space = spaces.Discrete(self.params.n_actions)
        self._fleet = _Fleet(self.params, 1)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._fleet.start(0, self.np_random)
        return self._fleet.observations()[0], {"action_mask": self._fleet.masks()[0]}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        fleet = self._fleet
        reward, info = fleet.step(_check_actions(action, (), self.params.n_actions))
        clock = int(fleet.clock[0])
        if clock % fleet.block == 0 and clock < self.params.episode_length:
            fleet.refill(0, self.np_random)
        out = {"action_mask": fleet.masks()[0], **{k: v[0].item() for k, v in info.items()}}
        return fleet.observations()[0], float(reward[0]), False, clock >= self.params.episode_length, out

    def action_masks(self) -> np.ndarray:
        """The valid actions in the current state (bool, ``[n_actions]``), for sb3-contrib's MaskablePPO."""
        return self._fleet.masks()[0]


class VehicleRoutingVectorEnv(VectorEnv):
    """``num_envs`` independent :class:`VehicleRoutingEnv` stepped together in NumPy, with same-step autoreset.

    Sub-env ``i`` reset with ``seed=s`` uses seed ``s + i`` (as ``SyncVectorEnv``) and then produces exactly
    the transitions of a ``VehicleRoutingEnv`` reset with that seed, including the episodes that follow an
    autoreset. On a truncated step the returned observation is the next episode's first one; the last one is
    in ``infos["final_obs"]`` and the step's info in ``infos["final_info"]`` (``AutoresetMode.SAME_STEP``).

    :param num_envs: number of sub-environments.
    :param params: the keyword parameters of :class:`VehicleRoutingEnv`.
    """

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, num_envs: int = 1, **params: Any) -> None:
        self.num_envs = _int("num_envs", num_envs, 1)
        self.params = make_params(**params)
        self.single_observation_space = observation_space(self.params)
        self.single_action_space = spaces.Discrete(self.params.n_actions)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._fleet = _Fleet(self.params, self.num_envs)
        self._rngs: list[np.random.Generator | None] = [None] * self.num_envs

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if seed is None or isinstance(seed, Integral):
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        elif len(seed) == self.num_envs:
            seeds = list(seed)
        else:
            raise ValueError(f"seed must be None, an int or a list of {self.num_envs} seeds, got {seed!r}")
        for i, s in enumerate(seeds):
            if s is not None or self._rngs[i] is None:
                self._rngs[i], _ = seeding.np_random(s)
            self._fleet.start(i, self._rngs[i])
        masks = self._fleet.masks()
        return self._fleet.observations(), {"action_mask": masks, "_action_mask": np.ones(self.num_envs, bool)}

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        fleet, length = self._fleet, self.params.episode_length
        reward, info = fleet.step(_check_actions(actions, (self.num_envs,), self.params.n_actions))
        for i in np.flatnonzero((fleet.clock % fleet.block == 0) & (fleet.clock < length)):
            fleet.refill(i, self._rngs[i])
        truncated = fleet.clock >= length
        info["action_mask"] = fleet.masks()
        infos: dict[str, Any] = {}
        if truncated.any():
            final_obs = np.full(self.num_envs, None, dtype=object)
            observations = fleet.observations()
            for i in np.flatnonzero(truncated):
                final_obs[i] = observations[i]
                fleet.start(i, self._rngs[i])
            infos.update(final_obs=final_obs, _final_obs=truncated.copy())
            infos["final_info"] = _masked_info(info, truncated)
            infos["_final_info"] = truncated.copy()
        # A reset sub-env reports its reset info (the mask) only, as SyncVectorEnv does in SAME_STEP mode.
        infos.update(_masked_info(info, ~truncated))
        infos["action_mask"], infos["_action_mask"] = fleet.masks(), np.ones(self.num_envs, bool)
        terminated = np.zeros(self.num_envs, bool)
        return fleet.observations(), reward, terminated, truncated, infos

    def action_masks(self) -> np.ndarray:
        """The valid actions of every sub-env in the current state (bool, ``[num_envs, n_actions]``)."""
        return self._fleet.masks()


class GreedyNearestOrderPolicy:
    """Greedy nearest-stop heuristic that accepts only the orders it can serve.

    Each step, in this order:

    1. accept the lowest-numbered open order if it fits (accepted + carried orders < capacity), it can be
       delivered on time driving straight there, and every committed order still has ``order_promise // 3``
       steps of slack (accepting while an order is tight is what makes a nearest-stop driver miss it);
    2. if a committed order must be served now to make it (slack 0 on its direct route), move towards it;
    3. otherwise move towards the nearest stop (Manhattan distance; pickups first on ties) among the
       restaurants of accepted orders (when a seat is free) and the customers of carried orders;
    4. wait when there is nothing to do.

    *Slack* is ``order_promise - 1 - elapsed - remaining direct route``; stops of orders with negative slack
    are skipped (they will expire and pay ``order_miss_penalty`` whatever the driver does; expiry frees the seat).
    Everything it needs, the action mask included, is read from the observation. ``predict`` has SB3's
    signature and takes one observation ``[obs_dim]`` or a batch ``[n_envs, obs_dim]``.

    :param env_kwargs: the env's keyword parameters (unknown keys are ignored).
    """

    #: Whether to accept every open order (the ORL paper's baseline acceptance rule) instead of step 1's test.
    accept_all: bool = False

    def __init__(self, **env_kwargs: Any) -> None:
        fields = VehicleRoutingParams.__dataclass_fields__
        self.params = make_params(**{k: v for k, v in env_kwargs.items() if k in fields})

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """Actions for one observation (a 0-d array) or a batch (``[n_envs]``); ``state`` is passed through."""
        p = self.params
        obs = np.asarray(observation, dtype=np.float32)
        if obs.ndim not in (1, 2) or obs.shape[-1] != p.obs_dim:
            raise ValueError(f"observation must have shape ({p.obs_dim},) or (n_envs, {p.obs_dim}), got {obs.shape}")
        actions = self._act(decode_observation(obs.reshape(-1, p.obs_dim), p.n_orders, p.n_restaurants))
        return (actions.reshape(()) if obs.ndim == 1 else actions), state

    def _act(self, d: dict[str, np.ndarray]) -> np.ndarray:
        p, n = self.params, self.params.n_orders
        rows = np.arange(len(d["load"]))[:, None]
        mask = action_mask(d["status"], d["load"], d["capacity"], p.n_restaurants)
        restaurant = d["restaurants"][rows, np.maximum(d["restaurant_of"], 0)]
        to_restaurant = np.abs(restaurant - d["driver"][:, None]).sum(-1)
        to_customer = np.abs(d["orders"] - d["driver"][:, None]).sum(-1)
        route = to_restaurant + np.abs(d["orders"] - restaurant).sum(-1)  # via the restaurant, for open/accepted

        # Stops: columns [0, n) pick up order i, [n, 2n) deliver order i (the action offsets 1 + n + column).
        slack = p.order_promise - 1 - np.tile(d["elapsed"], 2) - np.concatenate([route, to_customer], 1)
        savable = mask[:, n + 1 : 3 * n + 1] & (slack >= 0)
        slack = np.where(savable, slack, np.inf)
        distance = np.where(savable, np.concatenate([to_restaurant, to_customer], 1), np.inf)
        tightest = slack.min(1)
        cost = np.where((tightest <= 0)[:, None], slack, distance)
        serve = np.where(np.isfinite(cost.min(1)), 1 + n + cost.argmin(1), WAIT)

        accept = mask[:, 1 : n + 1]
        if not self.accept_all:
            committed = np.isin(d["status"], (2, 3)).sum(1)
            relaxed = (committed < d["capacity"]) & (tightest > p.order_promise // 3)
            accept = accept & (d["elapsed"] + route < p.order_promise - 1) & relaxed[:, None]
        return np.where(accept.any(1), 1 + accept.argmax(1), serve).astype(np.int64)


class AcceptAllNearestPolicy(GreedyNearestOrderPolicy):
    """The literal greedy rule: accept every open order at once, then serve as :class:`GreedyNearestOrderPolicy`.

    This is the acceptance rule of the ORL paper's baseline ("naively accept any outstanding order"); with
    more order slots than seats it commits to orders it cannot serve and pays ``order_miss_penalty`` for them,
    which is why it is not the default baseline. Construction and ``predict`` as the parent.
    """

    accept_all = True


BASELINES: dict[str, type] = {"greedy_nearest": GreedyNearestOrderPolicy, "accept_all_nearest": AcceptAllNearestPolicy}
