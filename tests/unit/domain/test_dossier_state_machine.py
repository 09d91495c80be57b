"""Hypothesis drives every dossier command, legal or not, against a simple model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from application.errors import DossierNotFoundError
from application.onestop import OneStop
from domain.deadline import Timeliness, classify
from domain.dossier_rules import LEGAL_FROM, Command
from domain.dossier_status import DossierStatus
from domain.dossier_values import (
    DigitalAccount,
    Holder,
    PaymentChannel,
    ReturnMethod,
    Satisfaction,
)
from domain.errors import (
    ActorNotAllowedError,
    AlreadyHeldError,
    AlreadyRatedError,
    CrossProvinceForwardError,
    DomainError,
    IllegalTransitionError,
    ReappointmentError,
    SupplementError,
    UnregisteredAgencyError,
    UnsignedComponentsError,
)
from domain.procedure import Fee
from domain.values import Actor
from tests.factories import (
    ADMIN,
    APPLICANT,
    BIRTH,
    CONSTRUCTION,
    JUSTICE,
    MONDAY,
    OTHER_PROVINCE,
    citizen,
    desk,
    document,
    leader,
    result,
    seed_catalogue,
    specialist,
    trace,
    warehouse_document,
)
from tests.pki import ensure_pki

# A unit no rule ever forwards to (CONSTRUCTION is a forward target: its staff
# may legitimately take part once a dossier reaches it).
OUTSIDER = specialist("000.00.16.H34", "outsider")
# (target, registered in this province's catalogue?)
FORWARD_TARGETS = [
    (Holder(JUSTICE, "PHC"), True),
    (Holder(JUSTICE, "PHT"), True),
    (Holder(JUSTICE), True),
    (Holder(CONSTRUCTION), True),
    (Holder(JUSTICE, "BGD"), False),  # departments of JUSTICE are catalogued
    (Holder("000.00.77.H34"), False),  # not registered
    (Holder(OTHER_PROVINCE), False),  # another province
    (Holder("000.99.99.H99"), False),
]


class DossierMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app = ensure_pki(OneStop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
        seed_catalogue(self.app)
        for department in ("PHC", "PHT"):
            self.app.add_department(
                JUSTICE, trace=trace(ADMIN), department_code=department, name=department
            )
        self.now = MONDAY
        self.reappointed: set[UUID] = set()
        self.dossiers: list[UUID] = []
        self.status: dict[UUID, DossierStatus] = {}
        self.signed: dict[UUID, set[str]] = {}
        self.due: dict[UUID, datetime | None] = {}
        self.warehouse = {
            code: warehouse_document(self.app, code) for code in ("TP1", "TP2", "TP4")
        }

    def tick(self, minutes: int) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    def attempt(
        self,
        dossier_id: UUID,
        command: Command,
        actor: Actor,
        call: Callable[[], Any],
        also_expected: type[DomainError] | tuple[type[DomainError], ...] = (),
    ) -> bool:
        before = self.app.get_dossier(dossier_id)
        legal_status = before.status in LEGAL_FROM[command]
        try:
            call()
        except (ActorNotAllowedError, DossierNotFoundError):
            # An outsider who may not even see it is answered "not found".
            assert actor is OUTSIDER
            self.assert_unchanged(dossier_id, before.version)
            return False
        except IllegalTransitionError:
            assert not legal_status, f"{command} refused in {before.status}"
            self.assert_unchanged(dossier_id, before.version)
            return False
        except DomainError as error:
            assert isinstance(error, also_expected), error  # noqa: PT017
            self.assert_unchanged(dossier_id, before.version)
            return False
        assert actor is not OUTSIDER, f"{command} by an outsider"
        assert legal_status, f"{command} accepted in {before.status}"
        after = self.app.get_dossier(dossier_id)
        assert after.version in (before.version, before.version + 1)
        if before.due_at is not None and after.due_at is not None:
            assert after.due_at >= before.due_at
        self.status[dossier_id] = after.status
        self.due[dossier_id] = after.due_at
        return True

    def assert_unchanged(self, dossier_id: UUID, version: int) -> None:
        assert self.app.get_dossier(dossier_id).version == version

    # -- beginnings --------------------------------------------------------

    @rule(minutes=st.integers(0, 600))
    def receive_at_desk(self, minutes: int) -> None:
        reception = self.app.receive_dossier(
            trace=trace(desk(), self.tick(minutes)),
            applicant=APPLICANT,
            procedure_code=BIRTH,
        )
        self.track(reception.dossier_id)

    @rule(minutes=st.integers(0, 600))
    def submit_online(self, minutes: int) -> None:
        dossier_id, _ = self.app.submit_dossier(
            trace=trace(citizen(), self.tick(minutes)),
            applicant=APPLICANT,
            procedure_code=BIRTH,
            documents={
                "TP1": document("scan", self.app, citizen()),
                "TP2": document("scan", self.app, citizen()),
            },
        )
        self.track(dossier_id)

    def track(self, dossier_id: UUID) -> None:
        dossier = self.app.get_dossier(dossier_id)
        self.dossiers.append(dossier_id)
        self.status[dossier_id] = dossier.status
        self.due[dossier_id] = dossier.due_at
        self.signed[dossier_id] = set()

    # -- every other command -------------------------------------------------

    def pick(self, data: st.DataObject) -> UUID:
        return data.draw(st.sampled_from(self.dossiers))

    def actor(self, data: st.DataObject, right: Actor) -> Actor:
        return data.draw(st.sampled_from([right, right, right, OUTSIDER]))

    has_dossiers = precondition(lambda self: bool(self.dossiers))

    @has_dossiers
    @rule(data=st.data(), minutes=st.integers(0, 240))
    def receive_online(self, data: st.DataObject, minutes: int) -> None:
        d, who = self.pick(data), self.actor(data, desk())
        self.attempt(
            d,
            Command.RECEIVE,
            who,
            lambda: self.app.receive_submitted_dossier(
                d, trace=trace(who, self.tick(minutes))
            ),
        )

    @has_dossiers
    @rule(data=st.data())
    def refuse(self, data: st.DataObject) -> None:
        d, who = self.pick(data), self.actor(data, desk())
        self.attempt(
            d,
            Command.REFUSE,
            who,
            lambda: self.app.refuse_dossier(
                d, trace=trace(who, self.now), reason="Không thuộc thẩm quyền"
            ),
        )

    @has_dossiers
    @rule(data=st.data(), has=st.booleans())
    def check_account(self, data: st.DataObject, has: bool) -> None:
        d, who = self.pick(data), self.actor(data, desk())
        self.attempt(
            d,
            Command.CHECK_DIGITAL_ACCOUNT,
            who,
            lambda: self.app.check_digital_account(
                d, trace=trace(who, self.now), account=DigitalAccount(has, has, 2)
            ),
        )

    @has_dossiers
    @rule(data=st.data(), code=st.sampled_from(["TP1", "TP2"]))
    def digitize(self, data: st.DataObject, code: str) -> None:
        d, who = self.pick(data), self.actor(data, desk())
        if self.attempt(
            d,
            Command.DIGITIZE_COMPONENT,
            who,
            lambda: self.app.digitize_component(
                d,
                trace=trace(who, self.now),
                component_code=code,
                document=document(code, self.app),
            ),
        ):
            self.signed[d].discard(code)

    @has_dossiers
    @rule(data=st.data(), code=st.sampled_from(["TP1", "TP2"]))
    def sign(self, data: st.DataObject, code: str) -> None:
        d, who = self.pick(data), self.actor(data, desk())
        from domain.errors import ComponentError

        if self.attempt(
            d,
            Command.SIGN_COMPONENT,
            who,
            lambda: self.app.sign_component(
                d,
                trace=trace(who, self.now),
                component_code=code,
            ),
            ComponentError,
        ):
            self.signed[d].add(code)

    @has_dossiers
    @rule(data=st.data(), code=st.sampled_from(["TP1", "TP2", "TP4"]))
    def reuse(self, data: st.DataObject, code: str) -> None:
        d, who = self.pick(data), self.actor(data, desk())
        self.attempt(
            d,
            Command.REUSE_COMPONENT,
            who,
            lambda: self.app.reuse_component(
                d,
                trace=trace(who, self.now),
                component_code=code,
                document_id=self.warehouse[code],
            ),
        )

    @has_dossiers
    @rule(data=st.data(), aim=st.sampled_from(FORWARD_TARGETS))
    def forward(self, data: st.DataObject, aim: tuple[Holder, bool]) -> None:
        d, who = self.pick(data), self.actor(data, desk())
        to, registered = aim
        held = self.app.get_dossier(d).holder == to
        done = self.attempt(
            d,
            Command.FORWARD,
            who,
            lambda: self.app.forward_dossier(d, trace=trace(who, self.now), to=to),
            (
                UnsignedComponentsError,
                UnregisteredAgencyError,
                CrossProvinceForwardError,
                AlreadyHeldError,
            ),
        )
        assert registered or not done, f"forwarded to {to}"
        assert not (held and done), f"forwarded to its holder {to}"
        if done:
            step = next(iter(self.app.events.get(d, desc=True, limit=1)))
            planned = getattr(step, "planned_due_at", self.due[d])
            assert planned == self.due[d]  # no plan given: the dossier's due time

    @has_dossiers
    @rule(data=st.data(), minutes=st.integers(0, 2000))
    def supplement_round(self, data: st.DataObject, minutes: int) -> None:
        d, who = self.pick(data), self.actor(data, specialist())
        self.attempt(
            d,
            Command.REQUEST_SUPPLEMENT,
            who,
            lambda: self.app.request_supplement(
                d, trace=trace(who, self.now), items=("TP2",), reason="Bổ sung"
            ),
        )
        # An empty upload never restarts the clock; the requested item does.
        assert not self.attempt(
            d,
            Command.RECEIVE_SUPPLEMENT,
            citizen(),
            lambda: self.app.receive_supplement(d, trace=trace(citizen(), self.now)),
            SupplementError,
        )
        self.attempt(
            d,
            Command.RECEIVE_SUPPLEMENT,
            citizen(),
            lambda: self.app.receive_supplement(
                d,
                trace=trace(citizen(), self.tick(minutes)),
                documents={"TP2": document("TP2", self.app, citizen())},
            ),
        )

    @has_dossiers
    @rule(data=st.data(), minutes=st.integers(0, 2000))
    def payment_round(self, data: st.DataObject, minutes: int) -> None:
        d, who = self.pick(data), self.actor(data, specialist())
        self.attempt(
            d,
            Command.REQUEST_PAYMENT,
            who,
            lambda: self.app.request_payment(
                d,
                trace=trace(who, self.now),
                fees=(Fee("LP1", "Lệ phí", Decimal(8000)),),
            ),
        )
        self.attempt(
            d,
            Command.CONFIRM_PAYMENT,
            desk(),
            lambda: self.app.confirm_payment(
                d,
                trace=trace(desk(), self.tick(minutes)),
                channel=PaymentChannel.DESK,
                receipt="BL-1",
            ),
        )

    @has_dossiers
    @rule(data=st.data(), days=st.integers(1, 10))
    def reappoint(self, data: st.DataObject, days: int) -> None:
        d, who = self.pick(data), self.actor(data, leader())
        due = self.due[d] or self.now
        if self.attempt(
            d,
            Command.REAPPOINT,
            who,
            lambda: self.app.reappoint_dossier(
                d,
                trace=trace(who, self.now),
                due_at=due + timedelta(days=days),
                reason="Xin lỗi",
            ),
            ReappointmentError,
        ):
            assert d not in self.reappointed
            assert self.now < due
            self.reappointed.add(d)

    @has_dossiers
    @rule(data=st.data())
    def stop(self, data: st.DataObject) -> None:
        d, who = self.pick(data), self.actor(data, leader())
        self.attempt(
            d,
            Command.STOP,
            who,
            lambda: self.app.stop_dossier(
                d, trace=trace(who, self.now), reason="Quá hạn bổ sung"
            ),
        )

    @has_dossiers
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        d = self.pick(data)
        self.attempt(
            d,
            Command.WITHDRAW,
            citizen(),
            lambda: self.app.withdraw_dossier(d, trace=trace(citizen(), self.now)),
        )

    @has_dossiers
    @rule(data=st.data(), minutes=st.integers(0, 3000))
    def resolve(self, data: st.DataObject, minutes: int) -> None:
        d, who = self.pick(data), self.actor(data, leader())
        due = self.due[d]
        if self.attempt(
            d,
            Command.RESOLVE,
            who,
            lambda: self.app.resolve_dossier(
                d,
                trace=trace(who, self.tick(minutes)),
                results=(result(self.app),),
                decision="Đồng ý",
            ),
        ):
            calendar = self.app.working_calendar("H34").calendar
            past_due = classify(self.now, due, 0, calendar) is Timeliness.LATE
            expected = past_due and d not in self.reappointed
            assert self.app.get_dossier(d).late_without_apology is expected

    @has_dossiers
    @rule(data=st.data(), method=st.sampled_from(list(ReturnMethod)))
    def return_result(self, data: st.DataObject, method: ReturnMethod) -> None:
        d, who = self.pick(data), self.actor(data, desk())
        self.attempt(
            d,
            Command.RETURN_RESULT,
            who,
            lambda: self.app.return_result(
                d, trace=trace(who, self.now), method=method
            ),
        )

    @has_dossiers
    @rule(data=st.data(), satisfaction=st.sampled_from(list(Satisfaction)))
    def rate(self, data: st.DataObject, satisfaction: Satisfaction) -> None:
        d = self.pick(data)
        self.attempt(
            d,
            Command.RATE,
            citizen(),
            lambda: self.app.rate_dossier(
                d, trace=trace(citizen(), self.now), satisfaction=satisfaction
            ),
            AlreadyRatedError,
        )

    # -- invariants --------------------------------------------------------

    @invariant()
    def replaying_the_events_reproduces_the_state(self) -> None:
        for dossier_id in self.dossiers:
            stored = self.app.get_dossier(dossier_id)
            events = list(self.app.events.get(dossier_id))
            assert [e.originator_version for e in events] == list(
                range(1, len(events) + 1)
            )
            assert stored.version == len(events)
            folded: Any = None
            for event in events:
                folded = event.mutate(folded)  # type: ignore[attr-defined]
            assert vars(folded) == vars(stored)
            assert stored.status is self.status[dossier_id]
            assert stored.national_status_code == stored.status.national_code


TestDossierStateMachine = DossierMachine.TestCase
TestDossierStateMachine.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
