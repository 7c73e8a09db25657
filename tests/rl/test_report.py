"""sagelab report's aggregation: job discovery (directories and fetched archives), grouping, statistics, files."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from rl.report import collect_runs, report_table, summarize, write_report
from rl.stats import iqm


def make_job(root: Path, name: str, *, config: str, algo: str, seed: int, mean: float, curve: bool = True) -> Path:
    data = root / name / "output" / "data"
    data.mkdir(parents=True)
    (data / "evaluation.json").write_text(
        json.dumps(
            {"config_name": config, "env_id": "CartPole-v1", "algo": algo, "seed": seed, "mean_reward": mean,
             "std_reward": 1.0, "episodes": 3, "episode_rewards": [mean - 1, mean, mean + 1],
             "episode_lengths": [10, 10, 10], "timesteps": 1000, "wall_seconds": 2.0, "deterministic": True}
        )
    )
    if curve:
        (data / "learning_curve.csv").write_text(f"timesteps,mean_reward,std_reward\n500,{mean / 2},1\n1000,{mean},1\n")
    return root / name


def test_groups_agents_and_baselines_side_by_side_with_statistics(tmp_path: Path) -> None:
    finals = [100.0, 200.0, 300.0, 400.0, 1000.0]
    for seed, value in enumerate(finals):
        make_job(tmp_path / "sweep", f"ppo-s{seed}", config="bp", algo="ppo", seed=seed, mean=value)
    make_job(tmp_path, "baseline", config="bp", algo="baseline:best_fit", seed=0, mean=150.0, curve=False)

    result = write_report(tmp_path)
    [baseline, agent] = result.groups
    assert (baseline.algo, agent.algo) == ("baseline:best_fit", "ppo")
    assert agent.n_runs == 5 and agent.seeds == [0, 1, 2, 3, 4]
    assert agent.mean.estimate == pytest.approx(np.mean(finals))
    assert agent.median.estimate == pytest.approx(300.0)
    assert agent.iqm.estimate == pytest.approx(iqm(finals))
    assert agent.iqm.low <= agent.iqm.estimate <= agent.iqm.high and agent.iqm.high > agent.iqm.low
    assert baseline.n_runs == 1 and baseline.mean.low == baseline.mean.high == 150.0

    summary = json.loads(result.summary_path.read_text())
    assert [g["algo"] for g in summary["groups"]] == ["baseline:best_fit", "ppo"]
    assert summary["groups"][1]["iqm"]["estimate"] == pytest.approx(iqm(finals))
    assert result.curves_plot is not None and result.curves_plot.stat().st_size > 10_000
    assert result.final_plot.stat().st_size > 5_000
    assert report_table(result.groups).row_count == 2


def test_reads_jobs_fetched_as_output_archives(tmp_path: Path) -> None:
    job = make_job(tmp_path / "staging", "cloud-job", config="cp", algo="dqn", seed=3, mean=480.0)
    fetched = tmp_path / "runs" / "cloud-job" / "output"
    fetched.mkdir(parents=True)
    with tarfile.open(fetched / "output.tar.gz", "w:gz") as archive:
        for file in (job / "output" / "data").iterdir():
            archive.add(file, arcname=file.name)
    [run], skipped = collect_runs(tmp_path / "runs")
    assert not skipped
    assert (run.config_name, run.algo, run.seed, run.mean_reward) == ("cp", "dqn", 3, 480.0)
    assert run.curve is not None and list(run.curve["timesteps"]) == [500, 1000]


def test_unreadable_jobs_are_reported_as_skipped(tmp_path: Path) -> None:
    make_job(tmp_path, "good", config="cp", algo="ppo", seed=0, mean=1.0)
    broken = tmp_path / "broken" / "output" / "data"
    broken.mkdir(parents=True)
    (broken / "evaluation.json").write_text("{not json")
    runs, skipped = collect_runs(tmp_path)
    assert len(runs) == 1
    assert [s.path.name for s in skipped] == ["broken"] and "JSONDecodeError" in skipped[0].reason


def test_a_directory_without_jobs_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no RL jobs under .*evaluation\.json"):
        write_report(tmp_path)


def test_summarize_is_deterministic_under_the_seed(tmp_path: Path) -> None:
    for seed, value in enumerate([1.0, 5.0, 2.0]):
        make_job(tmp_path, f"j{seed}", config="c", algo="ppo", seed=seed, mean=value)
    runs, _ = collect_runs(tmp_path)
    assert summarize(runs, seed=1)[0].iqm == summarize(runs, seed=1)[0].iqm
