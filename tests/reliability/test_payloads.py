"""A payload planted in any file of a model directory or a checkpoint never runs: sagelab loads safely or refuses."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
import yaml
from stable_baselines3 import DQN

from rl.algorithms import gamma_of
from rl.checkpoints import latest_checkpoint
from rl.env_factory import make_training_env
from rl.evaluation import load_trained
from rl.saved_model import read_config, read_statistics, restore_for_training
from tests.experiments.conftest import sagelab, tiny_rl_config
from tests.reliability.payloads import plant

# files sagelab never opens, kept for users who trust them
FOR_USERS = {"model.zip", "vecnormalize.pkl"}
REFUSALS = (
    "refusing to load",
    "does not fit",
    "is missing",
    "not a valid sagelab RL config",
    "damaged or was not written",
)


def dqn_config() -> dict:
    return tiny_rl_config(
        name="tiny-dqn",
        env={"id": "CartPole-v1", "normalize": True},
        algo={
            "name": "dqn",
            "hyperparameters": {"learning_starts": 100, "buffer_size": 2000, "target_update_interval": 100},
        },
        total_timesteps=512,
        evaluation={"episodes": 2, "frequency": 0},
        checkpoint={"frequency": 256, "keep": 1},
    )


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A finished DQN job with normalization (so every kind of file is there) and its config file."""
    root = tmp_path_factory.mktemp("payloads")
    config = root / "job.yaml"
    config.write_text(yaml.safe_dump(dqn_config()))
    done = sagelab("run", config, "--output-dir", root, "--job-name", "job", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "job", config


def planted_copies(source: Path, tmp_path: Path, marker: Path):
    """One copy of ``source`` per file, with that file replaced by the payload."""
    for file in sorted(p for p in source.iterdir() if p.is_file()):
        copy = tmp_path / f"planted-{file.name}"
        shutil.copytree(source, copy)
        plant(copy / file.name, marker)
        yield file.name, copy


def test_the_planted_sb3_zip_is_live(finished: tuple[Path, Path], tmp_path: Path) -> None:
    # what the test plants does run when loaded the way sagelab used to load models
    marker = tmp_path / "marker"
    model_zip = tmp_path / "model.zip"
    shutil.copy(finished[0] / "model" / "model.zip", model_zip)
    plant(model_zip, marker)
    # the payload replaced the objects SB3 expects, so what it raises is whatever those objects do
    with pytest.raises(Exception):  # noqa: B017, PT011
        DQN.load(model_zip)
    assert marker.exists()


def test_every_file_of_a_model_directory_loads_safely_or_is_refused(
    finished: tuple[Path, Path], tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    expected = load_trained(finished[0] / "model").model.q_net.state_dict()
    outcomes = {}
    for name, copy in planted_copies(finished[0] / "model", tmp_path, marker):
        refusal: str | None = None
        try:
            trained = load_trained(copy)
            outcomes[name] = "loaded"
            assert all((trained.model.q_net.state_dict()[k] == v).all() for k, v in expected.items())
        except (ValueError, FileNotFoundError) as error:
            outcomes[name] = "refused"
            refusal = str(error)
        if refusal is not None:
            assert any(reason in refusal for reason in REFUSALS), f"{name}: unclear error {refusal}"
        assert not marker.exists(), f"the payload in {name} ran"
    assert {n for n, o in outcomes.items() if o == "loaded"} == FOR_USERS
    assert {"parameters.pt", "model_state.json", "config.json", "vecnormalize.npz"} <= set(outcomes)


def test_every_file_of_a_checkpoint_resumes_safely_or_is_refused(finished: tuple[Path, Path], tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    checkpoint = latest_checkpoint(finished[0] / "checkpoints")
    assert checkpoint is not None and (checkpoint.path / "replay_buffer.npz").is_file()
    config = read_config(checkpoint.path)
    loaded = []
    for name, copy in planted_copies(checkpoint.path, tmp_path, marker):
        holder = tmp_path / f"checkpoints-{name}"
        holder.mkdir()
        copy.rename(holder / checkpoint.path.name)
        refusal: str | None = None
        try:  # what a resuming job does with its checkpoint directory
            resumed = latest_checkpoint(holder)
            assert resumed is not None
            env = make_training_env(
                config.env, seed=0, gamma=gamma_of(config.algo), statistics=read_statistics(resumed.path)
            )
            model = restore_for_training(config, resumed.path, env, tensorboard_log=None)
            assert model.num_timesteps == checkpoint.timesteps and model.replay_buffer.size() > 0
            loaded.append(name)
        except (ValueError, FileNotFoundError) as error:
            refusal = str(error)
        if refusal is not None:
            assert any(reason in refusal for reason in REFUSALS), f"{name}: unclear error {refusal}"
        assert not marker.exists(), f"the payload in {name} ran"
    # a resuming job takes its config from its own hyperparameters; the checkpoint's copy is for evaluate
    assert set(loaded) == FOR_USERS | {"config.json"}


@pytest.mark.slow
def test_the_cli_evaluates_and_resumes_safely_or_refuses(finished: tuple[Path, Path], tmp_path: Path) -> None:
    job, config = finished
    marker = tmp_path / "marker"
    reference = sagelab("evaluate", job, "--json")
    assert reference.returncode == 0, reference.stderr
    # evaluating an archive unpacks it into a temporary directory, which is gone afterwards
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    from_archive = sagelab("evaluate", job / "output" / "model.tar.gz", "--json", env={"TMPDIR": str(scratch)})
    assert from_archive.returncode == 0 and from_archive.stdout == reference.stdout, from_archive.stderr
    # (torch keeps its compiler cache there, on purpose and by that name)
    assert [p.name for p in scratch.iterdir() if not p.name.startswith("torchinductor_")] == []

    # only the files kept for users are poisoned: sagelab never opens them, so it evaluates as before
    users = tmp_path / "users"
    shutil.copytree(job / "model", users)
    for name in FOR_USERS:
        plant(users / name, marker)
    evaluated = sagelab("evaluate", users, "--json")
    assert evaluated.returncode == 0 and evaluated.stdout == reference.stdout, evaluated.stderr
    # every file poisoned: a directory, and the same as model.tar.gz, are refused with the file named
    everything = tmp_path / "everything"
    shutil.copytree(job / "model", everything)
    for file in everything.iterdir():
        plant(file, marker)
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for file in everything.iterdir():
            tar.add(file, arcname=file.name)
    for source in (everything, archive):
        refused = sagelab("evaluate", source)
        assert refused.returncode == 2 and "refusing to load" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr

    # --resume from a poisoned checkpoint: the job refuses, naming the file, and nothing ran
    resumable = tmp_path / "resumable"
    shutil.copytree(job, resumable)
    (resumable / "output" / "data" / "evaluation.json").unlink()  # the job has its final evaluation left to do
    [step] = list((resumable / "checkpoints").glob("step_*"))
    for file in step.iterdir():
        plant(file, marker)
    resumed = sagelab("run", config, "--resume", resumable, "--quiet")
    assert resumed.returncode == 1
    reason = (resumable / "output" / "failure").read_text()
    assert any(refusal in reason for refusal in REFUSALS) and step.name in reason, reason
    assert not marker.exists()


def test_code_that_came_with_a_job_directory_is_not_imported(finished: tuple[Path, Path], tmp_path: Path) -> None:
    import json

    marker = tmp_path / "marker"
    handed = tmp_path / "handed"
    shutil.copytree(finished[0], handed)
    # a module inside the job directory, a code record pointing at it, and the model's config naming it
    (handed / "evil_env.py").write_text(f"open({str(marker)!r}, 'w').write('payload ran')\nclass Env: pass\n")
    (handed / "code.json").write_text(json.dumps({"source_dir": str(handed), "sha256": "0" * 64}))
    config = json.loads((handed / "model" / "config.json").read_text())
    config["env"] = {**config["env"], "id": None, "entry_point": "evil_env:Env"}
    (handed / "model" / "config.json").write_text(json.dumps(config))
    refused = sagelab("evaluate", handed)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "not importing it" in refused.stderr and "refusing to load" in refused.stderr
    assert not marker.exists()
