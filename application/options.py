"""The application's own settings, typed.

``adapters.settings`` builds them from the ``MOTCUA_*`` table once per process
(``Settings.onestop_options()``) and takes its defaults from here, so each
default is written once. The eventsourcing ``env`` carries only persistence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from domain.deadline import Granularity

CodeUnit = Literal["competent", "receiving"]


@dataclass(frozen=True)
class OneStopOptions:
    granularity: Granularity = Granularity.DATE
    """Early/on-time/late compares calendar dates or instants."""
    apology_cutoff_hours: int = 8
    """Working hours before the due time after which an apology is too late
    (Decree 61 Art. 19: one working day; 0 = until the due time)."""
    cross_boundary_code_unit: CodeUnit = "competent"
    peer_provinces: frozenset[str] = frozenset()
    """Provinces whose instances this one forwards dossiers to over NATS (R-17);
    a unit of any other province is refused."""
    saved_dossiers_cache: int = 2000
    """Dossiers kept after a save so the next command on them needs no read
    (0 = always read the dossier first, as eventsourcing does)."""
    catalogue_cache_seconds: float = 1.0
    """Seconds a procedure or working calendar read by a command is reused
    before it is read again (0 reads on every command)."""
