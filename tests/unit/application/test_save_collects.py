"""``save`` collects events from aggregates directly and from anything else the
library's way: the same recordings, in the same order, as the library makes."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.application import Application

from application.onestop import OneStop
from domain.dossier_code import DossierCode


def _app() -> OneStop:
    return OneStop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def _issued(count: int) -> list[DossierCode]:
    return [
        DossierCode.issue(code=f"000.00.00.H34-260302-{n:04d}", dossier_id=uuid4())
        for n in range(1, count + 1)
    ]


def test_aggregates_and_nones_are_recorded_as_the_library_records_them() -> None:
    ours, library = _app(), _app()
    codes = _issued(3)
    try:
        mine = ours.save(codes[0], None, codes[1], codes[2])
        theirs = Application.save(
            library,
            *[
                DossierCode.issue(code=c.code, dossier_id=c.dossier_id)
                for c in codes[:1]
            ],
            None,
            *[
                DossierCode.issue(code=c.code, dossier_id=c.dossier_id)
                for c in codes[1:]
            ],
        )
        assert [(r.domain_event.originator_id, r.notification.id) for r in mine] == [
            (c.id, n) for n, c in enumerate(codes, start=1)
        ]
        assert [
            (r.notification.topic, r.notification.originator_version) for r in mine
        ] == [(r.notification.topic, r.notification.originator_version) for r in theirs]
        assert all(not c.collect_events() for c in codes)  # pending events taken
        assert ours.repository.get(codes[1].id).code == codes[1].code
    finally:
        ours.close()
        library.close()


def test_an_event_saved_on_its_own_takes_the_library_way() -> None:
    app = _app()
    try:
        code = _issued(1)[0]
        event = code.collect_events()[0]
        recordings = app.save(event)
        assert [r.domain_event for r in recordings] == [event]
        assert app.repository.get(code.id).dossier_id == code.dossier_id
    finally:
        app.close()


def test_nothing_to_save_records_nothing() -> None:
    app = _app()
    try:
        before = app.recorder.max_notification_id()
        assert app.save() == []
        assert app.save(None) == []
        assert app.recorder.max_notification_id() == before
    finally:
        app.close()
