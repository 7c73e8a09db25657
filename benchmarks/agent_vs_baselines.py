"""A trained agent vs its env's baseline heuristics on the same evaluation episodes, with paired bootstrap CIs.

All policies play the same ``--episodes`` episodes (one evaluation env seeded ``--seed``; the episodes'
randomness does not depend on the actions), so the difference of returns is paired episode by episode.

    .venv/bin/python benchmarks/agent_vs_baselines.py runs/<job> --episodes 100
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from experiments.code import job_root_of, load_recorded_code
from rl.baselines import baseline_names, baseline_policy
from rl.evaluation import evaluate_policy_on, load_trained
from rl.stats import paired_difference_ci, stratified_bootstrap_ci


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("job", type=Path, help="job directory, model or checkpoint directory, or model.tar.gz")
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument(
        "--seed", type=int, default=2_000_000, help="evaluation seed (default: not a training or eval seed)"
    )
    parser.add_argument(
        "--n-envs",
        type=int,
        default=1,
        help="spread the episodes over N envs seeded SEED+i (same episodes for every policy)",
    )
    args = parser.parse_args()

    root = job_root_of(args.job)
    if root is not None:
        load_recorded_code(root)  # a job trained on the user's own env imports the same code
    trained = load_trained(args.job)
    env_config = trained.config.env
    agent = evaluate_policy_on(
        trained.model,
        env_config,
        episodes=args.episodes,
        seed=args.seed,
        statistics=trained.statistics,
        n_envs=args.n_envs,
    )
    agent_returns = np.array(agent.episode_rewards)
    interval = stratified_bootstrap_ci(agent_returns, "mean")
    print(f"{env_config.name}, {args.episodes} episodes (eval seed {args.seed}); mean return [95% bootstrap CI]")
    print(
        f"  agent ({trained.config.algo.name}, {trained.model.num_timesteps:,} steps): {interval.estimate:.2f} "
        f"[{interval.low:.2f}, {interval.high:.2f}]"
    )
    for name in baseline_names(trained.config):  # the config's own baselines: first, then sagelab's
        policy = baseline_policy(trained.config, name)
        baseline = evaluate_policy_on(
            policy,
            env_config.model_copy(update={"normalize": False}),
            episodes=args.episodes,
            seed=args.seed,
            n_envs=args.n_envs,
        )
        returns = np.array(baseline.episode_rewards)
        own = stratified_bootstrap_ci(returns, "mean")
        difference = paired_difference_ci(agent_returns, returns)
        verdict = (
            "agent better"
            if difference.low > 0
            else "baseline better"
            if difference.high < 0
            else "no significant difference"
        )
        print(
            f"  {name}: {own.estimate:.2f} [{own.low:.2f}, {own.high:.2f}]; agent - {name} = "
            f"{difference.estimate:.2f} [{difference.low:.2f}, {difference.high:.2f}] -> {verdict}"
        )


if __name__ == "__main__":
    main()
