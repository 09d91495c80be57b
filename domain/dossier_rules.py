"""Which command is legal in which status and for which role (domain.md §3.3)."""

from __future__ import annotations

from enum import Enum

from domain.dossier_status import DossierStatus as S
from domain.values import Role


class Command(Enum):
    RECEIVE = "receive"
    REFUSE = "refuse"
    CHECK_DIGITAL_ACCOUNT = "check_digital_account"
    DIGITIZE_COMPONENT = "digitize_component"
    REUSE_COMPONENT = "reuse_component"
    SIGN_COMPONENT = "sign_component"
    FORWARD = "forward"
    REQUEST_SUPPLEMENT = "request_supplement"
    RECEIVE_SUPPLEMENT = "receive_supplement"
    REQUEST_PAYMENT = "request_payment"
    CONFIRM_PAYMENT = "confirm_payment"
    REAPPOINT = "reappoint"
    STOP = "stop"
    WITHDRAW = "withdraw"
    RESOLVE = "resolve"
    RETURN_RESULT = "return_result"
    RATE = "rate"
    TRANSFER_TO_SUCCESSOR = "transfer_to_successor"

    def label(self, language: str = "vi") -> str:
        vi, en = _LABELS[self]
        return en if language.startswith("en") else vi


_LABELS = {
    Command.RECEIVE: ("tiếp nhận", "receive"),
    Command.REFUSE: ("từ chối tiếp nhận", "refuse"),
    Command.CHECK_DIGITAL_ACCOUNT: (
        "kiểm tra tài khoản số",
        "check the digital account of",
    ),
    Command.DIGITIZE_COMPONENT: ("số hóa thành phần", "digitize a component of"),
    Command.REUSE_COMPONENT: ("tái sử dụng thành phần", "reuse a component for"),
    Command.SIGN_COMPONENT: ("ký số thành phần", "sign a component of"),
    Command.FORWARD: ("chuyển xử lý", "forward"),
    Command.REQUEST_SUPPLEMENT: ("yêu cầu bổ sung", "request a supplement for"),
    Command.RECEIVE_SUPPLEMENT: ("nhận bổ sung", "receive a supplement for"),
    Command.REQUEST_PAYMENT: ("yêu cầu nghĩa vụ tài chính", "request payment for"),
    Command.CONFIRM_PAYMENT: ("xác nhận thanh toán", "confirm payment for"),
    Command.REAPPOINT: ("xin lỗi và hẹn lại", "apologise and re-appoint"),
    Command.STOP: ("dừng xử lý", "stop"),
    Command.WITHDRAW: ("rút hồ sơ", "withdraw"),
    Command.RESOLVE: ("trả kết quả giải quyết", "resolve"),
    Command.RETURN_RESULT: ("trả kết quả", "return the result of"),
    Command.RATE: ("đánh giá", "rate"),
    Command.TRANSFER_TO_SUCCESSOR: (
        "chuyển cho đơn vị kế thừa",
        "transfer to the successor unit",
    ),
}

_WORKING = frozenset({S.RECEIVED, S.IN_PROGRESS})
LEGAL_FROM: dict[Command, frozenset[S]] = {
    Command.RECEIVE: frozenset({S.SUBMITTED}),
    Command.REFUSE: frozenset({S.SUBMITTED}),
    Command.CHECK_DIGITAL_ACCOUNT: frozenset({S.SUBMITTED, S.RECEIVED}),
    Command.DIGITIZE_COMPONENT: frozenset({S.RECEIVED, S.IN_PROGRESS}),
    Command.REUSE_COMPONENT: frozenset({S.RECEIVED, S.IN_PROGRESS}),
    Command.SIGN_COMPONENT: frozenset({S.RECEIVED, S.IN_PROGRESS}),
    Command.FORWARD: _WORKING,
    Command.REQUEST_SUPPLEMENT: _WORKING,
    Command.RECEIVE_SUPPLEMENT: frozenset({S.AWAITING_SUPPLEMENT}),
    Command.REQUEST_PAYMENT: _WORKING,
    Command.CONFIRM_PAYMENT: frozenset({S.AWAITING_PAYMENT}),
    Command.REAPPOINT: _WORKING,
    Command.STOP: frozenset({S.IN_PROGRESS, S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT}),
    Command.WITHDRAW: frozenset(
        {
            S.SUBMITTED,
            S.RECEIVED,
            S.IN_PROGRESS,
            S.AWAITING_SUPPLEMENT,
            S.AWAITING_PAYMENT,
        }
    ),
    Command.RESOLVE: frozenset({S.IN_PROGRESS}),
    Command.RETURN_RESULT: frozenset({S.RESOLVED}),
    Command.RATE: frozenset({S.RETURNED}),
    # In flight: not yet finished, or resolved and waiting to be returned.
    Command.TRANSFER_TO_SUCCESSOR: frozenset(
        {
            S.SUBMITTED,
            S.RECEIVED,
            S.IN_PROGRESS,
            S.AWAITING_SUPPLEMENT,
            S.AWAITING_PAYMENT,
            S.RESOLVED,
        }
    ),
}

_DESK = frozenset({Role.DESK})
_OFFICERS = frozenset({Role.DESK, Role.SPECIALIST, Role.LEADER})
ALLOWED_ROLES: dict[Command, frozenset[Role]] = {
    Command.RECEIVE: _DESK,
    Command.REFUSE: _DESK,
    Command.CHECK_DIGITAL_ACCOUNT: _DESK,
    Command.DIGITIZE_COMPONENT: _DESK,
    Command.REUSE_COMPONENT: _DESK,
    Command.SIGN_COMPONENT: _DESK,
    Command.FORWARD: _OFFICERS,
    Command.REQUEST_SUPPLEMENT: _OFFICERS,
    Command.RECEIVE_SUPPLEMENT: frozenset({Role.CITIZEN, Role.DESK, Role.SPECIALIST}),
    Command.REQUEST_PAYMENT: _OFFICERS,
    Command.CONFIRM_PAYMENT: frozenset({Role.DESK, Role.SYSTEM}),
    Command.REAPPOINT: frozenset({Role.SPECIALIST, Role.LEADER}),
    Command.STOP: frozenset({Role.LEADER}),
    Command.WITHDRAW: frozenset({Role.CITIZEN, Role.DESK}),
    Command.RESOLVE: frozenset({Role.LEADER}),
    Command.RETURN_RESULT: frozenset({Role.DESK, Role.SYSTEM}),
    Command.RATE: frozenset({Role.CITIZEN}),
    Command.TRANSFER_TO_SUCCESSOR: frozenset({Role.SYSTEM}),
}
