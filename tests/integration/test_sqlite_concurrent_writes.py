"""Concurrent commands on the embedded SQLite default, through a served process.

Parallel ``receiveDossier`` and ``submitDossier`` calls used to fail with
"unexpected error": the in-process projector held the file's write lock while
it waited for an event-store connection that the queued commands had taken
(``adapters/sqlite_writer.py``). Real HTTP clients in threads, several rounds,
mixed with anonymous lookups and citizen reads, against ``motcua serve``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import AccessLevel, TokenIssuer
from domain.values import Role
from tests import scans
from tests.api.conftest import RECEIVE, STATUS, UNLIMITED_LOOKUPS, document
from tests.factories import APPLICANT, BIRTH, PROVINCE
from tests.served import Served, seeded_settings, served

ROUNDS = 4
RECEPTIONS = 5
SUBMISSIONS = 10

SUBMIT = """
mutation N($procedure: String!, $doc1: DocumentInput!, $doc2: DocumentInput!) {
  submitDossier(input: {procedureCode: $procedure, applicantName: "Nguyễn Văn An",
    documents: [{componentCode: "TP1", document: $doc1},
                {componentCode: "TP2", document: $doc2}]}) {
    __typename ... on DossierSubmitted { dossierId logPosition }
  }
}
"""
RECEIVE_ONLINE = """
mutation A($id: ID!) {
  receiveDossier(input: {dossierId: $id}) {
    __typename ... on DossierReceived { dossierId code logPosition }
  }
}
"""
MINE = "query { myDossiers(limit: 200) { code status } }"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A fresh embedded instance: SQLite file, in-process projector and cache."""
    data_dir: Path = tmp_path_factory.mktemp("sqlite-concurrency") / "d"
    settings = seeded_settings(data_dir, options=UNLIMITED_LOOKUPS)
    with served(settings) as instance:
        yield instance


def desk_token(tokens: TokenIssuer) -> str:
    return tokens.issue(
        AccessLevel.OFFICER,
        subject="desk-1",
        agency=PROVINCE,
        department="TTPVHCC",
        roles=[Role.DESK],
    )


def citizen_token(tokens: TokenIssuer) -> str:
    return tokens.issue(AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2)


def post(
    instance: Served, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # One client per call: separate connections, as separate users would have.
    with httpx.Client(base_url=instance.url, timeout=60.0) as client:
        response = client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def all_at_once(calls: list[Callable[[], dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run every call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def only(data: dict[str, Any]) -> Any:
    (value,) = data.values()
    return value


def uploaded(instance: Served, text: str, token: str) -> dict[str, str]:
    """A ``DocumentInput`` naming the citizen's own upload of the scan of
    ``text`` (a citizen may only name files they uploaded)."""
    with httpx.Client(base_url=instance.url, timeout=60.0) as client:
        response = client.post(
            "/api/files",
            files={"file": ("scan.pdf", scans.pdf_bytes(text), "application/pdf")},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 201, response.text
    return {**document(text), "sha256": str(response.json()["sha256"])}


def submission(instance: Served, tag: str, token: str) -> dict[str, Any]:
    return {
        "procedure": BIRTH,
        "doc1": uploaded(instance, f"{tag}-a", token),
        "doc2": uploaded(instance, f"{tag}-b", token),
    }


def wait_for_lag_zero(instance: Served, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    ready = instance.readyz()
    while ready.get("maxLag") != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        ready = instance.readyz()
    return ready


def test_parallel_receptions_submissions_and_lookups_all_succeed(
    instance: Served,
) -> None:
    desk, citizen = desk_token(instance.tokens), citizen_token(instance.tokens)
    paper = {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name}
    codes: list[str] = []
    waiting: list[str] = []  # online submissions of the previous round
    for round_ in range(ROUNDS):
        calls: list[Callable[[], dict[str, Any]]] = []
        calls += [partial(post, instance, RECEIVE, paper, desk)] * RECEPTIONS
        forms = [
            submission(instance, f"{round_}-{n}", citizen) for n in range(SUBMISSIONS)
        ]
        calls += [partial(post, instance, SUBMIT, form, citizen) for form in forms]
        calls += [
            partial(post, instance, RECEIVE_ONLINE, {"id": dossier_id}, desk)
            for dossier_id in waiting
        ]
        calls += [
            partial(post, instance, STATUS, {"code": code}, None) for code in codes[-5:]
        ]
        calls += [partial(post, instance, MINE, {}, citizen)] * 3
        results = [only(data) for data in all_at_once(calls)]
        results = [r for r in results if isinstance(r, dict)]  # not myDossiers

        received = [r for r in results if r.get("__typename") == "DossierReceived"]
        submitted = [r for r in results if r.get("__typename") == "DossierSubmitted"]
        assert len(received) == RECEPTIONS + len(waiting), results
        assert len(submitted) == SUBMISSIONS, results
        codes += [r["code"] for r in received]
        waiting = [r["dossierId"] for r in submitted]

    assert (
        len(set(codes))
        == len(codes)
        == ROUNDS * RECEPTIONS + (ROUNDS - 1) * SUBMISSIONS
    )
    units: dict[str, list[int]] = {}
    for code in codes:
        units.setdefault(code[:-5], []).append(int(code[-4:]))
    for unit, numbers in units.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), unit

    ready = wait_for_lag_zero(instance)
    assert ready["maxLag"] == 0, ready
    mine = only(post(instance, MINE, {}, citizen))
    assert len(mine) == len(codes) + SUBMISSIONS
    assert sorted(d["code"] for d in mine if d["code"]) == sorted(codes)
    for code in codes:
        status = only(post(instance, STATUS, {"code": code}, None))
        assert status is not None
        assert status["code"] == code
    assert "Traceback" not in instance.server.output()
