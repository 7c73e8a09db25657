"""Checking an env's keyword parameters: one set of validators and look-ups shared by every env module.

Each env module defines a frozen ``<Name>Params`` dataclass (names and defaults of its source) and
``make_params(**kwargs)``, which validates with these helpers; envs, twins and baselines all build their
parameters through it, baselines via :func:`params_from`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from numbers import Integral
from typing import Any, TypeVar

import numpy as np

P = TypeVar("P")


def reject_unknown(problem: str, kwargs: dict[str, Any], params: type) -> None:
    """A TypeError naming the keyword arguments that are not fields of the ``params`` dataclass.

    TypeError, as Python raises for an unexpected keyword argument: SB3's ``make_vec_env`` retries
    without ``render_mode`` only on a TypeError.
    """
    names = {f.name for f in dataclasses.fields(params)}
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise TypeError(f"unknown {problem} parameter(s) {unknown}; expected some of {sorted(names)}")


def params_from(make_params: Callable[..., P], params: type, env_kwargs: dict[str, Any]) -> P:
    """``make_params`` of the entries of ``env_kwargs`` that are fields of ``params`` (a baseline's view of the
    kwargs its env was built with, which may hold keys for wrappers or other code)."""
    names = {f.name for f in dataclasses.fields(params)}
    return make_params(**{k: v for k, v in env_kwargs.items() if k in names})


def int_at_least(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or a ValueError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def real_at_least(name: str, value: Any, minimum: float = 0.0, *, strict: bool = False) -> float:
    """``value`` as a finite float >= ``minimum`` (> if ``strict``), or a ValueError naming the parameter."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not np.isfinite(number) or number < minimum or (strict and number == minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be a finite number {relation} {minimum}, got {value!r}")
    return number


def real_above(name: str, value: Any, minimum: float = 0.0) -> float:
    """``value`` as a finite float > ``minimum``, or a ValueError naming the parameter."""
    return real_at_least(name, value, minimum, strict=True)
