"""The citizens' evaluation form (TT 01/2018 Chương III, R-32) printed after
the receipt, the supplement request and the refusal slip.

Read back like the other slips: the text layer (pypdfium2) must name the
dossier and every index a citizen scores with its three descriptions, and
the form page's QR code (zxing-cpp on the rendered pixels) must lead to the
online form for this dossier.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pypdfium2 as pdfium
import pytest
import zxingcpp

from adapters.pki import Pki
from adapters.settings import persistence_env
from adapters.slips.facts import fold
from adapters.slips.forms import SlipKind
from adapters.slips.issue import DEFAULT_EVALUATION_URL
from adapters.slips.service import Slips
from application.onestop import OneStop
from application.signatures import Indication
from domain.citizen_evaluation import CITIZEN_INDICES, INDEX_TEXTS
from tests.factories import (
    APPLICANT,
    MONDAY,
    at,
    citizen,
    desk,
    document,
    in_progress,
    seed_catalogue,
    specialist,
    trace,
)

TITLE = "PHIẾU ĐÁNH GIÁ VIỆC GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.development_pki(tmp_path_factory.mktemp("evaluation") / "pki")


@pytest.fixture
def app() -> Iterator[OneStop]:
    application = OneStop(env=persistence_env("memory://"))
    seed_catalogue(application)
    yield application
    application.close()


def pages(pdf: bytes) -> list[str]:
    opened = pdfium.PdfDocument(pdf)
    try:
        return [
            " ".join(page.get_textpage().get_text_range().replace("\r", "").split())
            for page in opened
        ]
    finally:
        opened.close()


def qr_on(pdf: bytes, index: int) -> str:
    opened = pdfium.PdfDocument(pdf)
    try:
        image = opened[index].render(scale=3).to_pil()
    finally:
        opened.close()
    (found,) = zxingcpp.read_barcodes(image)
    return str(found.text)


def events(app: OneStop, dossier_id: UUID) -> list[object]:
    return list(app.events.get(dossier_id))


def refused(app: OneStop) -> UUID:
    dossier_id, _ = app.submit_dossier(
        trace=trace(citizen(), MONDAY),
        applicant=APPLICANT,
        procedure_code="1.001193",
        documents={code: document(code, app, citizen()) for code in ("TP1", "TP2")},
    )
    app.refuse_dossier(dossier_id, trace=trace(desk(), at(0, 9)), reason="Thiếu")
    return dossier_id


def supplemented(app: OneStop) -> UUID:
    dossier_id = in_progress(app)
    app.request_supplement(
        dossier_id,
        trace=trace(specialist(), at(1, 10)),
        items=("TP1",),
        reason="Tờ khai thiếu chữ ký",
    )
    return dossier_id


def assert_is_the_form(text: str, named: str) -> None:
    assert TITLE in text
    assert named in text
    for index in CITIZEN_INDICES:
        name, levels = INDEX_TEXTS[index]
        assert f"{name} (chỉ số {index})" in text, index
        for level in levels:
            assert level in text, level
    for label in ("Rất hài lòng", "Hài lòng", "Không hài lòng"):
        assert label in text
    assert "Đánh giá chung về việc giải quyết thủ tục hành chính" in text
    assert "2 điểm" in text
    assert "0 điểm" in text
    assert unicodedata.is_normalized("NFC", text)
    for other in (2, 5, 8, 9):  # the unit's own indices are not asked
        assert f"(chỉ số {other})" not in text


@pytest.mark.parametrize("kind", [SlipKind.RECEIPT, SlipKind.SUPPLEMENT])
def test_receipt_and_supplement_request_end_with_the_form(
    app: OneStop, pki: Pki, kind: SlipKind
) -> None:
    dossier_id = supplemented(app)
    code = app.get_dossier(dossier_id).code
    assert code is not None
    slip = Slips(pki, lambda c: str(app.get_agency(c).name)).issue(
        kind, events(app, dossier_id)
    )
    texts = pages(slip.pdf)
    assert TITLE not in texts[0]  # the slip itself comes first
    assert_is_the_form(texts[-1], f"Mã hồ sơ: {code}")
    assert (
        f"Kèm theo {'Giấy tiếp nhận' if kind is SlipKind.RECEIPT else 'Phiếu yêu cầu'}"
        in texts[-1]
    )
    link = qr_on(slip.pdf, len(texts) - 1)
    assert link == f"{DEFAULT_EVALUATION_URL}?ma={code}"
    assert link in texts[-1]
    # The slip's QR (page one) still names the slip, not the form.
    assert qr_on(slip.pdf, 0).startswith(f"MaHoSo: {code}\n")
    assert pki.validate(slip.pdf).indication is Indication.TOTAL_PASSED


def test_a_refused_submission_is_named_by_its_id(app: OneStop, pki: Pki) -> None:
    dossier_id = refused(app)
    slip = Slips(pki, lambda c: str(app.get_agency(c).name)).issue(
        SlipKind.REFUSAL, events(app, dossier_id)
    )
    texts = pages(slip.pdf)
    assert_is_the_form(
        texts[-1], f"Hồ sơ nộp trực tuyến số: {dossier_id} (chưa cấp mã hồ sơ)"
    )
    assert qr_on(slip.pdf, len(texts) - 1).endswith(f"?ma={dossier_id}")


@pytest.mark.parametrize("kind", [SlipKind.CONTROL_SHEET])
def test_other_slips_carry_no_form(app: OneStop, pki: Pki, kind: SlipKind) -> None:
    dossier_id = in_progress(app)
    slip = Slips(pki, lambda c: str(app.get_agency(c).name)).issue(
        kind, events(app, dossier_id)
    )
    assert all(TITLE not in text for text in pages(slip.pdf))


def test_the_portal_address_is_configured(app: OneStop, pki: Pki) -> None:
    dossier_id = in_progress(app)
    code = fold(events(app, dossier_id)).code
    portal = "https://dichvucong.example.gov.vn/danh-gia?nguon=mc"
    slip = Slips(pki, lambda c: c, portal).issue(
        SlipKind.RECEIPT, events(app, dossier_id)
    )
    link = qr_on(slip.pdf, len(pages(slip.pdf)) - 1)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == portal.split("?")[0]
    assert parse_qs(parts.query) == {"nguon": ["mc"], "ma": [str(code)]}
