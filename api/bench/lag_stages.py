"""Where a command's freshness lag goes: the bench's own clock readings joined
with the projector's per-batch stage times (``motcua projector --timings``).

Both sides read ``time.monotonic()``: on Linux one system-wide clock, so a
command's commit in this process and a batch's stages in the projector's
process are on the same time line.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from projections.runtime import BatchTiming

#: The stages of one command's lag, in order; each ends where the next begins.
STAGES = (
    "wait",  # commit → the projector starts the batch (NOTIFY, a batch before)
    "select",  # position lock, new notifications read
    "load",  # dead-letter check, rows of the involved read models
    "apply",  # handlers, writes sent
    "publish",  # cache tombstones (Redis), NOTIFY sent
    "commit",  # the read models' transaction commits
    "probe",  # visible → the bench's lookup showed it (poll phase + round trip)
)


@dataclass(frozen=True)
class Sighting:
    """One command as the bench saw it (monotonic seconds)."""

    dossier: str
    issued: float
    """The command was called."""
    committed: float
    """The command returned: its events are committed."""
    seen: float
    """The lookup response that first showed the new status (inf: never)."""
    asked: float
    """When that lookup request was sent."""
    missed: float | None
    """When the last lookup that still showed the old status was sent."""


Batch = BatchTiming
"""A batch as ``motcua projector --timings`` wrote it."""


def read_batches(path: Path) -> list[Batch]:
    if not path.exists():
        return []
    batches = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            batches.append(Batch(**{**row, "originators": tuple(row["originators"])}))
    return batches


@dataclass(frozen=True)
class Traced:
    """One command's lag split into :data:`STAGES` (milliseconds)."""

    stages: dict[str, float]
    visible_ms: float
    """Commit → the read models' commit: any lookup sent after it answers the
    new status (the cache was tombstoned before that commit)."""
    lookup_ms: float
    """The round trip of the lookup that showed it."""
    consistent: bool
    """No lookup sent after the batch committed still showed the old status."""
    stale_ms: float = 0.0
    """How long after the batch's commit the last lookup showing the old
    status was sent (the workers' own lookup caches may answer up to
    ``MOTCUA_LOOKUP_LOCAL_CACHE_MS`` late; 0 when none did)."""

    @property
    def total_ms(self) -> float:
        return sum(self.stages.values())


def trace(sightings: Iterable[Sighting], batches: Sequence[Batch]) -> list[Traced]:
    """Each seen command with the first batch that applied its dossier after
    the command was issued (the bench forwards each dossier once)."""
    return [t for t in _traced(sightings, batches) if t is not None]


def freshness_ms(
    sightings: Sequence[Sighting], batches: Sequence[Batch]
) -> list[float]:
    """Per command: commit → visible, plus one whole lookup round trip (the
    one that showed it), without the prober's wait for its previous lookup
    to return. A command without a consistent batch timing counts as the
    prober saw it (commit → the answer showing it), never less."""
    return [
        (s.seen - s.committed) * 1000
        if t is None or not t.consistent
        else min(t.visible_ms + t.lookup_ms, (s.seen - s.committed) * 1000)
        for s, t in zip(sightings, _traced(sightings, batches), strict=True)
    ]


def _traced(
    sightings: Iterable[Sighting], batches: Sequence[Batch]
) -> list[Traced | None]:
    by_origin: dict[str, list[Batch]] = {}
    for batch in sorted(batches, key=lambda b: b.started):
        for origin in batch.originators:
            by_origin.setdefault(origin, []).append(batch)
    traced: list[Traced | None] = []
    for seen in sightings:
        if seen.seen == float("inf"):
            traced.append(None)
            continue
        # The projector may apply the events before the command returns (they
        # are committed before the writer is acknowledged), never before the
        # command was called.
        found = next(
            (b for b in by_origin.get(seen.dossier, ()) if b.selected >= seen.issued),
            None,
        )
        if found is None:
            traced.append(None)
            continue
        batch = found
        marks = [
            seen.committed,
            batch.started,
            batch.selected,
            batch.loaded,
            batch.applied,
            batch.published,
            batch.committed,
            seen.seen,
        ]
        stages = {
            name: (end - begin) * 1000
            for name, begin, end in zip(STAGES, marks[:-1], marks[1:], strict=True)
        }
        traced.append(
            Traced(
                stages=stages,
                visible_ms=(batch.committed - seen.committed) * 1000,
                lookup_ms=(seen.seen - seen.asked) * 1000,
                consistent=seen.missed is None or seen.missed <= batch.committed,
                stale_ms=max(0.0, ((seen.missed or 0.0) - batch.committed) * 1000),
            )
        )
    return traced


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def breakdown(traced: Sequence[Traced]) -> str:
    """Each stage's p50 and p99 and its mean share in the slowest 1 % of
    commands (p99s of stages do not add up; the tail's means do)."""
    if not traced:
        return "no batch timings joined"
    slowest = sorted(traced, key=lambda t: t.total_ms)[-max(1, len(traced) // 100) :]
    parts = []
    for stage in STAGES:
        values = [t.stages[stage] for t in traced]
        tail = statistics.fmean(t.stages[stage] for t in slowest)
        parts.append(
            f"{stage} {percentile(values, 0.5):.1f}/{percentile(values, 0.99):.1f}"
            f" (tail {tail:.1f})"
        )
    return "stages ms p50/p99 (mean in the slowest 1 %): " + ", ".join(parts)
