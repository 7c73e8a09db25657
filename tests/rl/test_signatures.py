"""Constructors read from SB3's source (never imported to validate) are the constructors Python sees."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from rl.algorithm_specs import ALGORITHM_SPECS, ALGORITHMS
from rl.config import algorithm_class, algorithm_signature, hyperparameter_names
from rl.signatures import NO_DEFAULT, Signature, policy_constructor


def assert_same(read: Signature, cls: Any) -> None:
    real = inspect.signature(cls.__init__).parameters
    takes_more = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in real.values())
    named = {n for n, p in real.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)} - {"self"}
    # a **kwargs constructor passes them to its base class, whose parameters the reading adds
    assert named <= set(read.parameters) if takes_more else named == set(read.parameters), cls
    for name in named:
        default = read.default(name)
        if default is not NO_DEFAULT:
            assert default == real[name].default, (cls, name)


@pytest.mark.parametrize("name", ALGORITHMS)
def test_an_algorithm_and_its_policies_read_from_source_match_the_imported_classes(name: str) -> None:
    cls: Any = algorithm_class(name)
    assert_same(algorithm_signature(name), cls)
    assert hyperparameter_names(name) == set(inspect.signature(cls.__init__).parameters) - {"self"}
    spec = ALGORITHM_SPECS[name]
    assert set(spec.policies) <= set(cls.policy_aliases)
    for alias in spec.policies:
        assert_same(policy_constructor(spec.source, spec.class_name, alias), cls.policy_aliases[alias])
