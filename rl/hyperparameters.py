"""Types and ranges of SB3 hyperparameters and ``policy_kwargs``, checked before anything trains.

What a value may be comes from the constructor's annotation, read from the source (see rl.signatures):
``float | Schedule`` takes a number or a ``lin_<start>[_<end>]`` schedule, ``int | tuple[int, str]`` an integer
or ``[n, "step"|"episode"]``, ``type[...]`` a class, which a config cannot name (but for the allow-listed
activation functions and optimizers). Where the value must lie comes from :data:`RANGES`: the bounds SB3 asserts,
or documents, or without which training crashes or turns to NaN (a ``gamma`` of 2, a ``batch_size`` of 0, a
``target_update_interval`` of 0 that SAC divides by). A boolean is never a number here, though Python's
``True`` is an ``int``: ``total_timesteps: true`` is a mistake, not 1.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rl.action_noise import check_action_noise
from rl.algorithm_specs import AlgorithmSpec
from rl.schedules import check_schedule, is_schedule
from rl.signatures import Signature, constructor, policy_constructor

ACTIVATION_FUNCTIONS: dict[str, str] = {
    "tanh": "Tanh",
    "relu": "ReLU",
    "elu": "ELU",
    "leaky_relu": "LeakyReLU",
    "gelu": "GELU",
    "silu": "SiLU",
}
OPTIMIZERS: dict[str, str] = {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "sgd": "SGD"}
# class-valued parameters a config may name, from an allow-list: never imported by a dotted path
NAMED_CLASSES: dict[str, dict[str, str]] = {"activation_fn": ACTIVATION_FUNCTIONS, "optimizer_class": OPTIMIZERS}

# policy kwargs the algorithm passes itself: setting them again is a TypeError or silently overridden
RESERVED_POLICY_KWARGS: dict[str, str] = {
    "observation_space": "the env",
    "action_space": "the env",
    "lr_schedule": "algo.hyperparameters.learning_rate",
    "use_sde": "algo.hyperparameters.use_sde",
}


# the buffers a config can have (a buffer class cannot be named) and what their constructors get from the algorithm
BUFFER_CLASSES: dict[str, str] = {"replay_buffer_kwargs": "ReplayBuffer", "rollout_buffer_kwargs": "RolloutBuffer"}
_SET_BY_ALGORITHM = ("buffer_size", "observation_space", "action_space", "device", "n_envs", "optimize_memory_usage")
RESERVED_BUFFER_KWARGS: dict[str, str] = dict.fromkeys(
    [*_SET_BY_ALGORITHM, "gae_lambda", "gamma", "n_steps"], "the algorithm (from its hyperparameters and the env)"
)


@dataclass(frozen=True)
class Bound:
    """An interval a number must lie in; ``None`` is unbounded on that side."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, x: float) -> bool:
        above = self.low is None or (x > self.low if self.low_open else x >= self.low)
        below = self.high is None or (x < self.high if self.high_open else x <= self.high)
        return above and below

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        return f"{'<' if self.high_open else '<='} {self.high:g}" if self.high is not None else ""


_POSITIVE = Bound(0, low_open=True)
_NON_NEGATIVE = Bound(0)
_AT_LEAST_ONE = Bound(1)
_FRACTION = Bound(0, 1)
RANGES: dict[str, Bound] = {
    **dict.fromkeys(["gamma", "gae_lambda", "exploration_fraction", "exploration_initial_eps"], _FRACTION),
    **dict.fromkeys(["exploration_final_eps", "batch_norm_momentum"], _FRACTION),
    "tau": Bound(0, 1, low_open=True),
    "line_search_shrinking_factor": Bound(0, 1, low_open=True, high_open=True),
    **dict.fromkeys(
        ["learning_rate", "clip_range", "clip_range_vf", "max_grad_norm", "target_kl", "rms_prop_eps", "delta_std"],
        _POSITIVE,
    ),
    **dict.fromkeys(["batch_norm_eps"], _POSITIVE),
    **dict.fromkeys(
        ["batch_size", "n_steps", "buffer_size", "n_epochs", "target_update_interval", "policy_delay", "n_delta"],
        _AT_LEAST_ONE,
    ),
    **dict.fromkeys(
        ["n_top", "n_eval_episodes", "cg_max_steps", "line_search_max_iter", "n_critic_updates", "train_freq"],
        _AT_LEAST_ONE,
    ),
    **dict.fromkeys(
        ["sub_sampling_factor", "stats_window_size", "n_critics", "n_quantiles", "lstm_hidden_size", "n_lstm_layers"],
        _AT_LEAST_ONE,
    ),
    **dict.fromkeys(
        ["learning_starts", "ent_coef", "vf_coef", "cg_damping", "target_policy_noise", "target_noise_clip"],
        _NON_NEGATIVE,
    ),
    **dict.fromkeys(["top_quantiles_to_drop_per_net", "renorm_warmup_steps", "clip_mean"], _NON_NEGATIVE),
    # -1: as many gradient steps as env steps (SB3); sde_sample_freq -1: only at the start of a rollout
    **dict.fromkeys(["gradient_steps", "sde_sample_freq"], Bound(-1)),
}

# string values SB3 reads in a parameter that is otherwise a number: (pattern, what to write)
_STRINGS: dict[str, tuple[str, str]] = {
    "ent_coef": (r"auto(_(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)?", "'auto' or 'auto_<initial value>' (e.g. auto_0.1)"),
    "target_entropy": (r"auto", "'auto'"),
}
_NAMES = {"int": "int", "float": "float", "bool": "bool", "str": "str", "Any": "any", "Schedule": "schedule"}
_NAMES |= {"Callable": "schedule", "ActionNoise": "action_noise"}
_GENERICS = {"type": "class", "Type": "class", "dict": "dict", "Dict": "dict", "list": "list", "List": "list"}
_GENERICS |= {"tuple": "pair", "Tuple": "pair"}
KNOWN_KINDS = frozenset(_NAMES.values()) | frozenset(_GENERICS.values()) | {"none"}


def kinds_of(annotation: ast.expr | None) -> frozenset[str]:
    """What an annotation lets a config give: ``int``, ``float``, ``schedule``, ``class``, ``none``, ... (an
    annotation this module does not know gives ``unknown <source>``, which no value passes)."""
    if annotation is None:
        return frozenset({"any"})
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return kinds_of(annotation.left) | kinds_of(annotation.right)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return frozenset({"none"})
    if isinstance(annotation, ast.Name) and annotation.id in _NAMES:
        return frozenset({_NAMES[annotation.id]})
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        base = annotation.value.id
        if base in _GENERICS:
            return frozenset({_GENERICS[base]})
        elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        if base in ("Optional", "Union"):
            return frozenset({"none"} if base == "Optional" else ()).union(*(kinds_of(e) for e in elements))
    return frozenset({f"unknown {ast.unparse(annotation)}"})


Problem = tuple[str, str, Any]
"""(field path, what was expected, the value seen)."""


def check_parameters(
    values: Mapping[str, Any],
    signature: Signature,
    *,
    where: str,
    owner: str,
    reserved: Mapping[str, str],
    noun: str = "parameter",
) -> tuple[dict[str, Any], list[Problem]]:
    """``values`` checked against ``signature``: the values as they will be passed (integral floats of integer
    parameters made ints) and the problems, each naming ``where.<key>``."""
    checked: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in values.items():
        field = f"{where}.{key}"
        if key in reserved:
            problems.append((field, f"is set by {reserved[key]}, not {where}", value))
        elif key not in signature.parameters:
            close = difflib.get_close_matches(key, sorted(set(signature.parameters) - set(reserved)), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            problems.append((field, f"{owner} has no {noun} {key!r}{hint}", value))
        else:
            try:
                checked[key] = check_value(key, value, kinds_of(signature.parameters[key].annotation))
            except ValueError as error:
                problems.append((field, str(error), value))
    return checked, problems


def check_nested(checked: dict[str, Any], spec: AlgorithmSpec, policy: str) -> list[Problem]:
    """Check the mappings among the checked hyperparameters against the constructors they go to: ``policy_kwargs``
    against ``policy``'s, the buffer kwargs against SB3's default buffers'; checked values replace them."""
    targets = {"policy_kwargs": (policy_constructor(spec.source, spec.class_name, policy), RESERVED_POLICY_KWARGS)}
    targets |= {
        key: (constructor("stable_baselines3.common.buffers", buffer), RESERVED_BUFFER_KWARGS)
        for key, buffer in BUFFER_CLASSES.items()
    }
    owners = {"policy_kwargs": f"{spec.class_name}'s {policy}", **{k: f"SB3's {b}" for k, b in BUFFER_CLASSES.items()}}
    problems: list[Problem] = []
    for key, (signature, reserved) in targets.items():
        if isinstance(checked.get(key), dict):
            where = f"algo.hyperparameters.{key}"
            checked[key], more = check_parameters(
                checked[key], signature, where=where, owner=owners[key], reserved=reserved
            )
            problems += more
    return problems


def check_value(name: str, value: Any, kinds: frozenset[str]) -> Any:
    """``value`` of parameter ``name`` as it will be passed, or a ValueError saying what was expected."""
    bound = RANGES.get(name, Bound())
    if name in NAMED_CLASSES and "class" in kinds:
        if value in NAMED_CLASSES[name]:
            return value
        raise ValueError(f"expected one of {', '.join(NAMED_CLASSES[name])}")
    if name == "net_arch" and value is not None:
        return _check_net_arch(value, dict_allowed="dict" in kinds)
    if "any" in kinds:
        return value
    if value is None and "none" in kinds:
        return value
    if "action_noise" in kinds:
        check_action_noise(value)
        return value
    if isinstance(value, bool):
        if "bool" in kinds:
            return value
    elif isinstance(value, int | float):
        number = _number(value, kinds, bound)
        if number is not None:
            return number
    elif isinstance(value, str):
        if "schedule" in kinds and is_schedule(value):
            return _check_schedule(value, bound)
        if "str" in kinds and (name not in _STRINGS or re.fullmatch(_STRINGS[name][0], value)):
            return value
    elif isinstance(value, Mapping) and "dict" in kinds:
        if all(isinstance(k, str) for k in value):
            return value
    elif isinstance(value, list | tuple) and "pair" in kinds:
        if len(value) == 2 and value[1] in ("step", "episode") and _in_range(value[0], bound):
            return [int(value[0]), value[1]]
    elif isinstance(value, list) and "list" in kinds:
        return value
    raise ValueError(f"expected {expectation(name, kinds)}")


def _number(value: Any, kinds: frozenset[str] | set[str], bound: Bound) -> int | float | None:
    """``value`` as the number a parameter of these kinds takes, or None when it is not one (out of range: an
    error)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if "float" not in kinds and not ("int" in kinds and float(value).is_integer()):
        return None
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    if value not in bound:
        raise ValueError(f"expected {'a number' if 'float' in kinds else 'an integer'} {bound.describe()}")
    return int(value) if "float" not in kinds else value


def _in_range(value: Any, bound: Bound) -> bool:
    try:
        return _number(value, {"int"}, bound) is not None
    except ValueError:
        return False


def _check_schedule(value: str, bound: Bound) -> str:
    start, end = check_schedule(value)
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ValueError("a schedule's values must be finite numbers")
    end_bound = Bound(bound.low, bound.high, False, bound.high_open)  # a schedule may decay to the bound itself
    if start not in bound or end not in end_bound:
        raise ValueError(f"a schedule's start must be {bound.describe()} and its end {end_bound.describe()}")
    return value


def _check_net_arch(value: Any, *, dict_allowed: bool) -> Any:
    def layers(sizes: Any) -> bool:
        return isinstance(sizes, list) and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)

    if layers(value):
        return value
    if (
        dict_allowed
        and isinstance(value, Mapping)
        and set(value) <= {"pi", "vf", "qf"}
        and all(map(layers, value.values()))
    ):
        return value
    shapes = "a list of layer sizes >= 1" + (" or {pi: [...], vf: [...]} ({pi, qf} off-policy)" if dict_allowed else "")
    raise ValueError(f"expected {shapes}")


def expectation(name: str, kinds: frozenset[str]) -> str:
    """What a parameter of these kinds takes, in words (for an error message)."""
    bound = RANGES.get(name, Bound()).describe()
    words = []
    if "int" in kinds and "float" not in kinds:
        words.append(f"an integer {bound}".rstrip())
    if "float" in kinds:
        words.append(f"a number {bound}".rstrip())
    if "schedule" in kinds:
        words.append("a schedule lin_<start>[_<end>] (e.g. lin_0.001)")
    if "pair" in kinds:
        words.append("[<n>, step] or [<n>, episode]")
    if "str" in kinds:
        words.append(_STRINGS[name][1] if name in _STRINGS else "a string")
    if "bool" in kinds:
        words.append("true or false")
    if "dict" in kinds:
        words.append("a mapping with string keys")
    if "list" in kinds:
        words.append("a list")
    if "class" in kinds:
        words.append("a class, which a config cannot name (set it in your own code)")
    if "none" in kinds:
        words.append("null")
    return " or ".join(words) or f"a value of type {', '.join(sorted(kinds))}"


def consistency_problems(
    hyperparameters: Mapping[str, Any], signature: Signature, *, n_envs: int, action_space: str, dict_observations: bool
) -> list[Problem]:
    """The combinations SB3 refuses (asserts or raises) only once the model is built or trains, given the env's
    copies and spaces; unset hyperparameters take the constructor's defaults."""
    where = "algo.hyperparameters"

    def get(key: str) -> Any:
        return hyperparameters.get(key, signature.default(key))

    problems: list[Problem] = []
    normalized = "normalize_advantage" in signature.parameters and get("normalize_advantage") is True
    if (
        normalized
        and "n_epochs" in signature.parameters
        and isinstance(get("batch_size"), int)
        and get("batch_size") < 2
    ):
        # SB3's PPO asserts it (DLR-RM/stable-baselines3#440): one sample's normalized advantage is NaN
        problems.append((f"{where}.batch_size", "must be > 1 while normalize_advantage is true", get("batch_size")))
    if normalized and isinstance(get("n_steps"), int) and get("n_steps") * n_envs < 2:
        message = f"n_steps * env.n_envs must be > 1 while normalize_advantage is true (env.n_envs is {n_envs})"
        problems.append((f"{where}.n_steps", message, get("n_steps")))
    if get("use_sde") is True and action_space != "Box":
        message = f"gSDE needs a continuous (Box) action space; the env's is {action_space}"
        problems.append((f"{where}.use_sde", message, True))
    train_freq = get("train_freq")
    if isinstance(train_freq, list | tuple) and train_freq[1] == "episode" and n_envs > 1:
        message = f"training every n episodes needs a single env (SB3 asserts it); env.n_envs is {n_envs}"
        problems.append((f"{where}.train_freq", message, train_freq))
    if "buffer_size" in signature.parameters:
        if dict_observations and isinstance(get("n_steps"), int) and get("n_steps") > 1:
            problems.append(
                (f"{where}.n_steps", "n-step returns do not support Dict observations (SB3)", get("n_steps"))
            )
        if get("optimize_memory_usage") is True:
            problems += _memory_problems(get, where, dict_observations)
    return problems


def _memory_problems(get: Any, where: str, dict_observations: bool) -> list[Problem]:
    field = f"{where}.optimize_memory_usage"
    if dict_observations:
        return [(field, "the replay buffer of Dict observations does not support it (SB3)", True)]
    if isinstance(get("n_steps"), int) and get("n_steps") > 1:
        return [(field, "n-step returns (n_steps > 1) do not support it (SB3)", True)]
    buffer_kwargs = get("replay_buffer_kwargs") or {}
    if buffer_kwargs.get("handle_timeout_termination", True) is not False:
        message = "SB3 refuses it with handle_timeout_termination: set replay_buffer_kwargs.handle_timeout_termination"
        return [(field, message + ": false", True)]
    return []
