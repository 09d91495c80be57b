"""A worker's own lookup cache: a fill voided by a later invalidation, served
only while the change channel is caught up (adapters/cache/local.py)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.cache.local import LocalLookupCache

FRESH = 0.05


def caught_up_now(cache: LocalLookupCache) -> LocalLookupCache:
    cache.caught_up(time.monotonic())
    return cache


def test_a_fill_taken_before_an_invalidation_of_its_key_is_void() -> None:
    cache = LocalLookupCache(fresh_for=FRESH)
    ticket = cache.ticket()  # the lookup reads the row (old status)…
    cache.invalidate(["status:A"])  # …the projector commits a change to it
    assert cache.fill("status:A", b"old", 60, ticket) is False
    assert cache.get("status:A") is None


def test_an_invalidation_of_another_key_does_not_void_a_fill() -> None:
    cache = LocalLookupCache(fresh_for=FRESH)
    ticket = cache.ticket()
    cache.invalidate(["status:B"])
    assert cache.fill("status:A", b"v", 60, ticket) is True
    assert cache.get("status:A") == b"v"


def test_an_invalidation_after_the_fill_drops_the_entry() -> None:
    cache = LocalLookupCache(fresh_for=FRESH)
    cache.fill("status:A", b"old", 60, cache.ticket())
    cache.invalidate(["status:A"])
    assert cache.get("status:A") is None
    assert cache.fill("status:A", b"new", 60, cache.ticket()) is True
    assert cache.get("status:A") == b"new"


def test_a_clear_voids_every_older_ticket() -> None:
    cache = LocalLookupCache(fresh_for=FRESH)
    ticket = cache.ticket()
    cache.fill("status:A", b"v", 60, ticket)
    cache.clear()
    assert cache.get("status:A") is None
    assert cache.fill("status:B", b"v", 60, ticket) is False


def test_forgotten_invalidations_still_void_older_tickets() -> None:
    cache = LocalLookupCache(fresh_for=FRESH, max_invalidations=2)
    ticket = cache.ticket()
    cache.invalidate(["status:A"])
    cache.invalidate(["status:B"])
    cache.invalidate(["status:C"])  # status:A's invalidation is forgotten
    assert cache.fill("status:A", b"old", 60, ticket) is False
    assert cache.fill("status:A", b"new", 60, cache.ticket()) is True


def test_entries_expire_and_are_bounded() -> None:
    cache = LocalLookupCache(fresh_for=FRESH, max_entries=2)
    cache.fill("status:A", b"a", 0.05, cache.ticket())
    cache.fill("status:B", b"b", 60, cache.ticket())
    cache.fill("status:C", b"c", 60, cache.ticket())  # evicts the oldest
    assert (cache.get("status:A"), len(cache)) == (None, 2)
    time.sleep(0.06)
    cache.fill("status:D", b"d", 0.01, cache.ticket())
    time.sleep(0.02)
    assert cache.get("status:D") is None


def test_fresh_only_for_a_while_after_the_last_barrier() -> None:
    cache = LocalLookupCache(fresh_for=FRESH)
    assert not cache.fresh()  # never caught up yet
    caught_up_now(cache)
    assert cache.fresh()
    time.sleep(FRESH * 1.5)
    assert not cache.fresh()
    caught_up_now(cache)
    cache.fill("status:A", b"v", 60, cache.ticket())
    cache.lost()  # the channel went down
    assert not cache.fresh()
    assert cache.get("status:A") is None


def test_refuses_a_bound_of_nothing() -> None:
    with pytest.raises(ValueError, match="fresh_for"):
        LocalLookupCache(fresh_for=0)


_KEYS = st.sampled_from(["status:A", "status:B", "status:C"])
_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), _KEYS),
        st.tuples(st.just("fill"), st.integers(0, 5)),
        st.tuples(st.just("change"), _KEYS),
        st.tuples(st.just("clear"), st.just("")),
    ),
    max_size=40,
)


@given(steps=_STEPS, bound=st.integers(1, 3))
def test_never_serves_a_value_older_than_the_last_change_it_heard(
    steps: list[tuple[str, object]], bound: int
) -> None:
    """Lookups read the row (value = the key's version) with a ticket and fill
    later, in any interleaving with changes; what the cache serves is always
    the key's current version."""
    cache = LocalLookupCache(fresh_for=FRESH, max_invalidations=bound)
    version = {"status:A": 0, "status:B": 0, "status:C": 0}
    reads: list[tuple[str, int, int]] = []  # key, version read, ticket
    for step, arg in steps:
        if step == "read":
            key = str(arg)
            reads.append((key, version[key], cache.ticket()))
        elif step == "fill" and reads:
            key, seen, ticket = reads.pop(int(str(arg)) % len(reads))
            cache.fill(key, str(seen).encode(), 60, ticket)
        elif step == "change":
            key = str(arg)
            version[key] += 1
            cache.invalidate([key])
        elif step == "clear":
            cache.clear()
        for key, current in version.items():
            served = cache.get(key)
            assert served is None or int(served) == current
