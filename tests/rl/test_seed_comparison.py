"""Training seeds against one baseline on the same episodes: per-seed paired differences, aggregates over seeds."""

from __future__ import annotations

import numpy as np
import pytest

from rl.config import AlgoConfig, EnvConfig, RLConfig
from rl.seed_comparison import check_same_env, compare_seeds
from rl.stats import aggregate_intervals, paired_difference_ci


def config(seed: int, **env: object) -> RLConfig:
    return RLConfig(
        name="knapsack",
        env=EnvConfig(id="envs/Knapsack-v0", **env),
        algo=AlgoConfig(name="ppo"),
        total_timesteps=1000,
        seed=seed,
    )


def test_each_seed_is_paired_with_the_baseline_on_its_first_episodes_and_seeds_are_aggregated() -> None:
    rng = np.random.default_rng(0)
    baseline = rng.normal(10, 3, size=4)
    agents = {f"s{seed}": list(rng.normal(10 + seed, 3, size=6)) for seed in range(5)}
    result = compare_seeds(agents, "greedy", baseline, reps=200)
    assert (result.episodes, result.baseline_episodes) == (6, 4)
    for seed in result.seeds:
        assert seed.difference == paired_difference_ci(agents[seed.label][:4], baseline, reps=200)
        assert seed.paired_mean == pytest.approx(np.mean(agents[seed.label][:4]))
        assert seed.mean.estimate == pytest.approx(np.mean(agents[seed.label]))
    differences = [seed.difference.estimate for seed in result.seeds]
    assert result.difference == aggregate_intervals(differences, ("iqm", "mean"), reps=200)
    # one baseline run: the probability of improvement is the share of seeds whose paired mean beats its mean
    above = np.mean([seed.paired_mean > baseline.mean() for seed in result.seeds])
    assert result.improvement.estimate == pytest.approx(above)
    assert result.to_dict()["seeds"][0]["returns"] == agents["s0"]


def test_agents_on_different_episode_counts_or_a_longer_baseline_are_refused() -> None:
    with pytest.raises(ValueError, match=r"same episodes, got \[3, 4\]"):
        compare_seeds({"a": [1.0] * 3, "b": [1.0] * 4}, "greedy", [1.0])
    with pytest.raises(ValueError, match="1 to 3 of the agents' episodes, got 4"):
        compare_seeds({"a": [1.0] * 3}, "greedy", [1.0] * 4)


def test_runs_must_share_the_env_but_not_its_training_settings() -> None:
    check_same_env({"s0": config(0, n_envs=8, normalize=True), "s1": config(1, vectorized=True)})
    with pytest.raises(ValueError, match=r"s1 was trained on another env than s0: env.kwargs is \{'horizon': 20\}"):
        check_same_env({"s0": config(0), "s1": config(1, kwargs={"horizon": 20})})
