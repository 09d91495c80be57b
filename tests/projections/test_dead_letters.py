"""A read model never stops for one bad event: it is dead-lettered, the rest flows."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from application.onestop import OneStop
from domain.bounds import MAX_MONEY_VND
from domain.dossier_status import DossierStatus
from projections.citizen import CitizenView
from projections.ports import Sql
from projections.public_status import PublicStatusView
from projections.rebuild import SHADOW, rebuild_many
from projections.registry import READ_MODELS, all_projections
from projections.runtime import Projector
from projections.worklist import WorklistProjection, WorklistView
from tests.factories import at, in_progress, seed_catalogue
from tests.poison import (
    HUGE_FEE,
    CitizenCappingFees,
    poisoned_payment,
    undecodable,
)
from tests.projections.conftest import Backend
from tests.projections.support import checksums, contents, positions

LIVE = tuple(READ_MODELS)


def head(app: OneStop) -> int:
    return app.recorder.max_notification_id() or 0


def code_of(app: OneStop, dossier_id: object) -> str:
    dossier = app.get_dossier(dossier_id)  # type: ignore[arg-type]
    assert dossier.code is not None
    return str(dossier.code)


class TestPoisonEvent:
    def test_is_dead_lettered_and_the_events_after_it_are_projected(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        seed_catalogue(app)
        poisoned, position = poisoned_payment(app)
        later = in_progress(app, at(3))  # written after the poison
        counted: list[str] = []
        projector = Projector(app, store, all_projections(), batch_size=1000)
        projector.on_dead_letter.append(counted.append)
        projector.catch_up()

        assert {k: v for k, v in positions(store).items() if k in LIVE} == {
            name: head(app) for name in LIVE
        }
        (letter,) = projector.dead_letters()
        assert (letter.read_model, letter.position) == ("citizen", position)
        assert letter.topic.endswith("FinancialObligationRequested")
        assert letter.originator_id == str(poisoned)
        assert letter.attempts == 1
        assert letter.error
        assert counted == ["citizen"]
        status = {s.name: s.dead_letters for s in projector.status()}
        assert status == {name: int(name == "citizen") for name in LIVE}

        # Every other read model applied the poison event itself ...
        worklist = WorklistView(store).by_code(code_of(app, poisoned))
        assert worklist is not None
        assert worklist.status is DossierStatus.AWAITING_PAYMENT
        # ... and every read model applied what came after it.
        later_code = code_of(app, later)
        assert PublicStatusView(store).lookup(later_code) is not None
        assert WorklistView(store).by_code(later_code) is not None
        # The citizen read model has the real request only, not the poisoned one.
        assert [f.total for f in CitizenView(store).fees(str(poisoned))] == [8000]

        # Unchanged code: the retry fails again, counted as an attempt only.
        assert projector.retry() == (0, 1, 0)
        assert [d.attempts for d in projector.dead_letters()] == [2]
        assert counted == ["citizen"]

        fixed = Projector(app, store, [CitizenCappingFees()])
        assert fixed.retry(["citizen"]) == (1, 0, 0)
        assert projector.dead_letters() == []
        fees = CitizenView(store).fees(str(poisoned))
        assert [f.total for f in fees] == [8000, MAX_MONEY_VND]
        assert all(s.dead_letters == 0 for s in projector.status())

    def test_an_undecodable_event_is_dead_lettered_in_every_read_model_that_follows_it(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        seed_catalogue(app)
        broken, position = undecodable(app)

        later = in_progress(app, at(3))
        projector = Projector(app, store, all_projections())
        projector.catch_up()

        followers = {
            p.name for p in all_projections() if broken_topic(app, position) in p.topics
        }
        letters = projector.dead_letters()
        assert {d.read_model for d in letters} == followers
        assert {d.position for d in letters} == {position}
        assert {d.originator_id for d in letters} == {str(broken)}
        assert all("Deserialis" in d.error for d in letters)
        assert WorklistView(store).by_code(code_of(app, later)) is not None
        assert projector.position() == head(app)
        assert projector.retry() == (0, len(followers), 0)

    def test_rebuild_does_not_stop_and_keeps_the_dead_letter(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        seed_catalogue(app)
        _, position = poisoned_payment(app)
        in_progress(app, at(3))
        projector = Projector(app, store, all_projections())
        projector.catch_up()

        assert rebuild_many(app, store, ["citizen"]) > 0
        (letter,) = projector.dead_letters()
        assert (letter.read_model, letter.position) == ("citizen", position)
        shadow = Projector(app, store, [READ_MODELS["citizen"](SHADOW)])
        assert shadow.dead_letters() == []
        assert projector.position() == head(app)

    def test_a_store_that_is_unavailable_stops_the_batch_instead(
        self, backend: Backend
    ) -> None:
        """Lost connections and locks are not the event's fault: nothing is
        dead-lettered, the batch is retried later."""
        app, store = backend.app, backend.store
        seed_catalogue(app)
        in_progress(app, at(1))
        projector = Projector(app, store, [LockedWorklist()])
        with pytest.raises((sqlite3.OperationalError, psycopg.OperationalError)):
            projector.catch_up()
        assert projector.dead_letters() == []
        assert projector.position() == 0


def errors(projector: Projector) -> list[tuple[str, int, str]]:
    return [(d.read_model, d.position, d.error) for d in projector.dead_letters()]


def broken_topic(app: OneStop, position: int) -> str:
    (notification,) = app.recorder.select_notifications(
        start=position, limit=1, stop=position
    )
    return notification.topic


class LockedWorklist(WorklistProjection):
    """Fails as the store does when it is locked or its connection is gone."""

    def apply(self, event: object, sql: Sql) -> None:
        if sql.dialect == "postgres":
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        raise sqlite3.OperationalError("database is locked")


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    amount=st.one_of(
        st.integers(2**63, 10**40), st.sampled_from([2**63, HUGE_FEE, 10**18 * 10])
    ),
    before=st.integers(0, 3),
    after=st.integers(0, 3),
    batch_size=st.integers(1, 60),
)
def test_batched_with_a_poison_event_equals_one_event_per_transaction(
    amount: int, before: int, after: int, batch_size: int
) -> None:
    """Whatever the batch size and wherever the poison falls in it, the read
    models end exactly as if every event had its own transaction."""
    app = OneStop(env=persistence_env("memory://"))
    one_by_one = SQLiteReadStore(":memory:")
    batched = SQLiteReadStore(":memory:")
    try:
        seed_catalogue(app)
        for day in range(before):
            in_progress(app, at(day))
        _, position = poisoned_payment(app, amount)
        for day in range(after):
            in_progress(app, at(4 + day))
        reference = Projector(app, one_by_one, all_projections(), batch_size=1)
        reference.catch_up()
        projector = Projector(app, batched, all_projections(), batch_size=batch_size)
        projector.catch_up()

        assert [(d.read_model, d.position) for d in projector.dead_letters()] == [
            ("citizen", position)
        ]
        assert errors(reference) == errors(projector)
        assert contents(batched) == contents(one_by_one)
        assert checksums(batched) == checksums(one_by_one)
        assert set(positions(batched).values()) == {head(app)}
    finally:
        one_by_one.close()
        batched.close()
        app.close()
