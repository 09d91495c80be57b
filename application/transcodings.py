"""JSON transcodings for the value types stored in events and snapshots."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, cast
from uuid import UUID, SafeUUID

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic

from application.chain import MAGIC, PREFIX_BYTES, ChainMapper
from domain import (
    cross_province_values,
    deadline,
    digitized_document,
    dossier_state,
    dossier_status,
    dossier_values,
    files,
    procedure,
    values,
    working_time,
)


class EnumAsValue(Transcoding):
    def __init__(self, enum_type: type[Enum]) -> None:
        self.type = enum_type
        self.name = f"enum:{enum_type.__module__}.{enum_type.__qualname__}"
        # The members by value: calling the enum costs ~1 µs per value decoded.
        self._members: dict[Any, Enum] = dict(enum_type._value2member_map_)

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def members(self) -> list[Enum]:
        return list(self._members.values())

    def decode(self, data: Any) -> Enum:
        try:
            return self._members[data]
        except (KeyError, TypeError):  # unhashable, or left to the enum's _missing_
            found: Enum = self.type(data)
            return found


class DataclassAsDict(Transcoding):
    """Shallow field dict; nested values are transcoded by the encoder itself."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"dc:{cls.__module__}.{cls.__qualname__}"
        self.fields = tuple(f.name for f in dataclasses.fields(cls) if f.init)

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.fields}

    def decode(self, data: dict[str, Any]) -> Any:
        return _recorded(self.type, data, lists_as_tuples=True)


def stored_value(cls: type[Any], values: dict[str, Any]) -> Any:
    """A value exactly as it was recorded, without running today's checks.

    Checks in ``__post_init__`` guard what enters the log; a recorded value
    is a fact, so tightening a rule never makes old events unreadable.
    Fields added since the event was recorded take their defaults.
    """
    return _recorded(cls, values, lists_as_tuples=False)


def _recorded(cls: type[Any], values: dict[str, Any], *, lists_as_tuples: bool) -> Any:
    # Decoding every stored event runs this for each nested value (a rebuild
    # spends a third of its time decoding), so the per-class reflection is
    # planned once; a value with every field and nothing else (what the
    # encoder writes) becomes the instance dict in one comprehension.
    fields, has_dict, names = _plan(cls)
    obj = object.__new__(cls)
    if has_dict and len(values) == len(names):
        try:
            found = {name: values[name] for name in names}
        except KeyError:
            pass
        else:
            if lists_as_tuples:
                for name, value in found.items():
                    if isinstance(value, list):
                        found[name] = tuple(value)
            object.__setattr__(obj, "__dict__", found)
            return obj
    found = {}
    for name, default, factory in fields:
        if name in values:
            value = values[name]
            if lists_as_tuples and isinstance(value, list):
                value = tuple(value)
        elif default is not dataclasses.MISSING:
            value = default
        elif factory is not dataclasses.MISSING:
            value = factory()
        else:
            raise TypeError(f"{cls.__qualname__}: stored value lacks {name}")
        found[name] = value
    if has_dict:
        obj.__dict__.update(found)
    else:
        for name, value in found.items():
            object.__setattr__(obj, name, value)
    return obj


_Plan = tuple[tuple[tuple[str, Any, Any], ...], bool, tuple[str, ...]]
_PLANS: dict[type[Any], _Plan] = {}


def _plan(cls: type[Any]) -> _Plan:
    """(name, default, default factory) per field, whether instances keep
    their fields in a ``__dict__`` (no ``__slots__``), and the names."""
    found = _PLANS.get(cls)
    if found is None:
        fields = tuple(
            (f.name, f.default, f.default_factory) for f in dataclasses.fields(cls)
        )
        found = _PLANS[cls] = (
            fields,
            hasattr(object.__new__(cls), "__dict__"),
            tuple(name for name, _, _ in fields),
        )
    return found


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class TimeAsISO(Transcoding):
    type = time
    name = "time_iso"

    def encode(self, obj: time) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> time:
        return time.fromisoformat(data)


_MODULES = (
    values,
    cross_province_values,
    deadline,
    procedure,
    dossier_values,
    dossier_status,
    dossier_state,
    working_time,
    files,
    digitized_document,
)
_NOT_STORED = {
    working_time.WorkingCalendar,
    dossier_values.VersionedCalendar,
    digitized_document.DigitizedDocument,
}


def stored_value_types() -> tuple[list[type[Enum]], list[type[Any]]]:
    enums: list[type[Enum]] = []
    classes: list[type[Any]] = []
    for module in _MODULES:
        for obj in vars(module).values():
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if isinstance(obj, type) and issubclass(obj, Enum):
                enums.append(obj)
            elif (
                dataclasses.is_dataclass(obj)
                and isinstance(obj, type)
                and obj not in _NOT_STORED
            ):
                classes.append(obj)
    return enums, classes


def register_value_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    transcoder.register(TimeAsISO())
    enums, classes = stored_value_types()
    for enum_type in enums:
        transcoder.register(EnumAsValue(enum_type))
    for cls in classes:
        transcoder.register(DataclassAsDict(cls))


class FastJSONTranscoder(JSONTranscoder):
    """The library's JSON format, written and read with orjson.

    Same bytes, same objects. Encoding walks the value once, turning each
    registered type into its tagged form (``{"_type_": …, "_data_": …}``) by
    a plan made once per type (a dataclass's fields are read directly), and
    orjson writes the tree: the bytes are exactly the stdlib encoder's
    (compact separators, UTF-8, floats as ``repr`` writes them, subclasses of
    ``str``/``int``/``float``/``list``/``dict`` as the stdlib writes them).
    What orjson cannot write the same way — integers beyond 64 bits,
    non-string keys, lone surrogates, cycles — goes to the stdlib encoder,
    which writes it (or refuses it) as before.

    Decoding reads with orjson and revives tagged values in one walk,
    innermost first, as the stdlib decoder's object hook does. Documents
    orjson refuses but the stdlib reads (lone surrogates, integers beyond 64
    bits, NaN) fall back to the stdlib decoder, so every stored state stays
    readable. orjson reads an integer beyond 64 bits as a float rather than
    refusing it, so a document with a float that large takes the stdlib too.
    """

    def __init__(self) -> None:
        super().__init__()
        plans: dict[type[Any], Callable[[Any], Any]] = {}
        self._plans = plans

        # A closure: the walk runs for every value of every event written,
        # and values orjson writes as they are are not even called on.
        def native(value: Any) -> Any:
            kind = type(value)
            if kind in _PLAIN:
                return value
            if kind is dict:
                return {
                    key: item if type(item) in _PLAIN else native(item)
                    for key, item in value.items()
                }
            if kind is list or kind is tuple:
                return [
                    item if type(item) in _PLAIN else native(item) for item in value
                ]
            plan = plans.get(kind)
            if plan is None:
                plan = plans[kind] = self._plan(kind)
            return plan(value)

        self._native: Callable[[Any], Any] = native
        self.reviver = _Reviver(self)

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self._plans.clear()
        self.reviver.plans.clear()

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._native(obj))
        except (orjson.JSONEncodeError, RecursionError, _StdlibOnlyError):
            return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        try:
            return self.reviver.revive_any(orjson.loads(data))
        except (orjson.JSONDecodeError, _HugeNumberError):
            return super().decode(data)

    def _plan(self, kind: type[Any]) -> Callable[[Any], Any]:
        """How to write a value of ``kind``, checked in the stdlib encoder's
        order: its own JSON types (subclasses included) before transcodings."""
        native = self._native
        if issubclass(kind, str):
            return str.__str__  # the characters, not an override of __str__
        if issubclass(kind, int):
            return lambda value: orjson.Fragment(int.__repr__(value))
        if issubclass(kind, float):
            return _float
        if issubclass(kind, list | tuple):
            return lambda value: [native(item) for item in value]
        if issubclass(kind, dict):
            return lambda value: {key: native(item) for key, item in value.items()}
        transcoding = self.types.get(kind)
        if transcoding is None:
            raise _StdlibOnlyError  # the library's refusal, with its message
        name = transcoding.name
        if isinstance(transcoding, DataclassAsDict):
            fields = transcoding.fields

            def dataclass(value: Any) -> Any:
                return {
                    "_type_": name,
                    "_data_": {
                        field: item
                        if type(item := getattr(value, field)) in _PLAIN
                        else native(item)
                        for field in fields
                    },
                }

            return dataclass
        encode = transcoding.encode
        if isinstance(transcoding, EnumAsValue):
            # Each member's tagged form, made once (members are constants and
            # orjson only reads the tree); a pseudo-member (flags) as any value.
            members = {
                member: {"_type_": name, "_data_": native(encode(member))}
                for member in transcoding.members()
            }

            def enum(value: Any) -> Any:
                found = members.get(value)
                if found is None:
                    return {"_type_": name, "_data_": native(encode(value))}
                return found

            return enum
        return lambda value: {"_type_": name, "_data_": native(encode(value))}


class _StdlibOnlyError(Exception):
    """A value only the stdlib encoder writes (or refuses) as it always did."""


def _float(value: float) -> orjson.Fragment:
    """A float as the stdlib writes it (``repr``; NaN and infinities as
    JavaScript names)."""
    if value != value:
        return orjson.Fragment(b"NaN")
    if value in (_INFINITY, -_INFINITY):
        return orjson.Fragment(b"Infinity" if value > 0 else b"-Infinity")
    return orjson.Fragment(float.__repr__(value))


_INFINITY = float("inf")
#: Written by orjson exactly as the stdlib writes them.
_PLAIN = frozenset({str, int, bool, type(None)})
_HUGE = 2.0**63


class _HugeNumberError(Exception):
    """A float orjson may have made of an integer beyond 64 bits."""


def _tagged_shape(value: dict[str, Any]) -> bool:
    return len(value) == 2 and "_type_" in value and "_data_" in value


def _not_registered(name: Any) -> TranscodingNotRegisteredError:
    return TranscodingNotRegisteredError(
        f"Data serialized with name '{name}' is not deserializable. Please "
        "register a custom transcoding for this type."
    )


class _Reviver:
    """Revives the tagged values of a parsed document, innermost first, as
    the stdlib decoder's object hook does — by a plan per registered name,
    made once: the common transcodings read their ``_data_`` directly (a
    datetime's text, a dataclass's field dict), without a generic hook per
    value. Anything a plan does not expect (a subclass of a transcoding, data
    of another shape) goes to the transcoding's own ``decode`` as before.
    """

    def __init__(
        self,
        transcoder: JSONTranscoder,
        overrides: Mapping[str, Transcoding] | None = None,
    ) -> None:
        self.transcoder = transcoder
        self.overrides = dict(overrides or {})
        plans: dict[str, Callable[[Any], Any]] = {}
        self.plans = plans
        make = self._make

        # Closures over locals: this runs for every dict and list of every
        # stored event a rebuild reads.
        def revive(value: dict[str, Any]) -> Any:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                name = value["_type_"]
                try:
                    plan = plans[name]
                except (KeyError, TypeError):
                    plan = make(name)
                return plan(value["_data_"])
            for key, item in value.items():
                kind = type(item)
                if kind is dict:
                    # A tagged child is revived here: one call less per value.
                    if len(item) == 2 and "_type_" in item and "_data_" in item:
                        name = item["_type_"]
                        try:
                            plan = plans[name]
                        except (KeyError, TypeError):
                            plan = make(name)
                        value[key] = plan(item["_data_"])
                    else:
                        value[key] = revive(item)
                elif kind is list:
                    revive_list(item)
                elif kind is float and not -_HUGE < item < _HUGE:
                    raise _HugeNumberError
            return value

        def revive_list(value: list[Any]) -> list[Any]:
            for index, item in enumerate(value):
                kind = type(item)
                if kind is dict:
                    value[index] = revive(item)
                elif kind is list:
                    revive_list(item)
                elif kind is float and not -_HUGE < item < _HUGE:
                    raise _HugeNumberError
            return value

        def revive_any(value: Any) -> Any:
            kind = type(value)
            if kind is dict:
                return revive(value)
            if kind is list:
                return revive_list(value)
            if kind is float and not -_HUGE < value < _HUGE:
                raise _HugeNumberError
            return value

        self.revive = revive
        self.revive_list = revive_list
        self.revive_any = revive_any

    def _make(self, name: Any) -> Callable[[Any], Any]:
        try:
            transcoding = self.overrides.get(name) or self.transcoder.names[name]
        except KeyError:  # (unhashable: the library's TypeError)
            revive_any = self.revive_any

            def unknown(data: Any) -> Any:
                revive_any(data)  # innermost first: its refusal comes first
                raise _not_registered(name)

            return unknown
        plan = self._plan(transcoding)
        self.plans[name] = plan
        return plan

    def _plan(self, transcoding: Transcoding) -> Callable[[Any], Any]:
        revive_any = self.revive_any
        decode = transcoding.decode

        def generic(data: Any) -> Any:
            return decode(revive_any(data))

        kind = type(transcoding)
        parse = _PARSERS.get(kind)
        if parse is not None:
            return _from_text(parse, generic)
        if kind is UUIDAsHex:
            return _uuid_plan(generic)
        if kind is EnumAsValue:
            assert isinstance(transcoding, EnumAsValue)
            return _enum_plan(transcoding, generic)
        if kind is DataclassAsDict:
            assert isinstance(transcoding, DataclassAsDict)
            return self._dataclass_plan(transcoding.type, generic)
        return generic

    def _dataclass_plan(
        self, cls: type[Any], generic: Callable[[Any], Any]
    ) -> Callable[[Any], Any]:
        """A dataclass's fields revived in place and the instance built from
        them: when the stored fields are exactly the class's, in its order
        (as the encoder writes them), the field dict becomes the instance's
        ``__dict__`` as it is; otherwise (defaults to fill, keys of a field
        since removed) as ``_recorded`` fills it."""
        revive = self.revive
        revive_list = self.revive_list
        _, has_dict, names = _plan(cls)
        count = len(names)
        new = object.__new__
        set_attribute = object.__setattr__

        def dataclass(data: Any) -> Any:
            if type(data) is not dict or _tagged_shape(data):
                return generic(data)
            for key, item in data.items():
                kind = type(item)
                if kind is dict:
                    data[key] = revive(item)
                elif kind is list:
                    data[key] = tuple(revive_list(item))
                elif kind is float and not -_HUGE < item < _HUGE:
                    raise _HugeNumberError
            if has_dict and len(data) == count and tuple(data) == names:
                obj = new(cls)
                set_attribute(obj, "__dict__", data)
                return obj
            return _recorded(cls, data, lists_as_tuples=False)

        return dataclass


def _from_text(
    parse: Callable[[str], Any], generic: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    def plan(data: Any) -> Any:
        if type(data) is str:
            return parse(data)
        return generic(data)

    return plan


def _uuid_plan(generic: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``UUID(text)`` for 32 letters or digits is ``int(text, 16)`` (it strips
    only hyphens, braces and a URN prefix), without ``UUID.__init__``."""
    new = object.__new__
    set_attribute = object.__setattr__
    unknown = SafeUUID.unknown

    def plan(data: Any) -> Any:
        if type(data) is str and len(data) == 32 and data.isalnum():
            try:
                number = int(data, 16)
            except ValueError:
                return generic(data)  # UUID's own error
            found = new(UUID)
            set_attribute(found, "int", number)
            set_attribute(found, "is_safe", unknown)
            return found
        return generic(data)

    return plan


def _enum_plan(
    transcoding: EnumAsValue, generic: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    members = transcoding._members

    def plan(data: Any) -> Any:
        kind = type(data)
        if kind is str or kind is int:
            found = members.get(data)
            if found is not None:
                return found
        return generic(data)

    return plan


_PARSERS: dict[type[Transcoding], Callable[[str], Any]] = {
    DatetimeAsISO: datetime.fromisoformat,
    DateAsISO: date.fromisoformat,
    TimeAsISO: time.fromisoformat,
    DecimalAsStr: Decimal,
}
"""Transcodings whose ``decode`` is one constructor of the stored text."""


_DomainEvent = Any
Decode = Callable[[StoredEvent], _DomainEvent]


def event_decoder(
    mapper: Mapper[UUID], overrides: Mapping[str, Transcoding] | None = None
) -> Decode:
    """What ``mapper.to_domain_event`` returns, made cheaper for a mapper that
    only strips the hash chain's prefix and reads the library's JSON (no
    cipher, no compressor): the payload is parsed in place, each topic's
    class, id conversion and class version are looked up once, and tagged
    values are revived by their plans. Whatever this path does not expect
    (an upcast, a document orjson reads differently, a failure of any kind)
    is decoded by the mapper itself, which also raises its own errors.

    ``overrides`` decode some names with other transcodings (personal data
    read as erased, for read models that never read it); such a decoder is
    the mapper's only where the overrides were not needed."""
    transcoder = mapper.transcoder
    if (
        type(mapper).to_domain_event is not ChainMapper.to_domain_event
        or mapper.cipher is not None
        or mapper.compressor is not None
        or not isinstance(transcoder, FastJSONTranscoder)
    ):
        return mapper.to_domain_event
    return _EventDecoder(mapper, transcoder, overrides).decode


class _EventDecoder:
    def __init__(
        self,
        mapper: Mapper[UUID],
        transcoder: FastJSONTranscoder,
        overrides: Mapping[str, Transcoding] | None,
    ) -> None:
        self.mapper = mapper
        self.reviver = (
            _Reviver(transcoder, overrides) if overrides else transcoder.reviver
        )
        self.topics: dict[tuple[str, type[Any]], tuple[type[Any], Any]] = {}

    def _topic(self, topic: str, id_type: type[Any]) -> tuple[type[Any], Any]:
        cls = resolve_topic(topic)
        if getattr(cls, "class_version", 1) != 1:
            raise _UpcastError  # the mapper upcasts
        found = (cls, find_id_convertor(cls, cast("Hashable", id_type)))
        self.topics[(topic, id_type)] = found
        return found

    def decode(self, stored: StoredEvent) -> _DomainEvent:
        try:
            return self._decode(stored)
        except Exception:
            return self.mapper.to_domain_event(stored)

    def _decode(self, stored: StoredEvent) -> _DomainEvent:
        originator_id = stored.originator_id
        key = (stored.topic, type(originator_id))
        try:
            cls, convert = self.topics[key]
        except KeyError:
            cls, convert = self._topic(*key)
        state = stored.state
        payload = memoryview(state)[PREFIX_BYTES:] if state[:4] == MAGIC else state
        data = orjson.loads(payload)
        if type(data) is not dict or _tagged_shape(data) or "class_version" in data:
            raise _UpcastError
        data = self.reviver.revive(data)
        data["originator_id"] = convert(originator_id)
        data["originator_version"] = stored.originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", data)
        return event


class _UpcastError(Exception):
    """Left to the mapper: a class version to upcast, or another shape."""
