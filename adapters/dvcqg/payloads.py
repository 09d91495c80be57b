"""``DongBoHoSoMC`` and ``CapNhatTienDoHoSoMC`` payloads from a dossier's events.

Built from the dossier folded at a version plus its events up to that version
(supplements and steps need the history, not only the state), by small
functions of one field group each, so new events and fields are one line.
Field names and codes follow domain.md §7.2 (de-facto contract, OpenCPS and
Thanh Hóa); every value is a string, as the portal expects, and every date
``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.dossier import Dossier
from domain.dossier_values import (
    ApplicantKind,
    ComponentStatus,
    PaymentChannel,
    ReturnMethod,
    ReuseSource,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
STEP_BATCH = 10
"""Steps per ``CapNhatTienDoHoSoMC`` call (Thanh Hóa sends batches of 10)."""

# LoaiDoiTuong: 1 citizen, 2 enterprise, 3 state agency, 4 other organisation.
_SUBJECT_KIND = {
    ApplicantKind.CITIZEN: "1",
    ApplicantKind.IDENTITY_CARD: "1",
    ApplicantKind.PASSPORT: "1",
    ApplicantKind.ENTERPRISE: "2",
    ApplicantKind.COOPERATIVE: "2",
    ApplicantKind.ORGANISATION: "4",
}
# LoaiDinhDanh: 1 CCCD/personal id (12 digits), 2 old CMND (9 digits) per Thanh
# Hóa; 3 passport, 4 enterprise/cooperative code, 5 budget-unit code are our
# choice (no published catalogue, domain.md §7 [U]).
_IDENTITY_KIND = {
    ApplicantKind.CITIZEN: "1",
    ApplicantKind.IDENTITY_CARD: "2",
    ApplicantKind.PASSPORT: "3",
    ApplicantKind.ENTERPRISE: "4",
    ApplicantKind.COOPERATIVE: "4",
    ApplicantKind.ORGANISATION: "5",
}
_PAID_ONLINE = {PaymentChannel.ONLINE_NATIONAL: "1", PaymentChannel.ONLINE_LOCAL: "2"}
_REUSED = {ReuseSource.WAREHOUSE_COMPONENT: "1", ReuseSource.WAREHOUSE_RESULT: "2"}

STEP_LABELS: dict[str, str] = {
    "ReceivedAtDesk": "Tiếp nhận hồ sơ",
    "Received": "Tiếp nhận hồ sơ",
    "Refused": "Từ chối tiếp nhận hồ sơ",
    "DigitalAccountChecked": "Kiểm tra tài khoản định danh điện tử",
    "ComponentDigitized": "Số hóa thành phần hồ sơ",
    "ComponentReused": "Tái sử dụng giấy tờ đã số hóa",
    "ComponentSigned": "Ký số thành phần hồ sơ",
    "Forwarded": "Chuyển xử lý hồ sơ",
    "SupplementRequested": "Yêu cầu bổ sung hồ sơ",
    "SupplementReceived": "Tiếp nhận hồ sơ bổ sung",
    "FinancialObligationRequested": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "FinancialObligationPaid": "Hoàn thành nghĩa vụ tài chính",
    "Reappointed": "Xin lỗi và hẹn lại ngày trả kết quả",
    "Stopped": "Dừng xử lý hồ sơ",
    "Withdrawn": "Công dân rút hồ sơ",
    "Resolved": "Có kết quả giải quyết",
    "Returned": "Trả kết quả",
    "Rated": "Đánh giá mức độ hài lòng",
    "TransferredToSuccessor": "Chuyển cho đơn vị kế thừa (sắp xếp đơn vị hành chính)",
}


@dataclass(frozen=True)
class Links:
    """Where the portal downloads files (documents and results) from."""

    base_url: str

    def document(self, document_id: object) -> str:
        return f"{self.base_url.rstrip('/')}/api/documents/{document_id}"


def date_text(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


def event_kind(event: Any) -> str:
    return type(event).__name__


def is_synced(dossier: Dossier) -> bool:
    """Only dossiers with a reception (a code) go to the portal (domain.md §7)."""
    return dossier.code is not None and dossier.received_at is not None


def is_child(dossier: Dossier) -> bool:
    """An inter-agency (liên thông) or cross-province child dossier: its parent
    is the one the citizen filed, and only the parent is synced (R-52)."""
    return dossier.state.is_child


def identity(dossier: Dossier) -> dict[str, Any]:
    applicant = dossier.applicant
    account = dossier.digital_account
    return {
        "ChuHoSo": applicant.name,
        "SoGiayToChuHoSo": applicant.id,
        "LoaiDoiTuong": _SUBJECT_KIND[applicant.kind],
        "DinhDanhCHS": [
            {"LoaiDinhDanh": _IDENTITY_KIND[applicant.kind], "SoDinhDanh": applicant.id}
        ],
        "TaiKhoanDuocXacThucVoiVNeID": (
            "1" if account is not None and account.verified_with_vneid else "0"
        ),
    }


def documents(dossier: Dossier, links: Links) -> list[dict[str, Any]]:
    submitted = []
    for component in dossier.components.values():
        if component.document_id is None:
            continue
        source = component.reuse_source
        submitted.append(
            {
                "TepDinhKemId": str(component.document_id),
                "TenTepDinhKem": component.name,
                "IsDeleted": False,
                "MaThanhPhanHoSo": component.document_type_code,
                "DuongDanTaiTepTin": links.document(component.document_id),
                "DuocSoHoa": (
                    "1" if component.status is ComponentStatus.DIGITIZED else "0"
                ),
                "DuocTaiSuDung": _REUSED.get(source, "0") if source else "0",
                "DuocLayTuKhoDMQG": (
                    "1" if source is ReuseSource.NATIONAL_WAREHOUSE else "0"
                ),
                "MaKetQuaThayThe": "",
            }
        )
    return submitted


def digitized(dossier: Dossier) -> str:
    done = (ComponentStatus.DIGITIZED, ComponentStatus.REUSED)
    return "1" if any(c.status in done for c in dossier.components.values()) else "0"


def results(dossier: Dossier, links: Links) -> list[dict[str, Any]]:
    return [
        {
            "TenGiayTo": result.number_symbol or result.result_code,
            "MaThanhPhanHoSo": "",
            "GiayToId": str(result.document_id),
            "DuongDanTepTinKetQua": links.document(result.document_id),
            "MaGiayToKetQua": result.result_code,
        }
        for result in dossier.results
    ]


def fees(dossier: Dossier) -> list[dict[str, Any]]:
    # HinhThucThu: 1 online, 0 otherwise (at the desk or not paid yet).
    online = "1" if dossier.paid_via in _PAID_ONLINE else "0"
    return [
        {
            "TenPhiLePhi": fee.name,
            "MaPhiLePhi": fee.code,
            "HinhThucThu": online,
            "Gia": str(int(fee.amount)),
            "LoaiPhiLePhi": "1",
        }
        for fee in dossier.fees_requested
    ]


def supplements(dossier_id: object, events: Sequence[Any]) -> list[dict[str, Any]]:
    """Each request with its answer, and the due date before and after it."""
    listed: list[dict[str, Any]] = []
    due: datetime | None = None
    for event in events:
        kind = event_kind(event)
        if kind in ("ReceivedAtDesk", "Received", "Reappointed"):
            due = event.due_at
        elif kind == "SupplementRequested":
            listed.append(
                {
                    "HoSoBoSungId": f"{dossier_id}/{event.originator_version}",
                    "NguoiYeuCauBoSung": event.trace.actor.id,
                    "NoiDungBoSung": event.reason,
                    "NgayBoSung": date_text(event.trace.at),
                    "NguoiTiepNhanBoSung": "",
                    "ThongTinTiepNhan": "",
                    "NgayTiepNhanBoSung": "",
                    "TrangThaiBoSung": "0",
                    "DanhSachGiayToBoSung": [
                        {"MaThanhPhanHoSo": i} for i in event.items
                    ],
                    "DanhSachLePhiBoSung": [],
                    "NgayHenTraTruoc": date_text(due),
                    "NgayHenTraMoi": "",
                }
            )
        elif kind == "SupplementReceived" and listed:
            listed[-1].update(
                {
                    "NguoiTiepNhanBoSung": event.trace.actor.id,
                    "ThongTinTiepNhan": ", ".join(sorted(event.documents)),
                    "NgayTiepNhanBoSung": date_text(event.trace.at),
                    "TrangThaiBoSung": "1",
                    "NgayHenTraMoi": date_text(event.due_at),
                }
            )
            due = event.due_at
        elif kind == "FinancialObligationPaid":
            due = event.due_at
    return listed


def dossier_record(
    dossier: Dossier,
    events: Sequence[Any],
    links: Links,
    *,
    field_code: str = "",
    field_name: str = "",
) -> dict[str, Any]:
    """One ``HoSo`` of ``DongBoHoSoMC`` (dossier folded at the last event given)."""
    status = dossier.status
    refused = status.national_code == 3
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": dossier.procedure_code,
        "TenTTHC": dossier.procedure_name,
        "MaLinhVuc": field_code,
        "TenLinhVuc": field_name,
        "KenhThucHien": str(dossier.channel.national_code),
        **identity(dossier),
        "ThongTinKhac": "",
        "Email": "",
        "Fax": "",
        "SoDienThoai": "",
        "TrichYeuHoSo": dossier.summary,
        "NgayNopHoSo": date_text(dossier.submitted_at),
        "NgayTiepNhan": date_text(dossier.received_at),
        "NgayHenTra": date_text(dossier.due_at),
        "TrangThaiHoSo": str(status.national_code),
        "NgayTra": date_text(dossier.returned_at),
        "ThongTinTra": dossier.return_method.value if dossier.return_method else "",
        "HinhThuc": "1" if dossier.return_method is ReturnMethod.POST else "0",
        "NgayKetThucXuLy": "" if refused else date_text(dossier.finished_at),
        "NgayTuChoi": date_text(dossier.finished_at) if refused else "",
        "DonViXuLy": dossier.competent_agency,
        "GhiChu": "",
        "NoiNopHoSo": "2",
        "HoSoCoThanhPhanSoHoa": digitized(dossier),
        "DuocThanhToanTrucTuyen": _PAID_ONLINE.get(dossier.paid_via, "0")
        if dossier.paid_via
        else "0",
        "TaiLieuNop": documents(dossier, links),
        "DanhSachLePhi": fees(dossier),
        "DanhSachTepDinhKemKhac": [],
        "DanhSachHoSoBoSung": supplements(dossier.id, events),
        "DanhSachGiayToKetQua": results(dossier, links),
        "DSKetNoiCSDL": [],
    }


def progress_steps(
    code: str, events: Sequence[Any], statuses: Sequence[int]
) -> list[dict[str, Any]]:
    """One ``CapNhatTienDoHoSoMC`` step per event; ``statuses`` is the national
    status code after each event (the dossier folded there)."""
    steps = []
    for event, status in zip(events, statuses, strict=True):
        actor = event.trace.actor
        planned = getattr(event, "planned_due_at", None) or getattr(
            event, "due_at", None
        )
        steps.append(
            {
                "MaHoSo": code,
                "NguoiXuLy": actor.id,
                "ChucDanh": actor.role.value,
                "ThoiDiemXuLy": date_text(event.trace.at),
                "PhongBanXuLy": actor.department or "",
                "NoiDungXuLy": STEP_LABELS.get(event_kind(event), event_kind(event)),
                "TrangThai": str(status),
                "NgayBatDau": date_text(event.trace.at),
                "NgayKetThucTheoQuyDinh": date_text(planned),
            }
        )
    return steps


def create_or_update(
    records: list[dict[str, Any]], *, updating: bool
) -> dict[str, Any]:
    return {
        "service": "DongBoHoSoMC",
        "isUpdating": "True" if updating else "False",
        "data": records,
    }


def progress(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"service": "CapNhatTienDoHoSoMC", "data": steps}
