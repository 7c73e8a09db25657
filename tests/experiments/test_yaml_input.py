"""YAML from users is read within bounds: bombs are refused quickly, in little memory, naming the file."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

import experiments.cli
import experiments.commands.validate
import experiments.config
import experiments.progress  # noqa: F401 - imported before a bound is measured: a cold import is not the loader's cost
from experiments.yaml_input import MAX_BYTES, MAX_DEPTH, MAX_VALUES, YAMLInputError, load_yaml
from tests.experiments.conftest import tiny_rl_config


def alias_bomb() -> str:
    """Nine levels of nine aliases each: 539 bytes that expand to 9**10 (3.5 billion) strings."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines)


def config_text(kwargs_yaml: str) -> str:
    """The tiny job with ``kwargs_yaml`` (indented YAML) as its env.kwargs."""
    text = yaml.safe_dump(tiny_rl_config(), sort_keys=False)
    return text.replace("  n_envs: 2\n", "  n_envs: 2\n  kwargs:\n" + kwargs_yaml, 1)


def bounded(run, *args):
    """``run(*args)`` and the CPU seconds and peak Python memory (bytes) it took."""
    tracemalloc.start()
    start = time.process_time()
    try:
        result = run(*args)
        return result, time.process_time() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("kwargs_yaml", "expected"),
    [
        ("\n".join("    " + line for line in alias_bomb().splitlines()) + "\n", "expands to more than"),
        ("    deep: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),
        ("".join("    " + "  " * i + "a:\n" for i in range(2 * MAX_DEPTH)), f"nested deeper than {MAX_DEPTH}"),
        ("    loop: &loop [*loop]\n", "refers to itself"),
    ],
    ids=["alias-bomb", "flow-nesting", "block-nesting", "recursive-alias"],
)
def test_a_yaml_bomb_in_a_config_is_refused_in_under_a_second_and_100_mb(
    cli, tmp_path: Path, kwargs_yaml: str, expected: str
) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(config_text(kwargs_yaml))
    done, seconds, peak = bounded(cli, "validate", path)
    assert done.returncode == 2 and expected in done.stderr and str(path) in done.stderr.replace("\n", "")
    assert seconds < 1.0 and peak < 100_000_000
    assert not list(tmp_path.glob("runs*"))


def test_a_bomb_in_a_set_value_is_refused(cli) -> None:
    bomb = (
        "{" + ", ".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i else "x"] * 9) + "]" for i in range(10)) + "}"
    )
    done, seconds, peak = bounded(cli, "validate", "cartpole_ppo", "--set", f"env.kwargs={bomb}")
    assert done.returncode == 2 and "expands to more than" in done.stderr
    assert seconds < 1.0 and peak < 100_000_000


def test_a_config_that_is_not_utf8_or_too_large_is_named(cli, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(config_text("    label: 'caf\xe9'\n").encode("latin-1"))
    done = cli("validate", latin1)
    assert done.returncode == 2 and "not UTF-8" in done.stderr and "latin1.yaml" in done.stderr
    large = tmp_path / "large.yaml"
    large.write_text(config_text("    padding: '" + "x" * MAX_BYTES + "'\n"))
    done = cli("validate", large)
    assert done.returncode == 2 and "larger than" in done.stderr and "large.yaml" in done.stderr


def test_anchors_and_merge_keys_within_the_bound_load_as_plain_yaml() -> None:
    text = "defaults: &defaults {gamma: 0.9, n_steps: 64}\nppo:\n  <<: *defaults\n  n_steps: 32\n"
    assert load_yaml(text, "t.yaml") == yaml.safe_load(text)
    many = "values: [" + ", ".join(["1"] * (MAX_VALUES - 10)) + "]"
    assert len(load_yaml(many, "t.yaml")["values"]) == MAX_VALUES - 10
    with pytest.raises(YAMLInputError, match=r"t\.yaml: expands"):
        load_yaml("values: [" + ", ".join(["1"] * MAX_VALUES) + "]", "t.yaml")
