"""Agents and baselines side by side: `sagelab evaluate --baseline` and `sagelab report` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.experiments.conftest import sagelab


def test_baseline_evaluation_lands_beside_agents_in_the_report(tmp_path: Path, write_config) -> None:
    config = write_config(
        {
            "name": "vrp",
            "env": {"id": "envs/VehicleRouting-v0"},
            "algo": {"name": "ppo"},
            "total_timesteps": 1000,
            "evaluation": {"episodes": 2},
        }
    )
    runs = tmp_path / "runs"
    done = sagelab("evaluate", "--baseline", "--config", config, "--episodes", "2", "--output-dir", runs, "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout[done.stdout.index("{") :])
    assert record["algo"] == "baseline:greedy_nearest" and record["episodes"] == 2

    done = sagelab("evaluate", "--baseline", "no_such", "--config", config)
    assert done.returncode == 2 and "expected one of greedy_nearest" in done.stderr

    done = sagelab("report", runs)
    assert done.returncode == 0, done.stderr
    assert "baseline:greedy_nearest" in done.stdout
    summary = json.loads((runs / "summary.json").read_text())
    assert summary["groups"][0]["mean"]["estimate"] == record["mean_reward"]


def test_report_on_an_empty_directory_says_what_it_looked_for(tmp_path: Path, cli) -> None:
    done = cli("report", tmp_path)
    assert done.returncode == 2
    assert "no RL jobs under" in done.stderr and "evaluation.json" in done.stderr
    assert "Traceback" not in done.stderr


def test_baseline_evaluation_spread_over_envs(tmp_path: Path, write_config) -> None:
    config = write_config(
        {"name": "knapsack", "env": {"id": "envs/Knapsack-v0"}, "algo": {"name": "ppo"}, "total_timesteps": 1000}
    )
    runs = []
    for n_envs in ("1", "3"):
        done = sagelab(
            "evaluate", "--baseline", "--config", config, "--episodes", "5", "--seed", "7", "--n-envs", n_envs, "--json"
        )
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout[done.stdout.index("{") :]))
    single, spread = runs
    assert single["n_envs"] == 1 and spread["n_envs"] == 3 and spread["episodes"] == 5
    assert spread["episode_rewards"][0] == single["episode_rewards"][0]  # sub-env 0 is the env seeded 7

    done = sagelab("evaluate", "--baseline", "--config", config, "--episodes", "2", "--n-envs", "2")
    assert done.returncode == 0, done.stderr
    assert "[baseline:value_weight_threshold]" in done.stdout and "2 envs" in done.stdout  # not eaten as rich markup

    done = sagelab("evaluate", "--baseline", "--config", config, "--n-envs", "0")
    assert done.returncode == 2 and "--n-envs must be >= 1" in done.stderr
