"""Evaluate a trained model (or any policy with SB3's ``predict``) on fresh, seeded episodes.

The job's final evaluation and ``sagelab evaluate`` both go through :func:`evaluate_policy_on`
with the same evaluation seed, so re-evaluating a saved model reproduces the job's evaluation.json.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.evaluation import evaluate_policy as evaluate_masked_policy
from sb3_contrib.common.maskable.utils import get_action_masks
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecEnv

from rl.algorithms import CONFIG_FILE, MODEL_FILE, load_algorithm
from rl.archives import extract_safely
from rl.config import EnvConfig, RLConfig
from rl.env_factory import VECNORMALIZE_FILE, make_evaluation_env


@dataclass(frozen=True)
class Evaluation:
    """Returns of ``episodes`` evaluation episodes."""

    mean_reward: float
    std_reward: float
    episodes: int
    episode_rewards: list[float]
    episode_lengths: list[int]
    deterministic: bool
    eval_seed: int
    n_envs: int = 1  # the episodes were spread over this many sub-envs seeded eval_seed + i

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_policy_on(
    policy: Any,
    env_config: EnvConfig,
    *,
    episodes: int,
    seed: int,
    deterministic: bool = True,
    stats_path: Path | None = None,
    torch_threads: int = 1,
    n_envs: int = 1,
) -> Evaluation:
    """Run ``episodes`` episodes of ``policy``: on one env seeded ``seed``, or spread over ``n_envs`` sub-envs.

    With ``n_envs`` > 1, sub-env ``i`` is seeded ``seed + i`` and episode ``j`` of the result is sub-env
    ``j % n_envs``'s ``j // n_envs``-th episode, whatever the policy: two policies evaluated alike play the
    same episodes in the same order (for paired comparisons), and the policy sees batches of observations,
    which is far faster for long episodes. The single-env default plays the same episodes as SB3's
    ``evaluate_policy`` on a single env seeded ``seed``.

    The policy sees small batches; for those torch's thread pool only adds synchronization (on a busy
    2-core machine 1 thread ran a policy 14x faster than 2), hence ``torch_threads``.
    """
    if n_envs < 1:
        raise ValueError(f"n_envs must be >= 1, got {n_envs}")
    n_envs = min(n_envs, episodes)
    env = make_evaluation_env(env_config, seed=seed, stats_path=stats_path, n_envs=n_envs)
    # a masked policy must be given the masks, or it picks invalid actions
    masked = isinstance(policy, MaskablePPO) or bool(getattr(policy, "uses_action_masks", False))
    try:
        with _torch_threads(torch_threads):
            if n_envs > 1:
                rewards, lengths = _play_in_parallel(policy, env, episodes, deterministic, masked)
            else:
                evaluate_with = evaluate_masked_policy if masked else evaluate_policy
                rewards, lengths = evaluate_with(
                    policy, env, n_eval_episodes=episodes, deterministic=deterministic, return_episode_rewards=True, warn=False
                )
    finally:
        env.close()
    return Evaluation(
        mean_reward=float(np.mean(rewards)),
        std_reward=float(np.std(rewards)),
        episodes=len(rewards),
        episode_rewards=[float(r) for r in rewards],
        episode_lengths=[int(n) for n in lengths],
        deterministic=deterministic,
        eval_seed=seed,
        n_envs=n_envs,
    )


def _play_in_parallel(
    policy: Any, env: VecEnv, episodes: int, deterministic: bool, masked: bool
) -> tuple[list[float], list[int]]:
    """Returns and lengths of ``episodes`` episodes, episode ``j`` played by sub-env ``j % n`` (its ``j // n``-th)."""
    n = env.num_envs
    wanted = np.array([len(range(i, episodes, n)) for i in range(n)])
    finished: dict[tuple[int, int], tuple[float, int]] = {}
    counts, returns, lengths = np.zeros(n, int), np.zeros(n), np.zeros(n, int)
    observations, states, starts = env.reset(), None, np.ones(n, bool)
    while (counts < wanted).any():
        if masked:
            actions, states = policy.predict(observations, deterministic=deterministic, action_masks=get_action_masks(env))
        else:
            actions, states = policy.predict(observations, state=states, episode_start=starts, deterministic=deterministic)
        observations, rewards, starts, infos = env.step(actions)
        returns += rewards
        lengths += 1
        for i in np.flatnonzero(starts):
            if counts[i] < wanted[i]:
                # the episode monitor's record when there is one, as SB3's evaluate_policy prefers it
                episode = infos[i].get("episode", {"r": returns[i], "l": lengths[i]})
                finished[i, counts[i]] = (float(episode["r"]), int(episode["l"]))
            counts[i] += 1
            returns[i], lengths[i] = 0.0, 0
    ordered = [finished[j % n, j // n] for j in range(episodes)]
    return [r for r, _ in ordered], [length for _, length in ordered]


@contextmanager
def _torch_threads(count: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass
class TrainedModel:
    """A saved model with what is needed to use it: its config and normalization statistics."""

    model: BaseAlgorithm
    config: RLConfig
    model_dir: Path

    @property
    def stats_path(self) -> Path | None:
        path = self.model_dir / VECNORMALIZE_FILE
        return path if path.exists() else None


def save_model_dir(model: BaseAlgorithm, config: RLConfig, model_dir: Path) -> None:
    """Write the model, its normalization statistics and the resolved config into ``model_dir``."""
    model_dir.mkdir(parents=True, exist_ok=True)
    model.save(model_dir / MODEL_FILE)
    normalizer = model.get_vec_normalize_env()
    if normalizer is not None:
        normalizer.save(str(model_dir / VECNORMALIZE_FILE))
    (model_dir / CONFIG_FILE).write_text(json.dumps(config.model_dump(mode="json"), indent=2))


def _find_model_dir(source: Path, scratch: Path) -> Path:
    if source.is_file():
        return extract_safely(source, scratch)
    for candidate in (source, source / "model"):
        if (candidate / MODEL_FILE).is_file() and (candidate / CONFIG_FILE).is_file():
            return candidate
    archive = source / "output" / "model.tar.gz"
    if archive.is_file():
        return extract_safely(archive, scratch)
    raise FileNotFoundError(
        f"{source} holds no trained model: expected {MODEL_FILE} and {CONFIG_FILE} in it (a model or checkpoint "
        "directory) or in its model/ directory, or output/model.tar.gz"
    )


def load_trained(source: str | Path, *, device: str = "auto") -> TrainedModel:
    """Load a model from a model directory, a checkpoint directory, a job directory or a ``model.tar.gz``."""
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist; expected a job directory, model or checkpoint directory, or model.tar.gz")
    model_dir = _find_model_dir(source, Path(tempfile.mkdtemp(prefix="sagelab-model-")))
    config = RLConfig.model_validate(json.loads((model_dir / CONFIG_FILE).read_text()))
    model = load_algorithm(config.algo.name, model_dir / MODEL_FILE, device=device)
    return TrainedModel(model=model, config=config, model_dir=model_dir)


def evaluate(
    source: str | Path | TrainedModel,
    *,
    episodes: int | None = None,
    seed: int | None = None,
    deterministic: bool | None = None,
    n_envs: int = 1,
) -> Evaluation:
    """Evaluate a saved model; defaults (episodes, seed, determinism) are those of the job that trained it.

    ``n_envs`` > 1 spreads the episodes over that many sub-envs (see :func:`evaluate_policy_on`).
    """
    trained = source if isinstance(source, TrainedModel) else load_trained(source)
    config = trained.config
    return evaluate_policy_on(
        trained.model,
        config.env,
        episodes=episodes or config.evaluation.episodes,
        seed=config.eval_seed if seed is None else seed,
        deterministic=config.evaluation.deterministic if deterministic is None else deterministic,
        stats_path=trained.stats_path,
        n_envs=n_envs,
    )
