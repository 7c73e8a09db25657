"""Feature engineering compared on held-out splits per dataset, all scored by the same LightGBM model.

Each dataset is split into training and held-out rows several times (``--splits``); every method sees the
same split and the summary gives the mean held-out score over splits and sagelab's paired difference to the
best other column. Columns: raw columns; featuretools DFS (all features, featuretools alone); sagelab
AutoFeatures (selected on the training rows only); OpenFE (Zhang et al. 2023) on the single-table data. Each
row prints the held-out score, wall time and feature count. Also: sagelab's DFS path (build EntitySet,
generate, compute) vs ``ft.dfs`` alone on the same data, as a ratio.

    .venv/bin/python benchmarks/features_benchmark.py                       # every dataset, 10 splits (~40 min)
    .venv/bin/python benchmarks/features_benchmark.py --dataset diabetes --splits 1
    .venv/bin/python benchmarks/features_benchmark.py --summarize part1.log part2.log  # one table from runs in parts

OpenFE is not a sagelab dependency: it runs in its own virtualenv (``--openfe-python``, default
``/tmp/openfe-venv/bin/python``, made with ``python -m venv /tmp/openfe-venv && /tmp/openfe-venv/bin/pip
install openfe matplotlib``) through a subprocess, on the numeric columns of the rows to predict.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split

from features import AutoFeatures
from features.config import DEFAULT_METRICS
from features.datasets import TARGETS, churn_tables, load_dataset
from features.entityset import Schema, build_entityset, compute, cutoff_frame, generate_definitions
from features.profiling import infer_problem_type
from features.selection import as_model_input, model_for

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules, also when loaded by path (tests)
from features_summary import METHODS, Cell, planted_lift, results_from_logs, split_line, summarize
from openfe_runner import openfe_python, run_openfe

warnings.filterwarnings("ignore")
RELATIONSHIPS = (
    ("customers", "customer_id", "sessions", "customer_id"),
    ("sessions", "session_id", "transactions", "session_id"),
)


def datasets() -> dict[str, dict]:
    churn = churn_tables()
    return {
        "churn (relational)": dict(
            X=churn["customers"].drop(columns=["churned"]),
            y=churn["customers"]["churned"],
            tables={"sessions": churn["sessions"], "transactions": churn["transactions"]},
            schema=dict(
                target_table="customers",
                index="customer_id",
                relationships=RELATIONSHIPS,
                indexes={"sessions": "session_id", "transactions": "transaction_id"},
                time_indexes={"sessions": "session_start", "transactions": "transaction_time"},
                cutoff_time="cutoff_time",
            ),
        ),
        **{name: _single(name) for name in TARGETS},
    }


def planted(structure: str, rows: int, seed: int) -> dict:
    """A synthetic single table whose signal lies in one planted structure (sagelab's own generators, never
    shipped as data): ``interactions`` (y from products of column pairs), ``group_deviation`` (y from how far a
    value lies from its group's mean), ``ratios`` (y from quotients of positive columns). Eight columns, half
    of them noise; the regression label has unit-variance noise added, ``*_binary`` thresholds it at its median."""
    rng = np.random.default_rng(seed)
    kind, binary = structure.removesuffix("_binary"), structure.endswith("_binary")
    X = pd.DataFrame(rng.normal(size=(rows, 8)), columns=[f"x{i}" for i in range(8)])
    if kind == "interactions":
        signal = X["x0"] * X["x1"] + X["x2"] * X["x3"]
    elif kind == "group_deviation":
        groups = rng.integers(0, 25, rows)
        X["store"] = groups  # an integer code: OpenFE (numeric columns only) takes it as an ordinal group key
        X["x0"] = rng.normal(0, 3, 25)[groups] + X["x0"]  # each store has its own level; what counts is the deviation
        signal = 2 * (X["x0"] - X.groupby("store")["x0"].transform("mean")) + 0.5 * X["x1"]
    elif kind == "ratios":
        X[["x0", "x1", "x2", "x3"]] = np.exp(rng.normal(0, 0.5, size=(rows, 4)))  # positive, like prices and counts
        signal = 2 * X["x0"] / X["x1"] + X["x2"] / X["x3"]
    else:
        raise ValueError(f"no planted structure {structure!r}; expected one of {', '.join(PLANTED)}")
    y = (signal - signal.mean()) / signal.std() + rng.normal(0, 0.5, rows)
    y = (y > np.median(y)).astype(int) if binary else y
    return dict(X=X, y=pd.Series(y, name="y"), tables={}, schema={})


PLANTED = (
    "interactions",
    "group_deviation",
    "ratios",
    "interactions_binary",
    "group_deviation_binary",
    "ratios_binary",
)
SHORT = {"interactions": "inter", "group_deviation": "groupdev", "ratios": "ratio"}


def planted_name(structure: str, rows: int) -> str:
    """The dataset column of a planted case, short enough for the 20-character field."""
    kind = structure.removesuffix("_binary")
    return f"{SHORT[kind]}{'-bin' if structure.endswith('_binary') else ''} n={rows}"


def _single(name: str) -> dict:
    frame = load_dataset(name)["data"]
    return dict(X=frame.drop(columns=[TARGETS[name]]), y=frame[TARGETS[name]], tables={}, schema={})


def score(train: pd.DataFrame, test: pd.DataFrame, y_train, y_test, problem: str, metric: str) -> float:
    model = model_for(problem, 0).fit(as_model_input(train), y_train)
    test_input = as_model_input(test[train.columns])
    reference = as_model_input(train)
    for column in test_input.columns:
        if isinstance(reference[column].dtype, pd.CategoricalDtype):
            test_input[column] = pd.Categorical(
                test_input[column].astype(str), categories=reference[column].cat.categories.astype(str)
            )
    return float(get_scorer(metric)(model, test_input, y_test))


def schema_of(data: dict) -> Schema:
    spec = data["schema"]
    if not spec:
        return Schema()
    return Schema(
        target_table=spec["target_table"],
        index=spec["index"],
        time_index=spec["time_indexes"],
        indexes=spec["indexes"],
        relationships=spec["relationships"],
        cutoff_time=spec["cutoff_time"],
    )


AGG = ["count", "sum", "mean", "max", "min", "std", "time_since_last"]
TRANS = ["add_numeric", "multiply_numeric", "divide_numeric", "time_since"]


def featuretools_alone(data: dict) -> tuple[pd.DataFrame, float]:
    """What a featuretools user writes: EntitySet, relationships, ft.dfs with cutoff times."""
    import featuretools as ft

    spec, X = data["schema"], data["X"]
    started = time.perf_counter()
    entityset = ft.EntitySet(id="benchmark")
    if spec:
        entityset.add_dataframe(
            dataframe_name="customers", dataframe=X.drop(columns=["cutoff_time"]).copy(), index="customer_id"
        )
        for name, frame in data["tables"].items():
            entityset.add_dataframe(
                dataframe_name=name,
                dataframe=frame.copy(),
                index=spec["indexes"][name],
                time_index=spec["time_indexes"][name],
            )
        for relationship in spec["relationships"]:
            entityset.add_relationship(*relationship)
        cutoff = pd.DataFrame({"customer_id": X["customer_id"], "time": X["cutoff_time"]})
        target = "customers"
    else:
        entityset.add_dataframe(dataframe_name="data", dataframe=X.copy(), index="row", make_index=True)
        cutoff, target = None, "data"
    matrix, _ = ft.dfs(
        entityset=entityset,
        target_dataframe_name=target,
        cutoff_time=cutoff,
        max_depth=2,
        trans_primitives=TRANS,
        agg_primitives=AGG,
        max_features=2000,
        verbose=False,
    )
    elapsed = time.perf_counter() - started
    if spec:
        matrix = matrix.reindex(X["customer_id"].to_numpy())
    return matrix.reset_index(drop=True), elapsed


def sagelab_dfs_path(data: dict) -> float:
    """sagelab's own path to the same matrix: build_entityset, generate_definitions, compute."""
    schema = schema_of(data)
    started = time.perf_counter()
    entityset = build_entityset(data["X"], data["tables"], schema)
    definitions = generate_definitions(
        entityset, schema, max_depth=2, max_candidates=2000, agg_primitives=AGG, trans_primitives=TRANS
    )
    compute(definitions, entityset, cutoff_frame(data["X"], schema), None)
    return time.perf_counter() - started


MAX_CANDIDATES = (
    600  # sagelab's candidate cap in the reported runs (the library default, 2000, measured worse and slower)
)


def run_split(
    name: str,
    data: dict,
    split: int,
    python: str | None,
    cells: dict[str, Cell],
    *,
    measure_dfs_path: bool,
    max_candidates: int = MAX_CANDIDATES,
) -> None:
    """Every method on one train/held-out split (``split`` seeds the split and every method)."""
    X, y = data["X"].reset_index(drop=True), data["y"].reset_index(drop=True)
    problem, _ = infer_problem_type(y)
    metric = DEFAULT_METRICS[problem]
    rows_train, rows_test = train_test_split(
        np.arange(len(X)), test_size=0.25, random_state=split, stratify=y if problem != "regression" else None
    )
    y_train, y_test = y[rows_train], y[rows_test]
    raw_columns = [c for c in X.columns if c not in ("customer_id", "cutoff_time", "signup_date")]

    def record(method: str, train: pd.DataFrame, test: pd.DataFrame, seconds: float) -> None:
        value = score(train, test, y_train, y_test, problem, metric)
        cells[method].add(value, seconds, train.shape[1])
        print(split_line(name, split, method, value, seconds, train.shape[1]), flush=True)

    record("raw", X.iloc[rows_train][raw_columns], X.iloc[rows_test][raw_columns], 0.0)
    matrix, ft_seconds = featuretools_alone({**data, "X": X})
    record("featuretools DFS (all)", matrix.iloc[rows_train], matrix.iloc[rows_test], ft_seconds)
    started = time.perf_counter()
    transformer = AutoFeatures(
        **data["schema"], test_size=0.0, max_features=None, max_candidates=max_candidates, random_state=split
    )
    train = transformer.fit_transform(X.iloc[rows_train], y_train, tables=data["tables"])
    test = transformer.transform(X.iloc[rows_test], tables=data["tables"])
    record("sagelab AutoFeatures", train, test, time.perf_counter() - started)
    if python:
        try:
            train, test, seconds = run_openfe(
                python, X.iloc[rows_train][raw_columns], X.iloc[rows_test][raw_columns], y_train, problem
            )
            record("OpenFE", train, test, seconds)
        except RuntimeError as error:  # a peer library failing is a result to report, not a crash
            cells["OpenFE"].failure = str(error)[:160]
            print(f"{name:20} {split:>5} {'OpenFE':24} failed: {cells['OpenFE'].failure}", flush=True)
    if measure_dfs_path:
        # alternated and repeated when cheap: at a second or less, one measurement is mostly machine noise
        rounds = 5 if ft_seconds < 5 else 3
        ours, theirs = [sagelab_dfs_path({**data, "X": X})], [ft_seconds]
        for _ in range(rounds - 1):
            theirs.append(featuretools_alone({**data, "X": X})[1])
            ours.append(sagelab_dfs_path({**data, "X": X}))
        ratio = float(np.median(ours) / np.median(theirs))
        print(f"{name:20} sagelab DFS path / featuretools alone: {ratio:.2f}x (median of {rounds})", flush=True)


def run_planted(cases: list[str], sizes: list[int], seeds: range, python: str | None, max_candidates: int) -> None:
    """Each planted case at each size, one fresh table per seed (the seed also draws the split)."""
    print(f"{'dataset':20} {'split':>5} {'method':24} {'held-out':>12} {'seconds':>9} {'features':>9}")
    results: dict[str, dict[str, Cell]] = {}
    for case in cases:
        for rows in sizes:
            name = planted_name(case, rows)
            results[name] = {method: Cell() for method in METHODS}
            for seed in seeds:
                run_split(
                    name,
                    planted(case, rows, seed),
                    seed,
                    python,
                    results[name],
                    measure_dfs_path=False,
                    max_candidates=max_candidates,
                )
    summarize(results)
    planted_lift(results)


def parser() -> argparse.ArgumentParser:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", action="append", help="dataset name (repeatable; default all)")
    parser.add_argument(
        "--splits", type=int, default=10, help="train/held-out splits per dataset (seeds FIRST..FIRST+n-1)"
    )
    parser.add_argument(
        "--first-split",
        type=int,
        default=0,
        metavar="FIRST",
        help="seed of the first split (default 0, the reported splits); develop on others, e.g. 100",
    )
    parser.add_argument(
        "--openfe-python", default="/tmp/openfe-venv/bin/python", help="interpreter of a venv with openfe"
    )
    parser.add_argument("--no-openfe", action="store_true")
    parser.add_argument(
        "--max-candidates",
        type=int,
        default=MAX_CANDIDATES,
        help=f"sagelab's max_candidates (default {MAX_CANDIDATES})",
    )
    parser.add_argument("--summarize", nargs="+", metavar="LOG", help="only print the summary of earlier runs' output")
    parser.add_argument(
        "--planted",
        nargs="*",
        choices=PLANTED,
        metavar="CASE",
        help=f"synthetic planted-structure cases instead of the datasets (none named: all of {', '.join(PLANTED)})",
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[500, 2000], help="--planted: table sizes")
    return parser


def main() -> None:
    args = parser().parse_args()
    if args.summarize:
        summarize(results_from_logs(args.summarize))
        return
    python = None if args.no_openfe else openfe_python(args.openfe_python)
    if args.planted is not None:
        run_planted(
            args.planted or list(PLANTED),
            args.rows,
            range(args.first_split, args.first_split + args.splits),
            python,
            args.max_candidates,
        )
        return
    run_datasets(args.dataset, range(args.first_split, args.first_split + args.splits), python, args.max_candidates)


def run_datasets(names: list[str] | None, splits: range, python: str | None, max_candidates: int) -> None:
    """Each dataset (those whose name contains one of ``names``; None: all) on each split."""
    print(f"{'dataset':20} {'split':>5} {'method':24} {'held-out':>12} {'seconds':>9} {'features':>9}")
    results: dict[str, dict[str, Cell]] = {}
    for name, data in datasets().items():
        if names and not any(d in name for d in names):
            continue
        results[name] = {method: Cell() for method in METHODS}
        for split in splits:
            run_split(
                name,
                data,
                split,
                python,
                results[name],
                measure_dfs_path=split == splits.start,
                max_candidates=max_candidates,
            )
    summarize(results)
    print(f"\nmetrics: {DEFAULT_METRICS}; held-out = 25% of rows per split, the same rows for every method")


if __name__ == "__main__":
    main()
