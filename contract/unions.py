"""Fields that take one of several shapes, and error paths as the user wrote them.

A field such as ``env.normalize`` (true/false or a mapping of settings) is a union. Left to pydantic's
smart mode, every branch reports its own errors under a location that names the branch
(``env.normalize.bool``, ``env.normalize.NormalizeConfig.clip_obs``). :func:`by_shape` makes such a
union a tagged one whose branch is chosen by the YAML value's shape (a boolean, a string, a mapping):
only the branch that fits validates the value, so only its errors are reported, and a value of no
accepted shape gets one error that says what is accepted.

Tagged unions still put the tag in an error's location (as a ``kind:`` or a sweep range's ``type:``
does). :func:`user_path` drops those components by walking the location along the annotated types, so
the path reported is the one in the file. Imported by the config modules only (it needs pydantic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Discriminator, Tag
from pydantic.fields import FieldInfo

BOOLEAN = "boolean"
STRING = "string"
MAPPING = "mapping"
SHAPE_ERROR = "sagelab_shape"


def shape_of(value: Any) -> str | None:
    """The tag of the branch a value's shape selects: BOOLEAN, STRING or MAPPING (None: no such shape)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, str):
        return STRING
    if isinstance(value, Mapping | BaseModel):  # a model: a config built in Python, or copied
        return MAPPING
    return None


def by_shape(expected: str) -> Discriminator:
    """The discriminator of a union whose branches are tagged BOOLEAN, STRING or MAPPING (``Tag``).

    :param expected: what the field accepts, for a value of no branch's shape (``true/false or a mapping
        of ...``); the error reads ``expected <expected>``
    """
    return Discriminator(shape_of, custom_error_type=SHAPE_ERROR, custom_error_message=f"expected {expected}")


def user_path(annotation: Any, loc: Sequence[str | int]) -> list[str | int]:
    """An error location without pydantic's union branch components: the path a user wrote.

    :param annotation: the type that was validated (a model class, or a union annotated with its discriminator)
    :param loc: the ``loc`` of one of pydantic's errors about it
    """
    path: list[str | int] = []
    for part in loc:
        annotation, is_branch = _step(annotation, part)
        if not is_branch:
            path.append(part)
    return path


def known_fields(annotation: Any, loc: Sequence[str | int]) -> tuple[str, ...]:
    """The fields of the model an unknown key at ``loc`` was found in (empty when that is not a model).

    :param annotation: the type that was validated, as for :func:`user_path`
    :param loc: the location of pydantic's ``extra_forbidden`` error, the unknown key last
    """
    for part in loc[:-1]:
        annotation, _ = _step(annotation, part)
    inner, _ = _unwrap(annotation)
    if _is_union(inner):  # X | None
        branches = [arm for arm in get_args(inner) if arm is not type(None)]
        inner = _unwrap(branches[0])[0] if len(branches) == 1 else None
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return tuple(inner.model_fields)
    return ()


def _step(annotation: Any, part: str | int) -> tuple[Any, bool]:
    """The type ``part`` leads to from ``annotation``, and whether ``part`` names a union branch."""
    inner, metadata = _unwrap(annotation)
    if _is_union(inner):
        branches = [arm for arm in get_args(inner) if arm is not type(None)]
        tags = _tagged(branches, metadata)
        if tags is not None:  # a tagged union: the tag comes first
            return tags.get(str(part), Any), True
        if len(branches) == 1:  # X | None: pydantic's nullable adds no component
            return _step(branches[0], part)
        # a smart union names the branch: a model by its class name, other types by their schema
        named = {arm.__name__: arm for arm in branches if isinstance(arm, type) and issubclass(arm, BaseModel)}
        return named.get(str(part), Any), True
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        field = inner.model_fields.get(str(part))
        return (Any if field is None else _annotated(field)), False
    arguments = get_args(inner)
    if get_origin(inner) in (list, tuple, set, frozenset) and arguments:
        return arguments[0], False
    if get_origin(inner) is dict and arguments:
        return arguments[1], False
    return Any, False


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while get_origin(annotation) is Annotated:
        metadata += annotation.__metadata__
        annotation = annotation.__origin__
    return annotation, metadata


def _annotated(field: FieldInfo) -> Any:
    """A model field's type with the metadata pydantic moved into its FieldInfo (a discriminator among them)."""
    return Annotated[(field.annotation, *field.metadata, field)]


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, UnionType)


def _tagged(branches: list[Any], metadata: list[Any]) -> dict[str, Any] | None:
    """Tag -> branch of a tagged union (a callable Discriminator with Tags, or a field discriminator)."""
    for item in metadata:
        discriminator = item.discriminator if isinstance(item, Discriminator | FieldInfo) else None
        if isinstance(discriminator, Discriminator):
            discriminator = discriminator.discriminator
        if callable(discriminator):
            return {tag.tag: arm for arm in branches for tag in _unwrap(arm)[1] if isinstance(tag, Tag)}
        if isinstance(discriminator, str):
            return {str(value): arm for arm in branches for value in _literal_values(arm, discriminator)}
    return None


def _literal_values(branch: Any, field_name: str) -> tuple[Any, ...]:
    model = _unwrap(branch)[0]
    field = model.model_fields.get(field_name) if isinstance(model, type) and issubclass(model, BaseModel) else None
    return get_args(field.annotation) if field is not None and get_origin(field.annotation) is Literal else ()
