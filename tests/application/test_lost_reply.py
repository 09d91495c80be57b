"""A write that landed but whose reply was lost is not applied a second time."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from application.onestop import OneStop
from tests.factories import in_progress, specialist, trace


class TestLostReply:
    def test_a_retried_write_that_already_landed_counts_once(
        self, app: OneStop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dossier_id = in_progress(app)
        recorder = app.recorder
        real_insert = recorder.insert_events

        def insert_then_lose_reply(*args: Any, **kwargs: Any) -> Any:
            real_insert(*args, **kwargs)
            raise IntegrityError("duplicate key: the library retried our own insert")

        monkeypatch.setattr(recorder, "insert_events", insert_then_lose_reply)
        position = app.request_supplement(
            dossier_id, trace=trace(specialist()), items=("TP1",), reason="bổ sung"
        ).log_position
        monkeypatch.undo()
        dossier = app.get_dossier(dossier_id)
        assert dossier.supplement_requests == 1
        assert position is not None
        assert position >= (app.recorder.max_notification_id() or 0)
