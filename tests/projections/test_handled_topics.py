"""A read model follows exactly the events its handlers take: its topics come
from its handlers, so a handler for a base event takes every event derived
from it, and no hand-written list can drift from the handlers."""

from __future__ import annotations

from eventsourcing.utils import get_topic

from domain import dossier_events as events
from domain.agency import Agency
from domain.procedure import Procedure
from projections.catalogue import CatalogueProjection
from projections.citizen import CitizenProjection
from projections.control_sheet import ControlSheetProjection
from projections.public_status import PublicStatusProjection
from projections.registry import all_projections
from projections.timeline import TimelineProjection
from projections.worklist import WorklistProjection

EVERY_DOSSIER_EVENT = {get_topic(e) for e in events.DOSSIER_EVENTS}


def topics(*classes: type) -> set[str]:
    return {get_topic(c) for c in classes}


class TestTopicsComeFromHandlers:
    def test_read_models_showing_a_status_follow_every_dossier_event(self) -> None:
        for projection in (
            WorklistProjection(),
            CitizenProjection(),
            PublicStatusProjection(),
            TimelineProjection(),
        ):
            assert projection.topics >= EVERY_DOSSIER_EVENT, projection.name

    def test_a_read_model_follows_only_what_its_handlers_take(self) -> None:
        assert ControlSheetProjection().topics == topics(
            events.ReceivedAtDesk,
            events.Received,
            events.Forwarded,
            events.SupplementReceived,
            events.FinancialObligationPaid,
            events.Reappointed,
            events.Resolved,
            events.Stopped,
            events.Withdrawn,
            events.TransferredToSuccessor,
        )
        assert CatalogueProjection().topics == topics(
            Agency.Registered,
            Agency.Renamed,
            Agency.DepartmentAdded,
            Procedure.Published,
            Procedure.Revised,
        )

    def test_a_handler_for_a_base_event_takes_its_subclasses(self) -> None:
        lodged = topics(events.Lodged, events.SubmittedOnline, events.ReceivedAtDesk)
        assert lodged <= CitizenProjection.topics

    def test_the_class_and_its_instances_agree(self) -> None:
        for projection in all_projections():
            assert projection.topics == type(projection).topics, projection.name
