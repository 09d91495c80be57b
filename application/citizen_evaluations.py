"""Citizens' evaluations of their dossiers (R-32) on the one-stop event store:
online by the applicant, or a paper form entered at the desk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.errors import VersionConflictError
from application.onestop import OneStop
from domain.citizen_evaluation import (
    CitizenEvaluation,
    DossierSide,
    EvaluationChannel,
    channel_of,
    checked_answers,
    evaluation_id,
)
from domain.dossier_values import Satisfaction
from domain.values import Trace

ATTEMPTS = 3
"""A concurrent evaluation of the same dossier wins the race; ours is then
applied on top of it (the later one supersedes, so the retry is the rule)."""


@dataclass(frozen=True)
class EvaluationGiven:
    evaluation_id: UUID
    dossier_id: UUID
    code: str | None
    channel: EvaluationChannel
    scores: dict[int, int]
    satisfaction: Satisfaction | None
    convenience: Satisfaction | None
    log_position: int


class CitizenEvaluations:
    def __init__(self, app: OneStop) -> None:
        self.app = app

    def give(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        scores: Mapping[int, int],
        satisfaction: Satisfaction | None = None,
        convenience: Satisfaction | None = None,
    ) -> EvaluationGiven:
        """Record one filled-in form: every answer, the actor and the dossier's
        state are checked before any event exists."""
        checked_answers(scores, satisfaction, convenience)
        dossier = self.app.get_dossier(dossier_id)
        side = DossierSide(
            dossier_id=dossier.id,
            code=dossier.code,
            status=dossier.status,
            visible_to=dossier.visible_to(trace.actor),
        )
        channel_of(trace.actor, side)
        for _ in range(ATTEMPTS):
            found = self._get(dossier_id)
            pending = found or CitizenEvaluation.open(trace=trace, dossier=side)
            pending.give(
                trace=trace,
                dossier=side,
                scores=scores,
                satisfaction=satisfaction,
                convenience=convenience,
            )
            try:
                recordings = self.app.save(pending)
            except IntegrityError:
                continue
            position = recordings[-1].notification.id if recordings else 0
            return EvaluationGiven(
                pending.id,
                dossier.id,
                dossier.code,
                pending.channel or EvaluationChannel.ONLINE,
                dict(pending.scores),
                pending.satisfaction,
                pending.convenience,
                position,
            )
        raise VersionConflictError(actual="?", expected="?")

    def _get(self, dossier_id: UUID) -> CitizenEvaluation | None:
        try:
            found: object = self.app.repository.get(evaluation_id(dossier_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, CitizenEvaluation) else None

    def current(self, dossier_id: UUID) -> CitizenEvaluation | None:
        """The answers that count now (the latest form)."""
        return self._get(dossier_id)
