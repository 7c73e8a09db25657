"""``sagelab jobs``: recent SageMaker training jobs and their status."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("jobs", help="list recent SageMaker training jobs", description=__doc__)
    parser.add_argument("--region", help="AWS region (default: the credential chain's)")
    parser.add_argument("--limit", type=int, default=20, help="how many jobs (default: 20)")
    parser.add_argument("--name-contains", help="only jobs whose name contains this")
    parser.set_defaults(func=jobs_command)


def jobs_command(args: argparse.Namespace) -> int:
    from rich.table import Table

    from experiments.aws.artifacts import list_jobs
    from experiments.progress import stdout

    jobs = list_jobs(region=args.region, limit=args.limit, name_contains=args.name_contains)
    table = Table(title="SageMaker training jobs")
    for column in ("job", "status", "created", "ended"):
        table.add_column(column, no_wrap=column == "job")
    colours = {"Completed": "green", "Failed": "red", "Stopped": "yellow", "InProgress": "cyan"}
    for job in jobs:
        table.add_row(
            job.name,
            f"[{colours.get(job.status, 'white')}]{job.status}",
            f"{job.created:%Y-%m-%d %H:%M:%S}",
            f"{job.ended:%Y-%m-%d %H:%M:%S}" if job.ended else "",
        )
    stdout.print(table)
    return 0
