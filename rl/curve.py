"""The learning curve of a run: one row per periodic evaluation, kept as CSV in output/data."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported by read_curve: a job writes its curve and plots it without pandas
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

    @classmethod
    def read(cls, path: Path) -> LearningCurve:
        """The curve stored at ``path`` (a learning_curve.csv), checked for its columns, in timestep order."""
        with open(path, newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            _check_columns(list(reader.fieldnames or ()), path)
            rows = [(int(float(r["timesteps"])), float(r["mean_reward"]), float(r["std_reward"])) for r in reader]
        return cls(Path(path), sorted(rows, key=lambda row: row[0]))


def _check_columns(columns: list[str], source: object) -> None:
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}; expected {list(COLUMNS)}, got {columns}")


def read_curve(curve_csv: str | Path | IO[bytes], name: str | None = None) -> pd.DataFrame:
    """Read a learning_curve.csv, checking it has the columns ``timesteps,mean_reward,std_reward``.

    :param curve_csv: a path or an open binary file (e.g. an archive member).
    :param name: what to call the source in errors (default: the path).
    :return: the rows in timestep order.
    """
    import pandas as pd

    curve = pd.read_csv(curve_csv)
    _check_columns(list(curve.columns), name or curve_csv)
    return curve.sort_values("timesteps", kind="stable").reset_index(drop=True)
