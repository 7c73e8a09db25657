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
