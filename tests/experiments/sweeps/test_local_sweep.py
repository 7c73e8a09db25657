"""A local Optuna sweep over real (tiny) CartPole jobs."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

from contract.evaluation import write_evaluation
from experiments.config import RLJob, apply_overrides, validate
from experiments.local import prepare_job
from experiments.sweeps.local import run_local_sweep
from experiments.sweeps.ranges import as_overrides, suggest
from experiments.sweeps.space import SearchSpace
from rl.evaluation import Evaluation
from tests.experiments.conftest import sagelab, tiny_rl_config

SPACE = {
    "parameters": {
        "algo.hyperparameters.learning_rate": {"type": "log_float", "low": 0.0001, "high": 0.003},
        "algo.hyperparameters.n_epochs": {"type": "int", "low": 2, "high": 10},
    },
    "objective": {"metric": "final_mean_reward", "direction": "maximize"},
    "trials": 4,
    "parallel": 2,
    "pruning": True,
}


@pytest.mark.slow
def test_sweep_is_at_least_as_good_as_the_defaults_and_feeds_the_report(tmp_path: Path, write_config) -> None:
    # 4 evaluations per trial give the pruner its intermediate values; 7 jobs in all, so each is kept short
    defaults = tiny_rl_config(
        total_timesteps=2048, evaluation={"episodes": 5, "frequency": 512}, checkpoint={"frequency": 0}
    )
    defaults["algo"]["hyperparameters"].update(learning_rate=0.0003, n_epochs=4)
    plain = write_config(defaults, "plain.yaml")
    done = sagelab("run", plain, "--output-dir", tmp_path / "plain", "--job-name", "defaults", "--quiet")
    assert done.returncode == 0, done.stderr
    default_value = json.loads((tmp_path / "plain/defaults/output/data/evaluation.json").read_text())["mean_reward"]

    swept = write_config({**defaults, "search_space": SPACE}, "sweep.yaml")
    done = sagelab("sweep", swept, "--output-dir", tmp_path, "--name", "lr-sweep", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "lr-sweep/sweep.json").read_text())
    assert len(result["trials"]) == 4
    baseline = result["trials"][0]
    assert baseline["baseline"] and baseline["params"] == {
        "algo.hyperparameters.learning_rate": 0.0003,
        "algo.hyperparameters.n_epochs": 4,
    }
    # trial 0 is the config as written, with the same seed: the same job as `sagelab run`
    assert baseline["value"] == pytest.approx(default_value)
    completed = [t for t in result["trials"] if t["state"] == "COMPLETE"]
    assert result["best_value"] == max(t["value"] for t in completed)
    for trial in result["trials"]:
        assert Path(trial["job_dir"]).is_dir()
        assert trial["state"] in ("COMPLETE", "PRUNED")
    # Optuna's own figures beside sweep.json, and the progress bar's counts on stderr
    assert set(result["plots"]) == {"optimization_history.png", "param_importances.png", "parallel_coordinate.png"}
    assert all((tmp_path / "lr-sweep" / name).stat().st_size > 10_000 for name in result["plots"])
    assert "sweep lr-sweep" in done.stderr and "4/4" in done.stderr and "best final_mean_reward" in done.stderr

    report = sagelab("report", tmp_path / "lr-sweep", "--json")
    assert report.returncode == 0, report.stderr
    summary = json.loads(report.stdout[report.stdout.index("{") :])
    # each completed trial is its own group, named by the parameters it was given; pruned trials are listed
    assert len(summary["groups"]) == len(completed)
    assert all("learning_rate=" in g["label"] and g["n_runs"] == 1 for g in summary["groups"])
    assert len(summary["unfinished"]) == len(result["trials"]) - len(completed)

    # the same sweep again continues the study instead of starting over
    again = sagelab(
        "sweep", swept, "--output-dir", tmp_path, "--name", "lr-sweep", "--set", "search_space.trials=5", timeout=600
    )
    assert again.returncode == 0, again.stderr
    assert len(json.loads((tmp_path / "lr-sweep/sweep.json").read_text())["trials"]) == 5


def test_a_space_that_makes_the_config_invalid_fails_before_any_trial(tmp_path: Path, write_config, cli) -> None:
    space = {
        "parameters": {
            "algo.hyperparameters.learning_rate": {"type": "categorical", "values": ["lin_0.001", "lin_fast"]}
        },
        "trials": 2,
    }
    done = cli("sweep", write_config({**tiny_rl_config(), "search_space": space}), "--output-dir", tmp_path)
    assert done.returncode == 2 and "lin_fast" in done.stderr
    assert not any(tmp_path.rglob("trial-*"))


def test_search_space_mistakes_are_config_errors(tmp_path: Path, write_config, cli) -> None:
    space = {
        "parameters": {"algo.hyperparameters.learning_rate": {"type": "log_float", "low": 0, "high": 1}},
        "objective": {"metric": "accuracy"},
    }
    done = cli("validate", write_config({**tiny_rl_config(), "search_space": space}))
    assert done.returncode == 2
    assert "a log range needs low > 0" in done.stderr and "unknown metric 'accuracy'" in done.stderr


def test_a_range_with_a_wrong_or_missing_type_lists_the_allowed_types(tmp_path: Path, write_config) -> None:
    space = {"parameters": {"algo.hyperparameters.learning_rate": {"type": "loguniform", "low": 0.0001, "high": 0.01}}}
    done = sagelab("validate", write_config({**tiny_rl_config(), "search_space": space}))
    assert done.returncode == 2
    assert "type 'loguniform' is not a range type; expected one of int, float, log_float, categorical" in done.stderr
    assert "{type: log_float, low: 0.00001, high: 0.01}" in done.stderr and "discriminator" not in done.stderr
    space = {"parameters": {"algo.hyperparameters.n_epochs": {"low": 2, "high": 10}}}
    done = sagelab("validate", write_config({**tiny_rl_config(), "search_space": space}))
    assert done.returncode == 2 and "n_epochs: the range has no 'type'" in done.stderr and "tag" not in done.stderr


def test_a_second_runner_of_a_sweep_is_refused(tmp_path: Path, write_config, cli) -> None:
    space = {"parameters": {"algo.hyperparameters.n_epochs": {"type": "int", "low": 2, "high": 4}}, "trials": 1}
    config = write_config({**tiny_rl_config(), "search_space": space})
    (tmp_path / "sweep").mkdir()
    held = os.open(tmp_path / "sweep" / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the first runner (or a trial it started) holds it
        done = cli("sweep", config, "--output-dir", tmp_path, "--name", "sweep")
    finally:
        os.close(held)
    assert done.returncode == 2
    assert f"sweep directory {(tmp_path / 'sweep').resolve()} is in use by a running sweep" in done.stderr
    assert not (tmp_path / "sweep" / "study.db").exists()


def test_a_killed_trial_whose_job_had_finished_is_not_run_again(tmp_path: Path) -> None:
    import optuna

    raw = tiny_rl_config()
    space = SearchSpace.model_validate(
        {"parameters": {"algo.hyperparameters.n_epochs": {"type": "int", "low": 2, "high": 4}}, "trials": 1}
    )
    # what a runner killed after its trial's job had finished, before the study recorded the trial, leaves behind
    (tmp_path / "sweep").mkdir()
    storage = f"sqlite:///{tmp_path / 'sweep' / 'study.db'}"
    trial = optuna.create_study(study_name="sweep", storage=storage, direction="maximize").ask()
    job = validate(apply_overrides(raw, as_overrides(suggest(trial, space))), "trial 0")
    assert isinstance(job, RLJob)
    paths = prepare_job(job, tmp_path / "sweep", "trial-000")
    trial.set_user_attr("job_dir", str(paths.root))
    evaluation = Evaluation(87.5, 0.0, 1, [87.5], [88], deterministic=True, eval_seed=0)
    write_evaluation(paths.output_data_dir, evaluation.to_record(job.config, timesteps=raw["total_timesteps"]))
    recorded = paths.evaluation_file.read_bytes()

    result = run_local_sweep(raw, space, tmp_path, name="sweep")

    assert result is not None
    assert [(t["state"], t["job_dir"]) for t in result.trials] == [
        ("KILLED", str(paths.root)),
        ("COMPLETE", str(paths.root)),  # continued in its directory, where the job had already finished
    ]
    assert result.best_value == 87.5  # the job's recorded value
    assert not paths.log_file.exists(), "the finished job ran again"
    assert paths.evaluation_file.read_bytes() == recorded
    assert paths.output_archive.is_file()  # the archives the killed runner had not packed
    assert sorted(p.name for p in (tmp_path / "sweep").glob("trial-*")) == ["trial-000"]
