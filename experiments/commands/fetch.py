"""``sagelab fetch``: download a SageMaker job's model and output archives into the local job layout."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fetch", help="download a SageMaker job's artifacts", description=__doc__)
    parser.add_argument("job_name", nargs="+", help="training job name(s)")
    parser.add_argument(
        "--to", type=Path, default=Path("runs"), help="directory for the job directories (default: runs)"
    )
    parser.add_argument("--region", help="AWS region (default: the credential chain's)")
    parser.set_defaults(func=fetch_command)


def fetch_command(args: argparse.Namespace) -> int:
    from experiments.aws.artifacts import fetch_job
    from experiments.progress import stdout

    for name in args.job_name:
        paths = fetch_job(name, args.to, region=args.region)
        stdout.print(f"fetched {name} -> {paths.root}", soft_wrap=True, highlight=False)
    return 0
