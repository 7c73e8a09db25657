"""Autoscaling: the example's load simulator, the fleet's bookkeeping, the reactive baseline, the vector twin."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import envs  # noqa: F401  (registers the environments)
from envs.autoscaling import (
    CYCLIC_MIN,
    CYCLIC_NOISE,
    CYCLIC_SPAN,
    LF_AMPLITUDE,
    LF_PERIOD_DAYS,
    SPIKE_GAP,
    SPIKE_HEIGHT,
    AutoscalingEnv,
    ReactiveThresholdPolicy,
    draw_load,
)

ENV_ID = "envs/Autoscaling-v0"
NOOP = 10  # action index of "no change" with the default max_machine_delta


def example_load(rng: np.random.Generator, minutes: int, max_tpm: float) -> np.ndarray:
    """The example's ``LoadSimulator``, minute by minute (noise drawn up front, as the env does)."""
    lo = rng.uniform(*CYCLIC_MIN)
    hi = lo + rng.uniform(*CYCLIC_SPAN)
    noise, phase0 = rng.uniform(*CYCLIC_NOISE), rng.uniform(-math.pi, math.pi)
    lf_amp, lf_period, lf_phase = (
        rng.uniform(*LF_AMPLITUDE),
        rng.uniform(*LF_PERIOD_DAYS),
        rng.uniform(-math.pi, math.pi),
    )
    factors = rng.normal(1.0, noise, size=minutes)

    def new_spike() -> tuple[float, float, float]:
        return rng.uniform(*SPIKE_GAP), 5 + rng.lognormal(3, 2), hi * rng.uniform(*SPIKE_HEIGHT)

    until, width, height = new_spike()
    out = []
    for minute in range(1, minutes + 1):
        phase = minute / (60 * 12) * np.pi + phase0
        load = ((lo + hi) / 2 + (hi - lo) / 2 * np.sin(phase)) * (1 + np.sin(phase / lf_period + lf_phase) * lf_amp)
        load *= factors[minute - 1]
        until -= 1
        spike = 0.0
        if until <= 0:
            spike = height * (1.0 + until / width)
            if spike < 0:
                until, width, height = new_spike()
        out.append(min(max(int(load + spike), 0), max_tpm))
    return np.array(out)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_load_follows_the_examples_simulator_minute_by_minute(seed: int) -> None:
    ours = draw_load(np.random.default_rng(seed), 5000, 1e5)
    np.testing.assert_array_equal(ours, example_load(np.random.default_rng(seed), 5000, 1e5))
    assert ours.min() > 0 and (np.diff(ours) != 0).any()


def scripted_env(load: list[int], tpm: float = 300.0, **kwargs) -> AutoscalingEnv:
    """An env whose next minutes have the given load and a fixed capacity per machine."""
    env = AutoscalingEnv(**kwargs)
    env.reset(seed=0)
    env._core.load[0, : len(load)] = load
    env._core.tpm[0, : len(load)] = tpm
    return env


def test_reward_is_revenue_minus_machines_minus_downtime() -> None:
    env = scripted_env([16_000, 12_000])
    # 50 machines x 300 tpm serve 15000 of 16000 transactions: 93.75% < 99.5%, so the minute is down
    _, reward, terminated, truncated, info = env.step(NOOP)
    assert reward == pytest.approx(15_000 * 0.9 / 1000 - 200 - 50 * 0.05)
    assert info["load"] - info["failed"] == info["capacity"] == 15_000
    assert info["down"] and info["failed"] == 1000 and not terminated and not truncated
    _, reward, _, _, info = env.step(NOOP)
    assert reward == pytest.approx(12_000 * 0.9 / 1000 - 50 * 0.05) and not info["down"]


def test_booted_machines_serve_after_the_warmup_and_removals_are_immediate() -> None:
    env = scripted_env([1000] * 10)
    obs, *_ = env.step(NOOP + 3)  # boot 3
    assert obs[-1] == pytest.approx(0.3)  # the last queue slot: ready in warmup_latency minutes
    actives = [env.step(NOOP)[4]["active_machines"] for _ in range(5)]
    assert actives == [50, 50, 50, 50, 53]
    _, _, _, _, info = env.step(NOOP - 7)  # shut 7 down
    assert info["active_machines"] == 46
    env = scripted_env([1000] * 3, initial_machines=4)
    assert env.step(0)[4]["active_machines"] == 0  # removing more than the fleet empties it


def test_observation_holds_current_signals_at_alpha_one_and_scaled_queue() -> None:
    env = scripted_env([16_000])
    obs, *_ = env.step(NOOP + 10)
    max_machines = int(2.5 * 1e5 / 300)
    np.testing.assert_allclose(obs[:4], [0.16, 1000 / 16_000, 1.0, 50 / max_machines], rtol=1e-5)
    # alpha 0.1: the EMAs started from the reset state (no load, 50 machines) and took one update
    np.testing.assert_allclose(obs[4:8], [0.016, 0.1 / 16, 0.1, 0.19 * 50 / max_machines], rtol=1e-5)
    np.testing.assert_allclose(obs[20:], [0, 0, 0, 0, 1])
    assert env.observation_space.contains(obs)


def test_episode_is_truncated_after_max_time_steps() -> None:
    env = AutoscalingEnv(max_time_steps=3)
    env.reset(seed=1)
    flags = [env.step(NOOP)[2:4] for _ in range(3)]
    assert flags == [(False, False), (False, False), (False, True)]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"initial_machines": -1}, ["initial_machines", "-1"]),
        ({"initial_machines": 10_000}, ["initial_machines", "833"]),
        ({"tpm_per_machine": 0}, ["tpm_per_machine", "0"]),
        ({"downtime_percent": 150}, ["downtime_percent", "150"]),
        ({"warmup_latency": 0}, ["warmup_latency", ">= 1"]),
        ({"max_time_steps": 2.5}, ["max_time_steps", "2.5"]),
        ({"capacity": 3}, ["capacity", "expected"]),
    ],
)
def test_bad_parameters_fail_at_construction(kwargs: dict, words: list[str]) -> None:
    with pytest.raises((ValueError, TypeError)) as error:  # TypeError for an unknown name
        gym.make(ENV_ID, **kwargs)
    assert all(word in str(error.value) for word in words)


def observation(load: float, active: int, pending: int = 0) -> np.ndarray:
    obs = np.zeros(25, np.float32)
    obs[0], obs[3] = load / 1e5, active / int(2.5 * 1e5 / 300)
    obs[-1] = pending / 10
    return obs


def test_reactive_baseline_scales_on_utilisation_thresholds() -> None:
    policy = ReactiveThresholdPolicy()
    # 30 machines at 9000 tpm: utilisation 0.9 > 0.7; target 0.55 needs ceil(9000 / 165) = 55, capped at +10
    assert policy.predict(observation(9000, 30))[0] == NOOP + 10
    # 7000 tpm needs ceil(7000 / 165) = 43: 13 more, of which 10 are already warming up
    assert policy.predict(observation(7000, 30, pending=10))[0] == NOOP + 3
    assert policy.predict(observation(9000, 50))[0] == NOOP  # utilisation 0.6: inside the band
    # utilisation 0.33 < 0.4: shrink towards ceil(3000 / 165) = 19 machines, at most 10 per minute
    assert policy.predict(observation(3000, 30))[0] == NOOP - 10
    assert policy.predict(observation(3000, 25))[0] == NOOP - 6
    assert policy.predict(observation(3000, 30, pending=2))[0] == NOOP  # no shrinking while machines boot
    batch = np.stack([observation(9000, 30), observation(5000, 30), observation(3000, 30)])
    np.testing.assert_array_equal(policy.predict(batch)[0], [NOOP + 10, NOOP, NOOP - 10])
    with pytest.raises(ValueError, match="lower"):
        ReactiveThresholdPolicy(upper=0.3, lower=0.5)


def run_returns(policy, seeds: range, **kwargs) -> np.ndarray:
    venv = gym.make_vec(ENV_ID, num_envs=len(seeds), vectorization_mode="vector_entry_point", **kwargs)
    obs, _ = venv.reset(seed=seeds.start)
    returns, running = np.zeros(len(seeds)), np.ones(len(seeds), bool)
    while running.any():
        actions = policy.predict(obs)[0] if policy else np.full(len(seeds), NOOP)
        obs, rewards, terminated, truncated, _ = venv.step(actions)
        returns += np.where(running, rewards, 0.0)
        running &= ~(terminated | truncated)
    return returns


def test_reactive_baseline_earns_more_than_a_fixed_fleet() -> None:
    seeds = range(8)
    reactive = run_returns(ReactiveThresholdPolicy(), seeds, max_time_steps=2000)
    fixed = run_returns(None, seeds, max_time_steps=2000)
    assert reactive.mean() > fixed.mean() + 1000


def test_vector_twin_equals_scalar_envs_across_autoresets() -> None:
    kwargs, num = {"max_time_steps": 7}, 4
    twin = gym.make_vec(ENV_ID, num_envs=num, vectorization_mode="vector_entry_point", **kwargs)
    reference = SyncVectorEnv(
        [lambda: AutoscalingEnv(**kwargs) for _ in range(num)], autoreset_mode=AutoresetMode.SAME_STEP
    )
    np.testing.assert_array_equal(twin.reset(seed=3)[0], reference.reset(seed=3)[0])
    rng = np.random.default_rng(0)
    for _ in range(30):
        actions = rng.integers(0, 21, size=num)
        out_twin, out_ref = twin.step(actions), reference.step(actions)
        for a, b in zip(out_twin[:4], out_ref[:4], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
        np.testing.assert_array_equal(step_loads(out_twin[4]), step_loads(out_ref[4]))


def step_loads(infos: dict) -> np.ndarray:
    """This step's load of every sub-env, from the step infos or, where it ended, the final infos."""
    final = infos.get("final_info", {})
    running = infos.get("_load", np.zeros(len(infos["_final_info"]) if final else 0, bool))
    return np.where(running, infos.get("load", 0), final.get("load", 0))
