"""Events in human terms, in Vietnamese and English."""

from __future__ import annotations

from typing import Any

from domain.cross_province import (
    AcceptedByProvince,
    ForwardedToProvince,
    OpenedFromProvince,
    RefusedByProvince,
    ResultReturnedByProvince,
    StatusReportedByProvince,
)
from domain.dossier_events import (
    ComponentDigitized,
    ComponentReused,
    ComponentSigned,
    DigitalAccountChecked,
    FinancialObligationPaid,
    FinancialObligationRequested,
    Forwarded,
    Rated,
    Reappointed,
    Received,
    ReceivedAtDesk,
    Refused,
    Resolved,
    Returned,
    Stopped,
    SubmittedOnline,
    SupplementReceived,
    SupplementRequested,
    TransferredToSuccessor,
    Withdrawn,
)


def _fmt(moment: Any) -> str:
    return moment.strftime("%d/%m/%Y %H:%M") if moment is not None else "—"


def describe(event: Any) -> tuple[str, str]:
    """(vi, en) sentence for one dossier event."""
    match event:
        case SubmittedOnline():
            return ("Nộp hồ sơ trực tuyến", "Submitted online")
        case ReceivedAtDesk() | Received():
            due = _fmt(event.due_at)
            return (
                f"Tiếp nhận hồ sơ, mã {event.code}, hẹn trả {due}",
                f"Received as {event.code}, due {due}",
            )
        case Refused():
            return (f"Từ chối tiếp nhận: {event.reason}", f"Refused: {event.reason}")
        case DigitalAccountChecked():
            ok = event.account.has_account
            return (
                ("Đã kiểm tra tài khoản số: " + ("có" if ok else "chưa có")),
                "Digital account checked: " + ("present" if ok else "absent"),
            )
        case ComponentDigitized():
            return (
                f"Số hóa thành phần {event.component_code}",
                f"Digitized component {event.component_code}",
            )
        case ComponentReused():
            return (
                f"Tái sử dụng dữ liệu số cho thành phần {event.component_code}",
                f"Reused stored data for component {event.component_code}",
            )
        case ComponentSigned():
            return (
                f"Ký số thành phần {event.component_code}",
                f"Signed component {event.component_code}",
            )
        case Forwarded():
            to = event.to_holder
            unit = f"{to.agency_code}" + (
                f" / {to.department}" if to.department else ""
            )
            return (f"Chuyển xử lý đến {unit}", f"Forwarded to {unit}")
        case SupplementRequested():
            items = ", ".join(event.items)
            return (
                f"Yêu cầu bổ sung ({items}): {event.reason}",
                f"Supplement requested ({items}): {event.reason}",
            )
        case SupplementReceived():
            return ("Đã nhận hồ sơ bổ sung", "Supplement received")
        case FinancialObligationRequested():
            total = sum(f.amount for f in event.fees)
            return (
                f"Yêu cầu thực hiện nghĩa vụ tài chính: {total:,.0f} đồng",
                f"Payment requested: {total:,.0f} VND",
            )
        case FinancialObligationPaid():
            return ("Đã thực hiện nghĩa vụ tài chính", "Payment received")
        case Reappointed():
            due = _fmt(event.due_at)
            return (
                f"Xin lỗi và hẹn lại ngày trả: {due}. Lý do: {event.reason}",
                f"Apologised, new due time {due}. Reason: {event.reason}",
            )
        case Stopped():
            return (f"Dừng xử lý: {event.reason}", f"Stopped: {event.reason}")
        case Withdrawn():
            return ("Công dân rút hồ sơ", "Withdrawn by the applicant")
        case Resolved():
            return ("Đã có kết quả giải quyết", "Resolved, result issued")
        case Returned():
            return (
                f"Trả kết quả ({event.method.value})",
                f"Result returned ({event.method.value})",
            )
        case Rated():
            return (
                f"Đánh giá: {event.satisfaction.value}",
                f"Rated: {event.satisfaction.value}",
            )
        case TransferredToSuccessor():
            return (
                f"Chuyển cho đơn vị kế thừa {event.to_agency} (thay"
                f" {event.from_agency}) theo {event.legal_act}",
                f"Transferred to successor {event.to_agency} (was"
                f" {event.from_agency}) under {event.legal_act}",
            )
    return _across(event) or (type(event).__name__, type(event).__name__)


def _across(event: Any) -> tuple[str, str] | None:
    """Cross-province forwarding (R-17)."""
    match event:
        case ForwardedToProvince():
            unit = event.to_holder.agency_code
            return (
                f"Chuyển liên thông đến {unit} (tỉnh {event.province})",
                f"Forwarded to {unit} (province {event.province})",
            )
        case AcceptedByProvince():
            return (
                f"Tỉnh {event.province} đã tiếp nhận, mã {event.child_code}",
                f"Received by province {event.province}, code {event.child_code}",
            )
        case StatusReportedByProvince():
            return (
                f"Tỉnh {event.province}: {event.status.label('vi')}",
                f"Province {event.province}: {event.status.label('en')}",
            )
        case ResultReturnedByProvince():
            return (
                f"Tỉnh {event.province} đã có kết quả, chuyển về nơi tiếp nhận",
                f"Resolved by province {event.province}, result sent back",
            )
        case RefusedByProvince():
            return (
                f"Tỉnh {event.province} không tiếp nhận: {event.reason}",
                f"Not taken by province {event.province}: {event.reason}",
            )
        case OpenedFromProvince():
            return (
                f"Nhận liên thông từ tỉnh {event.source_province}"
                f" (hồ sơ {event.source_code})",
                f"Forwarded from province {event.source_province}"
                f" (dossier {event.source_code})",
            )
    return None
