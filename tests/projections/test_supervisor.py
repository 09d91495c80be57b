"""One child per group: stopped together, restarted when one dies."""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from projections.supervisor import GroupFailedError, Supervisor, run_once


def _follower(folder: Path, index: int, names: list[str]) -> None:
    """Records its pid, then runs until SIGTERM (like a projector child)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    (folder / f"{index}-{os.getpid()}").write_text(",".join(names))
    while not stop.wait(0.05):
        pass
    (folder / f"{index}-{os.getpid()}.stopped").write_text("")


def _pids(folder: Path, index: int) -> list[int]:
    return sorted(
        int(p.name.split("-")[1])
        for p in folder.iterdir()
        if p.name.startswith(f"{index}-") and not p.name.endswith(".stopped")
    )


def _until(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    status = Path(f"/proc/{pid}/stat")
    return not status.exists() or status.read_text().split()[2] != "Z"


def test_stop_ends_every_child_cleanly(tmp_path: Path) -> None:
    groups = [["a", "b"], ["c"], ["d"]]
    supervisor = Supervisor(groups, lambda i, n: _follower(tmp_path, i, n))
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(supervisor.run(stop)))
    runner.start()
    _until(lambda: all(_pids(tmp_path, i) for i in range(3)))
    pids = [_pids(tmp_path, i)[0] for i in range(3)]
    assert (tmp_path / f"0-{pids[0]}").read_text() == "a,b"
    stop.set()
    runner.join(30)
    assert result == [0]
    for index, pid in enumerate(pids):
        assert (tmp_path / f"{index}-{pid}.stopped").exists()
        assert not _alive(pid)


def test_a_killed_child_is_started_again_and_the_others_go_on(tmp_path: Path) -> None:
    supervisor = Supervisor(
        [["a"], ["b"]], lambda i, n: _follower(tmp_path, i, n), pause=0.1
    )
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(supervisor.run(stop)))
    runner.start()
    try:
        _until(lambda: _pids(tmp_path, 0) and _pids(tmp_path, 1))
        (victim,) = _pids(tmp_path, 0)
        (other,) = _pids(tmp_path, 1)
        os.kill(victim, signal.SIGKILL)
        _until(lambda: len(_pids(tmp_path, 0)) == 2)
        successor = next(p for p in _pids(tmp_path, 0) if p != victim)
        assert _alive(successor)
        assert _pids(tmp_path, 1) == [other]  # untouched
        assert _alive(other)
        # the child may write its file before the parent records its process
        _until(lambda: supervisor.pids == [successor, other])
    finally:
        stop.set()
        runner.join(30)
    assert result == [0]


def test_quick_failures_back_off(tmp_path: Path) -> None:
    starts: list[float] = []

    def crash(index: int, names: list[str]) -> None:
        (tmp_path / f"{time.monotonic()}").write_text("")
        raise SystemExit(3)

    supervisor = Supervisor([["a"]], crash, pause=0.2, max_pause=0.8)
    stop = threading.Event()
    runner = threading.Thread(target=lambda: supervisor.run(stop))
    runner.start()
    _until(lambda: len(list(tmp_path.iterdir())) >= 4, timeout=30)
    stop.set()
    runner.join(30)
    starts = sorted(float(p.name) for p in tmp_path.iterdir())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # 0.2, 0.4, 0.8 (capped) between restarts, plus fork time
    assert gaps[0] >= 0.2
    assert gaps[1] >= 0.4
    assert gaps[2] >= 0.8


def test_a_killed_parent_takes_its_children_along(tmp_path: Path) -> None:
    """SIGKILL of the supervising process: each child gets SIGTERM from the
    kernel (parent-death signal) and stops cleanly."""
    parent = os.fork()
    if parent == 0:  # pragma: no cover - the forked supervisor
        try:
            Supervisor([["a"], ["b"]], lambda i, n: _follower(tmp_path, i, n)).run(
                threading.Event()
            )
        finally:
            os._exit(0)
    try:
        _until(lambda: _pids(tmp_path, 0) and _pids(tmp_path, 1))
        children = [_pids(tmp_path, 0)[0], _pids(tmp_path, 1)[0]]
    finally:
        os.kill(parent, signal.SIGKILL)
        os.waitpid(parent, 0)
    _until(lambda: not any(_alive(pid) for pid in children))
    for index, pid in enumerate(children):
        assert (tmp_path / f"{index}-{pid}.stopped").exists()


def test_run_once_returns_results_in_group_order() -> None:
    def task(index: int, names: list[str], advance: object) -> str:
        time.sleep(0.05 * (2 - index))  # later groups finish first
        advance(len(names))  # type: ignore[operator]
        return f"{index}:{'+'.join(names)}:{os.getpid()}"

    seen: dict[int, int] = {}
    results = run_once(
        [["a", "b"], ["c"], ["d"]], task, lambda i, done: seen.__setitem__(i, done)
    )
    assert [r.split(":")[:2] for r in results] == [["0", "a+b"], ["1", "c"], ["2", "d"]]
    assert len({r.split(":")[2] for r in results} | {str(os.getpid())}) == 4
    assert seen == {0: 2, 1: 1, 2: 1}


def test_run_once_fails_when_a_group_fails_after_all_ended(tmp_path: Path) -> None:
    def task(index: int, names: list[str], advance: object) -> int:
        if index == 1:
            raise RuntimeError("boom in group one")
        time.sleep(0.3)
        (tmp_path / str(index)).write_text("done")
        return index

    with pytest.raises(GroupFailedError, match="boom in group one") as failed:
        run_once([["a"], ["b"], ["c"]], task)
    assert "group 1 (b)" in str(failed.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0", "2"]


def test_run_once_reports_a_child_killed_without_a_result() -> None:
    def task(index: int, names: list[str], advance: object) -> int:
        if index == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        return index

    with pytest.raises(GroupFailedError, match="exit code -9"):
        run_once([["a"], ["b"]], task)
