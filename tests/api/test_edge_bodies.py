"""Hostile bodies at the HTTP edge: a 4xx in GraphQL's error shape, nothing written.

The four bodies of issue 6 (a bare JSON string, variables nested 50,000
levels, invalid UTF-8, a lone surrogate in an enum variable) and their
kinds: any JSON scalar, nesting in any variable, any invalid encoding, any
surrogate in any variable, oversized bodies with and without a length.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketDisconnect

from tests.api.conftest import RECEIVE, STATUS, Api, MakeApi
from tests.api.test_graphql_hostile import assert_no_internals
from tests.factories import APPLICANT, BIRTH

WORKLIST = "query W($s: DossierStatus) { worklist(status: $s) { code } }"
HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def post_raw(
    api: Api,
    body: bytes,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    sent = {"content-type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return api.client.post("/graphql", content=body, headers=sent)


def assert_refused(response: Any, status: int = 400) -> dict[str, Any]:
    """A 4xx with ``{"errors": [{"message", "extensions": {"code"}}]}``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_no_internals(response.text)
    body: dict[str, Any] = response.json()
    (error,) = body["errors"]
    assert isinstance(error, dict)
    assert error["message"]
    assert error["extensions"]["code"]
    assert "data" not in body
    return error


def nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + "1" + closer * depth).encode()


def deep_object(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def request(variables: bytes, query: str = STATUS) -> bytes:
    return (
        b'{"query":' + json.dumps(query).encode() + b',"variables":' + variables + b"}"
    )


class TestTheFourBodiesOfTheIssue:
    def test_a_bare_json_string(self, api: Api) -> None:
        error = assert_refused(post_raw(api, b'"hello"'))
        assert error["extensions"]["code"] == "MALFORMED_BODY"

    def test_variables_nested_fifty_thousand_levels(self, api: Api) -> None:
        body = request(b'{"code":' + nested(50_000) + b"}")
        error = assert_refused(post_raw(api, body))
        assert "nested" in error["message"]

    def test_invalid_utf8(self, api: Api) -> None:
        assert_refused(post_raw(api, b'{"query":"{ __typename \xff }"}'))

    def test_a_lone_surrogate_in_an_enum_variable(self, api: Api) -> None:
        body = request(b'{"s":"\\ud800"}', WORKLIST)
        assert_refused(post_raw(api, body, token=api.tokens.desk()))


class TestKindsOfHostileBodies:
    @pytest.mark.parametrize(
        "body", [b"42", b"-1.5e3", b"null", b"true", b"false", b'""', b"[]"]
    )
    def test_any_json_that_is_not_a_request_object(self, api: Api, body: bytes) -> None:
        assert_refused(post_raw(api, body))

    @HYPOTHESIS
    @given(
        depth=st.integers(min_value=33, max_value=5_000),
        kind=st.sampled_from(["array", "object"]),
        name=st.sampled_from(["code", "s", "input", "x"]),
    )
    def test_nesting_in_any_variable_beyond_the_bound(
        self, api: Api, depth: int, kind: str, name: str
    ) -> None:
        value = nested(depth) if kind == "array" else deep_object(depth)
        body = request(b'{"' + name.encode() + b'":' + value + b"}")
        assert "nested" in assert_refused(post_raw(api, body))["message"]

    def test_nesting_within_the_bound_reaches_graphql(self, api: Api) -> None:
        body = request(b'{"code":' + nested(20) + b"}")
        response = post_raw(api, body)
        assert response.status_code == 200  # GraphQL refuses the list for a String
        assert response.json()["errors"]

    @HYPOTHESIS
    @given(
        bad=st.sampled_from(
            [
                b"\xff",
                b"\xc3\x28",
                b"\xe2\x82",
                b"\xed\xa0\x80",
                b"\xf8\x88\x80\x80\x80",
            ]
        ),
        where=st.sampled_from(["query", "variable", "operationName"]),
    )
    def test_any_invalid_utf8_anywhere(self, api: Api, bad: bytes, where: str) -> None:
        query = b'"query S($code: String!) { dossierStatus(code: $code) { code } }"'
        parts = {
            "query": b'{"query":"{ __typename ' + bad + b'"}',
            "variable": b'{"query":' + query + b',"variables":{"code":"' + bad + b'"}}',
            "operationName": b'{"query":' + query + b',"operationName":"' + bad + b'"}',
        }
        assert_refused(post_raw(api, parts[where]))

    @HYPOTHESIS
    @given(
        surrogate=st.integers(min_value=0xD800, max_value=0xDFFF),
        variable=st.sampled_from(["s", "code", "applicantId", "name", "procedure"]),
    )
    def test_a_lone_surrogate_in_any_variable(
        self, api: Api, surrogate: int, variable: str
    ) -> None:
        escaped = f'"x\\u{surrogate:04x}y"'.encode()
        query = (
            RECEIVE if variable in ("applicantId", "name", "procedure") else WORKLIST
        )
        before = api.log_position()
        body = request(b'{"' + variable.encode() + b'":' + escaped + b"}", query)
        assert_refused(post_raw(api, body, token=api.tokens.desk()))
        assert api.log_position() == before

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (b'{"query": 5}', "query"),
            (b'{"query": "{ __typename }", "variables": "x"}', "variables"),
            (b'{"query": "{ __typename }", "variables": [1]}', "variables"),
            (b'{"query": "{ __typename }", "operationName": 7}', "operationName"),
            (b'{"query": "{ __typename }", "extensions": 1}', "extensions"),
            (b"{}", "query"),
        ],
    )
    def test_a_request_of_the_wrong_shape(
        self, api: Api, body: bytes, reason: str
    ) -> None:
        assert reason in assert_refused(post_raw(api, body))["message"]

    def test_a_body_that_is_not_json_at_all(self, api: Api) -> None:
        assert_refused(post_raw(api, b"<xml/>"))

    def test_an_unsupported_content_type_has_the_same_shape(self, api: Api) -> None:
        response = post_raw(api, b"query=x", headers={"content-type": "text/plain"})
        assert_refused(response)

    def test_hostile_get_variables_are_refused_too(self, api: Api) -> None:
        response = api.client.get(
            "/graphql",
            params={
                "query": STATUS,
                "variables": '{"code":' + "[" * 5000 + "]" * 5000 + "}",
            },
        )
        assert_refused(response)

    def test_english_on_request(self, api: Api) -> None:
        error = assert_refused(
            post_raw(api, b'"hello"', headers={"Accept-Language": "en"})
        )
        assert error["message"].startswith("Malformed request body")

    def test_a_hostile_mutation_writes_nothing(self, api: Api) -> None:
        before = api.log_position()
        body = request(
            b'{"procedure":"'
            + BIRTH.encode()
            + b'","applicantId":"'
            + APPLICANT.id.encode()
            + b'","name":"\\udfff"}',
            RECEIVE,
        )
        assert_refused(post_raw(api, body, token=api.tokens.desk()))
        assert api.log_position() == before


def chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


class TestBodySize:
    @pytest.fixture
    def small(self, make_api: MakeApi) -> Api:
        return make_api(
            options={"MAX_BODY_BYTES": "4096", "MAX_WS_MESSAGE_BYTES": "4096"}
        )

    def test_a_declared_length_over_the_limit_is_413(self, small: Api) -> None:
        body = request(b'{"code":"' + b"x" * 5000 + b'"}')
        error = assert_refused(post_raw(small, body), 413)
        assert error["extensions"]["code"] == "REQUEST_TOO_LARGE"
        assert "4096" in error["message"]

    def test_a_streamed_body_without_length_is_counted(self, small: Api) -> None:
        body = request(b'{"code":"' + b"x" * 50_000 + b'"}')
        response = small.client.post(
            "/graphql",
            content=chunks(body, 1000),
            headers={"content-type": "application/json"},
        )
        assert "content-length" not in response.request.headers
        assert_refused(response, 413)

    def test_a_body_within_the_limit_is_answered(self, small: Api) -> None:
        body = request(b'{"code":"' + b"x" * 1000 + b'"}')
        response = post_raw(small, body)
        assert response.status_code == 200
        assert response.json() == {"data": {"dossierStatus": None}}

    def test_a_streamed_body_within_the_limit_is_answered(self, small: Api) -> None:
        body = request(b'{"code":"' + b"x" * 1000 + b'"}')
        response = small.client.post(
            "/graphql",
            content=chunks(body, 100),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 200, response.text

    def test_the_default_limit_is_one_mebibyte(self, api: Api) -> None:
        over = request(b'{"code":"' + b"x" * (1024 * 1024) + b'"}')
        assert_refused(post_raw(api, over), 413)

    def test_an_oversized_idempotent_mutation_writes_nothing(self, small: Api) -> None:
        before = small.log_position()
        variables = {
            "procedure": BIRTH,
            "applicantId": APPLICANT.id,
            "name": "x" * 5000,
        }
        response = small.client.post(
            "/graphql",
            json={"query": RECEIVE, "variables": variables},
            headers={
                "Authorization": f"Bearer {small.tokens.desk()}",
                "Idempotency-Key": "big-1",
            },
        )
        assert_refused(response, 413)
        assert small.log_position() == before

    def test_a_websocket_message_over_the_limit_closes_with_1009(
        self, small: Api
    ) -> None:
        with small.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]
        ) as session:
            session.send_json({"type": "connection_init"})
            assert session.receive_json()["type"] == "connection_ack"
            session.send_text(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": "{ __typename }", "x": "y" * 5000},
                    }
                )
            )
            with pytest.raises(WebSocketDisconnect) as closed:
                session.receive_json()
        assert closed.value.code == 1009

    def test_a_hostile_websocket_message_is_refused_not_crashed(self, api: Api) -> None:
        with api.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]
        ) as session:
            session.send_json({"type": "connection_init"})
            assert session.receive_json()["type"] == "connection_ack"
            session.send_text(
                '{"id":"1","type":"subscribe","payload":'
                + "[" * 2000
                + "]" * 2000
                + "}"
            )
            with pytest.raises(WebSocketDisconnect) as closed:
                session.receive_json()
        assert closed.value.code == 4400


def test_an_unencodable_answer_is_still_json() -> None:
    """Defence in depth: a lone surrogate that got into an answer is escaped."""
    from api.graphql.router import MotcuaGraphQLRouter
    from api.graphql.schema import build_schema

    router = MotcuaGraphQLRouter(build_schema())
    text = router.encode_json({"errors": [{"message": "bad \ud800 value"}]})
    assert json.loads(text) == {"errors": [{"message": "bad \ud800 value"}]}
    assert router.encode_json({"a": "ổn"}) == '{"a":"ổn"}'
