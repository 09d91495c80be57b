"""Officers of every unit a dossier passed through still see it on the read side.

The read side (``officerDossier``, ``worklist``) answers with the same domain
rule as commands (``domain.visibility``), over the state the read model folded:
a unit that forwarded the dossier onward is involved and sees it; a unit the
dossier never reached sees it exactly as an unknown code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.settings import Settings
from api.auth import AccessLevel
from api.wiring import build_application
from domain.dossier_values import Holder
from domain.values import Role
from tests.factories import (
    CONSTRUCTION,
    DISTRICT,
    JUSTICE,
    PROVINCE,
    at,
    desk,
    digitize_and_sign,
    receive,
    specialist,
    trace,
)
from tests.served import Served, seeded_settings, served

OFFICER_DOSSIER = """
query O($code: String!, $after: Int) {
  officerDossier(code: $code, after: $after) { code status version }
}"""
WORKLIST = """
query W($after: Int) { worklist(after: $after) { code } }"""


def passed_through(settings: Settings) -> tuple[str, int]:
    """Received at the province desk, forwarded to Construction, which forwarded
    it on to Justice (competent): Construction neither holds, receives nor is
    competent for it, but was involved. Returns its code and the log head."""
    app = build_application(settings)
    try:
        reception = receive(app, when=at(0, 9))
        digitize_and_sign(app, reception.dossier_id, at(0, 9))
        app.forward_dossier(
            reception.dossier_id,
            trace=trace(desk(), at(0, 10)),
            to=Holder(CONSTRUCTION),
        )
        app.forward_dossier(
            reception.dossier_id,
            trace=trace(specialist(CONSTRUCTION, "spec-xd"), at(0, 11)),
            to=Holder(JUSTICE, "PHC"),
        )
        dossier = app.get_dossier(reception.dossier_id)
        assert dossier.holder == Holder(JUSTICE, "PHC")
        assert CONSTRUCTION in dossier.involved_agencies
        assert CONSTRUCTION not in (dossier.receiving_agency, dossier.competent_agency)
        return reception.code, app.recorder.max_notification_id() or 0
    finally:
        app.close()


def officer_of(m: Served, agency: str) -> str:
    return m.tokens.issue(
        AccessLevel.OFFICER,
        subject=f"specialist-{agency}",
        agency=agency,
        roles=[Role.SPECIALIST],
    )


def data(m: Served, query: str, token: str, **variables: Any) -> dict[str, Any]:
    response = m.graphql(query, variables, token=token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]
    return found


class TestInvolvedUnitsSeeTheDossier:
    def test_a_unit_that_forwarded_it_onward_sees_it_an_uninvolved_one_does_not(
        self, tmp_path: Path
    ) -> None:
        settings = seeded_settings(tmp_path / "d")
        code, head = passed_through(settings)
        with served(settings) as m:
            involved = officer_of(m, CONSTRUCTION)
            seen = data(m, OFFICER_DOSSIER, involved, code=code, after=head)
            assert seen["officerDossier"] == {
                "code": code,
                "status": "IN_PROGRESS",
                "version": 7,
            }
            listed = data(m, WORKLIST, involved, after=head)["worklist"]
            assert [item["code"] for item in listed] == [code]

            for unit in (JUSTICE, PROVINCE):  # holder and receiving desk
                found = data(m, OFFICER_DOSSIER, officer_of(m, unit), code=code)
                assert found["officerDossier"]["code"] == code

            outsider = officer_of(m, DISTRICT)
            theirs = m.graphql(OFFICER_DOSSIER, {"code": code}, token=outsider)
            unknown = m.graphql(
                OFFICER_DOSSIER, {"code": "000.00.00.H34-260302-9999"}, token=outsider
            )
            assert theirs.json() == unknown.json() == {"data": {"officerDossier": None}}
            assert data(m, WORKLIST, outsider)["worklist"] == []
