"""Drives dossiers through realistic, varied lifecycles over a past period.

Every random choice comes from one ``random.Random(seed)``, so the same seed
and period give the same codes, statuses and due times.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from adapters.demo.kontum import AGENCIES, DESK_UNITS, PROCEDURES
from adapters.demo.paper import store_page
from adapters.dvcqg.sync import SENDER
from application.clock import trace_for
from application.onestop import OneStop
from domain.dossier_values import (
    Applicant,
    ApplicantKind,
    DigitalAccount,
    DocumentMetadata,
    Holder,
    IssuedResult,
    PaymentChannel,
    ReturnMethod,
    Satisfaction,
)
from domain.errors import LabelledError
from domain.portal_acceptance import PortalAcceptance
from domain.procedure import DigitizationScope, OnlineLevel, ProcedureDefinition
from domain.values import Actor, AgencyCode, Role
from domain.working_time import VIETNAM_TZ, WorkingCalendar

VN = ZoneInfo(VIETNAM_TZ)

_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "A", "Y", "Đinh", "Hoàng", "Võ", "Rơ Châm")
_MIDDLE = ("Văn", "Thị", "Minh", "Hữu", "Ngọc", "Thanh", "Đức")
_GIVEN = (
    "An",
    "Bình",
    "Hoa",
    "Hùng",
    "Lan",
    "Nam",
    "Phúc",
    "Sơn",
    "Thảo",
    "Vy",
    "Blưi",
)
_DEPARTMENTS = {a.code: [d for d, _ in a.departments] for a in AGENCIES}


@dataclass(frozen=True)
class Structure:
    """The units and procedures dossiers meet in one period of the province."""

    procedures: tuple[ProcedureDefinition, ...]
    desks: tuple[str, ...]
    """Units running a one-stop desk (Bộ phận Một cửa / Trung tâm PVHCC)."""
    departments: Mapping[str, list[str]]
    province: str
    """Level-1 code whose working calendar applies."""


KON_TUM_BEFORE_2025 = Structure(PROCEDURES, DESK_UNITS, _DEPARTMENTS, "H34")


@dataclass
class Summary:
    dossiers: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    refused_commands: int = 0
    transferred: int = 0


@dataclass
class _Story:
    """One dossier's simulated clock and actors."""

    app: OneStop
    rng: random.Random
    calendar: WorkingCalendar
    end: datetime
    dossier_id: UUID
    now: datetime
    desk: Actor
    applicant: Applicant

    def later(self, working_hours: float) -> datetime | None:
        minutes = max(1, round(working_hours * 60))
        moment = self.calendar.add_working_time(
            self.calendar.work_start(self.now), timedelta(minutes=minutes)
        )
        if moment >= self.end:
            return None
        self.now = moment
        return moment


class Simulation:
    def __init__(
        self,
        app: OneStop,
        *,
        seed: int,
        start: date,
        end: date,
        structure: Structure = KON_TUM_BEFORE_2025,
    ) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.summary = Summary()
        self.warehouse: dict[str, dict[str, UUID]] = {}
        self.people: list[Applicant] = []
        self.returning: list[tuple[Applicant, ProcedureDefinition]] = []
        self.rush_from: date | None = None
        """Receive a share of the dossiers in the last days before ``end``
        (so that some are still in flight when the period ends)."""
        self.period(start, end, structure)

    def period(self, start: date, end: date, structure: Structure) -> None:
        """Go on in another period, under another structure (same people,
        same random stream: the same seed still gives the same dossiers)."""
        self.start, self.end = start, end
        self.structure = structure
        self.calendar = self.app.working_calendar(structure.province).calendar
        # Returning applicants file under the procedures in force now (a
        # reorganisation gives them new versions under successor units).
        current = {p.code: p for p in structure.procedures}
        self.returning = [
            (applicant, current[p.code])
            for applicant, p in self.returning
            if p.code in current
        ]
        self._end_at = datetime.combine(end, time(0), tzinfo=VN)

    def run(self, dossiers: int, progress: Callable[[int], None]) -> Summary:
        if not self.people:
            self.people = [self._person(i) for i in range(max(40, dossiers // 3))]
        for _ in range(dossiers):
            self._one()
            progress(1)
        return self.summary

    def carry_on(self, dossier_ids: Iterable[UUID], at: datetime) -> None:
        """Officers of the successor units finish dossiers handed to them."""
        for dossier_id in dossier_ids:
            dossier = self.app.get_dossier(dossier_id)
            before = dossier.status.value
            unit = dossier.competent_agency
            desk = Actor(f"cb-mc-{self.rng.randrange(1, 6)}", Role.DESK, unit, "MC")
            story = _Story(
                self.app,
                self.rng,
                self.calendar,
                self._end_at,
                dossier_id,
                at,
                desk,
                dossier.applicant,
            )
            self._finish_transferred(story, dossier)
            after = self.app.get_dossier(dossier_id).status.value
            self.summary.statuses[before] -= 1
            self.summary.statuses[after] += 1

    # -- people and places ---------------------------------------------------

    def _person(self, index: int) -> Applicant:
        rng = self.rng
        if rng.random() < 0.12:
            code = f"{rng.randrange(61_0000_0000, 61_9999_9999):010d}"
            return Applicant(
                code,
                f"Công ty TNHH {rng.choice(_GIVEN)} Kon Tum {index}",
                ApplicantKind.ENTERPRISE,
            )
        number = f"062{rng.randrange(10**9):09d}"
        name = f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
        return Applicant(number, name)

    def _desk_for(self, procedure: ProcedureDefinition) -> str:
        competent = procedure.competent_agency
        desks = self.structure.desks
        if self.rng.random() < 0.08:
            return self.rng.choice(desks)
        node: AgencyCode | None = competent
        while node is not None:
            if node.value in desks:
                return node.value
            node = node.parent
        return competent.province.value

    def _reception_time(self) -> datetime:
        rng = self.rng
        first = self.start
        if self.rush_from is not None and rng.random() < 0.3:
            first = max(self.start, self.rush_from)
        span = (self.end - first).days
        day = first + timedelta(days=rng.randrange(max(span, 1)))
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        if rng.random() < 0.05:
            clock = time(17, rng.randrange(0, 59))
        else:
            minutes = rng.randrange(0, 8 * 60)
            clock = (datetime(2000, 1, 1, 7) + timedelta(minutes=minutes)).time()
            if time(11, 30) <= clock < time(13, 30):
                clock = time(13, 30 + rng.randrange(0, 29))
        return datetime.combine(day, clock, tzinfo=VN)

    # -- one dossier ---------------------------------------------------------

    def _one(self) -> None:
        rng = self.rng
        procedure = rng.choice(self.structure.procedures)
        applicant = rng.choice(self.people)
        if self.returning and rng.random() < 0.3:
            # People come back (another extract, a renewal, the same permit for
            # a second plot): the desk finds their papers in the warehouse.
            applicant, procedure = rng.choice(self.returning)
        desk_unit = self._desk_for(procedure)
        desk = Actor(f"cb-mc-{rng.randrange(1, 6)}", Role.DESK, desk_unit, "MC")
        received_at = self._reception_time()
        self.summary.dossiers += 1
        online = procedure.online_level is not OnlineLevel.NONE and rng.random() < 0.35
        if not online:
            self.returning.append((applicant, procedure))
        if online:
            dossier_id, _ = self.app.submit_dossier(
                trace=trace_for(Actor(applicant.id, Role.CITIZEN), at=received_at),
                applicant=applicant,
                procedure_code=procedure.code,
                documents={
                    c.code: self._upload(c.name, applicant, received_at)
                    for c in procedure.components
                    if c.scope is DigitizationScope.IN_SCOPE
                },
                summary=f"{procedure.name} — {applicant.name}",
            )
        else:
            dossier_id = self.app.receive_dossier(
                trace=trace_for(desk, at=received_at),
                applicant=applicant,
                procedure_code=procedure.code,
                summary=f"{procedure.name} — {applicant.name}",
            ).dossier_id
        story = _Story(
            self.app,
            rng,
            self.calendar,
            self._end_at,
            dossier_id,
            received_at,
            desk,
            applicant,
        )
        self._live(story, procedure, online)
        dossier = self.app.get_dossier(dossier_id)
        self.summary.statuses[dossier.status.value] += 1
        self._portal_takes(dossier)

    def _portal_takes(self, dossier: Any) -> None:
        """The national portal's first acceptance, as the DVCQG sender records
        it (indicator 1.4): minutes after reception for most dossiers, days for
        a few (the portal was down), never for some. Drawn from the dossier's
        own id, so the rest of the simulation draws what it always drew."""
        received = dossier.received_at
        if received is None or dossier.state.is_child:
            return
        draw = random.Random(dossier.id.int)
        chance = draw.random()
        if chance < 0.03:
            return
        delay = (
            timedelta(days=draw.uniform(1, 4))
            if chance < 0.08
            else timedelta(minutes=draw.uniform(1, 30))
        )
        if received + delay >= self._end_at:
            return
        self.app.save(
            PortalAcceptance.accept(
                trace=trace_for(SENDER, at=received + delay),
                dossier_id=dossier.id,
            )
        )

    def _live(self, s: _Story, procedure: ProcedureDefinition, online: bool) -> None:
        app, rng, act = self.app, self.rng, self._act
        citizen = Actor(s.applicant.id, Role.CITIZEN)
        if online:
            if s.later(rng.uniform(0.2, 6)) is None:
                return
            if rng.random() < 0.05:
                act(s, app.refuse_dossier, s.desk, reason="Hồ sơ không đúng thẩm quyền")
                return
            act(s, app.receive_submitted_dossier, s.desk)
        else:
            self._digitize(s, procedure)
        if rng.random() < 0.8:
            verified = rng.random() < 0.7
            account = DigitalAccount(verified or rng.random() < 0.5, verified, 2)
            act(s, app.check_digital_account, s.desk, account=account)
        competent = procedure.competent_agency.value
        departments = self.structure.departments.get(competent) or []
        department = rng.choice(departments) if departments else None
        specialist = Actor(f"cv-{rng.randrange(1, 9)}", Role.SPECIALIST, competent)
        leader = Actor(f"ld-{rng.randrange(1, 3)}", Role.LEADER, competent)
        if s.later(rng.uniform(0.1, 4)) is None:
            return
        act(s, app.forward_dossier, s.desk, to=Holder(competent, department))
        hours = procedure.time_limit.working_duration(self.calendar).total_seconds()
        limit = hours / 3600 or 40.0
        if rng.random() < 0.15:
            if s.later(rng.uniform(0.1, 0.3) * limit) is None:
                return
            asked = tuple(c.code for c in procedure.components[:1])
            act(
                s,
                app.request_supplement,
                specialist,
                items=asked,
                reason="Thành phần hồ sơ chưa đầy đủ, đề nghị bổ sung",
            )
            if rng.random() < 0.12 or s.later(rng.uniform(4, 40)) is None:
                if s.later(rng.uniform(40, 80)) is not None:
                    act(
                        s, app.stop_dossier, leader, reason="Quá thời hạn bổ sung hồ sơ"
                    )
                return
            act(
                s,
                app.receive_supplement,
                citizen,
                documents={asked[0]: self._upload(asked[0], s.applicant, s.now)},
            )
        if procedure.has_fees and rng.random() < 0.4:
            if s.later(rng.uniform(0.5, 4)) is None:
                return
            act(s, app.request_payment, specialist, fees=procedure.fees)
            if s.later(rng.uniform(0.5, 16)) is None:
                return
            act(
                s,
                app.confirm_payment,
                s.desk,
                channel=rng.choice(list(PaymentChannel)),
                receipt=f"BL{rng.randrange(10**6):06d}",
            )
        if rng.random() < 0.04:
            act(s, app.withdraw_dossier, s.desk, reason="Công dân có đơn xin rút hồ sơ")
            return
        share = rng.choices((0.5, 0.9, 1.25), weights=(60, 25, 15))[0]
        if share > 1 and rng.random() < 0.3:
            due = app.get_dossier(s.dossier_id).due_at
            if due is not None and s.later(limit * 0.2) is not None:
                act(
                    s,
                    app.reappoint_dossier,
                    leader,
                    due_at=self.calendar.add_working_time(
                        due, self.calendar.hours_per_day * rng.randrange(2, 6)
                    ),
                    reason="Cần lấy ý kiến cơ quan phối hợp",
                )
        if s.later(max(limit * share * rng.uniform(0.6, 1.0), 0.5)) is None:
            return
        results = tuple(
            self._result(r.result_code, r.name, s.applicant) for r in procedure.results
        )
        act(
            s,
            app.resolve_dossier,
            leader,
            results=results,
            decision="Đồng ý giải quyết theo đề nghị",
        )
        for issued in results:
            self.warehouse.setdefault(s.applicant.id, {})[issued.result_code] = (
                issued.document_id
            )
        if s.later(rng.uniform(1, 24)) is None:
            return
        act(s, app.return_result, s.desk, method=rng.choice(list(ReturnMethod)))
        if rng.random() < 0.6 and s.later(rng.uniform(0.5, 24)) is not None:
            satisfaction = rng.choices(list(Satisfaction), weights=(50, 42, 8))[0]
            act(s, app.rate_dossier, citizen, satisfaction=satisfaction)

    def _finish_transferred(self, s: _Story, dossier: Any) -> None:
        """The rest of a transferred dossier's life, by the successor's staff."""
        app, act, rng = self.app, self._act, self.rng
        unit = dossier.competent_agency
        leader = Actor(f"ld-{rng.randrange(1, 3)}", Role.LEADER, unit)
        status = dossier.status.value
        if status == "submitted":
            act(s, app.receive_submitted_dossier, s.desk)
            status = "received"
        if status == "awaiting_supplement":
            if s.later(rng.uniform(1, 16)) is None:
                return
            asked = (
                dossier.supplement_items
                or tuple(
                    c for c, state in dossier.components.items() if state.mandatory
                )[:1]
            )
            act(
                s,
                app.receive_supplement,
                Actor(dossier.applicant.id, Role.CITIZEN),
                documents={
                    code: self._upload(code, dossier.applicant, s.now) for code in asked
                },
            )
        if status == "awaiting_payment":
            if s.later(rng.uniform(1, 8)) is None:
                return
            act(
                s,
                app.confirm_payment,
                s.desk,
                channel=rng.choice(list(PaymentChannel)),
                receipt=f"BL{rng.randrange(10**6):06d}",
            )
        if status == "received":
            departments = self.structure.departments.get(unit) or []
            department = rng.choice(departments) if departments else None
            if s.later(rng.uniform(0.5, 4)) is None:
                return
            act(s, app.forward_dossier, s.desk, to=Holder(unit, department))
        if status != "resolved":
            if s.later(rng.uniform(4, 40)) is None:
                return
            results = tuple(
                self._result(code, code, dossier.applicant)
                for code in dossier.result_codes
            )
            act(
                s,
                app.resolve_dossier,
                leader,
                results=results,
                decision="Đơn vị kế thừa giải quyết theo đề nghị",
            )
        if s.later(rng.uniform(1, 24)) is None:
            return
        act(s, app.return_result, s.desk, method=rng.choice(list(ReturnMethod)))

    def _digitize(self, s: _Story, procedure: ProcedureDefinition) -> None:
        owned = self.warehouse.setdefault(s.applicant.id, {})
        for component in procedure.components:
            if component.scope is not DigitizationScope.IN_SCOPE:
                continue
            if not component.mandatory and self.rng.random() < 0.6:
                continue
            reusable = owned.get(component.document_type_code)
            if reusable is not None and self.rng.random() < 0.8:
                self._act(
                    s,
                    self.app.reuse_component,
                    s.desk,
                    component_code=component.code,
                    document_id=reusable,
                )
                continue
            scan = self._scan(component.name, s.applicant)
            self._act(
                s,
                self.app.digitize_component,
                s.desk,
                component_code=component.code,
                document=scan,
            )
            self._act(
                s,
                self.app.sign_component,
                s.desk,
                component_code=component.code,
            )
            owned[component.document_type_code] = scan.document_id

    # -- helpers -------------------------------------------------------------

    def _act(
        self, s: _Story, command: Callable[..., object], actor: Actor, **fields: Any
    ) -> None:
        """Run one use case at the story's time; refusals are part of real life."""
        try:
            command(s.dossier_id, trace=trace_for(actor, at=s.now), **fields)
        except LabelledError:
            self.summary.refused_commands += 1

    def _result(self, code: str, name: str, applicant: Applicant) -> IssuedResult:
        number = f"{self.rng.randrange(1, 999)}/QĐ"
        stored = store_page(
            self.app.files,
            [name.upper(), f"Số: {number}", f"Cấp cho: {applicant.name}", applicant.id],
        )
        return IssuedResult(code, self._uuid(), stored.sha256, number)

    def _uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def _upload(
        self, name: str, applicant: Applicant, at: datetime
    ) -> DocumentMetadata:
        """A scan the applicant uploads themselves (online, supplements): the
        upload is recorded as theirs, so their dossier may name it."""
        scan = self._scan(name, applicant)
        stored = self.app.files.facts(scan.sha256)
        assert stored is not None
        citizen = Actor(applicant.id, Role.CITIZEN)
        self.app.record_upload(trace_for(citizen, at=at), stored, ())
        return scan

    def _scan(self, name: str, applicant: Applicant) -> DocumentMetadata:
        """The paper the applicant brought, scanned at the desk (a real PDF)."""
        number = f"{self.rng.randrange(1, 9999)}/GT"
        stored = store_page(
            self.app.files,
            [name, f"Số: {number}", f"Họ và tên: {applicant.name}", applicant.id],
        )
        return DocumentMetadata(
            document_id=self._uuid(), sha256=stored.sha256, number_symbol=number
        )
