"""The write-path shortcuts give the same outcomes as reading everything first.

Two applications on one store stand for two processes: each keeps the
dossiers it saved and the catalogue it read in memory, and must still act on
what the other one wrote.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.postgres_recorder import GroupCommitRecorder, SingleRoundTripRecorder
from adapters.settings import persistence_env
from application.errors import VersionConflictError
from application.onestop import OneStop
from application.options import OneStopOptions
from domain.dossier_events import DossierEvent, Forwarded
from domain.dossier_status import DossierStatus
from domain.dossier_values import Holder
from domain.errors import ResultError
from tests.factories import (
    ADMIN,
    JUSTICE,
    birth_registration,
    desk,
    document,
    in_progress,
    leader,
    receive,
    result,
    seed_catalogue,
    specialist,
    trace,
    warehouse_document,
)

SHARED_STORES = ("sqlite", "postgres")


@pytest.fixture(params=SHARED_STORES)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _pair(
    url: str, options: OneStopOptions | None = None
) -> Iterator[tuple[OneStop, OneStop]]:
    here = OneStop(env=persistence_env(url), options=options)
    seed_catalogue(here)
    elsewhere = OneStop(env=persistence_env(url), options=options)
    try:
        yield here, elsewhere
    finally:
        here.close()
        elsewhere.close()


@pytest.fixture
def apps(shared_url: str) -> Iterator[tuple[OneStop, OneStop]]:
    """This process and another one, on the same store."""
    yield from _pair(shared_url)


def last_event(app: OneStop, dossier_id: UUID) -> DossierEvent:
    events = list(app.events.get(dossier_id))
    event = events[-1]
    assert isinstance(event, DossierEvent)
    return event


class TestDossierSavedHere:
    def test_a_command_after_a_write_elsewhere_uses_the_stored_state(
        self, apps: tuple[OneStop, OneStop]
    ) -> None:
        here, elsewhere = apps
        dossier_id = in_progress(here)
        version = here.get_dossier(dossier_id).version
        elsewhere.forward_dossier(
            dossier_id, trace=trace(specialist()), to=Holder(JUSTICE, "PTP")
        )
        here.forward_dossier(
            dossier_id, trace=trace(specialist()), to=Holder(JUSTICE, "PHT")
        )
        event = last_event(here, dossier_id)
        assert isinstance(event, Forwarded)
        assert event.from_holder == Holder(JUSTICE, "PTP")
        assert event.originator_version == version + 2

    def test_nothing_to_do_on_the_saved_state_is_rechecked(
        self, apps: tuple[OneStop, OneStop]
    ) -> None:
        here, elsewhere = apps
        dossier_id = in_progress(here)  # held by JUSTICE/PHC
        elsewhere.forward_dossier(
            dossier_id, trace=trace(specialist()), to=Holder(JUSTICE, "PTP")
        )
        position = here.forward_dossier(
            dossier_id, trace=trace(specialist()), to=Holder(JUSTICE, "PHC")
        )
        assert position is not None
        assert here.get_dossier(dossier_id).holder == Holder(JUSTICE, "PHC")

    def test_an_error_on_the_saved_state_is_rechecked(
        self, apps: tuple[OneStop, OneStop]
    ) -> None:
        here, elsewhere = apps
        dossier_id = in_progress(here)
        elsewhere.request_supplement(
            dossier_id, trace=trace(specialist()), items=("TP1",), reason="thiếu"
        )
        # Illegal in the state saved here (in progress), legal in the stored one.
        here.receive_supplement(dossier_id, trace=trace(desk()))
        assert here.get_dossier(dossier_id).status is DossierStatus.IN_PROGRESS
        assert elsewhere.get_dossier(dossier_id).supplement_requests == 1

    def test_expected_version_is_checked_against_the_stored_state(
        self, apps: tuple[OneStop, OneStop]
    ) -> None:
        here, elsewhere = apps
        dossier_id = in_progress(here)
        seen = here.get_dossier(dossier_id).version
        elsewhere.forward_dossier(
            dossier_id, trace=trace(specialist()), to=Holder(JUSTICE, "PTP")
        )
        with pytest.raises(VersionConflictError):
            here.stop_dossier(
                dossier_id, trace=trace(leader()), reason="x", expected_version=seen
            )
        assert here.get_dossier(dossier_id).status is DossierStatus.IN_PROGRESS
        assert last_event(here, dossier_id).originator_version == seen + 1

    def test_a_failed_command_leaves_nothing_behind(
        self, apps: tuple[OneStop, OneStop]
    ) -> None:
        here, _ = apps
        dossier_id = in_progress(here)
        version = here.get_dossier(dossier_id).version
        wrong = result(here).__class__("KQ.UNKNOWN", document().document_id, "0" * 64)
        with pytest.raises(ResultError):
            here.resolve_dossier(
                dossier_id, trace=trace(leader()), results=(wrong,), decision="ok"
            )
        here.resolve_dossier(
            dossier_id, trace=trace(leader()), results=(result(here),), decision="ok"
        )
        dossier = here.get_dossier(dossier_id)
        assert dossier.status is DossierStatus.RESOLVED
        assert dossier.version == version + 1

    def test_concurrent_commands_lose_no_update(
        self, apps: tuple[OneStop, OneStop]
    ) -> None:
        here, elsewhere = apps
        dossier_id = in_progress(here)
        proxy = warehouse_document(here, "TP4")
        start = here.get_dossier(dossier_id).version
        outcomes: list[str] = []
        lock = threading.Lock()

        def reuse(app: OneStop, n: int) -> None:
            for _ in range(8):
                try:
                    app.reuse_component(
                        dossier_id,
                        trace=trace(desk()),
                        component_code="TP4",
                        document_id=proxy,
                    )
                    outcome = "ok"
                except VersionConflictError:
                    outcome = "conflict"
                with lock:
                    outcomes.append(outcome)

        threads = [
            threading.Thread(target=reuse, args=(app, n))
            for n, app in enumerate((here, here, elsewhere))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = list(here.events.get(dossier_id))
        assert len(outcomes) == 24
        assert stored[-1].originator_version == start + outcomes.count("ok")
        assert here.get_dossier(dossier_id).version == start + outcomes.count("ok")


class TestCatalogueReadHere:
    def test_a_procedure_revised_here_is_used_at_once(
        self, apps: tuple[OneStop, OneStop]
    ) -> None:
        here, _ = apps
        receive(here)  # reads (and keeps) version 1
        definition = birth_registration()
        revised = definition.__class__(
            **{**vars(definition), "name": "Đăng ký khai sinh (sửa đổi)"}
        )
        here.revise_procedure(trace=trace(ADMIN), definition=revised)
        dossier = here.get_dossier(receive(here).dossier_id)
        assert dossier.procedure_version == 2
        assert dossier.procedure_name == "Đăng ký khai sinh (sửa đổi)"

    def test_a_calendar_changed_here_is_used_at_once(
        self, apps: tuple[OneStop, OneStop]
    ) -> None:
        here, _ = apps
        before = last_event(here, receive(here).dossier_id).calendar_version
        here.declare_day_off(
            "H34", trace=trace(ADMIN), day=date(2026, 3, 3), reason="bão"
        )
        after = last_event(here, receive(here).dossier_id).calendar_version
        assert after == before + 1

    def test_a_calendar_changed_elsewhere_is_seen_within_the_cache_time(
        self, shared_url: str
    ) -> None:
        for here, elsewhere in _pair(
            shared_url, OneStopOptions(catalogue_cache_seconds=0.2)
        ):
            before = last_event(here, receive(here).dossier_id).calendar_version
            elsewhere.declare_day_off(
                "H34", trace=trace(ADMIN), day=date(2026, 3, 3), reason="bão"
            )
            time.sleep(0.25)
            after = last_event(here, receive(here).dossier_id).calendar_version
            assert after == before + 1

    def test_no_cache_time_reads_the_calendar_every_time(self, shared_url: str) -> None:
        for here, elsewhere in _pair(
            shared_url, OneStopOptions(catalogue_cache_seconds=0)
        ):
            before = last_event(here, receive(here).dossier_id).calendar_version
            elsewhere.declare_day_off(
                "H34", trace=trace(ADMIN), day=date(2026, 3, 3), reason="bão"
            )
            after = last_event(here, receive(here).dossier_id).calendar_version
            assert after == before + 1


@pytest.mark.postgres
class TestSingleRoundTripRecorder:
    def test_is_used_on_postgres_unless_turned_off(self, postgres_url: str) -> None:
        on = OneStop(env=persistence_env(postgres_url))
        single = OneStop(env=persistence_env(postgres_url, group_commit=False))
        off = OneStop(env=persistence_env(postgres_url, single_round_trip=False))
        try:
            assert type(on.recorder) is GroupCommitRecorder
            assert type(single.recorder) is SingleRoundTripRecorder
            assert type(off.recorder) is PostgresApplicationRecorder
        finally:
            on.close()
            single.close()
            off.close()

    def test_notifies_listeners_and_numbers_events_in_order(
        self, postgres_url: str
    ) -> None:
        app = OneStop(env=persistence_env(postgres_url))
        seed_catalogue(app)
        try:
            with psycopg.connect(postgres_url, autocommit=True) as listener:
                listener.execute("LISTEN motcua_events")
                reception = receive(app)  # one save: Dossier + DossierCode
                notices = list(listener.notifies(timeout=5, stop_after=1))
            assert [n.channel for n in notices] == ["motcua_events"]
            with psycopg.connect(postgres_url) as conn:
                rows = conn.execute(
                    "SELECT notification_id, topic FROM motcua_events "
                    "ORDER BY notification_id DESC LIMIT 2"
                ).fetchall()
            assert rows[0][0] == reception.notification_id
            assert rows[1][0] == reception.notification_id - 1
            assert [topic for _, topic in rows] == [
                "domain.dossier_code:DossierCode.Issued",
                "domain.dossier:Dossier.ReceivedAtDesk",
            ]
        finally:
            app.close()

    def test_still_takes_the_table_lock(self, postgres_url: str) -> None:
        app = OneStop(env=persistence_env(postgres_url))
        seed_catalogue(app)
        done = threading.Event()
        try:
            with psycopg.connect(postgres_url) as blocker:
                blocker.execute("LOCK TABLE motcua_events IN ROW EXCLUSIVE MODE")

                def write() -> None:
                    receive(app)
                    done.set()

                writer = threading.Thread(target=write, daemon=True)
                writer.start()
                waiting = 0
                for _ in range(100):
                    with psycopg.connect(postgres_url, autocommit=True) as probe:
                        row = probe.execute(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted "
                            "AND mode = 'ExclusiveLock' "
                            "AND relation = 'motcua_events'::regclass"
                        ).fetchone()
                    waiting = row[0] if row else 0
                    if waiting:
                        break
                    time.sleep(0.05)
                assert waiting == 1
                assert not done.is_set()
                blocker.rollback()
            writer.join(timeout=10)
            assert done.is_set()
        finally:
            app.close()


def test_the_eventsourcing_aggregate_cache_is_off() -> None:
    """The project's own caches serve commands; the library's would read and copy."""
    app = OneStop(env=persistence_env("memory://"))
    try:
        assert app.repository.cache is None
    finally:
        app.close()
