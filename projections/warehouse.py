"""The warehouse read model (Kho dữ liệu): documents per owner, searchable by
owner, type and validity; results hidden from their owner until returned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import singledispatchmethod
from typing import Any, ClassVar

from eventsourcing.utils import get_topic

from domain import dossier_events as events
from domain.digitized_document import DigitizedDocument, DocumentKind, validity_end
from projections.base import Projection, key_of, local_iso, utc
from projections.ports import ReadStore, Sql, chunks, insert_rows

_COLUMNS = (
    "document_id",
    "owner_id",
    "kind",
    "type_code",
    "number_symbol",
    "issued_on",
    "issuer",
    "signer",
    "valid_until",
    "permanent",
    "validity_scope",
    "summary",
    "digitizer",
    "agency_code",
    "dossier_id",
    "dossier_code",
    "item_code",
    "sha256",
    "size",
    "pages",
    "media_type",
    "digitized_at",
    "hidden",
    "reuse_count",
    "signatures",
)


@dataclass(frozen=True)
class WarehouseDocument:
    document_id: str
    owner_id: str
    kind: DocumentKind
    type_code: str
    number_symbol: str
    issued_on: date | None
    issuer: str
    signer: str
    valid_until: date | None
    permanent: bool
    validity_scope: str
    summary: str
    digitizer: str
    agency_code: str
    dossier_id: str | None
    dossier_code: str | None
    item_code: str
    sha256: str
    size: int
    pages: int
    media_type: str
    digitized_at: datetime | None
    hidden: bool
    reuse_count: int
    signatures: str
    """The latest validation's indication ("" when the file carries none)."""

    def valid_on(self, day: date) -> bool:
        return self.permanent or self.valid_until is None or day <= self.valid_until


class WarehouseProjection(Projection):
    name = "warehouse"
    topics = frozenset(
        get_topic(e)
        for e in (
            DigitizedDocument.Registered,
            DigitizedDocument.Reused,
            DigitizedDocument.Signed,
            DigitizedDocument.SignaturesValidated,
            events.Returned,
        )
    )
    tables: ClassVar[dict[str, str]] = {
        "documents": "document_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, "
        "kind TEXT NOT NULL, type_code TEXT NOT NULL, number_symbol TEXT NOT NULL, "
        "issued_on TEXT, issuer TEXT NOT NULL, signer TEXT NOT NULL, valid_until TEXT, "
        "permanent INTEGER NOT NULL, validity_scope TEXT NOT NULL, summary TEXT NOT NULL, "
        "digitizer TEXT NOT NULL, agency_code TEXT NOT NULL, dossier_id TEXT, "
        "dossier_code TEXT, item_code TEXT NOT NULL, sha256 TEXT NOT NULL, "
        "size BIGINT NOT NULL, pages INTEGER NOT NULL, media_type TEXT NOT NULL, "
        "digitized_at TEXT NOT NULL, hidden INTEGER NOT NULL, "
        "reuse_count INTEGER NOT NULL, signatures TEXT NOT NULL",
    }
    indexes = (
        ("documents", "owner_id, type_code"),
        ("documents", "dossier_id"),
    )

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self._rows: dict[str, dict[str, Any]] = {}
        self._results: dict[str, list[str]] = {}
        """Dossier id → its result documents among ``_rows`` (a return reveals them)."""
        self._dirty: set[str] = set()

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        """The batch's documents (and those of its dossiers, which a return
        reveals), folded in memory and each written once at ``end_batch``."""
        self.load_batch(sql, originators)()

    def load_batch(self, sql: Sql, originators: set[str]) -> Callable[[], None]:
        self._rows.clear()
        self._results.clear()
        self._dirty.clear()
        names = ", ".join(_COLUMNS)
        reads = []
        for part in chunks(sorted(originators), 500):
            marks = ", ".join("?" for _ in part)
            reads.append(
                sql.query_later(
                    f"SELECT {names} FROM {self.table('documents')} "
                    f"WHERE document_id IN ({marks}) OR dossier_id IN ({marks})",
                    [*part, *part],
                )
            )

        def finish() -> None:
            for read in reads:
                for values in read():
                    self._keep(dict(zip(_COLUMNS, values, strict=True)))

        return finish

    def end_batch(self, sql: Sql) -> None:
        names = ", ".join(_COLUMNS)
        marks = ", ".join("?" for _ in _COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
        insert_rows(
            sql,
            f"INSERT INTO {self.table('documents')} ({names}) VALUES ({marks}) "
            f"ON CONFLICT (document_id) DO UPDATE SET {updates}",
            [tuple(self._rows[k][c] for c in _COLUMNS) for k in sorted(self._dirty)],
        )
        self._rows.clear()
        self._results.clear()
        self._dirty.clear()

    def _keep(self, row: dict[str, Any]) -> None:
        key = row["document_id"]
        self._rows[key] = row
        if row["dossier_id"] is not None and row["kind"] == DocumentKind.RESULT.value:
            self._results.setdefault(row["dossier_id"], []).append(key)

    def _update(self, document_id: str, **changes: Any) -> None:
        row = self._rows.get(document_id)
        if row is not None:  # else registered before this read model saw it
            row.update(changes)
            self._dirty.add(document_id)

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events do not change the warehouse."""

    @apply.register
    def registered(self, event: DigitizedDocument.Registered, sql: Sql) -> None:
        meta, origin, file = event.metadata, event.origin, event.file
        end = validity_end(meta, event.trace.at)
        row = (
            key_of(event.originator_id),
            event.owner_id,
            event.kind.value,
            event.type_code,
            meta.number_symbol,
            None if meta.issued_on is None else meta.issued_on.isoformat(),
            meta.issuer,
            meta.signer,
            None if end is None else end.isoformat(),
            int(meta.permanent),
            meta.validity_scope,
            meta.summary,
            event.trace.actor.id,
            origin.agency_code,
            None if origin.dossier_id is None else str(origin.dossier_id),
            origin.dossier_code,
            origin.item_code,
            file.sha256,
            file.size,
            file.pages,
            file.media_type.value,
            utc(event.trace.at),
            int(event.kind is DocumentKind.RESULT),
            0,
            "",
        )
        if row[0] in self._rows:
            raise ValueError(f"document {row[0]} is already registered")
        self._keep(dict(zip(_COLUMNS, row, strict=True)))
        self._dirty.add(row[0])

    @apply.register
    def reused(self, event: DigitizedDocument.Reused, sql: Sql) -> None:
        key = key_of(event.originator_id)
        row = self._rows.get(key)
        if row is not None:
            self._update(key, reuse_count=int(row["reuse_count"]) + 1)

    @apply.register
    def signed(self, event: DigitizedDocument.Signed, sql: Sql) -> None:
        self._update(
            key_of(event.originator_id),
            sha256=event.file.sha256,
            size=event.file.size,
            pages=event.file.pages,
            signatures=event.check.indication,
        )

    @apply.register
    def validated(self, event: DigitizedDocument.SignaturesValidated, sql: Sql) -> None:
        self._update(key_of(event.originator_id), signatures=event.indication)

    @apply.register
    def returned(self, event: events.Returned, sql: Sql) -> None:
        for key in self._results.get(key_of(event.originator_id), ()):
            self._update(key, hidden=0)


class WarehouseView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.table = WarehouseProjection().table("documents")

    def search(
        self,
        owner_id: str,
        type_code: str | None = None,
        valid_on: date | None = None,
        *,
        include_hidden: bool = True,
        limit: int = 200,
    ) -> list[WarehouseDocument]:
        """An owner's documents, newest first; of one type, valid on a day."""
        where = ["owner_id = ?"]
        params: list[Any] = [owner_id]
        if type_code is not None:
            where.append("type_code = ?")
            params.append(type_code)
        if valid_on is not None:
            where.append("(valid_until IS NULL OR valid_until >= ?)")
            params.append(valid_on.isoformat())
        if not include_hidden:
            where.append("hidden = 0")
        rows = self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {self.table} "
            f"WHERE {' AND '.join(where)} ORDER BY digitized_at DESC, document_id "
            f"LIMIT {int(limit)}",
            tuple(params),
        )
        return [_document(row) for row in rows]


def _document(row: tuple[Any, ...]) -> WarehouseDocument:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["kind"] = DocumentKind(values["kind"])
    for key in ("issued_on", "valid_until"):
        values[key] = date.fromisoformat(values[key]) if values[key] else None
    values["digitized_at"] = local_iso(values["digitized_at"])
    values["permanent"] = bool(values["permanent"])
    values["hidden"] = bool(values["hidden"])
    values["size"] = int(values["size"])
    return WarehouseDocument(**values)
