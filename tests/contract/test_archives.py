"""The model and output archives: packed as SageMaker packs them, unpacked without escaping the target."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from contract import extract_safely, pack_directory


def _archive_with(path: Path, member: tarfile.TarInfo, content: bytes = b"owned") -> Path:
    with tarfile.open(path, "w:gz") as archive:
        archive.addfile(member, io.BytesIO(content) if member.isfile() else None)
    return path


def test_pack_then_extract_round_trips_the_contents_not_the_folder(tmp_path: Path) -> None:
    source = tmp_path / "model"
    (source / "nested").mkdir(parents=True)
    (source / "model.zip").write_bytes(b"zip")
    (source / "nested" / "stats.json").write_text("{}")
    archive = pack_directory(source, tmp_path / "out" / "model.tar.gz")
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == [
            "model.zip",
            "nested",
            "nested/stats.json",
        ]  # SageMaker's layout: no top folder
    target = extract_safely(archive, tmp_path / "unpacked")
    assert (target / "model.zip").read_bytes() == b"zip" and (target / "nested" / "stats.json").read_text() == "{}"


def test_a_member_climbing_out_of_the_destination_is_refused(tmp_path: Path) -> None:
    member = tarfile.TarInfo("../../escaped.txt")
    member.size = 5
    with pytest.raises(ValueError, match="refusing to extract"):
        extract_safely(_archive_with(tmp_path / "evil.tar.gz", member), tmp_path / "a" / "b" / "target")
    assert not list(tmp_path.rglob("escaped.txt"))


def test_an_absolute_member_lands_inside_the_destination(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    member = tarfile.TarInfo(str(outside))
    member.size = 5
    target = extract_safely(_archive_with(tmp_path / "abs.tar.gz", member), tmp_path / "target")
    assert not outside.exists()
    assert (target / str(outside).lstrip("/")).read_bytes() == b"owned"


def test_a_link_pointing_outside_is_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("innocent")
    link.type, link.linkname = tarfile.SYMTYPE, "../../../etc/passwd"
    with pytest.raises(ValueError, match="refusing to extract"):
        extract_safely(_archive_with(tmp_path / "evil.tar.gz", link), tmp_path / "target")
    assert not (tmp_path / "target" / "innocent").exists()


def test_a_device_is_refused(tmp_path: Path) -> None:
    device = tarfile.TarInfo("null")
    device.type = tarfile.CHRTYPE
    with pytest.raises(ValueError, match="refusing to extract"):
        extract_safely(_archive_with(tmp_path / "evil.tar.gz", device), tmp_path / "target")


def test_a_missing_or_broken_archive_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.tar\.gz does not exist"):
        extract_safely(tmp_path / "missing.tar.gz", tmp_path / "target")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError, match=r"broken\.tar\.gz is not a readable tar archive"):
        extract_safely(broken, tmp_path / "target")
