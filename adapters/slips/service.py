"""Issue a slip: fold the dossier's events, render its form, sign it.

The slip is dated and signed as of the act it records (the reception, the
refusal, the supplement request…), by the officer who did it; letters in the
agency's name (apology, stop notice, register) also carry the agency's seal.
Re-issuing later gives the same content: only the signatures are new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from adapters.slips.facts import Act, DossierFacts, fold
from adapters.slips.forms import FormSet, SlipKind, SlipNotAvailableError, form_set_on
from adapters.slips.issue import DEFAULT_EVALUATION_URL, AgencyNames, Issue
from application.signatures import Signatures, SignerRef
from domain import dossier_events as ev

#: Slips in the agency's name: the officer signs, then the agency seals.
SEALED = frozenset({SlipKind.APOLOGY, SlipKind.STOP})


@dataclass(frozen=True)
class Slip:
    kind: SlipKind
    pdf: bytes
    """Signed."""
    form_number: str
    form_act: str
    issued_at: datetime
    issued_by: str
    agency_code: str = ""
    """The unit in whose name it was issued."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    def filename(self, code: str | None) -> str:
        stem = (code or "ho-so").replace("/", "-")
        return f"{stem}-mau-{self.form_number}-{self.kind.value}.pdf"


class Slips:
    def __init__(
        self,
        signatures: Signatures,
        names: AgencyNames,
        evaluation_url: str = DEFAULT_EVALUATION_URL,
    ) -> None:
        """``evaluation_url``: the portal's online evaluation form, printed as
        a QR code on the evaluation form after the receipt, supplement request
        and refusal slip."""
        self.signatures = signatures
        self.names = names
        self.evaluation_url = evaluation_url

    def issue(
        self, kind: SlipKind, events: Iterable[object], *, supplement: int | None = None
    ) -> Slip:
        recorded = list(events)
        facts = fold(recorded[: _reflected(kind, recorded, supplement)])
        forms = form_set_on(facts.dated)
        act = _issuing_act(kind, facts, supplement)
        agency = act.agency_code or facts.receiving_agency or facts.competent_agency
        issue = Issue(act.at, act.officer, agency)
        from adapters.slips.render import render  # fpdf: on the first slip drawn

        pdf = render(
            kind,
            facts,
            forms,
            issue,
            self.names,
            supplement=supplement,
            evaluation_url=self.evaluation_url,
        )
        signed = self._sign(pdf, kind, issue, forms)
        return Slip(
            kind,
            signed,
            forms.form(kind).number,
            forms.act,
            act.at,
            act.officer,
            agency,
        )

    def register(
        self,
        dossiers: Sequence[Iterable[object]],
        *,
        agency_code: str,
        officer: str,
        period: tuple[datetime, datetime],
        at: datetime,
    ) -> Slip:
        rows = [fold(events) for events in dossiers]
        forms = form_set_on(period[1])
        issue = Issue(at, officer, agency_code)
        from adapters.slips.render import render_register  # fpdf: on first use

        pdf = render_register(rows, forms, issue, self.names, period)
        signed = self.signatures.sign_result(
            pdf,
            SignerRef.officer(
                officer, agency_code, agency_name=self.names(agency_code)
            ),
            SignerRef.agency(agency_code, self.names(agency_code)),
            reason=forms.form(SlipKind.REGISTER).vi,
        )
        return Slip(
            SlipKind.REGISTER,
            signed,
            forms.form(SlipKind.REGISTER).number,
            forms.act,
            at,
            officer,
        )

    def _sign(self, pdf: bytes, kind: SlipKind, issue: Issue, forms: FormSet) -> bytes:
        reason = forms.form(kind).vi
        officer = SignerRef.officer(
            issue.officer, issue.agency_code, agency_name=self.names(issue.agency_code)
        )
        if kind in SEALED:
            agency = SignerRef.agency(issue.agency_code, self.names(issue.agency_code))
            return self.signatures.sign_result(pdf, officer, agency, reason=reason)
        return self.signatures.sign(pdf, officer, reason=reason)


_ACT_EVENTS: dict[SlipKind, type[ev.DossierEvent]] = {
    SlipKind.SUPPLEMENT: ev.SupplementRequested,
    SlipKind.REFUSAL: ev.Refused,
    SlipKind.APOLOGY: ev.Reappointed,
    SlipKind.STOP: ev.Stopped,
}


def _reflected(kind: SlipKind, events: list[object], supplement: int | None) -> int:
    """How many of the events a slip shows: those up to the act it records
    (a receipt: the reception work before the dossier left the desk)."""
    if kind is SlipKind.RECEIPT:
        for index, event in enumerate(events):
            if isinstance(event, ev.Forwarded):
                return index
        return len(events)
    wanted = _ACT_EVENTS.get(kind)
    if wanted is None:
        return len(events)
    found = [i for i, event in enumerate(events) if isinstance(event, wanted)]
    if kind is SlipKind.SUPPLEMENT and supplement is not None:
        found = found[supplement - 1 : supplement] if supplement >= 1 else []
    return found[-1] + 1 if found else len(events)


def _issuing_act(kind: SlipKind, facts: DossierFacts, supplement: int | None) -> Act:
    act: Act | None
    if kind is SlipKind.SUPPLEMENT:
        index = len(facts.supplements) if supplement is None else supplement
        valid = 1 <= index <= len(facts.supplements)
        act = facts.supplements[index - 1].act if valid else None
    elif kind is SlipKind.REFUSAL:
        act = facts.refusal
    elif kind is SlipKind.APOLOGY:
        act = facts.reappointment.act if facts.reappointment else None
    elif kind is SlipKind.STOP:
        act = facts.stop
    elif kind is SlipKind.CONTROL_SHEET and facts.reception is not None:
        # dated by its last line: re-issued while the dossier moves on
        last = max(
            (h.completed_at or h.handed_over_at for h in facts.handovers),
            default=facts.reception.at,
        )
        act = Act(last, facts.reception.officer, facts.reception.agency_code)
    else:
        act = facts.reception
    if act is None:
        form = form_set_on(facts.dated).form(kind)
        raise SlipNotAvailableError(form, "chưa có sự kiện tương ứng / not yet")
    return act
