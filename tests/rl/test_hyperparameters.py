"""Hyperparameters and policy kwargs are typed and ranged from SB3's constructors, without importing SB3."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from rl.algorithm_specs import ALGORITHM_SPECS, ALGORITHMS
from rl.config import _RESERVED_HYPERPARAMETERS, algorithm_signature
from rl.hyperparameters import KNOWN_KINDS, RESERVED_POLICY_KWARGS, check_value, kinds_of
from rl.signatures import NO_DEFAULT, Signature, policy_constructor
from tests.experiments.conftest import REPO


def settable(signature: Signature, reserved: dict[str, str]) -> list[tuple[str, frozenset[str], object]]:
    return [
        (name, kinds_of(p.annotation), p.default) for name, p in signature.parameters.items() if name not in reserved
    ]


def every_signature() -> list[tuple[str, Signature, dict[str, str]]]:
    found = [(name, algorithm_signature(name), _RESERVED_HYPERPARAMETERS) for name in ALGORITHMS]
    for name, spec in ALGORITHM_SPECS.items():
        for alias in spec.policies:
            signature = policy_constructor(spec.source, spec.class_name, alias)
            found.append((f"{name}:{alias}", signature, RESERVED_POLICY_KWARGS))
    return found


@pytest.mark.parametrize(("owner", "signature", "reserved"), every_signature(), ids=lambda v: str(v)[:30])
def test_every_settable_annotation_is_understood_and_every_default_passes_its_own_check(
    owner: str, signature: Signature, reserved: dict[str, str]
) -> None:
    for name, kinds, default in settable(signature, reserved):
        assert kinds <= KNOWN_KINDS, f"{owner}.{name}: an annotation the validator does not know: {kinds}"
        if default is not NO_DEFAULT:
            assert check_value(name, default, kinds) == default, f"{owner}.{name} = {default!r}"


@pytest.mark.parametrize(
    ("name", "value", "annotation_of", "expected"),
    [
        ("gamma", 1.0000001, "ppo", "in [0, 1]"),
        ("tau", 0.0, "sac", "in (0, 1]"),
        ("learning_rate", "lin_0.001_-1", "ppo", "its end >= 0"),
        ("learning_rate", "lin_inf", "ppo", "finite"),
        ("learning_rate", float("nan"), "ppo", "finite"),
        ("n_epochs", 2.5, "ppo", "an integer >= 1"),
        ("n_epochs", "10", "ppo", "an integer >= 1"),
        ("normalize_advantage", 1, "ppo", "true or false"),
        ("train_freq", [0, "step"], "dqn", "[<n>, step]"),
        ("target_update_interval", 0, "sac", ">= 1"),
        ("ent_coef", "auto_-1", "sac", "auto_<initial value>"),
        ("rollout_buffer_class", "RolloutBuffer", "ppo", "a class, which a config cannot name"),
        ("policy_kwargs", [1], "ppo", "a mapping"),
    ],
)
def test_a_wrong_value_says_what_its_parameter_takes(name: str, value: object, annotation_of: str, expected: str):
    kinds = kinds_of(algorithm_signature(annotation_of).parameters[name].annotation)
    with pytest.raises(ValueError, match=re.escape(expected)):
        check_value(name, value, kinds)


def test_integral_numbers_become_integers_and_pairs_stay_data() -> None:
    signature = algorithm_signature("dqn")
    assert check_value("buffer_size", 1e6, kinds_of(signature.parameters["buffer_size"].annotation)) == 1_000_000
    assert check_value("train_freq", (1, "episode"), kinds_of(signature.parameters["train_freq"].annotation)) == [
        1,
        "episode",
    ]


PROBE = """
import json, sys
from rl.algorithm_specs import ALGORITHM_SPECS
from rl.config import AlgoConfig, hyperparameter_names
from rl.hyperparameters import RESERVED_POLICY_KWARGS
from rl.signatures import NO_DEFAULT, policy_constructor
for name, spec in ALGORITHM_SPECS.items():
    for policy in spec.policies:
        parameters = policy_constructor(spec.source, spec.class_name, policy).parameters.items()
        kwargs = {k: p.default for k, p in parameters if p.default is not NO_DEFAULT}
        kwargs = {k: v for k, v in kwargs.items() if k not in RESERVED_POLICY_KWARGS}
        hyperparameters = {"learning_rate": "lin_0.001", "policy_kwargs": kwargs}
        buffers = ("replay_buffer_kwargs", "rollout_buffer_kwargs")
        hyperparameters |= {k: {} for k in buffers if k in hyperparameter_names(name)}
        AlgoConfig.model_validate({"name": name, "policy": policy, "hyperparameters": hyperparameters})
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_validating_every_algorithm_and_policy_imports_neither_torch_nor_sb3() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, check=True)
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    assert "pydantic" in modules and not modules & {"torch", "stable_baselines3", "sb3_contrib"}
