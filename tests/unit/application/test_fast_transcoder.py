"""The orjson decoder reads exactly what the library's JSON decoder reads.

Same bytes in, same objects out: stored states of every dossier event topic,
generated trees of tagged and plain values, and the documents orjson itself
refuses (they fall back to the stdlib decoder).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError
from hypothesis import given
from hypothesis import strategies as st

from application.chain import MAGIC, PREFIX_BYTES
from application.onestop import OneStop
from application.transcodings import FastJSONTranscoder
from domain.values import Actor, Role

STORED = json.loads(
    (Path(__file__).parents[1] / "domain" / "stored_before_split.json").read_text()
)


def _pair() -> tuple[FastJSONTranscoder, JSONTranscoder]:
    app = OneStop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    fast = app.mapper.transcoder
    assert isinstance(fast, FastJSONTranscoder)
    slow = JSONTranscoder()
    slow.names, slow.types = fast.names, fast.types
    return fast, slow


FAST, SLOW = _pair()


def _same(data: bytes) -> Any:
    decoded = FAST.decode(data)
    expected = SLOW.decode(data)
    assert decoded == expected
    assert repr(decoded) == repr(expected)  # types too: tuple vs list, date vs str
    return decoded


def test_every_stored_dossier_event_decodes_the_same() -> None:
    states = [row["state"].encode() for row in STORED["events"]]
    states += [row["state"].encode() for row in STORED["snapshots"]]
    for state in states:
        if state[:4] == MAGIC:
            state = state[PREFIX_BYTES:]
        decoded = _same(state)
        assert isinstance(decoded["timestamp"], datetime)


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text()
    | st.dates()
    | st.datetimes(timezones=st.just(UTC))
    | st.uuids()
    | st.builds(Actor, st.text("abc12", min_size=1), st.sampled_from(Role), st.none()),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values)
def test_trees_of_tagged_and_plain_values_decode_the_same(value: Any) -> None:
    _same(SLOW.encode({"value": value}))


@pytest.mark.parametrize(
    "document",
    [
        b'{"n": 123456789012345678901234567890}',  # beyond 64 bits
        b'{"n": -9223372036854775809, "m": 18446744073709551616}',
        b'{"f": 1e400, "g": -1E400}',
        b'{"x": NaN, "y": -Infinity}',
        b'{"s": "\\ud800 lone surrogate"}',
        b'{"d": {"_type_": "date_iso", "_data_": "2026-01-02"}, "s": "\\udfff"}',
    ],
)
def test_documents_orjson_refuses_fall_back_to_the_stdlib(document: bytes) -> None:
    decoded = FAST.decode(document)
    assert repr(decoded) == repr(SLOW.decode(document))
    if "d" in decoded:
        assert decoded["d"] == date(2026, 1, 2)


def test_an_unknown_tag_is_refused_like_the_library_does() -> None:
    document = b'{"v": {"_type_": "no such type", "_data_": 1}}'
    with pytest.raises(TranscodingNotRegisteredError):
        SLOW.decode(document)
    with pytest.raises(TranscodingNotRegisteredError):
        FAST.decode(document)


def test_a_uuid_and_a_nested_value_object_come_back_typed() -> None:
    uuid = UUID(int=7)
    decoded = _same(
        SLOW.encode({"u": uuid, "when": [datetime(2026, 1, 2, tzinfo=UTC)]})
    )
    assert decoded["u"] == uuid


@pytest.mark.parametrize("value", ['"nobody"', "[1]", "{}"])
def test_a_value_no_enum_member_has_is_refused_as_before(value: str) -> None:
    document = f'{{"r": {{"_type_": "enum:domain.values.Role", "_data_": {value}}}}}'
    with pytest.raises(ValueError, match="is not a valid Role"):
        SLOW.decode(document.encode())
    with pytest.raises(ValueError, match="is not a valid Role"):
        FAST.decode(document.encode())
    assert (
        FAST.decode(b'{"r": {"_type_": "enum:domain.values.Role", "_data_": "desk"}}')[
            "r"
        ]
        is Role.DESK
    )
