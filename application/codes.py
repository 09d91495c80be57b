"""Allocation of TT 01/2018 dossier codes: unique across processes.

A number is claimed by saving a ``DossierCode`` aggregate whose id derives from
the code, in the same transaction as the dossier. Because claims are atomic and
succeed in order, the last issued number can be found by binary search over
ids, and a concurrent claim shows up as an IntegrityError to retry. Where the
store can hand out numbers itself (PostgreSQL: ``adapters.code_numbers``), a
process that found another one receiving at the same unit on the same day (its
claim collided) takes the next numbers of that unit and day from the store
instead of guessing from its own last one, so the processes stop colliding; a
lone process keeps counting in memory (a claim from the store costs a round
trip and a row lock: measured, a third of one worker's mutation rate). A
number whose reception failed in another process is then a gap (R-02:
gap-tolerant, never duplicated).
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Protocol
from uuid import UUID

from eventsourcing.application import Repository

from domain.dossier_code import MAX_DAILY_SEQUENCE, DossierCode, format_dossier_code
from domain.values import AgencyCode


class CodeNumbers(Protocol):
    def next_number(self, unit: str, day: date, floor: int) -> int:
        """A number above ``floor`` that no call got before for ``unit`` on ``day``."""
        ...


class CodeAllocator:
    """Hands out candidate numbers per (unit, day).

    Within a process a candidate is *reserved* until it is claimed or
    released, so concurrent commands of one process try different numbers
    (and can share a group transaction) instead of racing for the same one.
    A released number (the reception failed before its save landed) is
    handed out again first, so the numbers stay contiguous.
    """

    def __init__(
        self, repository: Repository[UUID], numbers: CodeNumbers | None = None
    ) -> None:
        self._repository = repository
        self._numbers = numbers
        self._last: dict[tuple[str, date], int] = {}
        """Highest number claimed or reserved by this process (or seen taken)."""
        self._released: dict[tuple[str, date], set[int]] = {}
        self._lock = threading.Lock()
        self._shared: set[tuple[str, date]] = set()
        """(unit, day) pairs other processes receive at too: numbered by the store."""
        self.conflicts = 0
        """Claims another process had taken first, so far."""

    def candidate(self, agency: AgencyCode, day: date) -> str:
        """The next code to try for ``agency`` on ``day``, reserved for the caller."""
        key = (agency.value, day)
        with self._lock:
            if key not in self._last:
                self._last[key] = self._find_last(agency, day)
            released = self._released.get(key)
            if released:
                number = min(released)
                released.discard(number)
                return format_dossier_code(agency, day, number)
            if self._numbers is None or key not in self._shared:
                number = self._last[key] + 1
                self._last[key] = number
                return format_dossier_code(agency, day, number)
            floor = self._last[key]
        number = self._numbers.next_number(agency.value, day, floor)
        with self._lock:
            self._last[key] = max(self._last[key], number)
        return format_dossier_code(agency, day, number)

    def claimed(self, agency: AgencyCode, day: date, code: str) -> None:
        number = int(code[-4:])
        with self._lock:
            key = (agency.value, day)
            self._last[key] = max(self._last.get(key, 0), number)

    def release(self, agency: AgencyCode, day: date, code: str) -> None:
        """The reception of ``code`` failed: hand the number out again."""
        number = int(code[-4:])
        with self._lock:
            self._released.setdefault((agency.value, day), set()).add(number)

    def conflicted(self, agency: AgencyCode, day: date, code: str) -> None:
        """Another process took ``code``: find how far it has got, not just +1.

        Stepping by one would chase a busy writer forever, one number behind.
        """
        found = self._find_last(agency, day, low=int(code[-4:]))
        with self._lock:
            self.conflicts += 1
            key = (agency.value, day)
            self._shared.add(key)
            self._last[key] = max(self._last.get(key, 0), found)
            # Numbers released below what is taken now are someone else's.
            self._released.get(key, set()).difference_update(range(found + 1))

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
