"""A lookup after ``projections retry`` / ``rebuild`` run from the CLI is fresh.

On the embedded default the API process caches public statuses in its own
memory (300 s). The CLI commands are other processes: they record what they
changed, and the API's embedded follower drops those entries within one pass.
Each case first makes sure the stale value is really *cached* (a cache hit),
then runs the real CLI and expects the new value within a few seconds.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import psycopg
import pytest

from adapters.settings import persistence_env
from projections.runtime import CHANGES_CHANNEL
from tests.api.conftest import UNLIMITED_LOOKUPS
from tests.integration.test_live_topology import (
    cli,
    completion,
    projected,
    received,
    request_supplement,
)
from tests.served import Served, seeded_settings, served

FRESH_WITHIN = 3.0
"""Seconds after the CLI returned; the cache's TTL would be 300."""
LOOKUP = "rm_public_status_lookup"


def hits(m: Served) -> float:
    with m.client() as client:
        text = client.get("/metrics").text
    found = re.search(r"^motcua_cache_hits_total (\S+)$", text, re.M)
    assert found is not None, text
    return float(found.group(1))


def cached(m: Served, code: str) -> str | None:
    """The completion once a lookup of ``code`` is answered from the cache
    (after the tombstone of the last change expired)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        before = hits(m)
        shown = completion(m, code)
        if hits(m) > before:
            return shown
        time.sleep(0.5)
    raise AssertionError("the lookup was never answered from the cache")


def fresh(m: Served, code: str, expected: str) -> float:
    """Seconds until the lookup shows ``expected``; fails after FRESH_WITHIN."""
    start = time.monotonic()
    while (shown := completion(m, code)) != expected:
        assert time.monotonic() - start < FRESH_WITHIN, shown
        time.sleep(0.05)
    return time.monotonic() - start


def database(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None, timeout=30)


def test_a_lookup_after_a_cli_retry_or_rebuild_is_fresh(tmp_path: Path) -> None:
    settings = seeded_settings(tmp_path / "data", options=UNLIMITED_LOOKUPS)
    path = persistence_env(settings.database_url)["SQLITE_DBNAME"]
    with served(settings) as m:
        code = received(m)

        # A fault in the read model: its row cannot change, so the supplement
        # request is dead-lettered in public_status and the lookup stays old.
        with database(path) as db:
            db.execute(
                f"CREATE TRIGGER test_refuse BEFORE UPDATE ON {LOOKUP} "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        position = request_supplement(m, code)
        projected(m, position)
        with m.client() as client:
            assert client.get("/readyz").json()["deadLetters"]["public_status"] == 1
        assert cached(m, code) == "RECEIVED"

        with database(path) as db:
            db.execute("DROP TRIGGER test_refuse")
        retried = cli(settings, "projections", "retry", "public_status", "--json")
        assert retried.returncode == 0, retried.stderr
        assert json.loads(retried.stdout) == {
            "cleared": 1,
            "stillFailing": 0,
            "parked": 0,
        }
        fresh(m, code, "WAITING_FOR_APPLICANT")

        # A projection bug wrote a wrong row; the operator rebuilds the model.
        with database(path) as db:
            db.execute(
                f"UPDATE {LOOKUP} SET completion = 'closed' WHERE code = ?", (code,)
            )
        assert cached(m, code) == "CLOSED"
        rebuilt = cli(settings, "projections", "rebuild", "public_status")
        assert rebuilt.returncode == 0, rebuilt.stderr
        fresh(m, code, "WAITING_FOR_APPLICANT")


@pytest.mark.redis
def test_a_lookup_after_a_cli_rebuild_is_fresh_in_the_production_topology(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    """Separate projector, PostgreSQL, Redis: the rebuild clears the shared cache."""
    settings = seeded_settings(
        tmp_path / "data",
        database_url=postgres_url,
        redis_url=redis_url,
        options=UNLIMITED_LOOKUPS,
    )
    with served(settings, projector=True) as m:
        code = received(m)
        with psycopg.connect(postgres_url) as db:
            # As a buggy projection would write it: the row and the NOTIFY of
            # its change, which drops it from each API worker's own cache.
            db.execute(
                f"UPDATE {LOOKUP} SET completion = 'closed' WHERE code = %s", (code,)
            )
            db.execute(
                "SELECT pg_notify(%s, %s)",
                (CHANGES_CHANNEL, json.dumps({"public_status": [code]})),
            )
        assert cached(m, code) == "CLOSED"
        rebuilt = cli(settings, "projections", "rebuild", "public_status")
        assert rebuilt.returncode == 0, rebuilt.stderr
        fresh(m, code, "RECEIVED")
