"""``sagelab report``: statistics and figures over the jobs in a directory (local, swept or fetched from SageMaker).

Runs are grouped by experiment (config without the seed); each group gets IQM, median and mean of its
runs' final returns with 95% stratified-bootstrap intervals (rliable), each env its probabilities of
improvement and, with a random policy and a baseline measured, normalized scores; several normalized envs
give the cross-env comparison. Writes summary.json and the figures into the directory.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.errors import UserError

if TYPE_CHECKING:  # imported where used, so that `sagelab --help` does not pay for rich
    from rich.table import Table


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="statistics and plots over the jobs in a directory", description=__doc__
    )
    parser.add_argument("directory", type=Path, help="directory holding job directories (any depth)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resampling (default: 0)")
    parser.add_argument("--reps", type=int, default=2000, help="bootstrap replicates per interval (default: 2000)")
    parser.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=("png", "pdf", "svg"),
        help="figure format; repeat for several (default: png)",
    )
    parser.add_argument("--dpi", type=int, default=150, help="resolution of PNG figures (default: 150)")
    parser.add_argument("--json", action="store_true", help="print summary.json instead of the tables")
    parser.set_defaults(func=report_command)


def report_command(args: argparse.Namespace) -> int:
    from experiments.progress import console, stdout
    from rl.report import write_report

    if args.reps < 1 or args.dpi < 1:
        raise UserError(f"--reps and --dpi must be >= 1, got --reps {args.reps} --dpi {args.dpi}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the summary's warnings are printed below
            result = write_report(
                args.directory, seed=args.seed, reps=args.reps, formats=tuple(args.formats or ["png"]), dpi=args.dpi
            )
    except FileNotFoundError as error:
        raise UserError(str(error)) from None
    if args.json:
        stdout.print_json(json.dumps(result.summary))
        return 0
    for env in result.summary["envs"]:
        stdout.print(env_table(env, [g for g in result.summary["groups"] if g["env"] == env["env"]]))
    if result.summary["cross_env"]:
        stdout.print(cross_env_table(result.summary["cross_env"]))
    if result.summary["unfinished"]:
        stdout.print(unfinished_table(result.summary["unfinished"]))
    for message in result.summary["warnings"]:
        console.print(f"[yellow]warning[/yellow] {message}", markup=True, highlight=False)
    stdout.print(
        "wrote " + ", ".join(str(p) for p in [result.summary_path, *result.figures]), soft_wrap=True, highlight=False
    )
    return 0


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return "0" if abs(value) < 1e-9 else f"{value:.3g}"


def _interval(interval: dict[str, float] | None) -> str:
    if not interval:
        return ""
    return f"{_number(interval['estimate'])} [{_number(interval['low'])}, {_number(interval['high'])}]"


def env_table(env: dict[str, Any], groups: list[dict[str, Any]]) -> Table:
    """One env: a row per group with its evaluation episodes, intervals, normalized IQM and P(improvement)."""
    from rich.table import Table

    table = Table(title=f"{env['env']}: final return per run, aggregated over runs (95% CI)", title_justify="left")
    for column in ("group", "runs", "episodes", "IQM", "median", "mean", "normalized IQM", "timesteps"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for g in groups:
        normalized = _interval((g["normalized"] or {}).get("iqm"))
        budget = f"{max(g['timesteps']):,}" if max(g["timesteps"]) else ""
        # a slow baseline may be evaluated on fewer episodes than the agents: the count is part of the result
        episodes = sorted(set(g["episodes"]))
        episode_count = str(episodes[0]) if len(episodes) == 1 else f"{episodes[0]}-{episodes[-1]}"
        table.add_row(
            g["label"],
            str(g["n_runs"]),
            episode_count,
            _interval(g["iqm"]),
            _interval(g["median"]),
            _interval(g["mean"]),
            normalized,
            budget,
        )
    improvements = [f"P({i['x']} > {i['y']}) = {_interval(i)}" for i in env["probability_of_improvement"]]
    references = (
        f"normalized: 0 = random ({_number(env['random_score'])}), 1 = {env['best_baseline']} "
        f"({_number(env['best_score'])})"
        if env["best_baseline"]
        else env["note"]
    )
    table.caption = "\n".join([*improvements, references or ""])
    table.caption_justify = "left"
    return table


def cross_env_table(cross: dict[str, Any]) -> Table:
    """The normalized comparison over envs: a row per method."""
    from rich.table import Table

    table = Table(
        title=(
            f"normalized score over {len(cross['envs'])} envs, {cross['runs_per_env']} runs each (95% CI; 0 random, "
            "1 best baseline)"
        ),
        title_justify="left",
    )
    for column in ("method", "IQM", "median", "mean", "optimality gap"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for method, aggregates in cross["aggregates"].items():
        table.add_row(method, *(_interval(aggregates[name]) for name in ("iqm", "median", "mean", "optimality_gap")))
    table.caption = "\n".join([f"envs: {', '.join(cross['envs'])}", *cross["notes"]])
    table.caption_justify = "left"
    return table


def unfinished_table(unfinished: list[dict[str, Any]]) -> Table:
    """The jobs not in any group: failed (with the reason), interrupted (with the last timestep), unreadable."""
    from rich.table import Table

    table = Table(title="not included: jobs without a final evaluation", title_justify="left")
    for column in ("job", "config", "seed", "status", "reason"):
        table.add_column(column)
    for u in unfinished:
        table.add_row(
            str(u["path"]),
            u["config_name"] or "",
            "" if u["seed"] is None else str(u["seed"]),
            u["status"],
            u["reason"],
        )
    return table
