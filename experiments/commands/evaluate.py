"""``sagelab evaluate``: re-evaluate a trained model, or a baseline heuristic on a config's env."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract import MODEL_ARCHIVE
from experiments.errors import UserError

if TYPE_CHECKING:  # imported where used, so that `sagelab --help` does not pay for them
    from contract.evaluation import EvaluationRecord


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="evaluate a trained model or a baseline", description=__doc__)
    parser.add_argument(
        "source", nargs="?", type=Path, help=f"job directory, model or checkpoint directory, or {MODEL_ARCHIVE}"
    )
    parser.add_argument("--episodes", type=int, help="episodes (default: the job's evaluation.episodes)")
    parser.add_argument("--seed", type=int, help="evaluation env seed (default: the job's evaluation seed)")
    parser.add_argument(
        "--n-envs",
        type=int,
        default=1,
        metavar="N",
        help="spread the episodes over N envs seeded SEED+i (much faster for long episodes; "
        "other episodes than N=1, the same for every policy)",
    )
    parser.add_argument("--stochastic", action="store_true", help="sample actions instead of the deterministic policy")
    parser.add_argument(
        "--baseline",
        nargs="?",
        const="",
        metavar="NAME",
        help="evaluate the baseline NAME (the config's baselines:, then sagelab's; default: the first; "
        "'random': a uniformly random policy, over the valid actions where the env masks actions) "
        "on --config's env",
    )
    parser.add_argument("--config", help="the job config whose env the baseline runs on (with --baseline)")
    parser.add_argument(
        "--source-dir",
        type=Path,
        help="import the env's code from here (default: the code.source_dir the job directory recorded)",
    )
    parser.add_argument("--output-dir", type=Path, help="also write a job-shaped evaluation here, for `sagelab report`")
    parser.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    parser.set_defaults(func=evaluate_command)


def evaluate_command(args: argparse.Namespace) -> int:
    from experiments.progress import stdout

    if args.episodes is not None and args.episodes < 1:
        raise UserError(f"--episodes must be >= 1, got {args.episodes}")
    if args.n_envs < 1:
        raise UserError(f"--n-envs must be >= 1, got {args.n_envs}")
    deterministic = False if args.stochastic else None
    if args.baseline is not None:
        if not args.config or args.source:
            raise UserError("--baseline evaluates a heuristic on a config's env: give --config CONFIG and no SOURCE")
        record = _evaluate_baseline(args.config, args.baseline, args.episodes, args.seed, args.n_envs)
    else:
        if not args.source:
            raise UserError(
                f"give a SOURCE (job directory, model or checkpoint directory, or {MODEL_ARCHIVE}), or --baseline "
                "with --config"
            )
        record = _evaluate_model(args.source, args.episodes, args.seed, deterministic, args.n_envs, args.source_dir)
    if args.output_dir:
        _write_job_shaped(args.output_dir, record)
    if args.json:
        stdout.print_json(record.model_dump_json())
    else:
        stdout.print(
            f"{record.config_name} [{record.algo}] on {record.env_id}: mean reward {record.mean_reward:.3f} "
            f"+- {record.std_reward:.3f} over {record.episodes} episodes (eval seed {record.eval_seed}"
            + (f", {record.n_envs} envs)" if record.n_envs > 1 else ")"),
            markup=False,  # "[algo]" is text, not a rich style tag
            highlight=False,
        )
    return 0


def _evaluate_model(
    source: Path,
    episodes: int | None,
    seed: int | None,
    deterministic: bool | None,
    n_envs: int = 1,
    source_dir: Path | None = None,
) -> EvaluationRecord:
    from experiments.code import job_root_of, load_recorded_code
    from rl.evaluation import evaluate, load_trained
    from rl.user_code import activate

    if source_dir is not None:
        activate(source_dir)
    else:
        root = job_root_of(source)
        if root is not None:
            load_recorded_code(root)  # the code the job trained with; warns when it changed since
    try:
        trained = load_trained(source)
    except (FileNotFoundError, ValueError) as error:
        raise UserError(str(error)) from None
    evaluation = evaluate(trained, episodes=episodes, seed=seed, deterministic=deterministic, n_envs=n_envs)
    config = trained.config
    timesteps = int(trained.model.num_timesteps)
    return evaluation.to_record(config, timesteps=timesteps, experiment=_as_evaluated(config, evaluation))


def _evaluate_baseline(
    config_name: str, baseline: str, episodes: int | None, seed: int | None, n_envs: int = 1
) -> EvaluationRecord:
    from experiments.config import RLJob, load_job_config
    from rl.baselines import baseline_names, baseline_policy
    from rl.evaluation import evaluate_policy_on
    from rl.random_policy import RANDOM_BASELINE, random_policy

    job = load_job_config(config_name)
    if not isinstance(job, RLJob):
        raise UserError(f"{config_name} is a {job.kind} job; baselines run on RL jobs")
    config = job.config
    eval_seed = config.eval_seed if seed is None else seed
    try:
        baseline = baseline or (baseline_names(config) or [RANDOM_BASELINE])[0]
        if baseline == RANDOM_BASELINE and RANDOM_BASELINE not in config.baselines:
            policy = random_policy(config.env, seed=eval_seed)
        else:
            policy = baseline_policy(config, baseline)
    except KeyError as error:
        raise UserError(str(error).strip("'\"")) from None
    evaluation = evaluate_policy_on(
        policy,
        config.env.model_copy(update={"normalize": False}),  # heuristics read raw observations
        episodes=episodes or config.evaluation.episodes,
        seed=eval_seed,
        deterministic=True,
        n_envs=n_envs,
    )
    # a heuristic is not trained: its runs differ by the evaluation seed
    return evaluation.to_record(
        config, timesteps=0, algo=f"baseline:{baseline}", seed=eval_seed, experiment=_as_evaluated(config, evaluation)
    )


def _as_evaluated(config: Any, evaluation: Any) -> dict:
    """The config with the evaluation protocol this evaluation used (episodes, determinism, seed): its experiment."""
    protocol = {
        "episodes": evaluation.episodes,
        "deterministic": evaluation.deterministic,
        "seed": evaluation.eval_seed,
    }
    return config.model_copy(update={"evaluation": config.evaluation.model_copy(update=protocol)}).model_dump(
        mode="json"
    )


def _write_job_shaped(output_dir: Path, record: EvaluationRecord) -> Path:
    from contract import ContainerPaths
    from contract.evaluation import write_evaluation
    from experiments.progress import stdout

    algo = (record.algo or "").replace(":", "-").replace("_", "-")
    paths = ContainerPaths(output_dir / f"{record.config_name}-{algo}-s{record.seed}")
    written = write_evaluation(paths.output_data_dir, record)
    stdout.print(f"wrote {written}")
    return written
