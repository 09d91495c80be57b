"""The edge of a served ``motcua serve`` over a real socket: body limits, hostile
bodies, proxies, the metrics port, and memory under a flood of distinct
documents and fresh idempotency keys."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.auth import AccessLevel
from domain.values import Role
from tests.factories import BIRTH, PROVINCE
from tests.served import Served, seeded_settings, served
from tests.services import find_free_port

STATUS = "query S($code: String!) { dossierStatus(code: $code) { code } }"
CODE = "000.00.00.H34-261127-0001"


@pytest.fixture(scope="module")
def motcua(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = seeded_settings(
        tmp_path_factory.mktemp("edge") / "d",
        options={"MAX_BODY_BYTES": "65536", "LOOKUP_RATE_LIMIT": "1000000"},
    )
    with served(settings) as running:
        yield running


def post(
    motcua: Served, body: bytes | Iterator[bytes], **headers: str
) -> httpx.Response:
    with motcua.client() as client:
        return client.post(
            "/graphql",
            content=body,
            headers={"content-type": "application/json", **headers},
        )


def assert_graphql_refusal(response: httpx.Response, status: int = 400) -> None:
    assert response.status_code == status, response.text
    (error,) = response.json()["errors"]
    assert error["message"]
    assert error["extensions"]["code"]


def log_position(motcua: Served) -> int:
    position: int = motcua.readyz()["logPosition"]
    return position


class TestBodyLimit:
    def test_a_declared_length_over_the_limit(self, motcua: Served) -> None:
        body = json.dumps({"query": STATUS, "variables": {"code": "x" * 70_000}})
        assert_graphql_refusal(post(motcua, body.encode()), 413)

    def test_a_chunked_body_over_the_limit(self, motcua: Served) -> None:
        def chunks() -> Iterator[bytes]:
            yield b'{"query": "{ __typename }", "variables": {"code": "'
            for _ in range(200):
                yield b"x" * 1000
            yield b'"}}'

        response = post(motcua, chunks())
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert_graphql_refusal(response, 413)

    def test_a_chunked_body_within_the_limit(self, motcua: Served) -> None:
        def chunks() -> Iterator[bytes]:
            yield b'{"query": "{ __typename }",'
            yield b' "variables": {}}'

        assert post(motcua, chunks()).json() == {"data": {"__typename": "Query"}}

    def test_the_server_still_answers_afterwards(self, motcua: Served) -> None:
        post(motcua, b"x" * 100_000)
        ok = motcua.graphql(STATUS, {"code": CODE})
        assert ok.json() == {"data": {"dossierStatus": None}}


class TestHostileBodies:
    @pytest.mark.parametrize(
        "body",
        [
            b'"a bare string"',
            b'{"query":"query($c:String!){dossierStatus(code:$c){code}}","variables":{"c":'
            + b"[" * 50_000
            + b"]" * 50_000
            + b"}}",
            b'{"query":"{ __typename \xff\xfe }"}',
            b'{"query":"query($s:DossierStatus){worklist(status:$s){code}}",'
            b'"variables":{"s":"\\ud800"}}',
        ],
        ids=["bare-string", "nested-50000", "invalid-utf8", "lone-surrogate-enum"],
    )
    def test_the_four_bodies_of_the_issue(self, motcua: Served, body: bytes) -> None:
        token = motcua.tokens.issue(
            AccessLevel.OFFICER, subject="desk-1", agency=PROVINCE, roles=[Role.DESK]
        )
        before = log_position(motcua)
        response = post(motcua, body, Authorization=f"Bearer {token}")
        assert 400 <= response.status_code < 500
        assert_graphql_refusal(response, response.status_code)
        assert log_position(motcua) == before

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        value=st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False)
            | st.text(),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=40,
        ),
        name=st.sampled_from(["query", "variables", "operationName", "extensions"]),
        raw_suffix=st.sampled_from([b"", b"\xff", b"\\ud800", b"]]]]"]),
    )
    def test_generated_bodies_are_never_a_5xx(
        self, motcua: Served, value: object, name: str, raw_suffix: bytes
    ) -> None:
        body = json.dumps({name: value}).encode()
        if raw_suffix:
            body = body[:-1] + b',"x":"' + raw_suffix + b'"}'
        response = post(motcua, body)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.json()["errors"]


def test_rotating_x_forwarded_for_from_loopback_is_still_rate_limited(
    tmp_path: Path,
) -> None:
    settings = seeded_settings(
        tmp_path / "d", options={"LOOKUP_RATE_LIMIT": "3", "LOOKUP_RATE_WINDOW": "60"}
    )
    with served(settings) as motcua:
        codes = []
        for i in range(5):
            body = motcua.graphql(
                STATUS, {"code": CODE}, headers={"X-Forwarded-For": f"198.51.100.{i}"}
            ).json()
            codes.append(body.get("errors", [{}])[0].get("extensions", {}).get("code"))
    assert codes == [None, None, None, "RATE_LIMITED", "RATE_LIMITED"]


def test_x_forwarded_headers_count_from_a_trusted_proxy(tmp_path: Path) -> None:
    settings = seeded_settings(
        tmp_path / "d",
        options={
            "LOOKUP_RATE_LIMIT": "2",
            "LOOKUP_RATE_WINDOW": "60",
            "TRUSTED_PROXIES": "127.0.0.1/32",
        },
    )

    def refused(motcua: Served, client: str) -> bool:
        headers = {"X-Forwarded-For": client, "X-Forwarded-Proto": "https"}
        response = motcua.graphql(STATUS, {"code": CODE}, headers=headers)
        assert "max-age" in response.headers["strict-transport-security"]
        return "errors" in response.json()

    with served(settings) as motcua:
        rotating = [refused(motcua, f"198.51.100.{i}") for i in range(5)]
        same = [refused(motcua, "203.0.113.7") for _ in range(3)]
    assert rotating == [False] * 5  # each forwarded client has its own window
    assert same == [False, False, True]


def test_metrics_only_on_the_metrics_port(tmp_path: Path) -> None:
    metrics_port = find_free_port()
    settings = seeded_settings(
        tmp_path / "d", options={"METRICS_PORT": str(metrics_port)}
    )
    with served(settings) as motcua:
        with motcua.client() as client:
            assert client.get("/metrics").status_code == 404
            assert client.get("/healthz").status_code == 200
        sidecar = f"http://127.0.0.1:{metrics_port}"
        metrics = httpx.get(f"{sidecar}/metrics", timeout=10)
        assert metrics.status_code == 200
        assert "motcua_http_requests_total" in metrics.text
        assert metrics.headers["x-content-type-options"] == "nosniff"
        assert httpx.get(f"{sidecar}/healthz", timeout=10).status_code == 404
        assert httpx.post(f"{sidecar}/graphql", json={}, timeout=10).status_code == 404
    assert motcua.server.popen is not None
    assert motcua.server.popen.returncode is not None  # both listeners stopped


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


REFUSE = """
mutation R($code: String!, $reason: String!) {
  refuseDossier(dossier: {code: $code}, reason: $reason) { __typename }
}
"""


def test_memory_stays_bounded_under_distinct_large_documents_and_fresh_keys(
    tmp_path: Path,
) -> None:
    """Each document is ~1,800 tokens (~700 KB once parsed): strawberry's
    count-only caches (1,024 entries) would keep ~700 MB of them."""
    settings = seeded_settings(
        tmp_path / "d",
        options={"LOOKUP_RATE_LIMIT": "1000000", "DOCUMENT_CACHE_BYTES": "16777216"},
    )
    with served(settings) as motcua:
        assert motcua.server.popen is not None
        pid = motcua.server.popen.pid
        token = motcua.tokens.issue(
            AccessLevel.OFFICER, subject="desk-1", agency=PROVINCE, roles=[Role.DESK]
        )
        headers = {"Authorization": f"Bearer {token}"}

        def round_trip(client: httpx.Client, i: int) -> None:
            aliases = " ".join(f"f{i}x{j}: __typename" for j in range(600))
            document = client.post("/graphql", json={"query": f"{{ {aliases} }}"})
            assert document.status_code == 200
            assert document.json()["errors"]  # too many aliases: refused, cached
            refused = client.post(
                "/graphql",
                json={
                    "query": REFUSE,
                    "variables": {
                        "code": f"{PROVINCE}-261127-{i % 10_000:04d}",
                        "reason": f"{BIRTH} " + "r" * 2000,
                    },
                },
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex * 4},
            )
            assert refused.status_code == 200, refused.text

        with motcua.client() as client:
            for i in range(300):
                round_trip(client, i)
            warm = rss_bytes(pid)
            for i in range(300, 1000):
                round_trip(client, i)
            after = rss_bytes(pid)
        # Measured (400 + 1,200 rounds): 131.9 MiB after warm-up, 132.6 MiB after;
        # with a count-only cache of 1,024 documents: 404 MiB -> 964 MiB.
        assert after - warm < 24 * 2**20, (
            f"RSS {warm / 2**20:.1f} MiB after warm-up, {after / 2**20:.1f} MiB after"
        )
