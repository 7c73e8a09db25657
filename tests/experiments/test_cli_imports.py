"""The CLI's start-up stays light: ``--help`` and ``validate`` of an RL config import none of the heavy stacks.

`sagelab --help` is what a user types first, and `validate` runs before every job and in editors' save hooks;
paying for torch or featuretools there (seconds) is what issue 16 removed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.experiments.conftest import REPO

TRAINING_STACK = ("torch", "stable_baselines3", "sb3_contrib", "featuretools", "sklearn", "lightgbm", "matplotlib")
# --help needs argparse and the command names only: not even numpy, gymnasium, pydantic or rich.
HELP_FORBIDDEN = (*TRAINING_STACK, "numpy", "gymnasium", "pydantic", "rich", "yaml")

PROBE = """
import json, sys
from experiments.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted({name.split(".")[0] for name in sys.modules})}), file=sys.stderr)
"""


def imported_by(*args: str) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def test_help_imports_only_the_command_line() -> None:
    code, modules = imported_by("--help")
    assert code == 0
    assert modules.isdisjoint(HELP_FORBIDDEN), sorted(modules & set(HELP_FORBIDDEN))


@pytest.mark.parametrize("config", ["cartpole_ppo", "bin_packing_ppo"])
def test_validate_of_an_rl_config_imports_no_training_stack(config: str) -> None:
    code, modules = imported_by("validate", config)
    assert code == 0
    assert modules.isdisjoint(TRAINING_STACK), sorted(modules & set(TRAINING_STACK))
