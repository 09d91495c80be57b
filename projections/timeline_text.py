"""Events in human terms, in Vietnamese and English."""

from __future__ import annotations

from typing import Any

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
    return (type(event).__name__, type(event).__name__)
