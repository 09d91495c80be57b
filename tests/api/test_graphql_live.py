"""Subscriptions over websockets; health, readiness, metrics and request ids."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import OUTCOME, SUBSCRIBE, Api, receive, receive_paper

SUPPLEMENT = f"""
mutation R($code: String!) {{
  requestSupplement(dossier: {{code: $code}}, componentCodes: ["TP2"],
                    reason: "Thiếu giấy chứng sinh") {{ {OUTCOME} }}
}}"""


class TestStatusSubscription:
    def test_it_yields_the_current_completion_then_the_next_one(self, api: Api) -> None:
        code = receive_paper(api)["code"]
        with api.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]
        ) as session:
            session.send_json({"type": "connection_init"})
            assert receive(session)["type"] == "connection_ack"
            session.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"code": code}},
                }
            )
            first = receive(session)
            assert first == {
                "id": "1",
                "type": "next",
                "payload": {
                    "data": {
                        "dossierStatusChanged": {
                            "code": code,
                            "completion": "RECEIVED",
                            "label": "Đã tiếp nhận",
                        }
                    }
                },
            }
            changed = api.data(
                SUPPLEMENT, {"code": code}, token=api.tokens.specialist()
            )
            assert changed["requestSupplement"]["__typename"] == "DossierUpdated"
            second = receive(session)
            assert second["type"] == "next"
            status = second["payload"]["data"]["dossierStatusChanged"]
            assert status["completion"] == "WAITING_FOR_APPLICANT"
            session.send_json({"id": "1", "type": "complete"})

    def test_an_unknown_code_ends_at_once_and_the_connection_stays_usable(
        self, api: Api
    ) -> None:
        with api.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]
        ) as session:
            session.send_json({"type": "connection_init"})
            assert receive(session)["type"] == "connection_ack"
            session.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": SUBSCRIBE,
                        "variables": {"code": "000.00.00.H34-261127-9999"},
                    },
                }
            )
            ended = receive(session)
            assert ended["id"] == "1"
            assert ended["type"] in {"error", "next"}
            errors = (
                ended["payload"]
                if ended["type"] == "error"
                else ended["payload"]["errors"]
            )
            assert [e["extensions"]["code"] for e in errors] == ["DOSSIER_NOT_FOUND"]
            if ended["type"] == "next":
                assert receive(session) == {"id": "1", "type": "complete"}
            session.send_json({"type": "ping"})
            assert receive(session) == {"type": "pong"}


class TestOperations:
    def test_healthz_answers_200(self, api: Api) -> None:
        response = api.client.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    def test_readyz_reports_the_lag_of_every_read_model(self, api: Api) -> None:
        receive_paper(api)
        ready = api.client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ok"
        assert set(body["projectionLag"]) >= {
            "public_status",
            "worklist",
            "citizen",
            "timeline",
            "catalogue",
        }
        assert body["maxLag"] == 0
        assert body["logPosition"] == api.log_position()
        assert body["cache"]["backend"] == "memory"

    def test_metrics_expose_requests_and_projection_lag(self, api: Api) -> None:
        api.client.get("/healthz")
        text = api.client.get("/metrics").text
        assert re.search(
            r'motcua_http_requests_total\{method="GET",route="/healthz",status="200"\} 1\.0',
            text,
        )
        assert re.search(
            r'motcua_projection_lag_events\{read_model="worklist"\} 0\.0', text
        )

    def test_graphiql_is_served_on_get(self, api: Api) -> None:
        page = api.client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/healthz"),
            ("GET", "/readyz"),
            ("GET", "/metrics"),
            ("POST", "/graphql"),
            ("GET", "/nowhere"),
        ],
    )
    def test_every_response_carries_a_request_id(
        self, api: Api, method: str, path: str
    ) -> None:
        response = api.client.request(method, path, json={"query": "{ __typename }"})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])

    def test_a_valid_incoming_request_id_is_echoed_and_an_invalid_one_replaced(
        self, api: Api
    ) -> None:
        echoed = api.client.get("/healthz", headers={"X-Request-Id": "client-42.a_b"})
        assert echoed.headers["x-request-id"] == "client-42.a_b"
        replaced = api.client.get("/healthz", headers={"X-Request-Id": "bad id; drop"})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
        replayed = api.post(
            "{ __typename }", headers={"Idempotency-Key": "k", "X-Request-Id": "r-1"}
        )
        assert replayed.headers["x-request-id"] == "r-1"
