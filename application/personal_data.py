"""Personal data in events, encrypted per data subject (crypto-shredding).

Stored as AES-GCM ciphertext under a key of its own data subject
(``SubjectKeys``, e.g. one key file per subject under MOTCUA_DATA_DIR):

- the applicant of a dossier (identifier and name), wherever it is stored;
- the identifier of a citizen who acted (``Actor`` with the citizen role, in
  every event's trace), under that citizen's key; officers' ids stay plain
  (they are the accountable party, not a data subject of the dossier);
- the free-text fields of an aggregate that names its data subject
  (``data_subject`` and ``personal_text_fields``, e.g. a dossier's reasons,
  notes, rating comment and summary), under that subject's key: the
  application names the subjects of the aggregates it saves
  (``saving_subjects``) and ``PersonalDataMapper`` seals those fields.
 Destroying that key at the end of the
retention period makes every stored copy unreadable — events, snapshots,
backups — while the hash chain and the seal, which cover the ciphertext, still
verify. A value whose key is gone reads as ``ERASED`` (the kind stays: it is
not personal). Events stored before this, or by an application without a key
store, keep the plain form and are read as before.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID
from weakref import WeakKeyDictionary

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    JSONTranscoder,
    StoredEvent,
    Transcoder,
    Transcoding,
)
from eventsourcing.utils import get_topic

from application.chain import ChainMapper
from application.transcodings import stored_value
from domain.dossier_values import Applicant, ApplicantKind, canonical_applicant_id
from domain.values import Actor, Role

ERASED = "[đã xoá / erased]"


class SubjectKeys(Protocol):
    def key_for(self, subject: str) -> tuple[str, bytes]:
        """The subject's key id and key, created (durably) on first use."""
        ...

    def key(self, key_id: str) -> bytes | None:
        """The key, or ``None`` once destroyed (or never known here)."""
        ...

    def shreds(self) -> int:
        """How many destroyed keys this process has noticed; a change means
        what was opened before may belong to a destroyed subject."""
        ...


class SealedApplicant(Transcoding):
    type = Applicant
    name = "pd:applicant"

    def __init__(self, keys: SubjectKeys | None) -> None:
        self.keys = keys

    def encode(self, obj: Applicant) -> dict[str, Any]:
        if self.keys is None:
            msg = "no subject key store: personal data cannot be written"
            raise RuntimeError(msg)
        key_id, key = self.keys.key_for(obj.id)
        nonce = os.urandom(12)
        plain = _plain({"id": obj.id, "name": obj.name})
        sealed = AESGCM(key).encrypt(nonce, plain, key_id.encode())
        return {
            "k": key_id,
            "kind": obj.kind.value,
            "n": base64.b64encode(nonce).decode(),
            "c": base64.b64encode(sealed).decode(),
        }

    def decode(self, data: dict[str, Any]) -> Applicant:
        kind = ApplicantKind(data["kind"])
        values: dict[str, Any] = {"id": ERASED, "name": ERASED, "kind": kind}
        opened = _open(self.keys, data)
        if opened is not None:
            values.update(opened)
        applicant: Applicant = stored_value(Applicant, values)
        return applicant


def _seal(keys: SubjectKeys, subject: str, values: dict[str, Any]) -> dict[str, str]:
    key_id, key = keys.key_for(subject)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, _plain(values), key_id.encode())
    return {
        "k": key_id,
        "n": base64.b64encode(nonce).decode(),
        "c": base64.b64encode(sealed).decode(),
    }


def _open(keys: SubjectKeys | None, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The sealed values, or None once the key is gone."""
    key = keys.key(str(data["k"])) if keys is not None else None
    if key is None:
        return None
    assert keys is not None
    shreds = keys.shreds()
    if _CIPHERS_AT.get(keys, 0) != shreds:  # keep no destroyed key's bytes
        _cipher.cache_clear()
        _CIPHERS_AT[keys] = shreds
    try:
        plain = _cipher(key).decrypt(
            binascii.a2b_base64(data["n"]),
            binascii.a2b_base64(data["c"]),
            str(data["k"]).encode(),
        )
    except InvalidTag:
        return None  # a key that does not open it: as good as gone
    try:
        opened: dict[str, Any] = orjson.loads(plain)
    except orjson.JSONDecodeError:  # what only the stdlib reads (lone surrogates)
        opened = json.loads(plain)
    return opened


_CIPHERS_AT: WeakKeyDictionary[SubjectKeys, int] = WeakKeyDictionary()


def _plain(values: dict[str, Any]) -> bytes:
    """The JSON sealed: orjson's (a command's serial path), the stdlib's for
    what orjson refuses (lone surrogates), which ``_open`` reads back."""
    try:
        return orjson.dumps(values)
    except orjson.JSONEncodeError:
        return json.dumps(values).encode()


@lru_cache(maxsize=1024)
def _cipher(key: bytes) -> AESGCM:
    """A subject's cipher, kept for its next values: a rebuild opens the
    values of a dossier's subject again and again, and setting up the key
    costs more than opening one value."""
    return AESGCM(key)


def subject_of(identifier: str) -> str:
    """The data subject an identifier names (the applicant's canonical form,
    so a citizen's actor id and their applicant id share one key)."""
    try:
        return canonical_applicant_id(identifier)
    except Exception:  # not an applicant identifier: the id as given
        return identifier


class SealedActor(Transcoding):
    """An actor; a citizen's identifier sealed under the citizen's key."""

    type = Actor
    name = "pd:actor"

    def __init__(self, keys: SubjectKeys | None) -> None:
        self.keys = keys

    def encode(self, obj: Actor) -> dict[str, Any]:
        data: dict[str, Any] = {
            "role": obj.role,
            "agency_code": obj.agency_code,
            "department": obj.department,
            "authentication": obj.authentication,
        }
        if obj.role is Role.CITIZEN and obj.id != ERASED:
            if self.keys is None:
                msg = "no subject key store: personal data cannot be written"
                raise RuntimeError(msg)
            data["sealed"] = _seal(self.keys, subject_of(obj.id), {"id": obj.id})
        else:
            data["id"] = obj.id
        return data

    def decode(self, data: dict[str, Any]) -> Actor:
        values = data
        if "sealed" in data:
            values = {k: v for k, v in data.items() if k != "sealed"}
            opened = _open(self.keys, data["sealed"])
            values["id"] = ERASED if opened is None else opened["id"]
        actor: Actor = stored_value(Actor, values)
        return actor


class SealedText:
    """A free-text value on its way into an event, with its data subject."""

    def __init__(self, subject: str, text: str) -> None:
        self.subject = subject
        self.text = text


class SealedTextTranscoding(Transcoding):
    """Free text sealed under its subject's key; reads back as plain ``str``
    (``ERASED`` once the key is destroyed)."""

    type = SealedText
    name = "pd:text"

    def __init__(self, keys: SubjectKeys | None) -> None:
        self.keys = keys

    def encode(self, obj: SealedText) -> dict[str, str]:
        if self.keys is None:
            msg = "no subject key store: personal data cannot be written"
            raise RuntimeError(msg)
        return _seal(self.keys, obj.subject, {"t": obj.text})

    def decode(self, data: dict[str, Any]) -> str:
        opened = _open(self.keys, data)
        return ERASED if opened is None else str(opened["t"])


def register_personal_data(
    transcoder: JSONTranscoder, keys: SubjectKeys | None
) -> None:
    """With keys: personal data is written sealed. Without: written plain (as
    before), and sealed values read as erased."""
    codings = (SealedApplicant(keys), SealedActor(keys), SealedTextTranscoding(keys))
    for coding in codings:
        if keys is not None:
            transcoder.register(coding)
        else:
            transcoder.names[coding.name] = coding


def unopened(transcoder: Transcoder) -> dict[str, Transcoding]:
    """The transcoder's personal-data transcodings without keys: values read
    as erased, without opening them (what a reader that never shows personal
    data needs)."""
    return {
        name: type(coding)(None)
        for name, coding in getattr(transcoder, "names", {}).items()
        if isinstance(coding, SealedApplicant | SealedActor | SealedTextTranscoding)
    }


_SUBJECTS: ContextVar[Mapping[UUID, tuple[str, frozenset[str]]] | None] = ContextVar(
    "motcua_saving_subjects", default=None
)


@contextmanager
def saving_subjects(aggregates: tuple[Any, ...]) -> Iterator[None]:
    """While saving: which aggregate's free text is whose personal data."""
    found = {}
    for aggregate in aggregates:
        subject = getattr(aggregate, "data_subject", None)
        fields: frozenset[str] = getattr(aggregate, "personal_text_fields", frozenset())
        if isinstance(subject, str) and subject and fields:
            # A shredded subject's new text is not kept: it has no key to be
            # sealed under, and in clear it could never be shredded.
            named = ERASED if subject == ERASED else subject_of(subject)
            found[aggregate.id] = (named, frozenset(fields))
    token = _SUBJECTS.set(found)
    try:
        yield
    finally:
        _SUBJECTS.reset(token)


class PersonalDataMapper(ChainMapper):
    """Seals the free-text fields of events whose aggregate named its subject
    (with a key store; otherwise the library's mapping, unchanged)."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        found = (_SUBJECTS.get() or {}).get(domain_event.originator_id)
        if found is None or SealedText not in getattr(self.transcoder, "types", {}):
            return super().to_stored_event(domain_event)
        subject, fields = found
        state = dict(vars(domain_event))
        for name in fields:
            value = state.get(name)
            if isinstance(value, str) and value:
                state[name] = (
                    ERASED if subject == ERASED else SealedText(subject, value)
                )
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        stored = self.transcoder.encode(state)
        if self.compressor:
            stored = self.compressor.compress(stored)
        if self.cipher:
            stored = self.cipher.encrypt(stored)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=stored,
        )
