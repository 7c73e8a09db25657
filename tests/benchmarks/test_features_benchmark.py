"""The features benchmark's ``--summarize``: per-split lines of runs done in parts read back as one result."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "features_benchmark.py"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("features_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def write_run(benchmark, path: Path, splits: range) -> Path:
    lines = ["dataset              split method                       held-out   seconds  features"]
    for split in splits:
        for name, offset in (("churn (relational)", 0.0), ("diabetes", -60.0)):
            for position, method in enumerate(benchmark.METHODS):
                lines.append(
                    benchmark.split_line(
                        name, split, method, offset + 0.5 + position / 10 + split / 1000, 1.5 * position, 3 + position
                    )
                )
    lines.append("churn (relational)   sagelab DFS path / featuretools alone: 1.01x (median of 3)")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_runs_in_parts_summarize_as_one(benchmark, tmp_path, capsys) -> None:
    first = write_run(benchmark, tmp_path / "first.log", range(0, 3))
    second = write_run(benchmark, tmp_path / "second.log", range(3, 5))
    results = benchmark.results_from_logs([str(first), str(second)])
    assert list(results) == ["churn (relational)", "diabetes"]
    diabetes = results["diabetes"]
    assert diabetes["OpenFE"].scores == pytest.approx([-59.2 + s / 1000 for s in range(5)])
    assert diabetes["sagelab AutoFeatures"].counts == [5] * 5 and diabetes["OpenFE"].seconds == [4.5] * 5
    benchmark.summarize(results)
    assert "on 0 of 2 datasets" in capsys.readouterr().out  # OpenFE's column is the best in this made-up run


def test_a_split_in_two_logs_or_no_results_is_refused(benchmark, tmp_path) -> None:
    first = write_run(benchmark, tmp_path / "first.log", range(0, 3))
    overlapping = write_run(benchmark, tmp_path / "overlapping.log", range(2, 4))
    with pytest.raises(SystemExit, match="split 2 raw is in both"):
        benchmark.results_from_logs([str(first), str(overlapping)])
    (tmp_path / "empty.log").write_text("nothing here\n")
    with pytest.raises(SystemExit, match="no per-split result lines"):
        benchmark.results_from_logs([str(tmp_path / "empty.log")])
    with pytest.raises(SystemExit, match="is not a file"):
        benchmark.results_from_logs([str(tmp_path / "absent.log")])
