"""What sagelab's job machinery costs: a job through the CLI vs a plain SB3 script, same work.

Both sides train the same config (env, hyperparameters, timesteps, evaluation and checkpoint
frequency) in a fresh process, so interpreter start and imports are counted on both. The sagelab
side is the whole user path: ``sagelab run`` -> job directory with the SageMaker contract ->
entry point subprocess -> artifacts, plot, model.tar.gz and output.tar.gz. Runs alternate
(sagelab, plain, sagelab, plain, ...) so drift in machine load hits both alike; the ratio is of
the medians. Goal: <= 1.05. CPU time (user + system of the process and its children, as
``/usr/bin/time`` counts it) is printed beside wall time: on a machine loaded by others it moves far
less than wall time does.

    .venv/bin/python benchmarks/overhead.py                     # cartpole_ppo, 100k steps, 3 rounds
    .venv/bin/python benchmarks/overhead.py --config cartpole_dqn --rounds 2
    .venv/bin/python benchmarks/overhead.py --timesteps 2048 --rounds 5      # the fixed cost per job
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GOAL = 1.05
FIXED_COST_GOAL = 1.5  # seconds a short job (--timesteps 2048) may cost beyond the plain SB3 script (issue 16)


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the process and every process it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, check=False, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"command failed ({done.returncode}): {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure_rounds(config_path: Path, timesteps: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) of the sagelab job and of the plain script, alternated round by round."""
    times: dict[str, list[tuple[float, float]]] = {"sagelab": [], "plain": []}
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(rounds):
            job_dir, plain_dir = Path(scratch) / f"sagelab-{round_number}", Path(scratch) / f"plain-{round_number}"
            sagelab = [sys.executable, "-m", "experiments.cli", "run", str(config_path), "--quiet"]
            sagelab += ["--set", f"total_timesteps={timesteps}", "--output-dir", str(job_dir)]
            times["sagelab"].append(timed(sagelab))
            plain = [sys.executable, str(HERE / "plain_sb3.py"), str(config_path), "--timesteps", str(timesteps)]
            times["plain"].append(timed([*plain, "--output-dir", str(plain_dir)]))
            (sagelab_wall, sagelab_cpu), (plain_wall, plain_cpu) = times["sagelab"][-1], times["plain"][-1]
            print(
                f"round {round_number + 1}/{rounds}: sagelab {sagelab_wall:.1f}s wall {sagelab_cpu:.1f}s CPU, "
                f"plain SB3 {plain_wall:.1f}s wall {plain_cpu:.1f}s CPU",
                flush=True,
            )
    return times


def print_summary(times: dict[str, list[tuple[float, float]]], config: str, timesteps: int) -> None:
    medians = {
        name: (statistics.median(t[0] for t in runs), statistics.median(t[1] for t in runs))
        for name, runs in times.items()
    }
    print(f"\n{config}, {timesteps:,} timesteps, {len(times['plain'])} alternated rounds")
    print(f"load average: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    print("                                  wall      CPU (user + system)")
    print(f"  sagelab CLI job (median):  {medians['sagelab'][0]:7.1f} s {medians['sagelab'][1]:7.1f} s")
    print(f"  plain SB3 script (median): {medians['plain'][0]:7.1f} s {medians['plain'][1]:7.1f} s")
    ratio = medians["sagelab"][0] / medians["plain"][0]
    print(f"  ratio sagelab / plain SB3 (wall): {ratio:.3f}  (goal <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'})")
    for index, kind in enumerate(("wall", "CPU")):
        fixed = medians["sagelab"][index] - medians["plain"][index]
        verdict = "met" if fixed < FIXED_COST_GOAL else "NOT met"
        print(
            f"  fixed cost per job, {kind} (difference of the medians): {fixed:.2f} s  "
            f"(goal < {FIXED_COST_GOAL} s: {verdict})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="cartpole_ppo", help="shipped config name")
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config_path = REPO / "experiments" / "configs" / f"{args.config}.yaml"
    print_summary(measure_rounds(config_path, args.timesteps, args.rounds), args.config, args.timesteps)


if __name__ == "__main__":
    main()
