"""The slip forms in force on a dossier's date (R-06, R-11).

Two form sets:

- TT 01/2018/TT-VPCP (guidance for Decree 61/2018): Mẫu 01 receipt and
  appointment, 02 supplement request, 03 refusal, 04 apology and new
  appointment, 05 processing control sheet, 06 dossier register. Names [V]
  (TT 01/2018 Chương III); numbers 01, 03–06 [U] (domain.md §2.5).
- TT 03/2025/TT-VPCP (guidance for Decree 118/2025), Phụ lục I, forms from
  15/09/2025: 01 receipt, 02 supplement, 03 refusal, 04 "Văn bản xin lỗi và
  đề nghị gia hạn thời gian giải quyết", 05 "Thông báo dừng giải quyết hồ sơ"
  (new), 06 control sheet, 07 register. [T]: two third-party summaries agree;
  the official appendix was not read — **unverified**.

A dossier follows the set in force on its reception date (its submission
date when it was never received), so a slip re-rendered years later still
looks like the one handed out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.errors import Bilingual, LabelledError

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class SlipKind(enum.StrEnum):
    RECEIPT = "receipt"
    SUPPLEMENT = "supplement"
    REFUSAL = "refusal"
    APOLOGY = "apology"
    STOP = "stop"
    CONTROL_SHEET = "control-sheet"
    REGISTER = "register"


@dataclass(frozen=True)
class Form:
    number: str
    title: str
    """The heading, upper case as printed."""
    vi: str
    en: str


class SlipNotAvailableError(LabelledError):
    code = "SLIP_NOT_AVAILABLE"
    vi = "Không có {a0} cho hồ sơ này: {a1}"
    en = "No {a0} for this dossier: {a1}"

    def __init__(self, slip: Form | SlipKind, reason: str) -> None:
        """``reason`` is ``"<Vietnamese> / <English>"``."""
        vi, _, en = reason.partition(" / ")
        name = (
            Bilingual(slip.vi, slip.en)
            if isinstance(slip, Form)
            else Bilingual(slip.value, slip.value)
        )
        super().__init__(name, Bilingual(vi, en or vi))


@dataclass(frozen=True)
class FormSet:
    act: str
    """The legal act that issued the forms."""
    effective_from: date
    forms: dict[SlipKind, Form]

    def form(self, kind: SlipKind) -> Form:
        found = self.forms.get(kind)
        if found is None:
            raise SlipNotAvailableError(
                kind, f"{self.act} không có mẫu này / {self.act} has no such form"
            )
        return found


_RECEIPT = (
    "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "receipt and appointment",
)
_SUPPLEMENT = (
    "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "supplement request",
)
_REFUSAL = (
    "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "refusal",
)
_CONTROL = (
    "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
    "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "processing control sheet",
)
_REGISTER = ("SỔ THEO DÕI HỒ SƠ", "Sổ theo dõi hồ sơ", "dossier register")


def _form(number: str, texts: tuple[str, str, str]) -> Form:
    return Form(number, *texts)


TT_01_2018 = FormSet(
    "Thông tư số 01/2018/TT-VPCP",
    date(2018, 11, 23),
    {
        SlipKind.RECEIPT: _form("01", _RECEIPT),
        SlipKind.SUPPLEMENT: _form("02", _SUPPLEMENT),
        SlipKind.REFUSAL: _form("03", _REFUSAL),
        SlipKind.APOLOGY: _form(
            "04",
            (
                "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
                "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
                "apology and new appointment",
            ),
        ),
        SlipKind.CONTROL_SHEET: _form("05", _CONTROL),
        SlipKind.REGISTER: _form("06", _REGISTER),
    },
)

TT_03_2025 = FormSet(
    "Thông tư số 03/2025/TT-VPCP",
    date(2025, 9, 15),
    {
        SlipKind.RECEIPT: _form("01", _RECEIPT),
        SlipKind.SUPPLEMENT: _form("02", _SUPPLEMENT),
        SlipKind.REFUSAL: _form("03", _REFUSAL),
        SlipKind.APOLOGY: _form(
            "04",
            (
                "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
                "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
                "apology and extension",
            ),
        ),
        SlipKind.STOP: _form(
            "05",
            (
                "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
                "Thông báo dừng giải quyết hồ sơ",
                "notice of stopped processing",
            ),
        ),
        SlipKind.CONTROL_SHEET: _form("06", _CONTROL),
        SlipKind.REGISTER: _form("07", _REGISTER),
    },
)

FORM_SETS = (TT_01_2018, TT_03_2025)


def form_set_on(moment: datetime | date) -> FormSet:
    """The form set in force on ``moment`` (Vietnam date); the oldest before it."""
    day = moment.astimezone(VIETNAM).date() if isinstance(moment, datetime) else moment
    chosen = FORM_SETS[0]
    for candidate in FORM_SETS:
        if candidate.effective_from <= day:
            chosen = candidate
    return chosen
