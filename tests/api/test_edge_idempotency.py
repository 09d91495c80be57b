"""Idempotency keys: per subject (not per token), the whole key, only
authenticated mutations, bounded responses and a bounded in-process store."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cache.memory import MemoryIdempotencyStore
from adapters.cache.ports import IdempotencyStatus
from api.auth import AccessLevel
from domain.values import Role
from tests.api.conftest import RECEIVE, STATUS, Api, MakeApi
from tests.factories import APPLICANT, BIRTH, PROVINCE

VARIABLES = {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name}


def receive(api: Api, token: str, key: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.post(RECEIVE, VARIABLES, headers=headers)


def desk(api: Api, subject: str = "desk-1") -> str:
    return api.tokens.officer(Role.DESK, PROVINCE, subject)


def kept_keys(api: Api) -> int:
    store = api.services.caches.idempotency
    assert isinstance(store, MemoryIdempotencyStore)
    return len(store._lru.items)


class TestScopedToTheSubject:
    def test_a_retry_after_a_token_refresh_replays(self, stack_api: Api) -> None:
        api = stack_api
        first_token, refreshed_token = desk(api), desk(api)
        assert first_token != refreshed_token
        first = receive(api, first_token, "reception-7")
        after_first = api.log_position()
        retry = receive(api, refreshed_token, "reception-7")
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.content == first.content
        assert api.log_position() == after_first  # no second event
        received = first.json()["data"]["receiveDossier"]
        assert received["__typename"] == "DossierReceived"
        worklist = api.data(
            "query W($after: Int) { worklist(after: $after) { code } }",
            {"after": received["logPosition"]},
            token=desk(api),
        )["worklist"]
        assert worklist == [{"code": received["code"]}]

    def test_two_subjects_with_the_same_key_do_not_collide(
        self, stack_api: Api
    ) -> None:
        api = stack_api
        one = receive(api, desk(api, "desk-1"), "shared-key")
        other = receive(api, desk(api, "desk-2"), "shared-key")
        assert "idempotent-replayed" not in other.headers
        codes = {r.json()["data"]["receiveDossier"]["code"] for r in (one, other)}
        assert len(codes) == 2

    def test_a_citizen_and_an_officer_with_the_same_subject_do_not_collide(
        self, api: Api
    ) -> None:
        officer = api.tokens.issuer.issue(
            AccessLevel.OFFICER,
            subject=APPLICANT.id,
            agency=PROVINCE,
            roles=[Role.DESK],
        )
        receive(api, officer, "k")
        citizen = receive(api, api.tokens.citizen(APPLICANT.id), "k")
        assert "idempotent-replayed" not in citizen.headers


class TestTheWholeKey:
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(prefix=st.text(alphabet="abcdef0123456789-", min_size=128, max_size=600))
    def test_keys_differing_only_at_the_end_are_distinct(
        self, make_api: MakeApi, prefix: str
    ) -> None:
        api = make_api()
        token = desk(api)
        first = receive(api, token, prefix + "-1")
        second = receive(api, token, prefix + "-2")
        assert "idempotent-replayed" not in second.headers
        assert first.json() != second.json()
        again = receive(api, token, prefix + "-2")
        assert again.headers["idempotent-replayed"] == "true"

    def test_a_very_long_key_is_kept_whole(self, api: Api) -> None:
        key = "x" * 4000
        receive(api, desk(api), key)
        assert receive(api, desk(api), key).headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in receive(api, desk(api), key + "y").headers


class TestOnlyAuthenticatedMutations:
    def test_anonymous_requests_are_not_kept(self, api: Api) -> None:
        headers = {"Idempotency-Key": "anon-1"}
        for _ in range(2):
            query = api.post(
                STATUS, {"code": "000.00.00.H34-261127-0001"}, headers=headers
            )
            assert "idempotent-replayed" not in query.headers
            mutation = api.post(RECEIVE, VARIABLES, headers=headers)
            assert "idempotent-replayed" not in mutation.headers
        assert kept_keys(api) == 0

    def test_authenticated_queries_are_not_kept(self, api: Api) -> None:
        headers = {
            "Idempotency-Key": "query-1",
            "Authorization": f"Bearer {api.tokens.citizen()}",
        }
        for _ in range(2):
            answer = api.post("{ myDossiers { code } }", headers=headers)
            assert answer.status_code == 200
            assert "idempotent-replayed" not in answer.headers
        assert kept_keys(api) == 0

    def test_a_bad_token_is_refused_and_not_kept(self, api: Api) -> None:
        before = api.log_position()
        for _ in range(2):
            answer = receive(api, "not.a.token", "bad-1")
            assert answer.status_code == 401
            assert answer.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
        assert kept_keys(api) == 0
        assert api.log_position() == before

    def test_a_malformed_body_is_refused_and_not_kept(self, api: Api) -> None:
        headers = {
            "Idempotency-Key": "malformed-1",
            "Authorization": f"Bearer {desk(api)}",
            "content-type": "application/json",
        }
        answer = api.client.post("/graphql", content=b'"x"', headers=headers)
        assert answer.status_code == 400
        assert kept_keys(api) == 0


class TestBoundedResponses:
    def test_a_response_over_the_bound_is_replaced_by_a_note(
        self, make_api: MakeApi
    ) -> None:
        api = make_api(options={"IDEMPOTENCY_MAX_RESPONSE_BYTES": "40"})
        first = receive(api, desk(api), "big")
        assert first.json()["data"]["receiveDossier"]["__typename"] == "DossierReceived"
        after_first = api.log_position()
        retry = receive(api, desk(api), "big")
        assert retry.headers["idempotent-replayed"] == "true"
        (error,) = retry.json()["errors"]
        assert error["extensions"]["code"] == "IDEMPOTENT_RESPONSE_NOT_KEPT"
        assert api.log_position() == after_first

    def test_the_in_process_store_is_bounded_by_bytes(self) -> None:
        store = MemoryIdempotencyStore(max_entries=1_000_000, max_bytes=200_000)

        async def flood() -> None:
            for i in range(5_000):
                key = f"{i:064d}"
                state = await store.begin(key, "f" * 64, lock_ttl=30)
                assert state.status is IdempotencyStatus.STARTED
                await store.complete(key, "f" * 64, b"r" * 300, ttl=60)
                assert store._lru.bytes <= 200_000

        asyncio.run(flood())
        assert 0 < len(store._lru.items) < 5_000
        newest = asyncio.run(store.begin(f"{4999:064d}", "f" * 64, lock_ttl=30))
        assert newest.status is IdempotencyStatus.REPLAY

    @pytest.mark.redis
    def test_redis_keeps_the_hashed_key_only(
        self, make_api: MakeApi, redis_url: str
    ) -> None:
        import redis

        api = make_api(redis_url=redis_url)
        key = "secret-looking-key-" + "z" * 300
        receive(api, desk(api), key)
        client = redis.Redis.from_url(redis_url)
        try:
            stored = [k.decode() for k in client.scan_iter("motcua:idem:*")]
        finally:
            client.close()
        assert len(stored) == 1
        assert key not in stored[0]
        assert len(stored[0].removeprefix("motcua:idem:")) == 64
