"""Helpers for the reliability tests: real ``sagelab run`` processes, started, watched, signalled and killed."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.experiments.conftest import REPO, tiny_rl_config

USER_CODE = Path(__file__).parent / "user_code"  # sagelab_pauses: holds a job at a phase until it is signalled


def paused_config(**changes: object) -> dict:
    """The tiny CartPole job with the pausing user code (inactive unless ``pause_env`` is given to the runner)."""
    config = tiny_rl_config(
        code={"source_dir": str(USER_CODE)},
        env={"id": "CartPole-v1", "n_envs": 2, "wrappers": ["sagelab_pauses.PauseInTraining"]},
        evaluation={"episodes": 3, "frequency": 0},
    )
    return {**config, **changes}


def pause_env(phase: str, directory: Path, seeds: str = "", jobs: str = "") -> dict[str, str]:
    """The runner's environment that makes the job (or the runner) pause at ``phase`` (in training: the jobs of
    ``seeds`` and of the directory names ``jobs`` only, if given)."""
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "SAGELAB_PAUSE_AT": phase,
        "SAGELAB_PAUSE_DIR": str(directory),
        "SAGELAB_PAUSE_SEEDS": seeds,
        "SAGELAB_PAUSE_JOBS": jobs,
    }


def start(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``sagelab ARGS`` in its own session (process group), as from a terminal: signals to the group reach both."""
    return subprocess.Popen(
        [sys.executable, "-m", "experiments.cli", *map(str, args)],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_line(log: Path, text: str, process: subprocess.Popen, timeout: float = 240) -> None:
    """Wait until ``text`` appears in the job log (or fail if the runner ends first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.is_file() and text in log.read_text(encoding="utf-8", errors="replace"):
            return
        if process.poll() is not None:
            raise AssertionError(
                f"the runner ended ({process.returncode}) before the job printed {text!r}: {process.communicate()}"
            )
        time.sleep(0.05)
    raise AssertionError(f"the job did not print {text!r} within {timeout} s")


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def tree_hashes(root: Path, skip: frozenset[str] = frozenset({".lock"})) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (by relative path), except the lock file."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in skip
    }


def wait_for_pause(
    directory: Path, phase: str, process: subprocess.Popen, count: int = 1, timeout: float = 240
) -> list[str]:
    """Wait until ``count`` processes paused at ``phase`` (see tests/reliability/user_code); returns their details."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reached = list(directory.glob(f"{phase}-*"))
        if len(reached) >= count:
            return [p.read_text() for p in reached]
        if process.poll() is not None:
            raise AssertionError(f"the runner ended ({process.returncode}) before {phase}: {process.communicate()}")
        time.sleep(0.02)
    raise AssertionError(f"no job paused at {phase} within {timeout} s")


def stop_at_pause(
    *args: str | Path,
    phase: str,
    pause_dir: Path,
    send: Callable[[int], None],
    count: int = 1,
    seeds: str = "",
    jobs: str = "",
) -> tuple[list[str], int, str, str]:
    """``sagelab ARGS`` run until ``count`` jobs pause at ``phase``, then ``send(runner_pid)`` (a signal) and the
    runner's end awaited; its group is SIGKILLed if an assertion left it running. Returns the pauses' details
    and the runner's exit code, stdout and stderr."""
    runner = start(*args, env=pause_env(phase, pause_dir, seeds, jobs))
    try:
        details = wait_for_pause(pause_dir, phase, runner, count=count)
        send(runner.pid)
        code, out, err = finish(runner)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
    return details, code, out, err
