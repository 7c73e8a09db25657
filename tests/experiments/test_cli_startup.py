"""The CLI starts fast: ``--help`` and ``validate`` of an RL config import none of the heavy libraries.

Timing is left to benchmarks/startup.py (a loaded machine makes wall time meaningless in a test); what
decides it is which libraries a command imports, and that is checked here in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.experiments.conftest import REPO

# each costs a second or more to import; a command that does not train or fit must not pay for them
HEAVY = ("torch", "stable_baselines3", "sb3_contrib", "featuretools", "sklearn", "lightgbm", "matplotlib", "pandas")

PROBE = """
import contextlib, io, json, sys
from experiments.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exit:
        code = exit.code
print(json.dumps([code, sorted({name.split(".")[0] for name in sys.modules})]))
"""


# --help only builds the parser: not even the config schema (pydantic, gymnasium's registry, NumPy) is loaded
LIGHT_FOR_HELP = ("pydantic", "gymnasium", "numpy")


@pytest.mark.parametrize(
    ("arguments", "forbidden"),
    [
        (["--help"], HEAVY + LIGHT_FOR_HELP),
        (["run", "--help"], HEAVY + LIGHT_FOR_HELP),
        (["validate", "cartpole_ppo"], HEAVY),
    ],
)
def test_help_and_validating_an_rl_config_import_no_heavy_library(
    arguments: list[str], forbidden: tuple[str, ...]
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, cwd=REPO, timeout=120, check=True
    )
    code, modules = json.loads(done.stdout.splitlines()[-1])
    assert code == 0
    assert [name for name in forbidden if name in modules] == []
