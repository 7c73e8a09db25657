"""Filesystem faults give a clear message naming the path; a full disk still gets its failure reason out."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.experiments.conftest import sagelab, tiny_rl_config


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A small tmpfs at ``where`` (root only); the test is skipped where mounting is impossible."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=False, capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_read_only_output_directory_is_a_clear_error(tmp_path: Path, write_config) -> None:
    config = write_config(tiny_rl_config())
    with tmpfs(tmp_path / "readonly", "ro,size=1m") as readonly:
        done = sagelab("run", config, "--output-dir", readonly, "--job-name", "job", "--quiet")
    assert done.returncode == 2
    assert f"cannot create job directory {readonly / 'job'}: Read-only file system" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_full_disk_still_writes_the_failure_reason_and_says_where_the_log_stopped(
    tmp_path: Path, write_config
) -> None:
    config = write_config(tiny_rl_config(total_timesteps=50_000, checkpoint={"frequency": 256, "keep": 50}))
    with tmpfs(tmp_path / "disk", "size=10m") as disk:
        filler = disk / "filler"
        with open(filler, "wb") as stream:  # leave ~600 KB: the job starts, then its checkpoints fill the disk
            stream.write(b"\0" * (10 * 1024 * 1024 - 600 * 1024))
        done = sagelab("run", config, "--output-dir", disk, "--job-name", "job", "--quiet")
        job = disk / "job"
        failure = (job / "output" / "failure").read_text()
        log = (job / "job.log").read_text()
        leftovers = [p.name for p in (job / "checkpoints").iterdir() if p.name.startswith(".")]
    assert done.returncode == 1, done.stdout + done.stderr
    assert "No space left on device" in failure, failure
    assert failure.strip() and len(failure) <= 1025
    assert "failed (1)" in done.stdout
    # the log either holds the whole story or the runner said where and why it stopped
    assert "No space left on device" in log or "job.log stopped after" in done.stderr, log[-2000:] + done.stderr
    assert leftovers == []  # the failed checkpoint write removed its staging directory
