"""The served product answers over a real socket (the harness other tests build on)."""

from __future__ import annotations

from pathlib import Path

from api.auth import AccessLevel
from tests.factories import APPLICANT
from tests.served import seeded_settings, served


def test_served_process_answers_graphql_and_health(tmp_path: Path) -> None:
    settings = seeded_settings(tmp_path / "data")
    with served(settings) as motcua:
        unknown = motcua.graphql(
            'query { dossierStatus(code: "000.00.00.H34-260101-0001") { code } }'
        )
        assert unknown.status_code == 200
        assert unknown.json()["data"]["dossierStatus"] is None
        token = motcua.tokens.issue(
            AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2
        )
        mine = motcua.graphql("query { myDossiers { code } }", token=token)
        assert mine.json()["data"] == {"myDossiers": []}
        assert motcua.readyz()["status"] in {"ok", "degraded"}
