"""OpenFE (Zhang et al. 2023) for the features benchmark, in its own virtualenv: its pins differ from ours."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

OPENFE_SCRIPT = """
import contextlib, os, sys, tempfile
import pandas as pd
import openfe.openfe
from openfe import OpenFE, transform
from sklearn.metrics import mean_squared_error, root_mean_squared_error

def _rmse_compatible(y_true, y_pred, squared=True, **kwargs):
    # openfe 0.0.12 calls mean_squared_error(squared=False), a keyword scikit-learn 1.6 removed
    if squared:
        return mean_squared_error(y_true, y_pred, **kwargs)
    return root_mean_squared_error(y_true, y_pred, **kwargs)

openfe.openfe.mean_squared_error = _rmse_compatible  # forked workers inherit it
folder, task = sys.argv[1], sys.argv[2]
train, test = pd.read_parquet(f"{folder}/train.parquet"), pd.read_parquet(f"{folder}/test.parquet")
label = pd.read_parquet(f"{folder}/label.parquet")
with tempfile.TemporaryDirectory() as scratch, contextlib.chdir(scratch):  # OpenFE writes scratch files in the cwd
    found = OpenFE().fit(data=train, label=label, task=task, n_jobs=1, verbose=False)
    new_train, new_test = transform(train, test, found[:20], n_jobs=1)
new_train.columns = new_test.columns = [str(c) for c in new_train.columns]
new_train.to_parquet(f"{folder}/out_train.parquet"); new_test.to_parquet(f"{folder}/out_test.parquet")
"""


def openfe_python(path: str) -> str | None:
    """The interpreter of the separate OpenFE virtualenv, if it exists and imports openfe."""
    if not Path(path).is_file():
        print(
            f"OpenFE skipped: no interpreter at {path} (make it: python -m venv /tmp/openfe-venv && "
            "/tmp/openfe-venv/bin/pip install openfe matplotlib)"
        )
        return None
    done = subprocess.run([path, "-c", "import openfe"], capture_output=True, text=True)
    if done.returncode:
        print(f"OpenFE skipped: `import openfe` fails in {path}: {done.stderr.strip().splitlines()[-1]}")
        return None
    return path


def run_openfe(python: str, X_train, X_test, y_train, problem: str) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """OpenFE in its own virtualenv (its pins differ from ours), on the numeric columns; wall time includes the
    process."""
    import tempfile

    numeric_train = X_train.select_dtypes("number").reset_index(drop=True)
    numeric_test = X_test[numeric_train.columns].reset_index(drop=True)
    task = "regression" if problem == "regression" else "classification"
    with tempfile.TemporaryDirectory() as folder:
        numeric_train.to_parquet(f"{folder}/train.parquet")
        numeric_test.to_parquet(f"{folder}/test.parquet")
        pd.DataFrame({"y": np.asarray(y_train)}).to_parquet(f"{folder}/label.parquet")
        started = time.perf_counter()
        done = subprocess.run([python, "-c", OPENFE_SCRIPT, folder, task], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode or not Path(f"{folder}/out_train.parquet").is_file():
            # OpenFE catches errors inside its worker processes and goes on, so look for the first one reported
            error = re.search(
                r"\w+(?:Error|Exception): [^\r\n]*", done.stdout + done.stderr
            )  # OpenFE prints them to stdout
            raise RuntimeError(error.group(0) if error else done.stderr.strip()[-200:])
        return pd.read_parquet(f"{folder}/out_train.parquet"), pd.read_parquet(f"{folder}/out_test.parquet"), seconds
