"""milp in a worker process: the same plans as in-process, a crashed worker survived, no worker left behind."""

from __future__ import annotations

import gc
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import milp

from envs._isolated_milp import IsolatedMILP, SolverCrashed
from envs._vrp_mip import _Model
from envs.vehicle_routing import OrderAcceptanceMIPPolicy, VehicleRoutingEnv
from tests.envs.vrp_states import crowded_model, state_of

pytestmark = pytest.mark.skipif(not Path("/proc/self").exists(), reason="reads process states from /proc")


@pytest.fixture(autouse=True)
def no_core_dumps():
    """The tests crash workers with SIGSEGV: no core file in the working directory (workers inherit the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    yield
    resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


def gone(pid: int, within: float = 5.0) -> bool:
    """Whether process ``pid`` has ended and been reaped (a zombie still has its /proc entry)."""
    deadline = time.monotonic() + within
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not Path(f"/proc/{pid}").exists()


def busy_state(seed: int) -> VehicleRoutingEnv:
    """A state with open, accepted and carried orders, small enough for HiGHS to prove optimal at once."""
    env = VehicleRoutingEnv(n_orders=5)
    env.reset(seed=seed)
    core, rng = env._core, np.random.default_rng(seed)
    core.orders[0] = rng.integers(-5, 6, size=(5, 2))
    core.restaurant_of[0], core.value[0] = rng.integers(2, size=5), rng.uniform(1, 12, size=5)
    core.status[0], core.elapsed[0] = [1, 1, 1, 2, 3], rng.integers(0, 10, size=5)
    core.load[0] = 1
    return env


def test_worker_solves_give_the_plans_of_in_process_milp():
    solver = IsolatedMILP()
    try:
        for seed in (1, 2):
            env = busy_state(seed)
            model = _Model(env.params, state_of(env), list(range(5)), time_value=0.7)
            here = model.solve(time_limit=30.0, gap=0.0)
            there = model.solve(time_limit=30.0, gap=0.0, solver=solver.milp)
            assert here is not None and here[2]
            assert there == here
        assert solver.cpu_seconds > 0
    finally:
        solver.close()


def test_worker_raises_what_milp_raises_and_keeps_serving():
    solver = IsolatedMILP()
    try:
        with pytest.raises(ValueError, match="integrality"):
            solver.milp(np.ones(2), integrality=np.ones(3))
        pid = solver.pid
        result = solver.milp(-np.ones(2), integrality=np.ones(2), bounds=(0, 1))
        np.testing.assert_array_equal(result.x, milp(-np.ones(2), integrality=np.ones(2), bounds=(0, 1)).x)
        assert solver.pid == pid
    finally:
        solver.close()


@pytest.mark.slow
def test_a_worker_killed_mid_solve_costs_that_solve_and_the_next_starts_a_new_one():
    solver = IsolatedMILP()
    try:
        solver.milp(-np.ones(2), integrality=np.ones(2), bounds=(0, 1))
        pid = solver.pid
        assert pid is not None
        os.kill(pid, signal.SIGTERM)  # a stop signal to the process group: the worker ignores it
        os.kill(pid, signal.SIGINT)
        solver.milp(-np.ones(2), integrality=np.ones(2), bounds=(0, 1))
        assert solver.pid == pid
        threading.Timer(0.5, os.kill, (pid, signal.SIGSEGV)).start()
        with pytest.raises(SolverCrashed, match="SIGSEGV"):
            crowded_model().solve(time_limit=10.0, gap=0.0, solver=solver.milp)
        assert gone(pid) and solver.pid is None
        assert crowded_model().solve(time_limit=0.2, gap=0.0, solver=solver.milp) is not None
        assert solver.pid not in (None, pid)
    finally:
        solver.close()


def test_a_worker_that_hangs_past_its_time_limit_is_killed_and_the_next_solve_starts_a_new_one():
    solver = IsolatedMILP(hang_grace=1.0)
    try:
        solver.milp(-np.ones(2), integrality=np.ones(2), bounds=(0, 1))
        pid = solver.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # a hang: alive, never answering
        started = time.monotonic()
        with pytest.raises(SolverCrashed, match=r"hung in a solve and was killed \(no answer in 1.1 s\)"):
            solver.milp(-np.ones(2), integrality=np.ones(2), bounds=(0, 1), options={"time_limit": 0.1})
        assert time.monotonic() - started < 10
        assert gone(pid) and solver.pid is None
        result = solver.milp(-np.ones(2), integrality=np.ones(2), bounds=(0, 1), options={"time_limit": 0.1})
        assert result.status == 0 and solver.pid not in (None, pid)
    finally:
        solver.close()


@pytest.mark.slow
def test_mip_policy_survives_a_solver_crash_keeps_its_plan_and_warns_once():
    env = VehicleRoutingEnv(episode_length=60)
    obs, _ = env.reset(seed=3)
    policy = OrderAcceptanceMIPPolicy(episode_length=60)
    killed: list[int] = []
    crashed_at = None
    for step in range(60):
        if policy._solver.pid is not None and len(killed) < 2 and policy.solves >= 2 * (len(killed) + 1):
            killed.append(policy._solver.pid)
            os.kill(killed[-1], signal.SIGSEGV)  # between two solves: the next one finds the worker dead
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            action, _ = policy.predict(obs)
        crashes = [w for w in warned if "HiGHS crashed" in str(w.message)]
        if crashes:
            assert crashed_at is None, "warned twice"
            crashed_at = step
            assert "HiGHS crashed (SIGSEGV) in a solve" in str(crashes[0].message)
        obs, _, _, truncated, info = env.step(action)
        assert not info.get("invalid_action", False)
    assert truncated and len(killed) == 2 and policy.crashes == 2 and crashed_at is not None
    assert all(gone(pid) for pid in killed)
    assert policy._solver.pid not in (None, *killed)  # solves went on with a new worker
    policy.close()


def test_the_worker_ends_when_the_policy_is_closed_or_collected():
    for ending in ("close", "del"):
        env = busy_state(0)
        policy = OrderAcceptanceMIPPolicy(n_orders=5)
        policy.predict(env._core.observations()[0])
        pid = policy._solver.pid
        assert pid is not None and policy.solves == 1
        if ending == "close":
            policy.close()
        else:
            del policy
            gc.collect()
        assert gone(pid), f"worker {pid} still there after {ending}"


@pytest.mark.slow
def test_the_worker_ends_when_its_parent_is_killed():
    script = (
        "import sys, numpy as np; from envs._isolated_milp import IsolatedMILP; s = IsolatedMILP(); "
        "s.milp(-np.ones(2), integrality=np.ones(2), bounds=(0, 1)); print(s.pid, flush=True); sys.stdin.read()"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as parent:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        parent.kill()
    deadline = time.monotonic() + 5.0
    while running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(worker)


def running(pid: int) -> bool:
    """Whether ``pid`` runs: an orphan is reaped by init, which in a container may never do it (a zombie has ended)."""
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
