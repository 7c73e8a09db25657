"""``sagelab report``: aggregate every job under a directory (local or fetched from SageMaker)."""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.errors import UserError
from experiments.progress import console, stdout


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="statistics and plots over the jobs in a directory", description=__doc__)
    parser.add_argument("directory", type=Path, help="directory holding job directories (any depth)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resampling (default: 0)")
    parser.set_defaults(func=report_command)


def report_command(args: argparse.Namespace) -> int:
    from rl.report import report_table, write_report

    try:
        result = write_report(args.directory, seed=args.seed)
    except FileNotFoundError as error:
        raise UserError(str(error)) from None
    stdout.print(report_table(result.groups))
    for skipped in result.skipped:
        console.print(f"[yellow]skipped[/yellow] {skipped.path}: {skipped.reason}")
    written = [result.summary_path, result.curves_plot, result.final_plot]
    stdout.print("wrote " + ", ".join(str(p) for p in written if p is not None))
    return 0
