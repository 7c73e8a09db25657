"""Bring your own env and code: a project from `sagelab init`, trained, stopped, resumed, evaluated and swept
through the CLI, with its env named both ways (Gymnasium's module:EnvId and env.entry_point)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from experiments.config import load_job_config
from tests.experiments.conftest import REPO, sagelab

PACKAGE = "corridor_lab"
ENV_FORMS = {
    "module_id": {"id": f"{PACKAGE}:Corridor-v0"},
    "entry_point": {"entry_point": f"{PACKAGE}.corridor:CorridorEnv"},
}


def starter_project(root: Path) -> Path:
    """`sagelab init` a project under ``root``; returns its directory."""
    project = root / "project"
    done = sagelab("init", project, "--package", PACKAGE)
    assert done.returncode == 0, done.stdout + done.stderr
    return project


def project_config(project: Path, form: str, name: str = "sagelab.yaml", **changes: object) -> Path:
    """The project's own config with its env named in ``form``, small budgets and ``changes``, written beside it."""
    raw = yaml.safe_load((project / "sagelab.yaml").read_text())
    raw["env"] = {**ENV_FORMS[form], "kwargs": raw["env"]["kwargs"], "n_envs": 2}
    raw.update(
        {
            "total_timesteps": 2048,
            "evaluation": {"episodes": 5, "frequency": 1024},
            "checkpoint": {"frequency": 1024, "keep": 2},
        }
    )
    raw.update(changes)
    path = project / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return starter_project(tmp_path_factory.mktemp("byo"))


def test_init_writes_a_project_whose_env_passes_both_checkers(project: Path) -> None:
    files = {
        p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    assert {
        f"{PACKAGE}/__init__.py",
        f"{PACKAGE}/corridor.py",
        "sagelab.yaml",
        "requirements.txt",
        "tests/test_env.py",
        ".gitignore",
    } <= files
    assert "## Observation space" in (project / PACKAGE / "corridor.py").read_text()  # the docstring is the spec
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and "3 passed" in done.stdout, done.stdout + done.stderr
    assert sagelab("init", project).returncode == 2  # never over an existing project


def test_configs_lists_the_shipped_configs() -> None:
    done = sagelab("configs")
    assert done.returncode == 0 and "cartpole_ppo" in done.stdout and "churn_features" in done.stdout


@pytest.mark.parametrize("form", sorted(ENV_FORMS))
def test_the_project_config_validates_from_anywhere(project: Path, form: str, tmp_path: Path) -> None:
    config = project_config(project, form, f"{form}.yaml")
    done = sagelab("validate", config, cwd=tmp_path)  # source_dir is relative to the config, not to the caller
    assert done.returncode == 0, done.stdout + done.stderr


def broken_env_module(project: Path) -> None:
    (project / "broken_envs.py").write_text(
        "import gymnasium as gym\nimport numpy as np\n\n"
        "class NotAnEnv:\n    pass\n\n"
        "class OutOfSpace(gym.Env):\n"
        "    observation_space = gym.spaces.Box(0.0, 1.0, (2,), np.float32)\n"
        "    action_space = gym.spaces.Discrete(2)\n"
        "    def reset(self, *, seed=None, options=None):\n"
        "        super().reset(seed=seed)\n"
        "        return np.array([5.0, 5.0], np.float32), {}\n"
        "    def step(self, action):\n"
        "        return np.zeros(2, np.float32), 0.0, True, False, {}\n"
    )


@pytest.mark.parametrize(
    ("env", "field", "expected"),
    [
        ({"id": "no_such_module:Corridor-v0"}, "env.id", "cannot import module 'no_such_module'"),
        ({"id": f"{PACKAGE}:Hallway-v0"}, "env.id", f"importing '{PACKAGE}' did not register it"),
        ({"entry_point": "no_such_module:Env"}, "env.entry_point", "cannot import module 'no_such_module'"),
        ({"entry_point": "broken_envs:NotAnEnv"}, "env.entry_point", "is not a gymnasium.Env subclass"),
        ({"entry_point": "broken_envs:OutOfSpace"}, "env.entry_point", "Gymnasium's env checker rejects the env"),
        ({"entry_point": f"{PACKAGE}.corridor:CorridorEnv", "kwargs": {"width": 3}}, "env.kwargs.width", "length"),
        ({"id": f"{PACKAGE}:Corridor-v0", "wrappers": ["os.path.join"]}, "env.wrappers", "not from a trusted module"),
    ],
)
def test_a_broken_env_is_one_clear_error_before_any_job_dir(
    project: Path, tmp_path: Path, env: dict, field: str, expected: str
) -> None:
    broken_env_module(project)
    config = project_config(project, "module_id", "broken.yaml", env=env)
    done = sagelab("run", config, "--output-dir", tmp_path / "runs", "--quiet")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{field}:" in done.stderr and expected in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 2  # the config, then one line naming the problem
    assert not (tmp_path / "runs").exists()


def test_wrappers_callbacks_and_baselines_from_the_source_dir_are_trusted(project: Path) -> None:
    (project / "lab_extras.py").write_text(
        "import gymnasium as gym\nfrom stable_baselines3.common.callbacks import BaseCallback\n\n"
        "class ScaleReward(gym.RewardWrapper):\n"
        "    def __init__(self, env, factor=1.0):\n        super().__init__(env)\n        self.factor = factor\n"
        "    def reward(self, reward):\n        return reward * self.factor\n\n"
        "class CountSteps(BaseCallback):\n"
        "    def _on_step(self):\n        return True\n"
    )
    config = project_config(
        project,
        "module_id",
        "extras.yaml",
        callbacks=[{"lab_extras.CountSteps": None}],
        env={**ENV_FORMS["module_id"], "wrappers": [{"lab_extras.ScaleReward": {"factor": 2.0}}]},
    )
    job = load_job_config(config)
    assert [c.__name__ for c, _ in job.config.callback_specs()] == ["CountSteps"]
    assert job.config.env.wrapper_specs()[0][1] == {"factor": 2.0}
    bad = project_config(project, "module_id", "bad-callback.yaml", callbacks=["lab_extras.ScaleReward"])
    done = sagelab("validate", bad)
    assert done.returncode == 2 and "callbacks" in done.stderr and "not a stable_baselines3 BaseCallback" in done.stderr


def run_until_sigterm(config: Path, output_dir: Path, name: str, after_timesteps: int) -> subprocess.CompletedProcess:
    """`sagelab run` the config and send the runner SIGTERM once the job has trained ``after_timesteps``."""
    job = output_dir / name
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "experiments.cli",
            "run",
            str(config),
            "--output-dir",
            str(output_dir),
            "--job-name",
            name,
            "--quiet",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and runner.poll() is None:
        log = (job / "job.log").read_text() if (job / "job.log").exists() else ""
        steps = [int(v) for v in re.findall(r"\btimesteps=(\d+);", log)]
        if steps and steps[-1] >= after_timesteps:
            break
        time.sleep(0.2)
    runner.send_signal(signal.SIGTERM)
    out, err = runner.communicate(timeout=240)
    return subprocess.CompletedProcess(runner.args, runner.returncode, out, err)


@pytest.mark.slow
@pytest.mark.parametrize("form", sorted(ENV_FORMS))
def test_own_env_trains_resumes_after_sigterm_evaluates_and_meets_its_baseline(
    project: Path, tmp_path: Path, form: str
) -> None:
    total = 6_000  # room for the SIGTERM to land after 1,000 timesteps, well before the end
    config = project_config(
        project,
        form,
        f"long-{form}.yaml",
        total_timesteps=total,
        evaluation={"episodes": 5, "frequency": 0},
        checkpoint={"frequency": 0, "keep": 1},
    )
    stopped = run_until_sigterm(config, tmp_path, "own", after_timesteps=1000)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stdout + stopped.stderr
    job = tmp_path / "own"
    record = json.loads((job / "code.json").read_text())
    assert record["source_dir"] == str(project.resolve()) and len(record["sha256"]) == 64
    assert not (job / "output/data/evaluation.json").exists()

    resumed = sagelab("run", config, "--resume", job, "--quiet")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming from checkpoint" in (job / "job.log").read_text()
    recorded = json.loads((job / "output/data/evaluation.json").read_text())
    assert recorded["timesteps"] >= total and recorded["env_id"] == next(iter(ENV_FORMS[form].values()))

    # evaluated from its job dir and from model.tar.gz, in another directory: the recorded code is imported
    for source in (job, job / "output/model.tar.gz"):
        done = sagelab("evaluate", source, "--json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["episode_rewards"] == recorded["episode_rewards"]
        assert "changed since" not in done.stderr

    baseline = sagelab("evaluate", "--baseline", "go-right", "--config", config, "--json")
    assert baseline.returncode == 0, baseline.stderr
    heuristic = json.loads(baseline.stdout)
    assert heuristic["algo"] == "baseline:go-right" and heuristic["eval_seed"] == recorded["eval_seed"]
    assert heuristic["mean_reward"] > 0.5  # walking right reaches the exit
    compared = subprocess.run(
        [sys.executable, "benchmarks/agent_vs_baselines.py", str(job), "--episodes", "10"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # the user's env declares no strongest baseline: the config's first (its only) one plays
    assert compared.returncode == 0 and "go-right on 10 of the 10 episodes" in compared.stdout, (
        compared.stdout + compared.stderr
    )


@pytest.mark.slow
def test_evaluate_warns_when_the_code_changed_since_training(tmp_path: Path) -> None:
    project = starter_project(tmp_path)
    config = project_config(
        project,
        "entry_point",
        total_timesteps=256,
        evaluation={"episodes": 2, "frequency": 0},
        checkpoint={"frequency": 0, "keep": 1},
    )
    assert sagelab("run", config, "--output-dir", tmp_path / "runs", "--job-name", "j", "--quiet").returncode == 0
    with open(project / PACKAGE / "corridor.py", "a") as source:
        source.write("\n# tuned after training\n")
    done = sagelab("evaluate", tmp_path / "runs/j", "--json")
    assert done.returncode == 0 and "changed since j was trained" in done.stderr


@pytest.mark.slow
def test_own_env_sweeps(project: Path, tmp_path: Path) -> None:
    config = project_config(
        project,
        "entry_point",
        "sweep.yaml",
        total_timesteps=512,
        evaluation={"episodes": 2, "frequency": 256},
        checkpoint={"frequency": 0, "keep": 1},
    )
    done = sagelab("sweep", config, "--output-dir", tmp_path, "--name", "own-sweep", "--set", "search_space.trials=2")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "own-sweep/sweep.json").read_text())
    assert len([t for t in summary["trials"] if t["state"] == "COMPLETE"]) == 2
    assert all((Path(t["job_dir"]) / "code.json").is_file() for t in summary["trials"])
