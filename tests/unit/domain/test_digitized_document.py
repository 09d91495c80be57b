"""The warehouse document's rules: validity, who may reuse it, who may open it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.digitized_document import (
    DEFAULT_VALIDITY,
    DigitizedDocument,
    DocumentKind,
    Origin,
    ReuseRefusedError,
    local_date,
)
from domain.dossier_values import DocumentMetadata
from domain.errors import InvalidValueError
from domain.files import MediaType, StoredFile
from domain.values import Actor, Role
from tests.factories import APPLICANT, MONDAY, OTHER_APPLICANT, PROVINCE, sha, trace

FILE = StoredFile(sha("scan"), 1234, 1, MediaType.PNG)


def registered(
    metadata: DocumentMetadata | None = None,
    kind: DocumentKind = DocumentKind.COMPONENT,
    at: datetime = MONDAY,
) -> DigitizedDocument:
    return DigitizedDocument.register(
        trace=trace(Actor("desk-1", Role.DESK, PROVINCE), at),
        owner_id=APPLICANT.id,
        kind=kind,
        type_code="GT.GCS",
        metadata=metadata or DocumentMetadata(uuid4(), FILE.sha256),
        file=FILE,
        origin=Origin(PROVINCE, uuid4(), None, "TP2"),
    )


class FakeDossier:
    def __init__(self, returned: bool, visible: bool) -> None:
        self.id = uuid4()
        self.result_returned = returned
        self._visible = visible

    def visible_to(self, actor: Actor) -> bool:
        return self._visible


@given(days=st.integers(-3650, 3650))
def test_a_dated_document_is_valid_through_its_last_day(days: int) -> None:
    end = date(2026, 6, 30)
    document = registered(DocumentMetadata(uuid4(), FILE.sha256, valid_until=end))
    day = end + timedelta(days=days)
    assert document.valid_on(day) is (days <= 0)


@given(days=st.integers(0, 36500))
def test_a_permanent_document_never_expires(days: int) -> None:
    document = registered(DocumentMetadata(uuid4(), FILE.sha256, permanent=True))
    assert document.valid_until is None
    assert document.valid_on(date(2026, 3, 2) + timedelta(days=days))


def test_no_end_given_means_six_months_from_digitization() -> None:
    document = registered(at=MONDAY)
    assert document.valid_until == local_date(MONDAY + DEFAULT_VALIDITY)


def test_permanent_with_an_end_or_an_end_before_issue_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        DocumentMetadata(uuid4(), FILE.sha256, permanent=True, valid_until=date.today())
    with pytest.raises(InvalidValueError):
        DocumentMetadata(
            uuid4(),
            FILE.sha256,
            issued_on=date(2026, 5, 2),
            valid_until=date(2026, 5, 1),
        )


def test_the_metadata_must_name_the_stored_file() -> None:
    with pytest.raises(InvalidValueError):
        registered(DocumentMetadata(uuid4(), sha("another file")))


class TestReuse:
    def test_the_owner_of_the_same_type_while_valid(self) -> None:
        registered().check_reusable(
            owner_id=APPLICANT.id, type_codes={"GT.GCS"}, on=date(2026, 3, 3)
        )

    @pytest.mark.parametrize(
        ("owner", "types", "on"),
        [
            (OTHER_APPLICANT.id, {"GT.GCS"}, date(2026, 3, 3)),
            (APPLICANT.id, {"GT.TKKS"}, date(2026, 3, 3)),
            (APPLICANT.id, {"GT.GCS"}, date(2027, 3, 3)),
        ],
        ids=["another-owner", "another-type", "expired"],
    )
    def test_refused(self, owner: str, types: set[str], on: date) -> None:
        with pytest.raises(ReuseRefusedError):
            registered().check_reusable(owner_id=owner, type_codes=types, on=on)


class TestOpening:
    def test_the_owner_opens_a_component_at_once(self) -> None:
        owner = Actor(APPLICANT.id, Role.CITIZEN)
        assert registered().may_open(owner, [])

    def test_a_result_only_once_returned(self) -> None:
        result = registered(kind=DocumentKind.RESULT)
        owner = Actor(APPLICANT.id, Role.CITIZEN)
        source = FakeDossier(returned=False, visible=True)
        object.__setattr__(result, "origin", Origin(PROVINCE, source.id, None, "KQ"))
        assert not result.may_open(owner, [source])
        source.result_returned = True
        assert result.may_open(owner, [source])

    def test_another_citizen_never(self) -> None:
        stranger = Actor(OTHER_APPLICANT.id, Role.CITIZEN)
        assert not registered().may_open(stranger, [FakeDossier(True, True)])

    def test_an_officer_who_sees_a_dossier_of_it(self) -> None:
        officer = Actor("spec-1", Role.SPECIALIST, PROVINCE)
        assert registered().may_open(officer, [FakeDossier(False, True)])
        assert not registered().may_open(officer, [FakeDossier(False, False)])
        assert not registered().may_open(officer, [])
