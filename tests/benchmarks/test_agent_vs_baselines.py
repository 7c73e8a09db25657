"""benchmarks/agent_vs_baselines.py: training seeds of one config against chosen baselines, on the same episodes."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import envs
from rl import train
from rl.config import EnvConfig
from rl.evaluation import evaluate_policy_on, load_trained
from rl.saved_model import save_model_dir

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "agent_vs_baselines.py"
KNAPSACK = "envs/Knapsack-v0"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("agent_vs_baselines", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture(scope="module")
def jobs(tmp_path_factory) -> list[Path]:
    """Two training seeds of one tiny MaskablePPO Knapsack config (64 steps each, a checkpoint at the end)."""
    root = tmp_path_factory.mktemp("seeds")
    config = {
        "name": "tiny-knapsack",
        "env": {"id": KNAPSACK, "normalize": True},
        "algo": {"name": "maskable_ppo", "hyperparameters": {"n_steps": 64, "batch_size": 64, "n_epochs": 1}},
        "total_timesteps": 64,
        "evaluation": {"episodes": 1},
        "checkpoint": {"frequency": 64},
    }
    for seed in (0, 1):
        train(config, root / f"tiny-knapsack-s{seed}", progress_bar=False, seed=seed)
    return [root / f"tiny-knapsack-s{seed}" for seed in (0, 1)]


def test_every_agent_and_the_chosen_baselines_play_the_same_episodes(script, jobs, tmp_path, capsys) -> None:
    output = tmp_path / "tables" / "knapsack.json"
    options = ["--episodes", "6", "--n-envs", "2", "--seed", "77", "--baseline-episodes", "4", "--reps", "50"]
    chosen = ["--baseline", "competitive_threshold", "--baseline", "value_weight_threshold"]
    script.main([*map(str, jobs), *options, *chosen, "--json", str(output)])
    document = json.loads(output.read_text())
    assert (document["env"], document["episodes"], document["eval_seed"], document["n_envs"]) == (KNAPSACK, 6, 77, 2)
    assert [agent["seed"] for agent in document["agents"]] == [0, 1] and document["across_seeds_skipped"] is None
    assert [c["baseline"] for c in document["comparisons"]] == ["competitive_threshold", "value_weight_threshold"]
    for comparison in document["comparisons"]:
        # the baseline plays the first 4 of the agents' 6 episodes: those of its own 6-episode evaluation
        policy = envs.baseline_policy(KNAPSACK, comparison["baseline"])
        alone = evaluate_policy_on(policy, EnvConfig(id=KNAPSACK), episodes=6, seed=77, n_envs=2).episode_rewards
        assert comparison["baseline_episodes"] == 4 and comparison["baseline_returns"] == alone[:4]
        for job, seed in zip(jobs, comparison["runs"], strict=True):
            trained = load_trained(job)
            own = evaluate_policy_on(
                trained.model, trained.config.env, episodes=6, seed=77, n_envs=2, statistics=trained.statistics
            )
            assert seed["label"] == str(job) and seed["returns"] == own.episode_rewards
            paired = np.mean(own.episode_rewards[:4]) - np.mean(alone[:4])
            assert seed["difference"]["estimate"] == pytest.approx(paired)
        differences = [seed["difference"]["estimate"] for seed in comparison["runs"]]
        across = comparison["across_seeds"]
        assert across["difference"]["mean"]["estimate"] == pytest.approx(np.mean(differences))
        assert set(across["difference"]) == {"iqm", "mean"} and "probability_of_improvement" in across
    printed = capsys.readouterr().out
    assert "competitive_threshold on 4 of the 6 episodes" in printed and "IQM over 2 seeds" in printed
    assert "2 training seeds of tiny-knapsack (0, 1)" in printed


def test_a_job_and_its_checkpoint_are_compared_alone_not_as_seeds(script, jobs, tmp_path, capsys) -> None:
    [checkpoint] = (jobs[0] / "checkpoints").glob("step_*")
    output = tmp_path / "one-run.json"
    script.main([str(jobs[0]), str(checkpoint), "--episodes", "2", "--reps", "50", "--json", str(output)])
    document = json.loads(output.read_text())
    why = f"{jobs[0]} and {checkpoint} share training seed 0 (one training run, e.g. a job and its checkpoints)"
    assert document["across_seeds_skipped"] == why
    [comparison] = document["comparisons"]
    assert [run["label"] for run in comparison["runs"]] == [str(jobs[0]), str(checkpoint)]
    assert comparison["across_seeds"] is None
    printed = " ".join(capsys.readouterr().out.split())
    assert f"2 jobs, no statistics across seeds: {why}" in printed
    assert "seeds of the mean difference" not in printed and "P(agent run" not in printed


def test_without_a_baseline_the_envs_strongest_plays(script, jobs, tmp_path) -> None:
    output = tmp_path / "one.json"
    script.main([str(jobs[0]), "--episodes", "2", "--reps", "50", "--json", str(output)])
    [comparison] = json.loads(output.read_text())["comparisons"]
    assert comparison["baseline"] == envs.strongest_baseline(KNAPSACK) == "value_weight_threshold"
    assert comparison["baseline_episodes"] == 2 and len(comparison["runs"]) == 1
    assert comparison["across_seeds"] is None


def test_jobs_of_another_env_or_an_unknown_baseline_are_refused_before_anything_plays(
    script, jobs, tmp_path, capsys
) -> None:
    trained = load_trained(jobs[1])
    other = trained.config.model_copy(
        update={"env": trained.config.env.model_copy(update={"kwargs": {"drop_penalty": 5.0}})}
    )
    save_model_dir(trained.model, other, tmp_path / "other-env")
    output = tmp_path / "never.json"
    with pytest.raises(SystemExit) as refused:
        script.main([str(jobs[0]), str(tmp_path / "other-env"), "--json", str(output)])
    message = capsys.readouterr().err
    assert refused.value.code == 2 and "env.kwargs is {'drop_penalty': 5.0} there and {} here" in message
    with pytest.raises(SystemExit) as unknown:
        script.main([str(jobs[0]), "--baseline", "best_fit", "--json", str(output)])
    message = capsys.readouterr().err
    assert unknown.value.code == 2 and "'best_fit'" in message and "value_weight_threshold" in message
    assert not output.exists()
