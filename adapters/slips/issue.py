"""Who issues a slip and where the evaluation form points: what the slips
service needs before anything is drawn (the PDF libraries load on the first
slip drawn, not with the service)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

AgencyNames = Callable[[str], str]
DEFAULT_EVALUATION_URL = "http://127.0.0.1:8000/danh-gia"


@dataclass(frozen=True)
class Issue:
    """Who issues the slip and when (the officer's id, the unit's name)."""

    at: datetime
    officer: str
    agency_code: str
