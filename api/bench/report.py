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
class Figure:
    """One measured figure beside its same-run reference (latencies in ms)."""

    topology: str
    query: str
    who: str
    connections: int
    app: float
    reference: float
    ratio: float
    p50_ms: float
    p99_ms: float
    reference_p50_ms: float
    reference_p99_ms: float
    failures: int = 0
    cpu_us: float | None = None
    """CPU time of the served process tree per request (µs), when measured."""
    hit_rate: float | None = None
    """Share of the requests that found their page kept, when pages apply."""
    joined_rate: float | None = None
    """Share that missed but waited for another request's build of the page."""
    writes_per_second: float | None = None
    """Commands acknowledged per second by a writer meanwhile, when one ran."""
    write_failures: int = 0

    def to_json(self) -> dict[str, Any]:
        cpu: dict[str, float] = {}
        if self.cpu_us is not None:
            cpu["cpuUsPerRequest"] = round(self.cpu_us)
        if self.hit_rate is not None:
            cpu["pageHitRate"] = round(self.hit_rate, 4)
        if self.joined_rate is not None:
            cpu["pageJoinedRate"] = round(self.joined_rate, 4)
        if self.writes_per_second is not None:
            cpu["writesPerSecond"] = round(self.writes_per_second, 1)
            cpu["writeFailures"] = self.write_failures
        return {
            "topology": self.topology,
            "query": self.query,
            "who": self.who,
            "connections": self.connections,
            "app": round(self.app, 1),
            "reference": round(self.reference, 1),
            "ratio": round(self.ratio, 4),
            "p50Ms": round(self.p50_ms, 2),
            "p99Ms": round(self.p99_ms, 2),
            "referenceP50Ms": round(self.reference_p50_ms, 2),
            "referenceP99Ms": round(self.reference_p99_ms, 2),
            "failures": self.failures,
            **cpu,
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
    figures: tuple[Figure, ...] = ()
    """Several figures (e.g. per query and connection count), each with its reference."""

    def to_json(self) -> dict[str, Any]:
        body = {
            "name": self.name,
            "app": round(self.app, 1),
            "reference": round(self.reference, 1),
            "ratio": round(self.ratio, 4),
            "rounds": [r.to_json() for r in self.rounds],
            "unit": self.unit,
            "notes": list(self.notes),
        }
        if self.figures:
            body["figures"] = [f.to_json() for f in self.figures]
        return body
