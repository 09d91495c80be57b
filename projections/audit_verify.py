"""Walk the whole log and say where history was edited, if it was.

Three independent checks, each naming the event it trips on:

- **per stream** (written with each event, application/chain.py): versions
  follow each other in log order, every chained event's own hash matches
  its content and its ``prev`` matches the previous event's link; an
  unchained event after the chain began was not written by motcua;
- **the seal** (projections/seal.py): every sealed position is still there
  with the same row hash, nothing unsealed sits between sealed positions,
  and the running hash of the seal rows is unbroken;
- **checkpoints**: each signature verifies with the agency's public key (and
  the seal certificate and timestamp token with the trust roots, when given),
  its running hash equals the seal's at that position and its Merkle tree
  head that of the seal rows of its span.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from application.chain import GENESIS, event_hash, open_state
from projections.merkle import TreeBuilder
from projections.ports import ReadStore
from projections.seal import (
    SEAL,
    ZERO,
    Checkpoint,
    checkpoints,
    ensure_seal_tables,
    notification_hash,
    running_hash,
    seal_rows,
)

KINDS = {
    "altered": ("bị sửa", "altered"),
    "removed": ("bị xoá", "removed"),
    "inserted": ("bị chèn", "inserted"),
    "reordered": ("bị đổi thứ tự", "reordered"),
    "seal_altered": ("dấu niêm phong bị sửa", "seal altered"),
    "bad_signature": ("chữ ký điểm kiểm tra sai", "checkpoint signature invalid"),
}
_PRECEDENCE = {kind: rank for rank, kind in enumerate(KINDS)}
_PRECEDENCE.update(reordered=0, inserted=1, altered=2, removed=3)
"""At one position, the most specific finding is named first."""


@dataclass(frozen=True)
class Finding:
    kind: str
    position: int | None
    originator_id: str | None
    version: int | None
    detail: str

    def describe(self) -> str:
        where = f"position {self.position}" if self.position is not None else "log"
        event = (
            f" (stream {self.originator_id} version {self.version})"
            if self.originator_id is not None
            else ""
        )
        return f"{KINDS[self.kind][1]} event at {where}{event}: {self.detail}"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "position": self.position,
            "originatorId": self.originator_id,
            "version": self.version,
            "detail": self.detail,
        }


@dataclass
class VerifyReport:
    events: int = 0
    chained: int = 0
    sealed: int = 0
    unsealed: int = 0
    checkpoints: int = 0
    signed_position: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        ordered = self.ordered()
        return ordered[0] if ordered else None

    def ordered(self) -> list[Finding]:
        return sorted(
            self.findings,
            key=lambda f: (
                f.position if f.position is not None else 1 << 62,
                _PRECEDENCE[f.kind],
            ),
        )

    def as_json(self) -> dict[str, Any]:
        first = self.first
        return {
            "ok": self.ok,
            "events": self.events,
            "chained": self.chained,
            "sealed": self.sealed,
            "unsealed": self.unsealed,
            "checkpoints": self.checkpoints,
            "signedPosition": self.signed_position,
            "first": first.as_json() if first else None,
            "findings": [f.as_json() for f in self.ordered()[:100]],
        }


def log_notifications(
    app: Application[UUID], page: int = 2000
) -> Iterator[Notification]:
    position = 0
    while True:
        found = app.recorder.select_notifications(
            start=position, limit=page, inclusive_of_start=False
        )
        yield from found
        if len(found) < page:
            return
        position = found[-1].id


class _Streams:
    """Per-stream chain check, fed in log order."""

    def __init__(self, report: VerifyReport) -> None:
        self.report = report
        self.heads: dict[str, tuple[int, bytes]] = {}
        self.chain_began = False

    def feed(self, n: Notification) -> None:
        key = str(n.originator_id)
        last_version, link = self.heads.get(key, (0, GENESIS))
        envelope = open_state(bytes(n.state))
        version = n.originator_version

        def find(kind: str, detail: str, at_version: int = version) -> None:
            self.report.findings.append(Finding(kind, n.id, key, at_version, detail))

        if version <= last_version:
            find("reordered", f"version {version} comes after version {last_version}")
            return
        if version > last_version + 1:
            missing = last_version + 1
            find(
                "removed",
                f"versions {missing}–{version - 1} are missing before this one",
                missing,
            )
        if envelope.own is None:
            if self.chain_began:
                find(
                    "inserted", "an event without its chain hash after the chain began"
                )
            own = event_hash(link, key, version, n.topic, envelope.payload)
        else:
            self.chain_began = True
            self.report.chained += 1
            assert envelope.prev is not None
            own = event_hash(envelope.prev, key, version, n.topic, envelope.payload)
            if own != envelope.own:
                find("altered", "its content no longer matches its own hash")
            elif envelope.prev != link and version == last_version + 1:
                find(
                    "altered",
                    f"version {last_version} no longer matches the link "
                    "stored in this event",
                    last_version,
                )
        self.heads[key] = (version, own)


def verify_log(
    app: Application[UUID],
    store: ReadStore,
    signature_valid: Callable[[Checkpoint], bool] | None = None,
) -> VerifyReport:
    """Check the log, the seal and the checkpoints; every finding names its event."""
    report = VerifyReport()
    with store.schema() as sql:
        ensure_seal_tables(sql)  # a log never sealed verifies per stream
    streams = _Streams(report)
    seals = seal_rows(store)
    running = bytes.fromhex(ZERO)
    sealed_at: dict[int, str] = {}
    seal_head = 0
    with store.transaction() as sql:
        made = checkpoints(sql)
    ends = {c.position for c in made}
    span = TreeBuilder()
    span_roots: dict[int, str] = {}

    def next_seal() -> tuple[int, str, int, str, str] | None:
        nonlocal running, seal_head, span
        row = next(seals, None)
        if row is None:
            return None
        position, originator, version, row_hex, running_hex = row
        running = running_hash(running, bytes.fromhex(row_hex))
        if running.hex() != running_hex:
            report.findings.append(
                Finding(
                    "seal_altered",
                    position,
                    originator,
                    version,
                    "the seal's running hash is broken here",
                )
            )
            running = bytes.fromhex(running_hex)
        sealed_at[position] = running_hex
        span.add(bytes.fromhex(row_hex))
        if position in ends:
            span_roots[position] = span.root().hex()
            span = TreeBuilder()
        seal_head = position
        report.sealed += 1
        return row

    lookups = [0]
    seal = next_seal()
    for n in log_notifications(app):
        report.events += 1
        streams.feed(n)
        while seal is not None and seal[0] < n.id:
            report.findings.append(
                Finding("removed", seal[0], seal[1], seal[2], "a sealed event is gone")
            )
            seal = next_seal()
        if seal is not None and seal[0] == n.id:
            if notification_hash(n).hex() != seal[3]:
                if (seal[1], seal[2]) != (str(n.originator_id), n.originator_version):
                    elsewhere = sealed_position(store, n, lookups)
                    moved = elsewhere is not None and elsewhere != n.id
                    report.findings.append(
                        Finding(
                            "reordered" if moved else "inserted",
                            n.id,
                            str(n.originator_id),
                            n.originator_version,
                            f"sealed here was stream {seal[1]} version {seal[2]}"
                            + (
                                f"; this event was sealed at {elsewhere}"
                                if moved
                                else ""
                            ),
                        )
                    )
                else:
                    report.findings.append(
                        Finding(
                            "altered",
                            n.id,
                            str(n.originator_id),
                            n.originator_version,
                            "the stored row differs from the sealed one",
                        )
                    )
            seal = next_seal()
        elif seal is not None:  # n.id lies before the next sealed position
            report.findings.append(
                Finding(
                    "inserted",
                    n.id,
                    str(n.originator_id),
                    n.originator_version,
                    "an event between sealed positions that was never sealed",
                )
            )
        else:
            report.unsealed += 1
    while seal is not None:
        report.findings.append(
            Finding("removed", seal[0], seal[1], seal[2], "a sealed event is gone")
        )
        seal = next_seal()
    _check_checkpoints(made, report, sealed_at, span_roots, signature_valid)
    return report


def sealed_position(
    store: ReadStore, n: Notification, lookups: list[int]
) -> int | None:
    """Where the seal put this event, if anywhere (looked up for at most 100
    findings: the seal has no index by stream)."""
    lookups[0] += 1
    if lookups[0] > 100:
        return None
    rows = store.query(
        f"SELECT position FROM {SEAL} WHERE originator_id = ? "
        "AND originator_version = ?",
        (str(n.originator_id), n.originator_version),
    )
    return int(rows[0][0]) if rows else None


def _check_checkpoints(
    made: list[Checkpoint],
    report: VerifyReport,
    sealed_at: dict[int, str],
    span_roots: dict[int, str],
    signature_valid: Callable[[Checkpoint], bool] | None,
) -> None:
    report.checkpoints = len(made)
    previous = 0
    for checkpoint in made:
        span_start, previous = previous + 1, checkpoint.position
        if signature_valid is not None and not signature_valid(checkpoint):
            explain = getattr(signature_valid, "problem", None)
            detail = explain(checkpoint) if callable(explain) else None
            report.findings.append(
                Finding(
                    "bad_signature",
                    checkpoint.position,
                    None,
                    None,
                    f"checkpoint {detail}"
                    if detail
                    else f"checkpoint signature does not verify (key {checkpoint.key_id})",
                )
            )
            continue
        if sealed_at.get(checkpoint.position) != checkpoint.running_hash:
            report.findings.append(
                Finding(
                    "seal_altered",
                    checkpoint.position,
                    None,
                    None,
                    "the seal up to this signed checkpoint was rewritten",
                )
            )
            continue
        if checkpoint.merkle_root is not None and (
            checkpoint.span_start != span_start
            or span_roots.get(checkpoint.position) != checkpoint.merkle_root
        ):
            report.findings.append(
                Finding(
                    "seal_altered",
                    checkpoint.position,
                    None,
                    None,
                    "the seal rows of this checkpoint's span are not the ones "
                    "its signed Merkle tree head covers",
                )
            )
            continue
        report.signed_position = max(report.signed_position, checkpoint.position)
