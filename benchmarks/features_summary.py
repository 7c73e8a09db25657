"""The features benchmark's results: one Cell per method and dataset, the per-split lines it prints (and
``--summarize`` reads back), the summary table, and the planted cases' lift against the raw columns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

METHODS = ("raw", "featuretools DFS (all)", "sagelab AutoFeatures", "OpenFE")


@dataclass
class Cell:
    """One method's results on one dataset, one entry per split."""

    scores: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    failure: str | None = None

    def add(self, score: float, seconds: float, count: int) -> None:
        self.scores.append(score)
        self.seconds.append(seconds)
        self.counts.append(count)


def split_line(name: str, split: int, method: str, score: float, seconds: float, count: int) -> str:
    """One method's result on one split, as printed (and read back by ``--summarize``)."""
    return f"{name:20} {split:>5} {method:24} {score:>12.4f} {seconds:>9.1f} {count:>9}"


def paired_difference(cells: dict[str, Cell]) -> str:
    """sagelab's score minus the best other column's, split by split: mean +- standard error (and that column).

    The splits are shared, so the paired difference removes what a split does to every column alike;
    its standard error says whether a gap between the means is larger than split-to-split noise.
    """
    ours = np.asarray(cells["sagelab AutoFeatures"].scores)
    others = {
        m: np.asarray(c.scores)
        for m, c in cells.items()
        if m != "sagelab AutoFeatures" and len(c.scores) == len(ours) and not c.failure
    }
    if not others or len(ours) < 2:
        return "-"
    best = max(others, key=lambda m: others[m].mean())
    difference = ours - others[best]
    error = difference.std(ddof=1) / np.sqrt(len(difference))
    return (
        f"{difference.mean():+.4f} +- {error:.4f} (vs {best.split(' ')[0]}; "
        f"{int((difference >= 0).sum())}/{len(difference)} splits >= 0)"
    )


def summarize(results: dict[str, dict[str, Cell]]) -> None:
    """Mean held-out score +- std over splits, mean seconds and features; sagelab vs the best other column."""
    print(
        "\n| dataset | "
        + " | ".join(METHODS)
        + " | sagelab >= all others | sagelab - best other, paired | sagelab s / OpenFE s |"
    )
    print("|---|" + "---|" * (len(METHODS) + 3))
    wins = 0
    for name, cells in results.items():
        row = []
        for method in METHODS:
            cell = cells[method]
            if cell.failure:
                row.append(f"failed: {cell.failure[:60]}")
            elif not cell.scores:
                row.append("not run")
            else:
                row.append(
                    f"{np.mean(cell.scores):.4f} +- {np.std(cell.scores):.4f} ({np.mean(cell.counts):.0f} f., "
                    f"{np.mean(cell.seconds):.1f} s)"
                )
        ours = np.mean(cells["sagelab AutoFeatures"].scores)
        others = [
            np.mean(c.scores) for m, c in cells.items() if m != "sagelab AutoFeatures" and c.scores and not c.failure
        ]
        won = bool(others) and ours >= max(others) - 1e-12
        wins += won
        paired = paired_difference(cells)
        openfe = cells["OpenFE"]
        speed = (
            f"{np.mean(cells['sagelab AutoFeatures'].seconds) / np.mean(openfe.seconds):.2f}"
            if openfe.seconds and not openfe.failure
            else "-"
        )
        print(f"| {name} | " + " | ".join(row) + f" | {'yes' if won else 'no'} | {paired} | {speed} |")
    print(f"\nsagelab's mean held-out score >= every other column's on {wins} of {len(results)} datasets")


SPLIT_LINE = re.compile(
    r"^(?P<name>.{20}) (?P<split>[ \d]{5}) (?P<method>" + "|".join(map(re.escape, METHODS)) + r")\s+"
    r"(?P<score>-?\d+\.\d+)\s+(?P<seconds>\d+\.\d+)\s+(?P<count>\d+)$"
)


def results_from_logs(paths: list[str]) -> dict[str, dict[str, Cell]]:
    """The per-split lines of earlier runs' output, as one set of results (datasets in order of first appearance).

    For a long benchmark run in parts (for example splits 0-9 and 10-19 on different days, same code); a
    (dataset, split, method) found twice is an error, since the parts would then not be disjoint.
    """
    seen: dict[tuple[str, int, str], Path] = {}
    results: dict[str, dict[str, Cell]] = {}
    for path in map(Path, paths):
        if not path.is_file():
            raise SystemExit(f"--summarize: {path} is not a file")
        for line in path.read_text().splitlines():
            match = SPLIT_LINE.match(line)
            if not match:
                continue
            name, split, method = match["name"].strip(), int(match["split"]), match["method"]
            if (name, split, method) in seen:
                raise SystemExit(
                    f"--summarize: {name} split {split} {method} is in both {seen[name, split, method]} and {path}"
                )
            seen[name, split, method] = path
            cells = results.setdefault(name, {m: Cell() for m in METHODS})
            cells[method].add(float(match["score"]), float(match["seconds"]), int(match["count"]))
    if not results:
        raise SystemExit(f"--summarize: no per-split result lines in {', '.join(paths)}")
    return results


def planted_lift(results: dict[str, dict[str, Cell]]) -> None:
    """Per planted case: each method against the raw columns on the same seeds (regression: RMSE as a multiple of
    the raw columns', lower is better; binary: AUC minus the raw columns'), mean +- standard error over seeds."""
    print("\n| planted case | sagelab vs raw | OpenFE vs raw | sagelab - OpenFE (paired) |")
    print("|---|---|---|---|")
    for name, cells in results.items():
        raw = np.asarray(cells["raw"].scores)
        regression = bool(len(raw)) and raw.mean() < 0

        def lift(
            method: str, cells: dict[str, Cell] = cells, raw: np.ndarray = raw, regression: bool = regression
        ) -> np.ndarray | None:
            values = np.asarray(cells[method].scores)
            if cells[method].failure or len(values) != len(raw):
                return None
            return values / raw if regression else values - raw

        ours, theirs = lift("sagelab AutoFeatures"), lift("OpenFE")
        shown = [
            ("-" if v is None else f"{v.mean():.3f}{'x' if regression else ''} +- {_standard_error(v):.3f}")
            for v in (ours, theirs)
        ]
        paired = "-"
        if ours is not None and theirs is not None:
            difference = (theirs - ours) if regression else (ours - theirs)  # positive: sagelab better
            paired = f"{difference.mean():+.3f} +- {_standard_error(difference):.3f} (positive: sagelab better)"
        print(f"| {name} | {shown[0]} | {shown[1]} | {paired} |")


def _standard_error(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
