"""``job.log``, the tee of a job's output, which never stops the runner and never fails silently.

On a full disk (or a log file that became unwritable) writing ``job.log`` fails; the runner must still
read the job's output to the end (a job blocked on a full pipe never finishes), keep showing it, and
say where and why the log stopped. The first failure is reported once on stderr, with the path and the
size the log reached, and kept in :attr:`JobLog.error` for the job's outcome.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO


class JobLog:
    """Appends lines to ``path`` until a write fails; afterwards drops them and remembers why."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.error: str | None = None
        self._written = 0
        self._stream: TextIO | None
        try:
            self._stream = open(path, "a", encoding="utf-8")  # noqa: SIM115  (closed in __exit__)
        except OSError as error:
            self._stream = None
            self._fail(error)

    def write(self, text: str) -> None:
        if self._stream is None:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
            self._written += len(text)
        except OSError as error:
            self._fail(error)

    def _fail(self, error: OSError) -> None:
        self.error = f"{self.path} stopped after {self._written} characters of this run: {error.strerror or error}"
        print(
            f"sagelab: warning: {self.error}; the rest of the job's output is not in the log",
            file=sys.stderr,
            flush=True,
        )
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(OSError):  # the buffered tail could not be flushed either; already reported
                stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except OSError as error:
                self._fail(error)
