"""The baseline of benchmarks/overhead.py: what a researcher writes with Stable-Baselines3 alone.

Same env, hyperparameters, evaluation and checkpoint frequency as the sagelab config it is given,
written against the SB3 API directly (RL Zoo's linear schedule as a plain function). It reads the
YAML only to copy the numbers; nothing of sagelab runs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import yaml
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.callbacks import CallbackList, CheckpointCallback, EvalCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy


def linear_schedule(initial_value: float):
    def schedule(progress_remaining: float) -> float:
        return progress_remaining * initial_value

    return schedule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", type=Path)
    parser.add_argument("--timesteps", type=int, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    args = parser.parse_args()
    started = time.perf_counter()

    config = yaml.safe_load(args.config.read_text())
    torch.set_num_threads(config.get("torch_threads", 1))
    seed = config.get("seed", 0)
    hyperparameters = {
        key: linear_schedule(float(value[4:])) if isinstance(value, str) and value.startswith("lin_") else value
        for key, value in config["algo"]["hyperparameters"].items()
    }
    algo = {"ppo": PPO, "dqn": DQN}[config["algo"]["name"]]
    n_envs = config["env"].get("n_envs", 1)
    env = make_vec_env(config["env"]["id"], n_envs=n_envs, seed=seed)
    eval_env = make_vec_env(config["env"]["id"], n_envs=1, seed=seed + 1_000_000)
    model = algo("MlpPolicy", env, seed=seed, tensorboard_log=str(args.output_dir / "tb"), verbose=0, **hyperparameters)
    callbacks = [
        EvalCallback(
            eval_env,
            n_eval_episodes=config["evaluation"]["episodes"],
            eval_freq=max(config["evaluation"]["frequency"] // n_envs, 1),
            log_path=str(args.output_dir),
            verbose=0,
        )
    ]
    if config.get("checkpoint", {}).get("frequency"):
        callbacks.append(
            CheckpointCallback(
                max(config["checkpoint"]["frequency"] // n_envs, 1),
                str(args.output_dir / "checkpoints"),
                save_replay_buffer=True,
            )
        )
    model.learn(args.timesteps, callback=CallbackList(callbacks))
    model.save(args.output_dir / "model.zip")
    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=config["evaluation"]["episodes"])
    print(f"plain SB3: mean reward {mean:.2f} +- {std:.2f} in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
