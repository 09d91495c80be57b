"""JSON transcodings for the value types stored in events and snapshots."""

from __future__ import annotations

import dataclasses
from datetime import date, time
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

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

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        member: Enum = self.type(data)
        return member


class DataclassAsDict(Transcoding):
    """Shallow field dict; nested values are transcoded by the encoder itself."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"dc:{cls.__module__}.{cls.__qualname__}"
        self._fields = [f.name for f in dataclasses.fields(cls) if f.init]

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: dict[str, Any]) -> Any:
        return stored_value(
            self.type,
            {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()},
        )


def stored_value(cls: type[Any], values: dict[str, Any]) -> Any:
    """A value exactly as it was recorded, without running today's checks.

    Checks in ``__post_init__`` guard what enters the log; a recorded value
    is a fact, so tightening a rule never makes old events unreadable.
    Fields added since the event was recorded take their defaults.
    """
    obj = object.__new__(cls)
    for spec in _fields(cls):
        if spec.name in values:
            value = values[spec.name]
        elif spec.default is not dataclasses.MISSING:
            value = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            value = spec.default_factory()
        else:
            raise TypeError(f"{cls.__qualname__}: stored value lacks {spec.name}")
        object.__setattr__(obj, spec.name, value)
    return obj


_FIELDS: dict[type[Any], tuple[dataclasses.Field[Any], ...]] = {}


def _fields(cls: type[Any]) -> tuple[dataclasses.Field[Any], ...]:
    """Reflection once per class: per decoded value it is measurable."""
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = dataclasses.fields(cls)
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
