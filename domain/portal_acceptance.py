# Storage contract: event classes below only gain fields; rename/move = register_topic.
"""The national portal's (Cổng DVCQG) first acceptance of a dossier (indicator 1.4).

Indicator 1.4 counts the dossiers of a period that DVCQG holds. Which ones it
holds was only the sync sender's own table (its state now), so a past
period's 1.4 could not be recomputed and dipped while an update was pending.
The first time the portal accepts a dossier's record is a fact, recorded
once, on a stream of its own (the dossier's stream belongs to its handling:
a sender's write must never conflict with an officer's command). A dossier
counts as synced for the periods ending at or after that moment.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import ActorNotAllowedError, Bilingual
from domain.values import Role, Trace

_ACCEPTANCES = UUID("0f6c1e4a-93d2-4b57-8a1e-6d2c7b9f4a31")

PORTAL_DVCQG = "dvcqg"


def acceptance_id(dossier_id: UUID) -> UUID:
    """One stream per dossier: a second recording of the same acceptance is a
    version conflict, so it is recorded once whoever records it."""
    return uuid5(_ACCEPTANCES, str(dossier_id))


class PortalAcceptance(Aggregate):
    class Accepted(Aggregate.Created):
        trace: Trace
        dossier_id: UUID
        portal: str = PORTAL_DVCQG
        since: datetime | None = None
        """Set when recorded after the fact (an upgrade from the sender's own
        table, which kept no moment of the first acceptance): counted from the
        dossier's reception, as that table had counted it. Else the trace's
        moment is the acceptance."""

        def apply(self, aggregate: PortalAcceptance) -> None:
            aggregate.dossier_id = self.dossier_id
            aggregate.portal = self.portal
            aggregate.accepted_at = self.since or self.trace.at

    dossier_id: UUID
    portal: str
    accepted_at: datetime

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @classmethod
    def accept(
        cls, *, trace: Trace, dossier_id: UUID, since: datetime | None = None
    ) -> PortalAcceptance:
        if trace.actor.role is not Role.SYSTEM:
            raise ActorNotAllowedError(
                Bilingual("chỉ bộ đồng bộ DVCQG", "only the DVCQG sync sender")
            )
        return cls._create(
            cls.Accepted,
            id=acceptance_id(dossier_id),
            trace=trace,
            dossier_id=dossier_id,
            since=since,
        )


def accepted_at(event: PortalAcceptance.Accepted) -> datetime:
    """From when the portal holds the dossier."""
    return event.since or event.trace.at
