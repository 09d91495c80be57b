"""The served product in both topologies, over real sockets.

``embedded``: ``motcua serve`` alone on SQLite (projector thread, in-process
cache). ``production``: ``motcua serve`` and ``motcua projector`` as separate
processes on a real PostgreSQL and a real Redis (the docker-compose topology).

Covered here: live updates with standard websocket subprotocols
(``graphql-transport-ws`` and ``graphql-ws``) woken by the projector's change
notifications; the public-status cache invalidated by whichever process
projects; a poison event dead-lettered, visible in ``/readyz``, ``/metrics`` and
``motcua projections status``, and cleared by ``projections retry`` after a fix.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from adapters.settings import Settings
from api.wiring import build_application, build_read_store
from projections.runtime import Projector
from tests.api.conftest import RECEIVE, UNLIMITED_LOOKUPS, Tokens
from tests.factories import APPLICANT, BIRTH
from tests.poison import CitizenCappingFees, poisoned_payment
from tests.served import Process, Served, motcua_env, seeded_settings, served

T = TypeVar("T")
TIMEOUT = 20.0
TOPOLOGIES = ("embedded", pytest.param("production", marks=pytest.mark.redis))

STATUS = "query S($code: String!) { dossierStatus(code: $code) { code completion } }"
SUBSCRIBE = """subscription S($code: String!) {
  dossierStatusChanged(code: $code) { code completion label }
}"""
SUPPLEMENT = """mutation R($code: String!) {
  requestSupplement(dossier: {code: $code}, componentCodes: ["TP2"],
                    reason: "Thiếu giấy chứng sinh") {
    __typename ... on DossierUpdated { logPosition }
  }
}"""


def settings_for(
    topology: str, request: pytest.FixtureRequest, directory: Path
) -> Settings:
    if topology == "embedded":
        return seeded_settings(directory, options=UNLIMITED_LOOKUPS)
    return seeded_settings(
        directory,
        database_url=request.getfixturevalue("postgres_url"),
        redis_url=request.getfixturevalue("redis_url"),
        options=UNLIMITED_LOOKUPS,
    )


@pytest.fixture(params=TOPOLOGIES)
def topology(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Settings]:
    kind = str(request.param)
    return kind, settings_for(kind, request, tmp_path / "data")


@pytest.fixture
def motcua(topology: tuple[str, Settings]) -> Iterator[Served]:
    kind, settings = topology
    with served(settings, projector=kind == "production") as running:
        yield running


def eventually(probe: Callable[[], T | None], what: str) -> T:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {TIMEOUT} s: {what}")


def data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]
    return result


def completion(m: Served, code: str) -> str | None:
    found = data(m.graphql(STATUS, {"code": code}))["dossierStatus"]
    return None if found is None else str(found["completion"])


def received(m: Served) -> str:
    """A paper dossier received at the desk, once the lookup knows it."""
    result = data(
        m.graphql(
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
            token=Tokens(m.tokens).desk(),
        )
    )["receiveDossier"]
    assert result["__typename"] == "DossierReceived", result
    code = str(result["code"])
    eventually(lambda: completion(m, code), "the new dossier is projected")
    return code


def request_supplement(m: Served, code: str) -> int:
    result = data(
        m.graphql(SUPPLEMENT, {"code": code}, token=Tokens(m.tokens).specialist())
    )
    assert result["requestSupplement"]["__typename"] == "DossierUpdated", result
    return int(result["requestSupplement"]["logPosition"])


def projected(m: Served, position: int) -> None:
    """Until every read model has applied ``position`` (seen from /readyz)."""

    def caught_up() -> bool | None:
        with m.client() as client:
            body = client.get("/readyz").json()
        return True if body["logPosition"] >= position and body["maxLag"] == 0 else None

    eventually(caught_up, f"position {position} projected")


class Live:
    """A standard client speaking one of the two GraphQL websocket protocols."""

    def __init__(self, url: str, protocol: str) -> None:
        self.protocol = protocol
        self.socket: ClientConnection = connect(
            url, subprotocols=[Subprotocol(protocol)], open_timeout=TIMEOUT
        )
        assert self.socket.subprotocol == protocol
        self.send({"type": "connection_init", "payload": {}})
        assert self.receive()["type"] == "connection_ack"

    def send(self, message: dict[str, Any]) -> None:
        self.socket.send(json.dumps(message))

    def receive(self) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(self.socket.recv(timeout=TIMEOUT))
            if message["type"] != "ka":  # graphql-ws keep-alives
                return message

    def subscribe(self, operation: str, code: str) -> None:
        start = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        payload = {"query": SUBSCRIBE, "variables": {"code": code}}
        self.send({"id": operation, "type": start, "payload": payload})

    def next(self, operation: str) -> tuple[str, Any]:
        """("next", data) | ("error", errors) | ("complete", None), both protocols."""
        message = self.receive()
        assert message.get("id") == operation, message
        kind = {"data": "next"}.get(message["type"], message["type"])
        if kind == "next" and message["payload"].get("errors"):
            return "error", message["payload"]["errors"]
        if kind == "next":
            return kind, message["payload"]["data"]["dossierStatusChanged"]
        if kind == "error":
            payload = message["payload"]
            return kind, payload if isinstance(payload, list) else [payload]
        return kind, None

    def close(self) -> None:
        self.socket.close()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
def test_subscriptions_follow_the_projector_over_a_real_socket(
    motcua: Served, protocol: str
) -> None:
    code = received(motcua)
    live = Live(motcua.ws_url, protocol)
    try:
        live.subscribe("1", code)
        assert live.next("1") == (
            "next",
            {"code": code, "completion": "RECEIVED", "label": "Đã tiếp nhận"},
        )
        request_supplement(motcua, code)
        kind, status = live.next("1")
        assert (kind, status["completion"]) == ("next", "WAITING_FOR_APPLICANT")

        live.subscribe("2", "000.00.00.H34-261127-9999")
        kind, errors = live.next("2")
        assert kind == "error"
        assert [e["extensions"]["code"] for e in errors] == ["DOSSIER_NOT_FOUND"]
        assert live.next("2") == ("complete", None)  # ended, not left waiting
        if protocol == "graphql-transport-ws":
            live.send({"type": "ping"})
            assert live.receive() == {"type": "pong"}
    finally:
        live.close()


def test_a_lookup_after_the_projector_applied_a_change_is_fresh(
    motcua: Served, topology: tuple[str, Settings]
) -> None:
    kind, settings = topology
    code = received(motcua)
    assert completion(motcua, code) == "RECEIVED"
    if kind == "production":
        # The reception's invalidation came first; then a lookup caches the
        # old status (this worker's own cache, and Redis once the reception's
        # tombstone there expired), which must not be served after the change.
        def from_cache() -> str | None:
            before = cache_hits(motcua)
            shown = completion(motcua, code)
            return shown if cache_hits(motcua) > before else None

        assert eventually(from_cache, "a lookup answered from a cache") == "RECEIVED"
    position = request_supplement(motcua, code)
    projected(motcua, position)
    if kind == "production":
        # A worker's own cache hears of a commit through NOTIFY: no answer is
        # older than a change committed LOOKUP_LOCAL_CACHE_MS ago.
        time.sleep(settings.value("LOOKUP_LOCAL_CACHE_MS") / 1000)
    assert completion(motcua, code) == "WAITING_FOR_APPLICANT"


def cache_hits(m: Served) -> float:
    """This worker's cache hits (a worker answers ``/metrics`` for itself)."""
    with m.client() as client:
        text = client.get("/metrics").text
    found = re.search(r"^motcua_cache_hits_total (\S+)$", text, re.M)
    assert found is not None, text
    return float(found.group(1))


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=motcua_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def metric(m: Served, name: str, read_model: str) -> float:
    with m.client() as client:
        text = client.get("/metrics").text
    found = re.search(rf'^{name}\{{read_model="{read_model}"\}} (\S+)$', text, re.M)
    assert found is not None, text
    return float(found.group(1))


def test_a_poison_event_is_dead_lettered_visible_and_retried_after_a_fix(
    topology: tuple[str, Settings],
) -> None:
    kind, settings = topology
    app = build_application(settings)
    try:
        _, position = poisoned_payment(app)
    finally:
        app.close()
    with served(settings, projector=kind == "production") as motcua:
        code = received(motcua)  # written after the poison, and projected
        with motcua.client() as client:
            ready = client.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "not_ready"
        assert body["deadLetters"]["citizen"] == 1
        assert any("citizen" in reason for reason in body["reasons"])
        assert metric(motcua, "motcua_projection_dead_letters", "citizen") == 1
        assert metric(motcua, "motcua_projection_dead_letters", "worklist") == 0
        assert completion(motcua, code) == "RECEIVED"

        status = cli(settings, "projections", "status", "--json")
        assert status.returncode == 0, status.stderr
        rows = {r["name"]: r for r in json.loads(status.stdout)}
        assert [d["position"] for d in rows["citizen"]["deadLetters"]] == [position]
        assert rows["worklist"]["deadLetters"] == []

        again = cli(settings, "projections", "retry", "citizen", "--json")
        assert again.returncode == 1, again.stderr
        assert json.loads(again.stdout) == {
            "cleared": 0,
            "stillFailing": 1,
            "parked": 0,
        }

        app = build_application(settings)
        store = build_read_store(settings)
        try:
            fixed = Projector(app, store, [CitizenCappingFees()])
            assert fixed.retry() == (1, 0, 0)
        finally:
            store.close()
            app.close()
        with motcua.client() as client:
            ready = client.get("/readyz")
        assert (ready.status_code, ready.json()["status"]) == (200, "ok")
        assert metric(motcua, "motcua_projection_dead_letters", "citizen") == 0


@pytest.mark.redis
def test_readyz_is_not_ready_while_the_lag_exceeds_its_bound(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    """No projector running: the log grows past MOTCUA_READY_MAX_LAG; once a
    ``motcua projector`` catches up the API is ready again."""
    settings = seeded_settings(
        tmp_path / "data",
        database_url=postgres_url,
        redis_url=redis_url,
        options={**UNLIMITED_LOOKUPS, "READY_MAX_LAG": "5"},
    )
    with served(settings) as motcua:
        with motcua.client() as client:
            ready = client.get("/readyz")
        body = ready.json()
        assert (ready.status_code, body["status"]) == (503, "not_ready")
        assert body["maxLag"] > 5
        assert body["readyMaxLag"] == 5
        assert any("lag" in reason for reason in body["reasons"])

        worker = Process(
            ["projector"], motcua_env(settings), settings.data_dir / "late.log"
        )
        worker.start()
        try:

            def ready_again() -> dict[str, Any] | None:
                with motcua.client() as client:
                    response = client.get("/readyz")
                return response.json() if response.status_code == 200 else None

            body = eventually(ready_again, "ready once projected")
            assert (body["status"], body["maxLag"], body["reasons"]) == ("ok", 0, [])
        finally:
            worker.stop()
