"""The job config: one YAML file describes one job, loaded and validated here before anything heavy starts.

A job is an envelope composed with a domain config. The envelope says what kind of job it is and where
it runs: ``kind`` (``rl``, the default, or ``features``), ``inputs`` (channel -> local path, ``s3://``
URI or ``builtin:<dataset>``), ``sagemaker`` and ``search_space``. Every other top-level field belongs
to the domain config, ``rl.config.RLConfig`` or ``features.config.FeaturesConfig``, which knows nothing
of envelopes. The YAML stays flat (as RL Zoo's files are); :func:`validate` splits it, validates both
parts once, and every mistake is reported as ``field.path: message (got value)`` in a
:class:`ConfigError`, which the CLI prints without a traceback and exits 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from contract import encode_hyperparameters
from contract.unions import known_fields, user_path
from experiments.aws.config import SageMakerConfig
from experiments.code import CodeConfig, activate_code_section, resolve_code_section
from experiments.errors import UserError
from experiments.sweeps.space import SearchSpace
from experiments.yaml_input import YAMLInputError, load_yaml, read_yaml_file
from features.config import FeaturesConfig
from rl.config import RLConfig

CONFIG_DIR = Path(__file__).parent / "configs"
KIND_KEY = "kind"
# The domain config's fields that name and seed a job; a sweep may not tune them.
_IDENTITY_KEYS = ("name",)


class ConfigError(UserError, ValueError):
    """A config that cannot run, with one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source} is not a valid job config:\n" + "\n".join(f"  - {p}" for p in problems))


class Envelope(BaseModel):
    """Where a job runs and how it is launched: the sections that are not hyperparameters of the job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inputs: dict[str, str] = Field(
        default_factory=dict, description="channel -> local path, s3:// URI or builtin:<name>"
    )
    code: CodeConfig | None = None
    sagemaker: SageMakerConfig | None = None
    search_space: SearchSpace | None = None

    @field_validator("search_space")
    @classmethod
    def _tunes_the_domain_config(cls, space: SearchSpace | None) -> SearchSpace | None:
        for key in space.parameters if space else ():
            if key.split(".")[0] in ENVELOPE_KEYS | set(_IDENTITY_KEYS):
                raise ValueError(
                    f"{key!r} is not a tunable config key (expected e.g. algo.hyperparameters.learning_rate)"
                )
        return space


# The top-level keys of a config file that are the envelope's; all others are the domain config's.
LAUNCH_KEYS: frozenset[str] = frozenset(Envelope.model_fields)
ENVELOPE_KEYS: frozenset[str] = LAUNCH_KEYS | {KIND_KEY}


class RLJob(Envelope):
    """An RL job: the envelope and an ``RLConfig``."""

    kind: Literal["rl"] = "rl"
    config: RLConfig

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def seed(self) -> int:
        return self.config.seed


class FeaturesJob(Envelope):
    """A feature-engineering job: the envelope and a ``FeaturesConfig``."""

    kind: Literal["features"]
    config: FeaturesConfig

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def seed(self) -> int:
        return self.config.seed


Job = RLJob | FeaturesJob
_TAGGED_JOB = Annotated[Job, Field(discriminator=KIND_KEY)]
_ADAPTER: TypeAdapter[Job] = TypeAdapter(_TAGGED_JOB)


def resolve_config_path(config: str | Path) -> Path:
    """A config file path; a bare name such as ``cartpole_ppo`` means a config shipped with sagelab."""
    path = Path(config)
    if path.is_file():
        return path
    shipped = CONFIG_DIR / f"{path.stem if path.suffix in ('.yaml', '.yml') else path.name}.yaml"
    if shipped.is_file() and len(path.parts) == 1:
        return shipped
    available = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.yaml")))
    raise ConfigError(str(config), [f"no such file; give a YAML path or a shipped config name ({available})"])


def read_yaml(path: Path) -> dict[str, Any]:
    """Safely load a YAML mapping, with the file and position in any error (bounded: see experiments.yaml_input)."""
    try:
        raw = read_yaml_file(path)
    except YAMLInputError as error:
        raise ConfigError(error.source, [error.problem]) from None
    if not isinstance(raw, dict):
        raise ConfigError(str(path), [f"expected a mapping of fields at the top level, got {type(raw).__name__}"])
    return raw


def apply_overrides(raw: Mapping[str, Any], overrides: Iterable[str], source: str = "--set") -> dict[str, Any]:
    """Apply ``dotted.key=value`` overrides; values are parsed as YAML (``0.0003``, ``[64, 64]``, ``true``)."""
    result = _deep_copy(raw)
    for item in overrides:
        key, sep, text = item.partition("=")
        parts = key.strip().split(".")
        if not sep or not all(parts):
            raise ConfigError(
                source, [f"{item!r}: expected dotted.key=value, e.g. algo.hyperparameters.learning_rate=0.0003"]
            )
        try:
            value = load_yaml(text, key)
        except YAMLInputError as error:
            raise ConfigError(source, [f"{item[:80]!r}: {error.problem}"]) from None
        node = result
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(source, [f"{item!r}: {'.'.join(parts[: depth + 1])} is a value, not a section"])
            node = child
        node[parts[-1]] = value
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def validate(raw: Mapping[str, Any], source: str = "config") -> Job:
    """Validate a flat config mapping into a job (envelope + domain config), or raise :class:`ConfigError`.

    This is the only place a job config is validated; what comes out is typed and is not validated again.
    """
    kind = raw.get(KIND_KEY, "rl")
    if kind not in ("rl", "features"):
        raise ConfigError(source, [f"kind: {kind!r} is not allowed; expected 'rl' or 'features'"])
    activate_code_section(dict(raw))  # the user's env, wrappers and baselines import from code.source_dir
    envelope = {key: value for key, value in raw.items() if key in LAUNCH_KEYS}
    domain = {key: value for key, value in raw.items() if key not in ENVELOPE_KEYS}
    try:
        job = _ADAPTER.validate_python({**envelope, KIND_KEY: kind, "config": domain})
    except ValidationError as error:
        raise ConfigError(source, [line for e in error.errors() for line in _describe(e)]) from None
    try:  # the job travels as hyperparameters.json (SageMaker's form): a config that cannot is refused now
        encode_hyperparameters(hyperparameter_view(job))
    except ValueError as error:
        raise ConfigError(source, [str(error)]) from None
    if job.search_space is not None:
        _check_corners(raw, job.search_space, source)
    return job


def _check_corners(raw: Mapping[str, Any], space: SearchSpace, source: str) -> None:
    """Each trial of a sweep runs the config at a point of its space: every bound and category must validate."""
    from experiments.sweeps.ranges import as_overrides, corner_points

    base = without_sweep_sections(raw)
    problems: list[str] = []
    for point in corner_points(space):
        try:
            validate(apply_overrides(base, as_overrides(point)), source)
        except ConfigError as error:
            [(key, value)] = point.items()
            problems += [f"search_space.parameters.{key}: at {value!r}, {problem}" for problem in error.problems]
    if problems:
        raise ConfigError(source, problems)


def to_mapping(job: Job, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The job as the flat mapping a config file holds (JSON values; unset optional sections left out)."""
    envelope = job.model_dump(mode="json", exclude={"config", *exclude}, exclude_none=True)
    return {KIND_KEY: job.kind, **job.config.model_dump(mode="json"), **envelope}


def load_raw_config(
    config: str | Path | Mapping[str, Any], overrides: Iterable[str] = (), *, seed: int | None = None
) -> tuple[dict[str, Any], str]:
    """The config as a mapping (inputs resolved, overrides applied, not yet validated) and its source name."""
    if isinstance(config, Mapping):
        raw, source = dict(config), "config"
    else:
        path = resolve_config_path(config)
        raw, source = read_yaml(path), str(path)
        # relative input paths are relative to the config file, not to the caller's directory
        inputs = raw.get("inputs")
        if isinstance(inputs, dict):
            raw["inputs"] = {k: _relative_to(path.parent, v) for k, v in inputs.items()}
        resolve_code_section(raw, path.parent)
    raw = apply_overrides(raw, overrides)
    if seed is not None:
        raw["seed"] = seed
    return raw, source


def load_job_config(
    config: str | Path | Mapping[str, Any], overrides: Iterable[str] = (), *, seed: int | None = None
) -> Job:
    """Load, override and validate a job config (a YAML path, a shipped config name or a mapping)."""
    raw, source = load_raw_config(config, overrides, seed=seed)
    return validate(raw, source)


def _relative_to(base: Path, location: Any) -> Any:
    if (
        not isinstance(location, str)
        or "://" in location
        or location.startswith("builtin:")
        or Path(location).is_absolute()
    ):
        return location
    return str((base / location).resolve())


def hyperparameter_view(job: Job) -> dict[str, Any]:
    """The job as the entry point receives it: its kind and its domain config, without the launch sections."""
    return {KIND_KEY: job.kind, **job.config.model_dump(mode="json")}


def bundle_view(job: Job) -> dict[str, Any]:
    """The resolved job as the SageMaker source bundle shows it: without the sections only the launcher reads."""
    return to_mapping(job, exclude={"search_space", "sagemaker", "code"})


def without_sweep_sections(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What each trial of a local sweep runs: the config without its search space and SageMaker sections."""
    return {key: value for key, value in raw.items() if key not in ("search_space", "sagemaker")}


def _describe(error: Mapping[str, Any]) -> list[str]:
    # without the union branches pydantic names (the kind, a sweep range's type, env.normalize's shape)
    loc = [str(part) for part in user_path(_TAGGED_JOB, error["loc"])]
    if loc and loc[0] == "config":  # the domain config's fields sit at the top level of the file
        loc = loc[1:]
    where = ".".join(loc) or "(top level)"
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if error["type"] == "sagelab_field":  # raised where pydantic cannot know the field (see rl.config.field_error)
        return [f"{error['ctx']['field']}: {error['ctx']['message']} (got {_show(error['ctx']['value'])})"]
    if error["type"] == "sagelab_fields":  # several such problems at once (rl.config.field_errors)
        return [f"{field}: {text} (got {_show(value)})" for field, text, value in error["ctx"]["problems"]]
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), known_fields(_TAGGED_JOB, error["loc"]), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        return [f"{where}: unknown field{hint} (got {_show(error['input'])})"]
    if error["type"] == "missing":
        return [f"{where}: required field is missing"]
    return [f"{where}: {message} (got {_show(error['input'])})"]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
