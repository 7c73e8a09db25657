"""``sagelab configs``: the configs shipped with sagelab (run any of them by name, e.g.
``sagelab run cartpole_ppo``)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("configs", help="list the shipped configs", description=__doc__)
    parser.add_argument("--paths", action="store_true", help="print each config's file path (to copy and edit it)")
    parser.set_defaults(func=configs_command)


def _summary(raw: dict) -> tuple[str, str, str]:
    if raw.get("kind") == "features":
        target = raw.get("target")
        return "features", str(target.get("column", "")) if isinstance(target, dict) else "", ""
    env, algo = raw.get("env"), raw.get("algo")
    env = env if isinstance(env, dict) else {}
    algo = algo if isinstance(algo, dict) else {}
    return "rl", str(env.get("id") or env.get("entry_point") or ""), str(algo.get("name", ""))


def _description(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def configs_command(args: argparse.Namespace) -> int:
    from rich.table import Table

    from experiments.config import CONFIG_DIR, read_yaml
    from experiments.progress import stdout

    table = Table(title=f"shipped configs ({CONFIG_DIR})")
    for column in ("name", "kind", "env / target", "algo", "description"):
        table.add_column(column, no_wrap=column != "description")
    for path in sorted(CONFIG_DIR.glob("*.yaml")):
        kind, env, algo = _summary(read_yaml(path))
        if args.paths:
            stdout.print(str(path), soft_wrap=True, highlight=False)
        table.add_row(path.stem, kind, env, algo, _description(path.read_text(encoding="utf-8")))
    if not args.paths:
        stdout.print(table)
    return 0
