"""Unions chosen by the value's shape, and error paths without pydantic's branch names."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, Tag, ValidationError

from contract.unions import BOOLEAN, MAPPING, SHAPE_ERROR, STRING, by_shape, known_fields, user_path


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: int = 1
    extra: dict[str, int] = Field(default_factory=dict)


class Square(BaseModel):
    kind: Literal["square"]
    side: float


class Circle(BaseModel):
    kind: Literal["circle"]
    radius: float


Switch = Annotated[
    Annotated[bool, Tag(BOOLEAN)] | Annotated[Settings, Tag(MAPPING)], by_shape("true/false or a mapping of settings")
]


class Section(BaseModel):
    switch: Switch = False
    names: list[Annotated[Annotated[str, Tag(STRING)] | Annotated[dict[str, int], Tag(MAPPING)], by_shape("a name")]]
    shapes: dict[str, Annotated[Square | Circle, Field(discriminator="kind")]] = Field(default_factory=dict)
    maybe: Settings | None = None


def errors(**values: Any) -> list[tuple[list[str | int], str]]:
    with pytest.raises(ValidationError) as info:
        Section.model_validate({"names": [], **values})
    return [(user_path(Section, e["loc"]), e["type"]) for e in info.value.errors()]


def test_a_value_of_one_branch_shape_reports_only_that_branch_at_the_path_written() -> None:
    assert errors(switch={"level": "high"}) == [(["switch", "level"], "int_parsing")]
    # a key spelled like a tag is still the user's key
    assert errors(switch={"extra": {"mapping": "x"}}) == [(["switch", "extra", "mapping"], "int_parsing")]
    assert errors(names=["ok", {"a": "x"}]) == [(["names", 1, "a"], "int_parsing")]


def test_a_value_of_no_accepted_shape_is_one_error_saying_what_is_accepted() -> None:
    with pytest.raises(ValidationError) as info:
        Section.model_validate({"names": [], "switch": 3})
    [error] = info.value.errors()
    assert (user_path(Section, error["loc"]), error["type"]) == (["switch"], SHAPE_ERROR)
    assert error["msg"] == "expected true/false or a mapping of settings"
    assert errors(names=[1.5]) == [(["names", 0], SHAPE_ERROR)]


def test_a_field_discriminator_and_an_optional_field_add_no_component() -> None:
    assert errors(shapes={"a": {"kind": "circle", "radius": "r"}}) == [(["shapes", "a", "radius"], "float_parsing")]
    assert errors(maybe={"level": "x"}) == [(["maybe", "level"], "int_parsing")]


def test_the_matching_branch_validates_as_before() -> None:
    section = Section.model_validate({"switch": {"level": 3}, "names": ["a", {"b": 2}]})
    assert section.switch == Settings(level=3) and section.names == ["a", {"b": 2}]
    assert Section.model_validate({"switch": True, "names": []}).switch is True


def test_an_unknown_key_is_located_in_the_model_whose_fields_it_was_meant_for() -> None:
    def unknown(**values: Any) -> tuple[str, ...]:
        with pytest.raises(ValidationError) as info:
            Section.model_validate({"names": [], **values})
        [error] = info.value.errors()
        assert error["type"] == "extra_forbidden"
        return known_fields(Section, error["loc"])

    assert unknown(switch={"levl": 2}) == ("level", "extra")  # through a union chosen by shape
    assert unknown(maybe={"levl": 2}) == ("level", "extra")  # through X | None
    assert known_fields(Section, ["names", 0, "x"]) == ()  # a plain mapping has no fields to suggest
