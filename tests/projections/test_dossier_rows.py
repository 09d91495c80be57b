"""The folded state a read-model row keeps reads back exactly as it was written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from domain.deadline import Timeliness
from domain.dossier_state import DossierState
from domain.dossier_status import DossierStatus
from domain.dossier_values import Channel, Holder, ReturnMethod, Satisfaction
from projections.dossier_rows import decode_state, encode_state, units_text

UNITS = st.sampled_from(
    ("000.00.00.H34", "000.00.12.H34", "000.00.15.H34", "000.01.30.H34")
)
ZONES = st.sampled_from((UTC, timezone(timedelta(hours=7))))
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=ZONES
)


def maybe(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.none() | strategy


STATES = st.builds(
    DossierState,
    version=st.integers(1, 10**9),
    updated_at=MOMENTS,
    competent_agency=UNITS,
    channel=st.sampled_from(Channel),
    status=st.sampled_from(DossierStatus),
    holder=st.builds(Holder, UNITS, maybe(st.sampled_from(("PHC", "TTPVHCC")))),
    involved_agencies=st.lists(UNITS, max_size=4, unique=True).map(tuple),
    submitted_at=MOMENTS,
    code=maybe(st.text(min_size=1, max_size=30)),
    receiving_agency=maybe(UNITS),
    received_at=maybe(MOMENTS),
    due_at=maybe(MOMENTS),
    paused_from=maybe(st.sampled_from(DossierStatus)),
    paused_at=maybe(MOMENTS),
    paused_seconds=st.integers(0, 10**9),
    supplement_requests=st.integers(0, 1000),
    reappointed=st.booleans(),
    finished_at=maybe(MOMENTS),
    timeliness=maybe(st.sampled_from(Timeliness)),
    late_without_apology=st.booleans(),
    returned_at=maybe(MOMENTS),
    return_method=maybe(st.sampled_from(ReturnMethod)),
    satisfaction=maybe(st.sampled_from(Satisfaction)),
)


class TestStoredState:
    @given(STATES)
    def test_a_state_reads_back_equal_and_encodes_the_same_again(
        self, state: DossierState
    ) -> None:
        text = encode_state(state)
        back = decode_state(text)
        assert back == state
        assert encode_state(back) == text  # stable: rebuilds give equal checksums

    def test_a_field_added_later_takes_its_default_in_an_older_row(self) -> None:
        state = DossierState(
            version=3,
            updated_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
            competent_agency="000.00.12.H34",
            channel=Channel.DESK,
            status=DossierStatus.IN_PROGRESS,
            holder=Holder("000.00.12.H34", "PHC"),
            involved_agencies=("000.00.12.H34",),
            submitted_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
            satisfaction=Satisfaction.SATISFIED,
            source_code="000.00.00.H35-260302-0001",
        )
        stored = json.loads(encode_state(state))
        assert stored[-1] == "000.00.00.H35-260302-0001"  # the last field declared
        older = json.dumps(stored[:-1])
        assert decode_state(older) == DossierState(
            **{**vars(state), "source_code": None}
        )

    @given(st.lists(UNITS, max_size=4, unique=True))
    def test_units_text_lets_like_find_exactly_the_listed_units(
        self, units: list[str]
    ) -> None:
        text = units_text(units)
        assert [u for u in text.split(",") if u] == units
        for unit in ("000.00.00.H34", "000.00.12.H34", "000.00.15.H34"):
            assert (f",{unit}," in text) is (unit in units)
