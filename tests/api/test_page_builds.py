"""Concurrent misses of one kept page wait for the first build
(api/graphql/pages.py ``PageBuilds``): one build per change instead of one per
request in flight, and never a page its own fill could not have kept."""

from __future__ import annotations

import asyncio

import pytest

from adapters.cache.pages import CITIZEN, PageCache, citizen_audience
from api.graphql import pages as pages_module
from api.graphql.pages import PageBuilds

KEY = ("myDossiers", "001")
AUDIENCE = citizen_audience("001")


def cache() -> PageCache:
    return PageCache(max_entries=10, max_bytes=1 << 20)


async def request(
    pages: PageCache, builds: PageBuilds, body: bytes, built: list[bytes]
) -> bytes:
    """What the fast path does for a page: kept, joined, or built here."""
    page = pages.get(KEY) or await builds.kept_after_build(pages, KEY)
    if page is not None:
        return page.body
    ticket = pages.ticket()
    started = builds.start(KEY)
    try:
        await asyncio.sleep(0.01)  # the read (a worker thread on PostgreSQL)
        built.append(body)
        pages.fill(KEY, ticket, AUDIENCE, body)
        return body
    finally:
        builds.finish(KEY, started)


def test_requests_in_flight_share_one_build() -> None:
    async def run() -> tuple[list[bytes], list[bytes], PageBuilds]:
        pages, builds, built = cache(), PageBuilds(), list[bytes]()
        answers = await asyncio.gather(
            *(request(pages, builds, b"v1", built) for _ in range(32))
        )
        return answers, built, builds

    answers, built, builds = asyncio.run(run())
    assert built == [b"v1"]
    assert answers == [b"v1"] * 32
    assert len(builds) == 0


def test_a_build_whose_fill_is_refused_is_not_shared() -> None:
    """A change after the builder's ticket: its page is void, and the
    requests that waited build the page again — once, with a ticket after
    the change — and take that one."""

    async def run() -> tuple[list[bytes], list[bytes], PageCache]:
        pages, builds, built = cache(), PageBuilds(), list[bytes]()
        first = asyncio.ensure_future(request(pages, builds, b"old", built))
        await asyncio.sleep(0)  # the first has its ticket and builds
        pages.changed({CITIZEN: {"001"}})
        rest = [request(pages, builds, b"new", built) for _ in range(4)]
        answers = await asyncio.gather(first, *rest)
        return answers, built, pages

    answers, built, pages = asyncio.run(run())
    assert answers[1:] == [b"new"] * 4
    assert built == [b"old", b"new"]
    kept = pages.get(KEY)
    assert kept is not None
    assert kept.body == b"new"
    assert pages.counts["void", "myDossiers"] == 1


def test_a_build_that_ends_without_a_page_wakes_its_waiters() -> None:
    async def run() -> list[object]:
        pages, builds = cache(), PageBuilds()
        started = builds.start(KEY)
        waiter = asyncio.ensure_future(builds.kept_after_build(pages, KEY))
        await asyncio.sleep(0)
        builds.finish(KEY, started)  # e.g. an answer with errors: not kept
        return [await waiter, len(builds)]

    assert asyncio.run(run()) == [None, 0]


def test_nothing_to_wait_for_without_a_build() -> None:
    async def run() -> object:
        return await PageBuilds().kept_after_build(cache(), KEY)

    assert asyncio.run(run()) is None


def test_a_stuck_build_is_waited_for_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages_module, "_BUILD_WAIT_SECONDS", 0.05)

    async def run() -> object:
        pages, builds = cache(), PageBuilds()
        builds.start(KEY)  # never finishes
        return await builds.kept_after_build(pages, KEY)

    assert asyncio.run(run()) is None


def test_joined_requests_are_counted_apart_from_hits() -> None:
    async def run() -> PageCache:
        pages, builds, built = cache(), PageBuilds(), list[bytes]()
        await asyncio.gather(*(request(pages, builds, b"v", built) for _ in range(5)))
        await request(pages, builds, b"v", built)
        return pages

    pages = asyncio.run(run())
    assert pages.counts["miss", "myDossiers"] == 5  # all five missed at first
    assert pages.counts["joined", "myDossiers"] == 4  # four took the first's
    assert pages.counts["hit", "myDossiers"] == 1
    assert pages.counts["filled", "myDossiers"] == 1
