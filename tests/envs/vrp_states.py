"""VehicleRouting states for the MIP baseline's tests: the solver's view of a sub-env, and a crowded one."""

from __future__ import annotations

import numpy as np

from envs._vrp_mip import _Model
from envs._vrp_params import decode_observation
from envs.vehicle_routing import VehicleRoutingEnv


def state_of(env: VehicleRoutingEnv) -> dict[str, np.ndarray]:
    """Sub-env 0's observation, decoded as the MIP reads it."""
    p = env.params
    obs = env._core.observations()
    return {key: value[0] for key, value in decode_observation(obs, p.n_orders, p.n_restaurants).items()}


def crowded_model() -> _Model:
    """Ten orders, seven open and three accepted, every one a candidate: far too big to prove optimal quickly."""
    env = VehicleRoutingEnv()
    env.reset(seed=1)
    core, rng = env._core, np.random.default_rng(0)
    core.orders[0] = rng.integers(-5, 6, size=(10, 2))
    core.restaurant_of[0], core.value[0] = rng.integers(2, size=10), rng.uniform(1, 12, size=10)
    core.status[0], core.elapsed[0] = [1] * 7 + [2] * 3, rng.integers(0, 20, size=10)
    return _Model(env.params, state_of(env), list(range(10)), time_value=0.3)
