"""Models, statistics and replay buffers saved without pickle come back exactly, for on- and off-policy algorithms."""

from __future__ import annotations

import pickle
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import DQN, PPO, SAC
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from contract.layout import PARAMETERS_FILE
from rl.arrays import (
    UnsafeArraysError,
    apply_statistics,
    read_arrays,
    restore_replay_buffer,
    save_replay_buffer,
    save_statistics,
)
from rl.model_io import (
    UnsafeModelError,
    restore_model_files,
    save_model_files,
)

REPO = Path(__file__).resolve().parents[2]


def make(algo: type, env_id: str, **kwargs: object):
    env = DummyVecEnv([lambda: gym.make(env_id)])
    env.seed(0)
    return algo("MlpPolicy", env, seed=0, device="cpu", **kwargs)


ALGORITHMS = {
    "ppo": (PPO, "CartPole-v1", {"n_steps": 64, "batch_size": 32, "n_epochs": 2}),
    "dqn": (
        DQN,
        "CartPole-v1",
        {"learning_starts": 50, "buffer_size": 1000, "train_freq": 4, "target_update_interval": 50},
    ),
    "sac": (SAC, "Pendulum-v1", {"learning_starts": 50, "buffer_size": 1000, "batch_size": 32}),
}


def assert_same_tensors(left: object, right: object, where: str = "") -> None:
    if isinstance(left, torch.Tensor):
        assert torch.equal(left, right), where
    elif isinstance(left, dict):
        assert left.keys() == right.keys(), where
        for key in left:
            assert_same_tensors(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, (list, tuple)):
        assert len(left) == len(right), where
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_same_tensors(a, b, f"{where}[{i}]")
    else:
        assert left == right, where


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_a_restored_model_has_the_same_weights_optimizer_state_and_counters(name: str, tmp_path: Path) -> None:
    algo, env_id, kwargs = ALGORITHMS[name]
    trained = make(algo, env_id, **kwargs).learn(200)
    save_model_files(trained, tmp_path)
    restored = restore_model_files(make(algo, env_id, **kwargs), tmp_path)

    # every state dict SB3 itself saves (policy, target nets, each optimizer's moments and step counts)
    assert_same_tensors(trained.get_parameters(), restored.get_parameters())
    for variable in trained._get_torch_save_params()[1]:  # SAC's entropy coefficient
        assert torch.equal(getattr(trained, variable), getattr(restored, variable))
    for counter in ("num_timesteps", "_n_updates", "_episode_num", "_current_progress_remaining"):
        assert getattr(restored, counter) == getattr(trained, counter), counter
    if name == "dqn":
        assert restored._n_calls == trained._n_calls and restored.exploration_rate == trained.exploration_rate
    assert list(restored.ep_info_buffer) == [
        {k: pytest.approx(v) for k, v in e.items()} for e in trained.ep_info_buffer
    ]
    observations = np.stack([trained.observation_space.sample() for _ in range(8)])
    assert np.array_equal(
        trained.predict(observations, deterministic=True)[0], restored.predict(observations, deterministic=True)[0]
    )
    # the SB3 zip is there for users who trust it
    assert (tmp_path / "model.zip").is_file()


@pytest.mark.parametrize("name", ["dqn", "sac"])
def test_replay_buffers_round_trip_as_arrays(name: str, tmp_path: Path) -> None:
    algo, env_id, kwargs = ALGORITHMS[name]
    trained = make(algo, env_id, **kwargs).learn(300)
    save_replay_buffer(trained.replay_buffer, tmp_path)
    fresh = make(algo, env_id, **kwargs)
    restore_replay_buffer(fresh.replay_buffer, tmp_path)
    for attribute in ("observations", "next_observations", "actions", "rewards", "dones", "timeouts"):
        assert np.array_equal(getattr(fresh.replay_buffer, attribute), getattr(trained.replay_buffer, attribute)), (
            attribute
        )
    assert (fresh.replay_buffer.pos, fresh.replay_buffer.full) == (
        trained.replay_buffer.pos,
        trained.replay_buffer.full,
    )


def test_a_full_replay_buffer_round_trips(tmp_path: Path) -> None:
    algo, env_id, kwargs = ALGORITHMS["dqn"]
    trained = make(algo, env_id, **{**kwargs, "buffer_size": 120}).learn(300)
    assert trained.replay_buffer.full
    save_replay_buffer(trained.replay_buffer, tmp_path)
    fresh = make(algo, env_id, **{**kwargs, "buffer_size": 120})
    restore_replay_buffer(fresh.replay_buffer, tmp_path)
    assert (
        np.array_equal(fresh.replay_buffer.observations, trained.replay_buffer.observations)
        and fresh.replay_buffer.full
    )


def test_normalization_statistics_round_trip(tmp_path: Path) -> None:
    env = VecNormalize(DummyVecEnv([lambda: gym.make("CartPole-v1")]))
    env.reset()
    for _ in range(50):
        env.step(np.array([env.action_space.sample()]))
    save_statistics(env, tmp_path)
    fresh = VecNormalize(DummyVecEnv([lambda: gym.make("CartPole-v1")]))
    apply_statistics(fresh, read_arrays(tmp_path / "vecnormalize.npz"))
    assert np.array_equal(fresh.obs_rms.mean, env.obs_rms.mean) and np.array_equal(fresh.obs_rms.var, env.obs_rms.var)
    assert fresh.obs_rms.count == env.obs_rms.count and fresh.ret_rms.var == env.ret_rms.var


class Plant:
    """A pickle that, when loaded, writes a marker file: what an attacker would put in a model file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return exec, (f"open({str(self.marker)!r}, 'w').write('payload ran')",)


def test_pickled_payloads_are_refused_and_never_run(tmp_path: Path) -> None:
    algo, env_id, kwargs = ALGORITHMS["dqn"]
    model = make(algo, env_id, **kwargs).learn(100)
    marker = tmp_path / "marker"
    payload = pickle.dumps(Plant(marker))
    pickle.loads(payload)  # the payload is live: loading it with pickle runs it
    assert marker.exists()
    marker.unlink()

    save_model_files(model, tmp_path / "weights")
    (tmp_path / "weights" / PARAMETERS_FILE).write_bytes(payload)
    with pytest.raises(UnsafeModelError, match=r"refusing to load .*parameters\.pt: not a weights-only tensor file"):
        restore_model_files(make(algo, env_id, **kwargs), tmp_path / "weights")
    # a torch file whose tensors are fine but which also carries a pickled object
    torch.save(
        {"state_dicts": model.get_parameters(), "variables": {}, "extra": Plant(marker)},
        tmp_path / "weights" / PARAMETERS_FILE,
    )
    with pytest.raises(UnsafeModelError, match="weights-only"):
        restore_model_files(make(algo, env_id, **kwargs), tmp_path / "weights")

    for name in ("replay_buffer.npz", "vecnormalize.npz"):
        (tmp_path / name).write_bytes(payload)
        with pytest.raises(UnsafeArraysError, match="refusing to load"):
            read_arrays(tmp_path / name)
    # an npz whose member is an object array (a pickle inside the archive)
    with open(tmp_path / "objects.npz", "wb") as stream:
        np.savez(stream, observations=np.array([Plant(marker)], dtype=object))
    with pytest.raises(UnsafeArraysError, match="refusing to load"):
        read_arrays(tmp_path / "objects.npz")
    assert not marker.exists()


def test_parameters_for_another_model_are_refused(tmp_path: Path) -> None:
    save_model_files(make(PPO, "CartPole-v1", n_steps=64, batch_size=32), tmp_path)
    with pytest.raises(UnsafeModelError, match="does not fit the model"):
        restore_model_files(
            make(PPO, "CartPole-v1", n_steps=64, batch_size=32, policy_kwargs={"net_arch": [8]}), tmp_path
        )
    with pytest.raises(UnsafeModelError, match="is a 'PPO', its config builds a DQN"):
        restore_model_files(make(DQN, "CartPole-v1", learning_starts=10, buffer_size=100), tmp_path)


def test_no_sagelab_package_unpickles_what_it_loads() -> None:
    # the project's rule, checked as its before-stop hook checks it
    forbidden = ("pickle.load", "VecNormalize.load(", "load_replay_buffer(", ".load(str(")
    offenders = [
        f"{path.relative_to(REPO)}: {needle}"
        for package in ("rl", "features", "experiments")
        for path in (REPO / package).rglob("*.py")
        for needle in forbidden
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_a_directory_with_only_an_sb3_zip_is_refused_with_what_to_do(tmp_path: Path) -> None:
    from rl.evaluation import load_trained

    make(PPO, "CartPole-v1", n_steps=64, batch_size=32).save(tmp_path / "model.zip")
    with pytest.raises(FileNotFoundError, match=r"never unpickles a model.zip .* load it with SB3 \(e.g. PPO.load\)"):
        load_trained(tmp_path)
