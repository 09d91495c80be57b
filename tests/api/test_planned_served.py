"""A planned mutation on ``motcua serve``: the same bytes as strawberry's.

Two served processes, each on its own store seeded alike: one plans the
officer's commands, the other runs them through strawberry
(``MOTCUA_GRAPHQL_FAST_PATH=n``). The same requests — a reception, commands
the domain refuses, an unknown dossier, a variable graphql-core refuses, in
both languages — get the same status, content type and bytes (up to the ids
and due times each drew), and the planned process counts them as planned in
``/metrics``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.auth import AccessLevel
from domain.values import Role
from tests.factories import APPLICANT, BIRTH, JUSTICE, PROVINCE
from tests.served import Served, seeded_settings, served

RECEIVE = """mutation R($p: String!, $id: String!, $name: String!) {
  receiveDossier(input: {procedureCode: $p, applicantId: $id, applicantName: $name})
  { __typename ... on DossierReceived { code dueAt }
    ... on InvalidInput { errorCode message field } } }"""
FORWARD = """mutation F($code: String!, $to: String!, $dept: String) {
  forwardDossier(dossier: {code: $code}, toAgencyCode: $to, toDepartment: $dept)
  { __typename ... on IllegalTransition { message status }
    ... on InvalidInput { errorCode message } ... on DossierNotFound { message }
    ... on DossierUpdated { event version } } }"""
MASKED = re.compile(
    rb'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"dueAt":"[^"]*"'
)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Served, Served]]:
    planned = seeded_settings(tmp_path / "planned")
    reference = seeded_settings(
        tmp_path / "reference", options={"GRAPHQL_FAST_PATH": "n"}
    )
    with served(planned) as one, served(reference) as other:
        yield one, other


def _desk(side: Served) -> str:
    return side.tokens.issue(
        AccessLevel.OFFICER,
        subject="desk-1",
        agency=PROVINCE,
        department="TTPVHCC",
        roles=[Role.DESK],
    )


def _planned_count(side: Served) -> float:
    text = httpx.get(f"{side.url}/metrics", timeout=10).text
    found = re.search(r'motcua_graphql_requests_total\{path="planned"\} (\S+)', text)
    return float(found.group(1)) if found else 0.0


def test_a_planned_mutation_answers_on_serve_as_strawberry_does(
    pair: tuple[Served, Served],
) -> None:
    planned, reference = pair
    received = planned.graphql(
        RECEIVE,
        {"p": BIRTH, "id": APPLICANT.id, "name": APPLICANT.name},
        token=_desk(planned),
    )
    code = received.json()["data"]["receiveDossier"]["code"]
    requests = [
        (RECEIVE, {"p": BIRTH, "id": APPLICANT.id, "name": APPLICANT.name}, "vi"),
        (RECEIVE, {"p": "9.999999", "id": APPLICANT.id, "name": "An"}, "en"),
        (FORWARD, {"code": code, "to": JUSTICE, "dept": "PHC"}, "vi"),
        (FORWARD, {"code": code, "to": JUSTICE, "dept": "PHC"}, "en"),
        (FORWARD, {"code": "000.00.00.H34-260302-9999", "to": JUSTICE}, "en"),
        (FORWARD, {"code": 7, "to": JUSTICE}, "en"),
    ]
    # the reference receives its own first dossier: the two logs stay alike
    reference.graphql(
        RECEIVE,
        {"p": BIRTH, "id": APPLICANT.id, "name": APPLICANT.name},
        token=_desk(reference),
    )
    counted = _planned_count(planned)
    for query, variables, language in requests:
        headers = {"Accept-Language": language}
        one = planned.graphql(query, variables, token=_desk(planned), headers=headers)
        other = reference.graphql(
            query, variables, token=_desk(reference), headers=headers
        )
        assert one.status_code == other.status_code == 200
        assert one.headers["content-type"] == other.headers["content-type"]
        assert one.headers["content-length"] == other.headers["content-length"]
        assert MASKED.sub(b"#", one.content) == MASKED.sub(b"#", other.content)
    # every request but the refused variable took the plan
    assert _planned_count(planned) == counted + len(requests) - 1
    assert _planned_count(reference) == 0
