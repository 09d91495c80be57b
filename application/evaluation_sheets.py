"""Unit-entered TT 01/2018 indices (2, 5, 6, 8, 9) on the one-stop event store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.onestop import OneStop
from domain.evaluation_sheet import (
    EvaluationSheet,
    check_period,
    checked_scores,
    sheet_id,
)
from domain.values import AgencyCode, Trace


class EvaluationSheets:
    def __init__(self, app: OneStop) -> None:
        self.app = app

    def enter(
        self,
        *,
        trace: Trace,
        agency_code: str,
        first_day: date,
        last_day: date,
        scores: Mapping[int, int],
        appraised: bool = False,
    ) -> UUID:
        """Record the unit's scores for the period (every value checked before
        anything is recorded); the sheet is opened by its first entry."""
        code = str(AgencyCode(agency_code))
        checked_scores(scores)
        check_period(first_day, last_day, trace.at.date())
        found = sheet_id(code, first_day, last_day)
        try:
            sheet: EvaluationSheet = self.app.repository.get(found)
        except AggregateNotFoundError:
            sheet = EvaluationSheet.open(
                trace=trace, agency_code=code, first_day=first_day, last_day=last_day
            )
        sheet.enter(trace=trace, scores=scores, appraised=appraised)
        self.app.save(sheet)
        return sheet.id

    def scores(
        self, agency_code: str, first_day: date, last_day: date
    ) -> dict[int, int]:
        try:
            sheet: EvaluationSheet = self.app.repository.get(
                sheet_id(str(AgencyCode(agency_code)), first_day, last_day)
            )
        except AggregateNotFoundError:
            return {}
        return sheet.scores
