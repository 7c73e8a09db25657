"""The VehicleRouting problem's parameters, observation layout and action mask.

Shared by the env and its twin (:mod:`envs.vehicle_routing`) and the baselines (:mod:`envs._vrp_baselines`),
which read everything they need from the observation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
from gymnasium import spaces

from envs._params import int_at_least, reject_unknown

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
    """Validate env keyword arguments into :class:`VehicleRoutingParams`; raise ``ValueError`` on bad values
    and ``TypeError`` on unknown names (as Python does for an unexpected keyword argument)."""
    reject_unknown("VehicleRouting", kwargs, VehicleRoutingParams)
    p = {**VehicleRoutingParams().__dict__, **kwargs}
    num_zones = int_at_least("num_zones", p["num_zones"], 1)
    quad = p["map_quad"]
    if not isinstance(quad, (tuple, list)) or len(quad) != 2:
        raise ValueError(f"map_quad must be a pair (half_width, half_height) of integers >= 0, got {quad!r}")
    quad = (int_at_least("map_quad[0]", quad[0], 0), int_at_least("map_quad[1]", quad[1], 0))
    n_restaurants = int_at_least("n_restaurants", p["n_restaurants"], 1)
    params = VehicleRoutingParams(
        n_restaurants=n_restaurants,
        n_orders=int_at_least("n_orders", p["n_orders"], 1),
        order_prob=_real("order_prob", p["order_prob"], 0.0, 1.0),
        driver_capacity=int_at_least("driver_capacity", p["driver_capacity"], 1),
        map_quad=quad,
        order_promise=int_at_least("order_promise", p["order_promise"], 1),
        order_timeout_prob=_real("order_timeout_prob", p["order_timeout_prob"], 0.0, 1.0),
        episode_length=int_at_least("episode_length", p["episode_length"], 1),
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
    n, r, (qx, qy) = p.n_orders, p.n_restaurants, (float(q) for q in p.map_quad)
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
