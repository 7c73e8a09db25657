"""Suite-wide settings."""

from __future__ import annotations

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs one worker per core: torch (and LightGBM's OpenMP) taking every core in each worker would
    # make the workers fight over them. Set before any test module imports torch; job subprocesses inherit it.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
