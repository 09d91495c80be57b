"""What the sync table says of a test's dossiers, by state."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.dvcqg.sync import TABLE
from projections.ports import ReadStore


@dataclass(frozen=True)
class SyncRate:
    synced: int
    eligible: int
    """Received, non-child dossiers."""
    failing: int

    @property
    def rate(self) -> float:
        return self.synced / self.eligible if self.eligible else 1.0


def sync_rate(store: ReadStore) -> SyncRate:
    counts = {
        str(state): int(n)
        for state, n in store.query(
            f"SELECT state, COUNT(*) FROM {TABLE} GROUP BY state"
        )
    }
    eligible = sum(n for s, n in counts.items() if s not in ("waiting", "child"))
    return SyncRate(counts.get("synced", 0), eligible, counts.get("failing", 0))
