"""A read model's row per dossier, carrying the dossier's folded state.

Read models that show where a dossier stands do not decide it: each row keeps
the ``DossierState`` that ``domain.dossier_state.evolve`` folded from the
dossier's events (column ``state``), and its other lifecycle columns are
derived from that state when the batch writes the row back. A batch loads the
rows of its dossiers once, folds every event in memory and writes each
changed row once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import fields
from datetime import datetime
from enum import Enum
from operator import itemgetter
from typing import Any, get_type_hints

from domain.dossier_events import DossierEvent, Lodged
from domain.dossier_state import DossierState, evolve
from domain.dossier_values import Holder
from projections.base import utc
from projections.ports import Sql, chunks, insert_rows

Row = dict[str, Any]
Stored = dict[str, Any]
"""A state's fields as stored (datetimes as UTC text, enums as values)."""
Derive = Callable[[DossierState, Stored], Row]
"""A read model's lifecycle columns, from the state and its stored fields."""
STATE = "state"


def _codec(hint: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """(encode, decode) of one field, by its declared type."""
    kinds = [k for k in getattr(hint, "__args__", (hint,)) if k is not type(None)]
    kind = kinds[0] if len(kinds) == 1 else hint
    if kind is datetime:
        return utc, lambda v: datetime.fromisoformat(v) if v is not None else None
    if isinstance(kind, type) and issubclass(kind, Enum):
        enum = kind
        return (
            lambda v: v.value if v is not None else None,
            lambda v: enum(v) if v is not None else None,
        )
    if kind is Holder:
        return (
            lambda v: [v.agency_code, v.department] if v is not None else None,
            lambda v: Holder(v[0], v[1]) if v is not None else None,
        )
    if getattr(kind, "__origin__", None) is tuple:
        return list, tuple
    return (lambda v: v), (lambda v: v)


_HINTS = get_type_hints(DossierState)
_CODECS = {f.name: _codec(_HINTS[f.name]) for f in fields(DossierState)}


_GENERIC = tuple(
    (name, encode) for name, (encode, _) in _CODECS.items() if name not in ("status",)
)


def stored_fields(state: DossierState) -> Stored:
    values = vars(state)
    stored = {name: encode(values[name]) for name, encode in _GENERIC}
    stored["status"] = state.status.value  # never None: no codec call
    return stored


def encode_state(state: DossierState, stored: Stored | None = None) -> str:
    """The fields in declaration order (new fields are only ever appended, with
    defaults, like event fields): half the bytes of named fields per row."""
    values = stored if stored is not None else stored_fields(state)
    return json.dumps(
        [values[name] for name in _CODECS], ensure_ascii=False, separators=(",", ":")
    )


def decode_state(text: str) -> DossierState:
    """Fields added since the row was written take their defaults."""
    stored = json.loads(text)
    return DossierState(
        **{
            name: decode(value)
            for (name, (_, decode)), value in zip(_CODECS.items(), stored, strict=False)
        }
    )


class _Shared:
    """What read models folding the same batch can share: decoded rows, folds
    and encodings, each computed once however many read models need it. Entries
    hold the objects they were made from and match by identity, so a stale or
    foreign entry never matches; each read model's flush empties them."""

    def __init__(self) -> None:
        self.decoded: dict[str, DossierState] = {}
        self.folded: dict[tuple[int, int], tuple[object, object, DossierState]] = {}
        self.encoded: dict[int, tuple[DossierState, Stored, str]] = {}

    def decode(self, text: str) -> DossierState:
        found = self.decoded.get(text)
        if found is None:
            found = self.decoded[text] = decode_state(text)
        return found

    def evolve(self, before: DossierState | None, event: DossierEvent) -> DossierState:
        key = (id(before), id(event))
        found = self.folded.get(key)
        if found is not None and found[0] is before and found[1] is event:
            return found[2]
        after = evolve(before, event)
        self.folded[key] = (before, event, after)
        return after

    def encode(self, state: DossierState) -> tuple[Stored, str]:
        found = self.encoded.get(id(state))
        if found is not None and found[0] is state:
            return found[1], found[2]
        stored = stored_fields(state)
        text = encode_state(state, stored)
        self.encoded[id(state)] = (state, stored, text)
        return stored, text

    def clear(self) -> None:
        self.decoded.clear()
        self.folded.clear()
        self.encoded.clear()


_SHARED = _Shared()


def units_text(units: Collection[str]) -> str:
    """Agency codes as ``,a,b,`` so that ``LIKE '%,pattern,%'`` finds one."""
    return "," + ",".join(units) + ","


class DossierRows:
    """One row per dossier in ``table``, keyed by ``dossier_id``."""

    def __init__(
        self,
        table: str,
        columns: tuple[str, ...],
        derive: Derive,
        *,
        conflict: str,
        keys_of: Callable[[Row], Iterable[str | None]] | None = None,
        changed: set[str] | None = None,
    ) -> None:
        self.table = table
        self.keys_of = keys_of
        """Who reads a row (change keys), from its columns before and after."""
        self.changed = changed
        """Where a flush adds the change keys of the rows it wrote."""
        self.columns = (*columns, STATE)
        self.derive = derive
        self.conflict = conflict
        self._values = itemgetter(*self.columns)
        self._rows: dict[str, Row] = {}
        self._states: dict[str, DossierState] = {}
        self._dirty: set[str] = set()

    def begin(self, sql: Sql, keys: Collection[str]) -> None:
        self.load(sql, keys)()

    def load(self, sql: Sql, keys: Collection[str]) -> Callable[[], None]:
        """Send the reads of ``begin``; calling the result finishes it."""
        self._rows.clear()
        self._states.clear()
        self._dirty.clear()
        names = ", ".join(self.columns)
        reads = [
            sql.query_later(
                f"SELECT {names} FROM {self.table} WHERE dossier_id IN "
                f"({', '.join('?' for _ in part)})",
                part,
            )
            for part in chunks(sorted(keys), 500)
        ]

        def finish() -> None:
            for read in reads:
                for values in read():
                    row = dict(zip(self.columns, values, strict=True))
                    self._rows[row["dossier_id"]] = row

        return finish

    def state(self, key: str) -> DossierState | None:
        found = self._states.get(key)
        if found is None:
            row = self._rows.get(key)
            if row is not None:
                found = self._states[key] = _SHARED.decode(row[STATE])
        return found

    def lodge(self, event: Lodged, key: str, **constants: Any) -> None:
        """A new dossier's row; ``constants`` are the columns set once."""
        self._states[key] = _SHARED.evolve(None, event)
        self._rows[key] = {"dossier_id": key, **constants}
        self._dirty.add(key)

    def fold(
        self, event: DossierEvent, key: str
    ) -> tuple[DossierState | None, DossierState | None]:
        """Fold ``event`` into the row of dossier ``key``: (before, after);
        (None, None) for a dossier this read model never saw begin (its
        lodging was dead-lettered)."""
        before = self.state(key)
        if before is None:
            return None, None
        after = self._states[key] = _SHARED.evolve(before, event)
        self._dirty.add(key)
        return before, after

    def _changed(self, row: Row) -> None:
        if self.keys_of is not None and self.changed is not None:
            self.changed.update(key for key in self.keys_of(row) if key)

    def flush(self, sql: Sql) -> None:
        if self._dirty:
            names = ", ".join(self.columns)
            marks = ", ".join("?" for _ in self.columns)
            updates = ", ".join(
                f"{c} = excluded.{c}" for c in self.columns if c != self.conflict
            )
            rows = []
            for key in sorted(self._dirty):
                state = self._states[key]
                row = self._rows[key]
                if self.keys_of is not None:
                    self._changed(row)
                stored, row[STATE] = _SHARED.encode(state)
                row.update(self.derive(state, stored))
                if self.keys_of is not None:
                    self._changed(row)
                rows.append(self._values(row))
            insert_rows(
                sql,
                f"INSERT INTO {self.table} ({names}) VALUES ({marks}) "
                f"ON CONFLICT ({self.conflict}) DO UPDATE SET {updates}",
                rows,
            )
        self._dirty.clear()
        self._rows.clear()
        self._states.clear()
        _SHARED.clear()
