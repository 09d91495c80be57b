"""The projector's changes reaching each SQLite worker's kept pages
(adapters/cache/page_changes.py): per owner and unit as on PostgreSQL, every
change applied before a worker's next page read, and a worker that fell
behind the ring drops everything rather than keep a stale page."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.cache.page_changes import InProcessPageChanges, SharedPageChanges
from adapters.cache.pages import (
    CATALOGUE,
    CITIZEN,
    WORKLIST,
    PageCache,
    citizen_audience,
    unit_audience,
)

JUSTICE = "000.00.12.H34"
CONSTRUCTION = "000.00.15.H34"
OWNERS = ("001", "002", "003")


def worker(ring: SharedPageChanges) -> PageCache:
    return PageCache(max_entries=100, max_bytes=1 << 20, follow=ring.catch_up)


def keep(pages: PageCache, owner: str) -> tuple[str, str]:
    key = ("myDossiers", owner)
    assert pages.fill(key, pages.ticket(), citizen_audience(owner), owner.encode())
    return key


def test_a_change_reaches_the_other_workers_pages_of_that_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "page-changes"
    projecting, other = SharedPageChanges(path), SharedPageChanges(path)
    here, there = worker(projecting), worker(other)
    for pages in (here, there):
        keep(pages, "001")
        keep(pages, "002")
    projecting.publish({CITIZEN: {"001"}, "public_status": {"x"}})
    for pages in (here, there):
        assert pages.get(("myDossiers", "001")) is None
        assert pages.get(("myDossiers", "002")) is not None


def test_units_and_agency_names_reach_pages_as_on_postgresql(tmp_path: Path) -> None:
    path = tmp_path / "page-changes"
    projecting, other = SharedPageChanges(path), SharedPageChanges(path)
    pages = worker(other)
    justice, construction = ("worklist", "j"), ("worklist", "c")
    pages.fill(justice, pages.ticket(), unit_audience(JUSTICE), b"j")
    pages.fill(construction, pages.ticket(), unit_audience(CONSTRUCTION), b"c")
    citizen = keep(pages, "001")
    projecting.publish({WORKLIST: {JUSTICE}})
    assert pages.get(justice) is None
    assert pages.get(construction) is not None
    assert pages.get(citizen) is not None
    projecting.publish({CATALOGUE: {"agencies"}})
    assert pages.get(citizen) is None
    assert pages.get(construction) is not None
    projecting.publish({WORKLIST: None})  # a rebuild: all of it
    assert pages.get(construction) is None


def test_a_fill_read_before_a_published_change_is_void(tmp_path: Path) -> None:
    path = tmp_path / "page-changes"
    projecting, other = SharedPageChanges(path), SharedPageChanges(path)
    pages = worker(other)
    ticket = pages.ticket()  # the worker starts reading…
    projecting.publish({CITIZEN: {"001"}})  # …the projector commits meanwhile
    assert not pages.fill(("myDossiers", "001"), ticket, citizen_audience("001"), b"")
    assert pages.fill(("myDossiers", "002"), ticket, citizen_audience("002"), b"")


def test_a_worker_lapped_by_the_ring_drops_every_page(tmp_path: Path) -> None:
    path = tmp_path / "page-changes"
    projecting = SharedPageChanges(path, size=1024)
    other = SharedPageChanges(path, size=1024)
    pages = worker(other)
    kept = keep(pages, "002")
    old = pages.ticket()
    for index in range(100):  # ~40 bytes a record: laps 1 KiB
        projecting.publish({CITIZEN: {f"9{index:03}"}})
    assert pages.get(kept) is None
    assert not pages.fill(kept, old, citizen_audience("002"), b"old")
    keep(pages, "002")  # from now on the worker follows again
    projecting.publish({CITIZEN: {"003"}})
    assert pages.get(kept) is not None


def test_a_batch_too_large_for_the_ring_drops_every_page(tmp_path: Path) -> None:
    """Published as "all of the citizen read model", which (as a rebuild on
    PostgreSQL) drops every kept page."""
    path = tmp_path / "page-changes"
    projecting = SharedPageChanges(path, size=1024)
    pages = worker(SharedPageChanges(path, size=1024))
    kept = keep(pages, "002")
    unit = ("worklist", "j")
    pages.fill(unit, pages.ticket(), unit_audience(JUSTICE), b"j")
    projecting.publish({CITIZEN: {f"{n:012}" for n in range(200)}})
    assert pages.get(kept) is None
    assert pages.get(unit) is None


def test_a_new_worker_starts_at_the_rings_end(tmp_path: Path) -> None:
    path = tmp_path / "page-changes"
    projecting = SharedPageChanges(path)
    projecting.publish({CITIZEN: {"001"}})
    pages = worker(SharedPageChanges(path))
    kept = keep(pages, "001")
    assert pages.get(kept) is not None


def test_in_process_changes_drop_the_pages_directly() -> None:
    changes = InProcessPageChanges()
    pages = PageCache(max_entries=10, max_bytes=1 << 20)
    changes.attach(pages)
    kept, other = keep(pages, "001"), keep(pages, "002")
    changes.publish({CITIZEN: {"001"}, "public_status": {"x"}})
    assert pages.get(kept) is None
    assert pages.get(other) is not None


def test_a_ring_needs_room(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="room"):
        SharedPageChanges(tmp_path / "r", size=100)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("publish"), st.sets(st.sampled_from(OWNERS), min_size=1)),
        st.tuples(st.just("noise"), st.integers(1, 40)),
        st.tuples(st.just("read"), st.sampled_from(OWNERS)),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(steps=steps)
def test_no_worker_serves_a_page_older_than_a_published_change(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, object]]
) -> None:
    """Any interleaving of the projector's publications (of the owners
    watched, and of many others that lap a small ring) and two workers'
    reads and fills: a page served shows its owner's latest version."""
    path = tmp_path_factory.mktemp("ring") / "page-changes"
    projecting = SharedPageChanges(path, size=1024)
    workers = [worker(SharedPageChanges(path, size=1024)) for _ in range(2)]
    versions = dict.fromkeys(OWNERS, 0)
    for step, (kind, value) in enumerate(steps):
        if kind == "publish":
            assert isinstance(value, set)
            for owner in value:
                versions[owner] += 1
            projecting.publish({CITIZEN: value})
        elif kind == "noise":
            assert isinstance(value, int)
            projecting.publish({CITIZEN: {f"8{step:03}{n:03}" for n in range(value)}})
        else:
            assert isinstance(value, str)
            pages = workers[step % 2]
            key = ("myDossiers", value)
            page = pages.get(key)
            if page is not None:
                assert int(page.body) == versions[value]
            else:
                ticket = pages.ticket()
                body = str(versions[value]).encode()
                pages.fill(key, ticket, citizen_audience(value), body)
