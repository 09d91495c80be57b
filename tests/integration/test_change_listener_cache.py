"""The change listener that keeps a worker's own lookup cache fresh, on a real
PostgreSQL: a committed change is invalidated, a rebuild's "everything" clears
it, and a lost connection makes the cache unusable until it is back and
caught up (api.live.ChangeListener with a LocalLookupCache)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from adapters.cache.local import LocalLookupCache
from api.live import ChangeListener, StatusFeed, notify_everything_changed
from projections.runtime import CHANGES_CHANNEL

pytestmark = pytest.mark.postgres

FRESH_FOR = 0.1


def within(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.005)


@pytest.fixture
def listening(postgres_url: str) -> Iterator[tuple[ChangeListener, LocalLookupCache]]:
    loop = asyncio.new_event_loop()
    cache = LocalLookupCache(fresh_for=FRESH_FOR)
    listener = ChangeListener(postgres_url, StatusFeed(10), loop, cache=cache)
    listener.start()
    try:
        within(cache.fresh)
        yield listener, cache
    finally:
        listener.stop()
        loop.close()


def committed_change(url: str, *codes: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "SELECT pg_notify(%s, %s)",
            (CHANGES_CHANNEL, json.dumps({"public_status": list(codes)})),
        )


def test_a_committed_change_is_invalidated_before_the_next_barrier(
    postgres_url: str, listening: tuple[ChangeListener, LocalLookupCache]
) -> None:
    _, cache = listening
    cache.fill("status:A", b"old", 60, cache.ticket())
    cache.fill("status:B", b"other", 60, cache.ticket())
    committed_change(postgres_url, "A")
    committed = time.monotonic()
    within(lambda: cache.caught_up_at > committed)  # a barrier sent after it
    assert cache.get("status:A") is None
    assert cache.get("status:B") == b"other"


def test_a_rebuild_clears_everything(
    postgres_url: str, listening: tuple[ChangeListener, LocalLookupCache]
) -> None:
    _, cache = listening
    cache.fill("status:A", b"old", 60, cache.ticket())
    notify_everything_changed(postgres_url)
    committed = time.monotonic()
    within(lambda: cache.caught_up_at > committed)
    assert len(cache) == 0


def test_a_lost_connection_stops_the_cache_until_it_is_back_and_caught_up(
    postgres_url: str, listening: tuple[ChangeListener, LocalLookupCache]
) -> None:
    _, cache = listening
    cache.fill("status:A", b"old", 60, cache.ticket())
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        within(lambda: not cache.fresh(), seconds=FRESH_FOR * 20)
        assert cache.get("status:A") is None  # what it missed meanwhile is gone
        committed_change(postgres_url, "A")  # while it reconnects: never heard
    within(cache.fresh)
    assert cache.get("status:A") is None
