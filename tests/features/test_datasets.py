"""The built-in datasets load offline, with the target and problem type each is meant for."""

from __future__ import annotations

import pytest

from features.datasets import TARGETS, available_datasets, load_dataset
from features.profiling import infer_problem_type

EXPECTED = {
    "diabetes": ("regression", 442),
    "breast_cancer": ("binary", 569),
    "wine": ("multiclass", 178),
    "fair": ("binary", 6366),
    "anes96": ("binary", 944),
    "star98": ("regression", 303),
    "randhie": ("regression", 20190),
}


def test_every_single_table_dataset_has_a_target() -> None:
    assert set(TARGETS) == set(EXPECTED) == set(available_datasets()) - {"churn"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_single_table_dataset(name: str) -> None:
    (frame,) = load_dataset(name).values()
    problem_type, _ = infer_problem_type(frame[TARGETS[name]])
    assert (problem_type, len(frame)) == EXPECTED[name]
    assert frame.notna().all().all() and frame.columns[-1] == TARGETS[name]


def test_derived_targets_do_not_leave_their_sources_behind() -> None:
    assert "affairs" not in load_dataset("fair")["data"].columns
    star98 = load_dataset("star98")["data"]
    assert {"NABOVE", "NBELOW"}.isdisjoint(star98.columns) and star98["share_above"].between(0, 1).all()


def test_an_unknown_dataset_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"expected one of .*randhie"):
        load_dataset("iris")
