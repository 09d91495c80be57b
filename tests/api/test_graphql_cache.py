"""The public-lookup cache: never stale after a status change; Redis down degrades."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import (
    OFFICER_DOSSIER,
    OUTCOME,
    RECEIVE,
    STATUS,
    Api,
    MakeApi,
    eventually,
    receive_paper,
)
from tests.factories import APPLICANT, BIRTH
from tests.services import TemporaryRedis

REQUEST_SUPPLEMENT = f"""
mutation R($code: String!) {{
  requestSupplement(dossier: {{code: $code}}, componentCodes: ["TP2"],
                    reason: "Giấy chứng sinh bị mờ") {{ {OUTCOME} }}
}}"""


def metric(api: Api, name: str) -> float:
    """Sum of every sample of ``name`` (all labels) in ``/metrics``."""
    text = api.client.get("/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    )


def completion(api: Api, code: str) -> str:
    return str(api.data(STATUS, {"code": code})["dossierStatus"]["completion"])


def request_supplement(api: Api, code: str) -> None:
    """A status change, read back through an officer query (``after``)."""
    result = api.data(REQUEST_SUPPLEMENT, {"code": code}, token=api.tokens.specialist())
    position = result["requestSupplement"]["logPosition"]
    seen = api.data(
        OFFICER_DOSSIER, {"code": code, "after": position}, token=api.tokens.desk()
    )
    assert seen["officerDossier"]["status"] == "AWAITING_SUPPLEMENT"


class TestCacheFreshness:
    def test_a_cached_lookup_shows_the_new_completion_once_it_is_projected(
        self, stack_api: Api
    ) -> None:
        api = stack_api
        code = receive_paper(api)["code"]
        # The reception left a short-lived tombstone; start from a fillable cache.
        portal = api.client.portal
        assert portal is not None
        portal.call(api.services.caches.lookup_cache.clear)
        hits = metric(api, "motcua_cache_hits_total")
        assert completion(api, code) == "RECEIVED"  # miss, fills the cache
        assert completion(api, code) == "RECEIVED"
        assert metric(api, "motcua_cache_hits_total") == hits + 1

        request_supplement(api, code)
        eventually(lambda: completion(api, code), "WAITING_FOR_APPLICANT")
        for _ in range(5):  # re-filling never brings the old value back
            assert completion(api, code) == "WAITING_FOR_APPLICANT"

    def test_unknown_and_invalid_codes_are_answered_null(self, api: Api) -> None:
        for code in ("000.00.00.H34-261127-9999", "nonsense", "", "x" * 5000):
            assert api.data(STATUS, {"code": code}) == {"dossierStatus": None}


@pytest.fixture
def redis() -> TemporaryRedis:
    """A Redis of this test's own, so that the test may stop it."""
    return TemporaryRedis()


class TestRedisDown:
    @pytest.mark.redis
    def test_lookups_keep_working_from_the_database_while_redis_is_down(
        self, make_api: MakeApi, redis: TemporaryRedis
    ) -> None:
        with redis:
            api = make_api(redis_url=redis.url)
            code = receive_paper(api)["code"]
            assert completion(api, code) == "RECEIVED"
            ready = api.client.get("/readyz").json()
            assert (ready["status"], ready["cache"]["backend"]) == ("ok", "redis")
            assert ready["cache"]["status"] == "up"
            redis.stop()

            assert completion(api, code) == "RECEIVED"
            request_supplement(api, code)
            eventually(lambda: completion(api, code), "WAITING_FOR_APPLICANT")

            ready = api.client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["status"] == "degraded"
            assert ready.json()["cache"]["status"] == "degraded"
            assert metric(api, "motcua_cache_errors_total") > 0
            assert metric(api, "motcua_redis_up") == 0

    @pytest.mark.redis
    def test_mutations_with_idempotency_keys_keep_working_while_redis_is_down(
        self, make_api: MakeApi, redis: TemporaryRedis
    ) -> None:
        with redis:
            api = make_api(redis_url=redis.url)
            redis.stop()
            variables = {
                "procedure": BIRTH,
                "applicantId": APPLICANT.id,
                "name": APPLICANT.name,
            }
            headers = {
                "Idempotency-Key": "during-outage",
                "Authorization": f"Bearer {api.tokens.desk()}",
            }
            first = api.post(RECEIVE, variables, headers=headers)
            second = api.post(RECEIVE, variables, headers=headers)
            assert first.status_code == 200
            assert (
                first.json()["data"]["receiveDossier"]["__typename"]
                == "DossierReceived"
            )
            assert second.headers.get("idempotent-replayed") == "true"
            assert second.content == first.content
