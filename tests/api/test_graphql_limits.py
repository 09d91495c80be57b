"""Rate limits on anonymous lookups; idempotency keys on mutations."""

from __future__ import annotations

import pytest

from tests.api.conftest import (
    RECEIVE,
    STATUS,
    SUBSCRIBE,
    Api,
    MakeApi,
    receive,
    receive_paper,
)
from tests.factories import APPLICANT, BIRTH

LIMITED = {"LOOKUP_RATE_LIMIT": "5", "LOOKUP_RATE_WINDOW": "60"}


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limited(request: pytest.FixtureRequest, make_api: MakeApi) -> Api:
    """Five anonymous lookups a minute, counted in process or in Redis."""
    redis_url = (
        request.getfixturevalue("redis_url") if request.param == "redis" else None
    )
    return make_api(redis_url=redis_url, options=LIMITED)


class TestLookupRateLimit:
    def test_the_sixth_anonymous_lookup_in_the_window_is_rate_limited(
        self, limited: Api
    ) -> None:
        code = receive_paper(limited)["code"]
        for _ in range(5):
            assert limited.data(STATUS, {"code": code})["dossierStatus"]["code"] == code
        body = limited.gql(STATUS, {"code": code})
        (error,) = body["errors"]
        assert body["data"] == {"dossierStatus": None}
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfter"] >= 1
        assert error["message"] == "Tra cứu quá nhiều, vui lòng thử lại sau"
        english = limited.gql(STATUS, {"code": code}, language="en")
        assert english["errors"][0]["message"] == "Too many lookups, try again later"

    def test_unknown_codes_count_against_the_limit_too(self, limited: Api) -> None:
        for _ in range(5):
            assert limited.data(STATUS, {"code": "000.00.00.H34-261127-9999"}) == {
                "dossierStatus": None
            }
        refused = limited.gql(STATUS, {"code": "000.00.00.H34-261127-9998"})
        assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

    def test_a_subscription_is_a_lookup_too(self, limited: Api) -> None:
        code = receive_paper(limited)["code"]
        for _ in range(5):
            limited.data(STATUS, {"code": code})
        with limited.client.websocket_connect(
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
            refused = receive(session)
        assert refused["type"] == "next", refused
        (error,) = refused["payload"]["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"

    def test_authenticated_lookups_are_not_limited(self, limited: Api) -> None:
        code = receive_paper(limited)["code"]
        for _ in range(6):
            limited.gql(STATUS, {"code": code})
        for token in (limited.tokens.citizen(), limited.tokens.desk()):
            for _ in range(8):
                found = limited.data(STATUS, {"code": code}, token=token)
                assert found["dossierStatus"]["completion"] == "RECEIVED"


class TestIdempotencyKeys:
    def test_the_same_mutation_with_the_same_key_runs_once(
        self, stack_api: Api
    ) -> None:
        api = stack_api
        variables = {
            "procedure": BIRTH,
            "applicantId": APPLICANT.id,
            "name": APPLICANT.name,
        }
        headers = {
            "Idempotency-Key": "reception-42",
            "Authorization": f"Bearer {api.tokens.desk()}",
        }
        first = api.post(RECEIVE, variables, headers=headers)
        second = api.post(RECEIVE, variables, headers=headers)
        assert first.status_code == second.status_code == 200
        assert "idempotent-replayed" not in first.headers
        assert second.headers["idempotent-replayed"] == "true"
        assert second.content == first.content
        received = first.json()["data"]["receiveDossier"]
        assert received["__typename"] == "DossierReceived"
        worklist = api.data(
            "query W($after: Int) { worklist(after: $after) { code } }",
            {"after": received["logPosition"]},
            token=api.tokens.desk(),
        )["worklist"]
        assert worklist == [{"code": received["code"]}]

    def test_the_same_key_with_another_body_is_refused(self, api: Api) -> None:
        headers = {
            "Idempotency-Key": "k-1",
            "Authorization": f"Bearer {api.tokens.desk()}",
        }
        variables = {
            "procedure": BIRTH,
            "applicantId": APPLICANT.id,
            "name": APPLICANT.name,
        }
        assert api.post(RECEIVE, variables, headers=headers).status_code == 200
        before = api.log_position()
        reused = api.post(RECEIVE, {**variables, "name": "Người khác"}, headers=headers)
        assert reused.status_code == 422
        (error,) = reused.json()["errors"]
        assert error["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
        assert api.log_position() == before

    def test_another_caller_with_the_same_key_is_not_replayed_their_answer(
        self, api: Api
    ) -> None:
        variables = {
            "procedure": BIRTH,
            "applicantId": APPLICANT.id,
            "name": APPLICANT.name,
        }
        desk = {
            "Idempotency-Key": "k-2",
            "Authorization": f"Bearer {api.tokens.desk()}",
        }
        other = {
            "Idempotency-Key": "k-2",
            "Authorization": f"Bearer {api.tokens.specialist()}",
        }
        api.post(RECEIVE, variables, headers=desk)
        answer = api.post(RECEIVE, variables, headers=other)
        assert "idempotent-replayed" not in answer.headers
        assert answer.json()["data"]["receiveDossier"]["__typename"] == "NotAllowed"
