"""DVCQG value formats: dates in Vietnam time and back, whatever the zone given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from adapters.dvcqg import payloads, records
from adapters.integration import envelope

instants = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)
).map(lambda d: d.replace(microsecond=0))
zones = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(instants, zones)
def test_dates_are_vietnam_time_and_read_back_to_the_same_instant(
    moment: datetime, zone: timezone
) -> None:
    aware = moment.replace(tzinfo=UTC).astimezone(zone)
    text = payloads.date_text(aware)
    assert len(text) == 14
    assert text.isdigit()
    assert text == aware.astimezone(payloads.VIETNAM).strftime("%Y%m%d%H%M%S")
    assert records.date({"d": text}, "d") == aware


@given(st.text(min_size=1, max_size=30))
def test_a_date_is_read_exactly_or_refused_by_name(raw: str) -> None:
    refused: records.InvalidRecordError | None = None
    try:
        parsed = records.date({"NgayX": raw}, "NgayX")
    except records.InvalidRecordError as error:
        refused = error
    if refused is not None:
        assert "NgayX" in refused.message("en")
        assert "NgayX" in refused.message("vi")
    else:
        assert parsed is not None
        assert payloads.date_text(parsed) == raw.strip()


@given(
    st.sampled_from(["Received", "Forwarded", "Resolved"]),
    st.from_regex(r"[A-Z][0-9]{2}", fullmatch=True),
)
def test_subjects_have_four_tokens(event: str, province: str) -> None:
    subject = envelope.subject(province, f"domain.dossier:Dossier.{event}")
    assert subject.split(".") == ["motcua", province, "dossier", event]
