"""Allocation of TT 01/2018 dossier codes: gap-free, unique across processes.

A number is claimed by saving a ``DossierCode`` aggregate whose id derives from
the code, in the same transaction as the dossier. Because claims are atomic and
only succeed contiguously, the last issued number can be found by binary search
over ids, and a concurrent claim shows up as an IntegrityError to retry.
"""

from __future__ import annotations

import threading
from datetime import date
from uuid import UUID

from eventsourcing.application import Repository

from domain.dossier_code import MAX_DAILY_SEQUENCE, DossierCode, format_dossier_code
from domain.values import AgencyCode


class CodeAllocator:
    def __init__(self, repository: Repository[UUID]) -> None:
        self._repository = repository
        self._last: dict[tuple[str, date], int] = {}
        self._lock = threading.Lock()

    def candidate(self, agency: AgencyCode, day: date) -> str:
        """The next code to try for ``agency`` on ``day``."""
        key = (agency.value, day)
        with self._lock:
            if key not in self._last:
                self._last[key] = self._find_last(agency, day)
            number = self._last[key] + 1
        return format_dossier_code(agency, day, number)

    def claimed(self, agency: AgencyCode, day: date, code: str) -> None:
        number = int(code[-4:])
        with self._lock:
            key = (agency.value, day)
            self._last[key] = max(self._last.get(key, 0), number)

    def conflicted(self, agency: AgencyCode, day: date, code: str) -> None:
        """Another process took ``code``: find how far it has got, not just +1.

        Stepping by one would chase a busy writer forever, one number behind.
        """
        found = self._find_last(agency, day, low=int(code[-4:]))
        with self._lock:
            key = (agency.value, day)
            self._last[key] = max(self._last.get(key, 0), found)

    def _exists(self, agency: AgencyCode, day: date, number: int) -> bool:
        code = format_dossier_code(agency, day, number)
        return DossierCode.create_id(code) in self._repository

    def _find_last(self, agency: AgencyCode, day: date, low: int = 0) -> int:
        high = MAX_DAILY_SEQUENCE
        while low < high:
            middle = (low + high + 1) // 2
            if self._exists(agency, day, middle):
                low = middle
            else:
                high = middle - 1
        return low
