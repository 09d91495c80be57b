"""A planned lookup on a 2-worker ``motcua serve`` (PostgreSQL + Redis, separate
projector) sees an officer's change as soon as it is projected.

Both workers first answer the dossier's status (each keeps it: its own cache
and Redis), then an officer's mutation changes it; once ``/readyz`` says the
change is projected (and a worker's own cache had its bound to hear of it),
the next anonymous lookups — whichever worker takes them, the code as a
variable or inline — show the new status, and every one of them was answered
by the plan (``motcua_graphql_requests_total{path="planned"}``, per worker).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import UNLIMITED_LOOKUPS
from tests.integration.test_live_topology import (
    data,
    projected,
    received,
    request_supplement,
)
from tests.served import Served, seeded_settings, served

WORKERS = 2
STARTED = "Application startup complete."
BY_VARIABLE = (
    "query S($code: String!) { dossierStatus(code: $code) { code completion label } }"
)
INLINE = '{{ s: dossierStatus(code: "{code}") {{ completion __typename }} }}'


@pytest.fixture
def workers(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Served]:
    settings = seeded_settings(
        tmp_path / "d",
        database_url=postgres_url,
        redis_url=redis_url,
        options={**UNLIMITED_LOOKUPS, "WORKERS": str(WORKERS)},
    )
    with served(settings, projector=True) as m:
        deadline = time.monotonic() + 90
        while m.server.output().count(STARTED) < WORKERS:
            assert m.server.alive(), m.server.output()
            assert time.monotonic() < deadline, m.server.output()
            time.sleep(0.1)
        yield m


def planned_by_worker(m: Served) -> dict[int, float]:
    """Each worker's planned answers (every worker answers ``/metrics`` for
    itself: ask on new connections until both have)."""
    seen: dict[int, float] = {}
    for _ in range(200):
        text = httpx.get(f"{m.url}/metrics", timeout=10).text
        pid, planned = None, 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "motcua_worker_pid":
                    pid = int(sample.value)
                elif (
                    sample.name == "motcua_graphql_requests_total"
                    and sample.labels.get("path") == "planned"
                ):
                    planned = sample.value
        assert pid is not None
        seen[pid] = planned
        if len(seen) == WORKERS:
            return seen
    raise AssertionError(f"only {sorted(seen)} answered /metrics")


def lookups_on_both(
    m: Served, ask: Callable[[], tuple[int, str]], least: int = 6
) -> list[str]:
    """Fresh connections (the kernel spreads them) until both workers have
    answered at least ``least`` lookups in all."""
    shown: list[str] = []
    pids: set[int] = set()
    while len(pids) < WORKERS or len(shown) < least:
        assert len(shown) < 200, "the kernel never gave a connection to both workers"
        pid, completion = ask()
        pids.add(pid)
        shown.append(completion)
    return shown


def by_variable(m: Served, code: str) -> tuple[int, str]:
    response = m.graphql(BY_VARIABLE, {"code": code})
    found = data(response)["dossierStatus"]
    assert found["code"] == code
    return _worker(m, response), str(found["completion"])


def inline(m: Served, code: str) -> tuple[int, str]:
    response = m.graphql(INLINE.format(code=code))
    found = data(response)["s"]
    assert found["__typename"] == "PublicDossierStatus"
    return _worker(m, response), str(found["completion"])


def _worker(m: Served, response: httpx.Response) -> int:
    """The pid of the worker that wrote this response's access line."""
    request_id = response.headers["x-request-id"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in m.server.output().splitlines():
            if request_id in line and '"pid":' in line:
                return int(line.split('"pid":', 1)[1].split(",", 1)[0])
        time.sleep(0.02)
    raise AssertionError(f"no access line for {request_id}")


@pytest.mark.postgres
@pytest.mark.redis
def test_a_change_is_seen_by_the_next_planned_lookup_on_either_worker(
    workers: Served,
) -> None:
    m = workers
    code = received(m)
    before = planned_by_worker(m)
    # both workers answer (and keep) the old status first
    old = lookups_on_both(m, lambda: by_variable(m, code)) + lookups_on_both(
        m, lambda: inline(m, code)
    )
    assert set(old) == {"RECEIVED"}
    position = request_supplement(m, code)
    projected(m, position)
    # A worker's own cache hears of a commit through NOTIFY: no answer is
    # older than a change committed LOOKUP_LOCAL_CACHE_MS ago.
    time.sleep(m.settings.value("LOOKUP_LOCAL_CACHE_MS") / 1000)
    new = lookups_on_both(m, lambda: by_variable(m, code)) + lookups_on_both(
        m, lambda: inline(m, code)
    )
    assert set(new) == {"WAITING_FOR_APPLICANT"}
    after = planned_by_worker(m)
    assert set(after) == set(before)
    # every lookup above was answered by the plan, on both workers
    assert all(after[pid] > before[pid] for pid in after)
    assert sum(after.values()) - sum(before.values()) >= len(old) + len(new)
