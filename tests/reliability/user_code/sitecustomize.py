"""Test-only: the first code a job process runs (Python imports it at start-up from the job's PYTHONPATH, where
``code.source_dir`` comes first), before sagelab has any signal handler.

With ``SAGELAB_PAUSE_AT=start`` it writes ``start-<pid>`` into ``SAGELAB_PAUSE_DIR`` and waits until a stop
signal is *pending*: the runner starts a job with SIGINT and SIGTERM blocked, so a signal in this moment waits
for the job's handlers instead of killing it. (Were it not blocked, the signal would end the process here.)
"""

import os
import signal
import time
from pathlib import Path

if os.environ.get("SAGELAB_PAUSE_AT") == "start" and "SM_MODEL_DIR" in os.environ:
    _reached = Path(os.environ["SAGELAB_PAUSE_DIR"]) / f"start-{os.getpid()}"
    _partial = _reached.with_name(f".{_reached.name}")
    _partial.write_text("")
    _partial.rename(_reached)
    _deadline = time.monotonic() + 120
    while not signal.sigpending() & {signal.SIGINT, signal.SIGTERM}:
        if time.monotonic() > _deadline:
            raise SystemExit("paused at start for 120 s and no stop signal came")
        time.sleep(0.01)
elif os.environ.get("SAGELAB_PAUSE_AT") == "features write" and "SM_MODEL_DIR" in os.environ:
    import sagelab_pauses  # noqa: F401  (it holds the job where it writes its outputs)
