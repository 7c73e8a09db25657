"""Job directories for report tests, written by the writers the jobs themselves use (no hand-spelled files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contract import LEARNING_CURVE_FILE as CURVE_FILE
from contract import ContainerPaths, encode_hyperparameters, write_failure, write_input_config
from rl.config import AlgoConfig, EnvConfig, RLConfig
from rl.curve import LearningCurve
from rl.evaluation import Evaluation
from rl.job import _write_outputs


def rl_config(
    name: str = "cp", *, env: str = "CartPole-v1", seed: int = 0, budget: int = 1000, **hyperparameters: Any
) -> RLConfig:
    """A valid RL config (never trained here)."""
    return RLConfig(
        name=name,
        env=EnvConfig(id=env),
        algo=AlgoConfig(name="ppo", hyperparameters=hyperparameters),
        total_timesteps=budget,
        seed=seed,
    )


def finished_run(
    root: Path, job: str, config: RLConfig, mean: float, *, curve: list[tuple[int, float]] | None = None
) -> Path:
    """A finished job: its curve (timesteps, mean return) and final evaluation, as rl.job writes them."""
    paths = ContainerPaths(root / job).create()
    learning_curve = LearningCurve(paths.output_data_dir / CURVE_FILE)
    for step, value in curve if curve is not None else [(config.total_timesteps // 2, mean / 2)]:
        learning_curve.append(step, value, 1.0)
    evaluation = Evaluation(
        mean_reward=mean,
        std_reward=1.0,
        episodes=3,
        episode_rewards=[mean - 1, mean, mean + 1],
        episode_lengths=[10, 10, 10],
        deterministic=True,
        eval_seed=config.eval_seed,
    )
    _write_outputs(config, evaluation, config.total_timesteps, 1.5, learning_curve, paths.output_data_dir, {})
    return paths.root


def unfinished_run(
    root: Path, job: str, config: RLConfig, *, failure: str | None = None, reached: int | None = None
) -> Path:
    """A job that failed (with ``failure``) or was interrupted after evaluating at ``reached`` timesteps."""
    paths = ContainerPaths(root / job).create()
    write_input_config(paths, encode_hyperparameters(config.model_dump(mode="json")), [])
    if reached is not None:
        LearningCurve(paths.output_data_dir / CURVE_FILE).append(reached, 1.0, 0.0)
    if failure is not None:
        write_failure(paths, failure)
    return paths.root


def baseline_run(root: Path, config_yaml: Path, name: str, *, seed: int, episodes: int = 3) -> Path:
    """A baseline evaluated exactly as ``sagelab evaluate --baseline NAME --config ... --output-dir root``."""
    from experiments.commands.evaluate import _evaluate_baseline, _write_job_shaped

    record = _evaluate_baseline(str(config_yaml), name, episodes, seed)
    return _write_job_shaped(root, record).parents[1]
