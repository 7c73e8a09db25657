"""`sagelab import-zoo`: RL Zoo's own hyperparameter files (the rl_zoo3 package) convert into configs that validate,
and RL Zoo's Python-source policy_kwargs are parsed as data, never evaluated."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import gymnasium as gym
import pytest
import yaml

from experiments.config import validate
from experiments.errors import UserError
from experiments.zoo import ZOO_ALGORITHMS, import_zoo, parse_python_mapping
from rl.algorithm_specs import ALGORITHMS
from tests.experiments.conftest import sagelab

_SPEC = importlib.util.find_spec("rl_zoo3")  # its data files only; rl_zoo3 itself is never imported
ZOO = Path(_SPEC.origin).parent / "hyperparams" if _SPEC and _SPEC.origin else None
# every RL Zoo file of an algorithm sagelab trains: a broad sample of hyperparameters that must stay valid
FILES = tuple(
    sorted(p.stem for p in ZOO.glob("*.yml") if ZOO_ALGORITHMS.get(p.stem, p.stem) in ALGORITHMS) if ZOO else ()
)


def _buildable(env_id: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # RL Zoo names older versions of some envs
            gym.make(env_id).close()
    except Exception:
        return False
    return True


def installed_entries() -> list[tuple[str, str]]:
    if ZOO is None:
        return []
    entries = []
    for name in FILES:
        for env_id in yaml.safe_load((ZOO / f"{name}.yml").read_text()):
            if env_id in gym.registry and _buildable(env_id):
                entries.append((name, env_id))
    return entries


ENTRIES = installed_entries()


def test_rl_zoo_files_are_installed_and_cover_the_classic_envs() -> None:
    assert ZOO is not None, "rl_zoo3 (a dev dependency) is not installed"
    assert {
        ("ppo", "CartPole-v1"),
        ("dqn", "CartPole-v1"),
        ("sac", "Pendulum-v1"),
        ("td3", "Pendulum-v1"),
        ("a2c", "Acrobot-v1"),
    } <= set(ENTRIES)


@pytest.mark.parametrize(("file", "env_id"), ENTRIES, ids=[f"{f}-{e}" for f, e in ENTRIES])
def test_every_installed_rl_zoo_entry_converts_and_validates(file: str, env_id: str) -> None:
    raw = import_zoo(ZOO / f"{file}.yml", env_id)  # type: ignore[operator]
    job = validate(raw, f"{file}.yml:{env_id}")
    entry = yaml.safe_load((ZOO / f"{file}.yml").read_text())[env_id]  # type: ignore[operator]
    assert job.config.algo.name == ZOO_ALGORITHMS.get(file, file) and job.config.env.id == env_id
    assert job.config.total_timesteps == int(float(entry["n_timesteps"]))
    assert job.config.env.n_envs == entry.get("n_envs", 1)
    if "noise_type" in entry:
        assert job.config.algo.hyperparameters["action_noise"]["type"] == entry["noise_type"].replace("-", "_")


def test_policy_kwargs_become_the_structured_form() -> None:
    parsed = parse_python_mapping(
        "dict(log_std_init=-2, ortho_init=False, activation_fn=nn.ReLU, net_arch=dict(pi=[256, 256], vf=[256, 256]),"
        " optimizer_class=th.optim.RMSprop, optimizer_kwargs=dict(eps=1e-5))",
        "policy_kwargs",
        frozenset({"log_std_init", "ortho_init", "activation_fn", "net_arch", "optimizer_class", "optimizer_kwargs"}),
    )
    assert parsed == {
        "log_std_init": -2,
        "ortho_init": False,
        "activation_fn": "relu",
        "net_arch": {"pi": [256, 256], "vf": [256, 256]},
        "optimizer_class": "rmsprop",
        "optimizer_kwargs": {"eps": 1e-5},
    }
    assert parse_python_mapping("{'norm_obs': True, 'norm_reward': False}", "normalize") == {
        "norm_obs": True,
        "norm_reward": False,
    }


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("dict(net_arch=__import__('os').system('touch /tmp/pwned'))", 'policy_kwargs.net_arch: "__import__'),
        ("dict(activation_fn=nn.Hardswish)", "policy_kwargs.activation_fn: nn.Hardswish is not allowed"),
        ("dict(activation_fn=os.system)", "policy_kwargs.activation_fn: os.system is not allowed"),
        ("dict(features_extractor_class=MyExtractor)", "policy_kwargs.features_extractor_class: not an allowed key"),
        ("dict(**kwargs)", "'**' in dict(...) is not supported"),
        ("[1, 2]", "expected dict(...)"),
        ("dict(net_arch=[64, 64]", "not a Python expression"),
    ],
)
def test_anything_outside_the_allow_list_is_a_clear_error(source: str, expected: str) -> None:
    from experiments.zoo import POLICY_KWARGS

    with pytest.raises(UserError, match=None) as info:
        parse_python_mapping(source, "policy_kwargs", POLICY_KWARGS)
    assert expected in str(info.value)
    assert not Path("/tmp/pwned").exists()


def test_import_zoo_cli_writes_a_config_that_runs_through_validate(tmp_path: Path) -> None:
    output = tmp_path / "pendulum_td3.yaml"
    done = sagelab("import-zoo", ZOO / "td3.yml", "Pendulum-v1", "--output", output)  # type: ignore[operator]
    assert done.returncode == 0, done.stdout + done.stderr
    assert sagelab("validate", output).returncode == 0
    missing = sagelab("import-zoo", ZOO / "td3.yml", "CartPole-v9")  # type: ignore[operator]
    assert missing.returncode == 2 and "no entry for 'CartPole-v9'" in missing.stderr
    untrusted = sagelab("import-zoo", ZOO / "ppo.yml", "CarRacing-v3")  # type: ignore[operator]
    assert untrusted.returncode == 2 and "rl_zoo3.wrappers.FrameSkip' is not from a trusted module" in untrusted.stderr
