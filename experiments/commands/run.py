"""``sagelab run``: run a job config locally (one job per seed) or launch it on SageMaker."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.errors import UserError

if TYPE_CHECKING:  # imported where used, so that `sagelab --help` does not pay for them
    from contract import ContainerPaths
    from experiments.config import Job
    from experiments.local import JobOutcome

DEMO_CONFIG = "cartpole_ppo"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run a job config (locally or on SageMaker)", description=__doc__)
    parser.add_argument("config", nargs="?", help="YAML path or shipped config name (e.g. cartpole_ppo)")
    parser.add_argument(
        "--output-dir", type=Path, default=Path("runs"), help="where job directories go (default: runs)"
    )
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, help="override the config's seed")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="N", help="one job per seed")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field, e.g. --set algo.hyperparameters.learning_rate=0.0003",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="JOB_DIR",
        help="continue a stopped job from its checkpoint (the same command again does so too)",
    )
    parser.add_argument("--job-name", help="name of the job directory (single job only)")
    parser.add_argument("--parallel", type=int, help="jobs at a time (default: cores / torch threads per job)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or log lines, only the result")
    parser.add_argument("--backend", choices=("local", "sagemaker"), default="local")
    parser.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="sagemaker: wait for the jobs and stream their status (default: --wait)",
    )
    parser.add_argument(
        "--no-validate-role",
        action="store_true",
        help="sagemaker: skip the SDK's IAM role check (sets SAGEMAKER_VALIDATE_ROLE=false)",
    )
    parser.add_argument("--demo", action="store_true", help=f"run the embedded default job ({DEMO_CONFIG})")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    from contract import ContainerPaths
    from experiments.config import load_job_config
    from experiments.local import JobOutcome, prepare_job

    if not args.config and not args.demo:
        raise UserError("give a CONFIG (a YAML path or shipped config name) or --demo")
    config = args.config or DEMO_CONFIG
    seeds = args.seeds or [args.seed]
    jobs = [load_job_config(config, args.overrides, seed=seed) for seed in seeds]
    if args.backend == "sagemaker":
        from experiments.aws.launcher import launch_jobs

        if args.no_validate_role:
            os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
        return launch_jobs(jobs, wait=args.wait, quiet=args.quiet)
    if args.resume and len(jobs) > 1:
        raise UserError("--resume continues one job; drop --seeds")
    if args.job_name and len(jobs) > 1:
        raise UserError("--job-name names one job; drop --seeds")

    if args.resume:
        return _resume(jobs[0], ContainerPaths(args.resume.resolve()), parallel=args.parallel or 1, quiet=args.quiet)
    # the same command again continues the jobs it stopped and leaves those it finished as they are
    targets = [
        (job, _earlier_run(job, args.output_dir, args.job_name) or prepare_job(job, args.output_dir, args.job_name))
        for job in jobs
    ]
    done = {paths.root for _, paths in targets if _finished_already(paths)}
    ran = _run_all(
        [(job, paths) for job, paths in targets if paths.root not in done],
        parallel=args.parallel or _default_parallel(jobs),
        quiet=args.quiet,
    )
    outcomes = {outcome.paths.root: outcome for outcome in ran}
    _print_outcomes([outcomes.get(paths.root) or JobOutcome(paths.root.name, paths, 0) for _, paths in targets])
    # a stopped run ends cleanly (0), its jobs checkpointed or never started; a failed job makes it 1
    return 0 if all(o.succeeded or not o.started for o in outcomes.values()) else 1


def _earlier_run(job: Job, output_dir: Path, name: str | None) -> ContainerPaths | None:
    """The job directory an earlier run of this job left (``--job-name``'s, if it exists), or None."""
    from contract import ContainerPaths
    from experiments.local import check_resumable
    from experiments.resume import earlier_run

    if name is None:
        return earlier_run(job, output_dir)
    paths = ContainerPaths((output_dir / name).resolve())
    if not paths.root.exists():
        return None
    try:
        check_resumable(job, paths)  # another job's directory (or none): refused, naming what differs
    except UserError:
        if not paths.hyperparameters_file.is_file() or not _reuse_untrained(paths):
            raise
        return None
    return paths


def _reuse_untrained(paths: ContainerPaths) -> bool:
    """Remove ``paths`` if its job never trained (a set-up failure: nothing in it to continue), so the job
    with the corrected config can take its name; False if it holds work."""
    import shutil

    from contract import read_failure
    from experiments.lock import holding
    from experiments.progress import stdout
    from experiments.resume import never_trained

    with holding(paths.root):  # refused, naming the PIDs, while another runner is still setting it up
        if not never_trained(paths):
            return False
        reason = read_failure(paths)
        shutil.rmtree(paths.root)
    said = f" (it had failed: {reason})" if reason else ""
    stdout.print(f"job {paths.root} never started training{said}; laying it out anew", soft_wrap=True)
    return True


def _finished_already(paths: ContainerPaths) -> bool:
    """Whether the job in ``paths`` finished; if so, say so (and pack its archives if a stopped runner did not)."""
    from experiments.local import pack_outputs
    from experiments.lock import holding
    from experiments.progress import stdout
    from experiments.resume import finished, packed

    with holding(paths.root):  # refused, naming the PIDs, while another runner has the job
        if not finished(paths):
            return False
        if packed(paths):
            said = "nothing to resume, nothing changed"
        else:
            pack_outputs(paths)  # the runner that finished it was stopped before it packed the archives
            said = "packed its archives, nothing else changed"
    stdout.print(f"job {paths.root} already finished; {said}", soft_wrap=True, highlight=False)
    return True


def _resume(job: Job, paths: ContainerPaths, *, parallel: int, quiet: bool) -> int:
    """Continue a stopped job; a finished one is left byte for byte as it is (its archives packed if they are not)."""
    from experiments.local import check_resumable
    from experiments.lock import holding

    if not paths.hyperparameters_file.is_file():
        check_resumable(job, paths)  # says what is missing, before a lock file is put into a stranger's directory
    with holding(paths.root):  # held from the check to the end of the run: no runner slips in between
        check_resumable(job, paths)
        if _finished_already(paths):
            return 0
        outcomes = _run_all([(job, paths)], parallel=parallel, quiet=quiet)
    _print_outcomes(outcomes)
    return 0 if all(o.succeeded for o in outcomes) else 1


def _default_parallel(jobs: list[Job]) -> int:
    threads = max((getattr(job.config, "torch_threads", None) or 1) for job in jobs)
    return max(1, min(len(jobs), (os.cpu_count() or 1) // threads))


def _run_all(prepared: list[tuple[Job, ContainerPaths]], *, parallel: int, quiet: bool) -> list[JobOutcome]:
    from concurrent.futures import ThreadPoolExecutor

    from experiments.local import execute_job, forward_signals
    from experiments.progress import JobProgress

    forward_signals()
    progress = JobProgress(quiet=quiet, echo_lines=len(prepared) == 1)
    with progress.running(), ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = [
            pool.submit(
                execute_job,
                job,
                paths,
                on_line=progress.track(paths.root.name, getattr(job.config, "total_timesteps", None)),
            )
            for job, paths in prepared
        ]
        return [future.result() for future in futures]


def _print_outcomes(outcomes: list[JobOutcome]) -> None:
    from rich.table import Table

    from experiments.progress import stdout

    table = Table(title="sagelab jobs", show_lines=False)
    table.add_column("job", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("result")
    table.add_column("seconds", justify="right")
    for outcome in outcomes:
        evaluation = outcome.evaluation
        if not outcome.started:
            status, result = "[yellow]not started", "the run was stopped first; run the same command again to start it"
        elif not outcome.succeeded:
            status, result = f"[red]failed ({outcome.exit_code})", outcome.failure or "see job.log"
        elif outcome.interrupted:
            reason = outcome.failure or "checkpoint saved"
            status, result = "[yellow]stopped", f"{reason}; or --resume {outcome.paths.root}"
        else:
            status = "[green]completed"
            result = evaluation.headline() if evaluation is not None else "no evaluation record"
        if outcome.log_error:
            result += f" (warning: {outcome.log_error})"
        table.add_row(outcome.name, status, result, f"{outcome.wall_seconds:.1f}")
    stdout.print(table)
    for outcome in outcomes:
        # one plain line per job, whole, for scripts and for copying the path
        stdout.print(f"artifacts: {outcome.paths.root}", soft_wrap=True, highlight=False)
