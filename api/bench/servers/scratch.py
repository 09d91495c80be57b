"""Scratch folders that go with the process that made them, even a killed one.

:mod:`lifetime` takes a killed run's servers down, but their folders (a
PostgreSQL cluster, a Redis dump, a development PKI) would stay in the temp
folder for good. So every scratch folder of a process lies in one run folder,
``motcua-run-<pid>-<start>``, named after its owner: the process removes it
at exit, and any later process removes the run folders whose owner is gone
(:func:`sweep`, on its first scratch folder), which covers SIGKILL.

The owner is its pid and its start time (Linux: clock ticks since boot, from
``/proc``), so a pid the kernel has given to another process since does not
keep a dead run's folder; elsewhere the pid alone.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

PREFIX = "motcua-run-"
_NAME = re.compile(rf"^{re.escape(PREFIX)}(\d+)-(\d+)$")

_lock = threading.Lock()
_runs: dict[int, Path] = {}  # by pid: a forked child makes its own


def folder(prefix: str) -> Path:
    """A new, empty folder for this process, gone when the process is."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=run_folder()))


def run_folder() -> Path:
    """This process's run folder (made, and the dead runs' swept, on first
    use)."""
    pid = os.getpid()
    with _lock:
        path = _runs.get(pid)
        if path is None or not path.is_dir():
            root = Path(tempfile.gettempdir())
            sweep(root)
            path = root / f"{PREFIX}{pid}-{started(pid)}"
            # Others may pass through, not list: PostgreSQL runs as its own
            # user (when we are root) in a folder handed over to it.
            path.mkdir(mode=0o711, exist_ok=True)
            path.chmod(0o711)  # whatever the umask
            if pid not in _runs:
                atexit.register(_remove_own, pid)
            _runs[pid] = path
        return path


def sweep(root: Path | None = None) -> list[Path]:
    """Remove the run folders in ``root`` (the temp folder) whose owner is no
    longer running; the ones removed."""
    base = Path(tempfile.gettempdir()) if root is None else root
    removed = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink():
            continue
        pid, start = int(match[1]), int(match[2])
        if not running(pid, start):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def running(pid: int, start: int) -> bool:
    """Whether the process ``pid`` that started at ``start`` still runs (a
    zombie, killed and not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    fields = _stat(pid)
    if fields is None:
        return start == 0
    return fields[0] != "Z" and int(fields[19]) == start


def started(pid: int) -> int:
    """When ``pid`` started, in clock ticks since boot (0 where unknown)."""
    fields = _stat(pid)
    return 0 if fields is None else int(fields[19])


def _stat(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` from field 3 (state) on: field 22, the start
    time, is item 19. The command name (field 2) may hold spaces and
    parentheses, hence the split at the last one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def _remove_own(pid: int) -> None:
    if os.getpid() != pid:  # a forked child exiting through atexit
        return
    path = _runs.pop(pid, None)
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)
