"""Dossier events stored before ``domain/dossier.py`` was split still load.

``stored_before_split.json`` holds the events (every dossier event topic) and a
snapshot exactly as the code of commit cb43da2 stored them, with what its
aggregate said about each dossier. They are written raw into a SQLite and a
PostgreSQL event store and read back through the application.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from adapters.settings import persistence_env
from application.onestop import OneStop
from domain import dossier_events
from domain.dossier import Dossier

STORED = json.loads(Path(__file__).with_name("stored_before_split.json").read_text())


def _stored(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(row["originator_id"]),
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=row["state"].encode(),
    )


@pytest.fixture(params=("sqlite", pytest.param("postgres", marks=pytest.mark.postgres)))
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OneStop]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    application = OneStop(env=persistence_env(url))
    application.recorder.insert_events([_stored(row) for row in STORED["events"]])
    try:
        yield application
    finally:
        application.close()


def _described(dossier: Dossier) -> dict[str, Any]:
    return {
        "status": dossier.status.value,
        "version": dossier.version,
        "code": dossier.code,
        "due_at": dossier.due_at.isoformat() if dossier.due_at else None,
        "holder": [dossier.holder.agency_code, dossier.holder.department],
        "involved": list(dossier.involved_agencies),
        "paused_seconds": dossier.paused_seconds,
        "supplement_requests": dossier.supplement_requests,
    }


class TestEventsStoredBeforeTheSplit:
    def test_the_fixture_covers_every_recorded_dossier_event(self) -> None:
        topics = {row["topic"] for row in STORED["events"]}
        recorded = {
            f"domain.dossier:Dossier.{cls.__name__}"
            for cls in dossier_events.DOSSIER_EVENTS
            if cls is not dossier_events.Lodged
        }
        assert topics == recorded

    def test_each_old_topic_decodes_to_the_moved_class(self, app: OneStop) -> None:
        for row in STORED["events"]:
            event = app.mapper.to_domain_event(_stored(row))
            cls = type(event)
            assert cls.__module__ == "domain.dossier_events"
            assert row["topic"] == f"domain.dossier:Dossier.{cls.__name__}"
            assert str(event.originator_id) == row["originator_id"]

    def test_old_events_fold_into_what_the_aggregate_said_then(
        self, app: OneStop
    ) -> None:
        for dossier_id, then in STORED["dossiers"].items():
            assert _described(app.get_dossier(UUID(dossier_id))) == then

    def test_new_events_are_stored_under_the_same_topics(self, app: OneStop) -> None:
        for row in STORED["events"]:
            event = app.mapper.to_domain_event(_stored(row))
            assert app.mapper.to_stored_event(event).topic == row["topic"]

    def test_an_old_snapshot_restores_what_the_events_say(self, app: OneStop) -> None:
        assert app.snapshots is not None
        [row] = STORED["snapshots"]
        dossier_id = UUID(row["originator_id"])
        app.snapshots.recorder.insert_events([_stored(row)])
        [snapshot] = app.snapshots.get(dossier_id)
        assert isinstance(snapshot, Snapshot)
        restored = snapshot.mutate(None)
        assert isinstance(restored, Dossier)
        assert _described(restored) == STORED["dossiers"][row["originator_id"]]
        assert restored.version == row["originator_version"]
        assert _described(app.repository.get(dossier_id)) == _described(restored)
