"""Command-line values checked before any work: bounded, with a timezone.

Each parser raises ``BadCliValue`` (a ``LabelledError``: bilingual message,
exit code 2) naming the option, so a command never starts on a value the
domain cannot hold (``--from 9999-12-31T16:00:00+07:00``, ``--days 999999999``).
"""

from __future__ import annotations

from datetime import date, datetime

from domain.errors import LabelledError
from domain.working_time import EARLIEST as EARLIEST_INSTANT
from domain.working_time import LATEST as LATEST_INSTANT

EARLIEST = EARLIEST_INSTANT.date()
LATEST = LATEST_INSTANT.date()
"""Dates and instants a command accepts: the range working-time arithmetic
supports (2000–2100), so a command never starts on one the domain refuses."""


class BadCliValue(LabelledError):
    code = "INVALID_OPTION"
    vi = "{a0} không hợp lệ: {a1!r} — cần {a2}"
    en = "{a0} is invalid: {a1!r} — expected {a3}"
    max_shown = 200  # the CLI caller's own argument, and our expectation


def iso_instant(option: str, value: str) -> datetime:
    """An ISO 8601 instant with its UTC offset, between ``EARLIEST`` and ``LATEST``."""
    vi = f"thời điểm ISO 8601 có múi giờ, từ {EARLIEST} đến {LATEST} (2000–2100)"
    en = f"an ISO 8601 time with a UTC offset, from {EARLIEST} to {LATEST} (2000–2100)"
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadCliValue(option, value, vi, en) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise BadCliValue(option, value, vi, en)
    if not EARLIEST_INSTANT <= instant <= LATEST_INSTANT:
        raise BadCliValue(option, value, vi, en)
    return instant


def iso_date(option: str, value: str) -> date:
    """An ISO 8601 calendar date between ``EARLIEST`` and ``LATEST``."""
    vi = f"ngày ISO 8601 (YYYY-MM-DD) từ {EARLIEST} đến {LATEST}"
    en = f"an ISO 8601 date (YYYY-MM-DD) from {EARLIEST} to {LATEST}"
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadCliValue(option, value, vi, en) from None
    if not EARLIEST <= day <= LATEST:
        raise BadCliValue(option, value, vi, en)
    return day


MAX_REASON = 1000


def bounded_text(option: str, value: str, max_length: int = MAX_REASON) -> str:
    """Printable text of 1..``max_length`` characters (it may enter the event log)."""
    vi = f"văn bản in được, 1–{max_length} ký tự"
    en = f"printable text of 1–{max_length} characters"
    text = value.strip()
    if not text or len(text) > max_length or not text.isprintable():
        raise BadCliValue(option, value[:80], vi, en)
    return text
