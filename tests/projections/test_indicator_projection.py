"""The indicator read model against a brute-force count over the raw event log.

Random histories (the same driver as the fold-equivalence test) run through a
real ``OneStop``; the indicators computed from the read model must equal
counts written directly against each dossier's raw events, for any period
and any unit subtree, and the stored facts must equal the fold of the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.readstore.postgres import PostgresReadStore
from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from application import monitoring
from application.citizen_evaluations import CitizenEvaluations
from application.onestop import OneStop
from domain.citizen_evaluation import (
    CITIZEN_INDICES,
    CitizenAssessment,
    CitizenEvaluation,
    EmptyEvaluationError,
    EvaluationTooEarlyError,
    assessment_of,
    evaluation_id,
)
from domain.dossier_events import (
    ComponentReused,
    Lodged,
    Received,
    ReceivedAtDesk,
    Refused,
    Resolved,
    Returned,
    Stopped,
    SupplementReceived,
    SupplementRequested,
    Withdrawn,
)
from domain.dossier_status import DossierStatus
from domain.dossier_values import Channel, ReuseSource, Satisfaction
from domain.evaluation import evaluate
from domain.indicator_facts import DossierFacts, fold_facts, portal_accepted
from domain.indicator_tally import (
    figures_of,
    total,
)
from domain.indicators import Inputs, compute
from domain.portal_acceptance import PortalAcceptance, acceptance_id, accepted_at
from domain.values import Actor, Role
from domain.visibility import unit_sees
from projections.indicators import (
    VIETNAM,
    CitizenView,
    IndicatorProjection,
    IndicatorView,
    period_end,
)
from projections.ports import ReadStore
from projections.runtime import Projector
from tests.factories import (
    CONSTRUCTION,
    JUSTICE,
    MONDAY,
    PROVINCE,
    at,
    citizen,
    desk,
    in_progress,
    seed_catalogue,
    specialist,
    trace,
)
from tests.projections.conftest import Backend
from tests.projections.test_fold_equivalence import OPERATIONS, ROGUES, Driver, Step
from tests.services import PostgresServer

steps = st.lists(
    st.tuples(
        st.sampled_from(("next",) * len(OPERATIONS) + OPERATIONS),
        st.integers(0, 4),
        st.integers(0, 2 * len(ROGUES)),
    ),
    min_size=20,
    max_size=80,
)


IN_PROGRESS_NEXT = (
    "supplement",
    "resolve",
    "supplement",
    "stop",
    "payment",
    "reappoint",
)


class IndicatorDriver(Driver):
    """Dossiers in progress often ask for supplements, more than once too."""

    def _natural(self, dossier_id: UUID, choice: int) -> str:
        if self.app.get_dossier(dossier_id).status is DossierStatus.IN_PROGRESS:
            return IN_PROGRESS_NEXT[choice % len(IN_PROGRESS_NEXT)]
        return super()._natural(dossier_id, choice)


def drive(script: list[Step], pace: list[int]) -> Driver:
    """The fold-equivalence driver, with time moving up to three days a step so
    that dossiers finish late, wait for supplements and cross period ends."""
    app = OneStop(env=persistence_env("memory://"))
    seed_catalogue(app)
    driver = IndicatorDriver(app)
    clock = 0
    for number, (operation, target, choice) in enumerate(script):
        clock += pace[number % len(pace)]
        driver.run(clock, operation, target, choice)
    return driver


def raw_events(app: OneStop, dossier_id: UUID) -> list[Any]:
    return list(app.repository.event_store.get(dossier_id))


Reception = ReceivedAtDesk | Received


def received_in(
    app: OneStop, dossiers: list[UUID], scope: str, first: date, last: date
) -> Iterator[tuple[UUID, list[Any], Lodged, Reception]]:
    """Each dossier ``scope`` sees that was received from ``first`` to
    ``last`` (Vietnam days), with its raw events, lodging and reception."""
    for dossier_id in dossiers:
        events = raw_events(app, dossier_id)
        lodged = events[0]
        assert isinstance(lodged, Lodged)
        if not unit_sees(scope, lodged.procedure.competent_agency):
            continue
        reception = next(
            (e for e in events if isinstance(e, (ReceivedAtDesk, Received))), None
        )
        if reception is None:
            continue
        if first <= reception.trace.at.astimezone(VIETNAM).date() <= last:
            yield dossier_id, events, lodged, reception


def brute_force(
    app: OneStop, dossiers: list[UUID], scope: str, first: date, last: date
) -> dict[str, tuple[int, int]]:
    """(numerator, denominator) of 1.4, 2.1, 3.3, 4.3 and 4.4 straight from
    events (the national portal's acceptances on their own streams)."""
    end_of_period = datetime.combine(
        last + timedelta(days=1), datetime.min.time(), VIETNAM
    )
    counts = {code: [0, 0] for code in ("1.4", "2.1", "3.3", "4.3", "4.4")}
    for dossier_id, events, lodged, reception in received_in(
        app, dossiers, scope, first, last
    ):
        ends = [
            e
            for e in events
            if isinstance(e, (Resolved, Returned, Stopped, Withdrawn, Refused))
            and e.trace.at <= end_of_period
        ]
        resolved = [e for e in ends if isinstance(e, Resolved)]
        end = (resolved or ends or [None])[0]
        end_at = end.trace.at if end is not None else end_of_period
        requests = [
            e
            for e in events
            if isinstance(e, SupplementRequested) and e.trace.at <= end_at
        ]
        waited = timedelta()
        for request in requests:
            answer = next(
                (
                    e
                    for e in events
                    if isinstance(e, SupplementReceived)
                    and e.originator_version > request.originator_version
                ),
                None,
            )
            stop = answer.trace.at if answer is not None else end_at
            waited += max(timedelta(), min(stop, end_at) - request.trace.at)
        on_time = len(requests) <= 1 and (
            reception.due_at is None or end_at - waited <= reception.due_at
        )
        reused = [e for e in events if isinstance(e, ComponentReused)]
        synced = any(
            accepted_at(e) <= end_of_period
            for e in raw_events(app, acceptance_id(dossier_id))
        )
        for code, passes in (
            ("1.4", synced),
            ("2.1", on_time),
            ("3.3", lodged.channel is Channel.ONLINE),
            ("4.3", bool(reused)),
            ("4.4", any(e.source is ReuseSource.NATIONAL_WAREHOUSE for e in reused)),
        ):
            counts[code][0] += passes
            counts[code][1] += 1
    return {code: (n, d) for code, (n, d) in counts.items()}


Form = tuple[int, bool, dict[int, int], Satisfaction | None]
citizen_forms = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.booleans(),
        st.dictionaries(st.sampled_from(CITIZEN_INDICES), st.integers(0, 2)),
        st.none() | st.sampled_from(tuple(Satisfaction)),
    ),
    max_size=12,
)
"""(dossier, on paper?, scores, overall satisfaction): forms given after the
history, several per dossier at times (the later supersedes)."""

HISTORIES = {
    "script": steps,
    "forms": citizen_forms,
    "pace": st.lists(st.integers(0, 6), min_size=1, max_size=8),
    "first": st.integers(-5, 20),
    "length": st.integers(0, 60),
    "scope": st.sampled_from((PROVINCE, JUSTICE, CONSTRUCTION)),
    "marks": st.lists(st.booleans(), min_size=1, max_size=12),
    "accepted": st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 90)), max_size=12
    ),
}


class TestIndicatorsAreAFoldOfTheLog:
    @settings(
        max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(**HISTORIES)
    def test_indicators_equal_a_brute_force_count(
        self,
        script: list[Step],
        forms: list[Form],
        pace: list[int],
        first: int,
        length: int,
        scope: str,
        marks: list[bool],
        accepted: list[tuple[int, int]],
    ) -> None:
        store = SQLiteReadStore(":memory:")
        try:
            check_against_brute_force(
                store, script, pace, first, length, scope, marks, forms, accepted
            )
        finally:
            store.close()

    @pytest.mark.postgres
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(**HISTORIES)
    def test_on_postgresql_too(
        self,
        postgres_server: PostgresServer,
        script: list[Step],
        forms: list[Form],
        pace: list[int],
        first: int,
        length: int,
        scope: str,
        marks: list[bool],
        accepted: list[tuple[int, int]],
    ) -> None:
        name = f"ind_{uuid.uuid4().hex[:20]}"
        store = PostgresReadStore(postgres_server.create_database(name))
        try:
            check_against_brute_force(
                store, script, pace, first, length, scope, marks, forms, accepted
            )
        finally:
            store.close()
            postgres_server.drop_database(name)


def check_against_brute_force(
    store: ReadStore,
    script: list[Step],
    pace: list[int],
    first: int,
    length: int,
    scope: str,
    marks: list[bool],
    forms: list[Form],
    accepted: list[tuple[int, int]],
) -> None:
    driver = drive(script, pace)
    app = driver.app
    try:
        give_forms(driver, forms)
        accept_some(driver, accepted)
        Projector(app, store, [IndicatorProjection()]).catch_up()
        view = IndicatorView(store)
        first_day = MONDAY.date() + timedelta(days=first)
        last_day = first_day + timedelta(days=length)
        facts = view.facts(scope, first_day, last_day)

        stored = {f.dossier_id: f for f in view.facts(PROVINCE, date.min, date.max)}
        for dossier_id in driver.dossiers:
            folded = with_acceptance(
                app, dossier_id, fold_facts(raw_events(app, dossier_id))
            )
            assert folded is not None
            if folded.accepted:
                assert stored[str(dossier_id)] == folded

        figures = {
            f.definition.code: f for f in compute(Inputs(facts, period_end(last_day)))
        }
        expected = brute_force(app, driver.dossiers, scope, first_day, last_day)
        late = expected["2.1"][1] - expected["2.1"][0]
        event(f"late dossiers: {min(late, 3)}")
        twice = sum(
            sum(isinstance(e, SupplementRequested) for e in raw_events(app, d)) > 1
            for d in driver.dossiers
        )
        event(f"asked twice for supplements: {min(twice, 2)}")
        for code, (numerator, denominator) in expected.items():
            assert figures[code].denominator == denominator, code
            assert figures[code].numerator == Fraction(numerator), code
        buckets_equal_dossiers(store, view, scope, first_day, last_day, marks)
        citizens = CitizenView(view).assessment(scope, first_day, last_day)
        assert citizens == citizens_by_brute_force(
            app, driver.dossiers, scope, first_day, last_day
        )
        event(f"citizens' forms counted: {min(citizens.evaluations, 3)}")
    finally:
        app.close()


SENDER = Actor("motcua-dvcqg", Role.SYSTEM)


def accept_some(driver: Driver, accepted: list[tuple[int, int]]) -> None:
    """The national portal's acceptances, at any moment (before a period end
    or after it), recorded after the history as the sender records them: the
    first one per dossier; a second is refused by its stream."""
    if not driver.dossiers:
        return
    for target, day in accepted:
        dossier_id = driver.dossiers[target % len(driver.dossiers)]
        acceptance = PortalAcceptance.accept(
            trace=trace(SENDER, at(day)), dossier_id=dossier_id
        )
        try:
            driver.app.save(acceptance)
        except IntegrityError:
            continue


def with_acceptance(
    app: OneStop, dossier_id: UUID, facts: DossierFacts | None
) -> DossierFacts | None:
    for recorded in raw_events(app, acceptance_id(dossier_id)):
        if facts is not None and isinstance(recorded, PortalAcceptance.Accepted):
            facts = portal_accepted(facts, accepted_at(recorded))
    return facts


def give_forms(driver: Driver, forms: list[Form]) -> None:
    """Each form through the application, online by the applicant or on paper
    by a provincial desk; a dossier not yet received refuses it."""
    if not driver.dossiers:
        return
    evaluations = CitizenEvaluations(driver.app)
    for target, paper, scores, satisfaction in forms:
        dossier_id = driver.dossiers[target % len(driver.dossiers)]
        actor = desk() if paper else citizen(driver.applicants[dossier_id])
        try:
            evaluations.give(
                dossier_id,
                trace=trace(actor, MONDAY + timedelta(days=400)),
                scores=scores,
                satisfaction=satisfaction,
            )
        except (EvaluationTooEarlyError, EmptyEvaluationError):
            continue


def citizens_by_brute_force(
    app: OneStop, dossiers: list[UUID], scope: str, first: date, last: date
) -> CitizenAssessment:
    """The latest form of each dossier received in the period, straight from
    the raw events of both streams."""
    found = CitizenAssessment()
    for dossier_id, *_ in received_in(app, dossiers, scope, first, last):
        given = [
            e
            for e in raw_events(app, evaluation_id(dossier_id))
            if isinstance(e, CitizenEvaluation.Given)
        ]
        if not given:
            continue
        latest = given[-1]
        found += assessment_of(
            latest.channel,
            {int(i): s for i, s in latest.scores.items()},
            latest.satisfaction or None,
            latest.convenience or None,
        )
    return found


def buckets_equal_dossiers(
    store: ReadStore,
    view: IndicatorView,
    scope: str,
    first_day: date,
    last_day: date,
    marks: list[bool],
) -> None:
    """The pre-summed buckets answer what the dossiers one by one answer: every
    figure, grouping, the TT 01/2018 evaluation and the R-27 statistics, with
    some dossiers complained about."""
    dossiers = view.facts(scope, first_day, last_day)
    everyone = view.facts(PROVINCE, date.min, date.max)
    chosen = [
        f for f, mark in zip(everyone, marks * len(everyone), strict=False) if mark
    ]
    complained = frozenset(f.code for f in chosen[::2] if f.code)
    end = period_end(last_day)
    counted = view.tallies(scope, first_day, last_day, complained)
    expected = compute(Inputs(dossiers, end, complained_dossiers=complained))
    got = figures_of(total(t for _, t in counted))
    assert [(f.definition.code, f.numerator, f.denominator) for f in got] == [
        (f.definition.code, f.numerator, f.denominator) for f in expected
    ]
    assert monitoring.evaluation(total(t for _, t in counted)) == evaluate(
        dossiers, end, complained
    )
    one_by_one = monitoring.entries(dossiers, end, complained)
    for grouping in monitoring.Grouping:
        days, procedures = monitoring.detail(grouping)
        summed = view.tallies(
            scope,
            first_day,
            last_day,
            complained,
            days=days,
            procedures=procedures,
        )
        fast = monitoring.report(scope, first_day, last_day, summed, grouping)
        slow = monitoring.report(scope, first_day, last_day, one_by_one, grouping)
        assert fast == slow, grouping


class TestOnEachBackend:
    def test_facts_changes_and_sync_state_on_sqlite_and_postgresql(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        seed_catalogue(app)
        first = in_progress(app, at(0))
        second = in_progress(app, at(40))
        projector = Projector(app, store, [IndicatorProjection()])
        projector.catch_up()
        view = IndicatorView(store)
        facts = view.facts(PROVINCE, MONDAY.date(), MONDAY.date() + timedelta(days=60))
        assert [f.dossier_id for f in facts] == [str(first), str(second)]
        assert view.facts(CONSTRUCTION, date(2026, 1, 1), date(2026, 12, 31)) == []

        cursor, buckets = view.changes(0, 100)
        assert buckets == [
            (JUSTICE, MONDAY.date().isoformat()),
            (JUSTICE, (MONDAY.date() + timedelta(days=40)).isoformat()),
        ]
        assert view.changes(cursor, 100) == (cursor, [])
        app.request_supplement(
            first, trace=trace(specialist(), at(1)), items=("TP1",), reason="mờ"
        )
        projector.catch_up()
        later, changed = view.changes(cursor, 100)
        assert later > cursor
        assert changed == [(JUSTICE, MONDAY.date().isoformat())]
        assert view.bucket(JUSTICE, MONDAY.date().isoformat())[0].supplements

        # The national portal accepts the first dossier on day 3: the bucket
        # changes for the national pull, 1.4 counts it from that moment.
        marked, _ = view.changes(0, 100)
        app.save(PortalAcceptance.accept(trace=trace(SENDER, at(3)), dossier_id=first))
        projector.catch_up()
        after, touched = view.changes(marked, 100)
        assert after > marked
        assert touched == [(JUSTICE, MONDAY.date().isoformat())]
        (stored,) = view.bucket(JUSTICE, MONDAY.date().isoformat())
        assert stored.synced_at == at(3)

        def synced(last_day: date) -> tuple[int, int]:
            (figure,) = [
                f
                for f in figures_of(
                    total(t for _, t in view.tallies(PROVINCE, MONDAY.date(), last_day))
                )
                if f.definition.code == "1.4"
            ]
            return int(figure.numerator), figure.denominator

        assert synced(MONDAY.date() + timedelta(days=2)) == (0, 1)  # not yet
        assert synced(MONDAY.date() + timedelta(days=3)) == (1, 1)
        assert synced(MONDAY.date() + timedelta(days=45)) == (1, 2)
        # Recorded once: the stream refuses a second acceptance.
        with pytest.raises(IntegrityError):
            app.save(
                PortalAcceptance.accept(trace=trace(SENDER, at(9)), dossier_id=first)
            )
