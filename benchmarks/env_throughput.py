"""Environment throughput: each scalar env vs its NumPy vector twin at 1, 64 and 1024 envs, in one run.

Steps per second with random actions (drawn before timing), autoresets included. Gymnasium's
CartPole-v1 and its CartPoleVectorEnv are measured in the same run as the machine's yardstick.
Goals: twin at 1024 envs >= 50x the scalar env; >= 1M steps/s for the simple envs.

    .venv/bin/python benchmarks/env_throughput.py                # every env, ~2 s per measurement
    .venv/bin/python benchmarks/env_throughput.py --env envs/BinPacking-v0 --seconds 1
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym

import envs

SIZES = (1, 64, 1024)


def scalar_rate(env_id: str, seconds: float) -> float:
    env = gym.make(env_id, disable_env_checker=True)
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(4096)]
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for action in actions[:512]:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
        steps += 512
    return steps / (time.perf_counter() - started)


def vector_rate(env_id: str, num_envs: int, seconds: float) -> float:
    venv = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
    venv.reset(seed=0)
    venv.action_space.seed(0)
    actions = [venv.action_space.sample() for _ in range(64)]
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for batch in actions:
            venv.step(batch)
        steps += num_envs * len(actions)
    return steps / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--env", action="append", help="env id (repeatable); default: CartPole-v1 and every sagelab env"
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    env_ids = args.env or ["CartPole-v1", *envs.ENV_IDS]

    header = f"{'env':28} {'scalar':>12} " + " ".join(f"{f'twin x{n}':>13}" for n in SIZES) + f" {'x1024 / scalar':>15}"
    print(header)
    print("-" * len(header))
    for env_id in env_ids:
        scalar = scalar_rate(env_id, args.seconds)
        rates = [vector_rate(env_id, n, args.seconds) for n in SIZES]
        cells = " ".join(f"{rate:>13,.0f}" for rate in rates)
        print(f"{env_id:28} {scalar:>12,.0f} {cells} {rates[-1] / scalar:>14.1f}x", flush=True)
    print("\nsteps per second, random actions, autoresets included")


if __name__ == "__main__":
    main()
