"""The learning curve of a run: one row per periodic evaluation, kept as CSV in output/data."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd

COLUMNS = ("timesteps", "mean_reward", "std_reward")


@dataclass
class LearningCurve:
    """Evaluation results over training; rewritten whole on every append so the file is always complete."""

    path: Path
    rows: list[tuple[int, float, float]] = field(default_factory=list)

    def append(self, timesteps: int, mean_reward: float, std_reward: float) -> None:
        self.rows.append((int(timesteps), float(mean_reward), float(std_reward)))
        self.write()

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(COLUMNS)
            writer.writerows(self.rows)


def read_curve(curve_csv: str | Path | IO[bytes], name: str | None = None) -> pd.DataFrame:
    """Read a learning_curve.csv, checking it has the columns ``timesteps,mean_reward,std_reward``.

    :param curve_csv: a path or an open binary file (e.g. an archive member).
    :param name: what to call the source in errors (default: the path).
    :return: the rows in timestep order.
    """
    curve = pd.read_csv(curve_csv)
    missing = [c for c in COLUMNS if c not in curve.columns]
    if missing:
        source = name or curve_csv
        raise ValueError(f"{source}: missing column(s) {missing}; expected {list(COLUMNS)}, got {list(curve.columns)}")
    return curve.sort_values("timesteps", kind="stable").reset_index(drop=True)
