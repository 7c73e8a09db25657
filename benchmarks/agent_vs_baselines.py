"""Trained agents (the training seeds of one config) vs baselines on the same evaluation episodes.

Every agent and each baseline play the same ``--episodes`` episodes (evaluation envs seeded ``--seed``; the
episodes' randomness does not depend on the actions), so each agent's difference to a baseline is paired
episode by episode. A baseline is evaluated once, whatever the number of agents. Printed: per seed the agent's
mean and its paired difference to the baseline (bootstrap 95% CI over episodes); across seeds the IQM and the
mean of the per-seed mean differences (rliable's stratified bootstrap over seeds) and the probability that an
agent run beats the baseline (see rl/seed_comparison.py). Those statistics are made only when the jobs are
distinct training seeds of one config (each job's seed read from its saved config): for a job and its
checkpoints, which are one training run, or jobs of different configs, each job is compared alone and the
output says why there is nothing across seeds.

    .venv/bin/python benchmarks/agent_vs_baselines.py runs/or5/knapsack-ppo-s{0,1,2,3,4}-* --episodes 100 \\
        --json results/knapsack_seeds.json
    .venv/bin/python benchmarks/agent_vs_baselines.py runs/<vrp job> --baseline order_acceptance_mip \\
        --baseline-episodes 20    # the MIP costs ~20 s of CPU an episode: it plays the first 20 only

Without ``--baseline`` the env's strongest baseline plays (``envs.strongest_baseline``: the env docstring says
on what evidence); a job may also be a model or checkpoint directory or a model.tar.gz.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from experiments.code import job_root_of, load_recorded_code
from rl.baselines import baseline_names, baseline_policy, strongest_baseline
from rl.evaluation import TrainedModel, evaluate_policy_on, load_trained
from rl.seed_comparison import RunsVsBaseline, across_seeds_problem, check_same_env, compare_runs
from rl.stats import DEFAULT_REPS


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("jobs", type=Path, nargs="+", help="job directories (one per training seed), model dirs")
    parser.add_argument("--episodes", type=int, default=100, help="episodes each agent plays (default: 100)")
    parser.add_argument(
        "--seed", type=int, default=2_000_000, help="evaluation seed (default: not a training or eval seed)"
    )
    parser.add_argument(
        "--n-envs",
        type=int,
        default=1,
        help="spread the episodes over N envs seeded SEED+i (same episodes for every policy)",
    )
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="NAME",
        help="a baseline to compare with (repeatable; default: the env's strongest)",
    )
    parser.add_argument(
        "--baseline-episodes",
        type=int,
        metavar="M",
        help="baselines play only the first M of the episodes (a slow one, e.g. a MIP); differences over those M",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number and per-episode return here")
    parser.add_argument(
        "--reps",
        type=int,
        default=DEFAULT_REPS,
        help=f"bootstrap replicates of each interval (default: {DEFAULT_REPS})",
    )
    return parser


def check_counts(args: argparse.Namespace) -> None:
    if min(args.episodes, args.n_envs, args.reps) < 1:
        raise ValueError(
            f"--episodes, --n-envs and --reps must be >= 1, got {args.episodes}, {args.n_envs} and {args.reps}"
        )
    if args.baseline_episodes is not None and not 1 <= args.baseline_episodes <= args.episodes:
        raise ValueError(
            f"--baseline-episodes must be between 1 and --episodes ({args.episodes}), got {args.baseline_episodes}"
        )


def load_agents(paths: Sequence[Path]) -> dict[str, TrainedModel]:
    """Each job's trained model, by the path given, with the user's code it was trained with importable."""
    agents: dict[str, TrainedModel] = {}
    for path in paths:
        root = job_root_of(path)
        if root is not None:
            load_recorded_code(root)  # a job trained on the user's own env imports the same code
        agents[str(path)] = load_trained(path)
    check_same_env({label: agent.config for label, agent in agents.items()})
    return agents


def chosen_baselines(asked: list[str], agent: TrainedModel) -> list[str]:
    """The baselines asked for, each known to the env, or else the env's strongest.

    :raises KeyError: naming an unknown baseline and the env's, or saying the env has none.
    """
    names = asked or [strongest_baseline(agent.config)]
    available = baseline_names(agent.config)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise KeyError(
            f"unknown baseline {unknown[0]!r} for {agent.config.env.name}; expected one of {', '.join(available)}"
        )
    return names


def play(progress: Progress, label: str, episodes: int, evaluate: Callable[..., Any]) -> tuple[list[float], float]:
    """The returns of ``evaluate(on_episode=...)`` and its CPU seconds, with a progress bar of its episodes."""
    task = progress.add_task(label, total=episodes)
    started = time.process_time()
    played = evaluate(on_episode=lambda: progress.advance(task))
    return played.episode_rewards, time.process_time() - started


def evaluate_all(
    args: argparse.Namespace, agents: dict[str, TrainedModel], baselines: list[str]
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, float]]:
    """(agent label -> returns, baseline -> returns, policy -> CPU seconds), with rich progress bars."""
    first = next(iter(agents.values())).config
    baseline_env = first.env.model_copy(update={"normalize": False})  # heuristics read raw observations
    played = args.baseline_episodes or args.episodes
    agent_returns: dict[str, list[float]] = {}
    baseline_returns: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        for label, agent in agents.items():
            agent_returns[label], cpu[label] = play(
                progress,
                f"agent {label}",
                args.episodes,
                lambda on_episode, agent=agent: evaluate_policy_on(
                    agent.model,
                    agent.config.env,
                    episodes=args.episodes,
                    seed=args.seed,
                    statistics=agent.statistics,
                    n_envs=args.n_envs,
                    on_episode=on_episode,
                ),
            )
        for name in baselines:
            policy = baseline_policy(first, name)
            baseline_returns[name], cpu[name] = play(
                progress,
                f"baseline {name}",
                played,
                lambda on_episode, policy=policy: evaluate_policy_on(
                    policy, baseline_env, episodes=played, seed=args.seed, n_envs=args.n_envs, on_episode=on_episode
                ),
            )
            cpu[name] += getattr(policy, "solver_cpu_seconds", 0.0)  # the MIP solves in a worker process
    return agent_returns, baseline_returns, cpu


def verdict(low: float, high: float) -> str:
    return "agent better" if low > 0 else "baseline better" if high < 0 else "no significant difference"


def describe_runs(agents: dict[str, TrainedModel], problem: str | None) -> str:
    """What the jobs are: training seeds of one config, or jobs that are not (and why)."""
    if problem is None:
        first = next(iter(agents.values())).config
        seeds = ", ".join(str(agent.config.seed) for agent in agents.values())
        return f"{len(agents)} training seeds of {first.name} ({seeds})"
    return f"{len(agents)} job{'s' if len(agents) > 1 else ''}, no statistics across seeds: {problem}"


def print_comparison(result: RunsVsBaseline, agents: dict[str, TrainedModel]) -> None:
    base, paired = result.baseline_mean, result.baseline_episodes
    print(
        f"\n{result.baseline} on {paired} of the {result.episodes} episodes: {base.estimate:.2f} "
        f"[{base.low:.2f}, {base.high:.2f}]"
    )
    for run in result.runs:
        config, mean, difference = agents[run.label].config, run.mean, run.difference
        print(
            f"  {run.label} ({config.algo.name}, seed {config.seed}, {agents[run.label].model.num_timesteps:,} "
            f"steps): {mean.estimate:.2f} [{mean.low:.2f}, {mean.high:.2f}]; agent - {result.baseline} = "
            f"{difference.estimate:.2f} [{difference.low:.2f}, {difference.high:.2f}] -> "
            f"{verdict(difference.low, difference.high)}"
        )
    if result.across_seeds is None:
        return
    for name, interval in result.across_seeds.difference.items():
        print(
            f"  {name.upper()} over {len(result.runs)} seeds of the mean difference: {interval.estimate:.2f} "
            f"[{interval.low:.2f}, {interval.high:.2f}] -> {verdict(interval.low, interval.high)}"
        )
    chance = result.across_seeds.improvement
    print(f"  P(agent run > {result.baseline}): {chance.estimate:.2f} [{chance.low:.2f}, {chance.high:.2f}]")


def report(
    args: argparse.Namespace, agents: dict[str, TrainedModel], results: list[RunsVsBaseline], problem: str | None
) -> dict:
    """Everything printed, and every per-episode return, as JSON for tables."""
    first = next(iter(agents.values())).config
    return {
        "env": first.env.name,
        "env_kwargs": first.env.kwargs,
        "episodes": args.episodes,
        "eval_seed": args.seed,
        "n_envs": args.n_envs,
        "confidence": 0.95,
        "bootstrap_reps": args.reps,
        "agents": [
            {
                "label": label,
                "config_name": agent.config.name,
                "algo": agent.config.algo.name,
                "seed": agent.config.seed,
                "timesteps": agent.model.num_timesteps,
            }
            for label, agent in agents.items()
        ],
        "across_seeds_skipped": problem,  # why the jobs are not aggregated as training seeds (None: they are)
        "comparisons": [result.to_dict() for result in results],
    }


def main(argv: Sequence[str] | None = None) -> None:
    arguments = parser()
    args = arguments.parse_args(argv)
    try:  # the user's mistakes end here, with exit status 2, before any episode is played
        check_counts(args)
        agents = load_agents(args.jobs)
        baselines = chosen_baselines(args.baseline, next(iter(agents.values())))
    except (ValueError, FileNotFoundError) as error:
        arguments.error(str(error))
    except KeyError as error:
        arguments.error(error.args[0])
    problem = across_seeds_problem({label: agent.config for label, agent in agents.items()})
    agent_returns, baseline_returns, cpu = evaluate_all(args, agents, baselines)
    results = [
        compare_runs(agent_returns, name, baseline_returns[name], seeds=problem is None, reps=args.reps)
        for name in baselines
    ]
    print(
        f"{next(iter(agents.values())).config.env.name}, {args.episodes} episodes (eval seed {args.seed}, "
        f"{args.n_envs} env(s)); mean return [95% bootstrap CI]\n{describe_runs(agents, problem)}"
    )
    for result in results:
        print_comparison(result, agents)
    print("\nCPU seconds: " + ", ".join(f"{label} {seconds:.1f}" for label, seconds in cpu.items()))
    if args.json is not None:
        document = report(args, agents, results, problem)
        document["cpu_seconds"] = cpu
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2))
        print(f"written: {args.json}")


if __name__ == "__main__":
    main()
