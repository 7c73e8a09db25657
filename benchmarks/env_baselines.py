"""Mean episode return +- 95% CI of every baseline heuristic and a random policy, per sagelab env.

Episode ``i`` of ``--episodes`` is sub-env ``i`` of the env's vector twin reset with ``seed=0`` (so it is
seeded ``i``, as the scalar env reset with ``seed=i``); each sub-env's first episode is counted. The random
policy picks uniformly among the valid actions when the env exposes an action mask (``action_masks()``),
else samples the action space; its generator is seeded ``--episodes`` so the run is reproducible.

    python benchmarks/env_baselines.py --env envs/VehicleRouting-v0 --episodes 100
    python benchmarks/env_baselines.py --env envs/VehicleRouting-v0 --baseline order_acceptance_mip --episodes 1 \\
        --seed 0

VehicleRouting's ``order_acceptance_mip`` solves a MIP at nearly every step (about 2.5 min per 1000-step episode
on the shared 2-core machine): name the baselines with ``--baseline`` to leave it out.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
from scipy import stats

import envs


def run_episodes(env_id: str, policy: object | None, episodes: int, env_kwargs: dict, seed: int = 0) -> np.ndarray:
    """Return of the first episode of each of ``episodes`` sub-envs (seeds ``seed..seed+episodes-1``)."""
    venv = gym.make_vec(env_id, num_envs=episodes, vectorization_mode="vector_entry_point", **env_kwargs)
    rng = np.random.default_rng(episodes)
    obs, _ = venv.reset(seed=seed)
    returns, running = np.zeros(episodes), np.ones(episodes, bool)
    while running.any():
        if policy is not None:
            actions, _ = policy.predict(obs, deterministic=True)
        elif hasattr(venv, "action_masks"):
            actions = np.array([rng.choice(np.flatnonzero(m)) for m in venv.action_masks()])
        else:
            venv.action_space.seed(int(rng.integers(2**31)))
            actions = venv.action_space.sample()
        obs, rewards, terminated, truncated, _ = venv.step(actions)
        returns += np.where(running, rewards, 0.0)
        running &= ~(terminated | truncated)
    venv.close()
    return returns


def summarize(returns: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its Student-t 95% confidence interval."""
    half = stats.t.ppf(0.975, len(returns) - 1) * stats.sem(returns) if len(returns) > 1 else float("nan")
    return float(returns.mean()), float(half)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", action="append", choices=envs.ENV_IDS, help="env id (repeatable; default: all)")
    parser.add_argument("--episodes", type=int, default=100, help="episodes per policy (seeds SEED..SEED+N-1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode (default 0)")
    parser.add_argument("--baseline", action="append", help="baseline name (repeatable; default: all, and random)")
    args = parser.parse_args(argv)
    print("| env | policy | mean return | 95% CI | episodes | seconds |")
    print("|---|---|---|---|---|---|")
    for env_id in args.env or envs.ENV_IDS:
        names = args.baseline or [*envs.baseline_names(env_id), "random"]
        policies = {name: None if name == "random" else envs.baseline_policy(env_id, name) for name in names}
        for name, policy in policies.items():
            start = time.perf_counter()
            returns = run_episodes(env_id, policy, args.episodes, {}, args.seed)
            if args.baseline:
                print(f"<!-- {name} returns, seeds {args.seed}..: {' '.join(f'{r:.2f}' for r in returns)} -->")
            mean, half = summarize(returns)
            seconds = time.perf_counter() - start
            print(f"| {env_id} | {name} | {mean:.2f} | +- {half:.2f} | {args.episodes} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
