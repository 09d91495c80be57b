"""Values are checked before events exist, on every path that writes them.

Runs the real application on the in-memory store (the checks are the same on
every store; the store tests elsewhere prove persistence). Each refusal is a
typed error and leaves the log exactly as it was.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.settings import persistence_env
from application.clock import trace_for
from application.onestop import OneStop
from domain.dossier_events import DossierEvent, ReceivedAtDesk
from domain.dossier_values import (
    Applicant,
    ApplicantKind,
    DocumentMetadata,
)
from domain.errors import (
    ComponentError,
    InvalidFieldCodeError,
    InvalidProcedureError,
    InvalidValueError,
    LabelledError,
)
from domain.procedure import Fee
from domain.values import Actor, Authentication, Role
from tests.factories import (
    ADMIN,
    APPLICANT,
    BIRTH,
    MONDAY,
    VN,
    birth_registration,
    citizen,
    desk,
    document,
    in_progress,
    receive,
    seed_catalogue,
    sha,
    specialist,
    trace,
    warehouse_document,
)

TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def app() -> Iterator[OneStop]:
    application = OneStop(env=persistence_env("memory://"))
    seed_catalogue(application)
    yield application
    application.close()


@contextmanager
def refused(app: OneStop, error: type[LabelledError]) -> Iterator[None]:
    """The block raises ``error`` and the log does not move."""
    before = app.recorder.max_notification_id()
    with pytest.raises(error):
        yield
    assert app.recorder.max_notification_id() == before


_UPLOADS: weakref.WeakKeyDictionary[OneStop, dict[str, str]] = (
    weakref.WeakKeyDictionary()
)


@pytest.fixture(autouse=True)
def citizen_uploads(app: OneStop) -> None:
    """The citizen's scans are uploaded before any test measures the log."""
    _UPLOADS[app] = {
        code: document(code, app, citizen()).sha256 for code in ("TP1", "TP2")
    }


def submit(app: OneStop, **changes: Any) -> UUID:
    uploaded = {
        code: DocumentMetadata(uuid4(), sha256)
        for code, sha256 in _UPLOADS[app].items()
    }
    arguments: dict[str, Any] = {
        "trace": trace(citizen()),
        "applicant": APPLICANT,
        "procedure_code": BIRTH,
        "documents": uploaded,
        **changes,
    }
    return app.submit_dossier(**arguments)[0]


# -- item 1: the issue's examples at the domain / application level ---------------


class TestIssueExamples:
    def test_a_ten_megabyte_summary_is_refused(self, app: OneStop) -> None:
        with refused(app, InvalidValueError):
            submit(app, summary="x" * TEN_MB)
        with refused(app, InvalidValueError):
            app.receive_dossier(
                trace=trace(desk()),
                applicant=APPLICANT,
                procedure_code=BIRTH,
                summary="x" * TEN_MB,
            )

    def test_a_twenty_megabyte_online_submission_is_refused(self, app: OneStop) -> None:
        """However it is spread: one summary, many documents, long metadata."""
        big = "y" * (20 * 1024 * 1024)
        many = {f"TP{i}": document(str(i)) for i in range(1, 20_000)}
        with refused(app, InvalidValueError):
            submit(app, documents=many)
        with refused(app, InvalidValueError):
            submit(app, summary=big)
        odd_code = {"TP1": document("TP1"), "TP2": document("TP2"), big: document()}
        with refused(app, InvalidValueError):
            submit(app, documents=odd_code)
        with pytest.raises(InvalidValueError):
            DocumentMetadata(uuid4(), sha("1"), summary=big)

    def test_poison_fee_amounts_never_reach_the_log(self, app: OneStop) -> None:
        dossier_id = in_progress(app)
        for amount in (Decimal("1e999999999"), Decimal("1e30"), Decimal("NaN")):
            with refused(app, InvalidValueError):
                app.request_payment(
                    dossier_id,
                    trace=trace(specialist()),
                    fees=(Fee("LP1", "Lệ phí", amount),),
                )
        app.request_payment(
            dossier_id,
            trace=trace(specialist()),
            fees=(Fee("LP1", "Lệ phí", Decimal(3_000_000_000)),),
        )
        stored = app.get_dossier(dossier_id).fees_requested
        assert [f.amount for f in stored] == [Decimal(3_000_000_000)]

    def test_a_far_future_or_naive_reappointment_is_refused(self, app: OneStop) -> None:
        dossier_id = in_progress(app)
        due = app.get_dossier(dossier_id).due_at
        assert due is not None
        for due_at in (
            datetime.fromisoformat("9999-12-31T23:59:59-12:00"),
            datetime(2026, 3, 20, 10),
            due + timedelta(days=400),
        ):
            with refused(app, InvalidValueError):
                app.reappoint_dossier(
                    dossier_id,
                    trace=trace(specialist()),
                    due_at=due_at,
                    reason="Quá tải",
                )
        app.reappoint_dossier(
            dossier_id,
            trace=trace(specialist()),
            due_at=due + timedelta(days=7),
            reason="Quá tải",
        )

    @pytest.mark.parametrize(
        "reason", ["", "x" * 2001, "lý do\x00", "lý do\ud800"], ids=repr
    )
    def test_reasons_are_bounded_text(self, app: OneStop, reason: str) -> None:
        dossier_id = in_progress(app)
        with refused(app, LabelledError):
            app.stop_dossier(dossier_id, trace=trace(specialist()), reason=reason)

    def test_lists_are_bounded(self, app: OneStop) -> None:
        dossier_id = in_progress(app)
        fees = tuple(Fee(f"LP{i}", "Lệ phí", Decimal(1000)) for i in range(51))
        with refused(app, InvalidValueError):
            app.request_payment(dossier_id, trace=trace(specialist()), fees=fees)
        with refused(app, InvalidValueError):
            app.request_supplement(
                dossier_id,
                trace=trace(specialist()),
                items=("TP1",) * 101,
                reason="Thiếu",
            )

    def test_an_unknown_or_malformed_procedure_code_is_typed(
        self, app: OneStop
    ) -> None:
        for code in ("1.001193\ud800", "x" * TEN_MB, "1.0"):
            with refused(app, InvalidProcedureError):
                submit(app, procedure_code=code)


# -- item 9: digitization scope and component identity on every path --------------


class TestScopeOnEveryPath:
    """TP3 of the birth registration is shown only; TP9 is not a component."""

    def test_online_submission(self, app: OneStop) -> None:
        for code in ("TP3", "TP9"):
            documents = {"TP1": document(), "TP2": document(), code: document()}
            with refused(app, ComponentError):
                submit(app, documents=documents)

    def test_citizen_and_desk_supplements(self, app: OneStop) -> None:
        dossier_id = in_progress(app)
        app.request_supplement(
            dossier_id, trace=trace(specialist()), items=("TP1",), reason="Thiếu"
        )
        for who in (citizen(), desk()):
            for code in ("TP3", "TP9"):
                with refused(app, ComponentError):
                    app.receive_supplement(
                        dossier_id, trace=trace(who), documents={code: document()}
                    )
        app.receive_supplement(
            dossier_id,
            trace=trace(citizen()),
            documents={"TP1": document("new", app, citizen())},
        )

    def test_reuse(self, app: OneStop) -> None:
        dossier_id = receive(app).dossier_id
        kept = warehouse_document(app, "TP2")
        for code in ("TP3", "TP9"):
            with refused(app, ComponentError):
                app.reuse_component(
                    dossier_id,
                    trace=trace(desk()),
                    component_code=code,
                    document_id=kept,
                )


# -- item 10: applicants as they come ----------------------------------------------


@pytest.mark.parametrize(
    ("kind", "applicant_id"),
    [
        (ApplicantKind.CITIZEN, "062000000009"),
        (ApplicantKind.IDENTITY_CARD, "231234567"),
        (ApplicantKind.PASSPORT, "C1234567"),
        (ApplicantKind.ENTERPRISE, "0101234567"),
        (ApplicantKind.ENTERPRISE, "0101234567-001"),
        (ApplicantKind.COOPERATIVE, "6101234567"),
        (ApplicantKind.ORGANISATION, "1012345"),
    ],
)
def test_every_applicant_kind_is_received_and_recorded(
    app: OneStop, kind: ApplicantKind, applicant_id: str
) -> None:
    applicant = Applicant(applicant_id, "Người nộp", kind)
    reception = receive(app, applicant=applicant)
    assert app.get_dossier(reception.dossier_id).applicant == applicant
    first = next(iter(app.events.get(reception.dossier_id)))
    assert isinstance(first, ReceivedAtDesk)
    assert first.applicant.kind is kind


# -- item 11: procedure codes and fields ---------------------------------------------


def test_a_local_procedure_variant_is_published_stored_and_received(
    app: OneStop,
) -> None:
    local = replace(birth_registration(), code=f"{BIRTH}.000.00.12.H34")
    app.publish_procedure(trace=trace(ADMIN), definition=local)
    reception = receive(app, procedure=local.code)
    dossier = app.get_dossier(reception.dossier_id)
    assert dossier.procedure_code == "1.001193.000.00.12.H34"
    assert app.get_procedure(local.code).definition == local


def test_a_procedure_with_a_field_outside_the_catalogue_is_not_published(
    app: OneStop,
) -> None:
    for field in ("H34-NOPE", "H35-HT"):
        definition = replace(birth_registration(), code="1.999999", field_code=field)
        with refused(app, InvalidFieldCodeError):
            app.publish_procedure(trace=trace(ADMIN), definition=definition)
        with refused(app, InvalidFieldCodeError):
            app.revise_procedure(
                trace=trace(ADMIN), definition=replace(definition, code=BIRTH)
            )


# -- item 12: how the citizen was authenticated --------------------------------------


def test_citizen_events_record_the_authentication(app: OneStop) -> None:
    login = Authentication("https://sso.dichvucong.gov.vn", 2)
    actor = Actor(APPLICANT.id, Role.CITIZEN, authentication=login)
    dossier_id = submit(app, trace=trace_for(actor, at=MONDAY.astimezone(VN)))
    app.withdraw_dossier(dossier_id, trace=trace(actor))
    events = list(app.events.get(dossier_id))
    assert [e.trace.actor.authentication for e in events] == [login, login]  # type: ignore[attr-defined]
    officer_event = receive(app).dossier_id
    first = next(iter(app.events.get(officer_event)))
    assert isinstance(first, DossierEvent)
    assert first.trace.actor.authentication is None
