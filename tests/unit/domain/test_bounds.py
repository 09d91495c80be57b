"""Every value is checked to a domain range before an event exists (domain/bounds)."""

from __future__ import annotations

import time
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import bounds
from domain.errors import InvalidValueError

MAX = bounds.MAX_MONEY_VND

# -- money -------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=MAX))
def test_whole_amounts_in_range_are_accepted_as_numbers_and_digit_strings(
    amount: int,
) -> None:
    assert bounds.money(amount) == amount
    assert bounds.money(str(amount)) == amount
    assert bounds.money(Decimal(amount)) == amount


@given(
    st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=MAX + 1),
    )
)
def test_amounts_out_of_range_are_refused(amount: int) -> None:
    for form in (amount, str(amount), Decimal(amount)):
        with pytest.raises(InvalidValueError) as refused:
            bounds.money(form, "fees.amount")
        assert refused.value.field == "fees.amount"


MONEY_JUNK = [
    "1e999999999",
    "1e30",
    "3e9",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "-5",
    "+5",
    "1.5",
    "1.0",
    " 12",
    "12 ",
    "1_000",
    "1,000",
    "0x10",
    "١٢",  # Arabic-Indic digits
    "１２",  # full-width digits
    "",
    "9" * 1_000_000,
]


@pytest.mark.parametrize("value", MONEY_JUNK, ids=lambda v: repr(v)[:20])
def test_money_strings_with_tricks_are_refused_cheaply(value: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidValueError):
        bounds.money(value)
    assert time.perf_counter() - started < 0.05


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1e999999999"),
        Decimal("1e30"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("1.5"),
        Decimal("-5"),
        1.0,
        float("nan"),
        True,
        None,
        [1],
    ],
    ids=repr,
)
def test_non_integer_or_non_finite_amounts_are_refused(value: object) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidValueError):
        bounds.money(value)
    assert time.perf_counter() - started < 0.05


@given(st.text(max_size=20))
def test_any_text_is_either_a_valid_amount_or_refused(value: str) -> None:
    try:
        amount = bounds.money(value)
    except InvalidValueError:
        return
    assert value.isascii()
    assert value.isdigit()
    assert 0 < amount <= MAX


# -- instants and dates ----------------------------------------------------------


aware = st.datetimes(
    min_value=datetime(2000, 1, 2),
    max_value=datetime(2035, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=7))]),
)


@given(aware)
def test_aware_instants_in_the_window_are_accepted(value: datetime) -> None:
    assert bounds.instant(value, "dueAt") == value


@given(st.datetimes())
def test_instants_without_a_timezone_are_refused(value: datetime) -> None:
    with pytest.raises(InvalidValueError) as refused:
        bounds.instant(value, "dueAt")
    assert "timezone" in refused.value.message("en")


@given(
    st.datetimes(
        min_value=datetime(2040, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))]
        ),
    )
    | st.datetimes(max_value=datetime(1999, 12, 31), timezones=st.just(UTC))
)
def test_instants_outside_the_window_are_refused_without_overflow(
    value: datetime,
) -> None:
    with pytest.raises(InvalidValueError):
        bounds.instant(value, "dueAt")


def test_the_issue_example_due_time_is_refused() -> None:
    value = datetime.fromisoformat("9999-12-31T23:59:59-12:00")
    with pytest.raises(InvalidValueError):
        bounds.instant(value, "dueAt")
    with pytest.raises(InvalidValueError):
        bounds.reappointed_due(value, datetime(2026, 3, 5, 17, tzinfo=UTC))


def test_a_reappointment_is_bounded_by_the_current_due_time() -> None:
    due = datetime(2026, 3, 5, 10, tzinfo=UTC)
    later = due + timedelta(days=30)
    assert bounds.reappointed_due(later, due) == later
    with pytest.raises(InvalidValueError):
        bounds.reappointed_due(due + bounds.REAPPOINTMENT_HORIZON + timedelta(1), due)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (date(1900, 1, 1), True),
        (date(1899, 12, 31), False),
        (date(2026, 1, 1), True),
        (date(datetime.now(UTC).year + 100, 1, 1), True),
        (date(9999, 12, 31), False),
        (date(1, 1, 1), False),
    ],
)
def test_document_dates_lie_in_a_plausible_window(value: date, ok: bool) -> None:
    if ok:
        assert bounds.document_date(value, "document.issuedOn") == value
    else:
        with pytest.raises(InvalidValueError):
            bounds.document_date(value, "document.issuedOn")


# -- text ------------------------------------------------------------------------


printable = st.text(
    st.characters(
        blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp"),
        blacklist_characters="\ufffe\uffff",
    ).filter(lambda c: not 0xFDD0 <= ord(c) <= 0xFDEF and ord(c) & 0xFFFE != 0xFFFE),
    max_size=50,
)


@given(printable)
def test_text_is_stripped_and_nfc_normalised(value: str) -> None:
    result = bounds.text(value, "reason", 200)
    assert result == unicodedata.normalize("NFC", value.strip())


def test_decomposed_vietnamese_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "  Nguyễn Văn An ")
    assert bounds.text(decomposed, "applicantName", 200) == "Nguyễn Văn An"


@given(
    printable,
    st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800", "\udfff"]),
    printable,
)
def test_control_characters_and_lone_surrogates_are_refused(
    before: str, bad: str, after: str
) -> None:
    with pytest.raises(InvalidValueError):
        bounds.text(before + bad + after, "summary", 4000, multiline=True)


def test_line_breaks_only_in_multiline_text() -> None:
    assert bounds.text("a\nb", "reason", 100, multiline=True) == "a\nb"
    with pytest.raises(InvalidValueError):
        bounds.text("a\nb", "applicantName", 100)


@given(st.integers(min_value=1, max_value=5))
def test_text_longer_than_its_kind_is_refused(extra: int) -> None:
    assert bounds.text("x" * 200, "name", 200) == "x" * 200
    with pytest.raises(InvalidValueError):
        bounds.text("x" * (200 + extra), "name", 200)


def test_a_ten_megabyte_summary_is_refused_at_once() -> None:
    huge = "x" * 10_000_000
    # CPU time (a loaded machine's scheduling is not the check's cost): a
    # length test, no scan of the value.
    started = time.process_time()
    with pytest.raises(InvalidValueError) as refused:
        bounds.text(huge, "summary", bounds.SUMMARY_LENGTH)
    assert time.process_time() - started < 0.05
    assert len(refused.value.message("en")) < 200  # the value is never echoed


def test_required_text_is_not_blank() -> None:
    with pytest.raises(InvalidValueError):
        bounds.text("   ", "reason", 100, required=True)


# -- identifiers and lists --------------------------------------------------------


@given(st.uuids())
def test_uuids_in_canonical_form_are_accepted(value: object) -> None:
    assert bounds.uuid(str(value), "documentId") == value


@pytest.mark.parametrize(
    "value",
    [
        "not-a-uuid",
        # Fixed: a test id must be the same in every pytest-xdist worker.
        "{036ed5e3-c166-4a0a-8b7e-2f6d1c9a4b10}",
        "urn:uuid:15966714-0f3c-4e2b-9d8a-7c5b3a1e6f42",
        "",
        "0" * 10**6,
    ],
    ids=lambda v: repr(v)[:20],
)
def test_other_uuid_forms_are_refused(value: str) -> None:
    with pytest.raises(InvalidValueError):
        bounds.uuid(value, "documentId")


@given(st.from_regex(r"[0-9a-f]{64}", fullmatch=True))
def test_sha256_digests_are_accepted(value: str) -> None:
    assert bounds.sha256(value, "sha256") == value


@given(st.text(max_size=80).filter(lambda t: len(t) != 64 or not t.isascii()))
def test_anything_else_is_not_a_digest(value: str) -> None:
    with pytest.raises(InvalidValueError):
        bounds.sha256(value, "sha256")


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True))
def test_codes_of_the_catalogue_form_are_accepted(value: str) -> None:
    assert bounds.code(value, "componentCode") == value


@pytest.mark.parametrize(
    "value", ["", " TP1", "TP 1", "TP1\n", "-TP1", "TP\ud8001", "T" * 65, "ТР1"]
)
def test_codes_outside_the_form_are_refused(value: str) -> None:
    with pytest.raises(InvalidValueError):
        bounds.code(value, "componentCode")


def test_lists_are_bounded() -> None:
    bounds.bounded([1] * 5, "fees", 5)
    with pytest.raises(InvalidValueError):
        bounds.bounded([1] * 6, "fees", 5)
    with pytest.raises(InvalidValueError):
        bounds.bounded([], "fees", 5, required=True)


def test_messages_are_bilingual_and_name_the_field() -> None:
    with pytest.raises(InvalidValueError) as refused:
        bounds.money("1e30", "fees.amount")
    assert refused.value.code == "INVALID_VALUE"
    assert "fees.amount" in refused.value.message("vi")
    assert "Giá trị không hợp lệ" in refused.value.message("vi")
    assert "Invalid value" in refused.value.message("en")


_BIDI_OVERRIDES_AND_ISOLATES = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _refused_by_rule(char: str, multiline: bool) -> bool:
    """The rule stated with unicodedata: controls, surrogates, non-characters;
    format characters (Cf) and line/paragraph separators in one-line text except
    ZWNJ/ZWJ; bidi overrides/isolates and the BOM in multi-line text too."""
    code = ord(char)
    category = unicodedata.category(char)
    if category == "Cc":
        return not (multiline and char in "\n\r\t")
    if multiline and (code in _BIDI_OVERRIDES_AND_ISOLATES or code == 0xFEFF):
        return True
    if not multiline and (
        category in ("Zl", "Zp") or (category == "Cf" and code not in (0x200C, 0x200D))
    ):
        return True
    return category == "Cs" or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


@pytest.mark.parametrize("multiline", [False, True])
def test_every_basic_plane_character_follows_the_rule(multiline: bool) -> None:
    for code in range(0x10000):
        char = chr(code)
        try:
            bounds.text(f"a{char}b", "reason", 10, multiline=multiline)
        except InvalidValueError:
            assert _refused_by_rule(char, multiline), hex(code)
        else:
            assert not _refused_by_rule(char, multiline), hex(code)


@given(st.integers(min_value=0x10000, max_value=0x10FFFF), st.booleans())
def test_supplementary_characters_follow_the_rule(code: int, multiline: bool) -> None:
    char = chr(code)
    try:
        bounds.text(f"a{char}b", "reason", 10, multiline=multiline)
    except InvalidValueError:
        assert _refused_by_rule(char, multiline), hex(code)
    else:
        assert not _refused_by_rule(char, multiline), hex(code)


def test_plane_end_non_characters_are_refused() -> None:
    for plane in range(17):
        for last in (0xFFFE, 0xFFFF):
            with pytest.raises(InvalidValueError):
                bounds.text(chr(plane * 0x10000 + last), "reason", 10)


@pytest.mark.parametrize(
    "char",
    ["\u2028", "\u2029", "\u202e", "\u2066", "\u2069", "\u200b", "\ufeff", "\u200e"],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_invisible_format_characters_are_refused_in_one_line_fields(char: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        bounds.text(f"Nguyễn{char}Văn An", "applicantName", bounds.NAME_LENGTH)
    assert "ẩn" in refused.value.message("vi")
    assert "invisible" in refused.value.message("en")


@pytest.mark.parametrize("char", ["\u202a", "\u202d", "\u202e", "\u2067", "\ufeff"])
def test_trojan_source_characters_are_refused_in_multiline_fields(char: str) -> None:
    with pytest.raises(InvalidValueError):
        bounds.text(f"Lý do{char} bổ sung", "reason", 100, multiline=True)


def test_joiners_stay_and_multiline_keeps_separators_and_marks() -> None:
    assert bounds.text("क्\u200dष", "applicantName", 50) == "क्\u200dष"
    assert bounds.text("می\u200cخواهم", "applicantName", 50) == "می\u200cخواهم"
    kept = "dòng 1\u2028dòng 2\u200b\u200e"
    assert bounds.text(kept, "reason", 100, multiline=True) == kept
