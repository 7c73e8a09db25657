"""The notebook API: train and evaluate in-process, with the same job code the CLI runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rl.config import RLConfig
from rl.job import TrainResult, run


def load_config(config: RLConfig | Mapping[str, Any] | str | Path, **overrides: Any) -> RLConfig:
    """An ``RLConfig`` from a config object, a mapping or a YAML path, with top-level fields replaced."""
    if isinstance(config, RLConfig):
        resolved = config
    elif isinstance(config, Mapping):
        resolved = RLConfig.model_validate(dict(config))
    else:
        resolved = RLConfig.from_yaml(config)
    return RLConfig.model_validate({**resolved.model_dump(), **overrides}) if overrides else resolved


def train(
    config: RLConfig | Mapping[str, Any] | str | Path,
    output_dir: str | Path | None = None,
    *,
    progress_bar: bool = True,
    log: Callable[[str], None] | None = None,
    **overrides: Any,
) -> TrainResult:
    """Train in this process and return the model, its evaluation and where the artifacts are.

    ``output_dir`` receives the same ``model/``, ``output/data/`` and ``checkpoints/`` a job writes
    (default ``runs/<name>-seed<seed>``); if it already holds a checkpoint, training resumes from it.
    Keyword overrides replace top-level fields, e.g. ``train("cartpole_ppo.yaml", seed=3)``.
    """
    resolved = load_config(config, **overrides)
    root = Path(output_dir) if output_dir is not None else Path("runs") / f"{resolved.name}-seed{resolved.seed}"
    return run(
        resolved,
        model_dir=root / "model",
        output_data_dir=root / "output" / "data",
        checkpoint_dir=root / "checkpoints",
        log=log or (lambda line: None),
        progress_bar=progress_bar,
    )
