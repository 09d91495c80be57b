"""Every read model equals a fold of the events it was built from.

Random command sequences (legal or not) run through a real ``OneStop``; the
resulting log is projected one event per transaction into one store, and in
random batch sizes into another whose projector is killed half-way through a
batch and then resumed by a fresh projector. Both stores must hold exactly the
same read models, and those must agree with the domain's own fold of the same
events (``app.get_dossier``): each read model's row is the domain's fold
(``domain.dossier_state.fold``) of the dossier's events, which is the
aggregate's own state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from application.onestop import OneStop
from domain.dossier import Dossier
from domain.dossier_state import fold
from domain.dossier_status import OPEN, DossierStatus
from domain.dossier_values import (
    Applicant,
    DigitalAccount,
    Holder,
    IssuedResult,
    PaymentChannel,
    ReturnMethod,
    Satisfaction,
)
from domain.errors import LabelledError
from domain.procedure import Fee
from domain.values import Actor
from projections.citizen import CitizenProjection, CitizenResult, CitizenView
from projections.control_sheet import ControlSheetView
from projections.dossier_rows import decode_state
from projections.ports import ReadStore
from projections.public_status import PublicStatusProjection, PublicStatusView
from projections.registry import all_projections
from projections.runtime import Projector
from projections.timeline import TimelineView
from projections.worklist import WorkItem, WorklistProjection, WorklistView
from tests.factories import (
    APPLICANT,
    BIRTH,
    BUILDING,
    CONSTRUCTION,
    CRIMINAL_RECORD,
    JUSTICE,
    OTHER_APPLICANT,
    PROVINCE,
    at,
    citizen,
    desk,
    document,
    leader,
    seed_catalogue,
    sha,
    specialist,
    trace,
)
from tests.pki import ensure_pki
from tests.projections.support import (
    COMPLETION,
    Fault,
    InjectedCrashError,
    checksums,
    contents,
    crashing_projections,
    positions,
)

PROCEDURES = (BIRTH, CRIMINAL_RECORD, BUILDING)
RESULT_CODES = {
    BIRTH: "KQ.H34.000001",
    CRIMINAL_RECORD: "KQ.H34.000002",
    BUILDING: "KQ.H34.000003",
}
COMPONENTS = {BIRTH: ("TP1", "TP2"), CRIMINAL_RECORD: ("TP1",), BUILDING: ("TP1",)}
HOLDERS = (
    Holder(JUSTICE, "PHC"),
    Holder(JUSTICE, "HCTP"),
    Holder(CONSTRUCTION),
    Holder(PROVINCE),
)
ROGUES = (
    citizen(OTHER_APPLICANT),
    specialist(CONSTRUCTION, "spec-xd"),
    leader(PROVINCE, "lead-ubnd"),
    desk(JUSTICE, "desk-stp"),
)
OPERATIONS = (
    "receive",
    "submit",
    "accept",
    "refuse",
    "account",
    "digitize",
    "forward",
    "supplement",
    "supplemented",
    "payment",
    "paid",
    "reappoint",
    "stop",
    "withdraw",
    "resolve",
    "return",
    "rate",
)

NATURAL = {
    DossierStatus.SUBMITTED: ("accept", "accept", "refuse", "withdraw"),
    DossierStatus.RECEIVED: ("forward", "forward", "account", "withdraw"),
    DossierStatus.IN_PROGRESS: (
        "resolve",
        "supplement",
        "payment",
        "forward",
        "reappoint",
        "resolve",
        "stop",
    ),
    DossierStatus.AWAITING_SUPPLEMENT: ("supplemented", "supplemented", "stop"),
    DossierStatus.AWAITING_PAYMENT: ("paid", "paid", "withdraw"),
    DossierStatus.RESOLVED: ("return",),
    DossierStatus.RETURNED: ("rate",),
}
"""What an officer or applicant would usually do next, by status."""

Step = tuple[str, int, int]
steps = st.lists(
    st.tuples(
        # Half the steps take the dossier's natural next step, so that the
        # examples reach every status; the rest are anything, legal or not.
        st.sampled_from(("next",) * len(OPERATIONS) + OPERATIONS),
        st.integers(0, 4),
        st.integers(0, 2 * len(ROGUES)),
    ),
    max_size=60,
)


@dataclass
class Driver:
    """Runs one command per step; illegal ones are refused by the domain."""

    app: OneStop
    dossiers: list[UUID] = field(default_factory=list)
    procedures: dict[UUID, str] = field(default_factory=dict)
    applicants: dict[UUID, Applicant] = field(default_factory=dict)
    refused: int = 0

    def run(self, number: int, operation: str, target: int, choice: int) -> None:
        when = at(number // 4, 8 + 2 * (number % 4))
        try:
            if operation in ("receive", "submit") or not self.dossiers:
                self._begin(operation == "submit", when, target, choice)
            else:
                dossier_id = self.dossiers[target % len(self.dossiers)]
                if operation == "next":
                    operation = self._natural(dossier_id, choice)
                    choice %= len(ROGUES) + 1  # by the right actor
                if operation == "receive":
                    self._begin(False, when, target, choice)
                else:
                    self._command(operation, dossier_id, when, choice)
        except LabelledError:
            self.refused += 1

    def _natural(self, dossier_id: UUID, choice: int) -> str:
        dossier = self.app.get_dossier(dossier_id)
        if dossier.status is DossierStatus.RECEIVED and not all(
            c.ready_to_forward for c in dossier.components.values()
        ):
            return "digitize"
        natural = NATURAL.get(dossier.status, ("receive",))
        return natural[choice % len(natural)]

    def _actor(self, legal: Actor, choice: int) -> Actor:
        """Mostly the right actor; otherwise someone who may well not be allowed."""
        return legal if choice <= len(ROGUES) else ROGUES[choice - len(ROGUES) - 1]

    def _begin(self, online: bool, when: datetime, target: int, choice: int) -> None:
        procedure = PROCEDURES[choice % len(PROCEDURES)]
        applicant = (APPLICANT, OTHER_APPLICANT)[target % 2]
        if online:
            dossier_id, _ = self.app.submit_dossier(
                trace=trace(self._actor(citizen(applicant), choice), when),
                applicant=applicant,
                procedure_code=procedure,
                documents={
                    code: document(
                        code, self.app, self._actor(citizen(applicant), choice)
                    )
                    for code in COMPONENTS[procedure]
                },
            )
        else:
            dossier_id = self.app.receive_dossier(
                trace=trace(self._actor(desk(), choice), when),
                applicant=applicant,
                procedure_code=procedure,
            ).dossier_id
        self.dossiers.append(dossier_id)
        self.procedures[dossier_id] = procedure
        self.applicants[dossier_id] = applicant

    def _command(
        self, operation: str, dossier_id: UUID, when: datetime, choice: int
    ) -> None:
        app = self.app
        owner = citizen(self.applicants[dossier_id])
        procedure = self.procedures[dossier_id]

        commands: dict[str, Callable[[], object]] = {
            "accept": lambda: app.receive_submitted_dossier(
                dossier_id, trace=trace(self._actor(desk(), choice), when)
            ),
            "refuse": lambda: app.refuse_dossier(
                dossier_id,
                trace=trace(self._actor(desk(), choice), when),
                reason="Hồ sơ không hợp lệ",
            ),
            "account": lambda: app.check_digital_account(
                dossier_id,
                trace=trace(self._actor(desk(), choice), when),
                account=DigitalAccount(
                    has_account=choice % 2 == 0, verified_with_vneid=True
                ),
            ),
            "digitize": lambda: self._digitize(dossier_id, when, choice),
            "forward": lambda: app.forward_dossier(
                dossier_id,
                trace=trace(self._actor(desk(), choice), when),
                to=HOLDERS[choice % len(HOLDERS)],
            ),
            "supplement": lambda: app.request_supplement(
                dossier_id,
                trace=trace(self._actor(specialist(), choice), when),
                items=COMPONENTS[procedure][:1],
                reason="Thiếu giấy tờ",
            ),
            "supplemented": lambda: app.receive_supplement(
                dossier_id,
                trace=trace(self._actor(owner, choice), when),
                documents={"TP1": document("bổ sung", app, self._actor(owner, choice))},
            ),
            "payment": lambda: app.request_payment(
                dossier_id,
                trace=trace(self._actor(specialist(), choice), when),
                fees=(Fee("LP1", "Lệ phí", Decimal(8000 * (1 + choice))),),
            ),
            "paid": lambda: app.confirm_payment(
                dossier_id,
                trace=trace(self._actor(desk(), choice), when),
                channel=PaymentChannel.ONLINE_NATIONAL,
                receipt=f"BL-{choice}",
            ),
            "reappoint": lambda: app.reappoint_dossier(
                dossier_id,
                trace=trace(self._actor(specialist(), choice), when),
                due_at=at(30 + choice, 16),
                reason="Cần xác minh",
            ),
            "stop": lambda: app.stop_dossier(
                dossier_id,
                trace=trace(self._actor(leader(), choice), when),
                reason="Dừng xử lý",
            ),
            "withdraw": lambda: app.withdraw_dossier(
                dossier_id, trace=trace(self._actor(owner, choice), when)
            ),
            "resolve": lambda: app.resolve_dossier(
                dossier_id,
                trace=trace(self._actor(leader(), choice), when),
                results=(
                    IssuedResult(
                        RESULT_CODES[procedure], uuid4(), sha("kq"), f"{choice}/KQ"
                    ),
                ),
                decision="Chấp thuận",
            ),
            "return": lambda: app.return_result(
                dossier_id,
                trace=trace(self._actor(desk(), choice), when),
                method=(ReturnMethod.DESK, ReturnMethod.ELECTRONIC)[choice % 2],
            ),
            "rate": lambda: app.rate_dossier(
                dossier_id,
                trace=trace(self._actor(owner, choice), when),
                satisfaction=Satisfaction.SATISFIED,
            ),
        }
        commands[operation]()

    def _digitize(self, dossier_id: UUID, when: datetime, choice: int) -> None:
        ensure_pki(self.app)
        officer = trace(self._actor(desk(), choice), when)
        for code in COMPONENTS[self.procedures[dossier_id]]:
            self.app.digitize_component(
                dossier_id,
                trace=officer,
                component_code=code,
                document=document(code, self.app),
            )
            self.app.sign_component(
                dossier_id,
                trace=officer,
                component_code=code,
            )


def drive(script: list[Step]) -> Driver:
    app = OneStop(env=persistence_env("memory://"))
    seed_catalogue(app)
    driver = Driver(app)
    for number, (operation, target, choice) in enumerate(script):
        driver.run(number, operation, target, choice)
    return driver


def head(app: OneStop) -> int:
    return app.recorder.max_notification_id() or 0


class TestEveryReadModelIsAFoldOfItsEvents:
    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        script=steps,
        batch_sizes=st.lists(st.integers(1, 40), min_size=1, max_size=5),
        data=st.data(),
    )
    def test_a_projection_killed_mid_batch_and_resumed_equals_one_event_per_transaction(
        self, script: list[Step], batch_sizes: list[int], data: st.DataObject
    ) -> None:
        driver = drive(script)
        app = driver.app
        for dossier_id in driver.dossiers:
            event(f"reached {app.get_dossier(dossier_id).status.value}")
        one_by_one = SQLiteReadStore(":memory:")
        batched = SQLiteReadStore(":memory:")
        try:
            counter = Fault()
            Projector(
                app, one_by_one, crashing_projections(counter), batch_size=1
            ).catch_up()
            assert set(positions(one_by_one).values()) == {head(app)}

            fault = Fault(at=data.draw(st.integers(1, counter.calls), label="kill at"))
            killed = Projector(app, batched, crashing_projections(fault))
            crashed = False
            for number in range(10_000):
                before = positions(batched), checksums(batched)
                try:
                    if not killed.step(batch_sizes[number % len(batch_sizes)]):
                        break
                except InjectedCrashError:
                    crashed = True
                    # The failed batch left no trace: neither rows nor positions.
                    assert (positions(batched), checksums(batched)) == before
                    break
            assert crashed

            resumed = Projector(app, batched, all_projections())
            number = 0
            while resumed.step(batch_sizes[number % len(batch_sizes)]):
                number += 1
            assert set(positions(batched).values()) == {head(app)}
            assert contents(batched) == contents(one_by_one)
            assert checksums(batched) == checksums(one_by_one)

            for dossier_id in driver.dossiers:
                assert_agrees_with_domain(app, app.get_dossier(dossier_id), batched)
        finally:
            one_by_one.close()
            batched.close()
            app.close()


def assert_agrees_with_domain(app: OneStop, dossier: Dossier, store: ReadStore) -> None:
    """Every read model against the domain's fold of the same events, and that
    fold against the aggregate: row == fold(events) == ``Dossier.state``."""
    dossier_id = str(dossier.id)
    folded = fold(app.events.get(dossier.id))
    assert folded is not None
    assert folded == dossier.state
    assert folded.version == dossier.version

    # Each read model that shows a status keeps the state it folded itself.
    for projection in (
        WorklistProjection(),
        CitizenProjection(),
        PublicStatusProjection(),
    ):
        [(stored,)] = store.query(
            f"SELECT state FROM {projection.folded.table} WHERE dossier_id = ?",
            (dossier_id,),
        )
        assert decode_state(stored) == folded, projection.name

    items = {item.dossier_id: item for item in WorklistView(store).recent(limit=10_000)}
    item: WorkItem = items[dossier_id]
    assert (
        item.status,
        item.national_code,
        item.code,
        item.competent_agency,
        item.receiving_agency,
        item.holder_agency,
        item.holder_department,
        item.involved_agencies,
        item.submitted_at,
        item.received_at,
        item.due_at,
        item.finished_at,
        item.supplement_requests,
        item.timeliness,
        item.reappointed,
        item.late_without_apology,
        item.version,
    ) == (
        folded.status,
        folded.national_code,
        folded.code,
        folded.competent_agency,
        folded.receiving_agency,
        folded.holder.agency_code,
        folded.holder.department,
        folded.involved_agencies,
        folded.submitted_at,
        folded.received_at,
        folded.due_at,
        folded.finished_at,
        folded.supplement_requests,
        folded.timeliness.value if folded.timeliness else None,
        folded.reappointed,
        folded.late_without_apology,
        folded.version,
    )
    assert (item.applicant_id, item.procedure_code) == (
        dossier.applicant.id,
        dossier.procedure_code,
    )
    for unit in (*folded.units, folded.competent_agency):
        assert item.seen_by_unit(unit)
        assert folded.seen_by_unit(unit)

    public = PublicStatusView(store)
    if folded.code is None:  # never received: nothing to look up
        assert not store.query(
            f"SELECT code FROM {public.table} WHERE dossier_id = ? "
            "AND (code IS NOT NULL OR completion IS NOT NULL)",
            (dossier_id,),
        )
    else:
        found = public.lookup(folded.code)
        assert found is not None
        assert found.completion is folded.completion
        assert found.completion is COMPLETION[dossier.status]

    citizens = CitizenView(store)
    mine = {d.dossier_id: d for d in citizens.dossiers_of(dossier.applicant.id)}
    shown = mine[dossier_id]
    assert (
        shown.status,
        shown.national_code,
        shown.code,
        shown.agency_code,
        shown.department,
        shown.received_at,
        shown.due_at,
        shown.finished_at,
        shown.returned_at,
        shown.return_method,
        shown.satisfaction,
        shown.version,
    ) == (
        folded.status,
        folded.national_code,
        folded.code,
        folded.holder.agency_code,
        folded.holder.department,
        folded.received_at,
        folded.due_at,
        folded.finished_at,
        folded.returned_at,
        folded.return_method.value if folded.return_method else None,
        folded.satisfaction.value if folded.satisfaction else None,
        folded.version,
    )
    results = citizens.results(dossier_id)
    if dossier.status is DossierStatus.RETURNED:
        assert sorted(results, key=lambda r: r.document_id) == sorted(
            (
                CitizenResult(r.result_code, str(r.document_id), r.number_symbol)
                for r in dossier.results
            ),
            key=lambda r: r.document_id,
        )
        assert results
    else:
        assert results == []

    entries = TimelineView(store).entries(dossier_id)
    assert [e.version for e in entries] == list(range(1, dossier.version + 1))

    # The control sheet: a line per hand-over, the last one with the holder,
    # open exactly while the dossier is being handled.
    steps = ControlSheetView(store).steps(dossier_id)
    if folded.received_at is None:
        assert steps == []
    else:
        last = steps[-1]
        assert last.to_agency == folded.holder.agency_code
        if last.step > 1:  # a hand-over (reception names the desk's department)
            assert last.to_department == folded.holder.department
        assert (last.completed_at is None) is (folded.status in OPEN)
