"""Stochastic dynamic vehicle routing with pickups, deliveries and time windows (a food-delivery driver).

The scalar env and its vectorized NumPy twin live here; both advance one batched state (:class:`_Drivers`, a core
of :mod:`envs._twin`), so a single env is a fleet of one and the twin is N of them stepped by the same array
code. The parameters and observation layout are in :mod:`envs._vrp_params`, the episode randomness in
:mod:`envs._vrp_draws`, the baseline heuristics in :mod:`envs._vrp_baselines` (all re-exported here).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from envs._twin import MaskedScalarTwinEnv, MaskedVectorTwinEnv
from envs._vrp_baselines import (
    BASELINES,
    STRONGEST_BASELINE,
    AcceptAllNearestPolicy,
    GreedyNearestOrderPolicy,
    OrderAcceptanceMIPPolicy,
    ValueGreedyPolicy,
)
from envs._vrp_draws import (
    BLOCK_STEPS,
    EVENT_CREATED,
    EVENT_RESTAURANT,
    EVENT_TAKEN,
    EVENT_X,
    EVENT_Y,
    Block,
    RawBlocks,
    draw_block,
    draw_start,
    empty_blocks,
    event_dtype,
    free_cells,
    make_block,
)
from envs._vrp_params import (
    ACCEPT,
    DELIVER,
    GO_TO_RESTAURANT,
    PICKUP,
    WAIT,
    VehicleRoutingParams,
    action_mask,
    decode_observation,
    make_params,
    observation_space,
)

__all__ = [
    "BASELINES",
    "STRONGEST_BASELINE",
    "AcceptAllNearestPolicy",
    "GreedyNearestOrderPolicy",
    "OrderAcceptanceMIPPolicy",
    "ValueGreedyPolicy",
    "VehicleRoutingEnv",
    "VehicleRoutingParams",
    "VehicleRoutingVectorEnv",
    "action_mask",
    "decode_observation",
    "make_params",
    "observation_space",
]


class _Drivers:
    """The state of N independent problems and their batched transition (shared by the env and its twin)."""

    def __init__(self, p: VehicleRoutingParams, num: int) -> None:
        self.p, self.num = p, num
        n, r, k = p.n_orders, p.n_restaurants, min(BLOCK_STEPS, p.episode_length)
        self.block, self._rows = k, np.arange(num)
        # The integer part of the observations, stored one row per observation entry (a column per sub-env):
        # an operation on a field then runs along the sub-envs, not along a handful of order slots, which is
        # several times faster. The named fields are sub-env-first views into it; int16 when everything fits.
        by_entry = np.zeros((p.obs_dim - n, num), _state_dtype(p))
        self.state = by_entry.T  # [num, integer entries of the observation]
        self.restaurants = by_entry[: 2 * r].reshape(2, r, num).transpose(2, 1, 0)  # [num, r, (x, y)]
        self.driver = by_entry[2 * r : 2 * r + 2].T
        self.load = by_entry[2 * r + 2]
        by_entry[2 * r + 3] = p.driver_capacity
        slots = by_entry[2 * r + 4 :].reshape(5, n, num)
        self.orders = slots[:2].transpose(2, 1, 0)  # customer cells [num, n, (x, y)]
        # status: 0 free slot, 1 open, 2 accepted, 3 picked up; elapsed: steps since the order appeared
        self.x, self.y, self.status, self.restaurant_of, self.elapsed = (field.T for field in slots)
        self.value = np.zeros((n, num)).T
        self.clock = np.zeros(num, np.int64)
        self.rngs: list[np.random.Generator | None] = [None] * num  # kept for the blocks drawn mid-episode
        self.free_cells, self.free_count = free_cells(p, self.restaurants)  # shapes only until a reset
        self.events = np.zeros((num, 5, k, n), event_dtype(p))  # the current block (see make_block)
        self.new_value = np.zeros((num, k, n))
        self._raw = empty_blocks(p, num, k)  # reused by every draw, rows first
        # Per action: its kind, order slot, restaurant, and the status its slot must have to be valid (0: none).
        a = np.arange(p.n_actions)
        self._kind = np.minimum((a + n - 1) // n, GO_TO_RESTAURANT)
        self._slot = np.where((self._kind >= ACCEPT) & (self._kind <= DELIVER), (a - 1) % n, 0)
        self._goal = np.where(self._kind == GO_TO_RESTAURANT, a - 3 * n - 1, 0)
        self._need = np.array([0, 1, 2, 3, 0])[self._kind]

    def reset_rows(self, rows: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """Begin new episodes in ``rows``: restaurants and driver placed, no orders, empty vehicle."""
        raw, starts = self._raw_blocks(len(rows)), []
        for i, (row, rng) in enumerate(zip(rows, rngs, strict=True)):
            self.rngs[row] = rng
            starts.append(draw_start(rng, self.p))
            draw_block(rng, self.p, raw, i)
        self.restaurants[rows] = np.stack([restaurants for restaurants, _ in starts])
        self.driver[rows] = np.stack([driver for _, driver in starts])
        self.load[rows] = self.clock[rows] = 0
        self.x[rows] = self.y[rows] = self.status[rows] = self.elapsed[rows] = 0
        self.restaurant_of[rows] = -1
        self.value[rows] = 0.0
        self.free_cells[rows], self.free_count[rows] = free_cells(self.p, self.restaurants[rows])
        self._store_block(rows, raw)

    def _refill(self, rows: np.ndarray) -> None:
        raw = self._raw_blocks(len(rows))
        for i, row in enumerate(rows):
            rng = self.rngs[row]
            assert rng is not None, "a sub-env refills only after reset_rows gave it its generator"
            draw_block(rng, self.p, raw, i)
        self._store_block(rows, raw)

    def _raw_blocks(self, m: int) -> RawBlocks:
        return RawBlocks(*(buffer[:m] for buffer in self._raw))

    def _store_block(self, rows: np.ndarray, raw: RawBlocks) -> None:
        whole = len(rows) == self.num  # rows are distinct and sorted: all of them, so write in place
        out = Block(self.events, self.new_value) if whole else Block(self.events[rows], self.new_value[rows])
        make_block(self.p, raw, self.free_cells[rows], self.free_count[rows], out)
        if not whole:
            self.events[rows], self.new_value[rows] = out

    def _current_events(self) -> tuple[np.ndarray, np.ndarray]:
        """This step's events ``[5, n, num]`` and new orders' values ``[num, n]`` of every sub-env.

        The events are copied slot first, sub-env last, the layout of the state they are combined with.
        """
        t = self.clock % self.block
        if (t == t[0]).all():  # the usual case (a twin's sub-envs start together, episodes have one length)
            events, new_value = self.events[:, :, t[0]], self.new_value[:, t[0]]
        else:
            events, new_value = self.events[self._rows, :, t], self.new_value[self._rows, t]
        return np.ascontiguousarray(events.transpose(1, 2, 0)), new_value

    def masks(self) -> np.ndarray:
        n, status = self.p.n_orders, self.status
        mask = np.empty((self.num, self.p.n_actions), bool)
        mask[:, 0] = mask[:, 3 * n + 1 :] = True
        np.equal(status, 1, out=mask[:, 1 : n + 1])
        np.logical_and(status == 2, (self.load < self.p.driver_capacity)[:, None], out=mask[:, n + 1 : 2 * n + 1])
        np.equal(status, 3, out=mask[:, 2 * n + 1 : 3 * n + 1])
        return mask

    def observations(self) -> np.ndarray:
        obs = np.empty((self.num, self.p.obs_dim), np.float32)
        obs[:, : self.state.shape[1]] = self.state
        obs[:, self.state.shape[1] :] = self.value
        return obs

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Advance every row by one step; return rewards, terminations, truncations and per-row info arrays.

        The info carries the masks of the new states only when an episode ends, for the twin's final info.
        """
        p, rows, actions = self.p, self._rows, actions.reshape(-1)
        kind, slot, need = self._kind[actions], self._slot[actions], self._need[actions]
        slot_status = self.status[rows, slot]
        valid = (need == 0) | ((slot_status == need) & ((kind != PICKUP) | (self.load < p.driver_capacity)))
        kind = np.where(valid, kind, WAIT)  # an invalid action is a wait (see the spec's deviations)
        value = self.value[rows, slot]
        reward = np.full(self.num, -p.penalty_per_timestep)
        accept = kind == ACCEPT
        reward += np.where(accept, value / 3, 0.0)
        moving, arrived = self._move(kind, slot, actions)
        reward -= np.where(moving, p.penalty_per_move, 0.0)
        picked = (kind == PICKUP) & arrived
        self.status[rows, slot] = np.where(picked, 3, np.where(accept, 2, slot_status))
        self.load += picked
        reward += np.where(picked, value / 3, 0.0)
        delivered, missed = self._settle(kind == DELIVER, reward)
        self.clock += 1
        due = (self.clock % self.block == 0) & (self.clock < p.episode_length)
        if due.any():
            self._refill(np.flatnonzero(due))
        truncated = self.clock >= p.episode_length
        info = {"orders_delivered": delivered.sum(1), "orders_missed": missed.sum(1), "invalid_action": ~valid}
        if truncated.any():
            info["action_mask"] = self.masks()
        return reward, np.zeros(self.num, bool), truncated, info

    def _move(self, kind: np.ndarray, slot: np.ndarray, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move the drivers with a move action one cell towards their target; return who moved and who is there."""
        rows = self._rows
        restaurant = np.where(kind == PICKUP, self.restaurant_of[rows, slot], self._goal[actions])
        target = np.where((kind == DELIVER)[:, None], self.orders[rows, slot], self.restaurants[rows, restaurant])
        moving = kind >= PICKUP
        delta = target - self.driver
        horizontal = np.abs(delta[:, 0]) >= np.abs(delta[:, 1])  # the example moves along x first on ties
        self.driver[:, 0] += np.where(moving & horizontal, np.sign(delta[:, 0]), 0)
        self.driver[:, 1] += np.where(moving & ~horizontal, np.sign(delta[:, 1]), 0)
        return moving, (self.driver == target).all(1)

    def _settle(self, delivering: np.ndarray, reward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Deliver, age and expire orders, add their rewards, fill vacant slots; return delivered and missed."""
        p, status = self.p, self.status
        here = (self.x == self.driver[:, :1]) & (self.y == self.driver[:, 1:])
        delivered = here & (status == 3) & delivering[:, None]
        if delivered.any():
            on_time = delivered & (self.elapsed <= p.order_promise)
            rows, sums = _row_sums(self.value, on_time)
            reward[rows] += sums / 3
        alive = (status >= 1) & ~delivered
        self.elapsed += alive
        expired = alive & (self.elapsed >= p.order_promise)
        missed = expired & (status >= 2)
        if missed.any():
            clawback = self.value * ((status == 2) / 3 + (status == 3) * 2 / 3)  # the thirds already paid
            rows, sums = _row_sums(p.order_miss_penalty + clawback, missed)
            reward[rows] -= sums
        self.load -= (delivered | (expired & (status == 3))).sum(1, dtype=self.load.dtype)

        # Slots left by delivered, expired and taken orders, and free ones, take the block's next event.
        events, new_value = self._current_events()
        vacant = (status == 0) | delivered | expired | ((status == 1) & (events[EVENT_TAKEN].T == 1))
        self.elapsed[...] = np.where(vacant, 0, self.elapsed)
        for field, event in ((self.x, EVENT_X), (self.y, EVENT_Y), (self.restaurant_of, EVENT_RESTAURANT)):
            field[...] = np.where(vacant, events[event].T, field)
        status[...] = np.where(vacant, events[EVENT_CREATED].T, status)
        self.value[...] = np.where(vacant, new_value, self.value)
        return delivered, missed


def _row_sums(values: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows where ``where`` has a True, and their sums of ``values * where`` (the other rows sum to 0).

    NumPy sums a C-contiguous row pairwise but the rows of a column-major array in sequence; the rows are
    summed as C-contiguous copies so that rewards are the same, bit for bit, as before the layout changed.
    """
    rows = np.flatnonzero(where.any(1))
    return rows, np.ascontiguousarray(values[rows] * where[rows]).sum(1)


def _state_dtype(p: VehicleRoutingParams) -> type[np.signedinteger[Any]]:
    """int16 if it holds every state entry and driver-to-target distance, else int64."""
    bound = max(2 * max(p.map_quad) + 1, p.order_promise, p.driver_capacity, p.n_restaurants)
    return np.int16 if bound < np.iinfo(np.int16).max else np.int64


class VehicleRoutingEnv(MaskedScalarTwinEnv):
    """Stochastic dynamic vehicle routing: one driver, pickups at restaurants, deliveries within a time window.

    ## Description
    A food-delivery driver on a grid accepts orders from an app, picks each up at its restaurant and delivers
    it to the customer before the order's promise runs out. Orders appear at random, in zones that differ in
    how often they order and what an order is worth; open orders may be taken by other drivers. The vehicle
    carries at most ``driver_capacity`` orders, but any number may be accepted.

    ## Observation Space
    ``Box(float32, (2R + 4 + 6n,))`` (68 by default), ``R = n_restaurants``, ``n = n_orders``; cells are
    integer coordinates in ``[-map_quad[0], map_quad[0]] x [-map_quad[1], map_quad[1]]``:

    ==================  =========================================================================
    ``[0, R)``          restaurant x;  ``[R, 2R)`` restaurant y
    ``2R, 2R+1``        driver x, y
    ``2R+2, 2R+3``      used capacity (orders on board), capacity
    then n each:        order x, order y, status (0 free slot, 1 open, 2 accepted, 3 picked up),
                        restaurant of the order (-1 for a free slot), steps since the order appeared,
                        order value (0 for a free slot)
    ==================  =========================================================================

    ## Action Space
    ``Discrete(1 + 3n + R)``: ``0`` wait; ``1..n`` accept order ``i``; ``n+1..2n`` move one cell towards the
    restaurant of accepted order ``i`` and pick it up once there; ``2n+1..3n`` move one cell towards the
    customer of picked-up order ``i`` and deliver every picked-up order whose customer is at the driver's
    cell; ``3n+1..3n+R`` move one cell towards restaurant ``j``. A move goes along x if ``|dx| >= |dy|``,
    else along y. The valid actions are ``info["action_mask"]`` and :meth:`action_masks` (also computable from
    the observation with :func:`action_mask`): wait and go-to-restaurant always; accept an open order; pick up
    an accepted order when a seat is free; deliver a picked-up order. An invalid action is a wait.

    ## Rewards
    Per step: ``-penalty_per_timestep``; ``-penalty_per_move`` for each move action; a third of the order's
    value on acceptance, on pickup and on delivery; for an accepted order still undelivered ``order_promise``
    steps after it appeared, ``-order_miss_penalty`` and the thirds already paid are taken back. After the
    action, the age of every order grows by one, orders reaching ``order_promise`` leave, each open order is
    taken by another driver with ``order_timeout_prob``, and each free slot receives a new order with
    ``order_prob``: zone ~ ``order_probs_per_zone`` (zones are vertical strips of map columns), customer uniform
    over the zone's non-restaurant cells, restaurant uniform, value ~ half-normal(loc ``order_reward_min``,
    scale ``half_norm_scale_reward_per_zone``) truncated at ``order_reward_max`` of the zone.

    ## Starting State
    Restaurants on distinct uniform cells, the driver on a uniform cell, no orders, empty vehicle.

    ## Episode End
    No termination; the episode is *truncated* after ``episode_length`` steps (the end of the shift).
    ``info`` holds ``action_mask``, and after a step ``orders_delivered``, ``orders_missed``, ``invalid_action``.

    ## Arguments
    Defaults are the example's and the paper's: ``n_restaurants=2``, ``n_orders=10`` (order slots),
    ``order_prob=0.5``, ``driver_capacity=4``, ``map_quad=(5, 5)`` (an 11 x 11 grid), ``order_promise=60``,
    ``order_timeout_prob=0.15``, ``episode_length=1000``, ``num_zones=4``,
    ``order_probs_per_zone=(0.1, 0.5, 0.3, 0.1)``, ``order_reward_min=(8, 5, 2, 1)``,
    ``order_reward_max=(12, 8, 5, 3)``, ``half_norm_scale_reward_per_zone=(0.5,)*4``,
    ``penalty_per_timestep=0.1``, ``penalty_per_move=0.1``, ``order_miss_penalty=50``.

    ## Source
    B. Balaji et al., "ORL: Reinforcement Learning Benchmarks for Online Stochastic Optimization Problems",
    arXiv:1911.10641 (2019), section "Vehicle Routing"; its environment as published in
    aws/amazon-sagemaker-examples ``reinforcement_learning/rl_resource_allocation_ray_customEnv/src/vrp_env.py``
    (``VRPGymEnvironment``), which this follows, and in the authors' awslabs/or-rl-benchmarks
    (``Vehicle Routing Problem/src/vrp_environment.py``). OR-Gym's ``VehicleRoutingEnv`` ports the same problem.

    ## Deviations
    (1) An invalid action is a wait: the example moved the driver towards a free slot's stale fields
    (restaurant ``-1``, i.e. the last one; cell (0, 0)) and, without its mask, could load beyond capacity and
    fail its own state assertion. (2) The end of the shift is ``truncated``, not ``terminated``: the observation
    has no clock, so learners should bootstrap there. (3) The reset info carries the true mask (the example
    returned all ones). (4) The observation is the example's ``real_obs`` as a flat float32 Box (not int16
    inside a Dict with the mask), so SB3's MlpPolicy works directly; the mask is in ``info``. (5) Randomness
    comes from ``self.np_random``, drawn in blocks of steps per order slot (see :mod:`envs._vrp_draws`), not the
    global ``np.random``; customers are sampled uniformly among allowed cells rather than by rejection: the
    same distributions, reproducible under a seed. OR-Gym's port differs from the example (places on a 5 x 5
    grid of 0..4 but lets the driver reach 5, zones by rows, no time penalty) and has bugs (the delivery reward
    overwrites the step's reward; a miss decrements the capacity instead of the load); we follow the example.

    ## Baselines
    ``greedy_nearest`` (:class:`GreedyNearestOrderPolicy`, default: fast, capacity- and deadline-aware),
    ``value_greedy`` (:class:`ValueGreedyPolicy`: the same, accepting only orders worth >= 6),
    ``order_acceptance_mip`` (:class:`OrderAcceptanceMIPPolicy`: the ORL paper's baseline, an order-acceptance
    and routing MIP re-solved as orders arrive, ``awslabs/or-rl-benchmarks`` ``baseline_model.py``), and
    ``accept_all_nearest`` (:class:`AcceptAllNearestPolicy`, a lower bound). The strongest is the MIP
    (``order_acceptance_mip``), with its defaults (0.1 s per solve, 3 open orders per solve, the driver's time
    priced at 0.7 a step): on 34 paired episodes (seeds 100-133) it scores 583.3 against value_greedy's 543.2, a
    difference of +40.0 [8.0, 75.6] (bootstrap 95% CI), at about 18 s of CPU per 1000-step episode; greedy_nearest
    scores 264.9
    (``benchmarks/results/envs_vehicle_routing.md``). The source's plot shows its MIP near 640.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 -- gymnasium's Env.metadata is no ClassVar (mypy)
    python_info_scalars = True  # info counts and flags as Python scalars, as before (see ScalarTwinEnv)

    def __init__(self, **params: Any) -> None:
        self.params = make_params(**params)
        self.observation_space = observation_space(self.params)
        self.action_space = spaces.Discrete(self.params.n_actions)
        self._core = _Drivers(self.params, 1)


class VehicleRoutingVectorEnv(MaskedVectorTwinEnv):
    """``num_envs`` independent :class:`VehicleRoutingEnv` stepped together in NumPy, with same-step autoreset.

    Sub-env ``i`` reset with ``seed=s`` uses seed ``s + i`` (as ``SyncVectorEnv``) and then produces exactly
    the transitions of a ``VehicleRoutingEnv`` reset with that seed, including the episodes that follow an
    autoreset. On a truncated step the returned observation is the next episode's first one; the last one is
    in ``infos["final_obs"]`` and the step's info in ``infos["final_info"]`` (``AutoresetMode.SAME_STEP``).

    :param num_envs: number of sub-environments.
    :param params: the keyword parameters of :class:`VehicleRoutingEnv`.
    """

    def __init__(self, num_envs: int = 1, **params: Any) -> None:
        self.params = make_params(**params)
        p = self.params
        self._init_twin(num_envs, _Drivers(p, num_envs), observation_space(p), spaces.Discrete(p.n_actions))
