"""Dossier lifecycle core: beginnings, code claims, the generic command path, reads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.catalogue import Catalogue
from application.codes import CodeAllocator
from application.errors import (
    CodeAllocationError,
    ConcurrentWriteError,
    DocumentExistsError,
    DossierNotFoundError,
    VersionConflictError,
)
from application.files import FileStore, MemoryFiles
from application.identity import IdentityProvider
from application.national_warehouse import NationalWarehouse
from application.options import OneStopOptions
from application.signatures import Signatures
from application.signing import FileSigning, check_of
from domain.agency import Agency
from domain.calendar import Calendar
from domain.deadline import Granularity
from domain.digitized_document import DigitizedDocument
from domain.dossier import Dossier
from domain.dossier_code import DossierCode, is_dossier_code
from domain.dossier_values import (
    Applicant,
    Channel,
    DocumentMetadata,
    VersionedCalendar,
)
from domain.files import SignatureCheck, StoredFile
from domain.issued_slip import IssuedSlip, slip_id
from domain.procedure import Procedure
from domain.upload import Upload, upload_id
from domain.values import Actor, AgencyCode, Role, Trace
from domain.visibility import DossierNotVisibleError

_CODE_ATTEMPTS = 200

DossierCommand = Callable[[Dossier, VersionedCalendar], object]
"""A dossier command; an aggregate it returns (a warehouse document it
created or changed) is saved in the same transaction as the dossier."""


class _Stale:
    """Outcome of a command on a possibly outdated state that must be redone."""


_STALE = _Stale()


class _SavedDossiers:
    """The dossiers this process saved last, lent to one command at a time.

    A dossier is *taken* out (so no two commands share the object) and
    *given* back only after its next save succeeded, so an entry is always
    exactly a recorded version: never unsaved or partly applied state.
    It may be outdated (another process wrote since); commands using it
    find out from the primary key on ``(originator_id, originator_version)``
    (see ``DossierLifecycle.execute``).

    A kept dossier holds its subject's personal data opened: when the key
    store notices a destroyed key (``shreds()`` changes) every one is
    dropped, or a command could seal that data again under a new key.
    """

    def __init__(self, maxsize: int, shreds: Callable[[], int] | None = None) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[UUID, Dossier] = OrderedDict()
        self._lock = threading.Lock()
        self._shreds = shreds
        self._shreds_seen = shreds() if shreds is not None else 0

    def take(self, dossier_id: UUID) -> Dossier | None:
        if self.maxsize <= 0:
            return None
        shreds = self._shreds() if self._shreds is not None else 0
        with self._lock:
            if shreds != self._shreds_seen:
                self._items.clear()
                self._shreds_seen = shreds
            return self._items.pop(dossier_id, None)

    def give(self, *aggregates: Any) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            for dossier in aggregates:
                if not isinstance(dossier, Dossier):
                    continue
                current = self._items.get(dossier.id)
                if current is None or current.version < dossier.version:
                    self._items[dossier.id] = dossier
                    self._items.move_to_end(dossier.id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Reception:
    """What a reception returns: the new code and the log position to wait for."""

    dossier_id: UUID
    code: str
    notification_id: int
    due_at: datetime | None = None


@dataclass(frozen=True)
class CommandOutcome:
    """What a dossier command returns, taken from the save itself (no re-read)."""

    dossier_id: UUID
    code: str | None
    version: int
    """The dossier's version after the command."""
    log_position: int | None
    """Notification id of the last event written; ``None`` when nothing changed."""
    event: str = ""
    """Class name of the last event written (``""`` when nothing changed)."""


class _CodeIndex:
    """Code → dossier id, remembered: a code is claimed once and never moves."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, UUID] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, code: str) -> UUID | None:
        with self._lock:
            found = self._items.get(code)
            if found is not None:
                self._items.move_to_end(code)
            return found

    def put(self, code: str, dossier_id: UUID) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            self._items[code] = dossier_id
            self._items.move_to_end(code)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)


class DossierLifecycle(Catalogue):
    """Dossiers from submission to rating, plus the catalogue they depend on."""

    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Dossier: 25,
        Procedure: 20,
        Calendar: 50,
        Agency: 50,
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        options: OneStopOptions | None = None,
        *,
        files: FileStore | None = None,
        signatures: Signatures | None = None,
        identity: IdentityProvider | None = None,
        national_warehouse: NationalWarehouse | None = None,
    ) -> None:
        super().__init__(env, options)
        self.identity = identity
        self.national_warehouse = national_warehouse
        self.files: FileStore = files if files is not None else MemoryFiles()
        self.signing = FileSigning(self.files, signatures)
        # The store's shared daily numbers when it has them (PostgreSQL).
        self.codes = CodeAllocator(
            self.repository, getattr(self.recorder, "code_numbers", None)
        )
        self._listeners: list[Callable[[int], None]] = []
        self.granularity: Granularity = self.options.granularity
        self.apology_cutoff_hours = self.options.apology_cutoff_hours
        self.cross_boundary_code_unit = self.options.cross_boundary_code_unit
        saved = self.options.saved_dossiers_cache
        keys = self.subject_keys
        self._saved = _SavedDossiers(saved, keys.shreds if keys is not None else None)
        self._codes = _CodeIndex(max(saved, 10_000) if saved else 0)

    def subscribe(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(position)`` after every save in this process."""
        self._listeners.append(listener)

    def _notify(self, recordings: list[Any]) -> None:
        super()._notify(recordings)
        if recordings:
            for listener in self._listeners:
                listener(recordings[-1].notification.id)

    # -- beginnings -----------------------------------------------------------

    def submit_dossier(
        self,
        *,
        trace: Trace,
        applicant: Applicant,
        procedure_code: str,
        documents: dict[str, DocumentMetadata] | None = None,
        summary: str = "",
    ) -> tuple[UUID, int]:
        """Submit a dossier online (status 1, no code until the desk receives it)."""
        procedure = self.published_procedure(procedure_code)
        calendar = self.working_calendar(procedure.definition.competent_agency.level1)
        documents = documents or {}
        self.check_new_documents(documents)
        dossier = Dossier.submit_online(
            dossier_id=uuid4(),
            trace=trace,
            applicant=applicant,
            procedure_id=procedure.id,
            procedure=procedure.definition,
            procedure_version=procedure.version,
            calendar=calendar,
            documents=documents,
            files=self.uploaded_files(trace.actor, documents),
            summary=summary,
        )
        return dossier.id, self.save(dossier)[-1].notification.id

    def receive_dossier(
        self,
        *,
        trace: Trace,
        applicant: Applicant,
        procedure_code: str,
        channel: Channel = Channel.DESK,
        summary: str = "",
    ) -> Reception:
        """Receive a paper dossier at the desk: code, receipt time and due time."""
        procedure = self.published_procedure(procedure_code)
        definition = procedure.definition
        if trace.actor.agency_code is not None:
            self.check_in_force(trace.actor.agency_code, trace.at)
        calendar = self.working_calendar(definition.competent_agency.level1)
        dossier_id = uuid4()

        def build(code: str) -> list[Any]:
            dossier = Dossier.receive_at_desk(
                dossier_id=dossier_id,
                trace=trace,
                code=code,
                applicant=applicant,
                procedure_id=procedure.id,
                procedure=definition,
                procedure_version=procedure.version,
                calendar=calendar,
                registry=self,
                channel=channel,
                summary=summary,
            )
            return [dossier, DossierCode.issue(code=code, dossier_id=dossier_id)]

        unit = self._code_unit(trace, definition.competent_agency.value)
        return self._claim_code(unit, trace, dossier_id, build)

    def receive_submitted_dossier(
        self, dossier_id: UUID, *, trace: Trace, expected_version: int | None = None
    ) -> Reception:
        """Accept an online submission: it gets its code and due time now."""
        first = self._load(dossier_id, expected_version, trace.actor)
        if trace.actor.agency_code is not None:
            self.check_in_force(trace.actor.agency_code, trace.at)
        unit = self._code_unit(trace, first.competent_agency)

        def build(code: str) -> list[Any]:
            dossier = self._load(dossier_id, expected_version, trace.actor)
            calendar = self._calendar_of(dossier)
            entered = dossier.receive(
                trace=trace, code=code, calendar=calendar, registry=self
            )
            for document in entered:
                if self.id_taken(document.id):
                    raise DocumentExistsError(str(document.id))
                self.record_validation(document, trace)
            return [
                dossier,
                DossierCode.issue(code=code, dossier_id=dossier_id),
                *entered,
            ]

        return self._claim_code(unit, trace, dossier_id, build)

    # -- every other command ----------------------------------------------------

    def execute(
        self,
        dossier_id: UUID,
        command: DossierCommand,
        *,
        expected_version: int | None = None,
        actor: Actor | None = None,
    ) -> CommandOutcome:
        """Load, run one aggregate command, save once; returns what it did.

        When this process saved the dossier last, the command runs on that
        state without reading it again. That state may be outdated, so the
        outcome only stands when the save succeeds: the primary key rejects
        it if anyone wrote since. If it is rejected, or the command fails
        or changes nothing (outcomes a newer state might not give), the
        command runs again on the state read from the store, as usual.

        A dossier ``actor`` may not see (``Dossier.visible_to``) is answered
        as not found before anything else, the version included.
        """
        saved = self._saved.take(dossier_id)
        if (
            saved is not None
            and expected_version in (None, saved.version)
            and (actor is None or saved.visible_to(actor))
        ):
            outcome = self._run(saved, command, verified=False)
            if not isinstance(outcome, _Stale):
                return outcome
        dossier = self._load(dossier_id, expected_version, actor)
        try:
            outcome = self._run(
                dossier, command, verified=True, expected_version=expected_version
            )
        except DossierNotVisibleError:
            # Exactly the answer for a dossier that does not exist.
            raise DossierNotFoundError(str(dossier_id)) from None
        assert not isinstance(outcome, _Stale)  # verified runs raise instead
        return outcome

    def _run(
        self,
        dossier: Dossier,
        command: DossierCommand,
        *,
        verified: bool,
        expected_version: int | None = None,
    ) -> CommandOutcome | _Stale:
        """Run and save ``command``; ``_STALE`` when an unverified run must be redone."""
        version = dossier.version
        try:
            produced = command(dossier, self._calendar_of(dossier))
        except Exception:
            if verified:
                raise
            return _STALE
        if dossier.version == version:  # no event
            if not verified:
                return _STALE
            self._saved.give(dossier)
            return CommandOutcome(dossier.id, dossier.code, dossier.version, None)
        pending = list(dossier.pending_events)
        event = type(pending[-1]).__name__
        if isinstance(produced, Aggregate):
            others = [produced]
        elif isinstance(produced, list):
            others = [a for a in produced if isinstance(a, Aggregate)]
        else:
            others = []
        try:
            recordings = self.save(dossier, *others)
        except IntegrityError:
            if self._already_recorded(dossier.id, version, pending):
                position = self.recorder.max_notification_id()
                return CommandOutcome(
                    dossier.id, dossier.code, dossier.version, position, event
                )
            if not verified:
                return _STALE
            raise ConcurrentWriteError(
                expected=expected_version or dossier.version
            ) from None
        self._saved.give(dossier)
        position = recordings[-1].notification.id if recordings else None
        return CommandOutcome(
            dossier.id, dossier.code, dossier.version, position, event
        )

    def _already_recorded(
        self, dossier_id: UUID, version: int, pending: list[Any]
    ) -> bool:
        """Did our own write land, its reply lost and the library's retry refused?

        Then the stored events after ``version`` are ours (same class, same
        trace with its unique correlation id), and running the command again
        would apply it twice.
        """
        stored = list(
            self.events.get(dossier_id, gt=version, lte=version + len(pending))
        )
        return len(stored) == len(pending) and all(
            type(s) is type(p)
            and getattr(s, "trace", None) == getattr(p, "trace", None)
            for s, p in zip(stored, pending, strict=True)
        )

    # -- reads by id ------------------------------------------------------------

    def get_dossier(self, dossier_id: UUID, version: int | None = None) -> Dossier:
        try:
            dossier: Dossier = self.repository.get(dossier_id, version=version)
        except AggregateNotFoundError:
            raise DossierNotFoundError(str(dossier_id)) from None
        if not isinstance(dossier, Dossier):
            raise DossierNotFoundError(str(dossier_id))
        return dossier

    def id_taken(self, aggregate_id: UUID) -> bool:
        """Any aggregate (dossier, document…) already has this id."""
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def check_new_documents(self, documents: Mapping[str, DocumentMetadata]) -> None:
        """Each document id names a new warehouse document."""
        for document in documents.values():
            if self.id_taken(document.document_id):
                raise DocumentExistsError(str(document.document_id))

    def uploaded_files(
        self, actor: Actor, documents: Mapping[str, DocumentMetadata]
    ) -> dict[str, StoredFile]:
        """The stored file behind each document's hash that ``actor`` may use:
        a citizen only their own uploads, an officer any stored file. A hash
        left out is refused by the dossier (``UNKNOWN_FILE``)."""
        found: dict[str, StoredFile] = {}
        for document in documents.values():
            file = self.files.facts(document.sha256)
            if file is None:
                continue
            if actor.role is Role.CITIZEN:
                try:
                    upload: object = self.repository.get(upload_id(actor, file.sha256))
                except AggregateNotFoundError:
                    continue
                if not isinstance(upload, Upload):
                    continue
            found[file.sha256] = file
        return found

    def record_upload(
        self, trace: Trace, file: StoredFile, checks: tuple[SignatureCheck, ...]
    ) -> None:
        """Record who uploaded ``file`` (and its signatures' validation); the
        same person uploading the same bytes again changes nothing."""
        if self.id_taken(upload_id(trace.actor, file.sha256)):
            return
        with suppress(IntegrityError):  # a concurrent identical upload recorded it
            self.save(Upload.record(trace=trace, file=file, checks=checks))

    def issued_slip(
        self, dossier_id: UUID, kind: str, number: int = 0
    ) -> IssuedSlip | None:
        """The slip as it was first handed out, or None if it never was."""
        try:
            found: object = self.repository.get(slip_id(dossier_id, kind, number))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, IssuedSlip) else None

    def keep_slip(
        self, trace: Trace, pdf: bytes, file: StoredFile, **facts: Any
    ) -> IssuedSlip:
        """Keep a slip handed out for the first time (its signed PDF in the blob
        store, an ``IssuedSlip`` event with hash, kind and signer); when another
        request issued it meanwhile, that one stands and is returned."""
        stored = self.files.add(pdf, file)
        slip = IssuedSlip.issue(trace=trace, file=stored, **facts)
        try:
            self.save(slip)
        except IntegrityError:
            kept = self.issued_slip(slip.dossier_id, slip.kind, slip.number)
            if kept is None:
                raise
            return kept
        return slip

    def record_validation(self, document: DigitizedDocument, trace: Trace) -> None:
        """Validate the signatures a received file carries and record the
        outcome on its document, passed or not (the officer sees it); a file
        without signatures records nothing."""
        if self.signing.signatures is None:
            return
        validation = self.signing.port().validate(self.files.read(document.file.sha256))
        if not validation.signatures:
            return
        document.record_validation(
            trace=trace,
            checks=tuple(check_of(r) for r in validation.signatures),
            indication=validation.indication.value,
        )

    def warehouse_document(self, document_id: UUID) -> DigitizedDocument | None:
        """A document of the warehouse, or None (any other aggregate: None)."""
        try:
            found: object = self.repository.get(document_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, DigitizedDocument) else None

    def dossier_id_for(self, code: str) -> UUID:
        if not is_dossier_code(code):
            raise DossierNotFoundError(code)
        known = self._codes.get(code)
        if known is not None:
            return known
        try:
            index: DossierCode = self.repository.get(DossierCode.create_id(code))
        except AggregateNotFoundError:
            raise DossierNotFoundError(code) from None
        self._codes.put(code, index.dossier_id)
        return index.dossier_id

    def find_dossier(self, code: str) -> Dossier:
        return self.get_dossier(self.dossier_id_for(code))

    # -- helpers ----------------------------------------------------------------

    def _load(
        self, dossier_id: UUID, expected_version: int | None, actor: Actor | None
    ) -> Dossier:
        dossier = self.get_dossier(dossier_id)
        if actor is not None and not dossier.visible_to(actor):
            raise DossierNotFoundError(str(dossier_id))
        if expected_version is not None and dossier.version != expected_version:
            raise VersionConflictError(
                expected=expected_version, actual=dossier.version
            )
        return dossier

    def _code_owner(self, code: str) -> UUID | None:
        try:
            index: DossierCode = self.repository.get(DossierCode.create_id(code))
        except AggregateNotFoundError:
            return None
        return index.dossier_id

    def _calendar_of(self, dossier: Dossier) -> VersionedCalendar:
        return self.working_calendar(AgencyCode(dossier.competent_agency).level1)

    def _code_unit(self, trace: Trace, competent: str) -> AgencyCode:
        receiving = AgencyCode(trace.actor.agency_code or competent)
        competent_code = AgencyCode(competent)
        related = receiving.is_within(competent_code) or competent_code.is_within(
            receiving
        )
        if not related and self.cross_boundary_code_unit == "competent":
            return competent_code
        return receiving

    def _claim_code(
        self,
        unit: AgencyCode,
        trace: Trace,
        dossier_id: UUID,
        build: Callable[[str], list[Any]],
    ) -> Reception:
        day = trace.at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
        for _ in range(_CODE_ATTEMPTS):
            code = self.codes.candidate(unit, day)
            try:
                aggregates = build(code)
                recordings = self.save(*aggregates)
            except IntegrityError:
                owner = self._code_owner(code)
                if owner is None:
                    self.codes.release(unit, day, code)
                    raise ConcurrentWriteError() from None
                if owner == dossier_id:  # our save landed, its reply was lost
                    self.codes.claimed(unit, day, code)
                    dossier = self.get_dossier(dossier_id)
                    return Reception(
                        dossier_id,
                        code,
                        self.recorder.max_notification_id() or 0,
                        dossier.due_at,
                    )
                self.codes.conflicted(unit, day, code)
                continue
            except BaseException:
                self.codes.release(unit, day, code)
                raise
            self.codes.claimed(unit, day, code)
            self._saved.give(*aggregates)
            self._codes.put(code, dossier_id)
            dossier = next(a for a in aggregates if isinstance(a, Dossier))
            return Reception(
                dossier_id, code, recordings[-1].notification.id, dossier.due_at
            )
        raise CodeAllocationError()
