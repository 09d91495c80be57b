"""The QĐ 766 read model: each dossier's indicator facts, keyed by reception day.

A row per dossier (its folded ``DossierFacts``) is what a number drills down
to; the indicator query aggregates the rows of a unit subtree and a range of
reception days. The table name carries the definitions' version, so a new
definition builds beside the old one, which keeps serving until it is ready.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache, singledispatchmethod
from typing import ClassVar
from zoneinfo import ZoneInfo

from domain.citizen_evaluation import (
    CITIZEN_INDICES,
    CitizenAssessment,
    CitizenEvaluation,
    assessment_of,
)
from domain.dossier_events import DossierEvent
from domain.evaluation_sheet import EvaluationSheet
from domain.indicator_facts import DossierFacts, evolve_facts, portal_accepted
from domain.indicator_tally import (
    COLUMNS,
    NOTHING,
    Tally,
    settled_at,
    tally_of,
    tally_segments,
)
from domain.indicators import DEFINITIONS_VERSION
from domain.portal_acceptance import PortalAcceptance, accepted_at
from domain.visibility import unit_sees
from projections.base import Projection, key_of, utc
from projections.ports import ReadStore, Row, Sql

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def reception_day(facts: DossierFacts) -> str | None:
    if facts.received_at is None:
        return None
    return _local_day(facts.received_at)


@lru_cache(maxsize=4096)
def _local_day(moment: datetime) -> str:
    """The Vietnamese calendar day of an instant (equal instants, one day):
    asked several times per event of each dossier (its bucket, its changes)."""
    return moment.astimezone(VIETNAM).date().isoformat()


UnitOf = Callable[[str, str], str]
"""(recorded unit, procedure) → the unit a figure is reported under."""

_SUMS = ", ".join(f"{c} BIGINT NOT NULL" for c in COLUMNS)
_CITIZEN_COLUMNS = ", ".join(f"index{i}" for i in CITIZEN_INDICES)


@dataclass(frozen=True)
class BucketKey:
    """A day bucket: the competent unit, the reception day and the procedure."""

    agency: str
    day: str
    procedure: str


def bucket_key(facts: DossierFacts) -> BucketKey | None:
    day = reception_day(facts)
    if day is None:
        return None
    return BucketKey(facts.competent_agency, day, facts.procedure_code)


Share = tuple[BucketKey, Tally, int, str | None]
"""What a dossier puts in its bucket: tally, pending count, settled time."""


def _share(facts: DossierFacts | None) -> Share | None:
    """What a dossier puts in its bucket: its tally once settled (judged at any
    period end after it settled), else one pending dossier."""
    if facts is None:
        return None
    key = bucket_key(facts)
    if key is None:
        return None
    settled = settled_at(facts)
    if settled is None:
        return key, NOTHING, 1, None
    return key, tally_of(facts, settled), 0, utc(settled)


FOREVER = "9999-12-31T00:00:00.000000+00:00"
"""A step that holds for good (a pending dossier's last)."""

Segment = tuple[str, str, int, Tally]
"""(from, reach, final, tally): a step of a dossier's tally the bucket does
not already hold, stored so the query can correct the bucket at any period
end. A step (final 0) holds from ``from`` until ``reach``; a settled
dossier's last step (final 1, from = reach) is what its bucket holds, taken
out again for a period ending before it."""


def segments_of(facts: DossierFacts | None) -> list[Segment]:
    """The rows by which a dossier's tally at a period end differs from its
    bucket share: none once it settled by the end of its reception day, the
    first period end that can count it."""
    if facts is None or facts.received_at is None:
        return []
    floor = utc(period_end(facts.received_at.astimezone(VIETNAM).date()))
    assert floor is not None
    settled_time = settled_at(facts)
    if settled_time is not None and (utc(settled_time) or "") <= floor:
        return []  # every step starts and ends by the floor: its bucket holds it
    steps = tally_segments(facts)
    if not steps:
        return []
    settled = settled_time is not None
    found: list[Segment] = []
    for index, (start, tally) in enumerate(steps):
        last = index == len(steps) - 1
        begin = utc(start)
        assert begin is not None
        if last and settled:
            if begin > floor:
                found.append((begin, begin, 1, tally))
            continue
        reach = FOREVER if last else utc(steps[index + 1][0])
        assert reach is not None
        if reach > floor and not tally.empty:
            found.append((begin, reach, 0, tally))
    return found


class IndicatorProjection(Projection):
    name = "indicators"
    reads_personal_data = False  # facts: moments, units, counts (no names, ids, texts)
    version = DEFINITIONS_VERSION * 100 + 5
    """Definitions version and storage layout (2: pre-summed day buckets;
    3: citizens' evaluations; 4: tally steps of dossiers not settled on their
    reception day; 5: the national portal's acceptances in the facts)."""
    tables: ClassVar[dict[str, str]] = {
        "dossier": "dossier_id TEXT PRIMARY KEY, received_on TEXT, "
        "competent_agency TEXT NOT NULL, procedure_code TEXT NOT NULL, "
        "code TEXT, facts TEXT NOT NULL",
        "changes": "competent_agency TEXT NOT NULL, received_on TEXT NOT NULL, "
        "seq BIGINT NOT NULL, PRIMARY KEY (competent_agency, received_on)",
        "sheet": "sheet_id TEXT PRIMARY KEY, agency_code TEXT NOT NULL, "
        "first_day TEXT NOT NULL, last_day TEXT NOT NULL, self_scores TEXT NOT NULL, "
        "appraised_scores TEXT NOT NULL",
        "bucket": "competent_agency TEXT NOT NULL, received_on TEXT NOT NULL, "
        "procedure_code TEXT NOT NULL, pending BIGINT NOT NULL, settled_until TEXT, "
        f"{_SUMS}, PRIMARY KEY (competent_agency, received_on, procedure_code)",
        "segment": "dossier_id TEXT NOT NULL, competent_agency TEXT NOT NULL, "
        "received_on TEXT NOT NULL, procedure_code TEXT NOT NULL, "
        f"valid_from TEXT NOT NULL, reach TEXT NOT NULL, final BIGINT NOT NULL, {_SUMS}",
        "citizen": "evaluation_id TEXT PRIMARY KEY, dossier_id TEXT NOT NULL, "
        "channel TEXT NOT NULL, given BIGINT NOT NULL, "
        + ", ".join(f"index{i} BIGINT" for i in CITIZEN_INDICES)
        + ", satisfaction TEXT, convenience TEXT",
    }
    indexes = (
        ("dossier", "received_on, competent_agency, procedure_code, dossier_id"),
        ("dossier", "code"),
        ("changes", "seq"),
        ("bucket", "received_on"),
        ("segment", "dossier_id"),
        ("segment", "received_on, reach"),
        ("citizen", "dossier_id"),
    )

    def rows(self, sql: Sql) -> dict[str, list[Row]]:
        found = super().rows(sql)
        found["bucket"] = sql.query(
            f"SELECT * FROM {self.table('bucket')} ORDER BY 1, 2, 3"
        )
        found["segment"] = sql.query(
            f"SELECT * FROM {self.table('segment')} ORDER BY dossier_id, valid_from, "
            "final"
        )
        return found

    def __init__(
        self, suffix: str = "", definitions: int = DEFINITIONS_VERSION
    ) -> None:
        super().__init__(suffix)
        self.definitions = definitions
        self._batch: Sql | None = None
        self._cached: dict[str, DossierFacts | None] = {}
        self._last_seq: int | None = None
        self._pending = _PendingWrites()
        self._shares: dict[str, Share | None] = {}
        """The share of each dossier this batch folded (its last ``_share``)."""

    @property
    def tracking_name(self) -> str:
        """Each definitions version is its own read model, rebuilt beside the
        previous one (version 1 keeps the name it always had)."""
        base = (
            self.name if self.definitions == 1 else f"{self.name}_v{self.definitions}"
        )
        return base + self.suffix

    def table(self, logical: str) -> str:
        return f"rm_{self.name}_v{self.definitions}_{logical}{self.suffix}"

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Only dossier events change the facts."""

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        """Read the batch's dossiers and the change cursor once: a query per
        event would wait for the pipeline every time. Only this batch's ``sql``
        uses them (an event applied alone after a failed batch reads afresh)."""
        self.load_batch(sql, originators)()

    def load_batch(self, sql: Sql, originators: set[str]) -> Callable[[], None]:
        self._batch = sql
        self._cached = dict.fromkeys(originators)
        self._pending = _PendingWrites()
        self._shares = {}
        keys = sorted(originators)
        reads = []
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ", ".join("?" for _ in part)
            reads.append(
                sql.query_later(
                    f"SELECT dossier_id, facts FROM {self.table('dossier')} "
                    f"WHERE dossier_id IN ({marks})",
                    part,
                )
            )
        last_seq = sql.query_later(
            f"SELECT COALESCE(MAX(seq), 0) FROM {self.table('changes')}"
        )

        def finish() -> None:
            for read in reads:
                for dossier_id, text in read():
                    self._cached[str(dossier_id)] = DossierFacts.from_json(text)
            ((last,),) = last_seq()
            self._last_seq = int(last)

        return finish

    def end_batch(self, sql: Sql) -> None:
        if self._batch is sql:
            self._write(sql, self._pending)
        self._batch = None
        self._cached = {}
        self._last_seq = None
        self._pending = _PendingWrites()
        self._shares = {}

    def _facts_of(self, sql: Sql, key: str) -> DossierFacts | None:
        if self._batch is sql and key in self._cached:
            return self._cached[key]
        found = sql.query(
            f"SELECT facts FROM {self.table('dossier')} WHERE dossier_id = ?", (key,)
        )
        return DossierFacts.from_json(found[0][0]) if found else None

    @apply.register
    def sheet_opened(self, event: EvaluationSheet.Opened, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.table('sheet')} (sheet_id, agency_code, first_day, "
            "last_day, self_scores, appraised_scores) VALUES (?, ?, ?, ?, '{}', '{}') "
            "ON CONFLICT (sheet_id) DO NOTHING",
            (
                key_of(event.originator_id),
                event.agency_code,
                event.first_day.isoformat(),
                event.last_day.isoformat(),
            ),
        )

    @apply.register
    def sheet_entered(self, event: EvaluationSheet.Entered, sql: Sql) -> None:
        column = "appraised_scores" if event.appraised else "self_scores"
        found = sql.query(
            f"SELECT {column} FROM {self.table('sheet')} WHERE sheet_id = ?",
            (key_of(event.originator_id),),
        )
        if not found:
            return
        scores = {**json.loads(found[0][0]), **event.scores}
        sql.execute(
            f"UPDATE {self.table('sheet')} SET {column} = ? WHERE sheet_id = ?",
            (json.dumps(scores, sort_keys=True), key_of(event.originator_id)),
        )

    @apply.register
    def citizen_opened(self, event: CitizenEvaluation.Opened, sql: Sql) -> None:
        nothing = ", ".join("NULL" for _ in CITIZEN_INDICES)
        sql.execute(
            f"INSERT INTO {self.table('citizen')} (evaluation_id, dossier_id, "
            f"channel, given, {_CITIZEN_COLUMNS}, satisfaction, convenience) "
            f"VALUES (?, ?, '', 0, {nothing}, NULL, NULL) "
            "ON CONFLICT (evaluation_id) DO NOTHING",
            (key_of(event.originator_id), str(event.dossier_id)),
        )

    @apply.register
    def citizen_given(self, event: CitizenEvaluation.Given, sql: Sql) -> None:
        """The latest form replaces the answers; the dossier's bucket is marked
        changed so the national pull and subscriptions see it."""
        key = key_of(event.originator_id)
        found = sql.query(
            f"SELECT dossier_id FROM {self.table('citizen')} WHERE evaluation_id = ?",
            (key,),
        )
        if not found:
            return
        scores = [event.scores.get(str(i)) for i in CITIZEN_INDICES]
        marks = ", ".join(f"index{i} = ?" for i in CITIZEN_INDICES)
        sql.execute(
            f"UPDATE {self.table('citizen')} SET channel = ?, given = given + 1, "
            f"{marks}, satisfaction = ?, convenience = ? WHERE evaluation_id = ?",
            (
                event.channel,
                *scores,
                event.satisfaction or None,
                event.convenience or None,
                key,
            ),
        )
        facts = self._facts_of(sql, str(found[0][0]))
        day = None if facts is None else reception_day(facts)
        if facts is not None and day is not None:
            batched = self._batch is sql
            pending = self._pending if batched else _PendingWrites()
            pending.touch(facts.competent_agency, day, self._next_seq(sql))
            if not batched:
                self._write(sql, pending)
            self.changed.add(facts.competent_agency)

    @apply.register
    def dossier_event(self, event: DossierEvent, sql: Sql) -> None:
        key = key_of(event.originator_id)
        before = self._facts_of(sql, key)
        if before is None and event.originator_version != 1:
            return  # a dossier lodged before this read model existed: rebuilt later
        try:
            after = evolve_facts(before, event)
        except TypeError:
            return
        self._evolved(sql, key, before, after)

    @apply.register
    def portal_accepted(self, event: PortalAcceptance.Accepted, sql: Sql) -> None:
        """DVCQG holds the dossier from then on (1.4): a fact of the dossier's,
        recorded on a stream of its own."""
        key = str(event.dossier_id)
        before = self._facts_of(sql, key)
        if before is None:
            return  # not a dossier of this log's (or lodged before the read model)
        self._evolved(sql, key, before, portal_accepted(before, accepted_at(event)))

    def _evolved(
        self, sql: Sql, key: str, before: DossierFacts | None, after: DossierFacts
    ) -> None:
        batched = self._batch is sql
        pending = self._pending if batched else _PendingWrites()
        share = _share(after)
        # The share taken out is the one this batch last put in, when it did.
        was = self._shares[key] if batched and key in self._shares else _share(before)
        if batched:
            self._cached[key] = after
            self._shares[key] = share
        pending.dossier(key, after)
        pending.move(was, share)
        pending.steps(key, after)
        day = reception_day(after)
        if day is not None:
            pending.touch(after.competent_agency, day, self._next_seq(sql))
        if not batched:
            self._write(sql, pending)
        self.changed.add(after.competent_agency)

    def _next_seq(self, sql: Sql) -> int:
        """The national pull's next cursor: one step per event, so the numbering
        is the same whatever the batch size."""
        if self._batch is sql and self._last_seq is not None:
            last = self._last_seq
        else:
            ((last,),) = sql.query(
                f"SELECT COALESCE(MAX(seq), 0) FROM {self.table('changes')}"
            )
        if self._batch is sql:
            self._last_seq = int(last) + 1
        return int(last) + 1

    def _write(self, sql: Sql, pending: _PendingWrites) -> None:
        """A batch's folded writes as one multi-row statement per table: the
        same rows the events would leave written one at a time."""
        if pending.dossiers:
            sql.insert_rows(
                f"INSERT INTO {self.table('dossier')} (dossier_id, received_on, "
                "competent_agency, procedure_code, code, facts) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dossier_id) DO UPDATE "
                "SET received_on = excluded.received_on, code = excluded.code, "
                "facts = excluded.facts",
                [
                    (
                        key,
                        reception_day(facts),
                        agency,
                        procedure,
                        facts.code,
                        facts.to_json(),
                    )
                    for key, (agency, procedure, facts) in pending.dossiers.items()
                ],
            )
        if pending.buckets:
            table = self.table("bucket")
            names = ", ".join(COLUMNS)
            marks = ", ".join("?" for _ in COLUMNS)
            sums = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COLUMNS)
            sql.insert_rows(
                f"INSERT INTO {table} (competent_agency, received_on, procedure_code, "
                f"pending, settled_until, {names}) VALUES (?, ?, ?, ?, ?, {marks}) "
                "ON CONFLICT (competent_agency, received_on, procedure_code) DO UPDATE "
                f"SET pending = {table}.pending + excluded.pending, "
                "settled_until = CASE WHEN excluded.settled_until IS NOT NULL AND "
                f"({table}.settled_until IS NULL OR excluded.settled_until > "
                f"{table}.settled_until) THEN excluded.settled_until "
                f"ELSE {table}.settled_until END, {sums}",
                [
                    (
                        key.agency,
                        key.day,
                        key.procedure,
                        waiting,
                        settled,
                        *tally.values(),
                    )
                    for key, (tally, waiting, settled) in pending.buckets.items()
                ],
            )
        if pending.stepped:
            self._write_segments(sql, pending.stepped)
        if pending.changes:
            sql.insert_rows(
                f"INSERT INTO {self.table('changes')} (competent_agency, received_on, "
                "seq) VALUES (?, ?, ?) ON CONFLICT (competent_agency, received_on) "
                "DO UPDATE SET seq = excluded.seq",
                [(agency, day, seq) for (agency, day), seq in pending.changes.items()],
            )

    def _write_segments(self, sql: Sql, stepped: dict[str, DossierFacts]) -> None:
        """A dossier's steps are replaced whole: computed once per batch from
        its last facts."""
        table = self.table("segment")
        keys = sorted(stepped)
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ", ".join("?" for _ in part)
            sql.execute(f"DELETE FROM {table} WHERE dossier_id IN ({marks})", part)
        rows = []
        for key in keys:
            facts = stepped[key]
            bucket = bucket_key(facts)
            if bucket is None:
                continue
            for begin, reach, final, tally in segments_of(facts):
                rows.append(
                    (
                        key,
                        bucket.agency,
                        bucket.day,
                        bucket.procedure,
                        begin,
                        reach,
                        final,
                        *tally.values(),
                    )
                )
        if rows:
            names = ", ".join(COLUMNS)
            marks = ", ".join("?" for _ in COLUMNS)
            sql.insert_rows(
                f"INSERT INTO {table} (dossier_id, competent_agency, received_on, "
                f"procedure_code, valid_from, reach, final, {names}) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, {marks})",
                rows,
            )


class _PendingWrites:
    """A batch's writes folded per row: a dossier's last facts, a bucket's summed
    deltas (sums and the latest settled time commute), a change's last cursor."""

    def __init__(self) -> None:
        self.dossiers: dict[str, tuple[str, str, DossierFacts]] = {}
        self.buckets: dict[BucketKey, tuple[Tally, int, str | None]] = {}
        self.changes: dict[tuple[str, str], int] = {}
        self.stepped: dict[str, DossierFacts] = {}

    def steps(self, key: str, facts: DossierFacts) -> None:
        self.stepped[key] = facts

    def dossier(self, key: str, facts: DossierFacts) -> None:
        # An existing row keeps its unit and procedure (the upsert updates the
        # rest), so a row first written in this batch keeps its first ones.
        first = self.dossiers.get(key)
        agency, procedure = (
            (facts.competent_agency, facts.procedure_code)
            if first is None
            else first[:2]
        )
        self.dossiers[key] = (agency, procedure, facts)

    def move(self, old: Share | None, new: Share | None) -> None:
        """Take the dossier's old share out of its bucket and put the new one in."""
        deltas: dict[BucketKey, tuple[Tally, int, str | None]] = {}
        if old is not None:
            key, tally, pending, _ = old
            deltas[key] = (NOTHING - tally, -pending, None)
        if new is not None:
            key, tally, pending, settled = new
            was, waiting, _ = deltas.get(key, (NOTHING, 0, None))
            deltas[key] = (was + tally, waiting + pending, settled)
        for key, (tally, pending, settled) in deltas.items():
            if tally.empty and pending == 0 and settled is None:
                continue
            found = self.buckets.get(key)
            if found is not None:
                summed, waiting, latest = found
                tally, pending = summed + tally, waiting + pending
                if settled is None or (latest is not None and latest >= settled):
                    settled = latest
            self.buckets[key] = (tally, pending, settled)

    def touch(self, agency: str, day: str, seq: int) -> None:
        self.changes[(agency, day)] = seq


def period_end(last_day: date) -> datetime:
    """The end of a period's last day in Vietnam time."""
    return datetime.combine(last_day + timedelta(days=1), time(), VIETNAM)


TRACKING = "rm_tracking"
"""The runtime's position table (``projections.runtime.TRACKING``)."""
_VERSIONED = re.compile(r"indicators(?:_v(\d+))?")


def table_exists(store: ReadStore, table: str) -> bool:
    exists = (
        f"SELECT to_regclass('{table}') IS NOT NULL"
        if store.dialect == "postgres"
        else f"SELECT COUNT(*) FROM sqlite_master WHERE name = '{table}'"
    )
    return bool(store.query(exists)[0][0])


def serving_definitions(store: ReadStore) -> int:
    """The definitions version queries are answered from: the newest one whose
    read model has caught up with the furthest of them. While a new version
    rebuilds from the log, the previous one keeps serving; once the new one
    has reached it, it takes over."""
    if not table_exists(store, TRACKING):
        return DEFINITIONS_VERSION
    rows = store.query(f"SELECT name, position FROM {TRACKING}")
    built: dict[int, int] = {}
    for name, position in rows:
        found = _VERSIONED.fullmatch(str(name))
        if found is not None:
            built[int(found.group(1) or 1)] = int(position)
    if not built:
        return DEFINITIONS_VERSION
    furthest = max(built.values())
    return max(v for v, position in built.items() if position >= furthest)


class IndicatorView:
    def __init__(self, store: ReadStore, definitions: int | None = None) -> None:
        self.store = store
        self.definitions = (
            serving_definitions(store) if definitions is None else definitions
        )
        projection = IndicatorProjection(definitions=self.definitions)
        self.projection = projection
        self.table = projection.table("dossier")
        self.changes_table = projection.table("changes")
        self.sheet_table = projection.table("sheet")

    def facts(
        self,
        agency_code: str,
        first_day: date,
        last_day: date,
        unit_of: UnitOf | None = None,
    ) -> list[DossierFacts]:
        """Dossiers received in the period whose competent unit (reported as
        ``unit_of`` says, see ``tallies``) lies in the subtree.

        A dossier counts once, for its competent unit, however many units it
        passed through."""
        rows = self.store.query(
            f"SELECT competent_agency, facts FROM {self.table} "
            "WHERE received_on >= ? AND received_on <= ? ORDER BY received_on, dossier_id",
            (first_day.isoformat(), last_day.isoformat()),
        )
        found = []
        for agency, text in rows:
            if unit_of is None:
                if unit_sees(agency_code, agency):
                    found.append(DossierFacts.from_json(text))
                continue
            facts = DossierFacts.from_json(text)
            if unit_sees(agency_code, unit_of(agency, facts.procedure_code)):
                found.append(facts)
        return found

    def tallies(
        self,
        agency_code: str,
        first_day: date,
        last_day: date,
        complained: frozenset[str] = frozenset(),
        unit_of: UnitOf | None = None,
        days: str = "day",
        procedures: bool = True,
    ) -> list[tuple[BucketKey, Tally]]:
        """The period's counts per bucket, judged at the period's end.

        The database sums the settled buckets as finely as the caller needs:
        per ``days`` ("day"; "month": the key's day is the month's first;
        "all": the period's first day) and per procedure only when asked
        (a split unit's successor depends on it), always per unit.

        ``unit_of(agency, procedure)`` names the unit a bucket is reported
        under (today's successor, say) before the subtree is applied; by
        default the unit recorded on the dossier.

        The buckets hold what each settled dossier counts for good; the steps
        of the dossiers not settled by the period end (``segments_of``)
        correct them: the database sums both, no dossier is decoded (the
        national portal's acceptances, 1.4, are facts like any other). Dossiers
        complained about (5.4, TT 01/2018 index 7) are corrected one by one:
        there are few of them."""
        end = period_end(last_day)
        bounds = (first_day.isoformat(), last_day.isoformat())
        bucket = self.projection.table("bucket")
        found: list[tuple[BucketKey, Tally]] = []

        inside: dict[str, bool] = {}

        def keep(agency: str, day: str, procedure: str, tally: Tally) -> None:
            unit = agency if unit_of is None else unit_of(agency, procedure)
            seen = inside.get(unit)
            if seen is None:
                seen = inside[unit] = unit_sees(agency_code, unit)
            if seen:
                found.append((BucketKey(unit, day, procedure), tally))

        def keys() -> tuple[str, str, str]:
            """The day key, the procedure key and the GROUP BY list."""
            day_key = {
                "day": "received_on",
                "month": "substr(received_on, 1, 7) || '-01'",
                "all": "'" + bounds[0] + "'",
            }[days]
            procedure_key = "procedure_code" if procedures else "''"
            groups = ["competent_agency"]  # constants are not grouped by
            groups += [day_key] if days != "all" else []
            groups += [procedure_key] if procedures else []
            return day_key, procedure_key, ", ".join(groups)

        day_key, procedure_key, grouping = keys()
        sums = ", ".join(f"SUM({c})" for c in COLUMNS)
        for agency, day, procedure, *values in self.store.query(
            f"SELECT competent_agency, {day_key}, {procedure_key}, {sums} "
            f"FROM {bucket} WHERE received_on >= ? AND received_on <= ? "
            f"AND received > 0 GROUP BY {grouping}",
            bounds,
        ):
            keep(str(agency), str(day), str(procedure), Tally(*map(int, values)))
        signed = ", ".join(
            f"SUM(CASE WHEN final = 1 THEN -{c} ELSE {c} END)" for c in COLUMNS
        )
        moment = utc(end)
        for agency, day, procedure, *values in self.store.query(
            f"SELECT competent_agency, {day_key}, {procedure_key}, {signed} "
            f"FROM {self.projection.table('segment')} "
            "WHERE received_on >= ? AND received_on <= ? AND reach > ? "
            f"AND (final = 1 OR valid_from <= ?) GROUP BY {grouping}",
            (*bounds, moment, moment),
        ):
            keep(str(agency), str(day), str(procedure), Tally(*map(int, values)))
        for facts in self._by_codes(sorted(complained), bounds):
            key = bucket_key(facts)
            if key is not None:
                keep(
                    key.agency,
                    key.day,
                    key.procedure,
                    tally_of(facts, end, complained=True) - tally_of(facts, end),
                )
        return found

    def _by_codes(
        self, codes: list[str], bounds: tuple[str, str]
    ) -> list[DossierFacts]:
        found: list[DossierFacts] = []
        for start in range(0, len(codes), 500):
            part = codes[start : start + 500]
            marks = ", ".join("?" for _ in part)
            found.extend(
                DossierFacts.from_json(text)
                for (text,) in self.store.query(
                    f"SELECT facts FROM {self.table} WHERE code IN ({marks}) "
                    "AND received_on >= ? AND received_on <= ?",
                    (*part, *bounds),
                )
            )
        return found

    def entered(
        self, agency_code: str, first_day: date, last_day: date
    ) -> dict[int, int]:
        """TT 01/2018 indices the unit entered for exactly this period (the
        appraised score where the unit above gave one)."""
        rows = self.store.query(
            f"SELECT self_scores, appraised_scores FROM {self.sheet_table} "
            "WHERE agency_code = ? AND first_day = ? AND last_day = ?",
            (agency_code, first_day.isoformat(), last_day.isoformat()),
        )
        if not rows:
            return {}
        own, appraised = rows[0]
        merged = {**json.loads(own), **json.loads(appraised)}
        return {int(index): int(score) for index, score in merged.items()}

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

    def head(self) -> int:
        """The newest change's cursor (a subscription starts after it)."""
        ((last,),) = self.store.query(
            f"SELECT COALESCE(MAX(seq), 0) FROM {self.changes_table}"
        )
        return int(last)


@dataclass(frozen=True)
class CitizenRow:
    """One evaluated dossier as the drill-down shows it (no personal data)."""

    code: str
    procedure_code: str
    competent_agency: str
    received_on: str
    channel: str
    scores: dict[int, int]
    satisfaction: str | None
    convenience: str | None


class CitizenView:
    """Citizens' evaluations of the dossiers received in a period, by the
    dossier's competent unit (as ``IndicatorView.facts`` counts them)."""

    def __init__(self, view: IndicatorView) -> None:
        self.store = view.store
        self.dossiers = view.table
        self.table = view.projection.table("citizen")

    def assessment(
        self,
        agency_code: str,
        first_day: date,
        last_day: date,
        unit_of: UnitOf | None = None,
    ) -> CitizenAssessment:
        """Summed by the database per unit, procedure and answer; the subtree
        (and a mapping to successors) is applied to those few groups."""
        indices = ", ".join(
            f"COUNT(c.index{i}), COALESCE(SUM(c.index{i}), 0)" for i in CITIZEN_INDICES
        )
        rows = self.store.query(
            f"SELECT d.competent_agency, d.procedure_code, c.channel, c.satisfaction, "
            f"c.convenience, COUNT(*), {indices} FROM {self.table} c "
            f"JOIN {self.dossiers} d ON d.dossier_id = c.dossier_id "
            "WHERE c.given > 0 AND d.received_on >= ? AND d.received_on <= ? "
            "GROUP BY d.competent_agency, d.procedure_code, c.channel, "
            "c.satisfaction, c.convenience",
            (first_day.isoformat(), last_day.isoformat()),
        )
        found = CitizenAssessment()
        for agency, procedure, channel, satisfied, convenient, count, *sums in rows:
            unit = str(agency) if unit_of is None else unit_of(agency, procedure)
            if not unit_sees(agency_code, unit):
                continue
            one = assessment_of(str(channel), {}, satisfied, convenient)
            found += CitizenAssessment(
                int(count),
                one.online * int(count),
                one.paper * int(count),
                tuple(int(v) for v in sums[0::2]),
                tuple(int(v) for v in sums[1::2]),
                tuple(v * int(count) for v in one.satisfaction),
                tuple(v * int(count) for v in one.convenience),
            )
        return found

    def dossiers_of(
        self,
        agency_code: str,
        first_day: date,
        last_day: date,
        unit_of: UnitOf | None = None,
        index: int | None = None,
    ) -> list[CitizenRow]:
        """The evaluated dossiers (with ``index``: those whose citizen gave it
        less than 2 points), oldest reception first."""
        columns = ", ".join(f"c.index{i}" for i in CITIZEN_INDICES)
        rows = self.store.query(
            f"SELECT d.code, d.procedure_code, d.competent_agency, d.received_on, "
            f"c.channel, c.satisfaction, c.convenience, {columns} FROM {self.table} c "
            f"JOIN {self.dossiers} d ON d.dossier_id = c.dossier_id "
            "WHERE c.given > 0 AND d.received_on >= ? AND d.received_on <= ? "
            "ORDER BY d.received_on, d.code",
            (first_day.isoformat(), last_day.isoformat()),
        )
        found = []
        for code, procedure, agency, day, channel, satisfied, convenient, *s in rows:
            unit = str(agency) if unit_of is None else unit_of(agency, procedure)
            if not unit_sees(agency_code, unit):
                continue
            scores = {
                i: int(v)
                for i, v in zip(CITIZEN_INDICES, s, strict=True)
                if v is not None
            }
            if index is not None and scores.get(index, 2) >= 2:
                continue
            found.append(
                CitizenRow(
                    str(code or ""),
                    str(procedure),
                    str(agency),
                    str(day),
                    str(channel),
                    scores,
                    satisfied,
                    convenient,
                )
            )
        return found
