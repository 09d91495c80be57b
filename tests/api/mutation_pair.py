"""Two apps on PostgreSQL answering the same mutations: the fast (or
planned) path and the reference ``MOTCUA_GRAPHQL_FAST_PATH=n``.

Each on its own database seeded alike, sharing one data directory (the same
signing key and files): every request goes to both, back to back, so both
logs grow alike. Ids the two apps drew at random are matched by where they
appear, due times within seconds.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from adapters.settings import Settings
from api.app import create_app
from api.auth import AccessLevel, AuthSettings, TokenIssuer
from api.bench.catalogue import ADMIN, bench_procedure
from api.services import Services
from application.clock import trace_for
from domain.values import Role
from tests.api.conftest import Tokens
from tests.factories import CONSTRUCTION, JUSTICE, seed_catalogue
from tests.services import PostgresServer

KNOWN_CODE, KNOWN_ID = "@code:", "@id:"
UNKNOWN_CODE = "000.00.00.H34-260302-9999"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME_SLACK = timedelta(seconds=30)


@dataclass
class Pair:
    fast: TestClient
    reference: TestClient
    tokens: Tokens
    codes: list[str] = field(default_factory=list)
    """Codes both apps issued (the same numbers: their logs grow alike)."""
    ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    """A placeholder → the id each app drew for the same dossier."""

    def services(self, client: TestClient) -> Services:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        return services

    def position(self, client: TestClient) -> int:
        return self.services(client).onestop.recorder.max_notification_id() or 0


def seed(services: Services) -> None:
    seed_catalogue(services.onestop)
    services.onestop.publish_procedure(
        trace=trace_for(ADMIN, at=datetime(2026, 2, 23, 8, 0).astimezone()),
        definition=bench_procedure(),
    )


@contextmanager
def apps(
    postgres_server: PostgresServer,
    tmp_path: Path,
    options: Mapping[str, str] = {},
) -> Iterator[Pair]:
    names = [f"test_{uuid.uuid4().hex[:20]}" for _ in range(2)]
    urls = [postgres_server.create_database(name) for name in names]
    options = {"PROJECTOR": "embedded", "MAX_QUERY_COST": "20", **options}
    try:
        fast_settings = Settings(
            database_url=urls[0], data_dir=tmp_path, options=options
        )
        reference_settings = Settings(
            database_url=urls[1],
            data_dir=tmp_path,
            options={**options, "GRAPHQL_FAST_PATH": "n"},
        )
        with (
            TestClient(create_app(fast_settings)) as fast,
            TestClient(create_app(reference_settings)) as reference,
        ):
            tokens = Tokens(
                TokenIssuer.from_settings(AuthSettings.from_settings(fast_settings))
            )
            made = Pair(fast, reference, tokens)
            for client in (fast, reference):
                seed(made.services(client))
            assert made.position(fast) == made.position(reference)
            yield made
    finally:
        for name in names:
            postgres_server.drop_database(name)


def tokens_of(tokens: Tokens) -> st.SearchStrategy[str | None]:
    others = st.sampled_from(
        [
            tokens.officer(Role.DESK, JUSTICE, "desk-tp"),
            tokens.specialist(),
            tokens.leader(),
            tokens.outsider(),
            tokens.officer(Role.DESK, CONSTRUCTION, "desk-xd"),
            tokens.citizen(),
            tokens.issuer.issue(AccessLevel.MONITOR, subject="monitor-1"),
            "not-a-token",
            None,
        ]
    )
    return st.one_of(st.just(tokens.desk()), others)


def texts() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(["", "  ", "x" * 5000, "a\u0000b", "dòng 1\ndòng 2"]),
        st.text(max_size=12),
        st.integers(),
        st.none(),
    )


def sent(value: Any, side: int, pair: Pair) -> Any:
    """``value`` with each placeholder replaced by what that app issued."""
    if isinstance(value, str) and value.startswith(KNOWN_CODE):
        index = int(value.removeprefix(KNOWN_CODE))
        return pair.codes[index % len(pair.codes)] if pair.codes else UNKNOWN_CODE
    if isinstance(value, str) and value.startswith(KNOWN_ID):
        index = int(value.removeprefix(KNOWN_ID))
        ids = [pair.ids[name][side] for name in sorted(pair.ids)]
        return ids[index % len(ids)] if ids else None
    if isinstance(value, dict):
        return {k: sent(v, side, pair) for k, v in value.items()}
    return value


def post(
    client: TestClient, body: dict[str, Any], headers: Mapping[str, str | None]
) -> httpx.Response:
    sent = {k: v for k, v in headers.items() if v is not None}
    if "authorization" in sent:
        sent["authorization"] = f"Bearer {sent['authorization']}"
    sent["content-type"] = "application/json"
    response: httpx.Response = client.post(
        "/graphql", content=json.dumps(body).encode(), headers=sent
    )
    return response


class Matcher:
    """Walks two answers side by side; ids and due times may differ only
    where the two apps drew them."""

    def __init__(self, pair: Pair) -> None:
        self.pair = pair
        self.by_side: tuple[dict[str, str], dict[str, str]] = ({}, {})
        for placeholder, (a, b) in pair.ids.items():
            self.by_side[0][a] = placeholder
            self.by_side[1][b] = placeholder

    def same(self, fast: Any, reference: Any, path: str = "") -> None:
        if isinstance(fast, dict) and isinstance(reference, dict):
            assert list(fast) == list(reference), path
            for key in fast:
                self.same(fast[key], reference[key], f"{path}.{key}")
        elif isinstance(fast, list) and isinstance(reference, list):
            assert len(fast) == len(reference), path
            for index, (a, b) in enumerate(zip(fast, reference, strict=True)):
                self.same(a, b, f"{path}[{index}]")
        elif isinstance(fast, str) and isinstance(reference, str):
            self._same_text(fast, reference, path)
        else:
            assert fast == reference, path
            assert type(fast) is type(reference), path

    def _same_text(self, fast: str, reference: str, path: str) -> None:
        if path.endswith(".dueAt"):
            gap = datetime.fromisoformat(fast) - datetime.fromisoformat(reference)
            assert abs(gap) <= TIME_SLACK, (path, fast, reference)
            return
        ids_fast, ids_reference = UUID_TEXT.findall(fast), UUID_TEXT.findall(reference)
        assert len(ids_fast) == len(ids_reference), (path, fast, reference)
        for a, b in zip(ids_fast, ids_reference, strict=True):
            known = self.by_side[0].get(a), self.by_side[1].get(b)
            if known == (None, None) and a != b:
                placeholder = f"dossier-{len(self.pair.ids)}"
                self.pair.ids[placeholder] = (a, b)
                self.by_side[0][a] = self.by_side[1][b] = placeholder
            elif a != b:
                assert known[0] == known[1], (path, fast, reference)
        assert UUID_TEXT.sub("#", fast) == UUID_TEXT.sub("#", reference), path


def same_answer(pair: Pair, fast: httpx.Response, reference: httpx.Response) -> None:
    assert fast.status_code == reference.status_code, (fast.text, reference.text)

    def shown(response: httpx.Response) -> list[tuple[str, str]]:
        return [
            (k, v)
            for k, v in response.headers.multi_items()
            if k not in {"x-request-id", "date", "content-length"}
        ]

    assert shown(fast) == shown(reference)
    try:
        answers = fast.json(), reference.json()
    except ValueError:
        assert fast.content == reference.content
        return
    Matcher(pair).same(*answers)


_DUE_AT = re.compile(rb'"dueAt":"[^"]*"')


def same_bytes(fast: httpx.Response, reference: httpx.Response) -> None:
    """The same body bytes, but for ids the apps drew and due times."""

    def masked(body: bytes) -> bytes:
        return UUID_TEXT.sub("#", _DUE_AT.sub(b'"dueAt":#', body).decode()).encode()

    assert masked(fast.content) == masked(reference.content)


def written(pair: Pair, client: TestClient, after: int) -> list[tuple[str, int]]:
    recorder = pair.services(client).onestop.recorder
    return [
        (n.topic, n.originator_version)
        for n in recorder.select_notifications(after + 1, 100)
    ]
