"""What the sagelab CLI costs before it does anything: ``--help`` and ``validate`` of an RL config.

Each command runs ``--runs`` times in a fresh interpreter (the whole process, as ``/usr/bin/time``
measures it), interleaved with a bare ``python -c pass`` as the baseline of the same run; the medians
of wall time and of CPU time (user + system, which a machine loaded by others inflates far less than
wall time) are printed with the load average. One extra run per
command with ``-X importtime`` lists the heavy libraries it imported: ``--help`` and ``validate`` of an
RL config must import none of torch, Stable-Baselines3, featuretools or scikit-learn.
Goals: ``--help`` < 0.5 s, ``validate`` < 1.5 s (issue 16).

    .venv/bin/python benchmarks/startup.py                  # cartpole_ppo, 5 runs each
    .venv/bin/python benchmarks/startup.py --config bin_packing_ppo --runs 9
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = (
    "torch",
    "stable_baselines3",
    "sb3_contrib",
    "featuretools",
    "sklearn",
    "lightgbm",
    "matplotlib",
    "scipy.stats",
)
GOALS = {"--help": 0.5, "validate": 1.5}


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of ``command`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, check=False, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"command failed ({done.returncode}): {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(arguments: list[str]) -> list[str]:
    """The heavy top-level libraries a command imports, from ``python -X importtime``."""
    command = [sys.executable, "-X", "importtime", *arguments]
    done = subprocess.run(command, check=False, cwd=REPO, capture_output=True, text=True)
    imported = {match.group(1) for match in re.finditer(r"\|\s*(\S+)\s*$", done.stderr, flags=re.MULTILINE)}
    return [name for name in HEAVY if name in imported]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="cartpole_ppo", help="shipped RL config name for validate")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    commands = {
        "python -c pass": ["-c", "pass"],
        "--help": ["-m", "experiments.cli", "--help"],
        "validate": ["-m", "experiments.cli", "validate", args.config],
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.runs):  # interleaved, so drift in load hits every command alike
        for name, arguments in commands.items():
            times[name].append(timed([sys.executable, *arguments]))
    print(f"median of {args.runs} runs (whole process; CPU = user + system); validate uses {args.config}")
    print(f"load average: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    for name, arguments in commands.items():
        wall = statistics.median(t[0] for t in times[name])
        cpu = statistics.median(t[1] for t in times[name])
        goal = GOALS.get(name)
        verdict = ""
        if goal:
            met = {kind: "met" if value < goal else "NOT met" for kind, value in (("wall", wall), ("CPU", cpu))}
            verdict = f"  goal < {goal} s: wall {met['wall']}, CPU {met['CPU']}"
        heavy = "" if name not in GOALS else f"  heavy imports: {', '.join(heavy_imports(arguments)) or 'none'}"
        print(f"  {name:16s} wall {wall:6.2f} s  CPU {cpu:6.2f} s{verdict}{heavy}")


if __name__ == "__main__":
    main()
