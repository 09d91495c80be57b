"""Issued slips are kept: a later download returns the bytes handed out.

The first download of a receipt, supplement request, refusal, apology or stop
notice renders, signs and keeps it (blob store + ``IssuedSlip`` event with
hash, kind, signer); every later one, by anyone allowed, returns those exact
bytes even after the dossier moved on. The control sheet grows and is issued
anew. Nothing is kept for a slip whose act did not happen.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

import httpx

from adapters.pki import Pki
from adapters.slips.forms import SlipKind
from domain.files import StoredFile
from domain.issued_slip import IssuedSlip, slip_id
from tests.api.conftest import Api, receive_paper
from tests.api.test_graphql_flow import REQUEST_SUPPLEMENT, command
from tests.api.test_graphql_review_rules import awaiting_supplement
from tests.api.test_graphql_values import in_progress
from tests.factories import desk, trace


def get(api: Api, code: str, kind: str, token: str, query: str = "") -> httpx.Response:
    response: httpx.Response = api.client.get(
        f"/api/dossiers/{code}/slips/{kind}{query}",
        headers={"Authorization": f"Bearer {token}"},
    )
    return response


def kept(api: Api, code: str, kind: str, number: int = 0) -> IssuedSlip | None:
    onestop = api.services.onestop
    return onestop.issued_slip(onestop.dossier_id_for(code), kind, number)


def test_a_receipt_is_kept_as_handed_out(api: Api) -> None:
    code = receive_paper(api)["code"]
    assert kept(api, code, "receipt") is None
    first = get(api, code, "receipt", api.tokens.citizen())
    assert first.status_code == 200, first.text
    slip = kept(api, code, "receipt")
    assert slip is not None
    digest = hashlib.sha256(first.content).hexdigest()
    assert slip.file.sha256 == digest == first.headers["x-motcua-sha256"]
    assert slip.file.size == len(first.content)
    assert slip.file.pages >= 1
    assert (slip.kind, slip.number, slip.signer) == ("receipt", 0, "desk-1")
    assert slip.dossier_code == code
    assert first.headers["x-motcua-slip-id"] == str(slip.id)
    assert api.services.onestop.files.read(digest) == first.content
    # handed to the citizen: the event says so
    assert slip.issued_at is not None
    check = Pki.development_pki(api.settings.data_dir / "pki").validate(first.content)
    assert check.passed
    for token in (api.tokens.desk(), api.tokens.citizen()):
        again = get(api, code, "receipt", token)
        assert again.status_code == 200
        assert again.content == first.content


def test_the_receipt_does_not_change_when_the_dossier_moves_on(api: Api) -> None:
    code = in_progress(api)
    sheet = get(api, code, "control-sheet", api.tokens.desk())
    receipt = get(api, code, "receipt", api.tokens.desk())
    command(api, REQUEST_SUPPLEMENT, api.tokens.specialist(), code=code)
    assert get(api, code, "receipt", api.tokens.citizen()).content == receipt.content
    later_sheet = get(api, code, "control-sheet", api.tokens.desk())
    assert later_sheet.status_code == 200
    assert later_sheet.content != sheet.content  # issued anew, not kept
    assert kept(api, code, "control-sheet") is None


def test_each_supplement_request_is_kept_on_its_own(api: Api) -> None:
    code = awaiting_supplement(api)
    latest = get(api, code, "supplement", api.tokens.citizen())
    assert latest.status_code == 200, latest.text
    first = kept(api, code, "supplement", 1)
    assert first is not None
    assert first.file.sha256 == hashlib.sha256(latest.content).hexdigest()
    assert get(api, code, "supplement", api.tokens.desk(), "?n=1").content == (
        latest.content
    )
    assert kept(api, code, "supplement", 0) is None


def test_a_slip_whose_act_did_not_happen_keeps_nothing(api: Api) -> None:
    code = receive_paper(api)["code"]
    onestop = api.services.onestop
    before = onestop.recorder.max_notification_id()
    for kind in ("refusal", "apology", "stop"):
        response = get(api, code, kind, api.tokens.desk())
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == (
            "SLIP_NOT_AVAILABLE"
        )
        assert kept(api, code, kind) is None
    assert get(api, code, "supplement", api.tokens.desk(), "?n=2").status_code == 404
    assert kept(api, code, "supplement", 2) is None
    assert onestop.recorder.max_notification_id() == before


def test_a_kept_slip_whose_bytes_changed_is_never_served(api: Api) -> None:
    code = receive_paper(api)["code"]
    handed = get(api, code, "receipt", api.tokens.desk())
    digest = handed.headers["x-motcua-sha256"]
    blob = api.services.blobs.root / digest[:2] / digest[2:4] / f"{digest}.pdf"
    blob.write_bytes(handed.content.replace(b"%%EOF", b"%%EOX"))
    refused = get(api, code, "receipt", api.tokens.citizen())
    assert refused.status_code == 500
    assert refused.json()["errors"][0]["extensions"]["code"] == "FILE_INTEGRITY"


def test_a_concurrent_second_issue_returns_the_first(api: Api) -> None:
    """Two first downloads at once: the first save stands (deterministic id),
    the other reads it back and hands out the same bytes."""
    code = receive_paper(api)["code"]
    onestop = api.services.onestop
    dossier_id = onestop.dossier_id_for(code)
    facts = {
        "dossier_id": dossier_id,
        "dossier_code": code,
        "kind": SlipKind.RECEIPT.value,
        "number": 0,
        "form_number": "01",
        "form_act": "Thông tư 03/2025/TT-VPCP",
        "signer": "desk-1",
        "agency_code": desk().agency_code,
    }
    slips = []
    for text in (b"%PDF-1.4 one", b"%PDF-1.4 two"):
        digest = hashlib.sha256(text).hexdigest()
        slips.append(
            onestop.keep_slip(
                trace(desk()),
                text,
                StoredFile(digest, len(text), 1),
                act_at=trace(desk()).at,
                **facts,
            )
        )
    assert slips[0].id == slips[1].id == slip_id(dossier_id, "receipt", 0)
    assert slips[1].file.sha256 == hashlib.sha256(b"%PDF-1.4 one").hexdigest()
    assert isinstance(onestop.repository.get(UUID(str(slips[0].id))), IssuedSlip)
