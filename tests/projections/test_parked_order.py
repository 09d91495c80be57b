"""Dead letters keep each dossier's order in each read model.

Once an event of a dossier cannot be applied by a read model, the dossier's
later events are parked behind it in that read model (never applied on top of a
state that skipped one); ``retry`` applies them in log order and stops at the
first that still fails. Whatever the log, the batch sizes and where the poison
falls: before the fix the read model equals one that never saw the dossier's
events from the poison on; after the fix and a retry it equals a full rebuild
with the fixed projection.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bench.servers import scratch
from application.onestop import OneStop
from domain.dossier_values import PaymentChannel, ReturnMethod
from domain.procedure import Fee
from projections.base import Projection
from projections.citizen import CitizenProjection
from projections.dead_letters import DeadLetter
from projections.registry import READ_MODELS, all_projections
from projections.runtime import Projector
from tests.factories import (
    at,
    desk,
    in_progress,
    leader,
    result,
    seed_catalogue,
    specialist,
)
from tests.factories import trace as trace_of
from tests.poison import HUGE_FEE, CitizenCappingSomeFees, poisoned_request
from tests.projections.conftest import Backend, open_backend
from tests.projections.support import checksums, contents
from tests.services import PostgresServer

FIXABLE = HUGE_FEE  # capped by the fix
UNFIXABLE = 10**38  # beyond what the fix handles: still fails after it
Poison = int | None


@dataclass
class Script:
    """One dossier: payment rounds (each request possibly poisoned), maybe closed."""

    rounds: list[Poison]
    closes: bool

    def steps(self) -> list[tuple[str, Poison]]:
        steps: list[tuple[str, Poison]] = [("start", None)]
        for poison in self.rounds:
            steps += [("request", poison), ("confirm", None)]
        if self.closes:
            steps += [("resolve", None), ("return", None)]
        return steps


@dataclass
class Written:
    """What the log holds: each dossier's poisoned requests (position, version)."""

    poisons: dict[UUID, list[tuple[int, int, int]]] = field(default_factory=dict)

    def first(self, dossier: UUID, *, unfixable_only: bool = False) -> tuple[int, int]:
        """Position and version of the first event the projection cannot apply."""
        return next(
            (position, version)
            for position, version, amount in self.poisons[dossier]
            if not unfixable_only or amount == UNFIXABLE
        )

    def blocked(self, *, unfixable_only: bool = False) -> dict[UUID, tuple[int, int]]:
        return {
            d: self.first(d, unfixable_only=unfixable_only)
            for d, found in self.poisons.items()
            if any(not unfixable_only or a == UNFIXABLE for _, _, a in found)
        }


def write(app: OneStop, scripts: list[Script], order: list[int]) -> Written:
    """Run the dossiers' steps interleaved in ``order`` (dossier indexes)."""
    seed_catalogue(app)
    pending = [s.steps() for s in scripts]
    ids: dict[int, UUID] = {}
    written = Written()
    for tick, index in enumerate(order):
        step, poison = pending[index].pop(0)
        when = at(tick + 2 * (tick // 5), 9)  # working days only
        if step == "start":
            ids[index] = in_progress(app, when)
            continue
        dossier = ids[index]
        if step == "request" and poison is not None:
            position, version = poisoned_request(app, dossier, when, poison)
            written.poisons.setdefault(dossier, []).append((position, version, poison))
        elif step == "request":
            fee = Fee("LP1", "Lệ phí", Decimal(8000))
            app.request_payment(
                dossier, trace=trace_of(specialist(), when), fees=(fee,)
            )
        elif step == "confirm":
            app.confirm_payment(
                dossier,
                trace=trace_of(desk(), when),
                channel=PaymentChannel.DESK,
                receipt=f"BL-{tick}",
            )
        elif step == "resolve":
            app.resolve_dossier(
                dossier,
                trace=trace_of(leader(), when),
                results=(result(app),),
                decision="x",
            )
        else:
            app.return_result(
                dossier, trace=trace_of(desk(), when), method=ReturnMethod.DESK
            )
    return written


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[Script], list[int]]:
    poison = st.sampled_from([None, None, FIXABLE, UNFIXABLE])
    scripts = draw(
        st.lists(
            st.builds(Script, st.lists(poison, min_size=1, max_size=3), st.booleans()),
            min_size=1,
            max_size=3,
        ).filter(lambda found: any(p for s in found for p in s.rounds))
    )
    tokens = [i for i, s in enumerate(scripts) for _ in s.steps()]
    return scripts, draw(st.permutations(tokens))


def skipping(
    factory: type[Projection], cutoff: dict[UUID, tuple[int, int]], suffix: str
) -> Projection:
    """The read model as it must be when each dossier's events from its cut-off
    version on were never applied (built one event per transaction)."""

    def apply(self: Projection, event: Any, sql: Any) -> None:
        limit = cutoff.get(event.originator_id)
        if limit is None or event.originator_version < limit[1]:
            cast("Any", super(subclass, self)).apply(event, sql)

    subclass = cast(
        "type[Projection]",
        type(f"Skipping{factory.__name__}", (factory,), {"apply": apply}),
    )
    return subclass(suffix)


def letters(projector: Projector) -> set[tuple[str, int, int | None]]:
    return {(d.read_model, d.position, d.blocked_by) for d in projector.dead_letters()}


def expected_letters(
    app: OneStop, blocked: dict[UUID, tuple[int, int]], read_model: str = "citizen"
) -> set[tuple[str, int, int | None]]:
    """The first failing event of each blocked dossier, and every later event of
    that dossier the read model follows, parked behind it."""
    topics = sorted(CitizenProjection.topics)
    expected: set[tuple[str, int, int | None]] = set()
    for dossier, (position, _) in blocked.items():
        expected.add((read_model, position, None))
        for n in app.recorder.select_notifications(
            start=position, limit=10**6, topics=topics, inclusive_of_start=False
        ):
            if n.originator_id == dossier:
                expected.add((read_model, n.id, position))
    return expected


def citizen_only(projections: list[Projection]) -> list[Projection]:
    return [p for p in projections if p.name == "citizen"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_backend(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[], Backend]]:
    """A new, empty database per Hypothesis example."""
    cleanups: list[Callable[[], None]] = []

    def make() -> Backend:
        if request.param == "postgres":
            server = cast("PostgresServer", request.getfixturevalue("postgres_server"))
            name = f"test_{uuid.uuid4().hex[:20]}"
            url = server.create_database(name)
            opened = open_backend("postgres", url)
            cleanups.append(lambda: server.drop_database(name))
        else:
            directory = scratch.folder("parked-")
            opened = open_backend("sqlite", f"sqlite:///{directory / 'motcua.db'}")
            cleanups.append(lambda: shutil.rmtree(directory, ignore_errors=True))
        cleanups.append(opened.app.close)
        cleanups.append(opened.store.close)
        return opened

    yield make
    for cleanup in reversed(cleanups):
        cleanup()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    log=logs(),
    batch_size=st.integers(1, 40),
    rebuild_batch_size=st.integers(1, 40),
)
def test_parked_events_keep_order_and_retry_equals_a_rebuild(
    fresh_backend: Callable[[], Backend],
    log: tuple[list[Script], list[int]],
    batch_size: int,
    rebuild_batch_size: int,
) -> None:
    backend = fresh_backend()
    app, store = backend.app, backend.store
    written = write(app, *log)
    head = app.recorder.max_notification_id()

    # Before the fix: each poisoned dossier stops at its first poison in the
    # citizen read model; its later events are parked, not applied.
    live = Projector(app, store, all_projections(), batch_size=batch_size)
    live.catch_up()
    blocked = written.blocked()
    assert letters(live) == expected_letters(app, blocked)
    assert {s.position for s in live.status()} == {head}
    before = Projector(
        app,
        store,
        [*all_projections("_clean"), skipping(CitizenProjection, blocked, "_cut")],
    )
    before.catch_up()
    clean = checksums(store, all_projections("_clean"))
    cut = checksums(store, [skipping(CitizenProjection, blocked, "_cut")])
    assert contents(store, citizen_only(all_projections())) == contents(
        store, [skipping(CitizenProjection, blocked, "_cut")]
    )
    assert checksums(store) == {**clean, **cut}

    # A retry without a fix changes nothing.
    failing, parked = len(blocked), len(expected_letters(app, blocked)) - len(blocked)
    assert live.retry() == (0, failing, parked)
    assert checksums(store) == {**clean, **cut}

    # After the fix: each dossier's letters are applied in log order up to the
    # first one the fix does not cover; the result equals a full rebuild with
    # the fixed projection (read models and dead letters alike).
    fix = CitizenCappingSomeFees()
    outcome = Projector(app, store, [fix]).retry()
    still = written.blocked(unfixable_only=True)
    remaining = expected_letters(app, still)
    assert outcome.failing == len(still)
    assert outcome.parked == len(remaining) - len(still)
    assert outcome.cleared == failing + parked - len(remaining)
    assert letters(live) == remaining

    rebuilt = Projector(
        app,
        store,
        [
            *(p for p in all_projections("_rebuilt") if p.name != "citizen"),
            CitizenCappingSomeFees("_rebuilt"),
        ],
        batch_size=rebuild_batch_size,
    )
    rebuilt.catch_up()
    assert {(d.position, d.blocked_by) for d in rebuilt.dead_letters()} == {
        (position, blocker) for _, position, blocker in remaining
    }
    assert contents(store, [fix]) == contents(
        store, [CitizenCappingSomeFees("_rebuilt")]
    )
    assert checksums(store) == checksums(store, all_projections("_rebuilt"))
    reference = skipping(CitizenCappingSomeFees, still, "_ref")
    Projector(app, store, [reference], batch_size=1).catch_up()
    assert checksums(store, [fix]) == checksums(store, [reference])


def test_retry_stops_at_the_first_event_that_still_fails(backend: Backend) -> None:
    """One dossier: a fixable poison, a normal payment, an unfixable poison, a
    close. The fix applies the first two; the rest waits behind the third."""
    app = backend.app
    scripts = [Script([FIXABLE, None, UNFIXABLE], closes=True)]
    written = write(app, scripts, [0] * len(scripts[0].steps()))
    projector = Projector(app, backend.store, all_projections(), batch_size=7)
    projector.catch_up()
    dossier = next(iter(written.poisons))
    (first, _, _), (third, _, _) = written.poisons[dossier]
    letters_before = projector.dead_letters()
    assert [d.blocked_by for d in letters_before] == [None] + [first] * (
        len(letters_before) - 1
    )
    assert letters_before[0].position == first

    outcome = Projector(app, backend.store, [CitizenCappingSomeFees()]).retry()
    after: list[DeadLetter] = projector.dead_letters()
    assert outcome == (
        len([d for d in letters_before if d.position < third]),
        1,
        len(after) - 1,
    )
    assert [(d.position, d.blocked_by) for d in after] == [(third, None)] + [
        (d.position, third) for d in after[1:]
    ]
    assert all(d.position > third for d in after[1:])
    assert {s.name: (s.dead_letters, s.parked) for s in projector.status()} == {
        name: (1, len(after) - 1) if name == "citizen" else (0, 0)
        for name in READ_MODELS
    }
