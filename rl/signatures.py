"""Constructor signatures of SB3 / sb3-contrib classes, read from their source with ``ast``, never imported.

Validating a config must stay light (importing SB3 pulls in torch, about a second, and the runner validates
before it starts the job process, which imports them anyway), yet a config's hyperparameters and
``policy_kwargs`` are checked against what the classes really accept: their parameter names, annotations and
defaults. This module finds a class by its module and name the way Python would (following ``from m import
X``, ``X = Y`` aliases such as ``MlpPolicy = ActorCriticPolicy``, and, for a constructor that takes
``**kwargs``, the base class it passes them on to). ``tests/rl/test_signatures.py`` checks every reading
against ``inspect.signature`` of the imported classes.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NO_DEFAULT: Any = object()
"""The default of a parameter without one (or whose default is not a literal)."""


@dataclass(frozen=True)
class Parameter:
    """One keyword parameter of a constructor.

    :param name: its name
    :param annotation: its annotation as an ``ast`` expression (None when it has none)
    :param default: its default value when it is a literal, else :data:`NO_DEFAULT`
    """

    name: str
    annotation: ast.expr | None
    default: Any


@dataclass(frozen=True)
class Signature:
    """A constructor's parameters (``self`` left out), by name, and the class that declares it."""

    owner: str
    parameters: dict[str, Parameter]

    def default(self, name: str) -> Any:
        """The default of parameter ``name``, or :data:`NO_DEFAULT`."""
        parameter = self.parameters.get(name)
        return parameter.default if parameter is not None else NO_DEFAULT


def module_source(module: str) -> Path:
    """The source file of ``module``, found without importing it or its packages."""
    package, *submodules = module.split(".")
    # find_spec of a submodule would import its parent packages (all of SB3); of a top-level name it does not
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ValueError(f"{module} needs {package}, which is not installed")
    base = Path(spec.origin).parent.joinpath(*submodules)
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


@functools.cache
def _tree(module: str) -> ast.Module:
    return ast.parse(module_source(module).read_text(encoding="utf-8"))


def find_class(module: str, name: str, *, _depth: int = 0) -> tuple[str, ast.ClassDef]:
    """The module that defines the class ``module.name`` and its definition, following imports and aliases."""
    if _depth > 10:
        raise ValueError(f"cannot resolve {module}.{name}: too many imports and aliases")
    for node in _tree(module).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return module, node
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ):
            return find_class(module, node.value.id, _depth=_depth + 1)
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    source = node.module
                    if node.level:  # relative: from .policies import X
                        source = ".".join([*module.split(".")[: -node.level], node.module])
                    return find_class(source, alias.name, _depth=_depth + 1)
    raise ValueError(f"cannot find class {name} in {module}")


def _parameters(function: ast.FunctionDef) -> dict[str, Parameter]:
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
    pairs = list(zip(positional, defaults, strict=True)) + list(
        zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    )
    result = {}
    for argument, default in pairs:
        if argument.arg != "self":
            result[argument.arg] = Parameter(argument.arg, argument.annotation, _literal(default))
    return result


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return NO_DEFAULT
    try:
        return ast.literal_eval(node)
    except ValueError:
        return NO_DEFAULT  # e.g. nn.Tanh: not data a config could hold anyway


@functools.cache
def constructor(module: str, name: str) -> Signature:
    """The keyword parameters of ``module.name.__init__``; a ``**kwargs`` one adds its base class's."""
    where, node = find_class(module, name)
    init = next((i for i in node.body if isinstance(i, ast.FunctionDef) and i.name == "__init__"), None)
    parameters = _parameters(init) if init is not None else {}
    if init is None or init.args.kwarg is not None:
        for base in node.bases:  # what **kwargs (or a missing __init__) passes on
            if isinstance(base, ast.Name) and _is_ours(where, base.id):
                inherited = constructor(where, base.id).parameters
                parameters = {**inherited, **parameters}
                break
    return Signature(f"{where}.{node.name}", parameters)


def _is_ours(module: str, name: str) -> bool:
    """Whether ``name`` in ``module`` is a class of the SB3 packages (not torch's ``nn.Module``)."""
    try:
        where, _ = find_class(module, name)
    except ValueError:
        return False
    return where.split(".")[0] in ("stable_baselines3", "sb3_contrib")


def policy_aliases(module: str, name: str) -> tuple[str, dict[str, str]]:
    """The ``policy_aliases`` of the algorithm class ``module.name`` (its own or inherited, as DDPG's from TD3):
    the module that declares them and alias -> the class's name in that module."""
    where, node = find_class(module, name)
    for item in node.body:
        if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
            continue
        if item.target.id == "policy_aliases" and isinstance(item.value, ast.Dict):
            return where, {
                ast.literal_eval(key): value.id
                for key, value in zip(item.value.keys, item.value.values, strict=True)
                if key is not None and isinstance(value, ast.Name)
            }
    for base in node.bases:
        if isinstance(base, ast.Name) and _is_ours(where, base.id):
            return policy_aliases(where, base.id)
    raise ValueError(f"{where}.{name} declares no policy_aliases")


def policy_constructor(module: str, name: str, alias: str) -> Signature:
    """The constructor of the policy class the algorithm ``module.name`` means by ``alias`` (e.g. MlpPolicy)."""
    where, aliases = policy_aliases(module, name)
    return constructor(where, aliases[alias])
