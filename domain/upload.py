# Storage contract: event classes below only gain fields; rename/move = register_topic.
"""Who uploaded which file.

The blob store is content-addressed, so two people uploading the same bytes
share one blob; what belongs to a person is the upload. An online dossier
or supplement may only name files its citizen uploaded: a hash seen
elsewhere (another person's upload, a result, a slip) is not theirs.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.dossier_values import canonical_applicant_id
from domain.files import SignatureCheck, StoredFile
from domain.values import Actor, Role, Trace

_UPLOADS = UUID("3f1c2a7e-5b0d-4c8e-9a61-2d7f4e8b9c10")


def uploader_key(actor: Actor) -> str:
    """One spelling per uploader: a citizen by their canonical identifier."""
    if actor.role is Role.CITIZEN:
        return f"citizen:{canonical_applicant_id(actor.id)}"
    return f"{actor.role.value}:{actor.id}"


def upload_id(actor: Actor, sha256: str) -> UUID:
    """The same person uploading the same bytes twice is one upload."""
    return uuid5(_UPLOADS, f"{uploader_key(actor)}\n{sha256}")


class Upload(Aggregate):
    """One person's upload of one stored file."""

    class Event(Aggregate.Event):
        trace: Trace

    class Recorded(Event, Aggregate.Created):
        uploader: str
        file: StoredFile
        checks: tuple[SignatureCheck, ...] = ()
        """The signatures the PDF carried, validated at upload (all passed:
        a failing one refuses the upload)."""

        def apply(self, aggregate: Upload) -> None:
            aggregate.uploader = self.uploader
            aggregate.file = self.file
            aggregate.checks = self.checks
            aggregate.uploaded_at = self.trace.at

    uploader: str
    file: StoredFile
    checks: tuple[SignatureCheck, ...]
    uploaded_at: datetime

    def __init__(self) -> None:
        self.checks = ()

    @classmethod
    def record(
        cls, *, trace: Trace, file: StoredFile, checks: tuple[SignatureCheck, ...]
    ) -> Upload:
        return cls._create(
            cls.Recorded,
            id=upload_id(trace.actor, file.sha256),
            trace=trace,
            uploader=uploader_key(trace.actor),
            file=file,
            checks=checks,
        )
