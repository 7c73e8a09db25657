"""tar.gz archives as SageMaker writes them (model.tar.gz, output.tar.gz), packed and unpacked safely."""

from __future__ import annotations

import tarfile
from pathlib import Path


def pack_directory(source: Path, archive: Path) -> Path:
    """Write the contents of ``source`` (not the directory itself) into the gzipped tar ``archive``."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(source.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(source)), recursive=False)
    return archive


def extract_safely(archive: Path, destination: Path) -> Path:
    """Extract ``archive`` into ``destination``, refusing absolute paths, ``..``, links out and devices.

    Uses the standard library's ``data`` filter (PEP 706), which rejects every member that would land
    outside ``destination`` or is not a plain file, directory or safe link.
    """
    if not archive.is_file():
        raise FileNotFoundError(f"archive {archive} does not exist")
    destination.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(destination, filter="data")
    except tarfile.FilterError as error:
        raise ValueError(f"refusing to extract {archive}: {error}") from None
    except tarfile.ReadError as error:
        raise ValueError(f"{archive} is not a readable tar archive: {error}") from None
    return destination
