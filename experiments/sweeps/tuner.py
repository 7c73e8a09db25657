"""A sweep on SageMaker: a HyperparameterTuner job built from the same search space and metric regexes.

Each tuning trial is the training job ``--backend sagemaker`` would launch (same image, bundle,
entry point, static hyperparameters); the tuner overrides the searched keys, which are the dotted
hyperparameter names of hyperparameters.json, and reads the objective from the metric log lines.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from contract import METRIC_DEFINITIONS
from experiments.aws.launcher import build_trainer, prepare_launch
from experiments.aws.session import console_url
from experiments.aws.source import build_source_bundle
from experiments.config import Job
from experiments.sweeps.ranges import tuner_ranges
from experiments.sweeps.space import SearchSpace

# SageMaker's limit on tuning job names
MAX_TUNING_JOB_NAME = 32


def launch_tuning_job(job: Job, space: SearchSpace) -> tuple[str, str]:
    """Create the tuning job; returns its name and console URL."""
    from sagemaker.train.tuner import HyperparameterTuner

    launch = prepare_launch(job, "-tuning")
    with tempfile.TemporaryDirectory(prefix="sagelab-source-") as scratch:
        trainer = build_trainer(job, build_source_bundle(job, Path(scratch)), session=launch.session)
        tuner = HyperparameterTuner(
            model_trainer=trainer,
            objective_metric_name=space.objective.metric,
            objective_type=space.objective.direction.capitalize(),
            hyperparameter_ranges=tuner_ranges(space),
            metric_definitions=METRIC_DEFINITIONS,
            max_jobs=space.trials,
            max_parallel_jobs=space.parallel,
            early_stopping_type="Auto" if space.pruning else "Off",
            base_tuning_job_name=job.name[: MAX_TUNING_JOB_NAME - 15].rstrip("-"),
            random_seed=job.seed,
        )
        tuner.tune(inputs=launch.inputs or None, wait=False)
    name = tuner.latest_tuning_job.hyper_parameter_tuning_job_name
    return name, console_url(launch.region, name, kind="hyper-tuning-jobs")
