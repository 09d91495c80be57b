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
from projections.ports import ReadStore, Sql, chunks, insert_rows

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
        "changes": "competent_agency TEXT NOT NULL, received_on TEXT NOT NULL, "
        "seq BIGINT NOT NULL, PRIMARY KEY (competent_agency, received_on)",
    }
    indexes = (("dossier", "received_on"), ("changes", "seq"))

    def table(self, logical: str) -> str:
        return f"rm_{self.name}_v{DEFINITIONS_VERSION}_{logical}{self.suffix}"

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self._facts: dict[str, DossierFacts] = {}
        self._dirty: set[str] = set()
        self._created: dict[str, tuple[str, str]] = {}
        """Rows new in this batch: the agency and procedure they were inserted
        with (an upsert never changes them, so later events of the batch must not)."""
        self._buckets: dict[tuple[str, str], int] = {}
        self._seq: int | None = None

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        """Load the batch's dossiers once; their events fold in memory and each
        changed row is written once (``end_batch``), not read and written per event."""
        self._facts.clear()
        self._dirty.clear()
        self._created.clear()
        self._buckets.clear()
        self._seq = None
        for part in chunks(sorted(originators), 500):
            marks = ", ".join("?" for _ in part)
            for key, text in sql.query(
                f"SELECT dossier_id, facts FROM {self.table('dossier')} "
                f"WHERE dossier_id IN ({marks})",
                part,
            ):
                self._facts[key] = DossierFacts.from_json(text)

    def end_batch(self, sql: Sql) -> None:
        rows = []
        for key in sorted(self._dirty):
            facts = self._facts[key]
            agency, procedure = self._created.get(
                key, (facts.competent_agency, facts.procedure_code)
            )
            rows.append(
                (
                    key,
                    reception_day(facts),
                    agency,
                    procedure,
                    facts.code,
                    facts.to_json(),
                )
            )
        insert_rows(
            sql,
            f"INSERT INTO {self.table('dossier')} (dossier_id, received_on, "
            "competent_agency, procedure_code, code, facts) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (dossier_id) DO UPDATE SET received_on = excluded.received_on, "
            "code = excluded.code, facts = excluded.facts",
            rows,
        )
        insert_rows(
            sql,
            f"INSERT INTO {self.table('changes')} (competent_agency, received_on, seq) "
            "VALUES (?, ?, ?) ON CONFLICT (competent_agency, received_on) "
            "DO UPDATE SET seq = excluded.seq",
            [(*bucket, seq) for bucket, seq in sorted(self._buckets.items())],
        )
        self._facts.clear()
        self._dirty.clear()
        self._created.clear()
        self._buckets.clear()
        self._seq = None

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Only dossier events change the facts."""

    @apply.register
    def dossier_event(self, event: DossierEvent, sql: Sql) -> None:
        key = str(event.originator_id)
        before = self._facts.get(key)
        if before is None and event.originator_version != 1:
            return  # a dossier lodged before this read model existed: rebuilt later
        try:
            after = evolve_facts(before, event)
        except TypeError:  # incl. NotCountedHere: another province's child
            return
        if before is None:
            self._created[key] = (after.competent_agency, after.procedure_code)
        self._facts[key] = after
        self._dirty.add(key)
        day = reception_day(after)
        if day is not None:
            self._touch(sql, after.competent_agency, day)
        self.changed.add(after.competent_agency)

    def _touch(self, sql: Sql, agency: str, day: str) -> None:
        """Move the bucket to the head of the national pull's order: one step per
        event, so the numbering is the same whatever the batch size."""
        if self._seq is None:
            ((last,),) = sql.query(
                f"SELECT COALESCE(MAX(seq), 0) FROM {self.table('changes')}"
            )
            self._seq = int(last)
        self._seq += 1
        self._buckets[(agency, day)] = self._seq


def period_end(last_day: date) -> datetime:
    """The end of a period's last day in Vietnam time."""
    return datetime.combine(last_day + timedelta(days=1), time(), VIETNAM)


class IndicatorView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        projection = IndicatorProjection()
        self.table = projection.table("dossier")
        self.changes_table = projection.table("changes")

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

    def bucket(self, agency_code: str, day: str) -> list[DossierFacts]:
        """The dossiers of one competent unit received on one day."""
        rows = self.store.query(
            f"SELECT facts FROM {self.table} WHERE competent_agency = ? "
            "AND received_on = ? ORDER BY dossier_id",
            (agency_code, day),
        )
        return [DossierFacts.from_json(text) for (text,) in rows]

    def changes(self, after: int, limit: int) -> tuple[int, list[tuple[str, str]]]:
        """Buckets changed after cursor ``after`` and the new cursor."""
        rows = self.store.query(
            f"SELECT seq, competent_agency, received_on FROM {self.changes_table} "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        )
        if not rows:
            return after, []
        return int(rows[-1][0]), [(str(a), str(d)) for _, a, d in rows]

    def synced(self, table: str) -> frozenset[str]:
        """Dossiers the national portal has accepted (``table``: the DVCQG sync
        state, absent when the sync never ran)."""
        exists = (
            f"SELECT to_regclass('{table}') IS NOT NULL"
            if self.store.dialect == "postgres"
            else f"SELECT COUNT(*) FROM sqlite_master WHERE name = '{table}'"
        )
        if not self.store.query(exists)[0][0]:
            return frozenset()
        rows = self.store.query(
            f"SELECT dossier_id FROM {table} WHERE state = 'synced'"
        )
        return frozenset(str(dossier_id) for (dossier_id,) in rows)

    def head(self) -> int:
        """The newest change's cursor (a subscription starts after it)."""
        ((last,),) = self.store.query(
            f"SELECT COALESCE(MAX(seq), 0) FROM {self.changes_table}"
        )
        return int(last)
