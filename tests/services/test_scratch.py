"""Scratch folders go with the process that made them: at its exit, or, when
it was killed (SIGKILL: no atexit), at the next process's first scratch
folder. Each test points the temp folder at its own ``tmp_path``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.bench.servers import scratch

ROOT = Path(__file__).resolve().parents[2]

#: Makes a test PKI folder and starts a Redis (its folder in the run folder
#: too), writes both paths to argv[1] and waits to be killed.
KEEPS_RUNNING = """
import pathlib, sys, time
from api.bench.servers import scratch
from tests.services import TemporaryRedis
pki = scratch.folder("motcua-test-pki-")
(pki / "root.pem").write_text("x")
redis = TemporaryRedis().start()
out = pathlib.Path(sys.argv[1])
out.with_suffix(".tmp").write_text(f"{pki}\\n{redis.directory}\\n{redis.pid}")
out.with_suffix(".tmp").rename(out)
time.sleep(600)
"""

#: Makes one scratch folder, prints it and exits normally.
EXITS = """
from api.bench.servers import scratch
print(scratch.folder("motcua-next-"))
"""


def _runs(root: Path) -> list[Path]:
    return sorted(root.glob(f"{scratch.PREFIX}*"))


def _python(
    code: str, tmp: Path, *args: str, stdout: int | None = None
) -> subprocess.Popen[bytes]:
    """``code`` in a new Python whose temp folder is ``tmp``."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, stdout=stdout
    )


@pytest.mark.redis
def test_a_killed_run_s_folders_go_when_the_next_run_starts(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "paths"
    killed = _python(KEEPS_RUNNING, tmp, str(out))
    try:
        deadline = time.monotonic() + 60
        while not out.exists():
            assert killed.poll() is None, "the first run ended on its own"
            assert time.monotonic() < deadline, "the first run did not start"
            time.sleep(0.1)
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    pki, redis, redis_pid = out.read_text().split("\n")
    (left,) = _runs(tmp)
    assert left.name.startswith(f"{scratch.PREFIX}{killed.pid}-")
    assert Path(pki).parent == left
    assert Path(redis).parent == left
    assert (Path(pki) / "root.pem").exists()  # a SIGKILL removes nothing
    deadline = time.monotonic() + 30  # its Redis dies with it (lifetime)
    while scratch.started(int(redis_pid)) and time.monotonic() < deadline:
        time.sleep(0.1)

    following = _python(EXITS, tmp, stdout=subprocess.PIPE)
    made = Path(following.communicate(timeout=60)[0].decode().strip())
    assert following.returncode == 0
    assert not left.exists()  # swept by the next run's first folder
    assert made.parent.parent == tmp
    assert made.parent.name.startswith(f"{scratch.PREFIX}{following.pid}-")
    assert _runs(tmp) == []  # and that run's own folder went at its exit


def test_the_sweep_keeps_running_owners_and_what_is_not_a_run_folder(
    tmp_path: Path,
) -> None:
    me = os.getpid()
    mine = tmp_path / f"{scratch.PREFIX}{me}-{scratch.started(me)}"
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead = tmp_path / f"{scratch.PREFIX}{ended.pid}-{scratch.started(me)}"
    others = [
        tmp_path / f"{scratch.PREFIX}{me}",  # no start time
        tmp_path / f"{scratch.PREFIX}x-1",
        tmp_path / "motcua-postgres-abc",
    ]
    for folder in (mine, dead, *others):
        (folder / "inside").mkdir(parents=True)
    file_like_a_run = tmp_path / f"{scratch.PREFIX}{ended.pid}-1"
    file_like_a_run.write_text("not a folder")

    assert scratch.sweep(tmp_path) == [dead]
    assert not dead.exists()
    assert all(folder.is_dir() for folder in (mine, *others))
    assert file_like_a_run.is_file()


@settings(max_examples=25, deadline=None)
@given(shift=st.integers(min_value=1, max_value=2**40))
def test_a_pid_given_to_another_process_does_not_keep_a_dead_run(
    shift: int,
) -> None:
    """Same pid, another start time: the pid was reused, the owner is gone."""
    me = os.getpid()
    start = scratch.started(me)
    assert scratch.running(me, start)
    assert not scratch.running(me, start + shift)
    if start > shift:
        assert not scratch.running(me, start - shift)


def test_a_killed_process_not_yet_reaped_is_not_running() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    start = scratch.started(child.pid)
    assert scratch.running(child.pid, start)
    child.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while scratch.running(child.pid, start) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not scratch.running(child.pid, start)  # a zombie until waited
    finally:
        child.wait()


def test_this_process_keeps_one_run_folder_for_its_scratch_folders() -> None:
    first, second = scratch.folder("motcua-a-"), scratch.folder("motcua-b-")
    assert first != second
    assert first.parent == second.parent == scratch.run_folder()
    assert first.parent.name == f"{scratch.PREFIX}{os.getpid()}-" + str(
        scratch.started(os.getpid())
    )
    assert first.parent.stat().st_mode & 0o777 == 0o711
