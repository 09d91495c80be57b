"""Dossier statuses and the national 1–10 catalogue (domain.md §3.2)."""

from __future__ import annotations

from enum import Enum


class DossierStatus(Enum):
    SUBMITTED = "submitted"
    RECEIVED = "received"
    REFUSED = "refused"
    IN_PROGRESS = "in_progress"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    AWAITING_PAYMENT = "awaiting_payment"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    RESOLVED = "resolved"
    RETURNED = "returned"

    @property
    def national_code(self) -> int:
        return _NATIONAL[self][0]

    def label(self, language: str = "vi") -> str:
        vi, en = _NATIONAL[self][1:]
        return en if language.startswith("en") else vi

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_open(self) -> bool:
        return self in OPEN


_NATIONAL: dict[DossierStatus, tuple[int, str, str]] = {
    DossierStatus.SUBMITTED: (1, "Mới đăng ký", "Submitted"),
    DossierStatus.RECEIVED: (2, "Được tiếp nhận", "Received"),
    DossierStatus.REFUSED: (3, "Không được tiếp nhận", "Refused"),
    DossierStatus.IN_PROGRESS: (4, "Đang xử lý", "In progress"),
    DossierStatus.AWAITING_SUPPLEMENT: (
        5,
        "Yêu cầu bổ sung giấy tờ",
        "Supplement requested",
    ),
    DossierStatus.AWAITING_PAYMENT: (
        6,
        "Yêu cầu thực hiện nghĩa vụ tài chính",
        "Payment requested",
    ),
    DossierStatus.WITHDRAWN: (7, "Công dân yêu cầu rút hồ sơ", "Withdrawn"),
    DossierStatus.STOPPED: (8, "Dừng xử lý", "Stopped"),
    DossierStatus.RESOLVED: (9, "Đã xử lý xong", "Resolved"),
    DossierStatus.RETURNED: (10, "Đã trả kết quả", "Result returned"),
}

TERMINAL = frozenset(
    {
        DossierStatus.REFUSED,
        DossierStatus.WITHDRAWN,
        DossierStatus.STOPPED,
        DossierStatus.RETURNED,
    }
)
OPEN = frozenset(
    {
        DossierStatus.RECEIVED,
        DossierStatus.IN_PROGRESS,
        DossierStatus.AWAITING_SUPPLEMENT,
        DossierStatus.AWAITING_PAYMENT,
    }
)
PAUSED = frozenset({DossierStatus.AWAITING_SUPPLEMENT, DossierStatus.AWAITING_PAYMENT})


def status_from_national_code(code: int) -> DossierStatus:
    for status, (national, _, _) in _NATIONAL.items():
        if national == code:
            return status
    raise ValueError(code)
