"""The ``sagelab`` command line. Each command lives in its own module under experiments.commands."""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from experiments.errors import UserError

COMMANDS: tuple[str, ...] = (
    "run",
    "evaluate",
    "report",
    "validate",
    "jobs",
    "fetch",
    "sweep",
    "init",
    "configs",
    "import_zoo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sagelab",
        description="Reinforcement learning and feature-engineering jobs that run the same locally and on SageMaker.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"experiments.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; user errors print one clear line and exit 2."""
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as error:
        print(f"sagelab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a read-only or full disk, a vanished directory: say which path, not a traceback
        where = f" ({error.filename})" if error.filename else ""
        print(f"sagelab {args.command}: error: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"sagelab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
