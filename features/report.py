"""The readable report of a fitted AutoFeatures: leaderboard, selected features in words, plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from contract.layout import FEATURES_REPORT_HTML, FEATURES_REPORT_MARKDOWN, IMPORTANCE_PLOT, SCORE_PLOT
from features.autofeatures import AutoFeatures


def write_report(transformer: AutoFeatures, directory: Path, title: str) -> dict[str, Path]:
    """report.md, report.html, importance.png and score_vs_features.png in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    described = (
        transformer.describe_features().sort_values("importance", ascending=False, kind="stable").to_dict("records")
    )
    _importance_plot(transformer, described, directory / IMPORTANCE_PLOT)
    _score_plot(transformer, directory / SCORE_PLOT)
    (directory / FEATURES_REPORT_MARKDOWN).write_text(_markdown(transformer, described, title))
    (directory / FEATURES_REPORT_HTML).write_text(_html(transformer, described, title))
    written = (FEATURES_REPORT_MARKDOWN, FEATURES_REPORT_HTML, IMPORTANCE_PLOT, SCORE_PLOT)
    return {name: directory / name for name in written}


def _importance_plot(transformer: AutoFeatures, described: list[dict], path: Path) -> None:
    figure, axes = plt.subplots(figsize=(8, 0.35 * len(described) + 1.5))
    axes.barh([d["name"][:60] for d in described][::-1], [d["importance"] for d in described][::-1])
    axes.set_xlabel(f"{transformer.estimator_name_} importance (model fit on the training rows)")
    axes.set_title("selected features")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _score_plot(transformer: AutoFeatures, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(6, 4))
    curve = transformer.score_curve_
    axes.plot(
        [h[0] for h in curve],
        [h[1] for h in curve],
        marker="o",
        label="raw columns + top n candidates (ranked in each fold)",
    )
    chosen = transformer.leaderboard_.set_index("candidate_set").loc["selected"]
    if pd.notna(chosen["cv_score"]):
        axes.plot(
            [chosen["n_features"]],
            [chosen["cv_score"]],
            marker="*",
            markersize=14,
            linestyle="none",
            label=f"selected ({chosen['chosen']})",
        )
    axes.set_xlabel("number of features")
    axes.set_ylabel(f"CV {transformer.metric_}")
    axes.set_title("score vs number of features")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _markdown(transformer: AutoFeatures, described: list[dict], title: str) -> str:
    lines = [
        f"# {title}",
        "",
        f"Problem type: **{transformer.problem_type_}** ({transformer.problem_type_reason_}). Metric: "
        f"`{transformer.metric_}`.",
        f"{transformer.n_candidates_} candidate features generated ({_sources(transformer)}); "
        f"{_near_duplicates(transformer)} of those past the gain screen near-monotone in a better-ranked one (left "
        "out of a `max_features` budget); "
        f"{len(described)} selected.",
        "",
        "## Leaderboard (cross-validated on the training rows)",
        "",
        "| candidate set | CV score | std | features | fit seconds |",
        "|---|---|---|---|---|",
    ]
    for row in _leaderboard_cells(transformer):
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "`raw`: the input columns; `dfs_all`: raw columns plus every generated candidate that passed the "
        "per-chunk gain screen (positive LightGBM gain in the training folds; with a cap, near-monotone copies left "
        "out); `top_<n>` (with `keep_candidates='cv'`): raw columns plus the best-ranked n candidates, near-monotone "
        "copies skipped, for n = 5, 10, 20, ...; `top_gain` (with a `max_features` cap): raw columns plus the "
        "best-ranked candidates up to the cap. Each set is scored on fresh, repeated folds, the ranking learned "
        "again inside each fold so that no validation row chose a set's members. The engineered set with the best "
        "CV score (the smallest on a tie), which holds the raw columns too, becomes `selected` unless the raw "
        "columns alone score better by more than one standard error of the fold-by-fold difference (here: "
        f"`{transformer.selection_choice_}`).",
    ]
    if transformer.holdout_:
        lines += [
            "",
            "Held-out rows (never used for generation or selection): "
            + ", ".join(f"{k} = {v:.4f}" for k, v in transformer.holdout_.items()),
        ]
    lines += ["", "## Selected features", "", "| feature | what it is | importance |", "|---|---|---|"]
    lines += [f"| `{d['name']}` | {d['description']} | {d['importance']:.1f} |" for d in described]
    lines += ["", f"![importance]({IMPORTANCE_PLOT})", "", f"![score vs features]({SCORE_PLOT})", ""]
    return "\n".join(lines)


def _sources(transformer: AutoFeatures) -> str:
    return (
        "Deep Feature Synthesis and group-by statistics"
        if transformer.groupby_aggregations
        else "Deep Feature Synthesis"
    )


def _near_duplicates(transformer: AutoFeatures) -> str:
    # None: a transformer saved before this count was recorded
    return "(not recorded)" if transformer.n_near_duplicates_ is None else str(transformer.n_near_duplicates_)


def _leaderboard_cells(transformer: AutoFeatures) -> list[list[str]]:
    def number(value: float | None) -> str:
        return "n/a" if pd.isna(value) else f"{value:.4f}"

    rows = []
    for row in transformer.leaderboard_.to_dict("records"):
        name = row["candidate_set"] + (f" ({row['chosen']})" if isinstance(row.get("chosen"), str) else "")
        rows.append(
            [
                name,
                number(row["cv_score"]),
                "" if pd.isna(row["cv_std"]) else f"{row['cv_std']:.4f}",
                str(row["n_features"]),
                f"{row['fit_seconds']:.2f}",
            ]
        )
    return rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    from html import escape

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table border='1' cellpadding='4'><tr>{head}</tr>{body}</table>"


def _html(transformer: AutoFeatures, described: list[dict], title: str) -> str:
    from html import escape

    leaderboard = _leaderboard_cells(transformer)
    selected = [[d["name"], d["description"], f"{d['importance']:.1f}"] for d in described]
    holdout = ", ".join(f"{k} = {v:.4f}" for k, v in transformer.holdout_.items())
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<p>Problem type: <b>{escape(transformer.problem_type_)}</b> ({escape(transformer.problem_type_reason_)}). "
        f"Metric: <code>{escape(transformer.metric_)}</code>. {transformer.n_candidates_} candidates "
        f"({_sources(transformer)}), "
        f"{_near_duplicates(transformer)} near-monotone duplicates (left out of a max_features budget), "
        f"{len(described)} selected.</p>"
        "<h2>Leaderboard (cross-validated on the training rows)</h2>"
        + _table(["candidate set", "CV score", "std", "features", "fit seconds"], leaderboard)
        + (f"<p>Held-out rows: {escape(holdout)}</p>" if holdout else "")
        + "<h2>Selected features</h2>"
        + _table(["feature", "what it is", "importance"], selected)
        + f"<p><img src='{IMPORTANCE_PLOT}' alt='importance'> <img src='{SCORE_PLOT}' alt='score vs features'></p>"
        "</body></html>"
    )
