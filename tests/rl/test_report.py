"""sagelab report: groups by experiment, rliable's numbers, one panel per env, the summary as data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from rliable import library as rly
from rliable import metrics

from rl.compare import profile_thresholds
from rl.report import report_figures, write_report
from tests.rl.jobdirs import baseline_run, finished_run, rl_config, unfinished_run

REPS = 50  # enough to check the numbers are rliable's (any count does); the report's default is 2,000


def test_one_config_name_with_two_learning_rates_is_two_groups_named_by_the_difference(tmp_path: Path) -> None:
    for seed, value in enumerate([10.0, 20.0, 30.0]):
        finished_run(tmp_path, f"slow-{seed}", rl_config(seed=seed, learning_rate=0.0003), value)
        finished_run(tmp_path, f"fast-{seed}", rl_config(seed=seed, learning_rate=0.001), value + 100)
    finished_run(tmp_path, "longer", rl_config(seed=0, budget=5000, learning_rate=0.001), 500.0)
    result = write_report(tmp_path, reps=REPS)
    labels = {g.label: g for g in result.groups}
    assert set(labels) == {
        "cp [learning_rate=0.0003, total_timesteps=1000]",
        "cp [learning_rate=0.001, total_timesteps=1000]",
        "cp [learning_rate=0.001, total_timesteps=5000]",
    }
    assert labels["cp [learning_rate=0.001, total_timesteps=1000]"].seeds == [0, 1, 2]
    assert [r.mean_reward for r in labels["cp [learning_rate=0.0003, total_timesteps=1000]"].runs] == [10.0, 20.0, 30.0]
    entry = next(g for g in result.summary["groups"] if g["label"] == "cp [learning_rate=0.0003, total_timesteps=1000]")
    assert entry["key"]["algo.hyperparameters.learning_rate"] == 0.0003 and "seed" not in entry["key"]
    assert entry["seeds"] == [0, 1, 2] and entry["final_returns"] == [10.0, 20.0, 30.0]


def test_a_repeated_seed_is_counted_once_and_reported_with_both_directories(tmp_path: Path) -> None:
    first = finished_run(tmp_path, "a", rl_config(seed=0), 10.0)
    again = finished_run(tmp_path, "b", rl_config(seed=0), 99.0)
    finished_run(tmp_path, "c", rl_config(seed=1), 20.0)
    with pytest.warns(UserWarning, match="seed 0 appears 2 times") as warned:
        result = write_report(tmp_path, reps=REPS)
    [group] = result.groups
    assert group.seeds == [0, 1] and [r.mean_reward for r in group.runs] == [10.0, 20.0]
    assert str(first) in str(warned[0].message) and str(again) in str(warned[0].message)
    assert result.summary["groups"][0]["repeated_seeds"] == {"0": [str(first), str(again)]}


def test_failed_and_interrupted_runs_are_listed_with_their_reason(tmp_path: Path) -> None:
    finished_run(tmp_path, "good", rl_config(), 1.0)
    unfinished_run(tmp_path, "crashed", rl_config(seed=1), failure="ValueError: observation out of bounds")
    unfinished_run(tmp_path, "stopped", rl_config(seed=2), reached=300)
    result = write_report(tmp_path, reps=REPS)
    unfinished = {Path(u["path"]).name: u for u in result.summary["unfinished"]}
    assert unfinished["crashed"]["status"] == "failed"
    assert unfinished["crashed"]["reason"] == "ValueError: observation out of bounds"
    assert unfinished["stopped"]["last_timestep"] == 300 and "of 1,000" in unfinished["stopped"]["reason"]
    assert result.groups[0].seeds == [0]


def rliable_intervals(
    scores: np.ndarray, functions: list, seed: int, reps: int = REPS
) -> tuple[np.ndarray, np.ndarray]:
    np.random.seed(seed)
    estimates, intervals = rly.get_interval_estimates(
        {"x": scores}, lambda s: np.array([f(s) for f in functions]), reps=reps
    )
    return estimates["x"], intervals["x"]


@pytest.fixture(scope="module")
def two_envs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Agents and baselines (a real random policy among them) on Knapsack and Newsvendor, 3 seeds each."""
    root = tmp_path_factory.mktemp("two-envs")
    agents = {"envs/Knapsack-v0": [150.0, 190.0, 170.0], "envs/Newsvendor-v0": [-90_000.0, -70_000.0, -80_000.0]}
    for env, values in agents.items():
        name = env.split("/")[1].split("-")[0].lower()
        for seed, value in enumerate(values):
            curve = [(250 + 50 * min(seed, 1), value / 4), (500 + 100 * seed, value / 2)]
            finished_run(root, f"{name}-s{seed}", rl_config(name, env=env, seed=seed), value, curve=curve)
        config = root / f"{name}.yaml"
        config.write_text(yaml.safe_dump(rl_config(name, env=env).model_dump(mode="json")))
        for seed in (7, 8, 9):
            for baseline in ("random", None):
                baseline_run(root / "baselines", config, baseline or "", seed=seed, episodes=2)
    return root


def test_the_reports_numbers_are_rliables(two_envs: Path) -> None:
    result = write_report(two_envs, reps=REPS, seed=5)
    knapsack = next(g for g in result.summary["groups"] if g["label"] == "knapsack")
    random = next(g for g in result.summary["groups"] if g["label"] == "baseline:random")
    assert knapsack["episodes"] == [3, 3, 3] and random["episodes"] == [2, 2, 2]  # each run's evaluation episodes
    finals = np.array(knapsack["final_returns"])
    estimates, intervals = rliable_intervals(
        finals[:, None], [metrics.aggregate_iqm, np.median, metrics.aggregate_mean], 5
    )
    for i, name in enumerate(("iqm", "median", "mean")):
        assert knapsack[name] == {"estimate": estimates[i], "low": intervals[0, i], "high": intervals[1, i]}

    cross = result.summary["cross_env"]
    assert cross["envs"] == ["envs/Knapsack-v0", "envs/Newsvendor-v0"] and cross["runs_per_env"] == 3
    assert set(cross["aggregates"]) == {"ppo", "best baseline", "random"}
    env_entries = {e["env"]: e for e in result.summary["envs"]}
    columns = []
    for env in cross["envs"]:
        entry = env_entries[env]
        agent = next(g for g in result.summary["groups"] if g["env"] == env and g["algo"] == "ppo")
        columns.append(
            (np.array(agent["final_returns"]) - entry["random_score"]) / (entry["best_score"] - entry["random_score"])
        )
    functions = [
        metrics.aggregate_iqm,
        metrics.aggregate_median,
        metrics.aggregate_mean,
        lambda s: metrics.aggregate_optimality_gap(s, 1.0),
    ]
    estimates, intervals = rliable_intervals(np.column_stack(columns), functions, 5)
    for i, name in enumerate(("iqm", "median", "mean", "optimality_gap")):
        assert cross["aggregates"]["ppo"][name] == pytest.approx(
            {"estimate": estimates[i], "low": intervals[0, i], "high": intervals[1, i]}, rel=1e-12
        )
    improvement = env_entries["envs/Knapsack-v0"]["probability_of_improvement"]
    assert {(i["x"], i["y"]) for i in improvement} == {
        ("knapsack", "baseline:random"),
        ("knapsack", "baseline:value_weight_threshold"),
    }


def test_a_report_over_two_envs_has_one_panel_per_env_with_its_agents_and_baselines(two_envs: Path) -> None:
    result = write_report(two_envs, reps=REPS, formats=("png", "svg"), dpi=60)
    figures, _ = report_figures(result.comparisons, result.cross, reps=REPS)
    curves = figures["learning_curves"]
    panels = [axes for axes in curves.axes if axes.get_visible()]
    assert [axes.get_title() for axes in panels] == ["envs/Knapsack-v0", "envs/Newsvendor-v0"]
    for axes in panels:
        labels = [line.get_label() for line in axes.get_lines()]
        assert any("IQM of 3 runs" in label for label in labels)  # the agent's curve
        assert any("baseline:random" in label for label in labels)  # a level per baseline
        [agent] = [line for line in axes.get_lines() if "IQM" in line.get_label()]
        steps = agent.get_xdata()
        # only steps every run reached (seed 0 evaluated first at 250, the others at 300), up to the final evaluation
        assert list(steps) == [300, 500, 600, 700, 1000]
    finals_figure = figures["final_returns"]
    assert len(finals_figure.axes) == 2 and all(len(axes.get_lines()) == 6 for axes in finals_figure.axes)
    profile = figures["performance_profiles"]
    assert {line.get_label() for line in profile.axes[0].get_lines()} >= {"ppo", "best baseline", "random"}
    written = {Path(p).name for p in result.summary["figures"]}
    assert {
        "learning_curves.png",
        "learning_curves.svg",
        "final_returns.png",
        "performance_profiles.svg",
        "normalized_aggregates.png",
    } <= written
    assert json.loads(result.summary_path.read_text()) == result.summary


def test_the_performance_profile_reads_0_to_1_whatever_one_outlier_scores() -> None:
    # a diverged seed 155 times further below random than the best baseline is above it
    thresholds = profile_thresholds(np.array([-155.0, 0.4, 0.7, 0.0, 1.0]))
    assert thresholds[0] == -1.0 and thresholds[-1] == 1.0
    assert profile_thresholds(np.array([0.2, 0.5]))[[0, -1]].tolist() == [0.0, 1.0]
    assert profile_thresholds(np.array([-0.3, 2.5]))[[0, -1]].tolist() == [-0.3, 2.5]


def test_a_directory_without_runs_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no RL jobs under .* looked for \*/output/data/evaluation\.json"):
        write_report(tmp_path)
    unfinished_run(tmp_path, "crashed", rl_config(), failure="MemoryError")
    with pytest.raises(FileNotFoundError, match=r"failed .*crashed: MemoryError"):
        write_report(tmp_path)


@pytest.mark.slow
def test_reports_what_the_rl_job_really_writes(tmp_path: Path) -> None:
    import shutil

    from contract import ContainerPaths, pack_directory
    from rl import train
    from tests.rl.test_job import tiny

    results = [
        train(tiny(seed=seed), tmp_path / f"tiny-{seed}", progress_bar=False, log=lambda line: None) for seed in (0, 1)
    ]
    fetched = ContainerPaths(tmp_path / "tiny-1")
    pack_directory(results[1].output_data_dir, fetched.output_archive)
    shutil.rmtree(results[1].output_data_dir)

    report = write_report(tmp_path, reps=REPS)
    [group] = report.groups
    assert (group.label, group.algo, group.seeds) == ("tiny-ppo", "ppo", [0, 1])
    assert [r.mean_reward for r in group.runs] == [r.evaluation.mean_reward for r in results]
    assert not report.unfinished and report.figures
