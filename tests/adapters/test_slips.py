"""Slips rendered from real dossier events: text, QR code, form set, signatures.

Each PDF is read back the way a person or a scanner would: its text layer
(pypdfium2) must hold the Vietnamese text exactly, the page rendered to pixels
must carry a decodable QR code in its top-left corner (zxing-cpp), and its
signatures must validate against the development root.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pypdfium2 as pdfium
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.pki import Pki
from adapters.settings import persistence_env
from adapters.slips.facts import Act, DossierFacts, fold
from adapters.slips.forms import (
    TT_01_2018,
    TT_03_2025,
    SlipKind,
    SlipNotAvailableError,
    form_set_on,
)
from adapters.slips.issue import Issue
from adapters.slips.render import _text, qr_payload, render, render_register
from adapters.slips.service import Slips
from application.onestop import OneStop
from application.signatures import Indication
from domain.dossier_values import Holder
from tests.factories import (
    APPLICANT,
    JUSTICE,
    MONDAY,
    VN,
    at,
    citizen,
    desk,
    document,
    in_progress,
    leader,
    receive,
    seed_catalogue,
    specialist,
    trace,
)

LONG_REASON = (
    "Hồ sơ đề nghị cấp lại giấy khai sinh của ông Nguyễn Văn An chưa có bản sao "
    "giấy tờ chứng minh quan hệ cha, mẹ, con theo quy định tại Điều 16 Luật Hộ tịch; "
) * 12


def _facts() -> DossierFacts:
    application = OneStop(env=persistence_env("memory://"))
    try:
        seed_catalogue(application)
        return fold(list(application.events.get(in_progress(application))))
    finally:
        application.close()


FACTS = _facts()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.development_pki(tmp_path_factory.mktemp("slips") / "pki")


@pytest.fixture
def app() -> Iterator[OneStop]:
    application = OneStop(env=persistence_env("memory://"))
    seed_catalogue(application)
    yield application
    application.close()


@pytest.fixture
def slips(app: OneStop, pki: Pki) -> Slips:
    return Slips(pki, lambda code: str(app.get_agency(code).name))


def text_of(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(
            page.get_textpage().get_text_range() for page in document
        ).replace("\r", "")
    finally:
        document.close()


def pages_of(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def decode_qr(pdf: bytes) -> tuple[str, tuple[float, float], tuple[float, float]]:
    """The QR text, its top-left corner and the page size, in pixels."""
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=3).to_pil()
    finally:
        document.close()
    (found,) = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    corner = found.position.top_left
    return found.text, (corner.x, corner.y), image.size


def flowing(text: str) -> str:
    """Text with line breaks folded, to search wrapped sentences."""
    return " ".join(text.split())


def events(app: OneStop, dossier_id: UUID) -> list[object]:
    return list(app.events.get(dossier_id))


def supplement(app: OneStop, dossier_id: UUID) -> None:
    app.request_supplement(
        dossier_id,
        trace=trace(specialist(), at(1, 10)),
        items=("TP1", "TP2"),
        reason="Giấy chứng sinh bị mờ, không đọc được họ tên người mẹ",
    )


class TestReceipt:
    def test_text_qr_and_signature(self, app: OneStop, slips: Slips, pki: Pki) -> None:
        dossier = in_progress(app)
        slip = slips.issue(SlipKind.RECEIPT, events(app, dossier))
        facts = fold(events(app, dossier))
        text = flowing(text_of(slip.pdf))
        for expected in (
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            f"Mã hồ sơ: {facts.code}",
            f"Ông/Bà: {APPLICANT.name}",
            "Nội dung yêu cầu giải quyết: Đăng ký khai sinh",
            "Tờ khai đăng ký khai sinh",
            "Mẫu số 01 (Thông tư số 03/2025/TT-VPCP)",
            "Thời gian nhận hồ sơ: 08 giờ 00 phút, ngày 02/03/2026",
            "UBND TỈNH KON TUM",
        ):
            assert expected in text, expected
        assert unicodedata.is_normalized("NFC", text)
        payload, corner, size = decode_qr(slip.pdf)
        assert payload == (
            f"MaHoSo: {facts.code}\nMaTTHC: 1.001193\nMaDinhDanh: {APPLICANT.id}\n"
            "TenGiayTo: Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
        )
        assert corner[0] < size[0] / 6
        assert corner[1] < size[1] / 8
        check = pki.validate(slip.pdf)
        assert check.indication is Indication.TOTAL_PASSED
        assert [s.signer for s in check.signatures] == ["desk-1"]
        assert slip.filename(facts.code) == f"{facts.code}-mau-01-receipt.pdf"

    def test_re_rendered_later_it_shows_the_reception(
        self, app: OneStop, slips: Slips
    ) -> None:
        dossier = in_progress(app)
        before = text_of(slips.issue(SlipKind.RECEIPT, events(app, dossier)).pdf)
        app.forward_dossier(
            dossier, trace=trace(specialist(), at(1, 9)), to=Holder(JUSTICE, "BGD")
        )
        supplement(app, dossier)
        after = text_of(slips.issue(SlipKind.RECEIPT, events(app, dossier)).pdf)
        assert before == after

    def test_same_events_same_unsigned_bytes(self, app: OneStop) -> None:
        dossier = in_progress(app)
        facts = fold(events(app, dossier))
        issue = Issue(MONDAY, "desk-1", "000.00.00.H34")

        def draw() -> bytes:
            return render(
                SlipKind.RECEIPT, facts, form_set_on(MONDAY), issue, lambda c: c
            )

        assert draw() == draw()


class TestOtherSlips:
    def test_supplement_lists_every_item_once(
        self, app: OneStop, slips: Slips, pki: Pki
    ) -> None:
        dossier = in_progress(app)
        supplement(app, dossier)
        slip = slips.issue(SlipKind.SUPPLEMENT, events(app, dossier))
        text = flowing(text_of(slip.pdf))
        assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
        assert "1. Tờ khai đăng ký khai sinh (TP1)" in text
        assert "2. Giấy chứng sinh (TP2)" in text
        assert "Lý do: Giấy chứng sinh bị mờ, không đọc được họ tên người mẹ" in text
        assert "(lần 1)" in text
        assert [s.signer for s in pki.validate(slip.pdf).signatures] == ["spec-1"]
        with pytest.raises(SlipNotAvailableError):
            slips.issue(SlipKind.SUPPLEMENT, events(app, dossier), supplement=2)

    def test_refusal_keeps_a_long_reason_whole(
        self, app: OneStop, slips: Slips
    ) -> None:
        dossier_id, _ = app.submit_dossier(
            trace=trace(citizen(), MONDAY),
            applicant=APPLICANT,
            procedure_code="1.001193",
            documents={code: document(code, app, citizen()) for code in ("TP1", "TP2")},
        )
        app.refuse_dossier(
            dossier_id, trace=trace(desk(), at(0, 9)), reason=LONG_REASON.strip()
        )
        slip = slips.issue(SlipKind.REFUSAL, events(app, dossier_id))
        text = flowing(text_of(slip.pdf))
        assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
        assert flowing(LONG_REASON) in text
        assert "Mã hồ sơ: —" in text  # never received: no code was given
        payload, _, _ = decode_qr(slip.pdf)
        assert payload.startswith(f"MaHoSo: {dossier_id}\n")

    def test_apology_follows_the_form_set_of_its_date(
        self, app: OneStop, slips: Slips, pki: Pki
    ) -> None:
        titles = {}
        for when in (datetime(2025, 3, 3, 8, tzinfo=VN), MONDAY):
            dossier = in_progress(app, when)
            due = fold(events(app, dossier)).due_at
            assert due is not None
            app.reappoint_dossier(
                dossier,
                trace=trace(leader(), when + timedelta(hours=2)),
                due_at=due + timedelta(days=7),
                reason="Cần xác minh thông tin hộ tịch tại địa phương khác",
            )
            slip = slips.issue(SlipKind.APOLOGY, events(app, dossier))
            text = flowing(text_of(slip.pdf))
            titles[when.year] = (slip.form_number, slip.form_act, text)
            assert "Cần xác minh thông tin hộ tịch tại địa phương khác" in text
            check = pki.validate(slip.pdf)
            assert check.passed
            assert [s.signer for s in check.signatures] == ["lead-1", "Sở Tư pháp"]
        number, act, text = titles[2025]
        assert (number, act) == ("04", "Thông tư số 01/2018/TT-VPCP")
        assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
        number, act, text = titles[2026]
        assert (number, act) == ("04", "Thông tư số 03/2025/TT-VPCP")
        assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in text

    def test_stop_notice_exists_only_in_the_2025_set(
        self, app: OneStop, slips: Slips
    ) -> None:
        for when, exists in (
            (datetime(2025, 3, 3, 8, tzinfo=VN), False),
            (MONDAY, True),
        ):
            dossier = in_progress(app, when)
            app.stop_dossier(
                dossier,
                trace=trace(leader(), when + timedelta(hours=3)),
                reason="Người nộp không bổ sung hồ sơ trong thời hạn",
            )
            if exists:
                slip = slips.issue(SlipKind.STOP, events(app, dossier))
                assert slip.form_number == "05"
                assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text_of(slip.pdf)
            else:
                with pytest.raises(SlipNotAvailableError):
                    slips.issue(SlipKind.STOP, events(app, dossier))

    def test_control_sheet_has_each_handover_and_its_timeliness(
        self, app: OneStop, slips: Slips
    ) -> None:
        dossier = in_progress(app)
        app.forward_dossier(
            dossier,
            trace=trace(specialist(), at(1, 9)),
            to=Holder(JUSTICE, "BGD"),
            planned_due_at=at(1, 16),
        )
        app.forward_dossier(
            dossier,
            trace=trace(leader(), at(2, 9)),
            to=Holder(JUSTICE, "PHC"),
            planned_due_at=at(2, 16),
        )
        slip = slips.issue(SlipKind.CONTROL_SHEET, events(app, dossier))
        text = flowing(text_of(slip.pdf))
        assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
        assert "Mẫu số 06 (Thông tư số 03/2025/TT-VPCP)" in text
        assert "1. Giao: Người nộp hồ sơ" in text
        assert "Nhận: Sở Tư pháp (PHC)" in text
        assert "Nhận: Sở Tư pháp (BGD)" in text
        assert "Quá hạn" in text  # step 2 planned Tue 16:00, handed on Wed
        assert "Đang xử lý" in text  # the last step is open
        facts = fold(events(app, dossier))
        assert [h.step for h in facts.handovers] == [1, 2, 3, 4]

    def test_slips_of_acts_that_did_not_happen_are_refused(
        self, app: OneStop, slips: Slips
    ) -> None:
        dossier = receive(app).dossier_id
        for kind in (SlipKind.REFUSAL, SlipKind.APOLOGY, SlipKind.SUPPLEMENT):
            with pytest.raises(SlipNotAvailableError) as refused:
                slips.issue(kind, events(app, dossier))
            assert refused.value.message("en").startswith("No ")
        with pytest.raises(SlipNotAvailableError):
            slips.issue(SlipKind.REGISTER, events(app, dossier))


class TestRegister:
    def test_a_unit_register_lists_its_dossiers_and_is_sealed(
        self, app: OneStop, slips: Slips, pki: Pki
    ) -> None:
        ids = [in_progress(app, at(day)) for day in range(3)]
        histories = [events(app, d) for d in ids]
        start = datetime(2026, 3, 1, tzinfo=VN)
        slip = slips.register(
            histories,
            agency_code="000.00.00.H34",
            officer="desk-1",
            period=(start, start + timedelta(days=31)),
            at=datetime(2026, 4, 1, 9, tzinfo=VN),
        )
        text = flowing(text_of(slip.pdf))
        assert "SỔ THEO DÕI HỒ SƠ" in text
        assert "Mẫu số 07 (Thông tư số 03/2025/TT-VPCP)" in text
        for facts in map(fold, histories):
            assert facts.code is not None
            assert facts.code in text
        assert "Tổng số: 3 hồ sơ" in text
        check = pki.validate(slip.pdf)
        assert [s.signer for s in check.signatures] == ["desk-1", "UBND tỉnh Kon Tum"]
        assert check.passed

    def test_many_rows_flow_onto_more_pages(self, app: OneStop) -> None:
        facts = fold(events(app, in_progress(app)))
        pdf = render_register(
            [facts] * 60,
            TT_01_2018,
            Issue(MONDAY, "desk-1", "000.00.00.H34"),
            lambda c: c,
            (MONDAY, MONDAY),
        )
        assert pages_of(pdf) > 1
        assert flowing(text_of(pdf)).count(facts.code or "") == 60


@given(st.dates(date(2018, 11, 23), date(2099, 12, 31)))
def test_the_form_set_is_the_one_in_force(day: date) -> None:
    chosen = form_set_on(day)
    assert chosen is (TT_03_2025 if day >= date(2025, 9, 15) else TT_01_2018)
    moment = datetime(day.year, day.month, day.day, 0, 30, tzinfo=VN)
    assert form_set_on(moment) is chosen
    assert form_set_on(moment.astimezone(UTC)) is chosen  # still the Vietnam date


def test_qr_payload_names_the_document(app: OneStop) -> None:
    facts = fold(events(app, in_progress(app)))
    payload = qr_payload(facts, TT_01_2018.form(SlipKind.CONTROL_SHEET))
    assert payload.splitlines()[-1] == (
        "TenGiayTo: Phiếu kiểm soát quá trình giải quyết hồ sơ"
    )


def test_fonts_ship_with_the_package() -> None:
    fonts = Path(__file__).parents[2] / "adapters" / "slips" / "fonts"
    assert {p.name for p in fonts.glob("*.ttf")} >= {
        "DejaVuSerif.ttf",
        "DejaVuSerif-Bold.ttf",
        "DejaVuSerif-Italic.ttf",
    }


@settings(max_examples=25, deadline=None)
@given(reason=st.text(min_size=1, max_size=300))
def test_any_reason_is_drawn_whole_or_marked(reason: str) -> None:
    """Whatever an officer typed shows up: as itself, or as U+FFFD where the
    font has no glyph or the character is a control; never dropped."""
    facts = replace(FACTS, refusal=Act(MONDAY, "desk-1", "000.00.00.H34", reason))
    pdf = render(
        SlipKind.REFUSAL,
        facts,
        form_set_on(MONDAY),
        Issue(MONDAY, "desk-1", "000.00.00.H34"),
        lambda c: c,
    )
    drawn = "".join(text_of(pdf).split())
    expected = "".join(_text(reason).split())
    assert expected in drawn
