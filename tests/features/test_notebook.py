"""The features notebooks run top to bottom in a real Jupyter kernel, each from its own folder."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "features_quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_executes_from_its_own_folder() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "".join(
        str(output.get("data", {}).get("text/plain", "")) + str(output.get("text", "")) for output in outputs
    )
    assert "binary" in text and "roc_auc" in text and "selected" in text  # problem type, metric, leaderboard shown
    assert "report.html" in text and "importance.png" in text


def _text(notebook) -> str:
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert outputs and not [output for output in outputs if output.output_type == "error"]
    return "".join(
        str(output.get("data", {}).get("text/plain", "")) + str(output.get("text", "")) for output in outputs
    )


@pytest.mark.slow
def test_autopilot_notebooks_open_with_outputs_and_rebuild_the_transformer(
    fitted, churn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from features.notebooks import write_notebooks
    from features.profiling import profile

    model = fitted.save(tmp_path / "model" / "autofeatures")
    data = tmp_path / "output" / "data"
    data.mkdir(parents=True)
    fitted.leaderboard_.to_json(data / "leaderboard.json", orient="records")
    report = profile(churn["customers"], "churned", {"sessions": churn["sessions"]}).to_dict()
    written = write_notebooks(fitted, report, data, model, title="churn")
    exploration = _text(nbformat.read(written["data_exploration.ipynb"], as_version=4))
    assert "binary (target 'churned' has exactly 2 distinct values" in exploration and "missing_fraction" in exploration
    candidates = _text(nbformat.read(written["candidate_definitions.ipynb"], as_version=4))
    assert fitted.selection_choice_ in candidates and "dfs_all" in candidates and "raw" in candidates  # sets, choice
    assert f"{len(fitted.feature_definitions_)} definitions" in candidates  # rebuilt from the saved definitions

    # unpacked apart (output.tar.gz and model.tar.gz into two folders): the notebook finds the model by its variable
    moved = model.rename(tmp_path / "elsewhere")
    again = nbformat.read(written["candidate_definitions.ipynb"], as_version=4)
    monkeypatch.setenv("SAGELAB_MODEL_DIR", str(moved))
    NotebookClient(again, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(data)}}).execute()
    assert f"{len(fitted.feature_definitions_)} definitions" in _text(again)
