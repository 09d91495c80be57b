"""The edge is one ASGI layer that does what the separate layers did."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.logging import request_id_of
from tests.api.conftest import Api, MakeApi

WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")


@given(st.binary(max_size=80))
def test_a_request_id_is_the_clients_when_well_formed_else_a_new_uuid4(
    incoming: bytes,
) -> None:
    chosen = request_id_of(incoming)
    text = incoming.decode("latin-1")
    if WELL_FORMED.fullmatch(text):
        assert chosen == text
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", chosen)
        assert uuid.UUID(hex=chosen).version == 4
        assert uuid.UUID(hex=chosen).variant == uuid.RFC_4122


def test_new_request_ids_differ() -> None:
    assert len({request_id_of(b"") for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/healthz"), ("POST", "/graphql"), ("GET", "/nope")]
)
def test_every_response_gets_the_edge_headers_without_an_origin(
    api: Api, method: str, path: str
) -> None:
    response = api.client.request(method, path, json={"query": "{ __typename }"})
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "Origin" in headers.get_list("vary")  # what CORS says without Origin
    assert "access-control-allow-origin" not in headers
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])


def test_one_access_line_per_request_with_its_fields(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    api.client.get("/nope", headers={"X-Request-Id": "trace-7"})
    lines = [
        json.loads(line)
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("{") and '"event":"request"' in line
    ]
    assert len(lines) == 1
    (line,) = lines
    assert line["request_id"] == "trace-7"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/nope", 404)
    assert line["level"] == "info"
    assert line["duration_ms"] >= 0
    assert isinstance(line["pid"], int)
    assert line["timestamp"].endswith("Z")


def test_a_body_over_the_limit_is_refused_with_the_edge_headers(
    make_api: MakeApi,
) -> None:
    api = make_api(options={"MAX_BODY_BYTES": "1024"})
    response = api.client.post(
        "/graphql",
        content=b'{"query": "' + b"x" * 2000 + b'"}',
        headers={"Content-Type": "application/json", "X-Request-Id": "big-1"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert response.headers["x-request-id"] == "big-1"
    assert response.headers["x-content-type-options"] == "nosniff"
