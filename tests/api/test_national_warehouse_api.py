"""Reuse from the national warehouse through GraphQL over HTTP, wired by settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.pki import Pki
from application.signatures import SignerRef
from tests.api.conftest import MakeApi, receive_paper
from tests.application.test_national_warehouse import (
    RESULT,
    signed_birth_certificate,
)
from tests.factories import APPLICANT, JUSTICE
from tests.national_warehouse import WarehouseServer
from tests.scans import pdf_bytes


@pytest.fixture
def server() -> Iterator[WarehouseServer]:
    with WarehouseServer() as running:
        yield running


REUSE_NATIONAL = """
mutation R($code: String!, $result: String!) {
  reuseFromNationalWarehouse(dossier: {code: $code}, componentCode: "TP2",
                             resultCode: $result) {
    __typename ... on DossierUpdated { event }
    ... on InvalidInput { errorCode message }
  }
}"""


REUSE_NATIONAL_SYMBOL = """
mutation R($code: String!, $result: String!, $symbol: String!) {
  reuseFromNationalWarehouse(dossier: {code: $code}, componentCode: "TP2",
                             resultCode: $result, numberSymbol: $symbol) {
    __typename ... on DossierUpdated { event }
    ... on InvalidInput { errorCode message }
  }
}"""


def test_over_graphql_with_the_setting(
    make_api: MakeApi, server: WarehouseServer
) -> None:
    """``MOTCUA_NATIONAL_WAREHOUSE_URL`` wires the HTTP adapter; failures are
    typed ``InvalidInput`` answers in the caller's language."""
    api = make_api(
        options={
            "NATIONAL_WAREHOUSE_URL": server.url,
            "NATIONAL_WAREHOUSE_TIMEOUT": "2",
        }
    )
    # signed under another root: this province does not trust it
    server.warehouse.add(APPLICANT.id, RESULT, "1/GKS", signed_birth_certificate())
    own_root = Pki.development_pki(api.settings.data_dir / "pki")
    trusted = own_root.sign(pdf_bytes("Giấy khai sinh"), SignerRef.agency(JUSTICE))
    server.warehouse.add(APPLICANT.id, RESULT, "2/GKS", trusted)
    code = receive_paper(api)["code"]
    untrusted = api.data(
        REUSE_NATIONAL_SYMBOL,
        {"code": code, "result": RESULT, "symbol": "1/GKS"},
        token=api.tokens.desk(),
    )["reuseFromNationalWarehouse"]
    assert untrusted["errorCode"] == "SIGNATURE_INVALID"
    missing = api.data(
        REUSE_NATIONAL, {"code": code, "result": "KQ.G15.404"}, token=api.tokens.desk()
    )["reuseFromNationalWarehouse"]
    assert missing["errorCode"] == "NATIONAL_DOCUMENT_NOT_FOUND"
    assert "Kho dữ liệu quốc gia" in missing["message"]
    server.warehouse.mode = "500"
    english = api.data(
        REUSE_NATIONAL,
        {"code": code, "result": RESULT},
        token=api.tokens.desk(),
        language="en",
    )["reuseFromNationalWarehouse"]
    assert english["errorCode"] == "NATIONAL_WAREHOUSE_UNAVAILABLE"
    assert "try again later" in english["message"]
    server.warehouse.mode = None
    done = api.data(
        REUSE_NATIONAL_SYMBOL,
        {"code": code, "result": RESULT, "symbol": "2/GKS"},
        token=api.tokens.desk(),
    )["reuseFromNationalWarehouse"]
    assert done == {"__typename": "DossierUpdated", "event": "ComponentReused"}
