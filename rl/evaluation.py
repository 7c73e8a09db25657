"""Evaluate a trained model (or any policy with SB3's ``predict``) on fresh, seeded episodes.

The job's final evaluation and ``sagelab evaluate`` both go through :func:`evaluate_policy_on`
with the same evaluation seed, so re-evaluating a saved model reproduces the job's evaluation record.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.evaluation import (
    evaluate_policy as evaluate_masked_policy,
)
from sb3_contrib.common.maskable.utils import get_action_masks
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecEnv

from contract import MODEL_ARCHIVE, ContainerPaths, extract_safely
from contract.evaluation import EvaluationRecord
from contract.layout import MODEL_CONFIG_FILE, MODEL_DIR, OUTPUT_DIR, SB3_MODEL_FILE
from rl.arrays import Arrays, statistics_arrays
from rl.config import EnvConfig, RLConfig
from rl.env_factory import make_evaluation_env
from rl.saved_model import SAVED_MODEL_FILES, is_saved_model, load_saved_model
from rl.wrapper_paths import inside_scratch_unless_set


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

    def to_record(
        self,
        config: RLConfig,
        *,
        timesteps: int,
        wall_seconds: float = 0.0,
        algo: str | None = None,
        seed: int | None = None,
        experiment: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> EvaluationRecord:
        """The evaluation record of ``config``'s policy (``algo`` names another policy, e.g. ``baseline:greedy``).

        ``seed`` defaults to the config's, ``experiment`` (the config the run belongs to, which
        ``sagelab report`` groups by) to ``config`` itself; ``extra`` holds the model-selection fields
        (``shipped``, ``final_policy``, ``best_checkpoint``) and ``stopped_at_reward``.
        """
        return EvaluationRecord(
            kind="rl",
            config_name=config.name,
            env_id=config.env.name,
            algo=algo or config.algo.name,
            seed=config.seed if seed is None else seed,
            timesteps=timesteps,
            wall_seconds=round(wall_seconds, 3),
            metrics={"final_mean_reward": self.mean_reward, "final_std_reward": self.std_reward},
            **self.to_dict(),
            **(extra or {}),
            config=dict(experiment) if experiment is not None else config.model_dump(mode="json"),
        )


def evaluate_policy_on(
    policy: Any,
    env_config: EnvConfig,
    *,
    episodes: int,
    seed: int,
    deterministic: bool = True,
    statistics: Mapping[str, np.ndarray] | None = None,
    torch_threads: int = 1,
    n_envs: int = 1,
    on_episode: Callable[[], None] | None = None,
) -> Evaluation:
    """Run ``episodes`` episodes of ``policy``: on one env seeded ``seed``, or spread over ``n_envs`` sub-envs.

    With ``n_envs`` > 1, sub-env ``i`` is seeded ``seed + i`` and episode ``j`` of the result is sub-env
    ``j % n_envs``'s ``j // n_envs``-th episode, whatever the policy: two policies evaluated alike play the
    same episodes in the same order (for paired comparisons), and the policy sees batches of observations,
    which is far faster for long episodes. The single-env default plays the same episodes as SB3's
    ``evaluate_policy`` on a single env seeded ``seed``.

    The policy sees small batches; for those torch's thread pool only adds synchronization (on a busy
    2-core machine 1 thread ran a policy 14x faster than 2), hence ``torch_threads``.

    ``on_episode`` is called once each time one of the ``episodes`` ends (a progress display's hook).
    """
    if n_envs < 1:
        raise ValueError(f"n_envs must be >= 1, got {n_envs}")
    n_envs = min(n_envs, episodes)
    env = make_evaluation_env(env_config, seed=seed, statistics=statistics, n_envs=n_envs)
    # a masked policy must be given the masks, or it picks invalid actions
    masked = isinstance(policy, MaskablePPO) or bool(getattr(policy, "uses_action_masks", False))
    try:
        with _torch_threads(torch_threads):
            if n_envs > 1:
                rewards, lengths = _play_in_parallel(policy, env, episodes, deterministic, masked, on_episode)
            else:
                evaluate_with = evaluate_masked_policy if masked else evaluate_policy
                played = evaluate_with(
                    policy,
                    env,
                    n_eval_episodes=episodes,
                    deterministic=deterministic,
                    return_episode_rewards=True,
                    warn=False,
                    callback=None if on_episode is None else _episode_end_callback(on_episode),
                )
                # with return_episode_rewards SB3 returns the per-episode lists (it annotates both modes as one)
                rewards, lengths = cast(tuple[list[float], list[int]], played)
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


def _episode_end_callback(on_episode: Callable[[], None]) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    """SB3's ``evaluate_policy`` callback (called per env step with its locals) calling ``on_episode`` when an
    episode it counts ends (with a Monitor, only where the Monitor records one, as SB3 counts them)."""

    def callback(local: dict[str, Any], _: dict[str, Any]) -> None:
        if local["done"] and (not local["is_monitor_wrapped"] or "episode" in local["info"]):
            on_episode()

    return callback


def _play_in_parallel(
    policy: Any,
    env: VecEnv,
    episodes: int,
    deterministic: bool,
    masked: bool,
    on_episode: Callable[[], None] | None = None,
) -> tuple[list[float], list[int]]:
    """Returns and lengths of ``episodes`` episodes, episode ``j`` played by sub-env ``j % n`` (its ``j // n``-th)."""
    n = env.num_envs
    wanted = np.array([len(range(i, episodes, n)) for i in range(n)])
    finished: dict[tuple[int, int], tuple[float, int]] = {}
    counts, returns, lengths = np.zeros(n, int), np.zeros(n), np.zeros(n, int)
    observations, states, starts = env.reset(), None, np.ones(n, bool)
    while (counts < wanted).any():
        if masked:
            actions, states = policy.predict(
                observations, deterministic=deterministic, action_masks=get_action_masks(env)
            )
        else:
            actions, states = policy.predict(
                observations, state=states, episode_start=starts, deterministic=deterministic
            )
        observations, rewards, starts, infos = env.step(actions)
        returns += rewards
        lengths += 1
        for i in np.flatnonzero(starts):
            if counts[i] < wanted[i]:
                # the episode monitor's record when there is one, as SB3's evaluate_policy prefers it
                episode = infos[i].get("episode", {"r": returns[i], "l": lengths[i]})
                finished[int(i), int(counts[i])] = (float(episode["r"]), int(episode["l"]))
                if on_episode is not None:
                    on_episode()
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
    """A trained model with what is needed to use it: its config and normalization statistics."""

    model: BaseAlgorithm
    config: RLConfig
    statistics: Arrays | None = None
    source: Path | None = None  # where it was loaded from

    @classmethod
    def of(cls, model: BaseAlgorithm, config: RLConfig) -> TrainedModel:
        """A model in memory, with the statistics of its own normalization wrapper."""
        normalizer = model.get_vec_normalize_env()
        return cls(model, config, statistics_arrays(normalizer) if normalizer is not None else None)


_NO_MODEL = (
    f"{{source}} holds no trained model: expected a model or checkpoint directory ({', '.join(SAVED_MODEL_FILES)}), "
    f"a job directory with one in {MODEL_DIR}/ or {OUTPUT_DIR}/{MODEL_ARCHIVE}, or a {MODEL_ARCHIVE}"
)


def _locate(source: Path) -> tuple[Path | None, Path | None]:
    """(archive, directory): the model.tar.gz or the model directory that ``source`` is or holds."""
    if source.is_file():
        return source, None
    job = ContainerPaths(source)
    candidates = [source, job.model_dir]
    for candidate in candidates:
        if is_saved_model(candidate):
            return None, candidate
    if job.model_archive.is_file():
        return job.model_archive, None
    for candidate in candidates:
        if (candidate / MODEL_CONFIG_FILE).is_file() or (candidate / SB3_MODEL_FILE).is_file():
            return None, candidate  # a partial or SB3-only directory: load_saved_model says what is missing
    raise FileNotFoundError(_NO_MODEL.format(source=source))


def load_trained(source: str | Path, *, device: str = "auto") -> TrainedModel:
    """Load a model from a model directory, a checkpoint directory, a job directory or a model archive.

    Nothing is unpickled (see :mod:`rl.saved_model`); an archive is unpacked into a temporary directory
    that is removed before this returns.
    """
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(
            f"{source} does not exist; expected a job directory, model or checkpoint directory, or {MODEL_ARCHIVE}"
        )
    archive, directory = _locate(source)
    with inside_scratch_unless_set():  # the env built for the model's spaces writes no wrapper files here
        if archive is not None:
            with tempfile.TemporaryDirectory(prefix="sagelab-model-") as scratch:
                saved = load_saved_model(extract_safely(archive, Path(scratch)), device=device)
        else:
            assert directory is not None
            saved = load_saved_model(directory, device=device)
    return TrainedModel(saved.model, saved.config, saved.statistics, source)


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
    with inside_scratch_unless_set():
        return evaluate_policy_on(
            trained.model,
            config.env,
            episodes=episodes or config.evaluation.episodes,
            seed=config.eval_seed if seed is None else seed,
            deterministic=config.evaluation.deterministic if deterministic is None else deterministic,
            statistics=trained.statistics,
            n_envs=n_envs,
        )
