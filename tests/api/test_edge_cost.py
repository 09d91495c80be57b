"""Per-request cost: a query-cost limit before execution; bounded document caches."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketDisconnect

from api.graphql.cost import PAGES, operation_cost
from api.graphql.documents import BoundedCache, DocumentCaches
from api.graphql.schema import build_schema
from tests.api.conftest import Api, MakeApi, receive_paper

SCHEMA = build_schema()._schema

CITIZEN_FULL = """
{ myDossiers {
    code status statusLabel dueAt agencyName
    steps { at description agencyName department }
    supplements { requestedAt componentCodes reason receivedAt }
    fees { requestedAt total lines { code name amount } paidAt }
    results { resultCode documentId numberSymbol }
} }
"""
OFFICER_WORKLIST = """
query W($limit: Int!) {
  worklist(limit: $limit) { code status dueAt applicantName procedureName timeliness }
}
"""
OFFICER_DOSSIER = """
query O($code: String!) {
  officerDossier(code: $code) {
    code status timeline { at eventType actorId description }
  }
}
"""


def aliases(count: int, field: str) -> str:
    return "{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }"


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    return operation_cost(SCHEMA, parse(query), None, variables)


def refused_for_cost(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert isinstance(error, dict)
    assert error["extensions"]["code"] == "QUERY_TOO_EXPENSIVE", error
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"]
    assert "Query too expensive" in error["message"]
    return error


class TestCostModel:
    @settings(max_examples=30, deadline=None)
    @given(
        count=st.integers(min_value=1, max_value=15),
        field=st.sampled_from(
            [
                "myDossiers { code steps { at } }",
                "procedures(limit: 120) { code components { code } }",
                "worklist { code }",
                'dossierStatus(code: "x") { code }',
            ]
        ),
    )
    def test_aliases_multiply_the_cost(self, count: int, field: str) -> None:
        assert cost(aliases(count, field)) == count * cost(aliases(1, field))

    @settings(max_examples=40, deadline=None)
    @given(limit=st.integers(min_value=-(2**31), max_value=2**31 - 1))
    def test_a_list_costs_its_limit_clamped_like_the_resolver(self, limit: int) -> None:
        page = PAGES["Query.worklist"]
        literal = cost(f"{{ worklist(limit: {limit}) {{ code }} }}")
        variable = cost(OFFICER_WORKLIST, {"limit": limit})
        expected_rows = max(1, min(limit, page.maximum))
        assert literal == 11 + expected_rows * 1
        assert variable == 11 + expected_rows * 6

    def test_an_omitted_limit_costs_the_default_page(self) -> None:
        assert cost("{ worklist { code } }") == 11 + PAGES["Query.worklist"].default

    def test_a_variable_limit_that_is_not_a_number_costs_the_maximum(self) -> None:
        assert cost(OFFICER_WORKLIST, {"limit": "many"}) == 11 + 500 * 6

    def test_fragments_count_like_the_fields_they_hold(self) -> None:
        inline = "{ myDossiers { code steps { at } } }"
        spread = (
            "query { myDossiers { ...D } } "
            "fragment D on CitizenDossier { code steps { at } }"
        )
        assert cost(spread) == cost(inline)

    def test_building_a_citizen_dossier_costs_its_reads(self) -> None:
        # 50 dossiers x (1 field + 4 reads x 10) + the root read
        assert cost("{ myDossiers { code } }") == 11 + 50 * 41


class TestCostLimit:
    def test_many_aliases_of_a_citizen_list_are_refused_before_running(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls: list[Any] = []
        citizen = api.services.citizen
        original = citizen.dossiers_of

        def counted(*args: Any) -> Any:
            calls.append(args)
            return original(*args)

        monkeypatch.setattr(citizen, "dossiers_of", counted)
        body = api.gql(aliases(15, "myDossiers { code }"), token=api.tokens.citizen())
        refused_for_cost(body)
        assert calls == []  # nothing ran

    def test_aliases_of_the_full_citizen_view_are_refused(self, api: Api) -> None:
        inner = CITIZEN_FULL.strip()[1:-1]
        refused_for_cost(api.gql(aliases(3, inner.strip()), token=api.tokens.citizen()))

    def test_big_pages_of_procedures_under_aliases_are_refused(self, api: Api) -> None:
        field = "procedures(limit: 200) { code name components { code name } }"
        refused_for_cost(api.gql(aliases(15, field)))

    def test_an_officer_worklist_alias_bomb_with_variables_is_refused(
        self, api: Api
    ) -> None:
        query = (
            "query W($n: Int!) { "
            + " ".join(
                f"a{i}: worklist(limit: $n) {{ code status timeline {{ at }} }}"
                for i in range(10)
            )
            + " }"
        )
        refused_for_cost(api.gql(query, {"n": 500}, token=api.tokens.desk()))

    def test_english_and_vietnamese_in_one_message(self, api: Api) -> None:
        error = refused_for_cost(
            api.gql(aliases(15, "myDossiers { code }"), token=api.tokens.citizen())
        )
        assert error["message"].startswith("Truy vấn quá tốn kém")

    def test_the_normal_citizen_query_passes(self, api: Api) -> None:
        receive_paper(api)
        data = api.data(CITIZEN_FULL, token=api.tokens.citizen())
        assert len(data["myDossiers"]) == 1
        assert data["myDossiers"][0]["steps"]

    def test_normal_officer_queries_pass(self, api: Api) -> None:
        code = receive_paper(api)["code"]
        token = api.tokens.desk()
        for limit in (1, 100, 500):
            rows = api.data(OFFICER_WORKLIST, {"limit": limit}, token=token)
            assert [r["code"] for r in rows["worklist"]] == [code]
        dossier = api.data(OFFICER_DOSSIER, {"code": code}, token=token)
        assert dossier["officerDossier"]["timeline"]

    def test_the_limit_is_configurable(self, make_api: MakeApi) -> None:
        strict = make_api(options={"MAX_QUERY_COST": "100"})
        refused_for_cost(
            strict.gql("{ worklist { code } }", token=strict.tokens.desk())
        )
        assert strict.data(
            "{ worklist(limit: 5) { code } }", token=strict.tokens.desk()
        )

    def test_my_dossiers_page_is_bounded(self, api: Api) -> None:
        receive_paper(api)
        for limit in (-5, 0, 1, 10_000):
            data = api.data(
                "query M($n: Int!) { myDossiers(limit: $n) { code } }",
                {"n": limit},
                token=api.tokens.citizen(),
            )
            assert len(data["myDossiers"]) == 1


class TestBoundedCache:
    def test_bounded_by_entries_least_recently_used_first(self) -> None:
        cache: BoundedCache[int] = BoundedCache(max_entries=3, max_bytes=10**9)
        for key in "abc":
            cache.put(key, ord(key), 1)
        assert cache.get("a") == ord("a")  # a is now the most recent
        cache.put("d", 4, 1)
        assert cache.get("b") is None
        assert [cache.get(k) for k in "acd"] == [ord("a"), ord("c"), 4]

    @settings(max_examples=50, deadline=None)
    @given(sizes=st.lists(st.integers(min_value=0, max_value=5_000), max_size=60))
    def test_bounded_by_bytes(self, sizes: list[int]) -> None:
        cache: BoundedCache[int] = BoundedCache(max_entries=1000, max_bytes=10_000)
        for index, size in enumerate(sizes):
            cache.put(index, index, size)
            assert cache.bytes <= 10_000
        assert cache.bytes == sum(
            size for index, size in enumerate(sizes) if cache.get(index) is not None
        )

    def test_an_entry_bigger_than_the_budget_is_not_kept(self) -> None:
        cache: BoundedCache[str] = BoundedCache(max_entries=10, max_bytes=100)
        cache.put("small", "s", 10)
        cache.put("huge", "h", 101)
        assert cache.get("huge") is None
        assert cache.get("small") == "s"


class TestDocumentCaches:
    def test_distinct_large_documents_stay_within_the_byte_budget(
        self, make_api: MakeApi
    ) -> None:
        api = make_api(options={"DOCUMENT_CACHE_BYTES": str(2 * 1024 * 1024)})
        caches: DocumentCaches = api.app.state.document_caches
        filler = "x" * 200_000
        for i in range(40):
            query = f"# {i} {filler}\n{{ __typename }}"
            assert api.data(query) == {"__typename": "Query"}
            assert caches.parsed.bytes <= 1024 * 1024
            assert caches.validated.bytes <= 1024 * 1024
        assert 0 < len(caches.parsed) < 40

    def test_a_repeated_document_is_parsed_once(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import graphql

        from api.graphql import documents

        parsed: list[str] = []

        def counted(query: str, **options: Any) -> Any:
            parsed.append(query)
            return graphql.parse(query, **options)

        monkeypatch.setattr(documents, "parse", counted)
        for _ in range(3):
            api.data("{ __typename }")
        assert parsed == ["{ __typename }"]

    def test_distinct_documents_are_bounded_by_count(self, make_api: MakeApi) -> None:
        api = make_api(options={"DOCUMENT_CACHE_ENTRIES": "5"})
        caches: DocumentCaches = api.app.state.document_caches
        for i in range(12):
            api.data(f"{{ a{i}: __typename }}")
        assert len(caches.parsed) == 5
        assert len(caches.validated) == 5

    def test_a_syntax_error_in_a_subscription_is_answered(self, api: Api) -> None:
        """graphql-transport-ws closes with 4400 and the reason, no crash."""
        with api.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]
        ) as session:
            session.send_json({"type": "connection_init"})
            assert session.receive_json()["type"] == "connection_ack"
            session.send_json(
                {"id": "1", "type": "subscribe", "payload": {"query": "subscription {"}}
            )
            with pytest.raises(WebSocketDisconnect) as closed:
                session.receive_json()
        assert closed.value.code == 4400
        assert "Syntax Error" in closed.value.reason
