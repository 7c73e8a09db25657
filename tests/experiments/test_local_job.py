"""A real job through the CLI: the /opt/ml layout, SM_* contract, artifacts, metrics, failures, resume."""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from pathlib import Path

import gymnasium as gym
import pytest

from contract import METRIC_DEFINITIONS, encode_hyperparameters
from experiments.config import hyperparameter_view, load_job_config
from experiments.entry import run_from_contract
from experiments.local import prepare_job
from tests.experiments.conftest import sagelab, tiny_rl_config


@pytest.fixture(scope="module")
def finished_job(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """One tiny PPO job run through `sagelab run`, shared by the layout/artifact tests."""
    root = tmp_path_factory.mktemp("runs")
    config = root / "tiny.yaml"
    import yaml

    config.write_text(yaml.safe_dump(tiny_rl_config()))
    done = sagelab("run", config, "--output-dir", root, "--job-name", "tiny", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    return config, root / "tiny", done


def test_job_directory_mirrors_opt_ml(finished_job) -> None:
    _, job, _ = finished_job
    for relative in (
        "input/config/hyperparameters.json",
        "input/config/resourceconfig.json",
        "input/config/inputdataconfig.json",
        "input/data",
        "model/model.zip",
        "model/config.json",
        "output/data/evaluation.json",
        "output/data/learning_curve.csv",
        "output/data/learning_curve.png",
        "output/model.tar.gz",
        "output/output.tar.gz",
        "checkpoints",
        "job.log",
    ):
        assert (job / relative).exists(), relative
    assert not (job / "output" / "failure").exists()
    assert list((job / "output/data/tensorboard").rglob("events.out.tfevents.*")), "TensorBoard events missing"
    resources = json.loads((job / "input/config/resourceconfig.json").read_text())
    assert resources["current_host"] == "algo-1" and resources["hosts"] == ["algo-1"]


def test_hyperparameters_json_holds_strings_as_sagemaker_delivers(finished_job) -> None:
    config, job, _ = finished_job
    stored = json.loads((job / "input/config/hyperparameters.json").read_text())
    assert all(isinstance(value, str) for value in stored.values())
    assert stored["algo.hyperparameters.n_steps"] == "64"
    assert stored["env.id"] == "CartPole-v1"
    assert stored == encode_hyperparameters(hyperparameter_view(load_job_config(config)))


def test_archives_hold_model_and_output_data(finished_job) -> None:
    _, job, _ = finished_job
    with tarfile.open(job / "output/model.tar.gz") as archive:
        names = set(archive.getnames())
    assert {"model.zip", "config.json"} <= names
    with tarfile.open(job / "output/output.tar.gz") as archive:
        names = set(archive.getnames())
    assert {"evaluation.json", "learning_curve.csv", "learning_curve.png"} <= names


def test_evaluation_json_and_learning_curve(finished_job) -> None:
    _, job, _ = finished_job
    evaluation = json.loads((job / "output/data/evaluation.json").read_text())
    for key in ("mean_reward", "std_reward", "episodes", "timesteps", "seed", "wall_seconds", "episode_rewards"):
        assert key in evaluation, key
    assert evaluation["episodes"] == 3 and len(evaluation["episode_rewards"]) == 3
    assert evaluation["timesteps"] == 1024 and evaluation["seed"] == 0
    assert evaluation["config_name"] == "tiny-ppo" and evaluation["algo"] == "ppo"
    curve = (job / "output/data/learning_curve.csv").read_text().splitlines()
    assert curve[0] == "timesteps,mean_reward,std_reward"
    assert [int(row.split(",")[0]) for row in curve[1:]] == [512, 1024]


def test_metric_regexes_match_the_real_job_log(finished_job) -> None:
    _, job, _ = finished_job
    log = (job / "job.log").read_text()
    matched = {
        definition["Name"]: [float(v) for v in re.findall(definition["Regex"], log)]
        for definition in METRIC_DEFINITIONS
    }
    for name in ("timesteps", "fps", "eval_mean_reward", "eval_std_reward", "final_mean_reward", "final_std_reward"):
        assert matched[name], f"no {name}= line in the job log"
    evaluation = json.loads((job / "output/data/evaluation.json").read_text())
    assert matched["final_mean_reward"][-1] == pytest.approx(evaluation["mean_reward"], rel=1e-5)
    assert matched["timesteps"][-1] == 1024


def test_evaluate_reloads_job_dir_and_model_archive(finished_job) -> None:
    _, job, _ = finished_job
    recorded = json.loads((job / "output/data/evaluation.json").read_text())
    for source in (job, job / "output/model.tar.gz", job / "model"):
        done = sagelab("evaluate", source, "--json")
        assert done.returncode == 0, done.stderr
        again = json.loads(done.stdout)
        # same model, same evaluation seed, deterministic policy: the same returns
        assert again["episode_rewards"] == pytest.approx(recorded["episode_rewards"])
    done = sagelab("evaluate", job, "--episodes", "2", "--json")
    assert json.loads(done.stdout)["episodes"] == 2


def test_bad_env_kwargs_are_a_config_error_before_the_job_dir_exists(tmp_path: Path, write_config) -> None:
    config = write_config(tiny_rl_config(env={"id": "CartPole-v1", "kwargs": {"pole_length": 2.0}}))
    done = sagelab("run", config, "--output-dir", tmp_path, "--job-name", "broken", "--quiet")
    assert done.returncode == 2
    assert "env.kwargs.pole_length: the env does not take 'pole_length'" in done.stderr
    assert not (tmp_path / "broken").exists()


class _ExplodingCartPole(gym.Wrapper):
    """CartPole that raises after a number of steps, like a bug deep in a user's environment."""

    def __init__(self, explode_after: int = 700) -> None:
        super().__init__(gym.make("CartPole-v1"))
        self.steps = 0
        self.explode_after = explode_after

    def step(self, action):
        self.steps += 1
        if self.steps > self.explode_after:
            raise RuntimeError("the simulator crashed")
        return self.env.step(action)


def test_exception_in_training_keeps_what_was_produced(tmp_path: Path) -> None:
    gym.register("tests/Exploding-v0", entry_point=_ExplodingCartPole)
    try:
        job = load_job_config(
            tiny_rl_config(
                env={"id": "tests/Exploding-v0", "n_envs": 1},
                evaluation={"frequency": 0},
                checkpoint={"frequency": 256},
            )
        )
        paths = prepare_job(job, tmp_path, "exploding")
        assert run_from_contract(paths) == 1
    finally:
        gym.registry.pop("tests/Exploding-v0")
    assert "RuntimeError: the simulator crashed" in paths.failure_file.read_text()
    checkpoints = sorted(paths.checkpoint_dir.iterdir())
    steps = [json.loads((c / "state.json").read_text())["timesteps"] for c in checkpoints]
    assert steps == [256, 512], steps  # the 2 newest (keep=2), both written before the crash
    assert all((c / "model.zip").is_file() for c in checkpoints)
    assert (paths.output_data_dir / "tensorboard").is_dir()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"algo": {"name": "a3c"}}, "algo.name: unknown algorithm 'a3c'"),
        ({"algo": {"name": "sac"}}, "algo.name: SAC cannot act in a Discrete action space"),
        ({"algo": {"name": "maskable_ppo"}}, "algo.name: MaskablePPO needs an env with an action_masks() method"),
        ({"algo": {"name": "ppo", "policy": "MlpLstmPolicy"}}, "algo.policy: PPO has no policy 'MlpLstmPolicy'"),
        ({"env": {"id": "CartPole-v9"}}, "env.id"),
        ({"total_timesteps": "lots"}, "total_timesteps"),
        ({"evaluation": {"episods": 3}}, "evaluation.episods: unknown field"),
        ({"algo": {"name": "ppo", "hyperparameters": {"gama": 0.9}}}, "did you mean gamma"),
    ],
)
def test_config_mistakes_exit_2_before_any_work(
    tmp_path: Path, write_config, cli, changes: dict, expected: str
) -> None:
    config = write_config(tiny_rl_config(**changes))
    done = cli("run", config, "--output-dir", tmp_path / "runs")
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


def test_overrides_and_unsafe_yaml(tmp_path: Path, write_config, cli) -> None:
    config = write_config(tiny_rl_config())
    done = cli("validate", config, "--set", "algo.hyperparameters.learning_rate=0.0003", "--hyperparameters")
    assert done.returncode == 0, done.stderr
    assert '"algo.hyperparameters.learning_rate": "0.0003"' in done.stdout
    done = cli("validate", config, "--set", "algo.hyperparameters.learning_rate")
    assert done.returncode == 2 and "dotted.key=value" in done.stderr
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    done = cli("validate", unsafe)
    assert done.returncode == 2 and "not valid YAML" in done.stderr and "pwned" not in done.stdout


def test_evaluate_stochastic_samples_actions_and_says_so(finished_job, cli) -> None:
    _, job, _ = finished_job
    records = {}
    for flags in ((), ("--stochastic",)):
        done = cli("evaluate", job, "--episodes", "3", "--json", *flags)
        assert done.returncode == 0, done.stderr
        records[flags] = json.loads(done.stdout[done.stdout.index("{") :])
    deterministic, stochastic = records[()], records[("--stochastic",)]
    assert deterministic["deterministic"] is True and stochastic["deterministic"] is False
    assert deterministic["eval_seed"] == stochastic["eval_seed"] and stochastic["episodes"] == 3
    # the job's own evaluation is deterministic: re-evaluating without --stochastic reproduces its first episodes
    recorded = json.loads((job / "output/data/evaluation.json").read_text())
    assert deterministic["episode_rewards"] == recorded["episode_rewards"][:3]


def test_resume_refuses_a_different_config(tmp_path: Path, write_config, cli, finished_job) -> None:
    _, job, _ = finished_job
    other = write_config(tiny_rl_config(seed=5))
    done = cli("run", other, "--resume", job)
    assert done.returncode == 2 and "seed" in done.stderr


def test_a_relative_output_dir_works_as_make_demo_uses_it(tmp_path: Path, write_config) -> None:
    config = write_config(tiny_rl_config(total_timesteps=256, evaluation={"episodes": 2, "frequency": 0}))
    done = sagelab("run", config, "--output-dir", "runs/demo", "--job-name", "relative", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "runs/demo/relative/output/data/evaluation.json").is_file()
    assert "artifacts: " in done.stdout and str(tmp_path / "runs/demo/relative") in done.stdout
