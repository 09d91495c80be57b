"""Hostile input: malformed documents, bombs, bad tokens — a clear refusal, no internals."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.testclient import WebSocketDenialResponse

from api.auth import AccessLevel, TokenIssuer
from tests.api.conftest import STATUS, Api, receive_paper
from tests.factories import APPLICANT

INTERNALS = re.compile(
    r"Traceback|File \"|\.py\b|/work/|site-packages|\b\w+(Error|Exception)\b"
)
CODE = "000.00.00.H34-261127-0001"


def assert_no_internals(text: str) -> None:
    found = INTERNALS.search(text)
    assert found is None, f"internal detail {found.group(0)!r} in {text!r}"


def errors(api: Api, query: str, variables: dict[str, Any] | None = None) -> str:
    """The error messages of a refused document (no data at all)."""
    response = api.post(query, variables)
    assert_no_internals(response.text)
    body = response.json()
    assert body.get("data") is None, body
    return " | ".join(e["message"] for e in body["errors"])


class TestMalformedDocuments:
    @pytest.mark.parametrize(
        "query",
        [
            "{ dossierStatus(code: ",
            "query { dossierStatus(code: 42) { code } }",
            "{ dossierStatus { code } }",
            "mutation { nothing }",
            "{ __typename } }}}",
        ],
    )
    def test_a_malformed_document_is_refused_without_internals(
        self, api: Api, query: str
    ) -> None:
        assert errors(api, query)

    def test_a_body_that_is_not_json_is_a_400_without_internals(self, api: Api) -> None:
        response = api.client.post(
            "/graphql",
            content=b'{"query": "{',
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 400
        assert_no_internals(response.text)

    def test_an_unexpected_failure_is_masked(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*_: Any, **__: Any) -> Any:
            raise RuntimeError("connection to /var/secret/db.py at 10.0.0.7 failed")

        monkeypatch.setattr(api.services.catalogue, "search", broken)
        response = api.post('{ procedures(search: "x") { code } }')
        assert response.status_code == 200
        (error,) = response.json()["errors"]
        assert error["message"] == "Lỗi không mong muốn / unexpected error"
        assert "10.0.0.7" not in response.text
        assert_no_internals(response.text)

    def test_an_unexpected_failure_is_masked_while_other_requests_run(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        entered, release = threading.Event(), threading.Event()

        def broken(*_: Any, **__: Any) -> Any:
            entered.set()
            release.wait(10)
            raise RuntimeError("secret-internal-detail")

        monkeypatch.setattr(api.services.catalogue, "search", broken)
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(api.post, '{ procedures(search: "x") { code } }')
            assert entered.wait(10)
            other = api.post(STATUS, {"code": CODE})  # runs while the first waits
            release.set()
            response = slow.result(timeout=10)
        assert other.json() == {"data": {"dossierStatus": None}}
        assert "secret-internal-detail" not in response.text
        assert response.json()["errors"][0]["message"] == (
            "Lỗi không mong muốn / unexpected error"
        )

    def test_an_absurd_argument_is_answered_without_an_unexpected_error(
        self, api: Api
    ) -> None:
        body = api.data(
            "{ worklist(dueWithinHours: 2000000000) { code } }", token=api.tokens.desk()
        )
        assert body == {"worklist": []}


class TestDocumentLimits:
    def test_an_introspection_depth_bomb_is_refused(self, api: Api) -> None:
        nested = "fields { type { " * 10 + "name" + " } }" * 10
        message = errors(api, f'{{ __type(name: "Query") {{ {nested} }} }}')
        assert "Maximum introspection depth exceeded" in message

    def test_a_selection_deeper_than_the_limit_is_refused(self, api: Api) -> None:
        nested = "steps { " * 10 + "at" + " }" * 10
        message = errors(api, f"{{ myDossiers {{ {nested} }} }}")
        assert "exceeds maximum operation depth of 8" in message

    def test_an_alias_bomb_is_refused(self, api: Api) -> None:
        aliases = " ".join(
            f'a{i}: dossierStatus(code: "{CODE}") {{ code }}' for i in range(20)
        )
        assert errors(api, f"{{ {aliases} }}") == "20 aliases found. Allowed: 15"

    def test_a_token_bomb_is_refused(self, api: Api) -> None:
        fields = " ".join(["__typename"] * 2100)
        message = errors(api, f"{{ {fields} }}")
        assert "Document contains more than 2000 tokens" in message

    def test_documents_within_the_limits_are_answered(self, api: Api) -> None:
        code = receive_paper(api)["code"]
        aliases = " ".join(
            f'a{i}: dossierStatus(code: "{code}") {{ code }}' for i in range(15)
        )
        data = api.data(f"{{ {aliases} }}")
        assert len(data) == 15


def claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "iss": "motcua",
        "aud": "motcua-api",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "sub": APPLICANT.id,
        "role": "citizen",
        "eid_level": 2,
    }
    base.update(changes)
    return base


def bad_tokens(issuer: TokenIssuer) -> dict[str, str]:
    other_key = ec.generate_private_key(ec.SECP256R1())
    public_pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    past = datetime.now(UTC) - timedelta(hours=2)
    headers = {"kid": issuer.kid}
    return {
        "forged": jwt.encode(claims(), other_key, algorithm="ES256", headers=headers),
        "expired": issuer.issue(
            AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2, now=past
        ),
        "wrong audience": TokenIssuer(
            issuer.key, issuer.kid, audience="other-api"
        ).issue(AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2),
        "wrong issuer": TokenIssuer(issuer.key, issuer.kid, issuer="evil").issue(
            AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2
        ),
        "alg none": jwt.encode(claims(), "", algorithm="none"),
        "hmac with the public key": _hs256(claims(), public_pem),
        "garbage": "not.a.token",
    }


def _hs256(payload: dict[str, Any], secret: bytes) -> str:
    """Key confusion: HS256 signed with the verifier's public key as the secret
    (PyJWT itself refuses to sign so)."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    body = {
        k: int(v.timestamp()) if isinstance(v, datetime) else v
        for k, v in payload.items()
    }
    signing = (
        part(b'{"alg":"HS256","typ":"JWT"}') + "." + part(json.dumps(body).encode())
    )
    signature = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    return signing + "." + part(signature)


class TestTokens:
    def test_every_bad_token_is_a_401_without_internals(self, api: Api) -> None:
        for name, token in bad_tokens(api.tokens.issuer).items():
            response = api.post("{ myDossiers { code } }", token=token)
            assert response.status_code == 401, name
            assert_no_internals(response.text)

    @pytest.mark.parametrize(
        "authorization", ["Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer   ", "Token abc"]
    )
    def test_an_authorization_that_is_not_a_bearer_token_is_a_401(
        self, api: Api, authorization: str
    ) -> None:
        response = api.post(
            STATUS, {"code": CODE}, headers={"Authorization": authorization}
        )
        assert response.status_code == 401

    def test_a_valid_token_is_accepted(self, api: Api) -> None:
        assert api.data("{ myDossiers { code } }", token=api.tokens.citizen()) == {
            "myDossiers": []
        }

    def test_a_forged_token_cannot_open_a_subscription(self, api: Api) -> None:
        forged = bad_tokens(api.tokens.issuer)["forged"]
        with pytest.raises(WebSocketDenialResponse) as denied:  # noqa: SIM117
            with api.client.websocket_connect(
                "/graphql",
                subprotocols=["graphql-transport-ws"],
                headers={"Authorization": f"Bearer {forged}"},
            ):
                pass
        assert isinstance(denied.value, httpx.Response)
        assert denied.value.status_code == 401
