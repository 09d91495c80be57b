"""The orjson decoder reads exactly what the library's JSON decoder reads.

Same bytes in, same objects out: stored states of every dossier event topic,
generated trees of tagged and plain values, and the documents orjson itself
refuses (they fall back to the stdlib decoder).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Flag
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError
from hypothesis import given
from hypothesis import strategies as st

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from api.bench.catalogue import VN
from application.chain import MAGIC, PREFIX_BYTES
from application.onestop import OneStop
from application.transcodings import DataclassAsDict, EnumAsValue, FastJSONTranscoder
from domain.citizen_evaluation import Question
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


# -- encoding: the same bytes as the library's encoder ------------------------


def _same_bytes(value: Any) -> bytes:
    written = FAST.encode(value)
    assert written == SLOW.encode(value)
    return written


def test_every_stored_event_and_snapshot_is_written_the_same() -> None:
    """(Not as it was stored: fields added since then are written too.)"""
    rows = STORED["events"] + STORED["snapshots"]
    topics = set()
    for row in rows:
        state = row["state"].encode()
        if state[:4] == MAGIC:
            state = state[PREFIX_BYTES:]
        topics.add(row["topic"])
        _same_bytes(SLOW.decode(state))
    assert len(topics) >= 20  # every dossier event topic, not a sample


def test_every_event_of_a_dossier_lifecycle_is_written_the_same() -> None:
    app = OneStop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        seed_province(
            app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2026, 2027)
        )
        Simulation(app, seed=3, start=date(2026, 6, 1), end=date(2026, 8, 1)).run(
            60, lambda _: None
        )
        stored = app.recorder.select_notifications(1, 1_000_000)
        assert len({s.topic for s in stored}) >= 25
        for notification in stored:
            event = app.mapper.to_domain_event(notification)
            state = dict(vars(event))
            del state["originator_id"], state["originator_version"]
            payload = notification.state
            if payload[:4] == MAGIC:
                payload = payload[PREFIX_BYTES:]
            assert _same_bytes(state) == payload
    finally:
        app.close()


class _Label(str):
    def __str__(self) -> str:  # the stdlib writes the characters, not this
        return "overridden"


class _Count(int):
    def __repr__(self) -> str:
        return "overridden"


class _Ratio(float):
    pass


class _Row(list[Any]):
    pass


class _Map(dict[str, Any]):
    pass


_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()  # NaN and infinities too: written as the stdlib writes them
    | st.floats().map(_Ratio)
    | st.text()
    | st.text().map(_Label)
    | st.integers().map(_Count)
    | st.sampled_from(Role)
    | st.sampled_from(Question)  # a StrEnum: written as its text
    | st.dates()
    | st.datetimes(timezones=st.just(UTC))
    | st.uuids()
    | st.builds(Actor, st.text("abc12", min_size=1), st.sampled_from(Role), st.none())
)
#: What orjson writes itself (string keys, 64-bit integers).
written_by_orjson = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.lists(inner, max_size=4).map(_Row)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4).map(_Map)
    ),
    max_leaves=12,
)
#: With what only the stdlib writes: integers beyond 64 bits, other keys.
anything = st.recursive(
    _LEAVES | st.integers(min_value=-(2**70), max_value=2**70),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        | st.dictionaries(st.integers() | st.none() | st.booleans(), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(written_by_orjson)
def test_trees_orjson_writes_come_out_byte_for_byte(value: Any) -> None:
    document = {"value": value}
    written = _same_bytes(document)
    # orjson wrote it, not the stdlib fallback:
    assert orjson.dumps(FAST._native(document)) == written
    assert repr(FAST.decode(written)) == repr(SLOW.decode(written))


@given(anything)
def test_any_tree_comes_out_byte_for_byte(value: Any) -> None:
    _same_bytes({"value": value})


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"s": "\ud800"}, UnicodeEncodeError),  # lone surrogate
        ({"x": object()}, TranscodingNotRegisteredError),
        ({"t": {1, 2}}, TranscodingNotRegisteredError),
    ],
)
def test_what_the_library_refuses_is_refused_the_same_way(
    value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        SLOW.encode(value)
    with pytest.raises(error):
        FAST.encode(value)


def test_a_cycle_is_refused_as_the_library_refuses_it() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference"):
        SLOW.encode({"c": cycle})
    with pytest.raises(ValueError, match="Circular reference"):
        FAST.encode({"c": cycle})


def test_a_transcoding_registered_later_is_used() -> None:
    app = OneStop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        fast = app.mapper.transcoder
        assert isinstance(fast, FastJSONTranscoder)
        with pytest.raises(TranscodingNotRegisteredError):
            fast.encode({"p": _Point(1, 2)})
        fast.register(DataclassAsDict(_Point))
        assert fast.encode({"p": _Point(1, 2)}) == (
            b'{"p":{"_type_":"dc:' + _Point.__module__.encode() + b'._Point",'
            b'"_data_":{"x":1,"y":2}}}'
        )
        assert fast.decode(fast.encode({"p": _Point(1, 2)})) == {"p": _Point(1, 2)}
    finally:
        app.close()


@dataclass(frozen=True)
class _Point:
    x: int
    y: int


class _Access(Flag):
    READ = 1
    WRITE = 2


def test_an_enum_value_that_is_no_listed_member_is_written_the_same() -> None:
    app = OneStop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        fast = app.mapper.transcoder
        assert isinstance(fast, FastJSONTranscoder)
        fast.register(EnumAsValue(_Access))
        slow = JSONTranscoder()
        slow.names, slow.types = fast.names, fast.types
        both = _Access.READ | _Access.WRITE  # a pseudo-member, made on demand
        for value in (_Access.READ, both, [both, _Access.WRITE]):
            assert fast.encode({"a": value}) == slow.encode({"a": value})
        assert fast.decode(fast.encode({"a": both})) == {"a": both}
    finally:
        app.close()
