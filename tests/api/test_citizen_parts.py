"""A citizen dossier's lists (steps, supplements, fees, results) are read only
when the query selects them — directly, through inline fragments or named
fragments — and then they are the same whichever way they were selected."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, receive_paper

PARTS = "steps { description agencyCode } fees { total } results { resultCode }"
SHAPES = {
    "direct": f"query Q($code: String!) {{ dossier(code: $code) {{ code {PARTS} }} }}",
    "inline": (
        "query Q($code: String!) { dossier(code: $code) { code "
        f"... on CitizenDossier {{ {PARTS} }} }} }}"
    ),
    "named": (
        "query Q($code: String!) { dossier(code: $code) { code ...P } } "
        f"fragment P on CitizenDossier {{ ... {{ {PARTS} }} }}"
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_parts_selected_any_way_are_read(api: Api, shape: str) -> None:
    code = receive_paper(api)["code"]
    token = api.tokens.citizen()
    direct = api.data(SHAPES["direct"], {"code": code}, token=token)["dossier"]
    assert direct["steps"], "a received dossier has at least its reception step"
    assert api.data(SHAPES[shape], {"code": code}, token=token)["dossier"] == direct
    listed = api.data(
        f"{{ myDossiers {{ code ... on CitizenDossier {{ {PARTS} }} }} }}", token=token
    )["myDossiers"]
    assert [d for d in listed if d["code"] == code] == [direct]


def test_fields_without_parts_still_answer(api: Api) -> None:
    code = receive_paper(api)["code"]
    found = api.data(
        "query Q($code: String!) { dossier(code: $code) { code status } }",
        {"code": code},
        token=api.tokens.citizen(),
    )["dossier"]
    assert found == {"code": code, "status": "RECEIVED"}
