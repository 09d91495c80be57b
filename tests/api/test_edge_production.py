"""MOTCUA_ENV=production, security headers, CORS, /metrics, trusted proxies, key sources."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, ClassVar

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from adapters.settings import ConfigurationError, Settings
from api.app import create_app
from api.auth import AccessLevel, TokenIssuer
from api.edge_settings import EdgeSettings
from domain.values import Role
from tests.api.conftest import STATUS, UNLIMITED_LOOKUPS
from tests.factories import APPLICANT, PROVINCE, seed_catalogue
from tests.services import find_free_port

CODE = "000.00.00.H34-261127-0001"
WORKLIST = "query W($s: DossierStatus) { worklist(status: $s) { code } }"


class Edge:
    """An app built from options, reached from a chosen client address."""

    def __init__(self, client: TestClient, issuer: TokenIssuer | None) -> None:
        self.client = client
        self.issuer = issuer

    def desk(self) -> str:
        assert self.issuer is not None
        return self.issuer.issue(
            AccessLevel.OFFICER, subject="desk-1", agency=PROVINCE, roles=[Role.DESK]
        )

    def post(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        return self.client.post(
            "/graphql",
            json={"query": query, "variables": dict(variables or {})},
            headers=sent,
        )


MakeEdge = Callable[..., Edge]


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "idp.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key, pem


@pytest.fixture
def make_edge(
    tmp_path: Path, key_pair: tuple[ec.EllipticCurvePrivateKey, Path]
) -> Iterator[MakeEdge]:
    built = 0
    with ExitStack() as stack:

        def build(
            options: Mapping[str, str] | None = None,
            *,
            production: bool = False,
            client: tuple[str, int] = ("127.0.0.1", 50000),
            base_url: str = "http://testserver",
        ) -> Edge:
            nonlocal built
            built += 1
            data_dir = tmp_path / f"edge-{built}"
            data_dir.mkdir()
            chosen = {**UNLIMITED_LOOKUPS, **(options or {})}
            issuer = None
            if production:
                key, pem = key_pair
                chosen |= {"ENV": "production", "JWT_PUBLIC_KEY_FILE": str(pem)}
                issuer = TokenIssuer(key, "idp-1")
            settings = Settings(
                database_url=f"sqlite:///{data_dir / 'motcua.db'}",
                data_dir=data_dir,
                options=chosen,
            )
            test_client = stack.enter_context(
                TestClient(create_app(settings), client=client, base_url=base_url)
            )
            seed_catalogue(test_client.app.state.services.onestop)  # type: ignore[attr-defined]
            if issuer is None:
                issuer = TokenIssuer.from_settings(
                    test_client.app.state.services.verifier.settings  # type: ignore[attr-defined]
                )
            return Edge(test_client, issuer)

        yield build


def messages(response: Any) -> str:
    return " | ".join(e["message"] for e in response.json()["errors"])


class TestProductionGraphQL:
    def test_introspection_is_refused(self, make_edge: MakeEdge) -> None:
        edge = make_edge(production=True)
        for query in (
            "{ __schema { types { name } } }",
            '{ __type(name: "Query") { name fields { name } } }',
        ):
            response = edge.post(query)
            assert response.json().get("data") is None
            assert "introspection" in messages(response).lower()
        assert edge.post("{ __typename }").json() == {"data": {"__typename": "Query"}}

    def test_introspection_works_in_development(self, make_edge: MakeEdge) -> None:
        body = make_edge().post("{ __schema { queryType { name } } }").json()
        assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}

    @pytest.mark.parametrize(
        ("query", "variables"),
        [
            ('{ dossierStatu(code: "x") { code } }', None),
            ('{ dossierStatus(cod: "x") { code } }', None),
            ('{ dossierStatus(code: "x") { cod } }', None),
            ("{ worklist(status: RECEIVE) { code } }", None),
            (WORKLIST, {"s": "RECEIVE"}),
            ("query Q($c: Strin!) { dossierStatus(code: $c) { code } }", {"c": "x"}),
        ],
    )
    def test_no_field_suggestions(
        self, make_edge: MakeEdge, query: str, variables: dict[str, str] | None
    ) -> None:
        development, production = make_edge(), make_edge(production=True)
        assert "Did you mean" in messages(
            development.post(query, variables, token=development.desk())
        )
        refused = production.post(query, variables, token=production.desk())
        assert refused.json()["errors"]
        assert "Did you mean" not in refused.text

    def test_no_graphiql(self, make_edge: MakeEdge) -> None:
        html = {"Accept": "text/html"}
        development = make_edge().client.get("/graphql", headers=html)
        assert development.status_code == 200
        assert "graphiql" in development.text.lower()
        production = make_edge(production=True).client.get("/graphql", headers=html)
        assert production.status_code in (400, 404)
        assert "graphiql" not in production.text.lower()
        assert production.json()["errors"]

    @pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
    def test_no_api_documentation(self, make_edge: MakeEdge, path: str) -> None:
        assert make_edge().client.get(path).status_code == 200
        assert make_edge(production=True).client.get(path).status_code == 404

    def test_the_development_key_is_refused(self, make_edge: MakeEdge) -> None:
        production = make_edge(production=True)
        dev_key_token = make_edge().desk()  # signed by a data dir's dev key
        refused = production.post("{ worklist { code } }", token=dev_key_token)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
        accepted = production.post("{ worklist { code } }", token=production.desk())
        assert accepted.json() == {"data": {"worklist": []}}


class TestMetrics:
    def test_production_without_token_or_port_hides_metrics(
        self, make_edge: MakeEdge
    ) -> None:
        assert make_edge(production=True).client.get("/metrics").status_code == 404
        assert make_edge().client.get("/metrics").status_code == 200

    def test_a_metrics_token_is_required_when_set(self, make_edge: MakeEdge) -> None:
        token = "m" * 32
        for production in (False, True):
            edge = make_edge({"METRICS_TOKEN": token}, production=production)
            assert edge.client.get("/metrics").status_code == 401
            wrong = {"Authorization": "Bearer " + "n" * 32}
            assert edge.client.get("/metrics", headers=wrong).status_code == 401
            right = {"Authorization": f"Bearer {token}"}
            answered = edge.client.get("/metrics", headers=right)
            assert answered.status_code == 200
            assert "motcua_http_requests_total" in answered.text

    def test_with_a_metrics_port_the_main_port_has_no_metrics(
        self, make_edge: MakeEdge
    ) -> None:
        edge = make_edge({"METRICS_PORT": "9464", "METRICS_TOKEN": "t" * 20})
        headers = {"Authorization": "Bearer " + "t" * 20}
        assert edge.client.get("/metrics", headers=headers).status_code == 404


class TestSecurityHeaders:
    @pytest.mark.parametrize("production", [False, True])
    def test_every_response_has_them(
        self, make_edge: MakeEdge, production: bool
    ) -> None:
        edge = make_edge({"MAX_BODY_BYTES": "2048"}, production=production)
        responses = [
            edge.post(STATUS, {"code": CODE}),
            edge.client.get("/healthz"),
            edge.client.get("/nowhere"),
            edge.client.post(
                "/graphql", content=b'"x"', headers={"content-type": "application/json"}
            ),
            edge.post(STATUS, {"code": "x" * 5000}),  # 413
            edge.post("{ worklist { code } }", token="bad.token.here"),  # 401
        ]
        assert [r.status_code for r in responses] == [200, 200, 404, 400, 413, 401]
        for response in responses:
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            csp = response.headers["content-security-policy"]
            assert "default-src 'none'" in csp
            assert "frame-ancestors 'none'" in csp
            assert "strict-transport-security" not in response.headers  # plain HTTP

    def test_graphiql_gets_a_csp_that_lets_it_load(self, make_edge: MakeEdge) -> None:
        page = make_edge().client.get("/graphql", headers={"Accept": "text/html"})
        csp = page.headers["content-security-policy"]
        assert "https://unpkg.com" in csp
        assert "default-src 'self'" in csp
        for url in {
            part.split('"')[0]
            for part in page.text.split('src="')[1:]
            if part.startswith("http")
        }:
            assert url.startswith("https://unpkg.com/"), url

    def test_hsts_over_tls(self, make_edge: MakeEdge) -> None:
        edge = make_edge(base_url="https://testserver")
        assert (
            "max-age="
            in edge.client.get("/healthz").headers["strict-transport-security"]
        )

    def test_hsts_behind_a_trusted_tls_proxy_only(self, make_edge: MakeEdge) -> None:
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        trusted = make_edge({"TRUSTED_PROXIES": "127.0.0.1/32"})
        assert (
            "strict-transport-security"
            in trusted.client.get("/healthz", headers=forwarded).headers
        )
        untrusted = make_edge({"TRUSTED_PROXIES": "10.0.0.0/8"})
        assert (
            "strict-transport-security"
            not in untrusted.client.get("/healthz", headers=forwarded).headers
        )


ORIGINS = {"CORS_ORIGINS": "https://dichvucong.kontum.gov.vn, http://localhost:3000"}


class TestCors:
    def test_an_allowed_origin_is_answered_with_cors_headers(
        self, make_edge: MakeEdge
    ) -> None:
        edge = make_edge(ORIGINS)
        origin = "https://dichvucong.kontum.gov.vn"
        answer = edge.post(STATUS, {"code": CODE}, headers={"Origin": origin})
        assert answer.headers["access-control-allow-origin"] == origin
        preflight = edge.client.options(
            "/graphql",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, idempotency-key",
            },
        )
        assert preflight.status_code == 200
        assert (
            "idempotency-key"
            in preflight.headers["access-control-allow-headers"].lower()
        )

    @pytest.mark.parametrize("options", [{}, ORIGINS])
    def test_other_origins_are_denied(
        self, make_edge: MakeEdge, options: dict[str, str]
    ) -> None:
        edge = make_edge(options)
        evil = "https://evil.example"
        answer = edge.post(STATUS, {"code": CODE}, headers={"Origin": evil})
        assert "access-control-allow-origin" not in answer.headers
        preflight = edge.client.options(
            "/graphql",
            headers={"Origin": evil, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers


class TestTrustedProxies:
    LIMITED: ClassVar[dict[str, str]] = {
        "LOOKUP_RATE_LIMIT": "3",
        "LOOKUP_RATE_WINDOW": "60",
    }

    def lookups(self, edge: Edge, count: int, rotate: bool) -> list[str | None]:
        codes = []
        for i in range(count):
            headers = {"X-Forwarded-For": f"198.51.100.{i + 1}"} if rotate else {}
            body = edge.post(STATUS, {"code": CODE}, headers=headers).json()
            codes.append(
                body["errors"][0]["extensions"]["code"] if "errors" in body else None
            )
        return codes

    def test_rotating_x_forwarded_for_from_loopback_does_not_bypass_the_limit(
        self, make_edge: MakeEdge
    ) -> None:
        edge = make_edge(self.LIMITED, client=("127.0.0.1", 40000))
        assert self.lookups(edge, 5, rotate=True) == [
            None,
            None,
            None,
            "RATE_LIMITED",
            "RATE_LIMITED",
        ]

    def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(
        self, make_edge: MakeEdge
    ) -> None:
        options = {**self.LIMITED, "TRUSTED_PROXIES": "10.0.0.0/8"}
        edge = make_edge(options, client=("192.0.2.50", 40000))
        assert self.lookups(edge, 4, rotate=True)[-1] == "RATE_LIMITED"

    def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(
        self, make_edge: MakeEdge
    ) -> None:
        options = {**self.LIMITED, "TRUSTED_PROXIES": "10.0.0.0/8, ::1"}
        edge = make_edge(options, client=("10.1.2.3", 40000))
        assert self.lookups(edge, 6, rotate=True) == [None] * 6  # one client each
        same = [
            edge.post(
                STATUS, {"code": CODE}, headers={"X-Forwarded-For": "203.0.113.7"}
            )
            for _ in range(4)
        ]
        assert same[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

    def statuses(self, edge: Edge, forwarded: list[str]) -> list[str | None]:
        codes = []
        for value in forwarded:
            body = edge.post(
                STATUS, {"code": CODE}, headers={"X-Forwarded-For": value}
            ).json()
            codes.append(
                body["errors"][0]["extensions"]["code"] if "errors" in body else None
            )
        return codes

    @pytest.mark.parametrize(
        "made_up",
        [
            ["garbage1", "garbage2", "garbage3", "garbage4", "garbage5"],
            ["unknown", "example.com", "999.1.1.1", "1.2.3.4.5", "01.2.3.4"],
            ["1.2.3.4:x", "[::1", "[::1]x", "", " , "],
            ["_hidden", "::g", "203.0.113.9/24", "0x7f.1", "1e3"],
        ],
    )
    def test_values_that_are_not_ip_addresses_share_the_proxys_bucket(
        self, make_edge: MakeEdge, made_up: list[str]
    ) -> None:
        options = {**self.LIMITED, "TRUSTED_PROXIES": "10.0.0.0/8"}
        edge = make_edge(options, client=("10.1.2.3", 40000))
        assert self.statuses(edge, made_up) == [None] * 3 + ["RATE_LIMITED"] * 2

    def test_spellings_of_one_address_share_its_bucket(
        self, make_edge: MakeEdge
    ) -> None:
        options = {**self.LIMITED, "TRUSTED_PROXIES": "10.0.0.0/8"}
        edge = make_edge(options, client=("10.1.2.3", 40000))
        spellings = [
            "2001:db8::1",
            "2001:DB8:0:0:0:0:0:1",
            "[2001:db8::1]:443",
            "2001:db8:0::1",
            "garbage, 2001:db8::0:1",
        ]
        assert self.statuses(edge, spellings) == [None] * 3 + ["RATE_LIMITED"] * 2
        mapped = ["::ffff:203.0.113.8", "203.0.113.8:8080", "203.0.113.8"]
        mapped += ["[::ffff:cb00:7108]:1", "203.0.113.8"]
        assert self.statuses(edge, mapped) == [None] * 3 + ["RATE_LIMITED"] * 2

    def test_the_client_is_the_first_untrusted_valid_address_from_the_right(
        self, make_edge: MakeEdge
    ) -> None:
        options = {**self.LIMITED, "TRUSTED_PROXIES": "10.0.0.0/8"}
        edge = make_edge(options, client=("10.1.2.3", 40000))
        # Each value names a distinct client: the proxies in 10/8 are skipped,
        # anything left of the client is the client's own claim and ignored.
        chains = [f"garbage, 198.51.100.{i}, 10.0.0.{i}" for i in range(1, 7)]
        assert self.statuses(edge, chains) == [None] * 6
        # A made-up value right of a trusted hop: that hop is the client.
        hops = [f"198.51.100.{i}, x{i}, 10.9.9.9" for i in range(1, 6)]
        assert self.statuses(edge, hops) == [None] * 3 + ["RATE_LIMITED"] * 2


class TestSettings:
    @pytest.mark.parametrize(
        "options",
        [
            {"ENV": "prod"},
            {"ENV": "production"},  # no key source
            {"TRUSTED_PROXIES": "loopback"},
            {"TRUSTED_PROXIES": "10.0.0.0/33"},
            {"CORS_ORIGINS": "*"},
            {"CORS_ORIGINS": "https://a.example/path"},
            {"CORS_ORIGINS": "ftp://a.example"},
            {"MAX_BODY_BYTES": "0"},
            {"MAX_BODY_BYTES": "1MB"},
            {"MAX_QUERY_COST": "-1"},
            {"METRICS_TOKEN": "short"},
            {"METRICS_PORT": "70000"},
            {"DOCUMENT_CACHE_BYTES": "many"},
        ],
    )
    def test_a_bad_setting_is_refused_at_start(
        self, tmp_path: Path, options: dict[str, str]
    ) -> None:
        # Refused by the settings table when the settings are built, or by the
        # edge's own checks (key sources, CIDRs, origins) — never later.
        with pytest.raises(ConfigurationError):
            EdgeSettings.from_settings(Settings(data_dir=tmp_path, options=options))
        with pytest.raises(ConfigurationError):
            create_app(Settings(data_dir=tmp_path, options=options))

    def test_defaults(self, tmp_path: Path) -> None:
        edge = EdgeSettings.from_settings(Settings(data_dir=tmp_path))
        assert not edge.production
        assert edge.max_body_bytes == 1024 * 1024
        assert edge.trusted_proxies == ()
        assert edge.cors_origins == ()

    def test_serve_refuses_production_with_the_development_key(
        self, tmp_path: Path
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
        env |= {
            "MOTCUA_ENV": "production",
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
        }
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(find_free_port())],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "MOTCUA_JWT_JWKS_URL" in done.stderr
        assert "Traceback" not in done.stderr


@contextmanager
def jwks_server(body: bytes, content_type: str = "application/json") -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    finally:
        server.shutdown()
        server.server_close()


class TestKeySource:
    def jwks_edge(self, make_edge: MakeEdge, url: str) -> Edge:
        return make_edge({"JWT_JWKS_URL": url})

    def token(self, key: ec.EllipticCurvePrivateKey, kid: str = "idp-1") -> str:
        return TokenIssuer(key, kid).issue(
            AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2
        )

    def assert_unavailable(self, response: Any) -> None:
        assert response.status_code == 503, response.text
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "AUTH_KEYS_UNAVAILABLE"
        assert "127.0.0.1" not in response.text

    def test_an_unreachable_jwks_endpoint_is_a_503(
        self, make_edge: MakeEdge, key_pair: tuple[ec.EllipticCurvePrivateKey, Path]
    ) -> None:
        edge = self.jwks_edge(make_edge, f"http://127.0.0.1:{find_free_port()}/jwks")
        response = edge.post("{ myDossiers { code } }", token=self.token(key_pair[0]))
        self.assert_unavailable(response)
        english = edge.post(
            "{ myDossiers { code } }",
            token=self.token(key_pair[0]),
            headers={"Accept-Language": "en"},
        )
        assert english.json()["errors"][0]["message"] == (
            "Token verification keys are unavailable"
        )

    @pytest.mark.parametrize(
        "body", [b"<html>down for maintenance</html>", b"[1, 2]", b'{"keys": 5}', b"{}"]
    )
    def test_a_jwks_endpoint_answering_garbage_is_a_503(
        self,
        make_edge: MakeEdge,
        key_pair: tuple[ec.EllipticCurvePrivateKey, Path],
        body: bytes,
    ) -> None:
        with jwks_server(body) as url:
            edge = self.jwks_edge(make_edge, url)
            response = edge.post(
                "{ myDossiers { code } }", token=self.token(key_pair[0])
            )
        self.assert_unavailable(response)

    def test_a_working_jwks_endpoint_verifies_and_an_unknown_kid_is_a_401(
        self, make_edge: MakeEdge, key_pair: tuple[ec.EllipticCurvePrivateKey, Path]
    ) -> None:
        key = key_pair[0]
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
        jwk |= {"kid": "idp-1", "use": "sig", "alg": "ES256"}
        with jwks_server(json.dumps({"keys": [jwk]}).encode()) as url:
            edge = self.jwks_edge(make_edge, url)
            ok = edge.post("{ myDossiers { code } }", token=self.token(key))
            unknown = edge.post(
                "{ myDossiers { code } }", token=self.token(key, "other")
            )
        assert ok.json() == {"data": {"myDossiers": []}}
        assert unknown.status_code == 401

    def test_a_subscription_handshake_is_denied_with_503(
        self, make_edge: MakeEdge, key_pair: tuple[ec.EllipticCurvePrivateKey, Path]
    ) -> None:
        edge = self.jwks_edge(make_edge, f"http://127.0.0.1:{find_free_port()}/jwks")
        with pytest.raises(WebSocketDenialResponse) as denied:  # noqa: SIM117
            with edge.client.websocket_connect(
                "/graphql",
                subprotocols=["graphql-transport-ws"],
                headers={"Authorization": f"Bearer {self.token(key_pair[0])}"},
            ):
                pass
        assert denied.value.status_code == 503
