"""Reads of personal data are recorded, survive a killed API, and the citizen
sees who opened the dossier; reviewers reconstruct it as of a time."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from api.auth import AccessLevel
from domain.values import Role
from tests.api.conftest import RECEIVE
from tests.factories import APPLICANT, BIRTH, PROVINCE
from tests.served import Served, seeded_settings, served

OFFICER_DOSSIER = """
query Q($code: String!) { officerDossier(code: $code) { code applicantName } }
"""
OPENED_BY = """
query Q($code: String!) { dossier(code: $code) { code
  openedBy { at officerId role agencyCode purpose } } }
"""
HISTORY = """
query Q($code: String!, $asOf: DateTime) { dossierHistory(code: $code, asOf: $asOf) {
  known version status code
  due { dueAt calendarVersion procedureVersion explanation }
  steps { version event actorId role agencyCode recordedAt effectiveAt }
} }
"""


def _data(m: Served, query: str, variables: dict[str, Any], token: str) -> Any:
    response = m.graphql(
        query,
        variables,
        token=token,
        headers={"X-Access-Purpose": quote("kiểm tra hồ sơ")},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _desk(m: Served) -> str:
    return m.tokens.issue(
        AccessLevel.OFFICER,
        subject="desk-1",
        agency=PROVINCE,
        department="TTPVHCC",
        roles=[Role.DESK],
    )


def test_a_read_survives_a_killed_api_and_the_citizen_sees_it(tmp_path: Path) -> None:
    settings = seeded_settings(
        tmp_path / "d", options={"ACCESS_LOG_FLUSH_SECONDS": "3600"}
    )
    with served(settings) as m:
        received = _data(
            m,
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
            _desk(m),
        )["receiveDossier"]
        code = received["code"]
        deadline = time.monotonic() + 10
        while True:  # the officer view is a read model: wait for the projector
            seen = _data(m, OFFICER_DOSSIER, {"code": code}, _desk(m))["officerDossier"]
            if seen is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert seen == {"code": code, "applicantName": APPLICANT.name}
        m.server.stop(signal.SIGKILL)  # nothing flushed yet: an hour to go
    with served(settings) as again:
        citizen = again.tokens.issue(
            AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2
        )
        deadline = time.monotonic() + 10
        while True:
            dossier = _data(again, OPENED_BY, {"code": code}, citizen)["dossier"]
            if dossier["openedBy"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    opened = dossier["openedBy"]
    assert [(o["officerId"], o["agencyCode"]) for o in opened] == [("desk-1", PROVINCE)]
    assert opened[0]["role"].startswith("officer")
    assert opened[0]["purpose"] == "officerDossier: kiểm tra hồ sơ"


def test_reviewers_reconstruct_the_dossier_as_of_a_time(tmp_path: Path) -> None:
    settings = seeded_settings(tmp_path / "d")
    with served(settings) as m:
        received = _data(
            m,
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
            _desk(m),
        )["receiveDossier"]
        reviewer = m.tokens.issue(
            AccessLevel.REVIEWER, subject="inspector-1", agency=PROVINCE
        )
        now = _data(m, HISTORY, {"code": received["code"]}, reviewer)["dossierHistory"]
        assert now["known"] is True
        assert now["status"] == "received"
        assert now["due"]["dueAt"] is not None
        assert now["due"]["calendarVersion"] >= 1
        (step,) = now["steps"]
        assert (step["event"], step["actorId"], step["agencyCode"]) == (
            "ReceivedAtDesk",
            "desk-1",
            PROVINCE,
        )
        before = _data(
            m,
            HISTORY,
            {"code": received["code"], "asOf": "2001-01-01T00:00:00+07:00"},
            reviewer,
        )["dossierHistory"]
        assert before["known"] is False
        assert before["steps"] == []
        refused = m.graphql(HISTORY, {"code": received["code"]}, token=_desk(m)).json()
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        naive = m.graphql(
            HISTORY,
            {"code": received["code"], "asOf": "2026-01-01T00:00:00"},
            token=reviewer,
        ).json()
        assert "errors" in naive
        unknown = _data(m, HISTORY, {"code": "000.00.00.H34-010101-0001"}, reviewer)[
            "dossierHistory"
        ]
        assert unknown is None


@pytest.mark.parametrize("junk", ["\x00" * 10, "a" * 5000])
def test_the_stated_purpose_is_bounded(junk: str) -> None:
    from api.graphql.context import Context

    context = Context.__new__(Context)
    context.stated_purpose = junk
    purpose = context.purpose("worklist")
    assert len(purpose) <= len("worklist: ") + 200
    assert "\x00" not in purpose
