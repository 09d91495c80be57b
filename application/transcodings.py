"""JSON transcodings for the value types stored in events and snapshots."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, time
from enum import Enum
from typing import Any

import orjson
from eventsourcing.persistence import (
    JSONTranscoder,
    Transcoding,
    TranscodingNotRegisteredError,
)

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
    # planned once and the fields go into the instance dict in one update.
    fields, has_dict = _plan(cls)
    found: dict[str, Any] = {}
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
    obj = object.__new__(cls)
    if has_dict:
        obj.__dict__.update(found)
    else:
        for name, value in found.items():
            object.__setattr__(obj, name, value)
    return obj


_Plan = tuple[tuple[tuple[str, Any, Any], ...], bool]
_PLANS: dict[type[Any], _Plan] = {}


def _plan(cls: type[Any]) -> _Plan:
    """(name, default, default factory) per field, and whether instances keep
    their fields in a ``__dict__`` (no ``__slots__``)."""
    found = _PLANS.get(cls)
    if found is None:
        fields = tuple(
            (f.name, f.default, f.default_factory) for f in dataclasses.fields(cls)
        )
        found = _PLANS[cls] = (fields, hasattr(object.__new__(cls), "__dict__"))
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

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self._plans.clear()

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._native(obj))
        except (orjson.JSONEncodeError, RecursionError, _StdlibOnlyError):
            return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        try:
            return _revive(orjson.loads(data), self.names)
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


def _revive(value: Any, names: dict[str, Transcoding]) -> Any:
    kind = type(value)
    if kind is dict:
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            data = _revive(value["_data_"], names)
            try:
                transcoding = names[value["_type_"]]
            except (KeyError, TypeError) as error:
                raise TranscodingNotRegisteredError(
                    f"Data serialized with name '{value['_type_']}' is not "
                    "deserializable. Please register a custom transcoding for "
                    "this type."
                ) from error
            return transcoding.decode(data)
        for key, item in value.items():
            if type(item) is dict or type(item) is list:
                value[key] = _revive(item, names)
            elif type(item) is float and not -_HUGE < item < _HUGE:
                raise _HugeNumberError
        return value
    if kind is list:
        for index, item in enumerate(value):
            if type(item) is dict or type(item) is list:
                value[index] = _revive(item, names)
            elif type(item) is float and not -_HUGE < item < _HUGE:
                raise _HugeNumberError
    elif kind is float and not -_HUGE < value < _HUGE:
        raise _HugeNumberError
    return value
