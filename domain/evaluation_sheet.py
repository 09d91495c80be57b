# Storage contract: event classes below only gain fields; rename/move = register_topic.
"""A unit's TT 01/2018 evaluation sheet for a period (R-30, R-32).

Indices 2, 5, 6, 8 and 9 cannot be read off one dossier's history: the unit
enters them for the period (its self-score) and the unit above may enter an
appraised score, which then counts instead (Mẫu 2: "điểm tự chấm" beside
"điểm thẩm định"). One sheet per unit and period; each entry is an event, so
the log keeps every score ever given and who gave it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import ActorNotAllowedError, Bilingual, DomainError
from domain.values import AgencyCode, Role, Trace
from domain.visibility import unit_sees

ENTERED_INDICES = (2, 5, 6, 8, 9)
SCORES = (0, 1, 2)
MAX_PERIOD_DAYS = 366
EARLIEST = date(2018, 12, 21)
"""TT 01/2018 took effect (evaluations before it do not exist)."""


class EvaluationIndexError(DomainError):
    code = "EVALUATION_INDEX_INVALID"
    vi = "Chỉ số {a0} không do đơn vị nhập theo kỳ (chỉ các chỉ số 2, 5, 6, 8, 9)"
    en = "Index {a0} is not entered by the unit per period (only 2, 5, 6, 8, 9)"


class EvaluationScoreError(DomainError):
    code = "EVALUATION_SCORE_INVALID"
    vi = "Điểm của chỉ số {a0} phải là 0, 1 hoặc 2, không phải {a1}"
    en = "The score of index {a0} must be 0, 1 or 2, not {a1}"


class EvaluationPeriodError(DomainError):
    code = "EVALUATION_PERIOD_INVALID"
    vi = "Kỳ đánh giá không hợp lệ: {a0}"
    en = "Invalid evaluation period: {a0}"


def sheet_id(agency_code: str, first_day: date, last_day: date) -> UUID:
    return uuid5(
        NAMESPACE_URL,
        f"motcua:evaluation-sheet:{agency_code}:{first_day}:{last_day}",
    )


def checked_scores(scores: Mapping[int, int]) -> dict[str, int]:
    """Scores as stored (index as text), after every rule; raises on the first
    bad one so nothing is recorded."""
    if not scores:
        raise EvaluationIndexError("—")
    checked: dict[str, int] = {}
    for index, score in scores.items():
        if isinstance(index, bool) or index not in ENTERED_INDICES:
            raise EvaluationIndexError(index)
        if isinstance(score, bool) or score not in SCORES:
            raise EvaluationScoreError(index, score)
        checked[str(index)] = int(score)
    return checked


def check_period(first_day: date, last_day: date, today: date) -> None:
    if last_day < first_day:
        raise EvaluationPeriodError(
            Bilingual("ngày cuối trước ngày đầu", "it ends before it starts")
        )
    if (last_day - first_day).days >= MAX_PERIOD_DAYS:
        raise EvaluationPeriodError(Bilingual("dài hơn một năm", "longer than a year"))
    if first_day < EARLIEST or first_day > today:
        raise EvaluationPeriodError(
            Bilingual(
                "bắt đầu trước TT 01/2018 hoặc sau hôm nay",
                "starts before TT 01/2018 took effect or after today",
            )
        )


class EvaluationSheet(Aggregate):
    class Opened(Aggregate.Created):
        trace: Trace
        agency_code: str
        first_day: date
        last_day: date

        def apply(self, aggregate: EvaluationSheet) -> None:
            aggregate.agency_code = self.agency_code
            aggregate.first_day = self.first_day
            aggregate.last_day = self.last_day
            aggregate.self_scores = {}
            aggregate.appraised_scores = {}

    class Entered(Aggregate.Event):
        trace: Trace
        scores: dict[str, int]
        appraised: bool

        def apply(self, aggregate: EvaluationSheet) -> None:
            target = (
                aggregate.appraised_scores if self.appraised else aggregate.self_scores
            )
            target.update({int(i): s for i, s in self.scores.items()})

    agency_code: str
    first_day: date
    last_day: date
    self_scores: dict[int, int]
    appraised_scores: dict[int, int]

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @classmethod
    def open(
        cls, *, trace: Trace, agency_code: str, first_day: date, last_day: date
    ) -> EvaluationSheet:
        code = str(AgencyCode(agency_code))
        check_period(first_day, last_day, trace.at.date())
        return cls._create(
            cls.Opened,
            id=sheet_id(code, first_day, last_day),
            trace=trace,
            agency_code=code,
            first_day=first_day,
            last_day=last_day,
        )

    def enter(
        self, *, trace: Trace, scores: Mapping[int, int], appraised: bool
    ) -> None:
        """Self-scores by the unit's own staff (or a unit above it); an
        appraised score only by a unit above it."""
        checked = checked_scores(scores)
        actor = trace.actor
        if actor.role is not Role.SYSTEM:
            if actor.role is Role.CITIZEN or not unit_sees(
                actor.agency_code or "", self.agency_code
            ):
                raise ActorNotAllowedError(actor.id)
            if appraised and actor.agency_code == self.agency_code:
                raise ActorNotAllowedError(
                    Bilingual(
                        "đơn vị không tự thẩm định điểm của mình",
                        "a unit does not appraise its own scores",
                    )
                )
        self.trigger_event(
            self.Entered, trace=trace, scores=checked, appraised=appraised
        )

    @property
    def scores(self) -> dict[int, int]:
        """What counts: the appraised score where there is one."""
        return {**self.self_scores, **self.appraised_scores}
