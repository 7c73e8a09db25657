"""``sagelab import-zoo FILE ENV_ID``: an RL Baselines3 Zoo hyperparameter entry as a validated sagelab config."""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.errors import UserError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-zoo", help="convert an RL Zoo hyperparameter entry into a config", description=__doc__
    )
    parser.add_argument("file", type=Path, help="an RL Zoo hyperparameter file, e.g. hyperparams/ppo.yml")
    parser.add_argument("env_id", metavar="ENV_ID", help="the entry to convert, e.g. CartPole-v1")
    parser.add_argument("--algo", help="the algorithm (default: from the file name, ppo.yml -> ppo)")
    parser.add_argument("--output", "-o", type=Path, help="write the config here (default: print it)")
    parser.set_defaults(func=import_zoo_command)


def import_zoo_command(args: argparse.Namespace) -> int:
    import yaml

    from experiments.config import validate
    from experiments.progress import stdout
    from experiments.zoo import import_zoo

    if not args.file.is_file():
        raise UserError(f"{args.file} does not exist")
    raw = import_zoo(args.file, args.env_id, args.algo)
    validate(raw, f"{args.file}:{args.env_id}")  # what is written must run
    header = (
        f"# {args.env_id} with {raw['algo']['name']}, converted from RL Zoo's {args.file.name} by sagelab import-zoo\n"
    )
    text = header + yaml.safe_dump(raw, sort_keys=False)
    if args.output:
        if args.output.exists():
            raise UserError(f"{args.output} exists; choose another --output")
        args.output.write_text(text, encoding="utf-8")
        stdout.print(f"wrote {args.output}; run it with: sagelab run {args.output}", soft_wrap=True, highlight=False)
    else:
        stdout.print(text.rstrip(), markup=False, highlight=False, soft_wrap=True)
    return 0
