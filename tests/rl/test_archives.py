"""Archives are packed whole or not at all, and extracted all or nothing."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from contract import extract_safely, pack_directory


def test_an_archive_refused_part_way_leaves_no_members_behind(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, content in (("config.json", b"{}"), ("parameters.pt", b"x" * 100), ("../../escaped.txt", b"owned")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    destination = tmp_path / "job" / "model"
    with pytest.raises(ValueError, match="refusing to extract"):
        extract_safely(archive, destination)
    assert list(destination.iterdir()) == []  # the two good members, extracted first, are gone too
    assert not (tmp_path / "escaped.txt").exists()
    assert [p.name for p in destination.parent.iterdir()] == ["model"]  # no scratch directory left


def test_a_truncated_archive_is_a_clear_error_and_extracts_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for i in range(20):
        (source / f"file{i}.bin").write_bytes(bytes(range(256)) * 64)
    archive = pack_directory(source, tmp_path / "out" / "model.tar.gz")
    assert [p.name for p in archive.parent.iterdir()] == ["model.tar.gz"]  # packed beside, renamed into place
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(ValueError, match="not a readable tar archive"):
        extract_safely(truncated, tmp_path / "into")
    assert list((tmp_path / "into").iterdir()) == []


def test_extracting_into_a_directory_with_content_merges(tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "new.txt").write_text("new")
    archive = pack_directory(source, tmp_path / "a.tar.gz")
    destination = tmp_path / "dest"
    (destination / "sub").mkdir(parents=True)
    (destination / "sub" / "kept.txt").write_text("kept")
    extract_safely(archive, destination)
    assert sorted(p.name for p in (destination / "sub").iterdir()) == ["kept.txt", "new.txt"]
