"""The benches' servers as their own OS processes, started as users do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from adapters.settings import Settings
from api.bench.servers import lifetime

START_TIMEOUT = 90.0


def motcua_env(settings: Settings, extra: Mapping[str, str] = {}) -> dict[str, str]:
    """The environment of a motcua process on ``settings`` (nothing inherited
    from this process's own ``MOTCUA_*``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env["MOTCUA_DATABASE_URL"] = settings.database_url
    env["MOTCUA_DATA_DIR"] = str(settings.data_dir)
    if settings.redis_url:
        env["MOTCUA_REDIS_URL"] = settings.redis_url
    if settings.nats_url:
        env["MOTCUA_NATS_URL"] = settings.nats_url
    env.update({f"MOTCUA_{k}": v for k, v in settings.options.items()})
    env.update(extra)
    return env


@contextmanager
def process(
    args: Sequence[str], env: Mapping[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs ``args`` in its own session; stops the whole group on exit."""
    with log_path.open("ab") as log:
        # SIGTERM if this process dies: a server then stops its own workers.
        popen = lifetime.popen(
            args,
            death_signal=signal.SIGTERM,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield popen
    finally:
        if popen.poll() is None:
            os.killpg(popen.pid, signal.SIGTERM)
            try:
                popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, signal.SIGKILL)
                popen.wait(10)


def wait_until(
    ready: str,
    popen: subprocess.Popen[bytes],
    log_path: Path,
    *,
    started: str | None = None,
    count: int = 1,
) -> None:
    """Until ``ready`` answers 200 (and ``started`` appears ``count`` times in
    the log: every worker has started, not only the first)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(
                f"{popen.args!r} exited: {log_path.read_text(errors='replace')[-2000:]}"
            )
        try:
            answered = httpx.get(ready, timeout=2).status_code == 200
        except httpx.HTTPError:
            answered = False
        text = log_path.read_text(errors="replace") if started else ""
        if answered and (started is None or text.count(started) >= count):
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"{ready} not ready in {START_TIMEOUT:.0f} s: "
        f"{log_path.read_text(errors='replace')[-2000:]}"
    )


def python_module(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def motcua(*args: str) -> list[str]:
    """A ``motcua`` subcommand run by this interpreter."""
    return python_module("api.cli", *args)


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) so far of ``root`` and every process under it
    (``/proc``; Linux, as ``wrk`` and the services are). A process that ended
    is no longer counted: measure around work, not across restarts."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    tree, pending = set(), [root]
    while pending:
        pid = pending.pop()
        if pid in tree or pid not in ticks:
            continue
        tree.add(pid)
        pending.extend(child for child, parent in parents.items() if parent == pid)
    # Summed in ticks: float sums of 0.01 s parts compare unequal to the same total.
    return sum(ticks[pid] for pid in tree) / tick
