# Storage contract: event classes below only gain fields; rename/move = register_topic.
"""A slip as it was handed out: the signed PDF kept in the blob store.

Slips are rendered from the dossier's events and signed when first asked
for; what was handed out then is what every later download returns (a new
rendering would carry new signatures, and a later font or form change
would alter the text). One aggregate per dossier, slip kind and number
(the n-th supplement request), with a deterministic id: the first issue
wins, a concurrent one reads it back.

Kept apart from the dossier's stream so that downloading a slip neither
moves the dossier's version nor reaches the national portal as a step.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import bounds
from domain.files import StoredFile
from domain.values import Trace

_SLIPS = UUID("b4a3f0d2-6c1e-4f57-8d2a-91c0e5b7a6f3")


def slip_id(dossier_id: UUID, kind: str, number: int = 0) -> UUID:
    """``number``: which supplement request (1, 2…); 0 for the other kinds."""
    return uuid5(_SLIPS, f"{dossier_id}\n{kind}\n{number}")


class IssuedSlip(Aggregate):
    class Event(Aggregate.Event):
        trace: Trace

    class Issued(Event, Aggregate.Created):
        """Handed out for the first time (``trace``: to whom, when)."""

        dossier_id: UUID
        dossier_code: str | None
        kind: str
        number: int
        file: StoredFile
        form_number: str
        form_act: str
        signer: str
        """The officer whose act the slip records and who signed it."""
        agency_code: str
        """The unit in whose name it was issued (its seal on letters)."""
        act_at: datetime
        """The date the slip carries: the act it records."""

        def apply(self, aggregate: IssuedSlip) -> None:
            for name in (
                "dossier_id",
                "dossier_code",
                "kind",
                "number",
                "file",
                "form_number",
                "form_act",
                "signer",
                "agency_code",
                "act_at",
            ):
                setattr(aggregate, name, getattr(self, name))
            aggregate.issued_at = self.trace.at

    dossier_id: UUID
    dossier_code: str | None
    kind: str
    number: int
    file: StoredFile
    form_number: str
    form_act: str
    signer: str
    agency_code: str
    act_at: datetime
    issued_at: datetime

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @classmethod
    def issue(
        cls,
        *,
        trace: Trace,
        dossier_id: UUID,
        dossier_code: str | None,
        kind: str,
        number: int,
        file: StoredFile,
        form_number: str,
        form_act: str,
        signer: str,
        agency_code: str,
        act_at: datetime,
    ) -> IssuedSlip:
        bounds.code(kind, "kind")
        return cls._create(
            cls.Issued,
            id=slip_id(dossier_id, kind, number),
            trace=trace,
            dossier_id=dossier_id,
            dossier_code=dossier_code,
            kind=kind,
            number=number,
            file=file,
            form_number=form_number,
            form_act=form_act,
            signer=signer,
            agency_code=agency_code,
            act_at=act_at,
        )
