"""``sagelab sweep``: search a config's ``search_space:`` locally with Optuna, or as a SageMaker tuning job."""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.errors import UserError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep", help="hyperparameter search over the config's search_space", description=__doc__
    )
    parser.add_argument("config", help="YAML path or shipped config name with a search_space: section")
    parser.add_argument("--output-dir", type=Path, default=Path("runs"), help="local: where the sweep directory goes")
    parser.add_argument("--name", help="sweep name (default: <config name>-sweep); rerunning a name continues it")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field (search_space.* too, e.g. search_space.trials=20)",
    )
    parser.add_argument("--backend", choices=("local", "sagemaker"), default="local")
    parser.add_argument("--quiet", action="store_true", help="local: no progress bar")
    parser.add_argument(
        "--no-validate-role",
        action="store_true",
        help="sagemaker: skip the SDK's IAM role check (sets SAGEMAKER_VALIDATE_ROLE=false)",
    )
    parser.set_defaults(func=sweep_command)


def sweep_command(args: argparse.Namespace) -> int:
    from rich.table import Table

    from experiments.config import load_job_config, load_raw_config, without_sweep_sections
    from experiments.progress import stdout

    job = load_job_config(args.config, args.overrides)  # validates everything, search_space included
    if job.search_space is None:
        raise UserError(f"{args.config}: sweeping needs a 'search_space:' section (parameters, objective, trials)")
    if args.backend == "sagemaker":
        import os

        from experiments.sweeps.tuner import launch_tuning_job

        if args.no_validate_role:
            os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
        name, url = launch_tuning_job(job, job.search_space)
        stdout.print(f"created tuning job {name}\n  {url}", soft_wrap=True, highlight=False)
        return 0

    from contract.layout import STUDY_FILE, SWEEP_FILE
    from experiments.local import forward_signals
    from experiments.sweeps.local import run_local_sweep

    raw, _ = load_raw_config(args.config, args.overrides)
    name = args.name or f"{job.name}-sweep"
    forward_signals()  # SIGINT/SIGTERM stop the running trials with a checkpoint and start no other
    result = run_local_sweep(
        without_sweep_sections(raw), job.search_space, args.output_dir, name=name, show_progress=not args.quiet
    )
    if result is None:
        stdout.print(
            f"sweep {name} stopped: its running trials saved a checkpoint; run the same command again to continue it",
            soft_wrap=True,
            highlight=False,
        )
        return 0
    table = Table(
        title=(
            f"sweep {result.directory.name}: {job.search_space.objective.metric} "
            f"({job.search_space.objective.direction})"
        )
    )
    table.add_column("trial", justify="right")
    table.add_column("state")
    table.add_column("value", justify="right")
    table.add_column("parameters")
    for trial in result.trials:
        value = "" if trial["value"] is None else f"{trial['value']:.4g}"
        table.add_row(
            str(trial["number"]), trial["state"], value, ", ".join(f"{k}={v}" for k, v in trial["params"].items())
        )
    stdout.print(table)
    stdout.print(f"best: {result.best_value:.4g} with {result.best_params}", highlight=False)
    written = [result.directory / SWEEP_FILE, *result.plots]
    stdout.print(f"wrote {', '.join(str(p) for p in written)}", soft_wrap=True, highlight=False)
    for reason in result.plots_not_drawn:
        stdout.print(f"not drawn: {reason}", soft_wrap=True, highlight=False)
    stdout.print(
        f"`sagelab report {result.directory}` compares the trials (one group each); "
        f"`optuna-dashboard sqlite:///{result.directory / STUDY_FILE}` browses the study",
        soft_wrap=True,
        highlight=False,
    )
    return 0
