"""SageMaker Autopilot's two notebooks for a features job, executed when written so they open with outputs.

- ``data_exploration.ipynb`` (Autopilot's ``DataExplorationNotebookLocation``): the profile of the rows to
  predict (types, missing values, cardinality), the target's distribution, the inferred problem type and why.
- ``candidate_definitions.ipynb`` (``CandidateDefinitionNotebookLocation``): the candidate sets with their CV
  scores, the features each holds, and code that rebuilds the chosen transformer from the saved definitions.

Each notebook reads JSON written beside it (and the model directory, by a path relative to it or from
``SAGELAB_MODEL_DIR`` when the two archives were unpacked apart), so it runs
again from its own folder. They are executed with nbclient in a real Jupyter kernel started in that folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from contract.layout import (
    CANDIDATE_SETS_FILE,
    CANDIDATES_NOTEBOOK,
    DATA_PROFILE_FILE,
    EXPLORATION_NOTEBOOK,
    FEATURE_DEFINITIONS_FILE,
    LEADERBOARD_FILE,
)

TIMEOUT_SECONDS = 180
# the saved transformer's folder, for a candidate definitions notebook opened away from its job directory
MODEL_DIR_VARIABLE = "SAGELAB_MODEL_DIR"


def exploration_notebook(title: str) -> nbformat.NotebookNode:
    """The data exploration notebook (reads ``data_profile.json`` from its folder)."""
    return new_notebook(
        cells=[
            new_markdown_cell(
                f"# {title}: data exploration\n\nThe rows to predict as the features job saw them: "
                "column types (woodwork), missing values, cardinality, the target and the problem type."
            ),
            new_code_cell(
                "import json\n\nimport matplotlib.pyplot as plt\nimport pandas as pd\n\n"
                f"profile = json.load(open({DATA_PROFILE_FILE!r}))\n"
                "print(f\"{profile['rows']} rows; related tables: {profile['tables'] or 'none'}\")\n"
                "columns = pd.DataFrame(profile['columns']).set_index('name')\ncolumns"
            ),
            new_markdown_cell("## Missing values"),
            new_code_cell(
                "missing = columns['missing_fraction'].sort_values(ascending=False)\n"
                "ax = missing.plot.barh(figsize=(6, 0.3 * len(missing) + 1), title='share of rows missing')\n"
                "plt.show()\nmissing[missing > 0]"
            ),
            new_markdown_cell("## Target and problem type"),
            new_code_cell(
                "print(f\"target {profile['target']!r}: {profile['problem_type']} ({profile['reason']})\")\n"
                "summary = pd.Series(profile['target_summary'])\n"
                "if profile['problem_type'] != 'regression':\n"
                "    summary.drop('missing').plot.bar(title='rows per class')\n    plt.show()\n"
                "summary"
            ),
        ]
    )


def candidates_notebook(title: str, model_path: str) -> nbformat.NotebookNode:
    """The candidate definitions notebook (reads ``candidate_sets.json``, ``leaderboard.json`` and the model)."""
    return new_notebook(
        cells=[
            new_markdown_cell(
                f"# {title}: candidate definitions\n\nThe candidate feature sets the job scored in "
                "cross-validation on the training rows, and the one it chose."
            ),
            new_code_cell(
                "import json\nfrom pathlib import Path\n\nimport pandas as pd\n\n"
                f"leaderboard = pd.read_json({LEADERBOARD_FILE!r}, orient='records')\nleaderboard"
            ),
            new_markdown_cell("## What each candidate set holds"),
            new_code_cell(
                f"candidate_sets = json.load(open({CANDIDATE_SETS_FILE!r}))\n"
                "pd.DataFrame([{'candidate_set': name, 'n_features': len(columns), 'features': ', '.join(columns[:12])"
                " + (' ...' if len(columns) > 12 else '')} for name, columns in candidate_sets.items()])"
            ),
            new_markdown_cell(
                "## Rebuild the chosen transformer from the saved definitions\n\n"
                "featuretools' own serialization of the definitions plus the learned state as JSON "
                "(nothing is unpickled); `transform` computes the same features for new rows. "
                f"`MODEL` is where the job wrote it, relative to this notebook; if you unpacked `model.tar.gz` "
                f"elsewhere, set the `{MODEL_DIR_VARIABLE}` environment variable (or `MODEL`) to that folder."
            ),
            new_code_cell(
                "import os\n\nimport featuretools as ft\nfrom features import AutoFeatures\n\n"
                f"MODEL = Path(os.environ.get({MODEL_DIR_VARIABLE!r}, {model_path!r}))\n"
                f"definitions = ft.load_features(str(MODEL / {FEATURE_DEFINITIONS_FILE!r}))\n"
                "transformer = AutoFeatures.load(MODEL)\n"
                "assert [d.get_name() for d in definitions] == [d.get_name() for d in "
                "transformer.feature_definitions_]\n"
                "print(transformer.selection_choice_, len(definitions), 'definitions')\n"
                "transformer.describe_features()"
            ),
        ]
    )


def write_notebooks(
    transformer: Any,
    profile: dict[str, Any],
    directory: Path,
    model_dir: Path,
    title: str,
    log: Callable[[str], None] = print,
) -> dict[str, Path]:
    """Both notebooks in ``directory``, with the JSON they read, executed in place (see the module). A notebook
    that cannot run (no Jupyter kernel where the job runs) is written without outputs, and ``log`` says why."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / DATA_PROFILE_FILE).write_text(json.dumps(profile, indent=2, default=str))
    (directory / CANDIDATE_SETS_FILE).write_text(json.dumps(transformer.candidate_sets_, indent=2))
    model_path = os.path.relpath(model_dir, directory)
    written = {}
    for name, notebook in (
        (EXPLORATION_NOTEBOOK, exploration_notebook(title)),
        (CANDIDATES_NOTEBOOK, candidates_notebook(title, model_path)),
    ):
        try:
            execute(notebook, directory)
        except Exception as error:
            log(f"warning: {name} written without outputs: {type(error).__name__}: {str(error)[:300]}")
        nbformat.write(notebook, directory / name)
        written[name] = directory / name
    return written


def execute(notebook: nbformat.NotebookNode, directory: Path) -> None:
    """Run ``notebook`` in a python3 kernel started in ``directory``, with this process's sagelab importable."""
    from nbclient import NotebookClient

    package_root = str(Path(__file__).resolve().parents[1])
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, previous]))
    try:
        NotebookClient(
            notebook, timeout=TIMEOUT_SECONDS, kernel_name="python3", resources={"metadata": {"path": str(directory)}}
        ).execute()
    finally:
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous
