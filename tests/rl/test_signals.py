"""Stop signals are remembered and acted on at safe points: never between two files, never as a KeyboardInterrupt."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import rl.checkpoints
from rl import train
from rl.checkpoints import latest_checkpoint, save_checkpoint
from rl.signals import GUARD, Interrupted, SignalGuard
from tests.experiments.conftest import REPO
from tests.rl.test_job import tiny


def test_a_signal_is_recorded_not_raised_and_the_old_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    guard = SignalGuard()
    with guard.installed():
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C
        assert guard.received == signal.SIGINT and guard.name == "SIGINT"
        os.kill(os.getpid(), signal.SIGTERM)
        assert guard.received == signal.SIGINT  # the first one counts
    assert signal.getsignal(signal.SIGINT) is before


def _signal_self_expecting_no_return(signum: signal.Signals) -> None:
    os.kill(os.getpid(), signum)
    raise AssertionError("not reached")


_LATE_SIGNAL = """
import os, signal, threading
from rl.signals import GUARD
with GUARD.installed(afterwards=signal.SIG_IGN):
    worker = threading.Event()
    threading.Thread(target=worker.wait, daemon=True).start()  # as torch's threads: the signal may land in one
print(signal.getsignal(signal.SIGTERM) is signal.SIG_IGN, flush=True)
os.kill(os.getpid(), signal.SIGTERM)  # the runner's forwarded stop, after the job has ended
os.kill(os.getpid(), signal.SIGINT)
print("exited on its own", flush=True)
"""


def test_a_process_that_ends_with_the_guard_ignores_a_late_stop_signal_in_any_thread() -> None:
    done = subprocess.run([sys.executable, "-c", _LATE_SIGNAL], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert (done.returncode, done.stdout.split("\n")[:2]) == (0, ["True", "exited on its own"]), done.stderr


def test_interruptible_blocks_raise_once_and_the_second_signal_is_only_recorded() -> None:
    guard = SignalGuard()
    with guard.installed():
        with pytest.raises(Interrupted, match="SIGTERM"), guard.interruptible():
            _signal_self_expecting_no_return(signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the job writes its checkpoint: no exception
        with pytest.raises(Interrupted), guard.interruptible():
            raise AssertionError("a signal already received interrupts at once")


def test_a_signal_during_a_checkpoint_write_lets_the_write_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rl.algorithms import build_algorithm
    from rl.config import RLConfig
    from rl.env_factory import make_training_env

    config = RLConfig.model_validate(tiny("dqn"))
    model = build_algorithm(
        config.algo, make_training_env(config.env, seed=0, gamma=0.99), seed=0, device="cpu", tensorboard_log=None
    )
    real = rl.checkpoints.save_model_dir

    def interrupted_write(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # SageMaker's stop, in the middle of the checkpoint's files
        real(*args, **kwargs)

    monkeypatch.setattr(rl.checkpoints, "save_model_dir", interrupted_write)
    with GUARD.installed():
        saved = save_checkpoint(tmp_path, model, state={}, keep=1, config=config)
        assert GUARD.received == signal.SIGTERM
    assert latest_checkpoint(tmp_path) == saved and (saved.path / "parameters.pt").is_file()


def test_ctrl_c_in_a_notebook_stops_training_with_a_checkpoint_and_the_next_train_continues(tmp_path: Path) -> None:
    def interrupt_once(line: str) -> None:
        match = re.match(r"timesteps=(\d+)", line)
        if match and int(match[1]) >= 128 and GUARD.received is None:
            os.kill(os.getpid(), signal.SIGINT)  # what Jupyter's "interrupt kernel" sends

    stopped = train(tiny(total_timesteps=1024), tmp_path, progress_bar=False, log=interrupt_once)
    assert stopped.interrupted and 128 <= stopped.timesteps < 1024
    assert latest_checkpoint(stopped.checkpoint_dir).timesteps == stopped.timesteps
    lines: list[str] = []
    finished = train(tiny(total_timesteps=1024), tmp_path, progress_bar=False, log=lines.append)
    assert not finished.interrupted and finished.timesteps >= 1024  # whole rollouts from where it stopped
    assert any(line.startswith(f"resuming from checkpoint step_{stopped.timesteps:012d}") for line in lines)
