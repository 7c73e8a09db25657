"""The quickstart notebook runs top to bottom in a real Jupyter kernel, started in its own folder."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUICKSTART = EXAMPLES / "quickstart.ipynb"  # the features notebook is executed by tests/features


@pytest.mark.slow
def test_the_quickstart_notebook_executes_from_its_own_folder() -> None:
    notebook = nbformat.read(QUICKSTART, as_version=4)
    # the kernel's working directory is examples/, as when a user opens the notebook in Jupyter
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    ).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
    assert all(cell.outputs for cell in code), "every cell shows a result"
    # the seeds' evaluations and the report table are real numbers, not placeholders
    seeds = next(cell for cell in code if "train(config" in cell.source).outputs[0]["data"]["text/plain"]
    assert seeds.startswith("[(0, ") and "(1, " in seeds
    report = next(cell for cell in code if "write_report(" in cell.source).outputs[0]["data"]["text/plain"]
    assert "cartpole-ppo" in report and "iqm" in report
