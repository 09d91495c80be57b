"""The one-stop application: one named use case per dossier command."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.lifecycle import CommandOutcome, DossierLifecycle, Reception
from domain.dossier_values import (
    DigitalAccount,
    DocumentMetadata,
    Holder,
    IssuedResult,
    PaymentChannel,
    ReturnMethod,
    ReuseSource,
    Satisfaction,
)
from domain.procedure import Fee
from domain.values import Trace

__all__ = ["CommandOutcome", "OneStop", "Reception"]


class OneStop(DossierLifecycle):
    """Hệ thống một cửa điện tử: the write side of motcua."""

    name = "motcua"

    def refuse_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Refuse an online submission (Mẫu 03), with the reason."""
        return self.execute(
            dossier_id,
            lambda d, c: d.refuse(trace=trace, calendar=c, reason=reason),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def check_digital_account(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        account: DigitalAccount,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Record the applicant's digital account check (R-20)."""
        return self.execute(
            dossier_id,
            lambda d, c: d.check_digital_account(
                trace=trace, calendar=c, account=account
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def digitize_component(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        component_code: str,
        document: DocumentMetadata,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Record a scanned component with its TT 01/2023 metadata."""
        return self.execute(
            dossier_id,
            lambda d, c: d.digitize_component(
                trace=trace,
                calendar=c,
                component_code=component_code,
                document=document,
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def reuse_component(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        component_code: str,
        document_id: UUID,
        source: ReuseSource,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Attach a document already in the warehouse instead of asking for paper."""
        return self.execute(
            dossier_id,
            lambda d, c: d.reuse_component(
                trace=trace,
                calendar=c,
                component_code=component_code,
                document_id=document_id,
                source=source,
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def sign_component(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        component_code: str,
        signature_sha256: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Record the receiving officer's signature on a digitized component."""
        return self.execute(
            dossier_id,
            lambda d, c: d.sign_component(
                trace=trace,
                calendar=c,
                component_code=component_code,
                signature_sha256=signature_sha256,
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def forward_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        to: Holder,
        note: str = "",
        planned_due_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Hand the dossier to a registered department or agency of the province."""
        self.check_in_force(to.agency_code, trace.at)
        return self.execute(
            dossier_id,
            lambda d, c: d.forward(
                trace=trace,
                calendar=c,
                to=to,
                registry=self,
                note=note,
                planned_due_at=planned_due_at,
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def request_supplement(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        items: tuple[str, ...],
        reason: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Ask the applicant for missing components (Mẫu 02); the clock stops."""
        return self.execute(
            dossier_id,
            lambda d, c: d.request_supplement(
                trace=trace, calendar=c, items=items, reason=reason
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def receive_supplement(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        documents: dict[str, DocumentMetadata] | None = None,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Record the supplement; the due time moves by the paused working time."""
        return self.execute(
            dossier_id,
            lambda d, c: d.receive_supplement(
                trace=trace, calendar=c, documents=documents or {}
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def request_payment(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        fees: tuple[Fee, ...],
        reason: str = "",
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Ask for fees or taxes; the clock stops until they are paid."""
        return self.execute(
            dossier_id,
            lambda d, c: d.request_payment(
                trace=trace, calendar=c, fees=fees, reason=reason
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def confirm_payment(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        channel: PaymentChannel,
        receipt: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Record a payment; the due time moves by the paused working time."""
        return self.execute(
            dossier_id,
            lambda d, c: d.confirm_payment(
                trace=trace, calendar=c, channel=channel, receipt=receipt
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def reappoint_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        due_at: datetime,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Apologise and set a new due time (once, ≥ 1 working day before due)."""
        return self.execute(
            dossier_id,
            lambda d, c: d.reappoint(
                trace=trace,
                calendar=c,
                due_at=due_at,
                reason=reason,
                cutoff_hours=self.apology_cutoff_hours,
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def stop_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Stop processing (status 8)."""
        return self.execute(
            dossier_id,
            lambda d, c: d.stop(trace=trace, calendar=c, reason=reason),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def withdraw_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        reason: str = "",
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """The applicant withdraws the dossier (status 7)."""
        return self.execute(
            dossier_id,
            lambda d, c: d.withdraw(trace=trace, calendar=c, reason=reason),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def resolve_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        results: tuple[IssuedResult, ...],
        decision: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Issue the signed result (status 9); the citizen sees it once returned."""
        return self.execute(
            dossier_id,
            lambda d, c: d.resolve(
                trace=trace,
                calendar=c,
                results=results,
                decision=decision,
                granularity=self.granularity,
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def return_result(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        method: ReturnMethod,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Hand the result over at the desk, by post or electronically (status 10)."""
        return self.execute(
            dossier_id,
            lambda d, c: d.return_result(trace=trace, calendar=c, method=method),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def rate_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        satisfaction: Satisfaction,
        comment: str = "",
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """The applicant rates the service once."""
        return self.execute(
            dossier_id,
            lambda d, c: d.rate(
                trace=trace, calendar=c, satisfaction=satisfaction, comment=comment
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )
