"""GraphQL over websockets on a served ``motcua serve``, with a standard client
(``websockets``) on a real socket, both protocols: token expiry ends the
connection, mutations belong on HTTP, queries run, every malformed message
gets the protocol's answer, refused handshakes are answered (no error log)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from api.auth import AccessLevel
from domain.values import Role
from tests.api.conftest import RECEIVE, UNLIMITED_LOOKUPS, Tokens
from tests.factories import APPLICANT, BIRTH, PROVINCE
from tests.served import Served, seeded_settings, served
from tests.services import find_free_port

TIMEOUT = 10.0
PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]
STATUS = "query S($code: String!) { dossierStatus(code: $code) { code completion } }"
SUBSCRIBE = """subscription S($code: String!) {
  dossierStatusChanged(code: $code) { code completion }
}"""
MUTATION = """mutation R($procedure: String!, $applicantId: String!, $name: String!) {
  receiveDossier(input: {procedureCode: $procedure, applicantId: $applicantId,
                         applicantName: $name}) { __typename }
}"""
RECEIVE_VARIABLES = {
    "procedure": BIRTH,
    "applicantId": APPLICANT.id,
    "name": APPLICANT.name,
}


class Live:
    """One connection speaking ``protocol``, acknowledged."""

    def __init__(
        self, m: Served, protocol: str, headers: dict[str, str] | None = None
    ) -> None:
        self.protocol = protocol
        self.socket: ClientConnection = connect(
            m.ws_url,
            subprotocols=[Subprotocol(protocol)],
            additional_headers=headers or {},
            open_timeout=TIMEOUT,
        )
        self.send({"type": "connection_init", "payload": {}})
        assert self.receive()["type"] == "connection_ack"

    @property
    def start(self) -> str:
        return "subscribe" if self.protocol == "graphql-transport-ws" else "start"

    def send(self, message: Any) -> None:
        self.socket.send(message if isinstance(message, str) else json.dumps(message))

    def receive(self) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(self.socket.recv(timeout=TIMEOUT))
            if message["type"] != "ka":
                return message

    def operation(
        self, ident: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        self.send({"id": ident, "type": self.start, "payload": payload})

    def closed(self) -> tuple[int, str]:
        """Wait for the server to close; its close code and reason."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                self.socket.recv(timeout=TIMEOUT)
            except ConnectionClosed as closed:
                received = closed.rcvd
                assert received is not None, "closed without a close frame"
                return received.code, received.reason
        raise AssertionError("the server did not close the connection")

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def motcua(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = seeded_settings(
        tmp_path_factory.mktemp("ws") / "d", options=UNLIMITED_LOOKUPS
    )
    with served(settings) as running:
        yield running
    log = running.server.output()
    for trouble in (
        "Traceback",
        "Exception in ASGI application",
        "without completing handshake",
        '"level":"error"',
    ):
        assert trouble not in log, log[-3000:]


@pytest.fixture(scope="module")
def code(motcua: Served) -> str:
    result = motcua.graphql(
        RECEIVE, RECEIVE_VARIABLES, token=Tokens(motcua.tokens).desk()
    ).json()["data"]["receiveDossier"]
    deadline = time.monotonic() + TIMEOUT
    while motcua.readyz()["maxLag"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return str(result["code"])


def log_position(m: Served) -> int:
    position: int = m.readyz()["logPosition"]
    return position


def expiring_desk_token(m: Served, seconds: float) -> tuple[str, float]:
    """A desk token the server accepts for about ``seconds`` more (its exp is
    already past, within the verifier's 30 s leeway); and when it stops."""
    leeway = 30
    now = datetime.now(UTC)
    issued = now - timedelta(seconds=leeway)
    token = m.tokens.issue(
        AccessLevel.OFFICER,
        subject="desk-1",
        agency=PROVINCE,
        roles=[Role.DESK],
        ttl=timedelta(seconds=seconds),
        now=issued,
    )
    exp = int((issued + timedelta(seconds=seconds)).timestamp())
    return token, exp + leeway


class TestTokenExpiry:
    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_the_connection_ends_when_its_token_expires(
        self, motcua: Served, code: str, protocol: str
    ) -> None:
        token, ends = expiring_desk_token(motcua, 3)
        live = Live(motcua, protocol, {"Authorization": f"Bearer {token}"})
        before = log_position(motcua)
        live.operation("1", SUBSCRIBE, {"code": code})
        first = live.receive()
        assert first["type"] in ("next", "data"), first
        assert first["payload"]["data"]["dossierStatusChanged"]["code"] == code
        if protocol == "graphql-ws":
            message = live.receive()
            assert message["type"] == "connection_error", message
            assert message["payload"]["extensions"]["code"] == "TOKEN_EXPIRED"
        close_code, reason = live.closed()
        assert time.time() >= ends - 1.5  # not before the token expired
        assert time.time() < ends + 3  # and promptly at expiry
        assert (close_code, reason) == (4403, "Token expired")
        # The repro: a mutation sent after expiry never runs.
        with pytest.raises(ConnectionClosed):
            live.operation("2", MUTATION, RECEIVE_VARIABLES)
        assert log_position(motcua) == before

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_a_valid_token_keeps_its_connection(
        self, motcua: Served, code: str, protocol: str
    ) -> None:
        token = Tokens(motcua.tokens).desk()
        live = Live(motcua, protocol, {"Authorization": f"Bearer {token}"})
        try:
            live.operation("1", STATUS, {"code": code})
            answer = live.receive()
            assert answer["payload"]["data"]["dossierStatus"]["code"] == code
        finally:
            live.close()


class TestOperations:
    @pytest.mark.parametrize("protocol", PROTOCOLS)
    @pytest.mark.parametrize(
        ("language", "word"), [("vi", "HTTP POST"), ("en", "not over websockets")]
    )
    def test_mutations_are_refused_nothing_written_connection_kept(
        self, motcua: Served, code: str, protocol: str, language: str, word: str
    ) -> None:
        token = Tokens(motcua.tokens).desk()
        live = Live(
            motcua,
            protocol,
            {"Authorization": f"Bearer {token}", "Accept-Language": language},
        )
        before = log_position(motcua)
        try:
            live.operation("m", MUTATION, RECEIVE_VARIABLES)
            refusal = live.receive()
            assert (refusal["type"], refusal["id"]) == ("error", "m"), refusal
            payload = refusal["payload"]
            (error,) = payload if isinstance(payload, list) else [payload]
            assert error["extensions"]["code"] == "MUTATION_OVER_WEBSOCKET"
            assert word in error["message"]
            live.operation("q", STATUS, {"code": code})
            answer = live.receive()
            assert answer["id"] == "q"
            assert answer["payload"]["data"]["dossierStatus"]["code"] == code
        finally:
            live.close()
        assert log_position(motcua) == before

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_queries_run_and_complete(
        self, motcua: Served, code: str, protocol: str
    ) -> None:
        live = Live(motcua, protocol)
        try:
            live.operation("1", STATUS, {"code": code})
            answer = live.receive()
            assert answer["type"] in ("next", "data"), answer
            assert answer["payload"] == {
                "data": {"dossierStatus": {"code": code, "completion": "RECEIVED"}}
            }
            assert live.receive() == {"id": "1", "type": "complete"}
        finally:
            live.close()


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


def malformed(start: str) -> list[str]:
    operation = {"query": STATUS, "variables": {"code": "x"}}
    return [
        "[]",
        "[1, 2]",
        '"text"',
        "null",
        "{not json",
        "{}",
        json.dumps({"type": 5}),
        json.dumps({"type": "bogus"}),
        json.dumps({"id": "1", "type": start, "payload": "x"}),
        json.dumps({"id": 1, "type": start, "payload": {"query": 5}}),
        json.dumps({"id": "1", "type": start, "payload": {"query": 5}}),
        json.dumps({"id": "1", "type": start}),
        json.dumps({"id": "", "type": start, "payload": operation}),
        json.dumps({"id": "x" * 500, "type": start, "payload": operation}),
        json.dumps(
            {"id": "1", "type": start, "payload": {**operation, "variables": []}}
        ),
        json.dumps(
            {"id": "1", "type": start, "payload": {**operation, "operationName": 7}}
        ),
        json.dumps(
            {"id": "1", "type": start, "payload": {**operation, "extensions": 1}}
        ),
        json.dumps(
            {"id": "1", "type": start, "payload": {**operation, "variables": deep(40)}}
        ),
        json.dumps(
            {"id": ["1"], "type": "complete" if start == "subscribe" else "stop"}
        ),
    ]


class TestMalformedMessages:
    @pytest.mark.parametrize("message", malformed("subscribe"))
    def test_graphql_transport_ws_closes_with_4400_and_a_reason(
        self, motcua: Served, message: str
    ) -> None:
        live = Live(motcua, "graphql-transport-ws")
        live.send(message)
        close_code, reason = live.closed()
        assert close_code == 4400
        assert reason

    @pytest.mark.parametrize("message", malformed("start"))
    def test_graphql_ws_answers_an_error_and_keeps_the_connection(
        self, motcua: Served, code: str, message: str
    ) -> None:
        live = Live(motcua, "graphql-ws")
        try:
            live.send(message)
            answer = live.receive()
            assert answer["type"] == "error", answer
            assert answer["payload"]["extensions"]["code"] == "MALFORMED_MESSAGE"
            assert answer["payload"]["message"]
            live.operation("ok", STATUS, {"code": code})
            assert live.receive()["payload"]["data"]["dossierStatus"]["code"] == code
        finally:
            live.close()

    @given(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["id", "type", "payload", "query", "variables"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        )
    )
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    def test_any_json_is_answered_on_graphql_ws(
        self, motcua: Served, value: Any
    ) -> None:
        live = Live(motcua, "graphql-ws")
        try:
            live.send(json.dumps(value))
            live.send(
                {"id": "probe", "type": "start", "payload": {"query": "{ __typename }"}}
            )
            # Whatever the first message was, the connection still answers.
            while (answer := live.receive()).get("id") != "probe":
                assert answer["type"] in ("error", "data", "complete", "connection_ack")
            assert answer["payload"] == {"data": {"__typename": "Query"}}
        finally:
            live.close()


class TestHandshake:
    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_an_invalid_token_is_answered_401_in_graphqls_shape(
        self, motcua: Served, protocol: str
    ) -> None:
        with pytest.raises(InvalidStatus) as refused:
            connect(
                motcua.ws_url,
                subprotocols=[Subprotocol(protocol)],
                additional_headers={"Authorization": "Bearer x.y.z"},
                open_timeout=TIMEOUT,
            )
        response = refused.value.response
        assert response.status_code == 401
        (error,) = json.loads(response.body or b"")["errors"]
        assert error["extensions"]["code"] == "INVALID_TOKEN"

    @pytest.mark.parametrize("size", [9_000, 20_000, 60_000])
    def test_an_oversized_header_is_answered_431_at_once(
        self, motcua: Served, size: int
    ) -> None:
        started = time.monotonic()
        with pytest.raises(InvalidStatus) as refused:
            connect(
                motcua.ws_url,
                subprotocols=[Subprotocol("graphql-transport-ws")],
                additional_headers={"Authorization": "Bearer " + "a" * size},
                open_timeout=TIMEOUT,
            )
        assert time.monotonic() - started < 2.0
        response = refused.value.response
        assert response.status_code == 431
        (error,) = json.loads(response.body or b"")["errors"]
        assert error["extensions"]["code"] == "REQUEST_HEADER_TOO_LARGE"


def test_an_unreachable_key_source_is_answered_503(tmp_path: Path) -> None:
    jwks = f"http://127.0.0.1:{find_free_port()}/jwks.json"  # nothing listens
    settings = seeded_settings(tmp_path / "d", options={"JWT_JWKS_URL": jwks})
    with served(settings) as m:
        token = Tokens(m.tokens).desk()  # well formed, with a kid to look up
        with pytest.raises(InvalidStatus) as refused:
            connect(
                m.ws_url,
                subprotocols=[Subprotocol("graphql-transport-ws")],
                additional_headers={"Authorization": f"Bearer {token}"},
                open_timeout=30,
            )
        log = m.server.output()
    response = refused.value.response
    assert response.status_code == 503
    (error,) = json.loads(response.body or b"")["errors"]
    assert error["extensions"]["code"] == "AUTH_KEYS_UNAVAILABLE"
    assert "without completing handshake" not in log
    assert "Traceback" not in log
