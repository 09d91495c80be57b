"""Notifications read with the batch's first round trip are the library's."""

from __future__ import annotations

import uuid

from eventsourcing.persistence import Notification
from hypothesis import given
from hypothesis import strategies as st

from projections import runtime as runtime_module


@given(
    position=st.integers(1, 2**62),
    version=st.integers(1, 2**31),
    topic=st.text(max_size=40),
    state=st.binary(max_size=64),
)
def test_notifications_from_rows_equal_the_library_s(
    position: int, version: int, topic: str, state: bytes
) -> None:
    originator = uuid.uuid4()
    built = runtime_module._notification(position, originator, version, topic, state)
    expected = Notification(
        id=position,
        originator_id=originator,
        originator_version=version,
        topic=topic,
        state=state,
    )
    assert built == expected
    assert type(built) is Notification
    assert (built.id, built.topic, built.state) == (position, topic, state)
