"""Dossier timeline: who did what, when, in human terms (for officers and reviewers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod
from typing import Any, ClassVar
from uuid import UUID

from domain.dossier_events import DossierEvent
from projections.base import Projection, key_of, local_iso, utc
from projections.ports import ReadStore, Sql
from projections.timeline_text import describe


@dataclass(frozen=True)
class TimelineEntry:
    dossier_id: str
    version: int
    event_type: str
    at: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str
    actor_agency: str | None
    actor_department: str | None
    summary_vi: str
    summary_en: str
    reason: str | None

    def summary(self, language: str = "vi") -> str:
        return self.summary_en if language.startswith("en") else self.summary_vi


class TimelineProjection(Projection):
    name = "timeline"
    tables: ClassVar[dict[str, str]] = {
        "entries": "dossier_id TEXT NOT NULL, version BIGINT NOT NULL, "
        "event_type TEXT NOT NULL, at TEXT NOT NULL, recorded_at TEXT NOT NULL, "
        "actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, actor_agency TEXT, "
        "actor_department TEXT, summary_vi TEXT NOT NULL, summary_en TEXT NOT NULL, "
        "reason TEXT, PRIMARY KEY (dossier_id, version)",
    }

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Only dossier events appear on a timeline."""

    @apply.register
    def dossier_event(self, event: DossierEvent, sql: Sql) -> None:
        vi, en = describe(event)
        actor = event.trace.actor
        sql.append(
            f"INSERT INTO {self.table('entries')} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key_of(event.originator_id),
                event.originator_version,
                type(event).__name__,
                utc(event.trace.at),
                utc(event.timestamp),
                actor.id,
                actor.role.value,
                actor.agency_code,
                actor.department,
                vi,
                en,
                getattr(event, "reason", None),
            ),
        )


class TimelineView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.table = TimelineProjection().table("entries")

    def entries(self, dossier_id: UUID | str) -> list[TimelineEntry]:
        rows = self.store.query(
            f"SELECT * FROM {self.table} WHERE dossier_id = ? ORDER BY version",
            (str(dossier_id),),
        )
        return [_entry(row) for row in rows]


def _entry(row: tuple[Any, ...]) -> TimelineEntry:
    values = list(row)
    values[3] = local_iso(values[3])
    values[4] = local_iso(values[4])
    return TimelineEntry(*values)
