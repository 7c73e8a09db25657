"""tar.gz archives as SageMaker writes them (the model and output archives), packed and unpacked safely."""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path


def pack_directory(source: Path, archive: Path) -> Path:
    """Write the contents of ``source`` (not the directory itself) into the gzipped tar ``archive``.

    Written beside it and renamed into place: a kill or a full disk never leaves a truncated archive.
    """
    archive.parent.mkdir(parents=True, exist_ok=True)
    for stale in archive.parent.glob(f".{archive.name}.*.partial"):
        stale.unlink(missing_ok=True)  # left by a packer killed mid-write (one runner per job: none is live)
    partial = archive.with_name(f".{archive.name}.{os.getpid()}.partial")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            for path in sorted(source.rglob("*")):
                tar.add(path, arcname=str(path.relative_to(source)), recursive=False)
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    return archive


def extract_safely(archive: Path, destination: Path) -> Path:
    """Extract ``archive`` into ``destination``, refusing ``..``, links out and devices.

    Uses the standard library's ``data`` filter (PEP 706), which rejects every member that would land
    outside ``destination`` or is not a plain file, directory or safe link. All or nothing: members are
    extracted into a scratch directory beside ``destination`` and moved in only once every member passed,
    so an archive refused part-way leaves no members behind.
    """
    if not archive.is_file():
        raise FileNotFoundError(f"archive {archive} does not exist")
    destination.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".extracting-", dir=destination.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(scratch, filter="data")
        _move_contents(scratch, destination)
    except tarfile.FilterError as error:
        raise ValueError(f"refusing to extract {archive}: {error}") from None
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:  # a damaged or truncated archive
        raise ValueError(f"{archive} is not a readable tar archive: {error}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return destination


def _move_contents(source: Path, destination: Path) -> None:
    for entry in sorted(source.iterdir()):
        target = destination / entry.name
        if entry.is_dir() and target.is_dir():
            _move_contents(entry, target)
        else:
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(entry, target)
