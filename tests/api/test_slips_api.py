"""Slip downloads over HTTP: who may have them, what they are, clear refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pypdfium2 as pdfium

from adapters.pki import Pki
from tests.api.conftest import Api, receive_paper

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def text_of(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return " ".join(
            " ".join(page.get_textpage().get_text_range().split()) for page in document
        )
    finally:
        document.close()


def error_of(response: httpx.Response) -> tuple[str, str]:
    (error,) = response.json()["errors"]
    return error["extensions"]["code"], error["message"]


def test_the_desk_and_the_applicant_download_a_signed_receipt(api: Api) -> None:
    code = receive_paper(api)["code"]
    for token in (api.tokens.desk(), api.tokens.citizen()):
        response = api.client.get(
            f"/api/dossiers/{code}/slips/receipt",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert (
            f'filename="{code}-mau-01-receipt.pdf"'
            in (response.headers["content-disposition"])
        )
        assert response.headers["x-motcua-form"] == "01; 03/2025/TT-VPCP"
        text = text_of(response.content)
        assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
        assert f"Mã hồ sơ: {code}" in text
        check = Pki.development_pki(api.settings.data_dir / "pki").validate(
            response.content
        )
        assert check.passed
        assert [s.signer for s in check.signatures] == ["desk-1"]


def test_others_get_the_answer_for_an_unknown_dossier(api: Api) -> None:
    code = receive_paper(api)["code"]
    unknown = api.client.get(
        "/api/dossiers/000.00.00.H34-200101-9999/slips/receipt",
        headers={"Authorization": f"Bearer {api.tokens.desk()}"},
    )
    assert unknown.status_code == 404
    for token in (api.tokens.other_citizen(), api.tokens.outsider()):
        response = api.client.get(
            f"/api/dossiers/{code}/slips/receipt",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 404
        assert error_of(response)[0] == error_of(unknown)[0] == "DOSSIER_NOT_FOUND"
    anonymous = api.client.get(f"/api/dossiers/{code}/slips/receipt")
    assert anonymous.status_code == 401
    forged = api.client.get(
        f"/api/dossiers/{code}/slips/receipt",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert forged.status_code == 401


def test_a_slip_that_does_not_exist_is_a_clear_404(api: Api) -> None:
    code = receive_paper(api)["code"]
    desk = {"Authorization": f"Bearer {api.tokens.desk()}"}
    refusal = api.client.get(
        f"/api/dossiers/{code}/slips/refusal", headers={**desk, "Accept-Language": "en"}
    )
    assert refusal.status_code == 404
    assert error_of(refusal)[0] == "SLIP_NOT_AVAILABLE"
    assert error_of(refusal)[1] == "No refusal for this dossier: not yet"
    odd = api.client.get(f"/api/dossiers/{code}/slips/receipt%00x", headers=desk)
    assert odd.status_code == 404
    assert error_of(odd)[0] == "UNKNOWN_SLIP"
    bad_n = api.client.get(f"/api/dossiers/{code}/slips/supplement?n=0", headers=desk)
    assert bad_n.status_code == 422


def test_the_unit_register_lists_what_it_received(api: Api) -> None:
    codes = [receive_paper(api)["code"] for _ in range(2)]
    today = datetime.now(VIETNAM).date()
    path = (
        f"/api/registers/000.00.00.H34?from={today - timedelta(days=1)}"
        f"&to={today + timedelta(days=1)}"
    )
    response = api.client.get(
        path, headers={"Authorization": f"Bearer {api.tokens.desk()}"}
    )
    assert response.status_code == 200, response.text
    text = text_of(response.content)
    assert "SỔ THEO DÕI HỒ SƠ" in text
    for code in codes:
        assert code in text
    assert "Tổng số: 2 hồ sơ" in text
    check = Pki.development_pki(api.settings.data_dir / "pki").validate(
        response.content
    )
    assert check.passed
    assert len(check.signatures) == 2
    refused = {
        "citizen": (api.tokens.citizen(), path, 404),
        "outsider": (api.tokens.outsider(), path, 404),
        "reversed": (
            api.tokens.desk(),
            f"/api/registers/000.00.00.H34?from={today}&to={today - timedelta(days=1)}",
            400,
        ),
        "too long": (
            api.tokens.desk(),
            f"/api/registers/000.00.00.H34?from=2024-01-01&to={today}",
            400,
        ),
        "bad unit": (
            api.tokens.desk(),
            f"/api/registers/H34?from={today}&to={today}",
            400,
        ),
    }
    for name, (token, url, status) in refused.items():
        answer = api.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == status, name
