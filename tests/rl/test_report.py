"""sagelab report's aggregation: job discovery (directories and fetched archives), grouping, statistics, files."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from rl.report import collect_runs, find_runs, report_table, summarize, write_report
from rl.stats import iqm, stratified_bootstrap_ci


def make_job(
    root: Path, name: str, *, config: str, algo: str, seed: int, mean: float, curve: bool = True, wall: float = 2.0, **extra: object
) -> Path:
    """A job directory in the layout and format rl.job writes (the contract the report reads)."""
    data = root / name / "output" / "data"
    data.mkdir(parents=True)
    evaluation = {
        "config_name": config, "env_id": "CartPole-v1", "algo": algo, "seed": seed, "mean_reward": mean,
        "std_reward": 1.0, "episodes": 3, "episode_rewards": [mean - 1, mean, mean + 1],
        "episode_lengths": [10, 10, 10], "timesteps": 1000 * (seed + 1), "wall_seconds": wall, "deterministic": True,
    }
    (data / "evaluation.json").write_text(json.dumps({**evaluation, **extra}))
    if curve:
        (data / "learning_curve.csv").write_text(f"timesteps,mean_reward,std_reward\n500,{mean / 2},1\n1000,{mean},1\n")
    return root / name


def pack_as_fetched(job: Path, destination: Path, prefix: str = "") -> Path:
    """Only output/output.tar.gz, as `sagelab fetch` downloads it, members named ``prefix + file``."""
    output = destination / "output"
    output.mkdir(parents=True)
    with tarfile.open(output / "output.tar.gz", "w:gz") as archive:
        for file in sorted((job / "output" / "data").iterdir()):
            archive.add(file, arcname=prefix + file.name)
    return destination


def test_groups_agents_and_baselines_side_by_side_with_statistics(tmp_path: Path) -> None:
    finals = [100.0, 200.0, 300.0, 400.0, 1000.0]
    for seed, value in enumerate(finals):
        make_job(tmp_path / "sweep" / "deeper", f"ppo-s{seed}", config="bp", algo="ppo", seed=seed, mean=value, wall=seed)
    make_job(tmp_path, "baseline", config="bp", algo="baseline:best_fit", seed=0, mean=150.0, curve=False)
    make_job(tmp_path, "other-config", config="cp", algo="ppo", seed=0, mean=7.0)

    result = write_report(tmp_path, seed=3)
    [baseline, agent, other] = result.groups
    assert [(g.config_name, g.algo) for g in result.groups] == [("bp", "baseline:best_fit"), ("bp", "ppo"), ("cp", "ppo")]
    assert agent.n_runs == 5 and agent.seeds == [0, 1, 2, 3, 4] and agent.final_returns == finals
    assert agent.mean.estimate == pytest.approx(400.0)
    assert agent.median.estimate == pytest.approx(300.0)
    assert agent.iqm.estimate == pytest.approx(300.0)  # trims 100 and 1000: mean of 200, 300, 400
    # the intervals are the stratified bootstrap of the per-run final returns, under the report's seed
    assert agent.iqm == stratified_bootstrap_ci(np.array(finals), "iqm", seed=3)
    assert agent.mean == stratified_bootstrap_ci(np.array(finals), "mean", seed=3)
    assert agent.iqm.low < agent.iqm.estimate < agent.iqm.high
    assert agent.mean_timesteps == pytest.approx(3000.0) and agent.mean_wall_seconds == pytest.approx(2.0)
    assert baseline.n_runs == 1 and baseline.mean.low == baseline.mean.high == 150.0
    assert other.n_runs == 1 and not result.skipped

    summary = json.loads(result.summary_path.read_text())
    assert result.summary_path == tmp_path / "summary.json"
    assert [(g["config_name"], g["algo"]) for g in summary["groups"]] == [("bp", "baseline:best_fit"), ("bp", "ppo"), ("cp", "ppo")]
    assert summary["groups"][1]["iqm"] == pytest.approx({"estimate": iqm(finals), "low": agent.iqm.low, "high": agent.iqm.high})
    assert summary["groups"][1]["seeds"] == [0, 1, 2, 3, 4] and summary["skipped"] == []
    assert summary["confidence"] == 0.95 and summary["reps"] == 2000 and summary["seed"] == 3
    assert result.curves_plot == tmp_path / "learning_curves.png" and result.curves_plot.stat().st_size > 10_000
    assert result.final_plot == tmp_path / "final_returns.png" and result.final_plot.stat().st_size > 5_000


def test_the_table_shows_each_group_with_its_intervals(tmp_path: Path) -> None:
    for seed, value in enumerate([10.0, 20.0, 30.0]):
        make_job(tmp_path, f"dqn-{seed}", config="cp", algo="dqn", seed=seed, mean=value)
    make_job(tmp_path, "greedy", config="cp", algo="baseline:greedy", seed=0, mean=12.5, curve=False)
    groups = summarize(collect_runs(tmp_path))
    console = Console(record=True, width=200)
    console.print(report_table(groups))
    text = console.export_text()
    assert report_table(groups).row_count == 2
    assert "baseline:greedy" in text and "12.50 [12.50, 12.50]" in text
    dqn = groups[1]
    assert f"20.00 [{dqn.mean.low:.2f}, {dqn.mean.high:.2f}]" in text


@pytest.mark.parametrize("prefix", ["", "./", "data/"])
def test_reads_jobs_fetched_as_output_archives(tmp_path: Path, prefix: str) -> None:
    job = make_job(tmp_path / "staging", "cloud-job", config="cp", algo="dqn", seed=3, mean=480.0)
    pack_as_fetched(job, tmp_path / "runs" / "cloud-job", prefix)
    [run] = collect_runs(tmp_path / "runs")
    assert (run.config_name, run.algo, run.seed, run.mean_reward) == ("cp", "dqn", 3, 480.0)
    assert run.episode_rewards == [479.0, 480.0, 481.0]
    assert run.curve is not None and list(run.curve["timesteps"]) == [500, 1000]
    assert not (tmp_path / "runs" / "cloud-job" / "output" / "data").exists()  # read in memory, not extracted
    assert write_report(tmp_path / "runs").groups[0].mean.estimate == 480.0


def test_archive_members_pointing_outside_the_job_are_never_written(tmp_path: Path) -> None:
    job = make_job(tmp_path / "staging", "cloud-job", config="cp", algo="ppo", seed=0, mean=1.0)
    fetched = pack_as_fetched(job, tmp_path / "runs" / "job")
    with tarfile.open(fetched / "output" / "output.tar.gz", "w:gz") as archive:
        for file in sorted((job / "output" / "data").iterdir()):
            archive.add(file, arcname=file.name)
        evil = tarfile.TarInfo("../../../escaped.txt")
        evil.size = 3
        archive.addfile(evil, io.BytesIO(b"bad"))
    [run] = collect_runs(tmp_path / "runs")
    assert run.mean_reward == 1.0
    assert not list(tmp_path.rglob("escaped.txt"))


def test_the_directory_itself_may_be_one_job(tmp_path: Path) -> None:
    job = make_job(tmp_path, "single", config="cp", algo="ppo", seed=0, mean=5.0)
    [run] = collect_runs(job)
    assert run.path == job


def test_unreadable_jobs_are_reported_as_skipped_with_the_reason(tmp_path: Path) -> None:
    make_job(tmp_path, "good", config="cp", algo="ppo", seed=0, mean=1.0)
    (tmp_path / "broken-json" / "output" / "data").mkdir(parents=True)
    (tmp_path / "broken-json" / "output" / "data" / "evaluation.json").write_text("{not json")
    (tmp_path / "crashed" / "output" / "data").mkdir(parents=True)
    (tmp_path / "crashed" / "output" / "data" / "learning_curve.csv").write_text("timesteps,mean_reward,std_reward\n")
    no_seed = {"config_name": "cp", "env_id": "e", "algo": "ppo", "mean_reward": 1.0, "timesteps": 1, "wall_seconds": 1.0}
    no_seed_job = make_job(tmp_path, "no-seed", config="cp", algo="ppo", seed=0, mean=1.0)
    (no_seed_job / "output" / "data" / "evaluation.json").write_text(json.dumps({**no_seed, "episode_rewards": []}))
    make_job(tmp_path, "diverged", config="cp", algo="ppo", seed=1, mean=float("nan"))
    features = tmp_path / "features-job" / "output" / "data"
    features.mkdir(parents=True)
    (features / "evaluation.json").write_text(json.dumps({"metric": "roc_auc", "score": 0.9}))
    bad_curve = make_job(tmp_path, "bad-curve", config="cp", algo="ppo", seed=2, mean=1.0)
    (bad_curve / "output" / "data" / "learning_curve.csv").write_text("step,reward\n1,2\n")
    (tmp_path / "truncated" / "output").mkdir(parents=True)
    (tmp_path / "truncated" / "output" / "output.tar.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")

    runs, skipped = find_runs(tmp_path)
    assert [r.path.name for r in runs] == ["good"]
    reasons = {s.path.name: s.reason for s in skipped}
    assert set(reasons) == {"bad-curve", "broken-json", "crashed", "diverged", "features-job", "no-seed", "truncated"}
    assert "JSONDecodeError" in reasons["broken-json"]
    assert "missing output/data/evaluation.json" in reasons["crashed"]
    assert "seed: Field required" in reasons["no-seed"]
    assert "mean_reward is nan" in reasons["diverged"]
    assert "not an RL job" in reasons["features-job"]
    assert "missing column(s) ['timesteps', 'mean_reward', 'std_reward']" in reasons["bad-curve"]
    assert reasons["truncated"]

    with pytest.warns(UserWarning) as warned:
        assert len(collect_runs(tmp_path)) == 1
    assert len(warned) == 7
    assert any(re.search(r"skipped job .*crashed: missing output/data/evaluation\.json", str(w.message)) for w in warned)
    result = write_report(tmp_path)
    assert len(result.skipped) == 7
    assert {Path(s["path"]).name for s in json.loads(result.summary_path.read_text())["skipped"]} == set(reasons)


def test_a_directory_without_jobs_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    looked_for = r"looked for \*/output/data/evaluation\.json or \*/output/output\.tar\.gz"
    with pytest.raises(FileNotFoundError, match=rf"no RL jobs under {re.escape(str(tmp_path))}: {looked_for}"):
        write_report(tmp_path)
    (tmp_path / "crashed" / "output" / "data").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"skipped .*crashed: missing output/data/evaluation\.json"):
        write_report(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"report directory .*nowhere does not exist"):
        write_report(tmp_path / "nowhere")


def test_summarize_is_deterministic_under_the_seed(tmp_path: Path) -> None:
    for seed, value in enumerate([1.0, 5.0, 2.0, 9.0, 4.0, 7.5, 3.0, 6.0]):
        make_job(tmp_path, f"j{seed}", config="c", algo="ppo", seed=seed, mean=value)
    runs = collect_runs(tmp_path)
    # the order runs were found in does not matter; the bootstrap seed does
    assert summarize(runs, seed=1) == summarize(list(reversed(runs)), seed=1)
    assert summarize(runs, seed=1)[0].mean != summarize(runs, seed=2)[0].mean


@pytest.mark.slow
def test_reports_what_the_rl_job_really_writes(tmp_path: Path) -> None:
    # the contract end to end: two tiny trainings; one kept only as output.tar.gz, packed as the local
    # runner packs it, the way `sagelab fetch` would leave a job without unpacking
    import shutil

    from rl import train
    from rl.archives import pack_directory
    from tests.rl.test_job import tiny

    results = [train(tiny(seed=seed), tmp_path / f"tiny-{seed}", progress_bar=False, log=lambda line: None) for seed in (0, 1)]
    pack_directory(results[1].output_data_dir, tmp_path / "tiny-1" / "output" / "output.tar.gz")
    shutil.rmtree(results[1].output_data_dir)

    report = write_report(tmp_path)
    [group] = report.groups
    assert (group.config_name, group.algo, group.n_runs, group.seeds) == ("tiny-ppo", "ppo", 2, [0, 1])
    assert group.final_returns == [r.evaluation.mean_reward for r in results]
    assert group.mean_timesteps == 512 and not report.skipped
    assert report.curves_plot is not None and report.curves_plot.is_file()
