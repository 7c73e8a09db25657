"""``output/data/evaluation.json``: what a finished job measured, one typed record for every job kind.

An RL job (and ``sagelab evaluate``, for a model or a baseline heuristic) fills the episode fields; a
features job fills ``problem_type`` and ``metric``. Both put their final metric lines in ``metrics``,
so a reader that only wants "how did it score" (the runner's table, a sweep) needs no job kind, and a
reader that wants episodes (``sagelab report``) checks ``kind`` instead of guessing from the keys.
A job that was stopped before its end writes no record. A record without its ``kind`` (hand-written, or from
before the record had one) is refused, naming the file and the field: the kind is never guessed from the keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contract.layout import EVALUATION_FILE

JobKind = Literal["rl", "features"]


class RewardStop(BaseModel):
    """Where training stopped because an evaluation during training reached ``evaluation.stop_at_reward``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float
    timesteps: int = Field(ge=0, description="the timestep of the evaluation that reached the threshold")
    mean_reward: float = Field(description="that evaluation's mean reward")


class EvaluationRecord(BaseModel):
    """The content of evaluation.json."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: JobKind
    config_name: str
    seed: int = Field(ge=0, description="the job's seed")
    timesteps: int = Field(ge=0, description="environment steps trained (0: a baseline or a features job)")
    wall_seconds: float = Field(ge=0, description="the job's wall time, summed over resumed segments")
    metrics: dict[str, float] = Field(default_factory=dict, description="the final metric lines, by name")
    # an RL policy's final evaluation (kind "rl")
    env_id: str | None = None
    algo: str | None = Field(None, description="the algorithm, or baseline:<name> for a heuristic")
    mean_reward: float | None = None
    std_reward: float | None = None
    episodes: int | None = Field(None, ge=1)
    episode_rewards: list[float] = Field(default_factory=list)
    episode_lengths: list[int] = Field(default_factory=list)
    deterministic: bool | None = None
    eval_seed: int | None = None
    n_envs: int = Field(1, ge=1, description="the episodes were spread over this many envs seeded eval_seed + i")
    config: dict[str, Any] | None = Field(
        None, description="the resolved RL config the run belongs to (its experiment)"
    )
    # with evaluation.keep_best: which policy model/ holds, and both candidates' evaluations
    shipped: Literal["best_checkpoint", "final_policy"] | None = None
    final_policy: dict[str, Any] | None = None
    best_checkpoint: dict[str, Any] | None = None
    # with evaluation.stop_at_reward, when an evaluation reached it: training stopped there, before the budget
    stopped_at_reward: RewardStop | None = None
    # a features job's result (kind "features")
    problem_type: str | None = None
    metric: str | None = Field(None, description="the scoring metric of the cv and holdout scores")

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> EvaluationRecord:
        required = (
            ("env_id", "algo", "mean_reward", "std_reward", "episodes")
            if self.kind == "rl"
            else ("problem_type", "metric")
        )
        missing = [name for name in required if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} evaluation needs {', '.join(missing)}")
        return self

    def headline(self) -> str:
        """One line for a terminal: the episode returns of an RL job, the final metrics of a features job."""
        if self.kind == "rl":
            return f"mean reward {self.mean_reward:.2f} +- {self.std_reward:.2f} over {self.episodes} episodes"
        return ", ".join(f"{name}={value:.4g}" for name, value in self.metrics.items())


def write_evaluation(output_data_dir: Path, record: EvaluationRecord) -> Path:
    """Write ``record`` as ``output_data_dir/evaluation.json``."""
    output_data_dir.mkdir(parents=True, exist_ok=True)
    path = output_data_dir / EVALUATION_FILE
    # written beside and renamed into place: a reader (or a resume deciding the job is finished) sees the
    # whole record or none
    staging = output_data_dir / f".{EVALUATION_FILE}.partial"
    staging.write_text(record.model_dump_json(indent=2))
    staging.replace(path)
    return path


def read_evaluation(output_data_dir: Path) -> EvaluationRecord | None:
    """The record in ``output_data_dir``, or None when the job wrote none (failed, stopped or running).

    :raises ValueError: naming the file and what is wrong, when the file is not an evaluation record.
    """
    path = output_data_dir / EVALUATION_FILE
    return parse_evaluation(path.read_bytes(), str(path)) if path.is_file() else None


def parse_evaluation(data: bytes | str, source: str) -> EvaluationRecord:
    """The record whose JSON is ``data``, read from ``source`` (a path, or an archive member).

    :raises ValueError: ``<source> is not an evaluation record: <field>: <problem>; ...`` naming every field that
        is missing or wrong.
    """
    try:
        return EvaluationRecord.model_validate_json(data)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            where = ".".join(map(str, problem["loc"])) or "(file)"
            if problem["type"] == "extra_forbidden":
                # records are strict, so a newer sagelab's field reads as unknown here rather than being dropped
                problems.append(f"{where}: not a field of this sagelab's records (written by a newer sagelab?)")
            elif problem["type"] != "missing":
                problems.append(f"{where}: {problem['msg']}")
            elif where == "kind":
                problems.append(
                    f"kind: missing (expected {' or '.join(get_args(JobKind))}: the job kind that wrote it)"
                )
            else:
                problems.append(f"{where}: missing")
        raise ValueError(f"{source} is not an evaluation record: {'; '.join(problems)}") from None
