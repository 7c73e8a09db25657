"""The RL part of a job config: which env, which algorithm, how long, how to evaluate and checkpoint.

Validated once, at the boundary, with pydantic: a wrong field, type, algorithm, env id or SB3
hyperparameter is reported with the field path, the value and what is allowed before anything trains.
Nothing in a config is ever ``eval``-ed: schedules are strings such as ``lin_0.001`` (as in RL Zoo),
activation functions and optimizers are names from an allow-list, wrappers are dotted class paths
restricted to trusted modules and the user's code.source_dir (see rl.dotted).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from contract.fields import Float, Int
from contract.unions import BOOLEAN, MAPPING, STRING, by_shape
from rl.algorithm_specs import ALGORITHM_SPECS, ALGORITHMS, algorithm_spec, space_problems
from rl.dotted import class_specs, one_class_path, resolve_baseline, resolve_callback, resolve_wrapper
from rl.env_spec import EnvFacts, EnvProblem, check_env_id, inspect_env, load_entry_point, registered_reward_threshold
from rl.hyperparameters import Problem, check_nested, check_parameters, consistency_problems
from rl.signatures import Signature, constructor

# Only wrappers from these modules may be named in a config: a dotted path is imported, never evaluated.
TRUSTED_WRAPPER_MODULES: tuple[str, ...] = (
    "gymnasium.wrappers",
    "stable_baselines3.common.atari_wrappers",
    "stable_baselines3.common.monitor",
    "sb3_contrib.common.wrappers",
    "envs",
)

# Set elsewhere in the config, so setting them as SB3 hyperparameters would be ambiguous.
_RESERVED_HYPERPARAMETERS: dict[str, str] = {
    "_init_setup_model": "(SB3 itself)",
    "env": "env.id",
    "policy": "algo.policy",
    "seed": "seed",
    "device": "device",
    "verbose": "(the job controls logging)",
    "tensorboard_log": "(the job writes TensorBoard events into its output data directory)",
    "n_envs": "env.n_envs",
    "n_timesteps": "total_timesteps",
    "normalize": "env.normalize",
}


class StrictModel(BaseModel):
    """Base model: unknown keys are errors (a typo must never be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NormalizeConfig(StrictModel):
    """Running mean/std normalization of observations and rewards (SB3's ``VecNormalize``)."""

    norm_obs: bool = True
    norm_reward: bool = True
    clip_obs: Float = Field(10.0, gt=0)
    clip_reward: Float = Field(10.0, gt=0)


# The branch is chosen by the value's shape, so an error names the field as written (see contract.unions).
Normalization = Annotated[
    Annotated[bool, Tag(BOOLEAN)] | Annotated[NormalizeConfig, Tag(MAPPING)],
    by_shape("true/false or a mapping of VecNormalize settings (norm_obs, norm_reward, clip_obs, clip_reward)"),
]
ClassSpec = Annotated[
    Annotated[str, Tag(STRING)]
    | Annotated[dict[str, dict[str, Any] | None], BeforeValidator(one_class_path), Tag(MAPPING)],
    by_shape("a dotted class path, or a mapping of one class path to its keyword arguments"),
]
"""A wrapper or callback, RL-Zoo style: ``module.Class`` or ``module.Class: {keyword: value}``."""


class EnvConfig(StrictModel):
    """The environment: a Gymnasium id or an env class, its kwargs, how many copies and which wrappers."""

    id: str | None = Field(
        None, description="Gymnasium id: CartPole-v1, envs/BinPacking-v0, or module:EnvId (the module registers it)"
    )
    entry_point: str | None = Field(
        None, description="an env class that need not be registered, package.module:ClassName (kwargs go to it)"
    )
    kwargs: dict[str, Any] = Field(
        default_factory=dict, description="keyword arguments for gymnasium.make or the class"
    )
    n_envs: Int = Field(1, ge=1, le=4096, description="parallel environments used for training")
    vectorized: bool = Field(False, description="train on the env's NumPy vector twin instead of N copies")
    vec_env: Literal["dummy", "subproc"] = Field("dummy", description="SB3 VecEnv class for N copies")
    normalize: Normalization = Field(False, description="VecNormalize; true for the defaults")
    frame_stack: Int | None = Field(None, ge=1, description="stack this many observations (VecFrameStack)")
    wrappers: list[ClassSpec] = Field(
        default_factory=list,
        description="Gymnasium wrappers, RL-Zoo style: '- gymnasium.wrappers.TimeLimit: {max_episode_steps: 200}'",
    )

    @field_validator("id")
    @classmethod
    def _known_env(cls, env_id: str | None) -> str | None:
        if env_id is not None:
            try:
                check_env_id(env_id)
            except EnvProblem as problem:
                raise ValueError(problem.message) from None
        return env_id

    @field_validator("entry_point")
    @classmethod
    def _env_class(cls, entry_point: str | None) -> str | None:
        if entry_point is not None:
            try:
                load_entry_point(entry_point)
            except EnvProblem as problem:
                raise ValueError(problem.message) from None
        return entry_point

    @model_validator(mode="after")
    def _buildable(self) -> EnvConfig:
        if (self.id is None) == (self.entry_point is None):
            raise field_error(
                "env.id",
                "give exactly one of env.id (a Gymnasium id) and env.entry_point (an env class)",
                {"id": self.id, "entry_point": self.entry_point},
            )
        if self.vectorized and (self.entry_point or ":" in (self.id or "")):
            raise field_error("env.vectorized", "the NumPy vector twin exists only for registered sagelab envs", True)
        self.facts()  # builds the env once: a user's env is checked here, not in the middle of a job
        return self

    @property
    def name(self) -> str:
        """How records and reports name the env: its id, or its entry point."""
        return self.id or self.entry_point or ""

    def facts(self) -> EnvFacts:
        """The env's spaces after the wrappers (built once per process), or a field error."""
        try:
            from rl.wrapper_paths import anchored, validation_scratch

            # the env built to validate writes its wrappers' files (Monitor's) into a scratch directory, never the cwd
            specs = [(w, anchored(w, k, root=validation_scratch())) for w, k in self.wrapper_specs()]
            return inspect_env(self.id, self.entry_point, dict(self.kwargs), specs)
        except EnvProblem as problem:
            value = {"env.entry_point": self.entry_point, "env.kwargs": self.kwargs, "env.wrappers": self.wrappers}.get(
                problem.field, self.id
            )
            if problem.field.startswith("env.kwargs."):
                value = self.kwargs.get(problem.field.removeprefix("env.kwargs."))
            raise field_error(problem.field, problem.message, value) from None

    @field_validator("wrappers")
    @classmethod
    def _trusted_wrappers(cls, wrappers: list) -> list:
        from rl.wrapper_paths import check_wrapper_paths

        for spec, (wrapper, kwargs) in zip(wrappers, class_specs(wrappers, resolve_wrapper), strict=True):
            check_wrapper_paths(next(iter(spec)) if isinstance(spec, dict) else spec, wrapper, kwargs)
        return wrappers

    @property
    def normalization(self) -> NormalizeConfig | None:
        """The normalization settings, or None when normalization is off."""
        if self.normalize is True:
            return NormalizeConfig()
        return self.normalize or None

    def wrapper_specs(self) -> list[tuple[type, dict[str, Any]]]:
        """The wrappers as (class, kwargs) pairs, in the order they wrap the env."""
        return class_specs(self.wrappers, resolve_wrapper)


def algorithm_signature(name: str) -> Signature:
    """The algorithm's constructor (names, annotations, defaults), read from its source without importing it."""
    spec = algorithm_spec(name)
    return constructor(spec.source, spec.class_name)


def hyperparameter_names(name: str) -> frozenset[str]:
    """The keyword arguments the algorithm's constructor accepts (read without importing SB3, see rl.signatures)."""
    return frozenset(algorithm_signature(name).parameters)


def algorithm_class(name: str) -> type:
    """The SB3 (or sb3-contrib) class for an algorithm name (imports SB3, and so torch)."""
    spec = algorithm_spec(name)
    return getattr(importlib.import_module(spec.package), spec.class_name)


def field_errors(problems: list[Problem]) -> PydanticCustomError:
    """One validation error reporting each (field, message, value) problem (see experiments.config)."""
    if len(problems) == 1:
        return field_error(*problems[0])
    text = "; ".join(f"{field}: {message} (got {value!r})" for field, message, value in problems)
    return PydanticCustomError("sagelab_fields", "{text}", {"text": text, "problems": problems})


def field_error(field: str, message: str, value: Any) -> PydanticCustomError:
    """A validation error about ``field`` (a dotted path) raised where pydantic cannot know it (a model validator)."""
    return PydanticCustomError(
        "sagelab_field", "{field}: {message}", {"field": field, "message": message, "value": value}
    )


class AlgoConfig(StrictModel):
    """The algorithm and its SB3 hyperparameters (the keyword arguments of its constructor)."""

    name: str = Field(description=f"one of {', '.join(ALGORITHMS)}")
    policy: str | None = Field(
        None,
        description="SB3 policy name; default: MlpLstmPolicy for recurrent_ppo, MultiInputPolicy (or "
        "MultiInputLstmPolicy) "
        "for Dict observations, MlpPolicy otherwise",
    )
    hyperparameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known_algorithm(cls, name: str) -> str:
        algorithm_spec(name)
        return name

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, policy: str | None, info: ValidationInfo) -> str | None:
        name = info.data.get("name")
        if policy is None or name is None:
            return policy
        spec = algorithm_spec(name)
        if policy not in spec.policies:
            owners = [n for n, s in ALGORITHM_SPECS.items() if policy in s.policies]
            hint = f" ({policy} is a policy of {', '.join(owners)})" if owners else ""
            raise ValueError(
                f"{spec.class_name} has no policy {policy!r}; expected one of {', '.join(spec.policies)}{hint}"
            )
        return policy

    @field_validator("hyperparameters")
    @classmethod
    def _typed_hyperparameters(cls, hyperparameters: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        name = info.data.get("name")
        if name is None:  # the name was wrong: that is the error to report
            return hyperparameters
        spec = algorithm_spec(name)
        checked, problems = check_parameters(
            hyperparameters,
            algorithm_signature(name),
            where="algo.hyperparameters",
            owner=spec.class_name,
            reserved=_RESERVED_HYPERPARAMETERS,
            noun="hyperparameter",
        )
        # the default policy's kwargs: a Dict-observation env's multi-input policy takes the same ones
        problems += check_nested(checked, spec, info.data.get("policy") or spec.policies[0])
        if problems:
            raise field_errors(problems)
        return checked


class EvaluationConfig(StrictModel):
    """Periodic evaluation during training and the final evaluation of the job's evaluation record."""

    episodes: Int = Field(20, ge=1, description="episodes per evaluation")
    frequency: Int = Field(10_000, ge=0, description="timesteps between evaluations during training; 0 = final only")
    deterministic: bool = True
    seed: Int | None = Field(None, ge=0, description="evaluation env seed; default: training seed + 1,000,000")
    keep_best: bool = Field(
        False,
        description="keep the model of the best evaluation during training (RL Zoo's best_model) and ship it in "
        "model/; "
        "evaluation.json then reports both the final policy and the best checkpoint",
    )

    stop_at_reward: Float | None = Field(
        None,
        description="stop training after an evaluation during training whose mean reward reaches this (SB3's "
        "StopTrainingOnRewardThreshold); 'env': the env id's registered reward_threshold (475 for CartPole-v1); "
        "the job then ends as usual, and evaluation.json records the stop",
    )

    @model_validator(mode="after")
    def _best_needs_evaluations(self) -> EvaluationConfig:
        if self.keep_best and not self.frequency:
            raise ValueError("keep_best needs evaluations during training to choose the best model: set frequency > 0")
        if self.stop_at_reward is not None and not self.frequency:
            raise field_error(
                "evaluation.stop_at_reward",
                "needs evaluations during training to reach the threshold: set evaluation.frequency > 0",
                self.stop_at_reward,
            )
        return self


class CheckpointConfig(StrictModel):
    """Periodic checkpoints (a SIGTERM always writes one, whatever the frequency)."""

    frequency: Int = Field(0, ge=0, description="timesteps between checkpoints; 0 = only on SIGTERM")
    keep: Int = Field(2, ge=1, description="how many of the newest checkpoints to keep")


class RLConfig(StrictModel):
    """Everything an RL job needs: the env, the algorithm, the budget, evaluation and checkpoints."""

    name: str = Field(
        "rl-job",
        pattern=r"^[A-Za-z0-9](-*[A-Za-z0-9])*$",
        max_length=40,
        description="config name: letters, digits and hyphens (it names jobs, as SageMaker requires)",
    )
    env: EnvConfig
    algo: AlgoConfig
    total_timesteps: Int = Field(ge=1)
    seed: Int = Field(0, ge=0)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    checkpoint: CheckpointConfig = Field(default_factory=CheckpointConfig)
    callbacks: list[ClassSpec] = Field(
        default_factory=list,
        description=(
            "extra SB3 callbacks, '- my_package.callbacks.LogGrads: {every: 100}' (trusted or code.source_dir modules)"
        ),
    )
    baselines: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "baseline heuristics, name -> module:callable; called with env.kwargs, returns a policy with predict"
        ),
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    torch_threads: Int | None = Field(
        1, ge=1, description="torch CPU threads; 1 is fastest for small MLPs and lets seeds run in parallel"
    )

    @field_validator("callbacks")
    @classmethod
    def _trusted_callbacks(cls, callbacks: list) -> list:
        class_specs(callbacks, resolve_callback)
        return callbacks

    @field_validator("baselines")
    @classmethod
    def _importable_baselines(cls, baselines: dict[str, str]) -> dict[str, str]:
        for name, path in baselines.items():
            if not name.replace("-", "_").isidentifier():
                raise ValueError(f"baseline name {name!r}: letters, digits, '_' and '-'")
            resolve_baseline(path)
        return baselines

    @model_validator(mode="before")
    @classmethod
    def _registered_reward_threshold(cls, raw: Any) -> Any:
        """``evaluation.stop_at_reward: env`` becomes the number the env id registers, once, here: the config then
        holds the number (as the job's hyperparameters and evaluation.json show it)."""
        evaluation = raw.get("evaluation") if isinstance(raw, dict) else None
        if not isinstance(evaluation, dict) or evaluation.get("stop_at_reward") != "env":
            return raw
        env = raw.get("env")
        env_id = env.get("id") if isinstance(env, dict) else getattr(env, "id", None)
        if not isinstance(env_id, str):
            message = "'env' means the reward_threshold Gymnasium registers for env.id; give a number"
            raise field_error("evaluation.stop_at_reward", message, "env")
        try:
            threshold = registered_reward_threshold(env_id)
        except EnvProblem:  # env.id's own error says what is wrong; the threshold follows once it is fixed
            return {**raw, "evaluation": {**evaluation, "stop_at_reward": None}}
        if threshold is None:
            message = f"'env' means the env's registered reward_threshold, but {env_id} registers none; give a number"
            raise field_error("evaluation.stop_at_reward", message, "env")
        return {**raw, "evaluation": {**evaluation, "stop_at_reward": threshold}}

    def callback_specs(self) -> list[tuple[type, dict[str, Any]]]:
        """The extra callbacks as (class, kwargs) pairs."""
        return class_specs(self.callbacks, resolve_callback)

    @model_validator(mode="after")
    def _algorithm_fits_env(self) -> RLConfig:
        facts = self.env.facts()
        problems = space_problems(
            self.algo.name,
            self.algo.policy,
            observation_space=facts.observation_kind,
            action_space=facts.action_kind,
            has_action_masks=facts.has_action_masks,
        )
        if problems:
            field, message = problems[0]
            raise field_error(field, message, self.algo.policy if field == "algo.policy" else self.algo.name)
        conflicts = consistency_problems(
            self.algo.hyperparameters,
            algorithm_signature(self.algo.name),
            n_envs=self.env.n_envs,
            action_space=facts.action_kind,
            dict_observations=facts.observation_kind == "Dict",
        )
        if conflicts:
            raise field_errors(conflicts)
        return self

    @property
    def eval_seed(self) -> int:
        """The seed of the evaluation env (distinct from the training envs' seeds)."""
        return self.evaluation.seed if self.evaluation.seed is not None else self.seed + 1_000_000
