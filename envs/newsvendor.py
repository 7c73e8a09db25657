"""Multi-period newsvendor with lead time (ORL, Balaji et al. 2019; SageMaker example
rl_resource_allocation_ray_customEnv)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces
from scipy.stats import poisson

from envs._params import int_at_least, params_from, real_above, real_at_least, reject_unknown
from envs._policy import BaselinePolicy
from envs._twin import ScalarTwinEnv, VectorTwinEnv


@dataclass(frozen=True)
class NewsvendorParams:
    """Validated parameters (see :class:`NewsvendorEnv`; defaults are the example's)."""

    lead_time: int = 5
    discount: float = 1.0
    max_steps: int = 40
    max_level: float = 4000.0
    max_action: float = 2000.0
    max_price: float = 100.0
    max_holding_cost: float = 5.0
    max_lost_sale_penalty: float = 10.0
    max_mean_demand: float = 200.0

    @property
    def pipeline(self) -> int:
        return max(self.lead_time, 1)


def make_params(**kwargs: Any) -> NewsvendorParams:
    """Validate env keyword arguments into :class:`NewsvendorParams`; raise ``ValueError`` on bad values
    and ``TypeError`` on unknown names (as Python does for an unexpected keyword argument)."""
    reject_unknown("Newsvendor", kwargs, NewsvendorParams)
    p = {**NewsvendorParams().__dict__, **kwargs}
    gamma = real_above("discount", p["discount"])
    if gamma > 1:
        raise ValueError(f"discount must be in (0, 1], got {p['discount']!r}")
    return NewsvendorParams(
        lead_time=int_at_least("lead_time", p["lead_time"], 0),
        discount=gamma,
        max_steps=int_at_least("max_steps", p["max_steps"]),
        max_level=real_above("max_level", p["max_level"]),
        max_action=real_above("max_action", p["max_action"]),
        max_price=real_above("max_price", p["max_price"]),
        max_holding_cost=real_at_least("max_holding_cost", p["max_holding_cost"]),
        max_lost_sale_penalty=real_at_least("max_lost_sale_penalty", p["max_lost_sale_penalty"]),
        max_mean_demand=real_above("max_mean_demand", p["max_mean_demand"]),
    )


def observation_space(p: NewsvendorParams) -> spaces.Box:
    high = [p.max_level] * p.pipeline + [
        p.max_price,
        p.max_price,
        p.max_holding_cost,
        p.max_lost_sale_penalty,
        p.max_mean_demand,
    ]
    return spaces.Box(low=0.0, high=np.array(high, dtype=np.float32), dtype=np.float32)


class _Stores:
    """Inventory pipelines, cost parameters and demand sequences of N sub-envs."""

    def __init__(self, p: NewsvendorParams, num: int) -> None:
        self.p = p
        self.inventory = np.zeros((num, p.pipeline))
        self.costs = np.zeros((num, 5))  # price, cost, holding cost, lost-sale penalty, mean demand
        self.demand = np.zeros((num, p.max_steps))
        self.t = np.zeros(num, np.int64)
        self._rows = np.arange(num)

    def reset_rows(self, rows: np.ndarray, rngs: list[np.random.Generator]) -> None:
        p = self.p
        for row, rng in zip(rows, rngs, strict=True):
            price = rng.random() * p.max_price
            cost = rng.random() * price
            holding = rng.random() * min(cost, p.max_holding_cost)
            penalty = rng.random() * p.max_lost_sale_penalty
            mean = rng.random() * p.max_mean_demand
            self.costs[row] = (price, cost, holding, penalty, mean)
            self.demand[row] = rng.poisson(mean, size=p.max_steps)
        self.inventory[rows] = 0.0
        self.t[rows] = 0

    def observations(self) -> np.ndarray:
        return np.concatenate([self.inventory, self.costs], axis=1).astype(np.float32)

    def masks(self) -> None:
        return None

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        p, rows = self.p, self._rows
        price, cost, holding, penalty, _ = self.costs.T
        order = np.clip(actions.reshape(-1).astype(float), 0.0, 1.0) * p.max_action
        buys = np.maximum(0.0, np.minimum(order, np.maximum(0.0, p.max_level - self.inventory.sum(axis=1))))
        demand = self.demand[rows, self.t]
        on_hand = self.inventory[:, 0] + (buys if p.lead_time == 0 else 0.0)
        sales = np.minimum(on_hand, demand)
        overage = np.maximum(0.0, on_hand - demand)
        underage = np.maximum(0.0, demand - on_hand)
        reward = price * sales - p.discount**p.lead_time * cost * buys - holding * overage - penalty * underage
        arriving = np.maximum(0.0, np.minimum(p.max_level - on_hand, buys))
        if p.lead_time > 1:
            self.inventory[:, :-1] = self.inventory[:, 1:].copy()
            self.inventory[:, p.lead_time - 1] = arriving
            self.inventory[:, 0] += overage
        elif p.lead_time == 1:
            self.inventory[:, 0] = overage + arriving
        else:
            self.inventory[:, 0] = overage
        self.t += 1
        terminated = self.t >= p.max_steps
        info = {"demand": demand, "sales": sales, "overage": overage, "underage": underage, "ordered": buys}
        return reward.astype(np.float32), terminated, np.zeros_like(terminated), info


class NewsvendorEnv(ScalarTwinEnv):
    """Multi-period newsvendor with lead time and lost sales.

    ## Description
    Each period the vendor orders stock that arrives ``lead_time`` periods later, then a Poisson demand is
    realized: sales earn the price, unsold stock costs holding, unmet demand costs a goodwill penalty, and
    leftover stock carries over. Each episode draws new economics (price, cost, holding cost, penalty, mean
    demand), so a policy must read them from the observation.

    ## Observation Space
    ``Box(float32, max(lead_time, 1) + 5)``: the pipeline (entry 0: on-hand stock plus what arrives now; entry
    i: what arrives in i periods), then price, unit cost, holding cost, lost-sale penalty, mean demand.

    ## Action Space
    ``Box([0, 1])``: the order quantity as a fraction of ``max_action`` (2000 units), clipped so that stock in
    the pipeline stays below ``max_level``.

    ## Rewards
    ``price * sales - discount**lead_time * cost * ordered - holding * leftover - penalty * unmet``.

    ## Starting State
    Empty pipeline; price ~ U(0, 100), cost ~ U(0, price), holding ~ U(0, min(cost, 5)), penalty ~ U(0, 10),
    mean demand ~ U(0, 200).

    ## Episode End
    Terminated after ``max_steps`` periods (40); no truncation.

    ## Arguments
    ``lead_time`` (5), ``discount`` (1.0), ``max_steps`` (40), ``max_level`` (4000), ``max_action`` (2000),
    ``max_price`` (100), ``max_holding_cost`` (5), ``max_lost_sale_penalty`` (10), ``max_mean_demand`` (200).

    ## Source
    The SageMaker example ``rl_resource_allocation_ray_customEnv`` (``news_vendor_env.py``,
    ``NewsVendorGymEnvironmentNormalized``, the variant it trains) and the ORL paper (Balaji et al. 2019); the
    authors' baseline is awslabs/or-rl-benchmarks ``News Vendor/src/heuristic_baseline.py``.

    ## Deviations
    The demand sequence of an episode is drawn at reset from the env's generator (same Poisson law; it makes
    the vector twin exact). The example's state kept float64; observations here are float32. The example's
    second clip of the order (``min(max_level - on_hand, buys)``) after costing it is kept as is.

    ## Baselines
    ``base_stock`` (:class:`BaseStockPolicy`): the critical-ratio order-up-to policy the paper compares against,
    the only and so the strongest shipped (69,093 mean return, ``benchmarks/RESULTS.md``).
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 -- gymnasium's Env.metadata is no ClassVar (mypy)

    def __init__(self, **params: Any) -> None:
        self.params = make_params(**params)
        self.observation_space = observation_space(self.params)
        self.action_space = spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        self._core = _Stores(self.params, 1)


class NewsvendorVectorEnv(VectorTwinEnv):
    """``num_envs`` :class:`NewsvendorEnv` in NumPy arrays; sub-env ``i`` reset with seed ``s`` uses ``s + i``."""

    def __init__(self, num_envs: int = 1, **params: Any) -> None:
        self.params = make_params(**params)
        action_space = spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        self._init_twin(num_envs, _Stores(self.params, num_envs), observation_space(self.params), action_space)


class BaseStockPolicy(BaselinePolicy):
    """Order up to S = the critical-ratio quantile of demand over the lead time plus one period.

    Critical ratio ``(price - cost + penalty) / (price - cost + penalty + holding)`` (the newsvendor
    fractile with lost-sale penalty); demand over ``lead_time + 1`` periods is Poisson with mean
    ``(lead_time + 1) * mean``; the order is ``S`` minus the inventory position (the whole pipeline).
    """

    def __init__(self, **env_kwargs: Any) -> None:
        self.params = params_from(make_params, NewsvendorParams, env_kwargs)
        self.observation_size = self.params.pipeline + 5

    def order_up_to(self, observation: np.ndarray) -> np.ndarray:
        batch = np.asarray(observation, dtype=float).reshape(-1, self.params.pipeline + 5)
        price, cost, holding, penalty, mean = batch[:, self.params.pipeline :].T
        underage = price - cost + penalty
        ratio = np.clip(underage / np.maximum(underage + holding, 1e-12), 0.0, 1.0 - 1e-9)
        return poisson.ppf(ratio, mean * (self.params.lead_time + 1))

    def _act(self, batch: np.ndarray) -> np.ndarray:
        position = batch[:, : self.params.pipeline].sum(axis=1)
        order = np.maximum(0.0, self.order_up_to(batch) - position)
        return np.clip(order / self.params.max_action, 0.0, 1.0).astype(np.float32)[:, None]


BASELINES: dict[str, type] = {"base_stock": BaseStockPolicy}
STRONGEST_BASELINE = "base_stock"
