"""DVCQG sync: which dossiers the national portal must learn about, and sending them.

Two halves, each safe on its own:

* **tracking** follows the log (position ``dvcqg`` in ``integration_tracking``)
  and marks each dossier an event touched in ``dvcqg_sync`` with the latest
  version seen — marks and position in one transaction, so nothing is skipped
  or marked twice;
* **sending** takes due rows, folds the dossier from its events, POSTs the
  ``DongBoHoSoMC`` record (create, or update once the portal has it; "already
  exists" → update) and the new ``CapNhatTienDoHoSoMC`` steps, and records how
  far each got. A failure backs the row off exponentially and is shown (error
  and backlog in ``/readyz``); the rest go on.

``dvcqg_sync`` is the per-dossier sync state (a projection of the log plus
delivery outcomes). The portal's first acceptance of a dossier goes into the
log (``PortalAcceptance``, indicator 1.4), then ``accepted`` is marked: a
crash in between records it again, which the stream refuses as a duplicate.
Rows accepted before the event existed are recorded on the next round
(``record_acceptances``), counted from the dossier's reception as the table
had counted them. Dossiers without a
reception are not synced yet (``waiting``); child dossiers (liên thông,
cross-province) never are (``child``): their parent carries the citizen's one
submission.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from adapters.dvcqg import payloads
from adapters.dvcqg.client import (
    AlreadyExistsError,
    NotOnPortalError,
    PortalClient,
    PortalError,
    PortalOptions,
)
from adapters.integration.positions import TABLE as TRACKING
from adapters.integration.positions import Positions
from application.clock import trace_for
from domain.dossier import Dossier
from domain.portal_acceptance import PortalAcceptance
from domain.values import Actor, Role
from projections.dead_letters import describe
from projections.ports import ReadStore, Sql, table_columns

log = structlog.get_logger("dvcqg")

NAME = "dvcqg"
TABLE = "dvcqg_sync"
DOSSIER_TOPICS = "domain.dossier:Dossier."
IDLE_SECONDS = 0.5
SENDER = Actor("motcua-dvcqg", Role.SYSTEM)
UPGRADED = -1
"""``accepted`` of a row the portal accepted before acceptances were events."""
UNKNOWN = 2
"""``accepted`` of an upgraded row whose dossier this log does not hold (a
sync table restored beside another log): nothing to record, never retried."""


@dataclass(frozen=True)
class SyncOptions:
    portal: PortalOptions
    download_base_url: str = "http://127.0.0.1:8000"
    batch_size: int = 500
    retry_base: float = 1.0
    """Seconds before a failed dossier is tried again; doubles per failure."""
    retry_max: float = 300.0


def _now() -> datetime:
    return datetime.now(UTC)


def ensure(sql: Sql) -> None:
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (dossier_id TEXT PRIMARY KEY, "
        "code TEXT NOT NULL, seen_version INTEGER NOT NULL, "
        "record_version INTEGER NOT NULL, steps_version INTEGER NOT NULL, "
        "created INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, "
        "error TEXT NOT NULL, next_attempt_at TEXT NOT NULL, synced_at TEXT NOT NULL, "
        "accepted INTEGER NOT NULL DEFAULT 0)"
    )
    _add_accepted(sql)
    sql.execute(
        f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (state, next_attempt_at)"
    )
    # Indicator 1.4 reads the log's acceptances now, not this table.
    sql.execute(f"DROP INDEX IF EXISTS {TABLE}_synced")
    sql.execute(
        f"CREATE INDEX IF NOT EXISTS {TABLE}_unrecorded ON {TABLE} (dossier_id) "
        "WHERE created = 1 AND accepted < 1"
    )


def _add_accepted(sql: Sql) -> None:
    """The column a table made before acceptances were events lacks. Its
    accepted rows are marked ``UPGRADED``: recorded on the next round, counted
    from the dossier's reception as the table had counted them."""
    if "accepted" not in table_columns(sql, TABLE):
        sql.execute(
            f"ALTER TABLE {TABLE} ADD COLUMN accepted INTEGER NOT NULL DEFAULT 0"
        )
        sql.execute(f"UPDATE {TABLE} SET accepted = ? WHERE created = 1", (UPGRADED,))


def failing_count(store: ReadStore) -> int:
    """Dossiers the portal has not accepted yet after a failure (index lookup)."""
    found = store.query(f"SELECT COUNT(*) FROM {TABLE} WHERE state = 'failing'")
    return int(found[0][0]) if found else 0


@dataclass(frozen=True)
class SyncRow:
    dossier_id: str
    code: str
    state: str
    seen_version: int
    record_version: int
    steps_version: int
    created: bool
    attempts: int
    error: str


_COLUMNS = (
    "dossier_id, code, state, seen_version, record_version, steps_version, "
    "created, attempts, error"
)


def rows(
    store: ReadStore, where: str = "", params: tuple[Any, ...] = ()
) -> dict[str, SyncRow]:
    """Sync rows (all, or those matching ``where``), by dossier id."""
    return {
        str(r[0]): SyncRow(
            dossier_id=str(r[0]),
            code=str(r[1]),
            state=str(r[2]),
            seen_version=int(r[3]),
            record_version=int(r[4]),
            steps_version=int(r[5]),
            created=bool(r[6]),
            attempts=int(r[7]),
            error=str(r[8]),
        )
        for r in store.query(f"SELECT {_COLUMNS} FROM {TABLE} {where}", params)
    }


class DvcqgSync:
    name = NAME

    def __init__(
        self, app: Application[UUID], store: ReadStore, options: SyncOptions
    ) -> None:
        self.app = app
        self.store = store
        self.options = options
        self.links = payloads.Links(options.download_base_url)
        self.positions = Positions(store, NAME)
        with store.schema() as sql:
            ensure(sql)
        self.client: PortalClient | None = None

    # -- tracking ---------------------------------------------------------

    def track(self) -> int:
        """Mark the dossiers of the next batch of events; how many events it read."""
        with self.store.transaction() as sql:
            (row,) = sql.query(
                f"SELECT position FROM {TRACKING} WHERE name = ?", (NAME,)
            )
            position = int(row[0])
            notifications = self.app.recorder.select_notifications(
                start=position,
                limit=self.options.batch_size,
                inclusive_of_start=False,
            )
            if not notifications:
                return 0
            latest: dict[str, int] = {}
            for n in notifications:
                if n.topic.startswith(DOSSIER_TOPICS):
                    latest[str(n.originator_id)] = n.originator_version
            for dossier_id, version in sorted(latest.items()):
                sql.execute(
                    f"INSERT INTO {TABLE} (dossier_id, code, seen_version, "
                    "record_version, steps_version, created, state, attempts, error, "
                    "next_attempt_at, synced_at) "
                    "VALUES (?, '', ?, 0, 0, 0, 'pending', 0, '', '', '') "
                    "ON CONFLICT (dossier_id) DO UPDATE SET "
                    "seen_version = excluded.seen_version, state = CASE "
                    f"WHEN {TABLE}.state IN ('child', 'failing') THEN {TABLE}.state "
                    "ELSE 'pending' END "
                    f"WHERE {TABLE}.seen_version < excluded.seen_version",
                    (dossier_id, version),
                )
            sql.execute(
                f"UPDATE {TRACKING} SET position = ?, updated_at = ? WHERE name = ?",
                (notifications[-1].id, _now().isoformat(), NAME),
            )
            return len(notifications)

    def due(self, limit: int = 50) -> list[SyncRow]:
        due = rows(
            self.store,
            "WHERE state IN ('pending', 'failing') AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, dossier_id LIMIT ?",
            (_now().isoformat(), limit),
        )
        return list(due.values())

    # -- sending ----------------------------------------------------------

    def fold(self, row: SyncRow) -> tuple[Dossier | None, list[Any], list[int]]:
        """The dossier at its last seen version, its events, and the national
        status after each event."""
        events: list[Any] = list(
            self.app.events.get(UUID(row.dossier_id), lte=row.seen_version)
        )
        dossier: Any = None
        statuses = []
        for event in events:
            dossier = event.mutate(dossier)
            statuses.append(dossier.status.national_code)
        return dossier, events, statuses

    def _field(self, dossier: Dossier) -> str:
        try:
            procedure: Any = self.app.repository.get(
                dossier.procedure_id, version=dossier.procedure_version
            )
            return str(procedure.definition.field_code)
        except Exception:  # an older catalogue entry: the code is optional
            return ""

    async def sync_one(self, client: PortalClient, row: SyncRow) -> None:
        dossier, events, statuses = await asyncio.to_thread(self.fold, row)
        if dossier is None or not payloads.is_synced(dossier):
            await asyncio.to_thread(self._finish, row, "waiting", "")
            return
        if payloads.is_child(dossier):
            await asyncio.to_thread(self._finish, row, "child", dossier.code)
            return
        code = str(dossier.code)
        if row.record_version < row.seen_version:
            record = payloads.dossier_record(
                dossier, events, self.links, field_code=self._field(dossier)
            )
            created = row.created
            try:
                await client.call(payloads.create_or_update([record], updating=created))
            except AlreadyExistsError:
                await client.call(payloads.create_or_update([record], updating=True))
            except NotOnPortalError:  # the portal lost it: create it again
                await client.call(payloads.create_or_update([record], updating=False))
            await asyncio.to_thread(self._recorded, row, code)
        received = next(
            (
                i
                for i, e in enumerate(events)
                if payloads.event_kind(e) in ("ReceivedAtDesk", "Received")
            ),
            0,
        )
        new = [
            (e, s)
            for e, s in zip(events[received:], statuses[received:], strict=True)
            if e.originator_version > row.steps_version
        ]
        for start in range(0, len(new), payloads.STEP_BATCH):
            part = new[start : start + payloads.STEP_BATCH]
            steps = payloads.progress_steps(
                code, [e for e, _ in part], [s for _, s in part]
            )
            await client.call(payloads.progress(steps))
            last = part[-1][0].originator_version
            await asyncio.to_thread(self._steps_sent, row.dossier_id, last)
        await asyncio.to_thread(self._finish, row, "synced", code)

    def _recorded(self, row: SyncRow, code: str) -> None:
        with self.store.transaction() as sql:
            sql.execute(
                f"UPDATE {TABLE} SET record_version = ?, created = 1, code = ? "
                "WHERE dossier_id = ?",
                (row.seen_version, code, row.dossier_id),
            )
        if not row.created:
            self._accepted(row.dossier_id)

    def _accepted(self, dossier_id: str, since: datetime | None = None) -> None:
        """The portal holds the dossier: into the log once, then marked."""
        acceptance = PortalAcceptance.accept(
            trace=trace_for(SENDER), dossier_id=UUID(dossier_id), since=since
        )
        # A conflict: recorded before a crash kept it from being marked.
        with contextlib.suppress(IntegrityError):
            self.app.save(acceptance)
        self._mark(dossier_id, 1)

    def _mark(self, dossier_id: str, accepted: int) -> None:
        with self.store.transaction() as sql:
            sql.execute(
                f"UPDATE {TABLE} SET accepted = ? WHERE dossier_id = ?",
                (accepted, dossier_id),
            )

    def record_acceptances(self, limit: int = 200) -> int:
        """Record the acceptances not in the log yet: those given before they
        were events (counted from the dossier's reception) and one a crash kept
        from being recorded (counted from now: no earlier moment is known)."""
        found = self.store.query(
            f"SELECT dossier_id, accepted FROM {TABLE} "
            "WHERE created = 1 AND accepted < 1 ORDER BY dossier_id LIMIT ?",
            (limit,),
        )
        recorded = 0
        for dossier_id, accepted in found:
            since = None
            if int(accepted) == UPGRADED:
                try:
                    dossier: Any = self.app.repository.get(UUID(str(dossier_id)))
                except AggregateNotFoundError:
                    # One such row must not hold back the rows after it.
                    log.warning("dvcqg.acceptance_without_dossier", dossier=dossier_id)
                    self._mark(str(dossier_id), UNKNOWN)
                    continue
                since = dossier.received_at
            self._accepted(str(dossier_id), since)
            recorded += 1
        return recorded

    def _steps_sent(self, dossier_id: str, version: int) -> None:
        with self.store.transaction() as sql:
            sql.execute(
                f"UPDATE {TABLE} SET steps_version = ? WHERE dossier_id = ?",
                (version, dossier_id),
            )

    def _finish(self, row: SyncRow, state: str, code: str | None) -> None:
        """Done up to ``row.seen_version`` unless a newer event came meanwhile."""
        with self.store.transaction() as sql:
            sql.execute(
                f"UPDATE {TABLE} SET state = CASE WHEN seen_version > ? "
                "THEN 'pending' ELSE ? END, code = ?, attempts = 0, error = '', "
                "next_attempt_at = '', synced_at = ?, "
                "record_version = CASE WHEN ? = 'synced' THEN record_version "
                "ELSE ? END WHERE dossier_id = ?",
                (
                    row.seen_version,
                    state,
                    code or "",
                    _now().isoformat(),
                    state,
                    row.seen_version,
                    row.dossier_id,
                ),
            )

    def _failed(self, row: SyncRow, error: str) -> None:
        attempts = row.attempts + 1
        delay = min(
            self.options.retry_base * 2 ** (attempts - 1), self.options.retry_max
        )
        with self.store.transaction() as sql:
            sql.execute(
                f"UPDATE {TABLE} SET state = 'failing', attempts = ?, error = ?, "
                "next_attempt_at = ? WHERE dossier_id = ?",
                (
                    attempts,
                    error[:500],
                    (_now() + timedelta(seconds=delay)).isoformat(),
                    row.dossier_id,
                ),
            )
        self.positions.failed(f"{row.code or row.dossier_id}: {error}")

    async def send_due(self, client: PortalClient) -> int:
        due = await asyncio.to_thread(self.due)
        failures = 0
        for row in due:
            try:
                await self.sync_one(client, row)
            except PortalError as error:
                failures += 1
                log.warning(
                    "dvcqg_sync_failed", dossier=row.dossier_id, error=str(error)
                )
                await asyncio.to_thread(self._failed, row, str(error))
        if due and not failures:
            await asyncio.to_thread(self.positions.healthy)
        return len(due)

    async def run(
        self, stop: threading.Event, wakeup: Callable[[float], None] | None = None
    ) -> None:
        client = self.client = PortalClient(self.options.portal)
        try:
            while not stop.is_set():
                try:
                    tracked = await asyncio.to_thread(self.track)
                    recorded = await asyncio.to_thread(self.record_acceptances)
                    sent = await self.send_due(client)
                    if not tracked and not sent and not recorded:
                        await asyncio.to_thread(wakeup or stop.wait, IDLE_SECONDS)
                except Exception as error:
                    log.exception("dvcqg_sync_round_failed")
                    try:
                        await asyncio.to_thread(self.positions.failed, describe(error))
                    except Exception:
                        log.exception("dvcqg_state_not_recorded")
                    await asyncio.to_thread(stop.wait, 1.0)
        finally:
            await client.close()
