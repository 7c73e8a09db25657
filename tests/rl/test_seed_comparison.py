"""Training seeds against one baseline on the same episodes: per-seed paired differences, aggregates over seeds."""

from __future__ import annotations

import numpy as np
import pytest

from rl.config import AlgoConfig, EnvConfig, RLConfig
from rl.seed_comparison import across_seeds_problem, check_same_env, compare_runs
from rl.stats import aggregate_intervals, paired_difference_ci


def config(seed: int, algo: str = "ppo", **env: object) -> RLConfig:
    return RLConfig(
        name="knapsack",
        env=EnvConfig(id="envs/Knapsack-v0", **env),
        algo=AlgoConfig(name=algo),
        total_timesteps=1000,
        seed=seed,
    )


def test_each_seed_is_paired_with_the_baseline_on_its_first_episodes_and_seeds_are_aggregated() -> None:
    rng = np.random.default_rng(0)
    baseline = rng.normal(10, 3, size=4)
    agents = {f"s{seed}": list(rng.normal(10 + seed, 3, size=6)) for seed in range(5)}
    result = compare_runs(agents, "greedy", baseline, seeds=True, reps=200)
    assert (result.episodes, result.baseline_episodes) == (6, 4)
    for seed in result.runs:
        assert seed.difference == paired_difference_ci(agents[seed.label][:4], baseline, reps=200)
        assert seed.paired_mean == pytest.approx(np.mean(agents[seed.label][:4]))
        assert seed.mean.estimate == pytest.approx(np.mean(agents[seed.label]))
    differences = [seed.difference.estimate for seed in result.runs]
    assert result.across_seeds is not None
    assert result.across_seeds.difference == aggregate_intervals(differences, ("iqm", "mean"), reps=200)
    # one baseline run: the probability of improvement is the share of seeds whose paired mean beats its mean
    above = np.mean([seed.paired_mean > baseline.mean() for seed in result.runs])
    assert result.across_seeds.improvement.estimate == pytest.approx(above)
    assert result.to_dict()["runs"][0]["returns"] == agents["s0"]
    # runs that are not seeds keep their paired comparisons, and get nothing across them
    alone = compare_runs(agents, "greedy", baseline, seeds=False, reps=200)
    assert alone.runs == result.runs and alone.across_seeds is None and alone.to_dict()["across_seeds"] is None


def test_only_distinct_training_seeds_of_one_config_are_aggregated_across_seeds() -> None:
    renamed = config(2).model_copy(update={"name": "knapsack-s2", "torch_threads": 2})  # names it, not what it learns
    assert across_seeds_problem({"s0": config(0), "s1": config(1), "s2": renamed}) is None
    assert across_seeds_problem({"job": config(0)}) == "a single training run"
    # a job and its checkpoint: one training run, whatever their steps
    assert across_seeds_problem({"job": config(0), "job/checkpoints/step_1": config(0), "s1": config(1)}) == (
        "job and job/checkpoints/step_1 share training seed 0 (one training run, e.g. a job and its checkpoints)"
    )
    assert across_seeds_problem({"ppo": config(0), "a2c": config(1, algo="a2c")}) == (
        "a2c and ppo are different configs (algo.name is 'a2c' there and 'ppo' here), not seeds of one"
    )


def test_agents_on_different_episode_counts_or_a_longer_baseline_are_refused() -> None:
    with pytest.raises(ValueError, match=r"same episodes, got \[3, 4\]"):
        compare_runs({"a": [1.0] * 3, "b": [1.0] * 4}, "greedy", [1.0], seeds=True)
    with pytest.raises(ValueError, match="1 to 3 of the agents' episodes, got 4"):
        compare_runs({"a": [1.0] * 3}, "greedy", [1.0] * 4, seeds=False)


def test_runs_must_share_the_env_but_not_its_training_settings() -> None:
    check_same_env({"s0": config(0, n_envs=8, normalize=True), "s1": config(1, vectorized=True)})
    with pytest.raises(ValueError, match=r"s1 was trained on another env than s0: env.kwargs is \{'horizon': 20\}"):
        check_same_env({"s0": config(0), "s1": config(1, kwargs={"horizon": 20})})
