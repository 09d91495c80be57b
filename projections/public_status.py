"""Anonymous lookup: a dossier code and its completion level — nothing else.

Each row also keeps the dossier's folded state (units, times; no applicant
data) to fold its next event; the lookup reads code and completion only.
`Completion` is the domain's (``domain.dossier_status``), re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import singledispatchmethod
from typing import Any, ClassVar

from domain.dossier_events import DossierEvent, Lodged
from domain.dossier_state import DossierState
from domain.dossier_status import Completion
from projections.base import Projection, key_of
from projections.dossier_rows import DossierRows, Stored
from projections.ports import ReadStore, Sql

__all__ = ["Completion", "PublicStatus", "PublicStatusProjection", "PublicStatusView"]


@dataclass(frozen=True)
class PublicStatus:
    code: str
    completion: Completion


_COLUMNS = ("dossier_id", "code", "completion", "updated_at")


def _columns(state: DossierState, stored: Stored) -> dict[str, Any]:
    completion = state.completion
    return {
        "code": state.code,
        "completion": completion.value if completion else None,
        "updated_at": stored["updated_at"],
    }


class PublicStatusProjection(Projection):
    """One row per dossier; only a received one has a code to look up."""

    name = "public_status"
    version = 2
    reads_actors = False  # the code and its completion: never who acted
    tables: ClassVar[dict[str, str]] = {
        "lookup": "dossier_id TEXT PRIMARY KEY, code TEXT, completion TEXT, "
        "updated_at TEXT NOT NULL, state TEXT NOT NULL",
    }
    indexes = (("lookup", "code"),)

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.folded = DossierRows(
            self.table("lookup"), _COLUMNS, _columns, conflict="dossier_id"
        )

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        self.folded.begin(sql, originators)

    def load_batch(self, sql: Sql, originators: set[str]) -> Callable[[], None]:
        return self.folded.load(sql, originators)

    def end_batch(self, sql: Sql) -> None:
        self.folded.flush(sql)

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events do not change what the public sees."""

    @apply.register
    def lodged(self, event: Lodged, sql: Sql) -> None:
        key = key_of(event.originator_id)
        self.folded.lodge(event, key)
        state = self.folded.state(key)
        if state is not None and state.code is not None:
            self.changed.add(state.code)

    @apply.register
    def dossier_event(self, event: DossierEvent, sql: Sql) -> None:
        before, after = self.folded.fold(event, key_of(event.originator_id))
        # What the public sees moves only with the status or a new code.
        if (
            after is not None
            and after.code is not None
            and (
                before is None
                or before.status is not after.status
                or before.code is None
            )
            and (before is None or before.completion is not after.completion)
        ):
            self.changed.add(after.code)


class PublicStatusView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.table = PublicStatusProjection().table("lookup")

    def lookup(self, code: str) -> PublicStatus | None:
        rows = self.store.query(
            f"SELECT code, completion FROM {self.table} WHERE code = ?", (code,)
        )
        if not rows or rows[0][1] is None:
            return None
        return PublicStatus(code=rows[0][0], completion=Completion(rows[0][1]))
