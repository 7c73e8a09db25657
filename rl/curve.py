"""The learning curve of a run: one row per periodic evaluation, kept as CSV in output/data."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

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
