"""A real motcua app over HTTP: ``create_app`` inside ``TestClient`` (lifespan runs).

``api`` is the embedded default (SQLite events and read models, in-process
projector and cache). ``stack_api`` runs the same test twice: embedded SQLite
without Redis, and PostgreSQL + a real Redis with the projector thread still
in-process (``PROJECTOR=embedded``). ``make_api`` builds one with other
options (rate limits, a Redis the test stops).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from adapters.settings import Settings
from api.app import create_app
from api.auth import AccessLevel, AuthSettings, TokenIssuer
from api.services import Services
from domain.values import Role
from tests import scans
from tests.factories import (
    APPLICANT,
    BIRTH,
    CONSTRUCTION,
    JUSTICE,
    OTHER_APPLICANT,
    PROVINCE,
    seed_catalogue,
    sha,
)

DEADLINE_SECONDS = 10.0
UNLIMITED_LOOKUPS = {"LOOKUP_RATE_LIMIT": "1000000"}
"""Tests poll anonymous lookups; only the rate-limit tests configure a real limit."""


@dataclass(frozen=True)
class Tokens:
    """Development tokens for every access level the tests need."""

    issuer: TokenIssuer

    def citizen(self, subject: str = APPLICANT.id) -> str:
        return self.issuer.issue(AccessLevel.CITIZEN, subject=subject, eid_level=2)

    def other_citizen(self) -> str:
        return self.citizen(OTHER_APPLICANT.id)

    def officer(
        self, role: Role, agency: str = PROVINCE, subject: str | None = None
    ) -> str:
        return self.issuer.issue(
            AccessLevel.OFFICER,
            subject=subject or f"{role.value}-{agency}",
            agency=agency,
            department="PHC" if agency == JUSTICE else "TTPVHCC",
            roles=[role],
        )

    def desk(self) -> str:
        return self.officer(Role.DESK, PROVINCE, "desk-1")

    def specialist(self) -> str:
        return self.officer(Role.SPECIALIST, JUSTICE, "spec-1")

    def leader(self) -> str:
        return self.officer(Role.LEADER, JUSTICE, "lead-1")

    def outsider(self) -> str:
        """An officer with every role, but of another agency (Sở Xây dựng)."""
        return self.issuer.issue(
            AccessLevel.OFFICER,
            subject="xd-1",
            agency=CONSTRUCTION,
            roles=[Role.DESK, Role.SPECIALIST, Role.LEADER],
        )

    def monitor(self) -> str:
        return self.issuer.issue(AccessLevel.MONITOR, subject="monitor-1")

    def reviewer(self) -> str:
        return self.issuer.issue(
            AccessLevel.REVIEWER, subject="inspector-1", agency=PROVINCE
        )


class Api:
    """One running app: HTTP/GraphQL helpers, tokens, and its services."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.tokens = Tokens(
            TokenIssuer.from_settings(AuthSettings.from_settings(settings))
        )

    @property
    def app(self) -> FastAPI:
        app: FastAPI = self.client.app  # type: ignore[assignment]
        return app

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def post(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        response: httpx.Response = self.client.post(
            "/graphql",
            json={"query": query, "variables": dict(variables or {})},
            headers=sent,
        )
        return response

    def gql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        language: str | None = None,
    ) -> dict[str, Any]:
        """The JSON body of a 200 response (data and/or errors)."""
        headers = {"Accept-Language": language} if language else None
        response = self.post(query, variables, token=token, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        language: str | None = None,
    ) -> dict[str, Any]:
        body = self.gql(query, variables, token=token, language=language)
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    def log_position(self) -> int:
        return self.services.onestop.recorder.max_notification_id() or 0

    def settle(self) -> None:
        """Wait until the read models have applied everything written so far."""
        assert self.services.projector.wait(self.log_position(), DEADLINE_SECONDS)


RECEIVE = """
mutation Receive($procedure: String!, $applicantId: String!, $name: String!) {
  receiveDossier(input: {procedureCode: $procedure, applicantId: $applicantId,
                         applicantName: $name}) {
    __typename
    ... on DossierReceived { dossierId code logPosition dueAt }
    ... on NotAllowed { message }
    ... on InvalidInput { errorCode message }
  }
}
"""

STATUS = (
    "query S($code: String!) { dossierStatus(code: $code) { code completion label } }"
)

OFFICER_DOSSIER = """
query O($code: String!, $after: Int) {
  officerDossier(code: $code, after: $after) { code status statusLabel version }
}
"""

SUBSCRIBE = """
subscription S($code: String!) {
  dossierStatusChanged(code: $code, intervalSeconds: 0.1) { code completion label }
}
"""
OUTCOME = """
  __typename
  ... on DossierUpdated { dossierId code logPosition event }
  ... on DossierNotFound { message }
  ... on NotAllowed { message }
  ... on IllegalTransition { message status }
  ... on VersionConflict { message }
  ... on InvalidInput { errorCode message }
"""


def document(
    text: str, api: Api | None = None, token: str | None = None
) -> dict[str, str]:
    """A ``DocumentInput``; with ``api``, its file is the scan of ``text``
    uploaded to ``POST /api/files`` (multipart) with ``token`` (the desk's
    by default; a citizen may only name their own uploads)."""
    digest = (
        sha(text)
        if api is None
        else upload(api, scans.pdf_bytes(text), token=token)["sha256"]
    )
    return {"documentId": str(uuid4()), "sha256": digest, "numberSymbol": "01/GT"}


def result_file(api: Api, text: str = "Giấy khai sinh") -> str:
    """The SHA-256 of a result PDF uploaded by the competent leader."""
    return str(upload(api, scans.pdf_bytes(text), token=api.tokens.leader())["sha256"])


def upload(
    api: Api,
    data: bytes,
    *,
    token: str | None = None,
    filename: str = "scan.pdf",
    content_type: str = "application/pdf",
) -> dict[str, Any]:
    """Upload ``data`` as an officer would; the stored file's facts."""
    response = api.client.post(
        "/api/files",
        files={"file": (filename, data, content_type)},
        headers={"Authorization": f"Bearer {token or api.tokens.desk()}"},
    )
    assert response.status_code == 201, response.text
    facts: dict[str, Any] = response.json()
    return facts


def receive_paper(api: Api, applicant_id: str = APPLICANT.id) -> dict[str, Any]:
    """The desk receives a paper birth registration; the dossier is projected."""
    name = APPLICANT.name if applicant_id == APPLICANT.id else "Trần Thị Bình"
    result: dict[str, Any] = api.data(
        RECEIVE,
        {"procedure": BIRTH, "applicantId": applicant_id, "name": name},
        token=api.tokens.desk(),
    )["receiveDossier"]
    assert result["__typename"] == "DossierReceived", result
    api.settle()
    return result


def eventually(probe: Callable[[], Any], expected: Any) -> Any:
    """Poll ``probe`` until it returns ``expected`` (the projector is asynchronous)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    value = probe()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.02)
        value = probe()
    assert value == expected
    return value


def receive(session: WebSocketTestSession, timeout: float = 10.0) -> dict[str, Any]:
    """The next message, or a failure instead of a hang."""
    box: list[Any] = []
    reader = threading.Thread(target=lambda: box.append(session.receive_json()))
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    if not box:
        pytest.fail(f"no websocket message within {timeout} s")
    message: dict[str, Any] = box[0]
    return message


class MakeApi(Protocol):
    def __call__(
        self,
        *,
        database_url: str | None = None,
        redis_url: str | None = None,
        options: Mapping[str, str] | None = None,
    ) -> Api: ...


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[MakeApi]:
    """Build, start and seed apps; each is shut down (lifespan exit) afterwards."""
    with ExitStack() as stack:

        def build(
            *,
            database_url: str | None = None,
            redis_url: str | None = None,
            options: Mapping[str, str] | None = None,
        ) -> Api:
            data_dir = tmp_path / f"app-{uuid4().hex[:8]}"
            data_dir.mkdir()
            settings = Settings(
                database_url=database_url or f"sqlite:///{data_dir / 'motcua.db'}",
                redis_url=redis_url,
                data_dir=data_dir,
                options={**UNLIMITED_LOOKUPS, **(options or {})},
            )
            client = stack.enter_context(TestClient(create_app(settings)))
            api = Api(client, settings)
            seed_catalogue(api.services.onestop)
            api.settle()
            return api

        yield build


@pytest.fixture
def api(make_api: MakeApi) -> Api:
    """The embedded default: SQLite, in-process projector and cache."""
    return make_api()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ]
)
def stack_api(request: pytest.FixtureRequest, make_api: MakeApi) -> Api:
    if request.param == "sqlite":
        return make_api()
    postgres_url: str = request.getfixturevalue("postgres_url")
    redis_url: str = request.getfixturevalue("redis_url")
    return make_api(
        database_url=postgres_url,
        redis_url=redis_url,
        options={"PROJECTOR": "embedded"},
    )
