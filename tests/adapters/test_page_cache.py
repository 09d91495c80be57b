"""A worker's cache of authenticated pages (adapters/cache/pages.py): who a
change reaches, fills voided by a change after their ticket, served only
while the channel is usable (PostgreSQL) or the generation unchanged
(SQLite)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.cache.pages import (
    CATALOGUE,
    CITIZEN,
    WORKLIST,
    PageCache,
    PageKey,
    Ticket,
    citizen_audience,
    unit_audience,
)
from adapters.workers import Generation

PROVINCE = "000.00.00.H34"
JUSTICE = "000.00.01.H34"  # a department of the province (Sở Tư pháp)
JUSTICE_UNIT = "000.01.01.H34"  # a unit of the Sở Tư pháp
DISTRICT = "000.00.10.H34"  # a district People's Committee
DISTRICT_UNIT = "000.01.10.H34"  # a unit of it
OTHER_PROVINCE = "000.00.00.H48"


def cache(**kwargs: object) -> PageCache:
    return PageCache(max_entries=100, max_bytes=1 << 20, **kwargs)  # type: ignore[arg-type]


def key(name: str) -> PageKey:
    return ("page", name)


def test_a_change_of_the_owner_drops_only_the_owners_pages() -> None:
    pages = cache()
    pages.fill(key("a"), pages.ticket(), citizen_audience("001"), b"a")
    pages.fill(key("b"), pages.ticket(), citizen_audience("002"), b"b")
    pages.changed({CITIZEN: {"001"}})
    assert pages.get(key("a")) is None
    page = pages.get(key("b"))
    assert page is not None
    assert page.body == b"b"


def test_owner_ids_are_compared_in_their_canonical_form() -> None:
    pages = cache()
    pages.fill(key("e"), pages.ticket(), citizen_audience("6100000000-001"), b"e")
    pages.changed({CITIZEN: {"6100000000001"}})  # the same enterprise, plain digits
    assert pages.get(key("e")) is None


@pytest.mark.parametrize(
    ("scope", "unit", "dropped"),
    [
        (PROVINCE, JUSTICE, True),  # the province sees its departments
        (PROVINCE, JUSTICE_UNIT, True),
        (JUSTICE, JUSTICE_UNIT, True),
        (JUSTICE, JUSTICE, True),
        (JUSTICE_UNIT, JUSTICE, False),  # a unit does not see its parent
        (JUSTICE, DISTRICT, False),  # nor a sibling's subtree
        (DISTRICT, DISTRICT_UNIT, True),
        (JUSTICE, DISTRICT_UNIT, False),
        (PROVINCE, OTHER_PROVINCE, False),
    ],
)
def test_a_unit_change_drops_the_worklists_whose_subtree_holds_it(
    scope: str, unit: str, dropped: bool
) -> None:
    pages = cache()
    pages.fill(key("w"), pages.ticket(), unit_audience(scope), b"w")
    pages.changed({WORKLIST: {unit}})
    assert (pages.get(key("w")) is None) is dropped


def test_agency_names_drop_every_citizen_page_and_no_worklist() -> None:
    pages = cache()
    pages.fill(key("c"), pages.ticket(), citizen_audience("001"), b"c")
    pages.fill(key("w"), pages.ticket(), unit_audience(PROVINCE), b"w")
    pages.changed({CATALOGUE: {"agencies"}})
    assert pages.get(key("c")) is None
    assert pages.get(key("w")) is not None


def test_a_read_model_replaced_as_a_whole_drops_everything() -> None:
    pages = cache()
    ticket = pages.ticket()
    pages.fill(key("w"), ticket, unit_audience(PROVINCE), b"w")
    pages.changed({WORKLIST: None})
    assert pages.get(key("w")) is None
    assert not pages.fill(key("w"), ticket, unit_audience(PROVINCE), b"w")


def test_a_fill_read_before_a_change_of_its_audience_is_void() -> None:
    pages = cache()
    ticket = pages.ticket()  # the page is read (old rows)…
    pages.changed({WORKLIST: {JUSTICE_UNIT}})  # …a change commits meanwhile
    assert not pages.fill(key("w"), ticket, unit_audience(PROVINCE), b"old")
    assert pages.fill(key("o"), ticket, unit_audience(DISTRICT), b"other")


def test_forgotten_changes_void_older_tickets() -> None:
    pages = PageCache(max_entries=10, max_bytes=1 << 20, max_changes=2)
    ticket = pages.ticket()
    pages.changed({CITIZEN: {"001", "002", "003"}})
    assert not pages.fill(key("x"), ticket, citizen_audience("009"), b"x")


def test_pages_are_served_only_while_the_channel_is_usable() -> None:
    usable = [True]
    pages = cache(usable=lambda: usable[0])
    pages.fill(key("a"), pages.ticket(), citizen_audience("001"), b"a")
    usable[0] = False
    assert pages.get(key("a")) is None
    usable[0] = True
    assert pages.get(key("a")) is not None


def test_with_a_generation_a_page_lives_only_in_the_one_it_was_read_in() -> None:
    generation = Generation()
    pages = cache(generation=generation)
    ticket = pages.ticket()
    generation.bump()  # a batch commits while the page is built
    pages.fill(key("a"), ticket, citizen_audience("001"), b"a")
    assert pages.get(key("a")) is None
    pages.fill(key("a"), pages.ticket(), citizen_audience("001"), b"a")
    assert pages.get(key("a")) is not None
    generation.bump()
    assert pages.get(key("a")) is None


def test_entries_and_bytes_are_bounded() -> None:
    pages = PageCache(max_entries=3, max_bytes=1_000)
    for index in range(5):
        pages.fill(key(str(index)), pages.ticket(), citizen_audience("1"), b"x" * 10)
    assert len(pages) == 3
    assert pages.get(key("0")) is None
    assert not pages.fill(
        key("big"), pages.ticket(), citizen_audience("1"), b"x" * 2000
    )
    for index in range(5):
        pages.fill(key(f"m{index}"), pages.ticket(), citizen_audience("1"), b"x" * 300)
    assert pages.snapshot()["bytes"] <= 1_000  # type: ignore[operator]
    # a large request body (part of the key) counts as much as a large answer
    assert not pages.fill(
        ("page", b"x" * 2000), pages.ticket(), citizen_audience("1"), b"{}"
    )


def test_outcomes_are_counted_per_page_kind() -> None:
    """What ``/metrics`` reports: every get is a hit or a miss of its kind,
    and a page leaves by a change (invalidated), the bounds (evicted) or a
    generation that moved (stale at the next get)."""
    generation = Generation()
    pages = PageCache(max_entries=2, max_bytes=1 << 20, generation=generation)
    citizen, worklist = ("dossier", "a"), ("worklist", "w")
    assert pages.get(citizen) is None
    old = pages.ticket()
    pages.fill(citizen, pages.ticket(), citizen_audience("001"), b"a")
    pages.fill(worklist, pages.ticket(), unit_audience(JUSTICE), b"w")
    assert pages.get(citizen) is not None
    assert pages.get(citizen) is not None
    pages.changed({CITIZEN: {"001"}})
    assert not pages.fill(citizen, old, citizen_audience("001"), b"old")
    assert pages.get(citizen) is None
    pages.fill(("worklist", "x"), pages.ticket(), unit_audience(PROVINCE), b"x")
    pages.fill(("worklist", "y"), pages.ticket(), unit_audience(PROVINCE), b"y")
    generation.bump()
    assert pages.get(("worklist", "y")) is None
    assert dict(pages.counts) == {
        ("miss", "dossier"): 2,
        ("filled", "dossier"): 1,
        ("hit", "dossier"): 2,
        ("invalidated", "dossier"): 1,
        ("void", "dossier"): 1,
        ("filled", "worklist"): 3,
        ("evicted", "worklist"): 1,
        ("miss", "worklist"): 1,
        ("stale", "worklist"): 1,
    }
    pages.clear()  # what was still kept is dropped, and counted so
    assert pages.counts["invalidated", "worklist"] == 2  # x and y, both stale


def test_the_counts_are_exposed_for_prometheus_with_the_workers_pid() -> None:
    import os

    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from adapters.cache.pages import PageCacheCollector

    pages = cache()
    registry = CollectorRegistry()
    registry.register(PageCacheCollector(pages))
    pages.fill(("worklist", "w"), pages.ticket(), unit_audience(JUSTICE), b"w")
    pages.get(("worklist", "w"))
    pages.get(("myDossiers", "m"))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for s in family.samples
    }
    total = "motcua_page_cache_total"
    assert samples[total, (("outcome", "hit"), ("page", "worklist"))] == 1
    assert samples[total, (("outcome", "miss"), ("page", "myDossiers"))] == 1
    assert samples["motcua_page_cache_entries", ()] == 1
    assert samples["motcua_page_cache_bytes", ()] > 0
    assert samples["motcua_worker_pid", ()] == os.getpid()


# -- any interleaving: a page served is never older than a change of its audience


OWNERS = ("001", "002", "003")
SCOPES = (PROVINCE, JUSTICE, JUSTICE_UNIT, DISTRICT, DISTRICT_UNIT)
UNITS = (JUSTICE, JUSTICE_UNIT, DISTRICT, DISTRICT_UNIT, OTHER_PROVINCE)


def _sees(scope: str, unit: str) -> bool:
    from domain.visibility import unit_sees

    return unit_sees(scope, unit)


@dataclass
class Model:
    """What each audience's data is now (a version per owner and per unit)."""

    owners: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OWNERS, 0))
    units: dict[str, int] = field(default_factory=lambda: dict.fromkeys(UNITS, 0))

    def version(self, audience: str) -> tuple[int, ...]:
        kind, _, who = audience.partition(":")
        if kind == CITIZEN:
            return (self.owners[who],)
        return tuple(v for unit, v in sorted(self.units.items()) if _sees(who, unit))


audiences = st.sampled_from(
    [citizen_audience(o) for o in OWNERS] + [unit_audience(s) for s in SCOPES]
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("read"), audiences),
        st.tuples(st.just("fill"), st.integers(0, 5)),
        st.tuples(st.just("owner"), st.sampled_from(OWNERS)),
        st.tuples(st.just("unit"), st.sampled_from(UNITS)),
        st.tuples(st.just("clear"), st.none()),
        st.tuples(st.just("get"), audiences),
    ),
    max_size=60,
)


@settings(max_examples=300)
@given(steps=steps)
def test_no_page_older_than_a_change_of_its_audience_is_served(
    steps: list[tuple[str, object]],
) -> None:
    pages = PageCache(max_entries=4, max_bytes=1 << 20, max_changes=6)
    model = Model()
    reading: list[tuple[str, Ticket, tuple[int, ...]]] = []
    for step, value in steps:
        if step == "read":  # ticket, then the read model as it is now
            audience = str(value)
            reading.append((audience, pages.ticket(), model.version(audience)))
        elif step == "fill" and reading:
            audience, ticket, seen = reading.pop(int(str(value)) % len(reading))
            body = repr(seen).encode()
            pages.fill(("k", audience), ticket, audience, body)
        elif step == "owner":
            model.owners[str(value)] += 1
            pages.changed({CITIZEN: {str(value)}})
        elif step == "unit":
            model.units[str(value)] += 1
            pages.changed({WORKLIST: {str(value)}})
        elif step == "clear":
            pages.clear()
        elif step == "get":
            audience = str(value)
            page = pages.get(("k", audience))
            if page is not None:
                assert page.body == repr(model.version(audience)).encode()
