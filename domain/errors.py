"""Domain errors: one base class, each with a Vietnamese and an English label."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, ClassVar

#: Longest interpolated value a message shows; longer ones end in "…".
MAX_SHOWN = 80


@dataclass(frozen=True)
class Bilingual:
    """A detail of an error said in both languages (a reason, a field's name)."""

    vi: str
    en: str

    def label(self, language: str = "vi") -> str:
        return self.en if language.startswith("en") else self.vi


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """``value`` as a message may show it: at most ``MAX_SHOWN`` characters,
    control, format, surrogate and unassigned characters replaced by U+FFFD.

    Input is clipped *before* it is scanned: a message never costs more than
    its bound, whatever came in (a 500,000-character code with NUL bytes).
    """
    text = value if isinstance(value, str) else str(value)
    clipped = len(text) > limit
    head = text[: limit - 1] if clipped else text
    safe = "".join(
        "\ufffd" if unicodedata.category(char).startswith("C") else char
        for char in head
    )
    return safe + "…" if clipped else safe


class LabelledError(Exception):
    """An expected failure with a stable code and Vietnamese/English labels.

    Details (positional ``{a0}``… and named) are shown in the message's
    language when they have a ``label(language)`` (``Bilingual``, labelled
    enums); everything interpolated is clipped and cleaned by ``shown``.
    """

    code: ClassVar[str] = "ERROR"
    vi: ClassVar[str] = "Yêu cầu không hợp lệ"
    en: ClassVar[str] = "Invalid request"
    #: Longest value shown; errors about the operator's own configuration,
    #: never a request's input, may show more (still cleaned).
    max_shown: ClassVar[int] = MAX_SHOWN

    def __init__(self, *args: Any, **details: Any) -> None:
        super().__init__(*args)
        self.details = details

    def message(self, language: str = "vi") -> str:
        template = self.en if language.startswith("en") else self.vi
        limit = self.max_shown
        values = {k: _in(language, v, limit) for k, v in self.details.items()}
        for index, arg in enumerate(self.args):
            values.setdefault(f"a{index}", _in(language, arg, limit))
        try:
            return template.format(**values)
        except (KeyError, IndexError):
            return template

    def __str__(self) -> str:
        return self.message("en")


#: Our own labels (a reason, a rule) may be longer than an echoed value.
MAX_LABEL = 400


def _in(language: str, value: object, limit: int) -> str:
    label = getattr(value, "label", None)
    if callable(label):
        return shown(label(language), max(limit, MAX_LABEL))
    return shown(value, limit)


class DomainError(LabelledError):
    """A rule of the domain refused a command; nothing was recorded."""

    code = "DOMAIN_ERROR"


class InvalidAgencyCodeError(DomainError):
    code = "INVALID_AGENCY_CODE"
    vi = "Mã định danh cơ quan không hợp lệ (QCVN 102:2016): {a0}"
    en = "Invalid agency identifier (QCVN 102:2016): {a0}"


class InvalidFieldCodeError(DomainError):
    code = "INVALID_FIELD_CODE"
    vi = "Mã lĩnh vực không hợp lệ (MX1X2-LV): {a0}"
    en = "Invalid field code (MX1X2-LV): {a0}"


class InvalidProcedureError(DomainError):
    code = "INVALID_PROCEDURE"
    vi = "Thông tin thủ tục hành chính không hợp lệ: {a0}"
    en = "Invalid procedure definition: {a0}"


class InvalidCalendarError(DomainError):
    code = "INVALID_CALENDAR"
    vi = "Lịch làm việc không hợp lệ: {a0}"
    en = "Invalid working calendar: {a0}"


class MissingDataError(DomainError):
    code = "MISSING_DATA"
    vi = "Thiếu thông tin bắt buộc: {a0}"
    en = "Missing mandatory data: {a0}"


class IllegalTransitionError(DomainError):
    code = "ILLEGAL_TRANSITION"
    vi = "Không thể {action} khi hồ sơ đang ở trạng thái «{status}»"
    en = "Cannot {action} a dossier whose status is '{status}'"


class ActorNotAllowedError(DomainError):
    code = "ACTOR_NOT_ALLOWED"
    vi = "Người thực hiện không có thẩm quyền: {a0}"
    en = "Actor not allowed: {a0}"


class ComponentError(DomainError):
    code = "COMPONENT_ERROR"
    vi = "Thành phần hồ sơ không hợp lệ: {a0}"
    en = "Invalid dossier component: {a0}"


class UnsignedComponentsError(DomainError):
    code = "UNSIGNED_COMPONENTS"
    vi = "Chưa số hóa và ký số các thành phần bắt buộc: {a0}"
    en = "Mandatory components not yet digitized and signed: {a0}"


class ReappointmentError(DomainError):
    code = "REAPPOINTMENT_REFUSED"
    vi = "Không thể hẹn lại ngày trả kết quả: {a0}"
    en = "Re-appointment refused: {a0}"


class ResultError(DomainError):
    code = "INVALID_RESULT"
    vi = "Kết quả giải quyết không hợp lệ: {a0}"
    en = "Invalid result: {a0}"


class AlreadyRatedError(DomainError):
    code = "ALREADY_RATED"
    vi = "Hồ sơ đã được đánh giá"
    en = "The dossier has already been rated"


class DailySequenceExhaustedError(DomainError):
    code = "DAILY_SEQUENCE_EXHAUSTED"
    vi = "Đơn vị {agency} đã tiếp nhận đủ 9.999 hồ sơ trong ngày {day}"
    en = "Unit {agency} has already received 9,999 dossiers on {day}"


class TimeOutOfRangeError(DomainError):
    """Deadline arithmetic is bounded: instants 2000–2100, durations ≤ 50 years."""

    code = "TIME_OUT_OF_RANGE"
    vi = "Thời điểm hoặc khoảng thời gian ngoài phạm vi hỗ trợ (2000–2100): {value}"
    en = "Time or duration outside the supported range (2000–2100): {value}"


class UnregisteredUnitError(ActorNotAllowedError):
    """A desk whose unit is not in the agency catalogue may not receive or issue codes."""

    code = "UNREGISTERED_UNIT"
    vi = "Đơn vị {a0} chưa có trong danh mục cơ quan, không được tiếp nhận hồ sơ"
    en = "Unit {a0} is not in the agency catalogue and may not receive dossiers"


class UnregisteredAgencyError(DomainError):
    code = "UNREGISTERED_AGENCY"
    vi = "Cơ quan hoặc phòng ban nhận chưa có trong danh mục: {a0}"
    en = "The receiving agency or department is not in the catalogue: {a0}"


class CrossProvinceForwardError(DomainError):
    """Another province, and this instance has no cross-province peers
    (``domain.cross_province``: with peers, an unknown one is ``UNKNOWN_PROVINCE``)."""

    code = "CROSS_PROVINCE_FORWARD"
    vi = "Không chuyển hồ sơ sang tỉnh khác ({a0}): chưa cấu hình liên thông liên tỉnh (MOTCUA_PEER_PROVINCES)"
    en = "A dossier is not forwarded to another province ({a0}): no cross-province peers are configured (MOTCUA_PEER_PROVINCES)"


class PlannedDueError(DomainError):
    code = "INVALID_PLANNED_DUE"
    vi = "Hạn xử lý của bước không hợp lệ: {a0}"
    en = "Invalid planned deadline of the step: {a0}"


class InvalidValueError(DomainError):
    """A value outside its domain range; refused before any event exists.

    The message names the field and the rule, never echoes the value (it may
    be megabytes long or hold characters a response cannot carry).
    """

    code = "INVALID_VALUE"
    vi = "Giá trị không hợp lệ cho «{field}»: {rule}"
    en = "Invalid value for '{field}': {rule}"

    def __init__(self, field: str, rule_vi: str, rule_en: str) -> None:
        super().__init__(field, field=field, rule=Bilingual(rule_vi, rule_en))
        self.field = field


class AlreadyHeldError(DomainError):
    """A forward to the unit (and department) that holds the dossier changes nothing."""

    code = "ALREADY_HELD"
    vi = "Hồ sơ đang do chính đơn vị này xử lý: {a0}"
    en = "The dossier is already held by this unit: {a0}"


class AgencyEndedError(DomainError):
    """A unit that merged, split, changed code or was dissolved changes no more."""

    code = "AGENCY_ENDED"
    vi = "Đơn vị {a0} đã chấm dứt hoạt động từ ngày {a1}"
    en = "Unit {a0} ceased to exist on {a1}"


class AgencyNotInForceError(DomainError):
    """A unit acts on a day it did not exist (before it was established or
    after it ended): history stays valid, new work goes to its successors."""

    code = "AGENCY_NOT_IN_FORCE"
    vi = "Đơn vị {a0} không hoạt động vào ngày {a1}{a2}"
    en = "Unit {a0} did not exist on {a1}{a2}"


class EffectiveDateError(DomainError):
    """A change may not take effect before what is already recorded for the unit."""

    code = "EFFECTIVE_DATE_BEFORE_HISTORY"
    vi = "Ngày hiệu lực {a1} của {a0} trước sự kiện đã ghi ngày {a2}"
    en = "Effective date {a1} for {a0} is before its recorded change of {a2}"


class SupplementError(DomainError):
    code = "INVALID_SUPPLEMENT"
    vi = "Hồ sơ bổ sung không hợp lệ: {a0}"
    en = "Invalid supplement: {a0}"


_FIELD_NAMES = {
    "reason": ("lý do", "reason"),
    "receipt": ("biên lai", "receipt"),
    "decision": ("quyết định", "decision"),
    "name": ("tên", "name"),
    "department": ("phòng ban", "department"),
    "province": ("mã tỉnh", "province"),
    "procedure name": ("tên thủ tục", "procedure name"),
    "items": ("thành phần cần bổ sung", "items"),
    "fees": ("các khoản phí, lệ phí", "fees"),
}


def field_name(name: str) -> Bilingual:
    """The name of a mandatory input in both languages (the API name as fallback)."""
    vi, en = _FIELD_NAMES.get(name, (name, name))
    return Bilingual(vi, en)
