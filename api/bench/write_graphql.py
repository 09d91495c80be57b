"""``motcua bench write --via graphql``: officer mutations over HTTP vs ``OneStop``.

The application side is what an officer's client gets: ``motcua serve`` runs
as its own process (production logging, one uvicorn worker) on a scratch
PostgreSQL database, and a load generator in *another* process
(``api.bench.mutation_load``) sends ``receiveDossier`` + ``forwardDossier``
over ``writers`` keep-alive connections. The reference is the direct path of
``motcua bench write`` (``OneStop`` called in this process by ``writers``
threads) on the same database, alternating with it round by round. The
generator's and the server's CPU use are reported, so a reader can check the
generator was never the bottleneck, and so is the CPU each side spends per
command (the serve process per mutation, this process per direct command):
the figure that moves least with the machine's load. ``served`` settings
(``--set NAME=VALUE``) go to the serve process only, e.g.
``GRAPHQL_FAST_PATH=n`` to measure the mutations through strawberry.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.keys import load_or_create_signing_key
from adapters.settings import Settings
from api.auth import AccessLevel, TokenIssuer
from api.bench.catalogue import APPLICANT, DESK, FORWARD_TO, PROCEDURE
from api.bench.processes import motcua, motcua_env, process, wait_until
from api.bench.report import BenchReport, RoundReport
from api.bench.servers.base import find_free_port
from api.bench.write import EVENTS_PER_DOSSIER, _AppSide, _scratch_database
from domain.values import Role

NAME = "write-graphql"
UNIT = "commands/s over GraphQL (reference: OneStop direct, same writers)"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class _Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the serve process and its workers so far
        (Linux ``/proc``: a worker's own time, its children's once reaped)."""
        return sum(_cpu_of(pid) for pid in [self.pid, *_children(self.pid)])

    def loop_cpu_seconds(self) -> float:
        """The part of it on the workers' event-loop threads (each process's
        main thread: uvicorn runs the loop there; commands and pools run on
        other threads)."""
        return sum(_cpu_of(pid, pid) for pid in [self.pid, *_children(self.pid)])


def _cpu_of(pid: int, thread: int | None = None) -> float:
    """CPU seconds of process ``pid``, or of its ``thread`` alone."""
    where = f"/proc/{pid}" if thread is None else f"/proc/{pid}/task/{thread}"
    try:
        stat = Path(f"{where}/stat").read_text()
    except FileNotFoundError:  # ended meanwhile
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def _served(
    database_url: str,
    data_dir: Path,
    workers: int = 1,
    options: Mapping[str, str] = {},
) -> Iterator[_Server]:
    """``motcua serve --workers N`` on ``database_url`` as its own process."""
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        options={**options, "PROJECTOR": "separate"},
    )
    port = find_free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "serve.log"
    with process(
        motcua("serve", "--port", str(port), "--workers", str(workers)),
        motcua_env(settings),
        log,
    ) as server:
        wait_until(f"{url}/healthz", server, log)
        yield _Server(url, server.pid)


@dataclass(frozen=True)
class _Round:
    graphql: float
    """Mutations per second."""
    direct: float
    """Direct commands per second."""
    generator_load: float
    server_load: float
    order: str
    server_cpu_us: float
    """CPU of the serve process per mutation."""
    loop_cpu_us: float
    """The part of it on the event-loop threads."""
    direct_cpu_us: float
    """CPU of this process per direct command."""


def _timed(direct: _AppSide, pairs: int) -> tuple[float, float]:
    """Seconds and CPU seconds of ``pairs`` direct dossiers."""
    cpu = _own_cpu()
    seconds = direct.run(pairs)
    return seconds, _own_cpu() - cpu


def _generate(job: dict[str, Any]) -> dict[str, Any]:
    """Run the load generator process once; its JSON result."""
    done = subprocess.run(
        [sys.executable, "-m", "api.bench.mutation_load", json.dumps(job)],
        capture_output=True,
        check=False,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["failures"]:
        raise RuntimeError(
            f"{result['failures']} mutations failed, e.g. {result['first_failure']}"
        )
    return result


def run_write_graphql_benchmark(
    database_url: str | None,
    *,
    commands: int,
    rounds: int,
    writers: int = 1,
    warmup: int | None = None,
    api_workers: int = 1,
    served: Mapping[str, str] = {},
) -> BenchReport:
    """``rounds`` rounds of ``commands`` mutations vs as many direct commands."""
    if commands < 2 or commands % 2:
        raise ValueError("commands must be an even number ≥ 2 (receive + forward)")
    if rounds < 1 or writers < 1 or api_workers < 1:
        raise ValueError("rounds, writers and api_workers must be ≥ 1")
    pairs = commands // 2
    warm = max(1, min(60, pairs) if warmup is None else warmup)
    with (
        _scratch_database(database_url, keep=False) as (url, where),
        tempfile.TemporaryDirectory(prefix="motcua-bench-") as folder,
    ):
        data_dir = Path(folder)
        direct = _AppSide(url, writers)  # seeds the bench catalogue
        key, kid = load_or_create_signing_key(data_dir)
        token = TokenIssuer(key, kid).issue(
            AccessLevel.OFFICER,
            subject=DESK.id,
            agency=DESK.agency_code,
            department=DESK.department,
            roles=(Role.DESK,),
            ttl=timedelta(hours=6),
        )
        try:
            with _served(url, data_dir, api_workers, served) as server:
                job = {
                    "url": server.url,
                    "token": token,
                    "writers": writers,
                    "procedure": PROCEDURE,
                    "applicant_id": APPLICANT.id,
                    "name": APPLICANT.name,
                    "to": FORWARD_TO.agency_code,
                    "department": FORWARD_TO.department,
                }
                _generate(job | {"pairs": warm})
                direct.run(warm)
                measured: list[_Round] = []
                transactions = 0
                for index in range(rounds):
                    graphql_first = index % 2 == 0
                    if not graphql_first:
                        direct_seconds, direct_cpu = _timed(direct, pairs)
                    server_cpu = server.cpu_seconds()
                    loop_cpu = server.loop_cpu_seconds()
                    before = direct.last_position()
                    generated = _generate(job | {"pairs": pairs})
                    server_cpu = server.cpu_seconds() - server_cpu
                    loop_cpu = server.loop_cpu_seconds() - loop_cpu
                    transactions += direct.transactions(before, direct.last_position())
                    if graphql_first:
                        direct_seconds, direct_cpu = _timed(direct, pairs)
                    measured.append(
                        _Round(
                            commands / generated["seconds"],
                            commands / direct_seconds,
                            generated["cpu_seconds"] / generated["seconds"],
                            server_cpu / generated["seconds"],
                            "graphql,direct" if graphql_first else "direct,graphql",
                            server_cpu / commands * 1e6,
                            loop_cpu / commands * 1e6,
                            direct_cpu / commands * 1e6,
                        )
                    )
            written = direct.events_written()
            dossiers = direct.dossiers + warm + pairs * rounds
        finally:
            direct.close()
    if written != dossiers * EVENTS_PER_DOSSIER:
        raise RuntimeError(
            f"{written} events written, expected {dossiers * EVENTS_PER_DOSSIER}"
        )
    graphql_median = statistics.median(m.graphql for m in measured)
    direct_median = statistics.median(m.direct for m in measured)
    settings = ", ".join(f"MOTCUA_{k}={v}" for k, v in sorted(served.items()))
    return BenchReport(
        name=NAME,
        app=graphql_median,
        reference=direct_median,
        ratio=graphql_median / direct_median,
        rounds=tuple(RoundReport(m.graphql, m.direct, m.order) for m in measured),
        unit=UNIT,
        notes=(
            f"writers: {writers} keep-alive connections (GraphQL) / threads (direct)",
            f"app: `motcua serve --workers {api_workers}` (own processes"
            f"{'; ' + settings if settings else ''}) ← load generator "
            "process (http.client): receiveDossier + forwardDossier per dossier",
            f"load generator CPU (median, of one core): "
            f"{statistics.median(m.generator_load for m in measured):.0%}; serve "
            f"process CPU: {statistics.median(m.server_load for m in measured):.0%}",
            f"CPU per command (median): serve process "
            f"{statistics.median(m.server_cpu_us for m in measured):.0f} µs per "
            f"mutation (event-loop threads "
            f"{statistics.median(m.loop_cpu_us for m in measured):.0f} µs), "
            "direct path "
            f"{statistics.median(m.direct_cpu_us for m in measured):.0f} µs per "
            "command (this process)",
            f"reference: OneStop in this process, {pairs} dossiers per round, "
            "same database, rounds alternating",
            f"GraphQL side: {commands * rounds} mutations in {transactions} "
            f"transactions ({commands * rounds / max(transactions, 1):.2f} saves "
            "each, counted by xmin in the events table)",
            f"median of {rounds} rounds; median of per-round ratios "
            f"{statistics.median(m.graphql / m.direct for m in measured):.3f}",
            f"server: {where}",
        ),
    )
