# Storage contract: event classes below only gain fields; rename/move = register_topic.
from __future__ import annotations

import re
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import DailySequenceExhaustedError
from domain.values import AgencyCode

DOSSIER_CODE = re.compile(
    r"^(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(\d{6})-(\d{4})\Z", re.ASCII
)
MAX_DAILY_SEQUENCE = 9999


def format_dossier_code(agency: AgencyCode, day: date, sequence: int) -> str:
    """TT 01/2018 Art. 19: ``<agency>-<YYMMDD>-<NNNN>``."""
    if not 1 <= sequence <= MAX_DAILY_SEQUENCE:
        raise DailySequenceExhaustedError(agency=agency.value, day=day.isoformat())
    return f"{agency.value}-{day:%y%m%d}-{sequence:04d}"


def is_dossier_code(code: str) -> bool:
    return DOSSIER_CODE.match(code) is not None


class DossierCode(Aggregate):
    """Claims one dossier code; its deterministic id makes codes unique."""

    class Issued(Aggregate.Created):
        code: str
        dossier_id: UUID

        def apply(self, aggregate: DossierCode) -> None:
            aggregate.code = self.code
            aggregate.dossier_id = self.dossier_id

    code: str
    dossier_id: UUID

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/dossier-codes/{code}")

    @classmethod
    def issue(cls, *, code: str, dossier_id: UUID) -> DossierCode:
        return cls._create(
            cls.Issued, id=cls.create_id(code), code=code, dossier_id=dossier_id
        )
