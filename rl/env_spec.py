"""Find and check the env a config names, with Gymnasium alone (no SB3, no torch): the validation half of the env.

A config names its env in one of three ways:

- ``env.id: CartPole-v1`` - a registered Gymnasium id (sagelab's ``envs/...-v0`` included);
- ``env.id: my_envs:Corridor-v0`` - Gymnasium's own ``module:EnvId`` form: importing ``my_envs`` registers it;
- ``env.entry_point: my_envs.corridor:CorridorEnv`` - an env class that need not be registered;
  ``env.kwargs`` go to its constructor.

Validation builds the env once (with its wrappers) to learn its spaces, runs Gymnasium's env checker on a
user's env, and turns every failure into one :class:`EnvProblem` naming the field. Modules are imported by
name, never evaluated.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym


class EnvProblem(ValueError):
    """A config's env that cannot be built or checked; ``field`` is the config field to blame."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class EnvFacts:
    """What validation learned by building the env once (its spaces after the configured wrappers)."""

    observation_space: gym.Space
    action_space: gym.Space
    has_action_masks: bool

    @property
    def observation_kind(self) -> str:
        return type(self.observation_space).__name__

    @property
    def action_kind(self) -> str:
        return type(self.action_space).__name__


def is_user_env_id(env_id: str) -> bool:
    """Whether ``env_id`` is in Gymnasium's ``module:EnvId`` form (the module registers the id)."""
    return ":" in env_id


def _import(module: str, field: str, value: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            raise EnvProblem(
                field,
                f"cannot import module {module!r} of {value!r}: it is not on the Python path "
                "(set code.source_dir, or install it)",
            ) from None
        raise EnvProblem(field, f"importing {module!r} failed: {error}") from None
    except Exception as error:
        raise EnvProblem(field, f"importing {module!r} failed: {type(error).__name__}: {error}") from None


def check_env_id(env_id: str) -> None:
    """Raise :class:`EnvProblem` unless ``env_id`` (plain or ``module:EnvId``) is registered once its module is
    imported."""
    from gymnasium.envs.registration import registry

    import envs

    module, _, name = env_id.rpartition(":")
    if module:
        if not name:
            raise EnvProblem("env.id", f"{env_id!r} is not in the form module:EnvId")
        _import(module, "env.id", env_id)
    if name not in registry:
        close = difflib.get_close_matches(name, list(registry), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        where = (
            f" (importing {module!r} did not register it)" if module else f" (sagelab envs: {', '.join(envs.ENV_IDS)})"
        )
        raise EnvProblem("env.id", f"unknown Gymnasium env id {name!r}{hint}{where}")


def registered_reward_threshold(env_id: str) -> float | None:
    """The ``reward_threshold`` Gymnasium registers ``env_id`` with (475 for CartPole-v1), None when it has none.

    :raises EnvProblem: as :func:`check_env_id`, when ``env_id`` is not registered
    """
    from gymnasium.envs.registration import registry

    check_env_id(env_id)
    threshold = registry[env_id.rpartition(":")[2]].reward_threshold
    return None if threshold is None else float(threshold)


def load_entry_point(entry_point: str) -> type[gym.Env]:
    """The env class named by ``package.module:ClassName``, or :class:`EnvProblem` naming ``env.entry_point``."""
    module, sep, name = entry_point.partition(":")
    if not sep or not module or not name.isidentifier():
        raise EnvProblem("env.entry_point", f"{entry_point!r} is not in the form package.module:ClassName")
    found = getattr(_import(module, "env.entry_point", entry_point), name, None)
    if found is None:
        raise EnvProblem("env.entry_point", f"module {module!r} has no attribute {name!r}")
    if not (inspect.isclass(found) and issubclass(found, gym.Env)):
        raise EnvProblem("env.entry_point", f"{entry_point!r} is not a gymnasium.Env subclass")
    return found


def env_maker(env_id: str | None, entry_point: str | None) -> str | Callable[..., gym.Env]:
    """What SB3's ``make_vec_env`` takes: the id (``gymnasium.make`` imports a ``module:`` prefix) or the class."""
    if entry_point:
        return load_entry_point(entry_point)
    assert env_id is not None
    return env_id


# gymnasium.make's own keywords, taken besides the env constructor's
_MAKE_KWARGS = ("max_episode_steps", "disable_env_checker")


def check_env_kwargs(maker: str | Callable[..., gym.Env], kwargs: dict[str, Any]) -> None:
    """Raise :class:`EnvProblem` naming ``env.kwargs.<key>`` for a key the env's constructor does not take.

    Keys are names: one with a '.' could not travel as a SageMaker hyperparameter (dots separate its
    sections). The constructor's signature is read, not called; an env taking ``**kwargs`` checks its own.
    """
    for key in kwargs:
        if not isinstance(key, str) or not key.isidentifier():
            raise EnvProblem(f"env.kwargs.{key}", "a keyword argument is a Python name (letters, digits, '_'; no '.')")
    via_make = isinstance(maker, str)
    constructor: Any = maker
    if isinstance(maker, str):
        from gymnasium.envs.registration import load_env_creator, registry

        creator = registry[maker.rpartition(":")[2]].entry_point
        constructor = load_env_creator(creator) if isinstance(creator, str) else creator
    try:
        parameters = inspect.signature(constructor).parameters
    except (TypeError, ValueError):  # a builtin or C callable: building it will tell
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    accepted = [n for n, p in parameters.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    accepted += list(_MAKE_KWARGS) if via_make else []
    for key in kwargs:
        if key not in accepted:
            close = difflib.get_close_matches(key, accepted, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            takes = ", ".join(accepted) or "no keyword arguments"
            raise EnvProblem(f"env.kwargs.{key}", f"the env does not take {key!r}{hint} (it takes {takes})")


def _build(env_id: str | None, entry_point: str | None, kwargs: dict[str, Any]) -> gym.Env:
    field = "env.entry_point" if entry_point else "env.id"
    maker = env_maker(env_id, entry_point)
    if isinstance(maker, str):
        check_env_id(maker)
    check_env_kwargs(maker, kwargs)
    try:
        return gym.make(maker, **kwargs) if isinstance(maker, str) else maker(**kwargs)
    except TypeError as error:
        raise EnvProblem("env.kwargs", f"the env does not accept these kwargs: {error}") from None
    except Exception as error:
        raise EnvProblem(field, f"building the env failed: {type(error).__name__}: {error}") from None


def _run_env_checker(env: gym.Env, field: str) -> None:
    from gymnasium.utils.env_checker import check_env

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the checker's advice is a warning; what it rejects is an error
            check_env(env.unwrapped, skip_render_check=True)
    except Exception as error:
        raise EnvProblem(field, f"Gymnasium's env checker rejects the env: {type(error).__name__}: {error}") from None


def inspect_env(
    env_id: str | None,
    entry_point: str | None,
    kwargs: dict[str, Any],
    wrappers: list[tuple[type, dict[str, Any]]],
) -> EnvFacts:
    """Build the env once (a user's env is run through Gymnasium's env checker) and report its spaces.

    Remembered per process: a sweep validates its config at every corner of the space, resume and evaluate
    validate the stored config again, and none of them should build the env twice.
    """
    key = json.dumps(
        [env_id, entry_point, kwargs, [(f"{w.__module__}.{w.__qualname__}", k) for w, k in wrappers]],
        sort_keys=True,
        default=repr,
    )
    if key not in _FACTS:
        _FACTS[key] = _inspect(env_id, entry_point, kwargs, wrappers)
    return _FACTS[key]


_FACTS: dict[str, EnvFacts] = {}


def _inspect(
    env_id: str | None, entry_point: str | None, kwargs: dict[str, Any], wrappers: list[tuple[type, dict[str, Any]]]
) -> EnvFacts:
    field = "env.entry_point" if entry_point else "env.id"
    env = _build(env_id, entry_point, dict(kwargs))
    try:
        if entry_point or (env_id and is_user_env_id(env_id)):
            _run_env_checker(env, field)
        for wrapper, wrapper_kwargs in wrappers:
            try:
                env = wrapper(env, **wrapper_kwargs)
            except Exception as error:
                raise EnvProblem(
                    "env.wrappers", f"{wrapper.__name__}({wrapper_kwargs}) failed: {type(error).__name__}: {error}"
                ) from None
        try:
            env.get_wrapper_attr("action_masks")
            has_masks = True
        except AttributeError:
            has_masks = False
        return EnvFacts(env.observation_space, env.action_space, has_masks)
    finally:
        env.close()
