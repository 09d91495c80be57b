"""Value objects refuse what may not enter an event; stored values still load."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given
from hypothesis import strategies as st

from application.transcodings import register_value_transcodings
from domain.dossier_values import (
    Applicant,
    ApplicantKind,
    DigitalAccount,
    DocumentMetadata,
    Holder,
    IssuedResult,
    canonical_applicant_id,
)
from domain.errors import (
    InvalidAgencyCodeError,
    InvalidFieldCodeError,
    InvalidProcedureError,
    InvalidValueError,
)
from domain.fields import check_field
from domain.procedure import Fee, validate_procedure_code
from domain.values import Actor, AgencyCode, Authentication, Role, Trace
from tests.factories import birth_registration, sha

VN = timezone(timedelta(hours=7))

VALID_IDS = {
    ApplicantKind.CITIZEN: r"0(0[1-9]|[1-8][0-9]|9[0-6])[0-9]{9}",
    ApplicantKind.IDENTITY_CARD: r"[0-9]{9}",
    ApplicantKind.PASSPORT: r"[A-Z0-9]{6,12}",
    ApplicantKind.ENTERPRISE: r"[0-9]{10}(-[0-9]{3})?",
    ApplicantKind.COOPERATIVE: r"[0-9]{10}(-[0-9]{3})?",
    ApplicantKind.ORGANISATION: r"[0-9]{7}",
}
# Other spellings of the same identifier, stored in the canonical form above.
ALTERNATIVE_IDS = {
    ApplicantKind.ENTERPRISE: r"[0-9]{13}",
    ApplicantKind.COOPERATIVE: r"[0-9]{13}",
}


@pytest.mark.parametrize("kind", list(ApplicantKind))
@given(data=st.data())
def test_each_applicant_kind_accepts_its_own_identifier(
    kind: ApplicantKind, data: st.DataObject
) -> None:
    applicant_id = data.draw(st.from_regex(VALID_IDS[kind], fullmatch=True))
    applicant = Applicant(applicant_id, " Nguyễn Văn An ", kind)
    assert applicant.id == applicant_id
    assert applicant.name == "Nguyễn Văn An"


@pytest.mark.parametrize("kind", list(ALTERNATIVE_IDS))
@given(data=st.data())
def test_a_thirteen_digit_code_is_stored_in_one_canonical_form(
    kind: ApplicantKind, data: st.DataObject
) -> None:
    plain = data.draw(st.from_regex(ALTERNATIVE_IDS[kind], fullmatch=True))
    dashed = f"{plain[:10]}-{plain[10:]}"
    assert Applicant(plain, "Công ty An", kind).id == dashed
    assert Applicant(dashed, "Công ty An", kind) == Applicant(plain, "Công ty An", kind)
    assert canonical_applicant_id(plain) == canonical_applicant_id(dashed) == dashed


@given(st.integers(0, 999), st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_a_personal_id_starts_with_a_province_of_birth(
    province: int, rest: str
) -> None:
    number = f"{province:03d}{rest}"
    if 1 <= province <= 96:
        assert Applicant(number, "Nguyễn Văn An").id == number
    else:
        with pytest.raises(InvalidValueError) as refused:
            Applicant(number, "Nguyễn Văn An")
        assert "001-096" in refused.value.message("vi")


@pytest.mark.parametrize(
    ("kind", "applicant_id"),
    [
        (ApplicantKind.CITIZEN, "06200000000"),  # 11 digits
        (ApplicantKind.CITIZEN, "062000000001 "),
        (ApplicantKind.CITIZEN, "０６２０００００００００１"),  # full-width digits
        (ApplicantKind.IDENTITY_CARD, "062000000001"),  # a CCCD is not a CMND
        (ApplicantKind.PASSPORT, "c1234567"),  # lower case
        (ApplicantKind.PASSPORT, "C12"),
        (ApplicantKind.PASSPORT, "C1234567890123"),
        (ApplicantKind.CITIZEN, "000123456789"),  # no province 000
        (ApplicantKind.CITIZEN, "097123456789"),  # provinces end at 096
        (ApplicantKind.CITIZEN, "999123456789"),
        (ApplicantKind.CITIZEN, "100123456789"),
        (ApplicantKind.ENTERPRISE, "01012345670012"),  # 14 digits
        (ApplicantKind.ENTERPRISE, "0101234567-01"),
        (ApplicantKind.ENTERPRISE, "0101234567--001"),
        (ApplicantKind.ENTERPRISE, "010123456"),
        (ApplicantKind.COOPERATIVE, "01012345-67"),
        (ApplicantKind.ORGANISATION, "12345678"),
        (ApplicantKind.ORGANISATION, "1234567\n"),
    ],
)
def test_an_identifier_of_another_form_is_refused(
    kind: ApplicantKind, applicant_id: str
) -> None:
    with pytest.raises(InvalidValueError) as refused:
        Applicant(applicant_id, "Nguyễn Văn An", kind)
    assert refused.value.field == "applicantId"


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * 201, "An\x00", "An\ud800", "An\nBình"], ids=repr
)
def test_an_applicant_name_is_bounded_text(name: str) -> None:
    with pytest.raises(InvalidValueError):
        Applicant("062000000001", name)


def test_document_metadata_is_bounded() -> None:
    good = DocumentMetadata(uuid4(), sha("x"), "01/GKS", date(2020, 1, 1))
    assert good.number_symbol == "01/GKS"
    bad_changes: list[dict[str, object]] = [
        {"sha256": "00"},
        {"summary": "x" * (10 * 1024 * 1024)},
        {"issuer": "Sở\x1bTư pháp"},
        {"number_symbol": "x" * 201},
        {"issued_on": date(1, 1, 1)},
        {"valid_until": date(9999, 12, 31)},
    ]
    for change in bad_changes:
        fields = {
            "document_id": uuid4(),
            "sha256": sha("x"),
            **change,
        }
        with pytest.raises(InvalidValueError):
            DocumentMetadata(**fields)  # type: ignore[arg-type]


def test_result_documents_and_holders_are_checked() -> None:
    with pytest.raises(InvalidValueError):
        IssuedResult("KQ H34", uuid4(), sha("r"))
    with pytest.raises(InvalidValueError):
        IssuedResult("KQ.H34.000001", uuid4(), sha("r"), "x" * 201)
    with pytest.raises(InvalidAgencyCodeError):
        Holder("000.99.99.H9")
    with pytest.raises(InvalidValueError):
        Holder("000.00.12.H34", "Phòng hộ tịch\n")
    with pytest.raises(InvalidValueError):
        DigitalAccount(True, True, 7)


@pytest.mark.parametrize(
    "amount", [Decimal("1e30"), Decimal("NaN"), Decimal("-1"), Decimal("1.5"), 10**13]
)
def test_a_fee_is_a_bounded_whole_amount(amount: object) -> None:
    with pytest.raises(InvalidValueError):
        Fee("LP1", "Lệ phí", amount)  # type: ignore[arg-type]


def test_a_fee_of_three_billion_and_a_free_line_are_accepted() -> None:
    assert Fee("LP1", "Lệ phí", 3_000_000_000).amount == Decimal(3_000_000_000)  # type: ignore[arg-type]
    assert Fee("LP0", "Miễn phí", Decimal(0)).amount == 0


# -- procedure codes and fields ---------------------------------------------------


@pytest.mark.parametrize(
    "code", ["1.001193", "1.003560.000.00.00.H34", "2.000488.000.00.12.H34"]
)
def test_national_and_local_procedure_codes_are_accepted(code: str) -> None:
    assert validate_procedure_code(code) == code
    assert replace(birth_registration(), code=code).code == code


@pytest.mark.parametrize(
    "code",
    ["1.00119", "1.001193.", "1.001193.H34", "1.001193.000.00.00.H3", "x" * 10**6],
    ids=lambda c: c[:20],
)
def test_other_procedure_codes_are_refused(code: str) -> None:
    with pytest.raises((InvalidProcedureError, InvalidAgencyCodeError)):
        validate_procedure_code(code)


def test_a_local_variant_is_published_by_a_unit_of_the_same_province() -> None:
    with pytest.raises(InvalidProcedureError):
        replace(birth_registration(), code="1.001193.000.00.00.H35")


def test_field_codes_are_checked_against_the_catalogue_and_the_province() -> None:
    justice = AgencyCode("000.00.12.H34")
    assert check_field("H34-HT", justice) == "H34-HT"
    for field in ("H34-NOPE", "H35-HT", "H34-ht"):
        with pytest.raises(InvalidFieldCodeError):
            check_field(field, justice)


# -- authentication and traces ---------------------------------------------


def test_a_citizen_actor_records_how_they_were_authenticated() -> None:
    actor = Actor(
        "062000000001", Role.CITIZEN, authentication=Authentication("vneid", 2)
    )
    assert actor.authentication == Authentication("vneid", 2)
    with pytest.raises(InvalidValueError):
        Authentication("vneid", 3)


def test_a_trace_needs_an_aware_plausible_time() -> None:
    actor = Actor("a", Role.SYSTEM)
    with pytest.raises(InvalidValueError):
        Trace(actor, datetime(2026, 3, 2, 8), uuid4())
    with pytest.raises(InvalidValueError):
        Trace(actor, datetime(9999, 1, 1, tzinfo=VN), uuid4())


# -- stored values ----------------------------------------------------------------


def test_values_recorded_before_a_rule_was_tightened_still_load() -> None:
    transcoder = JSONTranscoder()
    transcoder.register(DecimalAsStr())
    transcoder.register(UUIDAsHex())
    register_value_transcodings(transcoder)
    old = (
        b'{"fee":{"_type_":"dc:domain.procedure.Fee","_data_":'
        b'{"code":"LP1","name":"L\\u1ec7 ph\\u00ed","amount":'
        b'{"_type_":"decimal_str","_data_":"1E+30"}}},'
        b'"applicant":{"_type_":"dc:domain.dossier_values.Applicant","_data_":'
        b'{"id":"0101234567001","name":"' + b"x" * 300 + b'","kind":'
        b'{"_type_":"enum:domain.dossier_values.ApplicantKind","_data_":"enterprise"}}},'
        b'"actor":{"_type_":"dc:domain.values.Actor","_data_":'
        b'{"id":"062000000001","role":'
        b'{"_type_":"enum:domain.values.Role","_data_":"citizen"},'
        b'"agency_code":null,"department":null}}}'
    )
    decoded = transcoder.decode(old)
    assert decoded["fee"].amount == Decimal("1e30")
    assert decoded["applicant"].kind is ApplicantKind.ENTERPRISE
    assert len(decoded["applicant"].name) == 300
    assert decoded["actor"].authentication is None  # a field added later: default
    again = transcoder.decode(transcoder.encode(decoded))
    assert again == decoded


@pytest.mark.parametrize(
    ("actor_id", "department"),
    [
        ("", None),
        ("x" * 201, None),
        ("cán bộ\x00", None),
        ("officer-1", "y" * 201),
        ("officer-1", "Văn\u202ephòng"),
    ],
    ids=["empty-id", "long-id", "nul-id", "long-department", "bidi-department"],
)
def test_an_actor_from_token_claims_is_bounded(
    actor_id: str, department: str | None
) -> None:
    with pytest.raises(InvalidValueError):
        Actor(actor_id, Role.SPECIALIST, "000.00.12.H34", department)


def test_an_actor_with_ordinary_claims_is_accepted() -> None:
    actor = Actor("cb-0042", Role.SPECIALIST, "000.00.12.H34", "Văn phòng")
    assert (actor.id, actor.department) == ("cb-0042", "Văn phòng")
