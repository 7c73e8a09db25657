"""``sagelab init DIR``: write a starter project: your own env, a baseline, a config, a test of the env."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from experiments.errors import UserError

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "project"
PACKAGE_PLACEHOLDER = "my_env"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("init", help="write a starter project with your own env", description=__doc__)
    parser.add_argument("directory", type=Path, help="where the project goes (created; must be empty if it exists)")
    parser.add_argument("--package", help="the env package's name (default: from the directory name)")
    parser.set_defaults(func=init_command)


def package_name(directory: Path, given: str | None) -> str:
    """A valid Python package name: ``given``, or the directory's name with '-' and spaces as '_'."""
    name = given or re.sub(r"\W", "_", directory.resolve().name).strip("_").lower()
    if not name.isidentifier() or name in {"rl", "envs", "features", "experiments", "gymnasium", "test", "tests"}:
        raise UserError(f"--package {name!r} is not a usable Python package name; give one with --package")
    return name


def write_project(directory: Path, package: str) -> list[Path]:
    """Copy the template into ``directory`` with the package renamed; returns the files written."""
    if directory.exists() and any(directory.iterdir()):
        raise UserError(f"{directory} is not empty; sagelab init writes a new project")
    written = []
    for source in sorted(TEMPLATE_DIR.rglob("*")):
        if not source.is_file() or "__pycache__" in source.parts:
            continue
        relative = Path(
            *(package if part == PACKAGE_PLACEHOLDER else part for part in source.relative_to(TEMPLATE_DIR).parts)
        )
        target = directory / relative.with_name(relative.name.removesuffix(".template"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text(encoding="utf-8").replace(PACKAGE_PLACEHOLDER, package), encoding="utf-8")
        written.append(target)
    return written


def init_command(args: argparse.Namespace) -> int:
    from experiments.progress import stdout

    package = package_name(args.directory, args.package)
    written = write_project(args.directory, package)
    stdout.print(f"wrote {len(written)} files to {args.directory}:", highlight=False)
    for path in written:
        stdout.print(f"  {path.relative_to(args.directory)}", highlight=False, markup=False)
    stdout.print(
        f"next: cd {args.directory} && python -m pytest tests && sagelab validate sagelab.yaml && sagelab run "
        "sagelab.yaml",
        soft_wrap=True,
        highlight=False,
    )
    return 0
