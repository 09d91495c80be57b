"""Events stored before issue 6 (without its new fields) still load, as recorded."""

from __future__ import annotations

import json
from dataclasses import replace

from application.onestop import OneStop
from domain.dossier_events import Forwarded, Resolved
from tests.factories import at, in_progress, leader, result, trace


def stored_without(app: OneStop, event: object, field: str) -> object:
    """``event`` as a process before the field existed would have stored it."""
    stored = app.mapper.to_stored_event(event)  # type: ignore[arg-type]
    state = json.loads(stored.state)
    assert field in state
    del state[field]
    old = replace(stored, state=json.dumps(state).encode())
    return app.mapper.to_domain_event(old)


def test_an_old_forward_has_no_planned_time_and_an_old_resolution_no_flag(
    app: OneStop,
) -> None:
    dossier_id = in_progress(app, when=at(0, 8))
    app.resolve_dossier(
        dossier_id,
        trace=trace(leader(), at(9, 9)),
        results=(result(app),),
        decision="OK",
    )
    events = list(app.events.get(dossier_id))
    forward = next(e for e in events if isinstance(e, Forwarded))
    resolved = next(e for e in events if isinstance(e, Resolved))
    assert forward.planned_due_at is not None
    assert resolved.late_without_apology is True
    old_forward = stored_without(app, forward, "planned_due_at")
    old_resolved = stored_without(app, resolved, "late_without_apology")
    assert isinstance(old_forward, Forwarded)
    assert old_forward.planned_due_at is None
    assert old_forward.to_holder == forward.to_holder
    assert isinstance(old_resolved, Resolved)
    assert old_resolved.late_without_apology is False
    assert old_resolved.timeliness is resolved.timeliness
