"""Use cases for the catalogue: agencies, procedures and working calendars."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.domain import (
    BaseAggregate,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
)
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    InternalError,
    JSONTranscoder,
    Mapper,
    ProgrammingError,
    Recording,
    Transcoder,
)
from eventsourcing.utils import resolve_topic

from application.chain import (
    ChainedEventStore,
    ChainHeads,
    SnapshotStore,
)
from application.errors import (
    AgencyNotFoundError,
    AlreadyExistsError,
    CalendarNotDefinedError,
    ProcedureNotFoundError,
)
from application.options import OneStopOptions
from application.personal_data import (
    PersonalDataMapper,
    SubjectKeys,
    register_personal_data,
    saving_subjects,
)
from application.public_holidays import public_holidays
from application.transcodings import FastJSONTranscoder, register_value_transcodings
from domain.agency import Agency
from domain.calendar import Calendar
from domain.dossier_values import VersionedCalendar
from domain.errors import (
    AgencyNotInForceError,
    InvalidAgencyCodeError,
    UnregisteredAgencyError,
)
from domain.fields import check_field
from domain.procedure import (
    Procedure,
    ProcedureDefinition,
    local_publisher,
    validate_procedure_code,
)
from domain.values import AgencyCode, AgencyLevel, Trace
from domain.working_time import DEFAULT_SESSIONS, Session

_VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Lifespan:
    """When a unit existed, and who carries it on after it ended."""

    established_on: date | None
    ended_on: date | None
    successors: tuple[str, ...]


_V = TypeVar("_V")


@dataclass(frozen=True)
class PublishedProcedure:
    """The current version of a procedure, as commands need it (immutable)."""

    id: UUID
    version: int
    definition: ProcedureDefinition


class _RecentlyRead(Generic[_V]):
    """Values derived from catalogue aggregates, re-read after ``seconds``.

    Commands read a procedure and a working calendar every time; both change
    rarely. A value is served from memory for ``seconds`` after it was read,
    so a change written by *another* process is seen at most that late
    (changes saved through this application are evicted at once). Values
    must be immutable: they are shared between threads.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[UUID, tuple[float, _V]] = {}
        self._lock = threading.Lock()

    def get(self, key: UUID, read: Callable[[], _V]) -> _V:
        if self.seconds <= 0:
            return read()
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and now - entry[0] < self.seconds:
            return entry[1]
        value = read()  # raises for unknown keys: nothing cached
        with self._lock:
            self._entries[key] = (now, value)
        return value

    def evict(self, keys: Iterable[UUID]) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)


_T = TypeVar("_T")
_CATALOG_RACES = ("concurrently", "already exists", "pg_type")


def _retrying_catalog_races(construct: Callable[[], _T]) -> _T:
    """Processes starting together race on PostgreSQL's catalog while creating
    tables and types (IF NOT EXISTS is not atomic): such failures are retried."""
    for attempt in range(8):
        try:
            return construct()
        except (InternalError, ProgrammingError, IntegrityError) as error:
            if attempt == 7 or not any(h in str(error) for h in _CATALOG_RACES):
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


class Catalogue(Application[UUID]):
    """Agencies, procedures and calendars: the configuration dossiers depend on."""

    # No eventsourcing aggregate cache: it fast-forwards (one read) and
    # deep-copies on every get. Commands use the project's own caches
    # (saved dossiers, recently read catalogue entries) instead.
    env: ClassVar[dict[str, str]] = {}
    chain_heads: ChainHeads

    def __init__(
        self, env: dict[str, str] | None = None, options: OneStopOptions | None = None
    ) -> None:
        super().__init__(env)
        self.options = options or OneStopOptions()
        # Changes by other processes show up at most this late.
        seconds = self.options.catalogue_cache_seconds
        self._procedures: _RecentlyRead[PublishedProcedure] = _RecentlyRead(seconds)
        self._calendars: _RecentlyRead[VersionedCalendar] = _RecentlyRead(seconds)
        self._departments: _RecentlyRead[frozenset[str] | None] = _RecentlyRead(seconds)
        self._lifespans: _RecentlyRead[Lifespan | None] = _RecentlyRead(seconds)

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=PersonalDataMapper
        )

    def construct_transcoder(self) -> Transcoder:
        # The library's JSON format read with orjson (decoding is most of what a
        # projection rebuild costs); TRANSCODER_TOPIC still chooses another.
        if self.env.get("TRANSCODER_TOPIC"):
            return super().construct_transcoder()
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_recorder(self) -> ApplicationRecorder:
        return _retrying_catalog_races(super().construct_recorder)

    def construct_event_store(self) -> EventStore[UUID]:
        # Every event carries its stream's hash chain (application/chain.py).
        self.chain_heads = ChainHeads()
        return ChainedEventStore(self.mapper, self.recorder, self.chain_heads)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        def construct() -> EventStore[UUID]:
            recorder = self.factory.aggregate_recorder(purpose="snapshots")
            return SnapshotStore(self.mapper, recorder, self.chain_heads)

        return _retrying_catalog_races(construct)

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        try:
            with saving_subjects(objs):  # whose free text is whose (personal_data)
                return self._record_collected(objs, kwargs)
        finally:
            changed = [
                o.id for o in objs if isinstance(o, Procedure | Calendar | Agency)
            ]
            if changed:
                self._procedures.evict(changed)
                self._calendars.evict(changed)
                self._departments.evict(changed)
                self._lifespans.evict(changed)

    def _record_collected(
        self,
        objs: tuple[
            MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None, ...
        ],
        kwargs: dict[str, Any],
    ) -> list[Recording[UUID]]:
        """``Application.save``, collecting our aggregates' events directly.

        The library asks each object whether it satisfies its runtime-checkable
        protocols (an event? something that collects events?); Python answers
        by listing the protocol's members every time, ~10 µs a command. Our
        aggregates are ``BaseAggregate`` subclasses (one cached class check);
        anything else takes the library's way.
        """
        processing = ProcessingEvent[UUID]()
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                processing.events.extend(obj.collect_events())
                processing.aggregates[obj.id] = obj
            elif obj is not None:
                processing.collect_events(obj)
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)  # deprecated hook, called as the library does
        return recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)
        # Personal data under per-subject keys (application/personal_data.py).
        topic = self.env.get("SUBJECT_KEYS_TOPIC")
        directory = self.env.get("SUBJECT_KEYS_DIR")
        self.subject_keys: SubjectKeys | None = None
        if topic and directory:
            self.subject_keys = resolve_topic(topic)(directory)
        # Without keys: writes stay plain, sealed values read as erased.
        register_personal_data(transcoder, self.subject_keys)

    def _save_new(self, *aggregates: Any, what: str) -> int:
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            raise AlreadyExistsError(what) from None
        return recordings[-1].notification.id

    def _save(self, *aggregates: Any) -> int | None:
        recordings = self.save(*aggregates)
        return recordings[-1].notification.id if recordings else None

    # -- agencies -----------------------------------------------------------

    def register_agency(
        self, *, trace: Trace, code: str, name: str, level: AgencyLevel
    ) -> UUID:
        """Register a state unit under its QCVN 102:2016 identifier."""
        agency = Agency.register(
            trace=trace, code=AgencyCode(code), name=name, level=level
        )
        self._save_new(agency, what=code)
        return agency.id

    def add_department(
        self, agency_code: str, *, trace: Trace, department_code: str, name: str
    ) -> int | None:
        """Add a department (phòng ban) to an agency."""
        agency = self.get_agency(agency_code)
        agency.add_department(trace=trace, department_code=department_code, name=name)
        return self._save(agency)

    def departments_of(self, code: str) -> frozenset[str] | None:
        """``AgencyRegistry``: a registered unit's departments, ``None`` if unknown
        (reused for CATALOGUE_CACHE_SECONDS, like procedures and calendars)."""

        def read() -> frozenset[str] | None:
            try:
                return frozenset(self.get_agency(code).departments)
            except AgencyNotFoundError:
                return None

        return self._departments.get(Agency.create_id(AgencyCode(code)), read)

    def check_in_force(self, code: str, at: datetime) -> None:
        """Refuse a unit acting on a day it did not exist: before it was
        established or on/after the day it merged, split, changed code or
        was dissolved (its old code stays valid for the history it has).
        Unregistered units are left to the domain's own check."""

        def read() -> Lifespan | None:
            try:
                agency = self.get_agency(code)
            except AgencyNotFoundError:
                return None
            return Lifespan(agency.established_on, agency.ended_on, agency.successors)

        try:
            agency_id = Agency.create_id(AgencyCode(code))
        except InvalidAgencyCodeError:
            return  # the domain refuses it, after its visibility rule
        span = self._lifespans.get(agency_id, read)
        if span is None:
            return
        day = at.astimezone(_VIETNAM).date()
        if span.ended_on is not None and day >= span.ended_on:
            successors = ", ".join(span.successors)
            raise AgencyNotInForceError(
                code, day.isoformat(), f" → {successors}" if successors else ""
            )
        if span.established_on is not None and day < span.established_on:
            raise AgencyNotInForceError(code, day.isoformat(), "")

    def get_agency(self, code: str) -> Agency:
        try:
            agency: Agency = self.repository.get(Agency.create_id(AgencyCode(code)))
        except AggregateNotFoundError:
            raise AgencyNotFoundError(code) from None
        return agency

    # -- procedures ---------------------------------------------------------

    def publish_procedure(
        self, *, trace: Trace, definition: ProcedureDefinition
    ) -> UUID:
        """Publish a procedure (TTHC) in the catalogue."""
        self._check_registered(definition)
        check_field(definition.field_code, definition.competent_agency)
        procedure = Procedure.publish(trace=trace, definition=definition)
        self._save_new(procedure, what=definition.code)
        return procedure.id

    def revise_procedure(
        self, *, trace: Trace, definition: ProcedureDefinition
    ) -> int | None:
        """Publish a new procedure version; dossiers keep the one they began with."""
        self._check_registered(definition)
        check_field(definition.field_code, definition.competent_agency)
        procedure = self.get_procedure(definition.code)
        procedure.revise(trace=trace, definition=definition)
        return self._save(procedure)

    def _check_registered(self, definition: ProcedureDefinition) -> None:
        """The competent agency and, for a local variant ``<national>.<agency>``,
        the publishing agency are units of the agency catalogue (R-03, R-08)."""
        for unit in (definition.competent_agency, local_publisher(definition.code)):
            if unit is not None and self.departments_of(unit.value) is None:
                raise UnregisteredAgencyError(unit.value)

    def published_procedure(self, code: str) -> PublishedProcedure:
        """The current version of ``code`` (reused for CATALOGUE_CACHE_SECONDS)."""
        validate_procedure_code(code)

        def read() -> PublishedProcedure:
            procedure = self.get_procedure(code)
            return PublishedProcedure(
                procedure.id, procedure.version, procedure.definition
            )

        return self._procedures.get(Procedure.create_id(code), read)

    def get_procedure(self, code: str, version: int | None = None) -> Procedure:
        validate_procedure_code(code)
        try:
            procedure: Procedure = self.repository.get(
                Procedure.create_id(code), version=version
            )
        except AggregateNotFoundError:
            raise ProcedureNotFoundError(code) from None
        return procedure

    # -- calendars ----------------------------------------------------------

    def define_calendar(
        self,
        *,
        trace: Trace,
        province: str,
        sessions: tuple[Session, ...] = DEFAULT_SESSIONS,
        years: Iterable[int] = (),
    ) -> UUID:
        """Define a province's working calendar, with national holidays of ``years``."""
        calendar = Calendar.define(trace=trace, province=province, sessions=sessions)
        for year in years:
            days_off, make_up = public_holidays(year)
            calendar.adopt_public_holidays(
                trace=trace, year=year, holidays=days_off, make_up_days=make_up
            )
        self._save_new(calendar, what=province)
        return calendar.id

    def adopt_public_holidays(
        self, province: str, *, trace: Trace, year: int
    ) -> int | None:
        """Add one year's national holidays to a province's calendar."""
        calendar = self.get_calendar(province)
        days_off, make_up = public_holidays(year)
        calendar.adopt_public_holidays(
            trace=trace, year=year, holidays=days_off, make_up_days=make_up
        )
        return self._save(calendar)

    def declare_day_off(
        self, province: str, *, trace: Trace, day: Any, reason: str
    ) -> int | None:
        """Declare a province-specific day off."""
        calendar = self.get_calendar(province)
        calendar.declare_day_off(trace=trace, day=day, reason=reason)
        return self._save(calendar)

    def declare_working_day(
        self, province: str, *, trace: Trace, day: Any, reason: str
    ) -> int | None:
        """Declare a make-up working day."""
        calendar = self.get_calendar(province)
        calendar.declare_working_day(trace=trace, day=day, reason=reason)
        return self._save(calendar)

    def change_working_sessions(
        self,
        province: str,
        *,
        trace: Trace,
        sessions: tuple[Session, ...],
        reason: str,
    ) -> int | None:
        """New working hours (sessions) of the province's calendar."""
        calendar = self.get_calendar(province)
        calendar.change_sessions(trace=trace, sessions=sessions, reason=reason)
        return self._save(calendar)

    def get_calendar(self, province: str, version: int | None = None) -> Calendar:
        try:
            calendar: Calendar = self.repository.get(
                Calendar.create_id(province), version=version
            )
        except AggregateNotFoundError:
            raise CalendarNotDefinedError(province) from None
        return calendar

    def working_calendar(self, province: str) -> VersionedCalendar:
        """The province's current calendar (reused for CATALOGUE_CACHE_SECONDS)."""
        return self._calendars.get(
            Calendar.create_id(province), lambda: self._read_working_calendar(province)
        )

    def _read_working_calendar(self, province: str) -> VersionedCalendar:
        calendar = self.get_calendar(province)
        return VersionedCalendar(
            version=calendar.version, calendar=calendar.working_calendar()
        )
