"""Baseline policies of VehicleRouting (:mod:`envs.vehicle_routing`): nearest-stop greedy drivers.

They read everything, the action mask included, from the observation, so they drive the env and its twin alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs._vrp_params import WAIT, VehicleRoutingParams, action_mask, decode_observation, make_params


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
