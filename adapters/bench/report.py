"""What every benchmark reports: medians of both sides and their ratio."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RoundReport:
    """One round: the application side and the reference, measured back to back."""

    app: float
    reference: float
    order: str = "app,reference"

    @property
    def ratio(self) -> float:
        return self.app / self.reference if self.reference else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "app": round(self.app, 1),
            "reference": round(self.reference, 1),
            "ratio": round(self.ratio, 4),
            "order": self.order,
        }


@dataclass(frozen=True)
class BenchReport:
    """The shape ``motcua bench <name> --json`` prints.

    ``app`` and ``reference`` are medians over ``rounds`` (higher is better,
    in ``unit``); ``ratio`` is ``app / reference``.
    """

    name: str
    app: float
    reference: float
    ratio: float
    rounds: tuple[RoundReport, ...]
    unit: str
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "app": round(self.app, 1),
            "reference": round(self.reference, 1),
            "ratio": round(self.ratio, 4),
            "rounds": [r.to_json() for r in self.rounds],
            "unit": self.unit,
            "notes": list(self.notes),
        }
