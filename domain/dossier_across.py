"""Cross-province forwarding on the dossier (R-17): handing a dossier to a
competent agency of a connected province, following the other province's
reports, and opening the child dossier there.

Methods of ``domain.dossier.Dossier`` (a mixin, as ``dossier_components``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain import cross_province as across
from domain.deadline import Timeliness
from domain.dossier_checks import (
    optional_text,
)
from domain.dossier_rules import Command
from domain.dossier_status import DossierStatus
from domain.dossier_values import (
    Holder,
    VersionedCalendar,
)
from domain.errors import IllegalTransitionError
from domain.values import AgencyCode, Role, Trace

if TYPE_CHECKING:
    from domain.dossier_self import DossierSelf


class AcrossCommands:
    def _forward_to_province(
        self: DossierSelf,
        trace: Trace,
        calendar: VersionedCalendar,
        to: Holder,
        own: str,
        peers: frozenset[str],
        note: str,
    ) -> None:
        """R-17: to a competent agency of a connected province (its instance
        opens the child dossier; ``record_province_report`` follows it)."""
        province = across.check_peer(AgencyCode(to.agency_code).level1, own, peers)
        if self.code is None:
            raise IllegalTransitionError(action=Command.FORWARD, status=self.status)
        source_event = across.event_id(self.id, self.version + 1)
        self._record(
            across.ForwardedToProvince,
            trace,
            calendar,
            from_holder=self.holder,
            to_holder=to,
            province=province,
            child_id=across.child_id(own, source_event),
            note=optional_text(note, "note"),
        )

    def record_province_report(
        self: DossierSelf,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        report: across.ProvinceReport,
    ) -> None:
        """Record what the other province reports about the child, once.

        A report about another child, or not newer than the last one recorded,
        changes nothing (redeliveries, and reports overtaken by a newer one);
        nor do B's desk steps (the acceptance shows them). A newer report of
        the status already shown is recorded all the same: it is what makes an
        older report arriving after it stale (redeliveries come out of order).
        """
        state = self._state
        if (
            trace.actor.role is not Role.SYSTEM
            or state.across_child != str(report.child_id)
            or report.province != state.across_province
            or report.child_version <= state.across_version
            or not state.held_elsewhere
        ):
            return
        common = {
            "province": report.province,
            "child_id": report.child_id,
            "child_version": report.child_version,
        }
        status = report.status
        if status is DossierStatus.REFUSED:
            self._record(
                across.RefusedByProvince,
                trace,
                calendar,
                reason=report.reason or "-",
                **common,
            )
        elif status is DossierStatus.RESOLVED:
            self._record(
                across.ResultReturnedByProvince,
                trace,
                calendar,
                results=tuple(report.results),
                decision=report.decision,
                timeliness=report.timeliness or Timeliness.ON_TIME,
                late_without_apology=report.late_without_apology,
                **common,
            )
        elif (
            status is DossierStatus.RECEIVED
            and report.code is not None
            and (
                state.across_state is across.CrossBoundaryState.AWAITING_RECEIVING_UNIT
            )
        ):
            self._record(
                across.AcceptedByProvince,
                trace,
                calendar,
                child_code=report.code,
                child_due_at=report.due_at,
                **common,
            )
        elif status not in _NOT_REPORTED:
            self._record(
                across.StatusReportedByProvince,
                trace,
                calendar,
                status=status,
                child_code=report.code,
                **common,
            )


_NOT_REPORTED = frozenset(
    {
        # Before or at B's reception (acceptance is its own event), and B's
        # hand-over of the result (it came back with ResultReturnedByProvince).
        DossierStatus.SUBMITTED,
        DossierStatus.RECEIVED,
        DossierStatus.RETURNED,
    }
)
"""Child statuses a report records nothing for on the source dossier."""
