"""The QĐ 766 read model: each dossier's indicator facts, keyed by reception day.

A row per dossier (its folded ``DossierFacts``) is what a number drills down
to; the indicator query aggregates the rows of a unit subtree and a range of
reception days. The table name carries the definitions' version, so a new
definition builds beside the old one, which keeps serving until it is ready.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import singledispatchmethod
from typing import ClassVar
from zoneinfo import ZoneInfo

from domain.dossier_events import DossierEvent
from domain.indicator_facts import DossierFacts, evolve_facts
from domain.indicators import DEFINITIONS_VERSION
from domain.visibility import unit_sees
from projections.base import Projection
from projections.ports import ReadStore, Sql

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def reception_day(facts: DossierFacts) -> str | None:
    if facts.received_at is None:
        return None
    return facts.received_at.astimezone(VIETNAM).date().isoformat()


class IndicatorProjection(Projection):
    name = "indicators"
    version = DEFINITIONS_VERSION
    tables: ClassVar[dict[str, str]] = {
        "dossier": "dossier_id TEXT PRIMARY KEY, received_on TEXT, "
        "competent_agency TEXT NOT NULL, procedure_code TEXT NOT NULL, "
        "code TEXT, facts TEXT NOT NULL",
    }
    indexes = (("dossier", "received_on"),)

    def table(self, logical: str) -> str:
        return f"rm_{self.name}_v{DEFINITIONS_VERSION}_{logical}{self.suffix}"

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Only dossier events change the facts."""

    @apply.register
    def dossier_event(self, event: DossierEvent, sql: Sql) -> None:
        key = str(event.originator_id)
        found = sql.query(
            f"SELECT facts FROM {self.table('dossier')} WHERE dossier_id = ?", (key,)
        )
        before = DossierFacts.from_json(found[0][0]) if found else None
        if before is None and event.originator_version != 1:
            return  # a dossier lodged before this read model existed: rebuilt later
        try:
            after = evolve_facts(before, event)
        except TypeError:
            return
        sql.execute(
            f"INSERT INTO {self.table('dossier')} (dossier_id, received_on, "
            "competent_agency, procedure_code, code, facts) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (dossier_id) DO UPDATE SET received_on = excluded.received_on, "
            "code = excluded.code, facts = excluded.facts",
            (
                key,
                reception_day(after),
                after.competent_agency,
                after.procedure_code,
                after.code,
                after.to_json(),
            ),
        )
        self.changed.add(after.competent_agency)


def period_end(last_day: date) -> datetime:
    """The end of a period's last day in Vietnam time."""
    return datetime.combine(last_day + timedelta(days=1), time(), VIETNAM)


class IndicatorView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.table = IndicatorProjection().table("dossier")

    def facts(
        self, agency_code: str, first_day: date, last_day: date
    ) -> list[DossierFacts]:
        """Dossiers received in the period whose competent unit lies in the subtree.

        A dossier counts once, for its competent unit, however many units it
        passed through."""
        rows = self.store.query(
            f"SELECT competent_agency, facts FROM {self.table} "
            "WHERE received_on >= ? AND received_on <= ? ORDER BY received_on, dossier_id",
            (first_day.isoformat(), last_day.isoformat()),
        )
        return [
            DossierFacts.from_json(text)
            for agency, text in rows
            if unit_sees(agency_code, agency)
        ]
