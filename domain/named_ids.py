"""Name-based ids of catalogue aggregates (agencies, calendars, procedures)."""

from __future__ import annotations

from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5


@lru_cache(maxsize=65_536)
def url_id(path: str) -> UUID:
    """``uuid5(NAMESPACE_URL, path)``, remembered: every command derives the
    ids of the same few units, calendars and procedures (a SHA-1 each)."""
    return uuid5(NAMESPACE_URL, path)
