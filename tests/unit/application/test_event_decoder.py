"""The projector's event decoder returns exactly what the library's mapper does.

``application.transcodings.event_decoder`` parses a stored event's payload in
place and revives its tagged values by a plan per registered name; the
reference is the library's own path: ``Mapper.to_domain_event`` (behind the
hash chain's prefix) with the stdlib ``JSONTranscoder`` and the same
registered transcodings. Compared: the event's class, its fields (equal, and
equal in ``repr``: a tuple is not a list, an aware datetime not a naive one)
— over every stored event of ``stored_before_split.json``, every event of a
simulated province (personal data sealed, one subject's key destroyed),
Hypothesis events of every stored topic carrying trees of every registered
kind of value, and what the fast path leaves to the mapper.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    JSONTranscoder,
    StoredEvent,
)
from eventsourcing.utils import resolve_topic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from adapters.subject_keys import FileSubjectKeys
from api.bench.catalogue import VN
from application.chain import MAGIC, ChainMapper, seal_state
from application.onestop import OneStop
from application.personal_data import ERASED, SealedText, subject_of, unopened
from application.transcodings import (
    FastJSONTranscoder,
    event_decoder,
    register_value_transcodings,
    stored_value,
    stored_value_types,
)
from domain.dossier_values import Applicant, ApplicantKind
from domain.values import Actor, Role

HERE = Path(__file__).parents[1] / "domain"
STORED = json.loads((HERE / "stored_before_split.json").read_text())
EVENT_TOPICS = sorted(
    line.strip()
    for line in (HERE / "stored_topics.txt").read_text().splitlines()
    if line.strip() and not line.startswith("value ") and "." in line.split(":")[1]
)
"""Every pinned event topic (``module:Aggregate.Event``)."""


def _library(app: OneStop) -> ChainMapper:
    """The library's decoding with the application's transcodings."""
    slow = JSONTranscoder()
    fast = app.mapper.transcoder
    assert isinstance(fast, JSONTranscoder)
    slow.names, slow.types = fast.names, fast.types
    return ChainMapper(transcoder=slow)


def _app(keys: Path | None = None) -> OneStop:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if keys is not None:
        env["SUBJECT_KEYS_TOPIC"] = "adapters.subject_keys:FileSubjectKeys"
        env["SUBJECT_KEYS_DIR"] = str(keys)
    return OneStop(env=env)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OneStop]:
    app = _app(tmp_path_factory.mktemp("keys"))
    try:
        yield app
    finally:
        app.close()


def same(
    decode: Callable[[StoredEvent], Any], library: ChainMapper
) -> Callable[[StoredEvent], Any]:
    """Decodes with both and checks they agree (or refuse alike); returns the
    event."""

    def check(stored: StoredEvent) -> Any:
        refusal: Exception | None = None
        try:
            expected = library.to_domain_event(stored)
        except Exception as error:
            refusal = error
        if refusal is not None:
            with pytest.raises(type(refusal)) as refused:
                decode(stored)
            assert type(refused.value) is type(refusal)
            assert str(refused.value) == str(refusal)
            return None
        decoded = decode(stored)
        assert type(decoded) is type(expected)
        identical(vars(decoded), vars(expected))
        return decoded

    return check


def identical(found: Any, expected: Any) -> None:
    """Equal, of the same types all the way down, dicts in the same order."""
    assert type(found) is type(expected), (found, expected)
    if isinstance(found, dict):
        assert list(found) == list(expected)
        for key, value in found.items():
            identical(value, expected[key])
    elif isinstance(found, list | tuple):
        assert len(found) == len(expected)
        for item, other in zip(found, expected, strict=True):
            identical(item, other)
    elif isinstance(found, UUID):
        assert (found.int, found.is_safe) == (expected.int, expected.is_safe)
    elif isinstance(found, datetime | time):
        assert found == expected
        assert (repr(found), found.fold) == (repr(expected), expected.fold)
    elif isinstance(found, float) and found != found:
        assert expected != expected  # NaN
    elif dataclasses.is_dataclass(found):
        for field in dataclasses.fields(found):
            identical(getattr(found, field.name), getattr(expected, field.name))
        if hasattr(found, "__dict__"):
            identical(vars(found), vars(expected))
    else:
        assert found == expected
        assert repr(found) == repr(expected)


def _stored(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(row["originator_id"]),
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=row["state"].encode(),
    )


def test_the_projector_decodes_with_the_fast_path() -> None:
    app = _app()
    try:
        decode = event_decoder(app.mapper)
        assert decode != app.mapper.to_domain_event
        assert isinstance(app.mapper.transcoder, FastJSONTranscoder)
    finally:
        app.close()


def test_every_event_stored_before_the_split_decodes_the_same() -> None:
    app = _app()
    try:
        check = same(event_decoder(app.mapper), _library(app))
        topics = set()
        for row in STORED["events"]:
            event = check(_stored(row))
            topics.add(row["topic"])
            assert isinstance(event.timestamp, datetime)
        assert len(topics) == len({row["topic"] for row in STORED["events"]}) >= 19
    finally:
        app.close()


def test_every_event_of_a_simulated_province_decodes_the_same(tmp_path: Path) -> None:
    """Sealed personal data included (citizens' actions, applicants, free
    text), and a subject whose key was destroyed reads as erased both ways."""
    app = _app(tmp_path / "keys")
    try:
        seed_province(
            app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2026, 2027)
        )
        Simulation(app, seed=5, start=date(2026, 6, 1), end=date(2026, 8, 1)).run(
            60, lambda _: None
        )
        stored = app.recorder.select_notifications(1, 1_000_000)
        check = same(event_decoder(app.mapper), _library(app))
        applicants = [
            e.applicant for s in stored if hasattr(e := check(s), "applicant")
        ]
        assert len({s.topic for s in stored}) >= 25
        sealed = [s for s in stored if b'"pd:' in s.state]
        assert len(sealed) > 50  # personal data was sealed and opened
        keys = app.subject_keys
        assert isinstance(keys, FileSubjectKeys)
        assert keys.destroy(subject_of(applicants[0].id))
        erased = [check(s) for s in stored]
        assert any(
            getattr(e, "applicant", None) is not None and e.applicant.name == ERASED
            for e in erased
        )
    finally:
        app.close()


def test_personal_data_left_unopened_reads_as_the_library_reads_it_without_keys(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path / "keys")
    try:
        seed_province(
            app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2026, 2027)
        )
        Simulation(app, seed=7, start=date(2026, 6, 1), end=date(2026, 7, 1)).run(
            20, lambda _: None
        )
        stored = app.recorder.select_notifications(1, 1_000_000)
        keyless = _library(app)
        slow = keyless.transcoder
        assert isinstance(slow, JSONTranscoder)
        slow.names = {**slow.names, **unopened(app.mapper.transcoder)}
        check = same(
            event_decoder(app.mapper, unopened(app.mapper.transcoder)), keyless
        )
        names = [getattr(check(s), "applicant", None) for s in stored]
        assert {a.name for a in names if a is not None} == {ERASED}
    finally:
        app.close()


# -- Hypothesis: events of every stored topic, with every kind of value ------

_ENUMS, _STORED_CLASSES = stored_value_types()
_SEALED = (Actor, Applicant)
"""Written sealed (their own strategies below: checked values, as sealing needs)."""
_CLASSES = [cls for cls in _STORED_CLASSES if cls not in _SEALED]
_MEMBERS = [member for enum in _ENUMS for member in enum]


def _dataclass(cls: type[Any], inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An instance of a registered value class with any values in its fields
    (as a stored one may hold: no checks run when it is read back)."""
    names = [f.name for f in dataclasses.fields(cls)]
    return st.lists(inner, min_size=len(names), max_size=len(names)).map(
        lambda values: stored_value(cls, dict(zip(names, values, strict=True)))
    )


_TEXT = st.text(max_size=12)
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.integers(min_value=-(2**70), max_value=2**70)  # orjson reads a float
    | st.floats(allow_nan=False)
    | _TEXT
    | st.sampled_from(_MEMBERS)
    | st.dates()
    | st.times()
    | st.datetimes()
    | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=7))]))
    | st.decimals(allow_nan=False, places=3)
    | st.uuids()
    | st.builds(Actor, st.text("abc12", min_size=1), st.sampled_from(Role))
    | st.builds(lambda text: SealedText("079301000001", text), _TEXT)
    | st.builds(
        lambda name: stored_value(
            Applicant,
            {"id": "079301000001", "name": name, "kind": ApplicantKind.CITIZEN},
        ),
        _TEXT,
    )
)


def _partial(cls: type[Any], inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A registered class's tagged form written by hand: some of its fields
    (a value stored before a field was added, or with one removed since),
    perhaps a key it does not have."""
    names = [f.name for f in dataclasses.fields(cls)] + ["gone"]
    tag = f"dc:{cls.__module__}.{cls.__qualname__}"
    return st.dictionaries(st.sampled_from(names), inner, max_size=len(names)).map(
        lambda data: {"_type_": tag, "_data_": data}
    )


_HEXISH = st.text("0123456789abcdefABCDEF-{}_: +x", min_size=30, max_size=34)
"""Texts near a UUID's (what ``UUID()`` strips, what ``int(…, 16)`` takes)."""
_NAMES = JSONTranscoder()
register_value_transcodings(_NAMES)
TAGS = sorted(
    {*_NAMES.names, "uuid_hex", "decimal_str", "datetime_iso", "pd:actor", "pd:text"}
    | {"pd:applicant", "no such name"}
)
"""Every name a stored value may be tagged with (and one nobody registered)."""

values = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(_TEXT, inner, max_size=3)
        | st.sampled_from(_CLASSES).flatmap(lambda cls: _dataclass(cls, inner))
        | st.sampled_from(_CLASSES).flatmap(lambda cls: _partial(cls, inner))
        # Any data under any tag: what a plan does not expect goes the
        # library's way (texts of 32 characters reach the UUID plan's test).
        | st.builds(
            lambda name, data: {"_type_": name, "_data_": data},
            st.sampled_from(TAGS),
            inner | _HEXISH,
        )
    ),
    max_leaves=10,
)


def _event_state(app: OneStop, fields: dict[str, Any], chained: bool) -> bytes:
    payload = app.mapper.transcoder.encode(fields)
    return seal_state(bytes(32), bytes(range(32)), payload) if chained else payload


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    topic=st.sampled_from(EVENT_TOPICS),
    fields=st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=4),
    chained=st.booleans(),
    version=st.integers(min_value=1, max_value=2**31),
)
def test_events_of_every_topic_with_any_values_decode_the_same(
    keyed: OneStop, topic: str, fields: dict[str, Any], chained: bool, version: int
) -> None:
    fields = {k: v for k, v in fields.items() if k != "class_version"}
    fields["timestamp"] = datetime(2026, 3, 1, 8, tzinfo=UTC)
    stored = StoredEvent(
        originator_id=UUID(int=version),
        originator_version=version,
        topic=topic,
        state=_event_state(keyed, fields, chained),
    )
    same(event_decoder(keyed.mapper), _library(keyed))(stored)


def test_every_registered_kind_of_value_is_among_the_generated() -> None:
    """The strategy draws every registered enum's members and every class."""
    names = {type(m).__qualname__ for m in _MEMBERS}
    assert names == {e.__qualname__ for e in _ENUMS}
    assert len(_CLASSES) >= 20
    assert set(_STORED_CLASSES) - set(_CLASSES) == set(_SEALED)


# -- What the fast path leaves to the mapper ----------------------------------


def _raw(topic: str, payload: bytes, version: int = 1) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(int=9),
        originator_version=version,
        topic=topic,
        state=MAGIC + bytes(64) + payload,
    )


TOPIC = "domain.dossier:Dossier.Refused"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"n": 123456789012345678901234567890, "timestamp": null}',  # > 64 bits
        b'{"f": 1e400, "x": NaN}',
        b'{"s": "\\ud800 lone surrogate"}',
        b'{"d": {"_type_": "date_iso", "_data_": "2026-01-02"}, "s": "\\udfff"}',
        b'{"u": {"_type_": "uuid_hex", "_data_": "{d076a5b0-6705-486c-9306-7bf022876c83}"}}',
        b'{"u": {"_type_": "uuid_hex", "_data_": "0x76a5b06705486c93067bf022876c83"}}',
        b'{"u": {"_type_": "uuid_hex", "_data_": "d076a5b0_705486c93067bf022876c83"}}',
        b'{"u": {"_type_": "uuid_hex", "_data_": " 076a5b06705486c93067bf022876c8 "}}',
        b'{"u": {"_type_": "uuid_hex", "_data_": "+076a5b06705486c93067bf022876c83"}}',
        b'{"a": {"_type_": "dc:domain.values.AgencyCode", "_data_": {"value": '
        b'"000.00.12.H34", "gone": [1, {"_type_": "date_iso", "_data_": "2026-01-02"}]}}}',
        b'{"class_version": 1, "reason": "x"}',
    ],
)
def test_unusual_documents_decode_as_the_library_decodes_them(payload: bytes) -> None:
    app = _app()
    try:
        same(event_decoder(app.mapper), _library(app))(_raw(TOPIC, payload))
    finally:
        app.close()


@pytest.mark.parametrize(
    "payload",
    [
        b'{"r": {"_type_": "no such type", "_data_": 1}}',
        b'{"r": {"_type_": ["unhashable"], "_data_": 1}}',
        b'{"r": {"_type_": "enum:domain.values.Role", "_data_": "nobody"}}',
        b'{"u": {"_type_": "uuid_hex", "_data_": "not-a-uuid-at-all-but-32-chars!!"}}',
        b'{"u": {"_type_": "uuid_hex", "_data_": "zz76a5b06705486c93067bf022876c83"}}',
        b'{"u": {"_type_": "uuid_hex", "_data_": "-076a5b06705486c93067bf022876c83"}}',
        b'{"r": {"_type_": "no such type", "_data_": {"_type_": "neither", "_data_": 1}}}',
        b'{"d": {"_type_": "datetime_iso", "_data_": "yesterday"}}',
        b"not json",
        b"[1, 2]",
        b'{"_type_": "date_iso", "_data_": "2026-01-02"}',
        b'{"t": {"_type_": "dc:domain.values.Trace", "_data_": {"_type_": "date_iso",'
        b' "_data_": "2026-01-02"}}}',
        b'{"r": {"_type_": "enum:domain.values.Role", "_data_": {"_type_": '
        b'"date_iso", "_data_": "2026-01-02"}}}',
    ],
)
def test_what_the_library_refuses_is_refused_with_its_error(payload: bytes) -> None:
    app = _app()
    try:
        with pytest.raises(Exception) as expected:  # noqa: PT011 (compared below)
            _library(app).to_domain_event(_raw(TOPIC, payload))
        with pytest.raises(Exception) as refused:  # noqa: PT011
            event_decoder(app.mapper)(_raw(TOPIC, payload))
        assert type(refused.value) is type(expected.value)
        assert str(refused.value) == str(expected.value)
    finally:
        app.close()


def test_an_event_class_with_a_version_is_upcast_by_the_mapper() -> None:
    app = _app()
    try:
        state = app.mapper.transcoder.encode({"timestamp": datetime(2026, 1, 1)})
        stored = StoredEvent(UUID(int=1), 1, f"{__name__}:_Versioned", state)
        event = event_decoder(app.mapper)(stored)
        assert event.upcast is True
        assert vars(event) == vars(_library(app).to_domain_event(stored))
    finally:
        app.close()


class _Versioned:
    """An event class with a class version (no domain event's subclass: read
    models would take it for one of theirs)."""

    originator_id: UUID
    originator_version: int
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["upcast"] = True


def test_a_mapper_with_a_cipher_or_another_transcoder_keeps_its_own_path() -> None:
    app = _app()
    try:
        plain = ChainMapper(transcoder=JSONTranscoder())
        assert event_decoder(plain) == plain.to_domain_event
        compressed = ChainMapper(
            transcoder=app.mapper.transcoder, compressor=resolve_topic("zlib")
        )
        assert event_decoder(compressed) == compressed.to_domain_event
    finally:
        app.close()


# -- The comparison itself can fail -------------------------------------------


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.update(value=tuple(e["value"])),  # a list read as a tuple
        lambda e: e.update(when=e["when"].replace(tzinfo=None)),  # naive
        lambda e: e.update(when=e["when"].astimezone(UTC)),  # same instant, other text
        lambda e: e.update(day=str(e["day"])),
        lambda e: e.update(amount=float(e["amount"])),
        lambda e: e.update(clock=e["clock"].isoformat()),
    ],
)
def test_the_comparison_tells_a_wrong_decoding_apart(
    mutate: Callable[[dict[str, Any]], None],
) -> None:
    app = _app()
    try:
        library = _library(app)
        fields = {
            "timestamp": datetime(2026, 1, 1, tzinfo=UTC),
            "value": [1, 2],
            "when": datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=7))),
            "day": date(2026, 1, 2),
            "amount": Decimal("1.50"),
            "clock": time(7, 30),
        }
        stored = StoredEvent(
            UUID(int=1), 1, TOPIC, app.mapper.transcoder.encode(fields)
        )
        expected = library.to_domain_event(stored)

        def wrong(s: StoredEvent) -> Any:
            event = event_decoder(app.mapper)(s)
            state = dict(vars(event))
            mutate(state)
            broken = object.__new__(type(event))
            object.__setattr__(broken, "__dict__", state)
            return broken

        assert vars(event_decoder(app.mapper)(stored)) == vars(expected)
        with pytest.raises(AssertionError):
            same(wrong, library)(stored)
    finally:
        app.close()
