"""As-of reconstruction equals replaying the events up to that time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.settings import persistence_env
from application.errors import DossierNotFoundError
from application.history import dossier_as_of, dossier_history
from application.onestop import OneStop
from domain import dossier_events as happened
from domain.dossier import Dossier
from tests.projections.support import Scenario, populate


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[OneStop, Scenario]:
    path = tmp_path_factory.mktemp("history") / "m.db"
    app = OneStop(env=persistence_env(f"sqlite:///{path}"))
    return app, populate(app)


def _dossiers(scenario: tuple[OneStop, Scenario]) -> list[UUID]:
    return list(scenario[1].ids.values())


def test_every_version_equals_the_stored_aggregate_at_that_version(
    scenario: tuple[OneStop, Scenario],
) -> None:
    app, _ = scenario
    for dossier_id in _dossiers(scenario):
        events: list[Any] = list(app.events.get(dossier_id))
        for event in events:
            found = dossier_as_of(events, dossier_id, event.timestamp)
            stored: Dossier = app.repository.get(
                dossier_id, version=event.originator_version
            )
            assert found.version == stored.version == event.originator_version
            assert found.status == stored.status.value
            assert found.code == stored.code
            assert found.holder_agency == stored.holder.agency_code
            assert found.due is not None
            assert found.due.due_at == stored.due_at
            assert [d.status for d in found.documents] == [
                c.status.value for c in stored.components.values()
            ]
            assert [s.version for s in found.steps] == list(
                range(1, stored.version + 1)
            )


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_instant_sees_exactly_the_events_recorded_by_then(
    scenario: tuple[OneStop, Scenario], data: st.DataObject
) -> None:
    app, _ = scenario
    dossier_id = data.draw(st.sampled_from(_dossiers(scenario)))
    events: list[Any] = list(app.events.get(dossier_id))
    first, last = events[0].timestamp, events[-1].timestamp
    span = (last - first) + timedelta(milliseconds=2)
    offset = data.draw(st.integers(-1000, int(span / timedelta(microseconds=1))))
    moment = first + timedelta(microseconds=offset)
    found = dossier_as_of(events, dossier_id, moment)
    recorded = [e for e in events if e.timestamp <= moment]
    assert found.known == bool(recorded)
    assert found.version == len(recorded)
    for step, event in zip(found.steps, recorded, strict=True):
        assert step.recorded_at == event.timestamp
        assert step.effective_at == event.trace.at
        assert step.actor_id == event.trace.actor.id
        assert step.role == event.trace.actor.role.value
        assert step.agency_code == event.trace.actor.agency_code


def test_the_due_time_is_explained_by_pauses_and_the_reappointment(
    scenario: tuple[OneStop, Scenario],
) -> None:
    app, s = scenario
    found = dossier_history(app, s["reappointed"])
    due = found.due
    assert due is not None
    assert due.reappointment is not None
    events: list[Any] = list(app.events.get(s["reappointed"]))
    reception = events[0]
    assert isinstance(reception, happened.ReceivedAtDesk)
    assert due.initial_due_at == reception.due_at
    assert due.calendar_version == reception.calendar_version
    assert due.reappointment.previous_due_at == reception.due_at
    assert due.due_at == due.reappointment.due_at != reception.due_at
    assert "Cần xác minh thêm" in due.explanation[-1]

    paid = dossier_history(app, s["payment"]).due
    assert paid is not None
    (pause,) = paid.pauses
    assert pause.kind == "payment"
    assert pause.ended_at is not None
    assert pause.paused_seconds is not None
    assert pause.paused_seconds > 0
    assert pause.due_after == paid.due_at
    assert pause.due_before == paid.initial_due_at


def test_why_a_dossier_counted_late_names_the_second_supplement(
    scenario: tuple[OneStop, Scenario],
) -> None:
    app, s = scenario
    found = dossier_history(app, s["supplement"])
    assert found.due is not None
    assert found.due.supplement_requests == 2
    assert found.status == "awaiting_supplement"
    assert found.due.pauses[-1].ended_at is None  # still waiting


def test_before_the_first_event_the_dossier_is_not_known(
    scenario: tuple[OneStop, Scenario],
) -> None:
    app, s = scenario
    events: list[Any] = list(app.events.get(s["returned"]))
    found = dossier_as_of(
        events, s["returned"], events[0].timestamp - timedelta(seconds=1)
    )
    assert not found.known
    assert found.steps == []


def test_other_streams_are_not_dossiers(scenario: tuple[OneStop, Scenario]) -> None:
    app, _ = scenario
    with pytest.raises(DossierNotFoundError):
        dossier_history(app, "000.00.00.H34-990101-0001")
    with pytest.raises(DossierNotFoundError):
        dossier_history(app, UUID(int=7))


def test_cli_history(
    scenario: tuple[OneStop, Scenario], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from api.cli.main import app as cli

    app, s = scenario
    url = app.env.get("SQLITE_DBNAME")
    monkeypatch.setenv("MOTCUA_DATABASE_URL", f"sqlite:///{url}")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    code = app.get_dossier(s["returned"]).code
    assert code is not None
    events: list[Any] = list(app.events.get(s["returned"]))
    runner = CliRunner()
    at = events[2].timestamp.isoformat()
    result = runner.invoke(cli, ["audit", "history", code, "--as-of", at, "--json"])
    assert result.exit_code == 0, result.output
    import json

    body = json.loads(result.stdout)
    assert body["version"] == 3
    assert [s["version"] for s in body["steps"]] == [1, 2, 3]
    assert body["due"]["calendarVersion"] == events[0].calendar_version
    text = runner.invoke(cli, ["audit", "history", code])
    assert text.exit_code == 0
    assert "Rated by" in text.stdout
    bad = runner.invoke(cli, ["audit", "history", code, "--as-of", "yesterday"])
    assert bad.exit_code == 2
    unknown = runner.invoke(cli, ["audit", "history", "000.00.00.H34-990101-0001"])
    assert unknown.exit_code == 2
