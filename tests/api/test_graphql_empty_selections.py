"""An empty selection set (which graphql-core's parser accepts) is refused
with a validation error on both ways in, not answered with a 500."""

from __future__ import annotations

import pytest

from api.graphql.empty_selections import MESSAGE
from tests.api.conftest import MakeApi

DOCUMENTS = (
    '{ dossierStatus(code: "000.00.00.H34-260302-0001") { } }',
    "query S($code: String!) { dossierStatus(code: $code) { code } a: dossierStatus(code: $code) { } }",
    "query { }",
    "fragment F on PublicDossierStatus { } query S($code: String!) "
    "{ dossierStatus(code: $code) { ...F } }",
    "mutation { }",
)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_an_empty_selection_set_is_refused_alike_on_both_paths(
    make_api: MakeApi, document: str
) -> None:
    fast = make_api()
    reference = make_api(options={"GRAPHQL_FAST_PATH": "n"})
    body = {"query": document, "variables": {"code": "000.00.00.H34-260302-0001"}}
    answers = [
        api.client.post("/graphql", json=body, headers={"accept-language": "en"})
        for api in (fast, reference)
    ]
    one, other = answers
    assert one.status_code == other.status_code
    assert one.status_code < 500, one.text
    assert one.content == other.content
    errors = one.json()["errors"]
    assert [error["message"] for error in errors] == [MESSAGE]
    assert errors[0]["locations"]
    assert one.json().get("data") is None
