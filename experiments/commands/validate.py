"""``sagelab validate``: check a job config (and overrides) without running anything."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("validate", help="check a config and show it resolved", description=__doc__)
    parser.add_argument("config", help="YAML path or shipped config name (e.g. cartpole_ppo)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field, as for sagelab run",
    )
    parser.add_argument("--seed", type=int, help="override the config's seed")
    parser.add_argument(
        "--hyperparameters",
        action="store_true",
        help="print hyperparameters.json as the job (and SageMaker) receives it",
    )
    parser.set_defaults(func=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    import yaml

    from contract import encode_hyperparameters
    from experiments.config import hyperparameter_view, load_job_config, to_mapping
    from experiments.progress import stdout

    job = load_job_config(args.config, args.overrides, seed=args.seed)
    view = hyperparameter_view(job)
    if args.hyperparameters:
        stdout.print_json(json.dumps(encode_hyperparameters(view)))
    else:
        stdout.print(yaml.safe_dump(to_mapping(job), sort_keys=False).rstrip(), markup=False)
    stdout.print(f"[green]valid[/green] {job.kind} job {job.name!r}")
    return 0
