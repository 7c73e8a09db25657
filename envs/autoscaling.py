"""Predictive autoscaling of a simulated web service (SageMaker example rl_predictive_autoscaling_coach_customEnv)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from envs._params import int_at_least, params_from, real_above, real_at_least, reject_unknown
from envs._policy import BaselinePolicy
from envs._twin import ScalarTwinEnv, VectorTwinEnv

# EMA smoothing factors of the example's observation (1.0 = the current value, 1e-4 = a ~week-long mean).
EMA_ALPHAS = np.array([1.0, 0.1, 0.01, 0.001, 0.0001])
SIGNALS = ("load", "failed_fraction", "down", "active")
# The example's load simulator (LoadSimulator), per episode: daily cycle bounds (transactions per minute),
# multiplicative noise, a low-frequency modulation over several days, and linearly decaying spikes.
CYCLIC_MIN = (1000.0, 2000.0)
CYCLIC_SPAN = (5000.0, 7000.0)
CYCLIC_NOISE = (0.01, 0.05)
LF_AMPLITUDE = (0.1, 0.2)
LF_PERIOD_DAYS = (2.0, 5.0)
SPIKE_GAP = (100.0, 1000.0)
SPIKE_HEIGHT = (0.1, 0.2)  # fraction of the cycle's maximum
MINUTES_PER_HALF_DAY = 720.0


@dataclass(frozen=True)
class AutoscalingParams:
    """Validated parameters (see :class:`AutoscalingEnv`; defaults are the example's)."""

    warmup_latency: int = 5
    tpm_per_machine: float = 300.0
    tpm_sigma: float = 30.0
    machine_cost: float = 0.05
    transaction_val: float = 0.90
    downtime_cost: float = 200.0
    downtime_percent: float = 99.5
    initial_machines: int = 50
    max_time_steps: int = 10000
    max_tpm: float = 1e5
    max_machine_delta: int = 10

    @property
    def max_machines(self) -> int:
        """Fleet size limit: 2.5 times what the maximum load needs, as in the example."""
        return int(2.5 * self.max_tpm / self.tpm_per_machine)


def make_params(**kwargs: Any) -> AutoscalingParams:
    """Check the parameters once, for the scalar env, its twin and the baseline alike."""
    reject_unknown("Autoscaling", kwargs, AutoscalingParams)
    p = {**AutoscalingParams().__dict__, **kwargs}
    percent = real_at_least("downtime_percent", p["downtime_percent"])
    if percent > 100:
        raise ValueError(f"downtime_percent must be in [0, 100], got {p['downtime_percent']!r}")
    params = AutoscalingParams(
        warmup_latency=int_at_least("warmup_latency", p["warmup_latency"]),
        tpm_per_machine=real_above("tpm_per_machine", p["tpm_per_machine"]),
        tpm_sigma=real_at_least("tpm_sigma", p["tpm_sigma"]),
        machine_cost=real_at_least("machine_cost", p["machine_cost"]),
        transaction_val=real_at_least("transaction_val", p["transaction_val"]),
        downtime_cost=real_at_least("downtime_cost", p["downtime_cost"]),
        downtime_percent=percent,
        initial_machines=int_at_least("initial_machines", p["initial_machines"], 0),
        max_time_steps=int_at_least("max_time_steps", p["max_time_steps"]),
        max_tpm=real_above("max_tpm", p["max_tpm"]),
        max_machine_delta=int_at_least("max_machine_delta", p["max_machine_delta"]),
    )
    if params.max_machines < 1:
        raise ValueError(
            f"max_tpm / tpm_per_machine must allow at least one machine, got {params.max_tpm} / "
            f"{params.tpm_per_machine}"
        )
    if params.initial_machines > params.max_machines:
        raise ValueError(
            f"initial_machines must be <= max_machines = {params.max_machines}, got {params.initial_machines}"
        )
    return params


def observation_space(p: AutoscalingParams) -> spaces.Box:
    """Every entry is scaled to [0, 1] (layout in :class:`AutoscalingEnv`)."""
    size = len(EMA_ALPHAS) * len(SIGNALS) + p.warmup_latency
    return spaces.Box(0.0, 1.0, shape=(size,), dtype=np.float32)


def draw_load(rng: np.random.Generator, minutes: int, max_tpm: float) -> np.ndarray:
    """One episode of the example's simulated load (transactions in minutes 1..``minutes``), int64.

    Daily sinusoid between a random minimum and maximum, modulated by a slower sinusoid and multiplied
    by Gaussian noise, plus spikes: after a random gap a spike jumps to 10-20% of the cycle's maximum
    and decays linearly over a log-normal width; when it is over the next gap starts.
    """
    lo = rng.uniform(*CYCLIC_MIN)
    hi = lo + rng.uniform(*CYCLIC_SPAN)
    noise, phase0 = rng.uniform(*CYCLIC_NOISE), rng.uniform(-math.pi, math.pi)
    lf_amp, lf_period, lf_phase = (
        rng.uniform(*LF_AMPLITUDE),
        rng.uniform(*LF_PERIOD_DAYS),
        rng.uniform(-math.pi, math.pi),
    )
    m = np.arange(1, minutes + 1, dtype=np.float64)
    phase = m / MINUTES_PER_HALF_DAY * math.pi + phase0
    cyclic = (lo + hi) / 2 + (hi - lo) / 2 * np.sin(phase)
    cyclic *= 1 + np.sin(phase / lf_period + lf_phase) * lf_amp
    cyclic *= rng.normal(1.0, noise, size=minutes)
    spikes = np.zeros(minutes)
    start = 0  # index of the first minute of the current gap
    while start < minutes:
        gap, width = rng.uniform(*SPIKE_GAP), 5 + rng.lognormal(3, 2)
        height = hi * rng.uniform(*SPIKE_HEIGHT)
        # minute j (1-based within the gap) has t = gap - j; the spike is on for t <= 0 and ends at the
        # first minute where height * (1 + t / width) < 0, which itself still adds that (negative) value
        first_on = max(math.ceil(gap), 1)
        last = math.floor(gap + width) + 1
        j = np.arange(first_on, min(last, minutes - start) + 1)
        spikes[start + j - 1] = height * (1 + (gap - j) / width)
        start += last
    return np.clip(np.trunc(cyclic + spikes), 0, max_tpm).astype(np.int64)


class _Servers:
    """Machines, warm-up queues, EMAs and the load of N sub-envs."""

    def __init__(self, p: AutoscalingParams, num: int) -> None:
        self.p = p
        self.load = np.zeros((num, p.max_time_steps), np.int64)
        self.tpm = np.zeros((num, p.max_time_steps))  # capacity of a machine, per minute
        self.active = np.zeros(num, np.int64)
        self.queue = np.zeros((num, p.warmup_latency), np.int64)  # queue[:, k]: machines ready in k + 1 min
        self.ema = np.zeros((num, len(SIGNALS), len(EMA_ALPHAS)))
        self.t = np.zeros(num, np.int64)
        self._rows = np.arange(num)

    def reset_rows(self, rows: np.ndarray, rngs: list[np.random.Generator]) -> None:
        p = self.p
        for row, rng in zip(rows, rngs, strict=True):
            self.load[row] = draw_load(rng, p.max_time_steps, p.max_tpm)
            self.tpm[row] = rng.normal(p.tpm_per_machine, p.tpm_sigma, size=p.max_time_steps)
        self.active[rows] = p.initial_machines
        self.queue[rows] = 0
        self.t[rows] = 0
        self.ema[rows] = 0.0
        zeros = np.zeros(len(rows))
        self._update_ema(rows, np.stack([zeros, zeros, zeros, self.active[rows] / p.max_machines], axis=1))

    def _update_ema(self, rows: np.ndarray, current: np.ndarray) -> None:
        self.ema[rows] = self.ema[rows] * (1.0 - EMA_ALPHAS) + current[:, :, None] * EMA_ALPHAS

    def observations(self) -> np.ndarray:
        emas = self.ema.transpose(0, 2, 1).reshape(len(self.ema), -1)  # alpha-major, as the example
        return np.concatenate([emas, self.queue / self.p.max_machine_delta], axis=1).astype(np.float32)

    def masks(self) -> None:
        return None

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        p, rows = self.p, self._rows
        delta = actions.reshape(-1).astype(np.int64) - p.max_machine_delta
        self.active = np.maximum(0, self.active - np.maximum(-delta, 0))
        self.active = np.minimum(self.active + self.queue[:, 0], p.max_machines)
        self.queue[:, :-1] = self.queue[:, 1:].copy()
        self.queue[:, -1] = np.maximum(delta, 0)
        load = self.load[rows, self.t]
        capacity = np.trunc(self.active * self.tpm[rows, self.t]).astype(np.int64)
        served = np.minimum(load, capacity)
        failed = load - served
        down = 100.0 * served / (load + 1e-20) < p.downtime_percent
        reward = served * p.transaction_val / 1000.0 - down * p.downtime_cost - self.active * p.machine_cost
        signals = [load / p.max_tpm, failed / (load + 1e-5), down.astype(float), self.active / p.max_machines]
        self._update_ema(rows, np.stack(signals, axis=1))
        self.t += 1
        truncated = self.t >= p.max_time_steps
        info = {
            "load": load,
            "capacity": capacity,
            "failed": failed,
            "down": down,
            "active_machines": self.active.copy(),
        }
        return reward, np.zeros_like(truncated), truncated, info


class AutoscalingEnv(ScalarTwinEnv):
    """Scale a fleet of web servers ahead of a periodic, noisy, spiky load; new machines boot slowly.

    ## Description
    One step is one minute. Each step the fleet changes (see the action), then the minute's load arrives and
    is served up to the fleet's capacity; the operator earns per transaction served and pays per machine and
    for downtime.

    ## Observation Space
    ``Box(0, 1, (20 + warmup_latency,), float32)``: for each EMA factor alpha in (1, 0.1, 0.01, 0.001,
    0.0001) (alpha-major), the exponential moving averages of: load / max_tpm, failed / load, downtime (0/1),
    active machines / max_machines (alpha 1 = this minute's value); then the warm-up queue /
    max_machine_delta (entry k: machines that become active in k + 1 minutes).

    ## Action Space
    ``Discrete(2 * max_machine_delta + 1)`` = 21: ``a - max_machine_delta`` machines, i.e. -10..+10. A positive
    change boots that many machines, active after ``warmup_latency`` minutes (5); a negative change shuts
    machines down at once (never below 0). The fleet is capped at ``max_machines = int(2.5 * max_tpm /
    tpm_per_machine)`` = 833. No action is invalid (as in the example, over-removal and the cap clamp), so
    there is no action mask.

    ## Rewards
    Per minute, in dollars: ``served * transaction_val / 1000 - active * machine_cost - downtime_cost *
    [served / load < downtime_percent %]``, with ``served = min(load, capacity)`` and ``capacity = int(active
    * c)``, ``c ~ N(tpm_per_machine, tpm_sigma)`` drawn once per minute for the whole fleet. ``info`` holds
    load, capacity, failed, down, active_machines.

    ## Starting State
    ``initial_machines`` (50) active, empty warm-up queue, EMAs at 0 updated with the reset state. Load per
    episode: daily cycle min ~ U(1000, 2000) tpm, max = min + U(5000, 7000), noise factor ~ N(1, U(0.01,
    0.05)), a 2-5-day modulation of +-10-20%, spikes of 10-20% of the max every U(100, 1000) minutes decaying
    over 5 + LogNormal(3, 2) minutes; clipped to [0, max_tpm].

    ## Episode End
    Truncated after ``max_time_steps`` (10000) minutes; no termination (the observation has no clock, so the
    time limit is a truncation).

    ## Arguments
    ``warmup_latency`` 5, ``tpm_per_machine`` 300, ``tpm_sigma`` 30, ``machine_cost`` 0.05,
    ``transaction_val`` 0.90, ``downtime_cost`` 200, ``downtime_percent`` 99.5, ``initial_machines`` 50,
    ``max_time_steps`` 10000, ``max_tpm`` 1e5, ``max_machine_delta`` 10.

    ## Source
    ``SimpleScalableWebserviceSim`` and ``LoadSimulator`` of the SageMaker example
    ``rl_predictive_autoscaling_coach_customEnv`` (``src/autoscalesim.py``, trained there by
    ``preset-autoscale-ppo.py``; the README: "10000 time steps in one episode").

    ## Deviations
    (1) The example's action is ``Box(0, 10, (2,), int8)`` (add *and* remove at once); here it is one discrete
    net change, so DQN and MaskablePPO apply. Adding and removing in the same minute only wastes money, so no
    useful policy is lost. (2) The episode is ``max_time_steps`` steps (the example's ``t > max_time_steps``
    ran one more). (3) EMAs restart at each reset (the example carried them across episodes) and the reset
    state counts as "not down" (the example's 0/0 at reset flagged downtime). (4) Observation bounds are
    [0, 1], the range of the scaled values (the example declared unscaled bounds). (5) Randomness comes from
    the env's seeded generator and each episode's load and per-minute machine capacity are drawn at reset
    (same laws), so the vector twin is exact.

    ## Baselines
    ``reactive_threshold`` (:class:`ReactiveThresholdPolicy`, step/threshold scaling), the only and so the
    strongest shipped.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 -- gymnasium's Env.metadata is no ClassVar (mypy)

    def __init__(self, **params: Any) -> None:
        self.params = make_params(**params)
        self.observation_space = observation_space(self.params)
        self.action_space = spaces.Discrete(2 * self.params.max_machine_delta + 1)
        self._core = _Servers(self.params, 1)


class AutoscalingVectorEnv(VectorTwinEnv):
    """``num_envs`` :class:`AutoscalingEnv` in NumPy arrays; sub-env ``i`` reset with seed ``s`` uses ``s + i``."""

    def __init__(self, num_envs: int = 1, **params: Any) -> None:
        self.params = make_params(**params)
        action_space = spaces.Discrete(2 * self.params.max_machine_delta + 1)
        self._init_twin(num_envs, _Servers(self.params, num_envs), observation_space(self.params), action_space)


class ReactiveThresholdPolicy(BaselinePolicy):
    """Reactive threshold autoscaling: act on this minute's utilisation, blind to the load's pattern.

    Utilisation ``u = load / (active * tpm_per_machine)``. If ``u > upper`` it boots enough machines to
    bring the fleet, counting those still warming up, to utilisation ``target = (upper + lower) / 2``;
    if ``u < lower`` and nothing is warming up it shuts down the machines above that target. Changes
    are capped at ``max_machine_delta`` per minute. This is the rule of step/threshold scaling in
    cloud autoscalers (e.g. AWS EC2 Auto Scaling step policies on CPU utilisation); it reads only the
    observation (alpha-1 load and active machines, and the warm-up queue).

    :param upper: utilisation above which the fleet grows.
    :param lower: utilisation below which the fleet shrinks.
    :param env_kwargs: the kwargs the env was built with (other keys ignored).
    """

    def __init__(self, upper: float = 0.7, lower: float = 0.4, **env_kwargs: Any) -> None:
        if not 0 < lower < upper:
            raise ValueError(f"thresholds must satisfy 0 < lower < upper, got lower={lower!r}, upper={upper!r}")
        self.upper, self.lower = float(upper), float(lower)
        self.params = params_from(make_params, AutoscalingParams, env_kwargs)
        self.observation_size = observation_space(self.params).shape[0]

    def _act(self, batch: np.ndarray) -> np.ndarray:
        p = self.params
        batch = batch.astype(np.float64)
        load = batch[:, 0] * p.max_tpm
        active = np.rint(batch[:, 3] * p.max_machines)
        pending = np.rint(batch[:, 4 * len(EMA_ALPHAS) :] * p.max_machine_delta).sum(axis=1)
        utilisation = load / np.maximum(active * p.tpm_per_machine, 1e-9)
        needed = np.ceil(load / ((self.upper + self.lower) / 2 * p.tpm_per_machine))
        grow = np.where(utilisation > self.upper, np.clip(needed - active - pending, 0, p.max_machine_delta), 0)
        shrink = np.where(
            (utilisation < self.lower) & (pending == 0), np.clip(active - needed, 0, p.max_machine_delta), 0
        )
        return (p.max_machine_delta + grow - shrink).astype(np.int64)


BASELINES: dict[str, type] = {"reactive_threshold": ReactiveThresholdPolicy}
STRONGEST_BASELINE = "reactive_threshold"
