"""The features quickstart notebook runs top to bottom in a real Jupyter kernel, in under a minute."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "features_quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_executes_quickly() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    started = time.monotonic()
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    elapsed = time.monotonic() - started
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "".join(str(output.get("data", {}).get("text/plain", "")) + str(output.get("text", "")) for output in outputs)
    assert "binary" in text and "roc_auc" in text and "selected" in text  # problem type, metric, leaderboard shown
    assert "report.html" in text and "importance.png" in text
    assert elapsed < 90, f"the quickstart took {elapsed:.0f} s; it must stay under a minute on a quiet machine"
