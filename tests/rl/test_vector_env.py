"""The Gymnasium-VectorEnv -> SB3-VecEnv adapter: same transitions as DummyVecEnv, SB3 and MaskablePPO train on it."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv
from gymnasium.vector.utils import batch_space
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.utils import get_action_masks
from stable_baselines3 import PPO
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

from envs.vehicle_routing import VehicleRoutingEnv
from rl.vector_env import GymnasiumVecEnvAdapter, make_sb3_vec_env

LENGTH, GOAL = 9, 4


class CorridorEnv(gym.Env):
    """Walk a corridor of cells -GOAL..GOAL from a random start: reach +GOAL (terminated, +1) or time out.

    Observation ``[position, steps]`` (float32), actions ``0`` left / ``1`` right, reward ``-0.1`` per step.
    ``options={"start": k}`` fixes the start cell.
    """

    observation_space = spaces.Box(-GOAL, max(GOAL, LENGTH), shape=(2,), dtype=np.float32)
    action_space = spaces.Discrete(2)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        start = (options or {}).get("start")
        self.position = int(self.np_random.integers(-GOAL + 1, GOAL)) if start is None else int(start)
        self.steps = 0
        return self._obs(), {"start": self.position}

    def step(self, action):
        self.position = max(-GOAL, self.position + (1 if action == 1 else -1))
        self.steps += 1
        terminated = self.position == GOAL
        reward = 1.0 if terminated else -0.1
        return self._obs(), reward, terminated, self.steps >= LENGTH and not terminated, {"position": self.position}

    def action_masks(self) -> np.ndarray:
        return np.array([self.position > -GOAL, True])

    def _obs(self) -> np.ndarray:
        return np.array([self.position, self.steps], dtype=np.float32)


class CorridorVectorEnv(VectorEnv):
    """``num_envs`` corridors in NumPy arrays, same-step autoreset, one generator per sub-env."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}  # noqa: RUF012 -- an instance attribute in gymnasium

    def __init__(self, num_envs: int) -> None:
        self.num_envs = num_envs
        self.single_observation_space = CorridorEnv.observation_space
        self.single_action_space = CorridorEnv.action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.position, self.steps = np.zeros(num_envs, np.int64), np.zeros(num_envs, np.int64)
        self.rngs: list[np.random.Generator] = [np.random.default_rng() for _ in range(num_envs)]
        self.start: int | None = None

    def _start(self, i: int) -> None:
        self.position[i] = self.rngs[i].integers(-GOAL + 1, GOAL) if self.start is None else self.start
        self.steps[i] = 0

    def reset(self, *, seed=None, options=None):
        if not isinstance(seed, list):
            seed = [None if seed is None else seed + i for i in range(self.num_envs)]
        seeds = seed
        self.start = (options or {}).get("start")
        for i, s in enumerate(seeds):
            if s is not None:
                self.rngs[i], _ = gym.utils.seeding.np_random(s)
            self._start(i)
        return self._obs(), {"start": self.position.copy(), "_start": np.ones(self.num_envs, bool)}

    def step(self, actions):
        self.position = np.maximum(-GOAL, self.position + np.where(np.asarray(actions) == 1, 1, -1))
        self.steps += 1
        terminated = self.position == GOAL
        truncated = (self.steps >= LENGTH) & ~terminated
        reward = np.where(terminated, 1.0, -0.1)
        infos: dict[str, Any] = {"position": self.position.copy(), "_position": np.ones(self.num_envs, bool)}
        done = terminated | truncated
        if done.any():
            obs = self._obs()
            infos["final_obs"] = np.array([obs[i] if d else None for i, d in enumerate(done)], dtype=object)
            infos["_final_obs"] = done
            infos["final_info"] = {"position": self.position.copy(), "_position": done.copy()}
            infos["_final_info"] = done.copy()
            infos["_position"] = ~done
            for i in np.flatnonzero(done):
                self._start(i)
            infos["start"], infos["_start"] = self.position.copy(), done.copy()
        return self._obs(), reward, terminated, truncated, infos

    def action_masks(self) -> np.ndarray:
        return np.stack([self.position > -GOAL, np.ones(self.num_envs, bool)], axis=1)

    def _obs(self) -> np.ndarray:
        return np.stack([self.position, self.steps], axis=1).astype(np.float32)


def assert_same_as_dummy(adapter, dummy, steps: int, rng: np.random.Generator, seed: int) -> int:
    """Step both VecEnvs with the same actions; return how many episodes ended."""
    adapter.seed(seed)
    dummy.seed(seed)
    np.testing.assert_array_equal(adapter.reset(), dummy.reset())
    assert _strip(adapter.unwrapped.reset_infos) == _strip(dummy.unwrapped.reset_infos)
    ended = 0
    for _ in range(steps):
        masks = np.stack(dummy.env_method("action_masks"))
        np.testing.assert_array_equal(np.stack(adapter.env_method("action_masks")), masks)
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        a_obs, a_rew, a_done, a_infos = adapter.step(actions)
        d_obs, d_rew, d_done, d_infos = dummy.step(actions)
        np.testing.assert_array_equal(a_obs, d_obs)
        np.testing.assert_array_equal(a_rew, d_rew)
        assert a_rew.dtype == d_rew.dtype
        np.testing.assert_array_equal(a_done, d_done)
        for a_info, d_info in zip(a_infos, d_infos, strict=True):
            assert a_info.keys() == d_info.keys()
            for key in a_info:
                if key == "episode":
                    assert a_info[key]["r"] == pytest.approx(d_info[key]["r"]) and a_info[key]["l"] == d_info[key]["l"]
                else:
                    np.testing.assert_array_equal(a_info[key], d_info[key])
        assert _strip(adapter.unwrapped.reset_infos) == _strip(dummy.unwrapped.reset_infos)
        ended += int(a_done.sum())
    return ended


def _strip(infos: list[dict]) -> list[dict]:
    return [{k: np.asarray(v).tolist() for k, v in info.items()} for info in infos]


def test_adapter_equals_dummy_vec_env_on_a_vector_env_with_terminations_and_truncations():
    adapter = GymnasiumVecEnvAdapter(CorridorVectorEnv(4))
    dummy = DummyVecEnv([CorridorEnv] * 4)
    ended = assert_same_as_dummy(adapter, dummy, 120, np.random.default_rng(0), seed=7)
    assert ended > 20


def test_terminal_observation_and_truncation_flags():
    adapter = GymnasiumVecEnvAdapter(CorridorVectorEnv(2))
    adapter.set_options({"start": GOAL - 1})
    adapter.reset()
    obs, rewards, dones, infos = adapter.step(np.array([1, 0]))  # env 0 reaches the goal
    assert dones.tolist() == [True, False] and rewards.tolist() == pytest.approx([1.0, -0.1])
    np.testing.assert_array_equal(infos[0]["terminal_observation"], [GOAL, 1])
    assert infos[0]["TimeLimit.truncated"] is False and "terminal_observation" not in infos[1]
    assert obs[0, 1] == 0 and infos[0]["position"] == GOAL and adapter.reset_infos[0]["start"] == obs[0, 0]
    for _ in range(LENGTH - 1):  # env 1 walks left into the wall until the time limit
        obs, rewards, dones, infos = adapter.step(np.array([0, 0]))
    assert dones[1] and infos[1]["TimeLimit.truncated"] is True
    np.testing.assert_array_equal(infos[1]["terminal_observation"], [-GOAL, LENGTH])


def test_reset_honours_seeds_once_and_options():
    adapter = GymnasiumVecEnvAdapter(CorridorVectorEnv(3))
    reference = DummyVecEnv([CorridorEnv] * 3)
    assert adapter.seed(21) == [21, 22, 23]
    reference.seed(21)
    first = adapter.reset()
    np.testing.assert_array_equal(first, reference.reset())
    assert adapter._seeds == [None, None, None]  # seeds are used once, as in DummyVecEnv
    np.testing.assert_array_equal(adapter.reset(), reference.reset())
    adapter.seed(21)
    np.testing.assert_array_equal(adapter.reset(), first)
    adapter.set_options({"start": -2})
    assert (adapter.reset()[:, 0] == -2).all()
    adapter.set_options([{"start": -2}, {}, {}])
    with pytest.raises(ValueError, match="options must be the same for every sub-env"):
        adapter.reset()


def test_rejects_vector_envs_that_do_not_autoreset_in_the_same_step():
    next_step = SyncVectorEnv([CorridorEnv] * 2, autoreset_mode=AutoresetMode.NEXT_STEP)
    with pytest.raises(ValueError, match=r"autoreset_mode'\] must be AutoresetMode.SAME_STEP"):
        GymnasiumVecEnvAdapter(next_step)
    with pytest.raises(TypeError, match=r"must be a gymnasium\.vector\.VectorEnv"):
        GymnasiumVecEnvAdapter(DummyVecEnv([CorridorEnv]))


def test_attributes_methods_and_wrappers():
    adapter = GymnasiumVecEnvAdapter(CorridorVectorEnv(3))
    adapter.reset()
    assert adapter.get_attr("num_envs", indices=[0, 2]) == [3, 3]
    assert adapter.has_attr("action_masks") and not adapter.has_attr("no_such_attribute")
    masks = adapter.env_method("action_masks", indices=[1, 2])
    assert len(masks) == 2 and masks[0].shape == (2,)
    assert get_action_masks(adapter).shape == (3, 2)
    adapter.set_attr("start", 1)
    assert adapter.venv.start == 1
    with pytest.raises(ValueError, match="indices must select all 3 sub-envs"):
        adapter.set_attr("start", 1, indices=[0])
    assert adapter.env_is_wrapped(Monitor) == [False, False, False]
    sync = GymnasiumVecEnvAdapter(
        SyncVectorEnv([lambda: Monitor(CorridorEnv())] * 2, autoreset_mode=AutoresetMode.SAME_STEP)
    )
    assert sync.env_is_wrapped(Monitor) == [True, True]


def test_vehicle_routing_twin_through_adapter_equals_dummy_vec_env_with_episode_stats():
    kwargs = {"episode_length": 30, "n_orders": 4}
    adapter = make_sb3_vec_env("envs/VehicleRouting-v0", n_envs=3, seed=None, env_kwargs=kwargs)
    dummy = VecMonitor(DummyVecEnv([lambda: VehicleRoutingEnv(**kwargs)] * 3))
    assert isinstance(adapter, VecMonitor)
    assert assert_same_as_dummy(adapter, dummy, 95, np.random.default_rng(1), seed=3) == 9


def test_make_sb3_vec_env_seeds_the_first_reset():
    a = make_sb3_vec_env("envs/VehicleRouting-v0", n_envs=2, seed=5, env_kwargs={})
    b = make_sb3_vec_env("envs/VehicleRouting-v0", n_envs=2, seed=5, env_kwargs={})
    first = a.reset()
    np.testing.assert_array_equal(first, b.reset())
    np.testing.assert_array_equal(first[1], VehicleRoutingEnv().reset(seed=6)[0])  # sub-env i gets seed + i
    assert not np.array_equal(a.reset(), first)  # later resets continue the streams


@pytest.mark.slow
def test_ppo_trains_through_the_adapter_and_sees_episode_stats():
    venv = VecMonitor(GymnasiumVecEnvAdapter(CorridorVectorEnv(4)))
    venv.seed(0)
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=2, seed=0, device="cpu")
    model.learn(total_timesteps=512)
    assert model.num_timesteps >= 512 and len(model.ep_info_buffer) > 10
    assert all({"r", "l"} <= set(info) for info in model.ep_info_buffer)


@pytest.mark.slow
def test_ppo_and_maskable_ppo_train_on_vehicle_routing_through_the_adapter():
    kwargs = {"episode_length": 50}
    for algo in (PPO, MaskablePPO):
        venv = make_sb3_vec_env("envs/VehicleRouting-v0", n_envs=4, seed=0, env_kwargs=kwargs)
        model = algo("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=2, seed=0, device="cpu")
        model.learn(total_timesteps=512)
        assert model.num_timesteps >= 512
        assert [info["l"] for info in model.ep_info_buffer] == [50] * len(model.ep_info_buffer)
        assert len(model.ep_info_buffer) >= 8
    # MaskablePPO only samples valid actions: its greedy actions on fresh states respect the masks.
    obs = venv.reset()
    masks = get_action_masks(venv)
    actions, _ = model.predict(obs, action_masks=masks, deterministic=False)
    assert masks[np.arange(4), actions].all()
