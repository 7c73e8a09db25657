"""Classes and callables a config names by dotted path: imported, never evaluated, from trusted places only.

Wrappers and callbacks come from the library modules below or from the user's own source directory
(``code.source_dir``, see :mod:`rl.user_code`); baselines are ``module:callable`` factories.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any

from rl.user_code import is_user_module

# Only wrappers from these modules may be named in a config: a dotted path is imported, never evaluated.
TRUSTED_WRAPPER_MODULES: tuple[str, ...] = (
    "gymnasium.wrappers",
    "stable_baselines3.common.atari_wrappers",
    "stable_baselines3.common.monitor",
    "sb3_contrib.common.wrappers",
    "envs",
)
TRUSTED_CALLBACK_MODULES: tuple[str, ...] = (
    "stable_baselines3.common.callbacks",
    "sb3_contrib.common.maskable.callbacks",
)


def resolve_wrapper(path: str) -> type:
    """Import a wrapper class named by ``module.Class`` from a trusted module or the user's source directory."""
    return _resolve_class(path, TRUSTED_WRAPPER_MODULES, "wrapper")


def resolve_callback(path: str) -> type:
    """Import an SB3 callback class named by ``module.Class`` from a trusted module or the user's source directory."""
    found = _resolve_class(path, TRUSTED_CALLBACK_MODULES, "callback")
    if not any(c.__name__ == "BaseCallback" and c.__module__.startswith("stable_baselines3") for c in found.__mro__):
        raise ValueError(f"callback {path!r} is not a stable_baselines3 BaseCallback subclass")
    return found


def _resolve_class(path: str, trusted: tuple[str, ...], kind: str) -> type:
    module_name, _, class_name = path.rpartition(".")
    library = any(module_name == m or module_name.startswith(m + ".") for m in trusted)
    if not module_name or not (library or is_user_module(module_name)):
        raise ValueError(
            f"{kind} {path!r} is not from a trusted module; expected one of {', '.join(trusted)} "
            "or a module of code.source_dir"
        )
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise ValueError(f"{kind} {path!r} does not exist") from None
    if not inspect.isclass(found):
        raise ValueError(f"{kind} {path!r} is not a class")
    return found


def one_class_path(spec: Any) -> Any:
    """``spec`` when it is a mapping of one class path to its keyword arguments (or to nothing), RL-Zoo style.

    :raises ValueError: saying what the entry should look like, for two keys (``{id: ..., kwargs: ...}``, another
        library's style) or keyword arguments that are not a mapping
    """
    if not isinstance(spec, Mapping):
        return spec  # the mapping type's own validation says what it is not
    if len(spec) != 1:
        keys = ", ".join(map(str, spec)) or "none"
        raise ValueError(f"expected one 'module.Class: {{keyword: value}}' entry, got {len(spec)} keys ({keys})")
    path, kwargs = next(iter(spec.items()))
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise ValueError(
            f"the keyword arguments of {path} must be a mapping such as {{max_episode_steps: 200}}, "
            f"not {type(kwargs).__name__}"
        )
    return spec


def class_specs(specs: list, resolve: Any) -> list[tuple[type, dict[str, Any]]]:
    """``['a.B', {'c.D': {kwargs}}]`` as (class, kwargs) pairs, RL-Zoo style (each mapping checked by
    :func:`one_class_path` when the config was validated)."""
    pairs = []
    for spec in specs:
        path, kwargs = next(iter(spec.items())) if isinstance(spec, dict) else (spec, None)
        pairs.append((resolve(path), dict(kwargs or {})))
    return pairs


def resolve_baseline(path: str) -> Any:
    """The factory named by ``module:callable`` (called with the env's kwargs, returns a policy with ``predict``)."""
    module_name, sep, name = path.partition(":")
    if not sep or not module_name or not name.isidentifier():
        raise ValueError(f"baseline {path!r} is not in the form module:callable")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        raise ValueError(
            f"baseline {path!r}: cannot import {module_name!r} (set code.source_dir, or install it)"
        ) from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise ValueError(f"baseline {path!r}: {module_name} has no callable {name!r}")
    return factory
