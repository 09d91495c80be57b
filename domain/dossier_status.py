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


class Completion(Enum):
    """What the public lookup shows for a status: a completion level, nothing else."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_APPLICANT = "waiting_for_applicant"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    CLOSED = "closed"

    def label(self, language: str = "vi") -> str:
        vi, en = _COMPLETION_LABELS[self]
        return en if language.startswith("en") else vi

    @classmethod
    def of(cls, status: DossierStatus) -> Completion | None:
        """None before reception (submitted or refused): no code, nothing to look up."""
        return _COMPLETION[status]


_COMPLETION_LABELS = {
    Completion.RECEIVED: ("Đã tiếp nhận", "Received"),
    Completion.IN_PROGRESS: ("Đang giải quyết", "Being processed"),
    Completion.WAITING_FOR_APPLICANT: (
        "Chờ người nộp bổ sung hoặc thực hiện nghĩa vụ tài chính",
        "Waiting for the applicant",
    ),
    Completion.RESULT_READY: ("Đã có kết quả", "Result ready"),
    Completion.RETURNED: ("Đã trả kết quả", "Result returned"),
    Completion.CLOSED: ("Đã kết thúc xử lý", "Closed"),
}
_COMPLETION: dict[DossierStatus, Completion | None] = {
    DossierStatus.SUBMITTED: None,
    DossierStatus.RECEIVED: Completion.RECEIVED,
    DossierStatus.REFUSED: None,  # refused before reception: never had a code
    DossierStatus.IN_PROGRESS: Completion.IN_PROGRESS,
    DossierStatus.AWAITING_SUPPLEMENT: Completion.WAITING_FOR_APPLICANT,
    DossierStatus.AWAITING_PAYMENT: Completion.WAITING_FOR_APPLICANT,
    DossierStatus.WITHDRAWN: Completion.CLOSED,
    DossierStatus.STOPPED: Completion.CLOSED,
    DossierStatus.RESOLVED: Completion.RESULT_READY,
    DossierStatus.RETURNED: Completion.RETURNED,
}


def status_from_national_code(code: int) -> DossierStatus:
    for status, (national, _, _) in _NATIONAL.items():
        if national == code:
            return status
    raise ValueError(code)
