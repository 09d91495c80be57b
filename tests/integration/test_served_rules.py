"""Issue 6 items 7, 8, 13 against ``motcua serve``: typed refusals, nothing written."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from api.auth import AccessLevel
from api.wiring import build_application
from domain.values import Role
from tests.api.conftest import RECEIVE
from tests.api.test_graphql_flow import DIGITIZE, SIGN
from tests.api.test_graphql_rules import FORWARD, REAPPOINT, SHEET
from tests.factories import APPLICANT, BIRTH, JUSTICE, PROVINCE
from tests.scans import pdf_bytes
from tests.served import Served, seeded_settings, served


def officer(motcua: Served, role: Role, agency: str, subject: str) -> str:
    return motcua.tokens.issue(
        AccessLevel.OFFICER, subject=subject, agency=agency, roles=[role]
    )


def data(motcua: Served, query: str, variables: dict[str, Any], token: str) -> Any:
    response = motcua.graphql(query, variables, token=token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    (value,) = body["data"].values()
    return value


def test_refusals_write_nothing_and_the_sheet_shows_the_hand_over(
    tmp_path: Path,
) -> None:
    settings = seeded_settings(tmp_path / "data")
    reader = build_application(settings)
    with served(settings) as motcua:

        def position() -> int:
            return reader.recorder.max_notification_id() or 0

        desk = officer(motcua, Role.DESK, PROVINCE, "desk-1")
        receive = {
            "procedure": BIRTH,
            "applicantId": APPLICANT.id,
            "name": APPLICANT.name,
        }
        before = position()
        stranger = officer(motcua, Role.DESK, "000.00.88.H34", "desk-x")
        refused = data(motcua, RECEIVE, receive, stranger)
        assert refused["__typename"] == "NotAllowed"
        assert position() == before

        received = data(motcua, RECEIVE, receive, desk)
        code = received["code"]
        for component in ("TP1", "TP2"):
            uploaded = motcua.upload(pdf_bytes(component), token=desk)
            assert uploaded.status_code == 201, uploaded.text
            doc = {"sha256": uploaded.json()["sha256"]}
            done = data(
                motcua,
                DIGITIZE,
                {"code": code, "component": component, "doc": doc},
                desk,
            )
            assert done["__typename"] == "DossierUpdated", done
            signed = data(
                motcua,
                SIGN,
                {"code": code, "component": component},
                desk,
            )
            assert signed["__typename"] == "DossierUpdated", signed
        before = position()
        for target, error in (
            ("000.00.00.H35", "CROSS_PROVINCE_FORWARD"),
            ("000.99.99.H99", "CROSS_PROVINCE_FORWARD"),
            ("000.00.88.H34", "UNREGISTERED_AGENCY"),
        ):
            variables = {"code": code, "to": target, "department": None}
            outcome = data(motcua, FORWARD, variables, desk)
            assert (outcome["__typename"], outcome["errorCode"]) == (
                "InvalidInput",
                error,
            )
        assert position() == before
        forwarded = data(
            motcua, FORWARD, {"code": code, "to": JUSTICE, "department": "PHC"}, desk
        )
        assert forwarded["__typename"] == "DossierUpdated"

        leader = officer(motcua, Role.LEADER, JUSTICE, "lead-1")
        before = position()
        started = time.monotonic()
        far = data(
            motcua,
            REAPPOINT,
            {"code": code, "due": "9999-12-31T23:59:59-12:00"},
            leader,
        )
        assert (far["__typename"], far["errorCode"]) == (
            "InvalidInput",
            "INVALID_VALUE",  # domain.bounds, before any arithmetic
        )
        assert time.monotonic() - started < 5.0
        assert position() == before

        deadline = time.monotonic() + 10
        lines: list[dict[str, Any]] = []
        while time.monotonic() < deadline and len(lines) < 2:
            view = data(motcua, SHEET, {"code": code}, desk)
            lines = view["controlSheet"] if view else []
            time.sleep(0.05)
        assert [(line["from"], line["to"]) for line in lines] == [
            ("Người nộp hồ sơ", PROVINCE),
            (PROVINCE, f"{JUSTICE} / PHC"),
        ]
        assert lines[1]["plannedDueAt"] == received["dueAt"]
        assert motcua.graphql("{ __typename }").status_code == 200
    reader.close()
