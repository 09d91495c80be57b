"""Servers the harness starts die with the test run, even one killed with
SIGKILL (no teardown, no atexit): nothing is left behind with ppid 1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.services import TemporaryRedis

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = Path(__file__).with_name("orphan_payload.py")


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _parent_of(int(entry))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    found: set[int] = set()
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its (dead) parent's reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.nats
def test_killed_test_run_leaves_no_server_behind(tmp_path: Path) -> None:
    out = tmp_path / "pids.json"
    env = {**os.environ, "SUITE_PAYLOAD_OUT": str(out)}
    env.pop("MOTCUA_TEST_POSTGRES_URL", None)  # the run must start its own
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PAYLOAD)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 240
        while not out.exists():
            assert run.poll() is None, run.communicate()[0].decode()
            assert time.monotonic() < deadline, "the payload run did not start"
            time.sleep(0.2)
        pids = json.loads(out.read_text())
        started = _descendants(run.pid)
        named = {pids["postgres"], pids["redis"], pids["nats"], pids["serve"]}
        named |= {pids["redis_from_thread"], *pids["projector"]}
        # Every server was running (the thread-started one outlived its thread).
        assert named <= started, (named, started)
        assert all(_alive(pid) for pid in named)
        assert len(started) > len(named)  # postgres backends, etc.
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + 60
    while (left := {pid for pid in started if _alive(pid)}) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert not left, f"left behind: {left}"


@pytest.mark.redis
def test_server_started_from_a_thread_outlives_the_thread() -> None:
    """The kernel's parent-death signal follows the forking *thread*; a server
    started from a thread that ends must keep running."""
    started: list[TemporaryRedis] = []
    thread = threading.Thread(target=lambda: started.append(TemporaryRedis().start()))
    thread.start()
    thread.join()
    server = started[0]
    try:
        time.sleep(0.5)
        assert server.running
        assert server._probe()
    finally:
        server.stop()
    assert server.pid is None


@pytest.mark.redis
def test_killed_parent_takes_its_server_down(tmp_path: Path) -> None:
    """A plain process (not pytest) that started a server and is then killed."""
    out = tmp_path / "pid"
    script = (
        "import pathlib, sys, time\n"
        "from tests.services import TemporaryRedis\n"
        "server = TemporaryRedis().start()\n"
        "pathlib.Path(sys.argv[1]).write_text(str(server.pid))\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(out)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not out.exists() or not out.read_text():
            assert parent.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.1)
        pid = int(out.read_text())
        assert _alive(pid)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
