"""Through a served ``motcua serve``: after the reorganisation, the successor
unit's officers see a transferred dossier in their worklist, the old unit's
do not, and the old Kon Tum code is still found by the public lookup."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from adapters.settings import Settings
from api.auth import AccessLevel
from api.wiring import build_application
from application import reorganisation
from domain.reorganisation import parse_plan
from domain.values import Role
from tests.api.conftest import UNLIMITED_LOOKUPS
from tests.application.test_reorganisation import NEW_JUSTICE, PLAN, paused_dossier
from tests.factories import JUSTICE, in_progress
from tests.served import Served, seeded_settings, served

WORKLIST = "query W($agency: String) { worklist(agencyCode: $agency) { code } }"
STATUS = "query S($code: String!) { dossierStatus(code: $code) { code completion } }"


def officer(m: Served, agency: str) -> str:
    return m.tokens.issue(
        AccessLevel.OFFICER,
        subject=f"spec-{agency}",
        agency=agency,
        department="PHC",
        roles=[Role.SPECIALIST],
    )


def codes_in(m: Served, token: str) -> list[str]:
    body: dict[str, Any] = m.graphql(WORKLIST, {}, token=token).json()
    assert not body.get("errors"), body
    return sorted(d["code"] for d in body["data"]["worklist"])


def reorganised(settings: Settings) -> list[str]:
    app = build_application(settings)
    try:
        ids = [in_progress(app), paused_dossier(app)]
        reorganisation.apply(app, parse_plan(PLAN))
        return sorted(str(app.get_dossier(i).code) for i in ids)
    finally:
        app.close()


def test_successor_officers_see_transferred_dossiers_and_old_codes_are_found(
    tmp_path: Path,
) -> None:
    settings = seeded_settings(tmp_path / "d", options=UNLIMITED_LOOKUPS)
    codes = reorganised(settings)
    assert all(code.startswith("000.00.00.H34-") for code in codes)
    with served(settings) as m:
        successor = officer(m, NEW_JUSTICE)
        deadline = time.monotonic() + 60
        while codes_in(m, successor) != codes and time.monotonic() < deadline:
            time.sleep(0.3)
        assert codes_in(m, successor) == codes
        # The ended unit took part in these dossiers, so it still sees them
        # (domain.visibility: every unit involved so far); it can no longer act
        # on them (tests/application/test_reorganisation.py).
        assert codes_in(m, officer(m, JUSTICE)) == codes
        for code in codes:
            body = m.graphql(STATUS, {"code": code}).json()
            assert body["data"]["dossierStatus"]["code"] == code, body
