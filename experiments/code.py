"""The ``code:`` section of a job: the user's source directory, and the record a job directory keeps of it.

::

    code:
      source_dir: .                   # relative to the config file; first on the job's PYTHONPATH
      requirements: requirements.txt  # optional, relative to source_dir; installed in the SageMaker container

Locally, the job process (and ``evaluate``, ``sweep``, ``--resume``) imports from ``source_dir``; the job
directory records its path and content hash in ``code.json``, so ``sagelab evaluate JOB_DIR`` loads the same
code and warns when it changed since training. On SageMaker the directory travels in the source bundle
(see :mod:`experiments.aws.source`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.layout import CODE_RECORD_FILE, ContainerPaths
from rl.config import field_error
from rl.user_code import SOURCE_DIR_VARIABLE, activate, content_hash


class CodeConfig(BaseModel):
    """The user's code: a directory put first on the job's Python path, and its requirements."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_dir: str = Field(".", description="directory of the user's modules, relative to the config file")
    requirements: str | None = Field(None, description="pip requirements file, relative to source_dir (SageMaker)")

    @field_validator("source_dir")
    @classmethod
    def _a_directory(cls, source_dir: str) -> str:
        if not Path(source_dir).is_dir():
            raise ValueError(f"{source_dir} is not a directory (it is relative to the config file)")
        return source_dir

    @model_validator(mode="after")
    def _requirements_exist(self) -> CodeConfig:
        if self.requirements is not None and not self.requirements_path.is_file():
            raise field_error("code.requirements", f"{self.requirements_path} does not exist", self.requirements)
        return self

    @property
    def path(self) -> Path:
        return Path(self.source_dir).resolve()

    @property
    def requirements_path(self) -> Path:
        return self.path / (self.requirements or "requirements.txt")


def resolve_code_section(raw: dict[str, Any], base: Path) -> None:
    """Make ``code.source_dir`` of a config read from ``base`` absolute (it is relative to the config file)."""
    code = raw.get("code")
    if isinstance(code, dict):
        source = code.get("source_dir", ".")
        if isinstance(source, str) and not Path(source).is_absolute():
            code["source_dir"] = str((base / source).resolve())


def activate_code_section(raw: dict[str, Any]) -> None:
    """Make the config's source directory importable before the env and wrappers it names are checked."""
    code = raw.get("code")
    if (
        isinstance(code, dict)
        and isinstance(code.get("source_dir", "."), str)
        and Path(code.get("source_dir", ".")).is_dir()
    ):
        activate(code.get("source_dir", "."))


def write_code_record(job_root: Path, code: CodeConfig) -> dict[str, str]:
    """Record in the job directory where its code came from: the path and a hash of its files."""
    record = {"source_dir": str(code.path), "sha256": content_hash(code.path)}
    (job_root / CODE_RECORD_FILE).write_text(json.dumps(record, indent=2))
    return record


def read_code_record(job_root: Path) -> dict[str, str] | None:
    path = job_root / CODE_RECORD_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def job_process_environment(job_root: Path) -> dict[str, str]:
    """``PYTHONPATH`` (source_dir first) and ``SAGELAB_SOURCE_DIR`` for the job process of a job with a code record."""
    record = read_code_record(job_root)
    if record is None:
        return {}
    source = record["source_dir"]
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, SOURCE_DIR_VARIABLE: source}


def job_root_of(source: Path) -> Path | None:
    """The job directory with a code record that ``source`` belongs to (itself, its model/ or its
    output/model.tar.gz)."""
    source = source.resolve()
    for candidate in (source, source.parent, source.parent.parent):
        # only a job directory's own record (beside input/config), never one that came inside model/ or an archive
        job = ContainerPaths(candidate)
        if job.code_record_file.is_file() and job.hyperparameters_file.is_file():
            return candidate
    return None


def load_recorded_code(job_root: Path, warn: Any = None) -> dict[str, str] | None:
    """Import from the code a job was trained with; warn (to stderr by default) when it changed since."""
    record = read_code_record(job_root)
    if record is None:
        return None
    source = Path(record["source_dir"])
    say = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
    root = job_root.resolve()
    if not source.is_absolute() or source.resolve() == root or root in source.resolve().parents:
        # code that travels with a job directory (fetched, or handed over) is never imported on its say-so
        say(
            f"{job_root / CODE_RECORD_FILE} names code inside the job directory or a relative path ({source}); not "
            "importing "
            "it (pass --source-dir to import code you trust)"
        )
        return None
    if not source.is_dir():
        say(f"{job_root} was trained with code from {source}, which no longer exists")
        return record
    activate(source)
    os.environ[SOURCE_DIR_VARIABLE] = os.pathsep.join(
        p for p in (str(source), os.environ.get(SOURCE_DIR_VARIABLE, "")) if p
    )
    current = content_hash(source)
    if current != record["sha256"]:
        say(
            f"the code in {source} changed since {job_root.name} was trained (sha256 {record['sha256'][:12]} then, "
            f"{current[:12]} now); evaluating with the code as it is now"
        )
    return record
