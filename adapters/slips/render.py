"""Slips as PDF (fpdf2): Vietnamese text in an embedded DejaVu Serif, the
national heading, the dossier code, and the TT 01/2023 QR code at the top-left.

Rendering is a pure function of the facts (and the issue time): the PDF's
creation date is the issue time, so the same events give the same bytes
before signing.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from adapters.slips.facts import VIETNAM, DossierFacts, Handover
from adapters.slips.forms import Form, FormSet, SlipKind, SlipNotAvailableError
from adapters.slips.issue import DEFAULT_EVALUATION_URL, AgencyNames, Issue
from domain.citizen_evaluation import (
    CITIZEN_INDICES,
    INDEX_TEXTS,
    SATISFACTION_LABELS,
    Question,
)
from domain.deadline import Timeliness
from domain.dossier_values import (
    ApplicantKind,
    ComponentState,
    ComponentStatus,
    Satisfaction,
)
from domain.procedure import DigitizationScope

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVuSerif"
QR_SIZE = 24.0  # mm, quiet zone included
QR_X, QR_Y = 10.0, 8.0

TT_01_2018_ACT = "Thông tư số 01/2018/TT-VPCP"
WITH_EVALUATION_FORM = frozenset(
    {SlipKind.RECEIPT, SlipKind.SUPPLEMENT, SlipKind.REFUSAL}
)
"""TT 01/2018 Chương III: the evaluation form goes with these three slips."""
EVALUATION_FORM = Form(
    "",
    "PHIẾU ĐÁNH GIÁ VIỆC GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
    "Phiếu đánh giá việc giải quyết thủ tục hành chính",
    "evaluation form",
)


def qr_payload(facts: DossierFacts, form: Form) -> str:
    """TT 01/2023: dossier code, procedure code, applicant id, document name."""
    return "\n".join(
        (
            f"MaHoSo: {facts.code or facts.dossier_id}",
            f"MaTTHC: {facts.procedure_code}",
            f"MaDinhDanh: {facts.applicant.id}",
            f"TenGiayTo: {form.vi}",
        )
    )


def render(
    kind: SlipKind,
    facts: DossierFacts,
    forms: FormSet,
    issue: Issue,
    names: AgencyNames,
    *,
    supplement: int | None = None,
    evaluation_url: str = DEFAULT_EVALUATION_URL,
) -> bytes:
    """The slip ``kind`` of one dossier (a ``SlipNotAvailableError`` if the
    dossier has no such slip yet, e.g. a refusal slip of an accepted one).

    The receipt, the supplement request and the refusal slip end with the
    citizens' evaluation form (``evaluation_form``)."""
    form = forms.form(kind)
    body = _BODIES.get(kind)
    if body is None:  # the register covers many dossiers: ``render_register``
        raise SlipNotAvailableError(form, "sổ của đơn vị / a unit's register")
    page = _Page(form, forms, issue, names)
    page.heading(facts, qr_payload(facts, form))
    body(page, facts, supplement)
    if kind in WITH_EVALUATION_FORM:
        evaluation_form(page, facts, evaluation_url)
    return page.output()


def render_register(
    rows: Sequence[DossierFacts],
    forms: FormSet,
    issue: Issue,
    names: AgencyNames,
    period: tuple[datetime, datetime],
) -> bytes:
    """The dossier register (Sổ theo dõi hồ sơ) of one unit for a period."""
    form = forms.form(SlipKind.REGISTER)
    page = _Page(form, forms, issue, names, landscape=True)
    page.register(rows, period)
    return page.output()


# -- formatting -----------------------------------------------------------------


def clock(moment: datetime | None) -> str:
    """``HH giờ mm phút, ngày dd/MM/yyyy`` in Vietnam time."""
    if moment is None:
        return "—"
    local = moment.astimezone(VIETNAM)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def day(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment.astimezone(VIETNAM):%d/%m/%Y}"


_TIMELINESS = {
    Timeliness.EARLY: "Trước hạn",
    Timeliness.ON_TIME: "Đúng hạn",
    Timeliness.LATE: "Quá hạn",
}

_COMPONENT = {
    ComponentStatus.PENDING: "Bản giấy, chờ số hóa",
    ComponentStatus.ELECTRONIC: "Bản điện tử",
    ComponentStatus.DIGITIZED: "Đã số hóa",
    ComponentStatus.REUSED: "Tái sử dụng dữ liệu",
    ComponentStatus.NOT_DIGITIZED: "Không số hóa",
}


def _component_form(component: ComponentState) -> str:
    text = _COMPONENT[component.status]
    if component.status is ComponentStatus.NOT_DIGITIZED and (
        component.scope is not DigitizationScope.IN_SCOPE
    ):
        text = f"{text} ({component.scope.label('vi')})"
    if component.signed_by:
        text = f"{text}, đã ký số"
    return text


def _person(facts: DossierFacts) -> str:
    if facts.applicant.kind in (
        ApplicantKind.CITIZEN,
        ApplicantKind.IDENTITY_CARD,
        ApplicantKind.PASSPORT,
    ):
        return f"Ông/Bà: {facts.applicant.name}"
    return f"Tổ chức: {facts.applicant.name}"


@functools.cache
def _covered() -> frozenset[int]:
    """Code points every embedded face draws (regular, bold and italic)."""
    faces = [
        set(TTFont(FONTS / name).getBestCmap())
        for name in (
            "DejaVuSerif.ttf",
            "DejaVuSerif-Bold.ttf",
            "DejaVuSerif-Italic.ttf",
        )
    ]
    return frozenset(set.intersection(*faces))


def _text(value: str) -> str:
    """Text as drawn: NFC (decomposed diacritics would be drawn as separate
    marks), tabs as spaces, and U+FFFD for what the font cannot draw or what
    must not steer the layout (controls, bidi overrides), so nothing vanishes
    silently."""
    covered = _covered()
    shown = []
    for char in unicodedata.normalize("NFC", value).replace("\t", " "):
        if char == "\n":
            shown.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            shown.append("\ufffd")
        else:
            shown.append(char if ord(char) in covered else "\ufffd")
    return "".join(shown)


# -- the page -------------------------------------------------------------------


class _Page:
    def __init__(
        self,
        form: Form,
        forms: FormSet,
        issue: Issue,
        names: AgencyNames,
        *,
        landscape: bool = False,
    ) -> None:
        self.form, self.forms, self.issue, self.names = form, forms, issue, names
        pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format="A4")
        pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSerif.ttf"))
        pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSerif-Bold.ttf"))
        pdf.add_font(FAMILY, "I", str(FONTS / "DejaVuSerif-Italic.ttf"))
        pdf.set_creation_date(issue.at)
        pdf.set_title(_text(form.vi))
        pdf.set_author(_text(names(issue.agency_code)))
        pdf.set_creator("motcua")
        pdf.set_margins(15, 10, 15)
        pdf.set_auto_page_break(True, margin=15)
        pdf.add_page()
        self.pdf = pdf

    @property
    def width(self) -> float:
        return float(self.pdf.epw)

    def font(self, size: float, style: str = "") -> None:
        self.pdf.set_font(FAMILY, style, size)

    def line(
        self, text: str, *, size: float = 11, style: str = "", align: str = "L"
    ) -> None:
        self.font(size, style)
        self.pdf.multi_cell(
            self.width, size * 0.5, _text(text), align=align,
            new_x=XPos.LMARGIN, new_y=YPos.NEXT,
        )  # fmt: skip

    def gap(self, height: float = 2.5) -> None:
        self.pdf.ln(height)

    def qr(self, payload: str) -> None:
        code = segno.make(payload, error="m", micro=False)
        rows = list(code.matrix_iter(scale=1, border=4))
        module = QR_SIZE / len(rows)
        self.pdf.set_fill_color(0, 0, 0)
        for y, row in enumerate(rows):
            for x, dark in enumerate(row):
                if dark:
                    self.pdf.rect(
                        QR_X + x * module, QR_Y + y * module, module, module, style="F"
                    )

    def heading(
        self,
        facts: DossierFacts,
        payload: str,
        form: Form | None = None,
        note: str | None = None,
    ) -> None:
        """The top of a page: QR code, unit and dossier code, national heading,
        the form's number (or ``note``) and its title (``form``: another form
        than the slip's own, e.g. the evaluation form after it)."""
        form = form or self.form
        self.qr(payload)
        pdf = self.pdf
        unit = self.names(self.issue.agency_code)
        left_x, left_w = QR_X + QR_SIZE + 2, 70.0
        right_x = left_x + left_w
        right_w = pdf.w - pdf.r_margin - right_x
        top = QR_Y + 1
        pdf.set_xy(left_x, top)
        self.font(9.5, "B")
        pdf.multi_cell(left_w, 4.6, _text(unit.upper()), align="C")
        pdf.set_x(left_x)
        self.font(9.5)
        pdf.multi_cell(left_w, 4.6, _text(f"Mã hồ sơ: {facts.code or '—'}"), align="C")
        left_bottom = pdf.get_y()
        pdf.set_xy(right_x, top)
        self.font(9.5, "B")
        pdf.multi_cell(right_w, 4.6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
        pdf.set_x(right_x)
        pdf.multi_cell(right_w, 4.6, "Độc lập - Tự do - Hạnh phúc", align="C")
        pdf.set_x(right_x)
        self.font(9.5, "I")
        local = self.issue.at.astimezone(VIETNAM)
        pdf.multi_cell(
            right_w, 4.6,
            f"ngày {local:%d} tháng {local:%m} năm {local:%Y}", align="C",
        )  # fmt: skip
        pdf.set_y(max(left_bottom, pdf.get_y(), QR_Y + QR_SIZE) + 4)
        self.line(
            note or f"Mẫu số {form.number} ({self.forms.act})",
            size=8,
            style="I",
            align="R",
        )
        self.gap(2)
        self.line(form.title, size=13, style="B", align="C")
        self.gap(3)

    def signatures(self, left: str | None, right: str, signer_note: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        self.gap(6)
        half = self.width / 2
        y = pdf.get_y()
        if left is not None:
            pdf.set_xy(pdf.l_margin, y)
            self.font(10.5, "B")
            pdf.multi_cell(half, 5, _text(left), align="C")
            pdf.set_x(pdf.l_margin)
            self.font(9, "I")
            pdf.multi_cell(half, 5, "(Ký và ghi rõ họ tên)", align="C")
        pdf.set_xy(pdf.l_margin + half, y)
        self.font(10.5, "B")
        pdf.multi_cell(half, 5, _text(right), align="C")
        pdf.set_x(pdf.l_margin + half)
        self.font(9, "I")
        pdf.multi_cell(half, 5, _text(signer_note), align="C")
        pdf.set_x(pdf.l_margin + half)
        self.font(9)
        pdf.multi_cell(
            half, 5,
            _text(f"Ký số: {self.issue.officer}\n{clock(self.issue.at)}"),
            align="C",
        )  # fmt: skip

    def table(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        size: float = 9.5,
    ) -> None:
        self.font(size)
        with self.pdf.table(
            col_widths=tuple(widths), text_align="LEFT", line_height=size / 2,
            headings_style=FontFace(family=FAMILY, emphasis="BOLD", fill_color=(235, 235, 235)),
            first_row_as_headings=True,
        ) as table:  # fmt: skip
            head = table.row()
            for text in headings:
                head.cell(_text(text))
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(_text(text))

    def register(
        self, rows: Sequence[DossierFacts], period: tuple[datetime, datetime]
    ) -> None:
        pdf = self.pdf
        self.font(9.5, "B")
        pdf.multi_cell(
            self.width, 5, _text(self.names(self.issue.agency_code).upper()), align="L",
            new_x=XPos.LMARGIN, new_y=YPos.NEXT,
        )  # fmt: skip
        self.font(8, "I")
        pdf.multi_cell(
            self.width, 4, f"Mẫu số {self.form.number} ({self.forms.act})", align="R",
            new_x=XPos.LMARGIN, new_y=YPos.NEXT,
        )  # fmt: skip
        self.line(self.form.title, size=13, style="B", align="C")
        self.line(
            f"Từ ngày {day(period[0])} đến ngày {day(period[1])}",
            size=10,
            style="I",
            align="C",
        )
        self.gap(3)
        table_rows = [
            (
                str(index),
                facts.code or "—",
                f"{facts.procedure_name} ({facts.procedure_code})",
                facts.applicant.name,
                facts.applicant.id,
                self.names(facts.competent_agency),
                day(facts.reception.at if facts.reception else None),
                day(facts.due_at),
                day(
                    facts.handovers[1].handed_over_at
                    if len(facts.handovers) > 1
                    else None
                ),
                day(facts.resolved_at),
                _TIMELINESS.get(facts.timeliness, "") if facts.timeliness else "",
            )
            for index, facts in enumerate(rows, start=1)
        ]
        self.table(
            (
                "STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Người nộp", "Số định danh",
                "Cơ quan chủ trì giải quyết", "Ngày nhận", "Ngày hẹn trả",
                "Ngày chuyển", "Ngày có kết quả", "Kết quả",
            ),
            table_rows,
            (8, 42, 42, 28, 24, 32, 19, 19, 19, 19, 15),
            size=7.5,
        )  # fmt: skip
        self.gap(2)
        self.line(f"Tổng số: {len(rows)} hồ sơ", size=10, style="B")
        self.signatures(None, "THỦ TRƯỞNG ĐƠN VỊ", "(Ký số của cơ quan)")

    def output(self) -> bytes:
        return bytes(self.pdf.output())


# -- the bodies -------------------------------------------------------------------


def _common(page: _Page, facts: DossierFacts) -> None:
    page.line(_person(facts))
    page.line(f"Số định danh / mã số: {facts.applicant.id}")
    page.line(f"Nội dung yêu cầu giải quyết: {facts.procedure_name}")
    page.line(f"Mã thủ tục hành chính: {facts.procedure_code}")


def _receipt(page: _Page, facts: DossierFacts, _: int | None) -> None:
    if facts.reception is None:
        raise SlipNotAvailableError(page.form, "chưa tiếp nhận / not received")
    unit = page.names(facts.receiving_agency or facts.competent_agency)
    page.line(f"{unit} tiếp nhận hồ sơ của:")
    _common(page, facts)
    page.gap()
    page.line("Thành phần hồ sơ nộp gồm:", style="B")
    page.table(
        ("STT", "Tên giấy tờ", "Hình thức"),
        [
            (str(i), c.name, _component_form(c))
            for i, c in enumerate(facts.components, start=1)
        ],
        (12, 110, 58),
    )
    page.gap()
    page.line(f"Thời gian nhận hồ sơ: {clock(facts.reception.at)}")
    page.line(f"Thời gian trả kết quả giải quyết hồ sơ: {clock(facts.first_due_at)}")
    page.line(f"Cơ quan giải quyết: {page.names(facts.competent_agency)}")
    page.signatures("NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký số)")


def _supplement(page: _Page, facts: DossierFacts, number: int | None) -> None:
    if not facts.supplements:
        raise SlipNotAvailableError(page.form, "chưa yêu cầu bổ sung / none requested")
    index = len(facts.supplements) if number is None else number
    if not 1 <= index <= len(facts.supplements):
        raise SlipNotAvailableError(
            page.form, f"không có lần {index} / no request {index}"
        )
    notice = facts.supplements[index - 1]
    page.line(f"Hồ sơ của: {facts.applicant.name}")
    page.line(f"Số định danh / mã số: {facts.applicant.id}")
    page.line(
        f"Nội dung yêu cầu giải quyết: {facts.procedure_name} ({facts.procedure_code})"
    )
    page.gap()
    page.line("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:", style="B")
    named = {c.code: c.name for c in facts.components}
    for i, item in enumerate(notice.items, start=1):
        page.line(f"{i}. {named[item]} ({item})" if item in named else f"{i}. {item}")
    page.gap()
    page.line(f"Lý do: {notice.act.reason}")
    page.line(f"Thời gian yêu cầu: {clock(notice.act.at)} (lần {index})")
    page.gap()
    page.line(
        "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ "
        f"{page.names(notice.act.agency_code or facts.competent_agency)} để được "
        "hướng dẫn.",
        style="I",
    )
    page.signatures(None, "NGƯỜI HƯỚNG DẪN", "(Ký số)")


def _refusal(page: _Page, facts: DossierFacts, _: int | None) -> None:
    if facts.refusal is None:
        raise SlipNotAvailableError(page.form, "hồ sơ không bị từ chối / not refused")
    unit = page.names(facts.refusal.agency_code or facts.competent_agency)
    page.line(f"{unit} nhận được hồ sơ đề nghị của:")
    _common(page, facts)
    page.gap()
    page.line(
        "Qua xem xét, cơ quan, đơn vị tiếp nhận hồ sơ thông báo không tiếp nhận, "
        "giải quyết hồ sơ này với lý do cụ thể như sau:"
    )
    page.line(facts.refusal.reason, style="B")
    page.gap()
    page.line(f"Thời gian: {clock(facts.refusal.at)}")
    page.line("Xin thông báo để Ông/Bà được biết và thực hiện./.")
    page.signatures(None, "NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký số)")


def _apology(page: _Page, facts: DossierFacts, _: int | None) -> None:
    if facts.reappointment is None:
        raise SlipNotAvailableError(page.form, "chưa hẹn lại / no re-appointment")
    again = facts.reappointment
    unit = page.names(facts.receiving_agency or facts.competent_agency)
    page.line(f"Kính gửi: {_person(facts).split(': ', 1)[1]}")
    page.gap()
    page.line(
        f"Ngày {day(facts.reception.at if facts.reception else facts.submitted_at)}, "
        f"{unit} tiếp nhận hồ sơ mã {facts.code or '—'} đề nghị giải quyết thủ tục "
        f"{facts.procedure_name}. Thời gian hẹn trả kết quả: {clock(again.previous_due_at)}."
    )
    page.line(
        "Tuy nhiên đến nay, cơ quan chưa trả kết quả giải quyết hồ sơ đúng hẹn "
        f"ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả. Lý do: {again.act.reason}."
    )
    page.line(
        "Sự chậm trễ này đã gây phiền hà cho Ông/Bà. Chúng tôi xin lỗi và hẹn trả "
        f"kết quả giải quyết hồ sơ vào: {clock(again.due_at)}."
    )
    page.line("Xin trân trọng cảm ơn./.")
    page.signatures(None, "THỦ TRƯỞNG CƠ QUAN", "(Ký số cá nhân và ký số cơ quan)")


def _stop(page: _Page, facts: DossierFacts, _: int | None) -> None:
    if facts.stop is None:
        raise SlipNotAvailableError(page.form, "chưa dừng / not stopped")
    unit = page.names(facts.stop.agency_code or facts.competent_agency)
    page.line(f"{unit} thông báo dừng giải quyết hồ sơ của:")
    _common(page, facts)
    page.line(f"Mã hồ sơ: {facts.code or '—'}")
    page.gap()
    page.line(f"Lý do dừng giải quyết: {facts.stop.reason}", style="B")
    page.line(f"Thời gian dừng: {clock(facts.stop.at)}")
    page.line("Xin thông báo để Ông/Bà được biết./.")
    page.signatures(None, "THỦ TRƯỞNG CƠ QUAN", "(Ký số cá nhân và ký số cơ quan)")


def _unit(page: _Page, unit: tuple[str, str | None]) -> str:
    agency, department = unit
    name = page.names(agency)
    return f"{name} ({department})" if department else name


def _handover_text(page: _Page, line: Handover) -> str:
    giver = "Người nộp hồ sơ" if line.from_unit is None else _unit(page, line.from_unit)
    if line.from_officer:
        giver = f"{giver}, {line.from_officer}"
    return f"Giao: {giver}\nNhận: {_unit(page, line.to_unit)}"


def _control_sheet(page: _Page, facts: DossierFacts, _: int | None) -> None:
    if facts.reception is None:
        raise SlipNotAvailableError(page.form, "chưa tiếp nhận / not received")
    page.line(f"Mã hồ sơ: {facts.code}", style="B")
    _common(page, facts)
    page.line(f"Cơ quan giải quyết: {page.names(facts.competent_agency)}")
    page.line(f"Thời gian nhận hồ sơ: {clock(facts.reception.at)}")
    page.line(f"Thời gian hẹn trả kết quả: {clock(facts.due_at)}")
    page.gap()
    rows = [
        (
            f"{line.step}. {_handover_text(page, line)}",
            clock(line.handed_over_at),
            clock(line.planned_due_at),
            clock(line.completed_at) if line.completed_at else "Đang xử lý",
            _TIMELINESS[line.timeliness] if line.timeliness else "",
        )
        for line in facts.handovers
    ]
    page.table(
        (
            "Tên cơ quan, đơn vị giao, nhận",
            "Thời gian giao, nhận hồ sơ",
            "Hạn xử lý bước",
            "Hoàn thành",
            "Kết quả (trước, đúng, quá hạn)",
        ),
        rows,
        (56, 31, 31, 31, 31),
    )
    if facts.resolved_at is not None and facts.timeliness is not None:
        page.gap()
        page.line(
            f"Kết quả giải quyết hồ sơ: {_TIMELINESS[facts.timeliness]} "
            f"({clock(facts.resolved_at)})",
            style="B",
        )
    page.signatures(None, "NGƯỜI LẬP PHIẾU", "(Ký số)")


def evaluation_link(base: str, facts: DossierFacts) -> str:
    """The portal's online form for this dossier (its code; the submission's
    id when it was refused before a code was given)."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}ma={quote(facts.code or str(facts.dossier_id), safe='')}"


BOX = "\u25a1"


def evaluation_form(page: _Page, facts: DossierFacts, base_url: str) -> None:
    """TT 01/2018 Chương III: the paper evaluation form handed out with the
    slip: the indices a citizen perceives (0/1/2 as in Điều 13), the
    satisfaction questions, and a QR code to the same form online."""
    link = evaluation_link(base_url, facts)
    page.pdf.add_page()
    page.heading(
        facts,
        link,
        EVALUATION_FORM,
        f"Kèm theo {page.form.vi} (Chương III {TT_01_2018_ACT})",
    )
    page.line(
        f"Mã hồ sơ: {facts.code}"
        if facts.code
        else f"Hồ sơ nộp trực tuyến số: {facts.dossier_id} (chưa cấp mã hồ sơ)",
        style="B",
    )
    page.line(f"Thủ tục hành chính: {facts.procedure_name} ({facts.procedure_code})")
    page.line(
        "Ông/Bà vui lòng đánh dấu (X) vào một ô cho mỗi chỉ số và mỗi câu hỏi; "
        "chỉ số chưa đánh giá được có thể để trống.",
        size=10,
        style="I",
    )
    page.gap()
    rows = []
    for number, index in enumerate(CITIZEN_INDICES, start=1):
        name, levels = INDEX_TEXTS[index]
        rows.append(
            (
                f"{number}. {name} (chỉ số {index})",
                f"{BOX} {levels[2]}",
                f"{BOX} {levels[1]}",
                f"{BOX} {levels[0]}",
            )
        )
    page.table(
        ("Chỉ số đánh giá", "2 điểm", "1 điểm", "0 điểm"), rows, (66, 38, 38, 38), 9
    )
    page.gap(3)
    page.line("Mức độ hài lòng", style="B")
    choices = "    ".join(f"{BOX} {SATISFACTION_LABELS[s]}" for s in Satisfaction)
    for question in Question:
        page.line(f"{question.label('vi')}:", size=10)
        page.line(choices, size=10)
    page.gap(2)
    page.line("Ý kiến khác: " + "." * 90, size=10)
    page.gap(2)
    page.line(
        "Đánh giá trực tuyến trên Cổng dịch vụ công: quét mã QR ở góc trên hoặc "
        f"truy cập {link}",
        size=9.5,
    )
    page.line(
        "Phiếu giấy: bỏ vào hòm phiếu hoặc gửi cán bộ tại Bộ phận Một cửa để nhập "
        "vào hệ thống. Phiếu đánh giá sau thay cho phiếu trước.",
        size=9.5,
        style="I",
    )


_BODIES: dict[SlipKind, Callable[[_Page, DossierFacts, int | None], None]] = {
    SlipKind.RECEIPT: _receipt,
    SlipKind.SUPPLEMENT: _supplement,
    SlipKind.REFUSAL: _refusal,
    SlipKind.APOLOGY: _apology,
    SlipKind.STOP: _stop,
    SlipKind.CONTROL_SHEET: _control_sheet,
}
