"""The notebook API: train and evaluate in-process, with the same job code the CLI runs.

It takes typed configs: a YAML job file is loaded by the one job loader,
``experiments.config.load_job_config(path).config``, which reports mistakes with their field paths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from contract import ContainerPaths
from rl.config import RLConfig
from rl.job import TrainResult, run


def load_config(config: RLConfig | Mapping[str, Any], **overrides: Any) -> RLConfig:
    """An ``RLConfig`` from a config object or a mapping of its fields, with top-level fields replaced."""
    if isinstance(config, RLConfig):
        resolved = config
    elif isinstance(config, Mapping):
        resolved = RLConfig.model_validate(dict(config))
    else:
        raise TypeError(
            f"expected an RLConfig or a mapping, got {type(config).__name__}; load a YAML job file with "
            "experiments.config.load_job_config(path).config"
        )
    return RLConfig.model_validate({**resolved.model_dump(), **overrides}) if overrides else resolved


def train(
    config: RLConfig | Mapping[str, Any],
    output_dir: str | Path | None = None,
    *,
    progress_bar: bool = True,
    log: Callable[[str], None] | None = None,
    **overrides: Any,
) -> TrainResult:
    """Train in this process and return the model, its evaluation and where the artifacts are.

    ``output_dir`` receives the same model, output data and checkpoint directories a job writes
    (default ``runs/<name>-seed<seed>``); if it already holds a checkpoint, training resumes from it.
    Keyword overrides replace top-level fields, e.g. ``train(config, seed=3)``.
    """
    resolved = load_config(config, **overrides)
    root = Path(output_dir) if output_dir is not None else Path("runs") / f"{resolved.name}-seed{resolved.seed}"
    paths = ContainerPaths(root)
    return run(
        resolved,
        model_dir=paths.model_dir,
        output_data_dir=paths.output_data_dir,
        checkpoint_dir=paths.checkpoint_dir,
        log=log or (lambda line: None),
        progress_bar=progress_bar,
    )
