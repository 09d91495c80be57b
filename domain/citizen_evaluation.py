# Storage contract: event classes below only gain fields; rename/move = register_topic.
"""A citizen's evaluation of how one dossier was handled (TT 01/2018, R-32).

The evaluation form (Phiếu đánh giá việc giải quyết TTHC) is handed out with
the receipt, the supplement request and the refusal slip, and offered online
on the portal. The citizen scores the indices they perceive themselves
(``CITIZEN_INDICES``, 0/1/2 as in domain.md §2.6) and answers the
satisfaction questions. Online it is the applicant's own act; a paper form is
entered by a desk officer on the citizen's behalf (channel ``paper``); both
go through ``checked_answers`` and ``CitizenEvaluation.give``.

One aggregate per dossier. A later evaluation supersedes the earlier one for
the figures (the form handed out with the receipt is often filled in only
when the result is collected, and a citizen who evaluated at reception may
judge the total time only at the end); every answer stays in the log with
who gave it and through which channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.dossier_status import DossierStatus
from domain.dossier_values import Satisfaction
from domain.errors import ActorNotAllowedError, Bilingual, DomainError
from domain.values import Actor, Role, Trace
from domain.visibility import DossierNotVisibleError

CITIZEN_INDICES = (1, 3, 4, 6, 7)
"""Indices a citizen perceives: total time, contacts to complete the dossier,
bodies contacted, publication of the procedure, officers' attitude. Indices
2, 5, 8 and 9 describe a unit's internal steps and period figures."""
SCORES = (0, 1, 2)

INDEX_TEXTS: dict[int, tuple[str, tuple[str, str, str]]] = {
    1: (
        "Tổng thời gian giải quyết TTHC so với thời gian cho phép theo quy định",
        ("Quá hạn", "Đúng hạn", "Trước hạn"),
    ),
    3: (
        "Số lần phải liên hệ với nơi tiếp nhận để hoàn thiện hồ sơ (kể cả trực tuyến)",
        ("Nhiều hơn một lần", "Một lần", "Không phải liên hệ"),
    ),
    4: (
        "Số lượng cơ quan, đơn vị, tổ chức phải liên hệ để hoàn thiện hồ sơ",
        (
            "Nhiều hơn một cơ quan, đơn vị",
            "Chỉ Bộ phận Một cửa (và cơ quan pháp luật quy định)",
            "Không phải liên hệ",
        ),
    ),
    6: (
        "Công khai các thủ tục hành chính",
        (
            "Không công khai hoặc công khai không đầy đủ",
            "Công khai bằng niêm yết hoặc điện tử",
            "Công khai chính xác, đầy đủ, kịp thời cả niêm yết và điện tử",
        ),
    ),
    7: (
        "Thái độ của cán bộ, công chức, viên chức khi hướng dẫn, tiếp nhận, giải quyết",
        (
            "Có phản ánh, kiến nghị về hành vi nhũng nhiễu, gây phiền hà",
            "Giải quyết đúng hạn, không có phản ánh",
            "Giải quyết trước hạn, không có phản ánh",
        ),
    ),
}
"""Index → (name, descriptions of 0, 1 and 2 points), domain.md §2.6."""


class Question(StrEnum):
    """The satisfaction questions of the form (Rất hài lòng / Hài lòng / Không)."""

    OVERALL = "overall"
    CONVENIENCE = "convenience"

    def label(self, language: str = "vi") -> str:
        vi, en = _QUESTIONS[self]
        return en if language.startswith("en") else vi


_QUESTIONS = {
    Question.OVERALL: (
        "Đánh giá chung về việc giải quyết thủ tục hành chính",
        "Overall evaluation of how the procedure was handled",
    ),
    Question.CONVENIENCE: (
        "Mức độ thuận tiện khi thực hiện thủ tục hành chính",
        "Convenience of carrying out the procedure",
    ),
}
SATISFACTION_LABELS = {
    Satisfaction.VERY_SATISFIED: "Rất hài lòng",
    Satisfaction.SATISFIED: "Hài lòng",
    Satisfaction.DISSATISFIED: "Không hài lòng",
}


class EvaluationChannel(StrEnum):
    ONLINE = "online"
    PAPER = "paper"


class CitizenIndexError(DomainError):
    code = "CITIZEN_EVALUATION_INDEX_INVALID"
    vi = "Chỉ số {a0} không do người dân đánh giá (chỉ các chỉ số 1, 3, 4, 6, 7)"
    en = "Index {a0} is not one a citizen evaluates (only 1, 3, 4, 6, 7)"


class CitizenScoreError(DomainError):
    code = "CITIZEN_EVALUATION_SCORE_INVALID"
    vi = "Điểm của chỉ số {a0} phải là 0, 1 hoặc 2, không phải {a1}"
    en = "The score of index {a0} must be 0, 1 or 2, not {a1}"


class CitizenSatisfactionError(DomainError):
    code = "CITIZEN_EVALUATION_SATISFACTION_INVALID"
    vi = "Mức độ hài lòng không hợp lệ: {a0} (rất hài lòng, hài lòng, không hài lòng)"
    en = "Invalid satisfaction level: {a0} (very satisfied, satisfied, dissatisfied)"


class EmptyEvaluationError(DomainError):
    code = "CITIZEN_EVALUATION_EMPTY"
    vi = "Phiếu đánh giá chưa có câu trả lời nào"
    en = "The evaluation form has no answer"


class EvaluationTooEarlyError(DomainError):
    code = "CITIZEN_EVALUATION_TOO_EARLY"
    vi = "Hồ sơ {a0} chưa được tiếp nhận hoặc từ chối, chưa thể đánh giá"
    en = "Dossier {a0} has not been received or refused yet: nothing to evaluate"


_EVALUATIONS = UUID("5d0b8a52-7f3e-4c1a-9e6b-2a4f8c3d1e07")


def evaluation_id(dossier_id: UUID) -> UUID:
    return uuid5(_EVALUATIONS, str(dossier_id))


def checked_answers(
    scores: Mapping[int, int],
    satisfaction: Satisfaction | None = None,
    convenience: Satisfaction | None = None,
) -> dict[str, int]:
    """The scores as stored (index as text) after every rule; raises on the
    first bad one so that nothing is recorded. A form may leave indices
    unanswered (a citizen who evaluates at reception cannot judge the total
    time yet) but must answer something."""
    if not scores and satisfaction is None and convenience is None:
        raise EmptyEvaluationError()
    checked: dict[str, int] = {}
    for index, score in scores.items():
        if (
            isinstance(index, bool)
            or not isinstance(index, int)
            or index not in CITIZEN_INDICES
        ):
            raise CitizenIndexError(index)
        if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
            raise CitizenScoreError(index, score)
        checked[str(index)] = score
    for answer in (satisfaction, convenience):
        if answer is not None and not isinstance(answer, Satisfaction):
            raise CitizenSatisfactionError(answer)
    return dict(sorted(checked.items()))


@dataclass(frozen=True)
class DossierSide:
    """What the rule needs to know about the dossier being evaluated."""

    dossier_id: UUID
    code: str | None
    status: DossierStatus
    visible_to: bool


def channel_of(actor: Actor, dossier: DossierSide) -> EvaluationChannel:
    """Who may evaluate, and through which channel: the applicant online; a
    desk officer of a unit seeing the dossier enters a paper form. An unseen
    dossier answers like an unknown one; a dossier the desk has not yet dealt
    with (received or refused) has nothing to evaluate."""
    if actor.role is not Role.SYSTEM and not dossier.visible_to:
        raise DossierNotVisibleError(dossier.code or str(dossier.dossier_id))
    if actor.role is Role.CITIZEN:
        channel = EvaluationChannel.ONLINE
    elif actor.role is Role.DESK:
        channel = EvaluationChannel.PAPER
    else:
        raise ActorNotAllowedError(
            Bilingual(
                "chỉ người nộp hồ sơ hoặc cán bộ một cửa (phiếu giấy)",
                "only the applicant, or a desk officer for a paper form",
            )
        )
    if dossier.status is DossierStatus.SUBMITTED:
        raise EvaluationTooEarlyError(dossier.code or str(dossier.dossier_id))
    return channel


class CitizenEvaluation(Aggregate):
    class Opened(Aggregate.Created):
        trace: Trace
        dossier_id: UUID
        dossier_code: str = ""

        def apply(self, aggregate: CitizenEvaluation) -> None:
            aggregate.dossier_id = self.dossier_id
            aggregate.dossier_code = self.dossier_code
            aggregate.scores = {}
            aggregate.satisfaction = None
            aggregate.convenience = None
            aggregate.channel = None
            aggregate.given = 0

    class Given(Aggregate.Event):
        """One filled-in form; it replaces the previous answers."""

        trace: Trace
        scores: dict[str, int]
        channel: str = EvaluationChannel.ONLINE.value
        satisfaction: str = ""
        convenience: str = ""

        def apply(self, aggregate: CitizenEvaluation) -> None:
            aggregate.scores = {int(i): s for i, s in self.scores.items()}
            aggregate.satisfaction = (
                Satisfaction(self.satisfaction) if self.satisfaction else None
            )
            aggregate.convenience = (
                Satisfaction(self.convenience) if self.convenience else None
            )
            aggregate.channel = EvaluationChannel(self.channel)
            aggregate.given += 1

    dossier_id: UUID
    dossier_code: str
    scores: dict[int, int]
    satisfaction: Satisfaction | None
    convenience: Satisfaction | None
    channel: EvaluationChannel | None
    given: int

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @classmethod
    def open(cls, *, trace: Trace, dossier: DossierSide) -> CitizenEvaluation:
        channel_of(trace.actor, dossier)
        return cls._create(
            cls.Opened,
            id=evaluation_id(dossier.dossier_id),
            trace=trace,
            dossier_id=dossier.dossier_id,
            dossier_code=dossier.code or "",
        )

    def give(
        self,
        *,
        trace: Trace,
        dossier: DossierSide,
        scores: Mapping[int, int],
        satisfaction: Satisfaction | None = None,
        convenience: Satisfaction | None = None,
    ) -> None:
        checked = checked_answers(scores, satisfaction, convenience)
        channel = channel_of(trace.actor, dossier)
        self.trigger_event(
            self.Given,
            trace=trace,
            scores=checked,
            channel=channel.value,
            satisfaction=satisfaction.value if satisfaction else "",
            convenience=convenience.value if convenience else "",
        )


@dataclass(frozen=True)
class CitizenAssessment:
    """Citizens' answers summed over a unit and period (the latest form of
    each dossier): shown beside the system-computed indices, never mixed into
    the TT 01/2018 total (see ``domain.evaluation``)."""

    evaluations: int = 0
    online: int = 0
    paper: int = 0
    answers: tuple[int, ...] = (0,) * len(CITIZEN_INDICES)
    """Per index of ``CITIZEN_INDICES``: forms that scored it."""
    sums: tuple[int, ...] = (0,) * len(CITIZEN_INDICES)
    satisfaction: tuple[int, ...] = (0, 0, 0)
    """Very satisfied, satisfied, dissatisfied (the overall question)."""
    convenience: tuple[int, ...] = (0, 0, 0)

    def __add__(self, other: CitizenAssessment) -> CitizenAssessment:
        def add(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(x + y for x, y in zip(a, b, strict=True))

        return CitizenAssessment(
            self.evaluations + other.evaluations,
            self.online + other.online,
            self.paper + other.paper,
            add(self.answers, other.answers),
            add(self.sums, other.sums),
            add(self.satisfaction, other.satisfaction),
            add(self.convenience, other.convenience),
        )

    def average(self, index: int) -> float | None:
        """Mean score of ``index`` over the forms that scored it (2 decimals)."""
        position = CITIZEN_INDICES.index(index)
        answered = self.answers[position]
        if not answered:
            return None
        return round(self.sums[position] / answered, 2)


_LEVELS = (
    Satisfaction.VERY_SATISFIED,
    Satisfaction.SATISFIED,
    Satisfaction.DISSATISFIED,
)


def _counts(answer: str | None) -> tuple[int, ...]:
    return tuple(int(answer == level.value) for level in _LEVELS)


def assessment_of(
    channel: str,
    scores: Mapping[int, int],
    satisfaction: str | None,
    convenience: str | None,
) -> CitizenAssessment:
    """One dossier's latest form as a sum of one."""
    return CitizenAssessment(
        1,
        int(channel == EvaluationChannel.ONLINE.value),
        int(channel == EvaluationChannel.PAPER.value),
        tuple(int(i in scores) for i in CITIZEN_INDICES),
        tuple(scores.get(i, 0) for i in CITIZEN_INDICES),
        _counts(satisfaction),
        _counts(convenience),
    )
