"""The job layout's names are spelled in contract.layout only: every other module imports them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import contract.layout as layout

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("envs", "rl", "features", "experiments")
# file names, and the directory names no other string of the code happens to share ("model", "data",
# "output", "best" are also a pipeline step, a table, a folder word and a legend position)
DISTINCT_DIRS = {layout.CHECKPOINT_DIR, layout.TENSORBOARD_DIR, layout.FEATURES_MODEL_DIR}
NAMES = {
    value
    for name, value in vars(layout).items()
    if name.isupper() and isinstance(value, str) and ("." in value or value in DISTINCT_DIRS)
} - {"requirements.txt"}  # pip's conventional name, also the default of a user's code.requirements


def _path_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String literals and the literal parts of f-strings, split at '/' (a path written as one string)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for part in node.value.split("/"):
                found.append((node.lineno, part.strip()))
    return found


def test_no_two_artifacts_share_a_name() -> None:
    # two names with one value would overwrite each other's file in a directory they share
    names = [value for name, value in vars(layout).items() if name.isupper() and isinstance(value, str)]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_outside_contract_spells_an_artifact_name(package: str) -> None:
    spelled = []
    for path in sorted((REPO / package).rglob("*.py")):
        for line, text in _path_strings(ast.parse(path.read_text(), filename=str(path))):
            if text in NAMES:
                spelled.append(f"{path.relative_to(REPO)}:{line}: {text!r}")
    assert not spelled, "import these names from contract.layout:\n" + "\n".join(spelled)
