"""Online stochastic bin packing (ORL, Balaji et al. 2019; SageMaker example rl_resource_allocation_ray_customEnv)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from envs._params import int_at_least, params_from, reject_unknown
from envs._policy import BaselinePolicy
from envs._twin import MaskedScalarTwinEnv, MaskedVectorTwinEnv

# Item-size distributions of the example (bag capacity 9, sizes 2 and 3) and their regimes, named as in
# the ORL paper: Sum-of-Squares reaches bounded waste on BW, perfect packing on PP, linear waste on LW.
DISTRIBUTIONS: dict[str, tuple[float, ...]] = {
    "linear_waste": (0.8, 0.2),
    "perfectly_packable": (0.75, 0.25),
    "bounded_waste": (0.5, 0.5),
}


@dataclass(frozen=True)
class BinPackingParams:
    """Validated parameters (see :class:`BinPackingEnv`; defaults are the example's)."""

    bag_capacity: int = 9
    item_sizes: tuple[int, ...] = (2, 3)
    item_probabilities: Any = "linear_waste"  # a name in DISTRIBUTIONS or a sequence; validated to a tuple
    time_horizon: int = 1000


def make_params(**kwargs: Any) -> BinPackingParams:
    """Validate env keyword arguments into :class:`BinPackingParams`; raise ``ValueError`` on bad values
    and ``TypeError`` on unknown names (as Python does for an unexpected keyword argument)."""
    reject_unknown("BinPacking", kwargs, BinPackingParams)
    p = {**BinPackingParams().__dict__, **kwargs}
    capacity = int_at_least("bag_capacity", p["bag_capacity"], 2)
    item_sizes, item_probabilities = p["item_sizes"], p["item_probabilities"]
    sizes = tuple(int(s) for s in np.atleast_1d(np.asarray(item_sizes)))
    if not sizes:
        raise ValueError("item_sizes must not be empty")
    if any(not 1 <= s < capacity for s in sizes) or np.asarray(item_sizes).dtype.kind not in "iu":
        raise ValueError(f"item_sizes must be integers in [1, bag_capacity - 1 = {capacity - 1}], got {item_sizes!r}")
    if isinstance(item_probabilities, str):
        if item_probabilities not in DISTRIBUTIONS:
            names = ", ".join(DISTRIBUTIONS)
            raise ValueError(f"item_probabilities {item_probabilities!r} is not one of {names} or a list")
        probabilities = DISTRIBUTIONS[item_probabilities]
    else:
        probabilities = tuple(float(p) for p in np.atleast_1d(np.asarray(item_probabilities, dtype=float)))
    if len(probabilities) != len(sizes):
        raise ValueError(f"item_probabilities has {len(probabilities)} entries for {len(sizes)} item_sizes")
    if any(p < 0 for p in probabilities) or not np.isclose(sum(probabilities), 1.0):
        raise ValueError(f"item_probabilities must be >= 0 and sum to 1, got {probabilities!r}")
    return BinPackingParams(capacity, sizes, probabilities, int_at_least("time_horizon", p["time_horizon"]))


def observation_space(p: BinPackingParams) -> spaces.Box:
    high = np.array([p.time_horizon] * p.bag_capacity + [max(p.item_sizes)], dtype=np.float32)
    return spaces.Box(low=np.zeros_like(high), high=high, dtype=np.float32)


class _Bins:
    """Bag counts per fill level of N sub-envs, and their episodes' item sequences."""

    def __init__(self, p: BinPackingParams, num: int) -> None:
        self.p = p
        self.levels = np.zeros((num, p.bag_capacity), np.int64)
        self.full = np.zeros(num, np.int64)
        self.t = np.zeros(num, np.int64)
        self.items = np.zeros((num, p.time_horizon + 1), np.int64)
        self._rows = np.arange(num)
        self._sizes = np.asarray(p.item_sizes)
        self._levels_1 = np.arange(1, p.bag_capacity)

    def reset_rows(self, rows: np.ndarray, rngs: list[np.random.Generator]) -> None:
        for row, rng in zip(rows, rngs, strict=True):
            # the whole episode's items at once: the next item is part of each observation
            self.items[row] = self._sizes[
                rng.choice(len(self._sizes), size=self.p.time_horizon + 1, p=self.p.item_probabilities)
            ]
        self.levels[rows] = 0
        self.full[rows] = 0
        self.t[rows] = 0

    @property
    def item(self) -> np.ndarray:
        return self.items[self._rows, self.t]

    def observations(self) -> np.ndarray:
        return np.concatenate([self.levels, self.item[:, None]], axis=1).astype(np.float32)

    def masks(self) -> np.ndarray:
        fits = (self.levels[:, 1:] > 0) & (self._levels_1[None, :] <= self.p.bag_capacity - self.item[:, None])
        return np.concatenate([np.ones((len(self._rows), 1), bool), fits], axis=1)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        capacity, item, rows = self.p.bag_capacity, self.item, self._rows
        actions = actions.astype(np.int64).reshape(-1)
        masks = self.masks()
        invalid = ~masks[rows, actions]
        if invalid.any():
            # the example's masked env: an invalid choice becomes the nearest valid bag level, else a new bag
            distance = np.where(
                masks[:, 1:], np.abs(self._levels_1[None, :] - actions[:, None]), np.iinfo(np.int64).max
            )
            nearest = np.where(masks[:, 1:].any(axis=1), distance.argmin(axis=1) + 1, 0)
            actions = np.where(invalid, nearest, actions)
        new_bag = actions == 0
        np.add.at(self.levels, (rows[new_bag], item[new_bag]), 1)
        into = ~new_bag
        np.add.at(self.levels, (rows[into], actions[into]), -1)
        target = actions + item
        fills = into & (target == capacity)
        self.full += fills
        grows = into & ~fills
        np.add.at(self.levels, (rows[grows], target[grows]), 1)
        # reward = minus the change in empty space: a new bag adds capacity - item, filling one removes item
        reward = np.where(new_bag, -(capacity - item), item).astype(np.float32)
        self.t += 1
        terminated = self.t >= self.p.time_horizon
        info = {"invalid_action": invalid, "full_bags": self.full.copy()}
        return reward, terminated, np.zeros_like(terminated), info


class BinPackingEnv(MaskedScalarTwinEnv):
    """Online stochastic bin packing.

    ## Description
    Items arrive one at a time; each must go into an open bag it fits in or a new bag. The goal is to waste
    as little space as possible over a fixed number of items.

    ## Observation Space
    ``Box(float32, bag_capacity + 1)``: entries ``0 .. bag_capacity - 1`` count the open bags at each fill
    level (level 0 is always 0, kept for the example's layout), the last entry is the size of the item to place.

    ## Action Space
    ``Discrete(bag_capacity)``: 0 opens a new bag; ``a >= 1`` puts the item into a bag filled to level ``a``.
    Valid when such a bag exists and ``a + item <= bag_capacity``; the mask is in ``info["action_mask"]`` and
    ``action_masks()``. As in the example's masked env, an invalid action is replaced by the nearest valid
    level (a new bag if none), flagged in ``info["invalid_action"]``.

    ## Rewards
    Minus the change in total empty space: ``-(bag_capacity - item)`` for a new bag, ``+item`` for an existing
    one. The episode return is minus the empty space left in all bags.

    ## Starting State
    No bags; the first item drawn from the distribution.

    ## Episode End
    Terminated after ``time_horizon`` items (the horizon is part of the problem); no truncation.

    ## Arguments
    ``bag_capacity`` (9), ``item_sizes`` ((2, 3)), ``item_probabilities`` ("linear_waste" = (0.8, 0.2); also
    "perfectly_packable" (0.75, 0.25), "bounded_waste" (0.5, 0.5), or a list), ``time_horizon`` (1000). The
    paper's large instances: capacity 100 with sizes 1..9.

    ## Source
    The SageMaker example ``rl_resource_allocation_ray_customEnv`` (``bin_packing_env.py``,
    ``BinPackingActionMaskGymEnvironment``, the variant it trains) and the ORL paper (Balaji et al. 2019, "ORL:
    Reinforcement Learning Benchmarks for Online Stochastic Optimization Problems"), which OR-Gym's
    ``BinPacking-v*`` also follow; the authors' baselines are in awslabs/or-rl-benchmarks
    (``Bin Packing/src/baseline_sum_of_squares.py``, ``baseline_best_fit.py``).

    ## Deviations
    Observations are float32 (SB3 policies expect floats); the example's uint32 Box advertised
    ``time_horizon`` as the bound of each count, kept. The whole item sequence is drawn at reset from the
    env's generator (same distribution; it makes the vector twin exact).

    ## Baselines
    ``sum_of_squares`` (:class:`SumOfSquaresPolicy`, Csirik et al. 2006, the paper's baseline; default) and
    ``best_fit`` (:class:`BestFitPolicy`, the example notebook's). The strongest on the default linear-waste
    distribution is ``best_fit``: -131.1 against sum_of_squares -204.7 per 1000-item episode
    (``benchmarks/RESULTS.md``).
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 -- gymnasium's Env.metadata is no ClassVar (mypy)

    def __init__(self, **params: Any) -> None:
        self.params = make_params(**params)
        self.observation_space = observation_space(self.params)
        self.action_space = spaces.Discrete(self.params.bag_capacity)
        self._core = _Bins(self.params, 1)


class BinPackingVectorEnv(MaskedVectorTwinEnv):
    """``num_envs`` :class:`BinPackingEnv` in NumPy arrays; sub-env ``i`` reset with seed ``s`` uses ``s + i``."""

    def __init__(self, num_envs: int = 1, **params: Any) -> None:
        self.params = make_params(**params)
        self._init_twin(
            num_envs,
            _Bins(self.params, num_envs),
            observation_space(self.params),
            spaces.Discrete(self.params.bag_capacity),
        )


class _BinPackingPolicy(BaselinePolicy):
    """Shared part of the heuristics: reads bag levels and the item from the observation."""

    def __init__(self, **env_kwargs: Any) -> None:
        self.params = params_from(make_params, BinPackingParams, env_kwargs)
        self.observation_size = self.params.bag_capacity + 1

    def _act(self, batch: np.ndarray) -> np.ndarray:
        levels, item = batch[:, :-1].round().astype(np.int64), batch[:, -1].round().astype(np.int64)
        return self._choose(levels, item)

    def _fits(self, levels: np.ndarray, item: np.ndarray) -> np.ndarray:
        level = np.arange(1, self.params.bag_capacity)
        return (levels[:, 1:] > 0) & (level[None, :] + item[:, None] <= self.params.bag_capacity)

    def _choose(self, levels: np.ndarray, item: np.ndarray) -> np.ndarray:
        raise TypeError(f"{type(self).__name__} must define _choose")


class BestFitPolicy(_BinPackingPolicy):
    """Best-Fit: the fullest open bag the item fits in, else a new bag."""

    def _choose(self, levels: np.ndarray, item: np.ndarray) -> np.ndarray:
        fits = self._fits(levels, item)
        fullest = self.params.bag_capacity - 1 - np.argmax(fits[:, ::-1], axis=1)
        return np.where(fits.any(axis=1), fullest, 0)


class SumOfSquaresPolicy(_BinPackingPolicy):
    """Sum-of-Squares (Csirik, Johnson, Kenyon, Orlin, Shor, Weber 2006): place the item where it minimizes
    sum_h N(h)^2 over partially filled levels h, N(h) = open bags at level h. Ties go to the fuller bag."""

    def _choose(self, levels: np.ndarray, item: np.ndarray) -> np.ndarray:
        capacity, rows = self.params.bag_capacity, np.arange(len(item))
        counts = np.concatenate([levels, np.zeros((len(item), 1), np.int64)], axis=1)  # level = capacity: full
        target = np.arange(capacity)[None, :] + item[:, None]  # level after placing into level a (a = 0: new bag)
        partial_after = target < capacity
        gain = np.where(partial_after, 2 * counts[rows[:, None], np.minimum(target, capacity)] + 1, 0)
        loss = np.where(np.arange(capacity)[None, :] > 0, -2 * levels + 1, 0)
        delta = (gain + loss).astype(float)
        allowed = np.concatenate([np.ones((len(item), 1), bool), self._fits(levels, item)], axis=1)
        delta[~allowed] = np.inf
        # ties: prefer the fuller bag (largest a), as Best-Fit would
        return capacity - 1 - np.argmin(delta[:, ::-1], axis=1)


BASELINES: dict[str, type] = {"sum_of_squares": SumOfSquaresPolicy, "best_fit": BestFitPolicy}
# the strongest on the default linear-waste distribution (the class docstring gives the numbers)
STRONGEST_BASELINE = "best_fit"
