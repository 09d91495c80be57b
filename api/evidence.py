"""Evidence bundle: one dossier's history, verifiable offline.

``export_bundle`` writes a zip (stored, not compressed; fixed names, order and
timestamps, so the same content always gives the same bytes) with:

- ``events.jsonl``: every stored event of the dossier exactly as stored (log
  position, stream, version, topic, state in base64), each with its chain
  fields and row hash;
- ``proof.json``: for each event, its audit path in the Merkle tree of the
  checkpoint span that holds it (api/evidence_proof.py: ⌈log₂ n⌉ hashes);
- ``checkpoints.json``: those checkpoints (position, running hash, span and
  its tree head, time, key id, Ed25519 signature, the agency seal's CMS
  signature when a PKI is configured, RFC 3161 token when a TSA is);
- ``history.json``: the dossier as reconstructed from those events (status,
  documents with their signature digests, due time and its derivation, steps);
- ``public-key.pem``: the agency key the checkpoint claims;
- ``root.pem``: the root certificate(s) signatures are validated against;
- ``documents/<sha256>.pdf`` with ``.validation.json`` and ``.validation.txt``:
  every stored file an event names (scans, signed copies, results), with its
  PAdES validation against ``root.pem`` (api/evidence_documents.py); the
  events of the result documents' own streams (their signed copies) are in
  ``events.jsonl`` too;
- ``manifest.json``: what the bundle is, with the SHA-256 of each file.

``verify_bundle`` needs nothing but the file and, ideally, the agency's
public key obtained separately (``motcua audit public-key``): it rebuilds the
canonical zip from the members (any changed byte of the file fails), checks
each event's stream chain and row hash, recomputes the running hash to the
checkpoint, verifies its signature, recomputes ``history.json`` and
re-validates every PDF with only the root certificate.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, StoredEvent

from adapters.audit_keys import CheckpointVerifier
from api.evidence_documents import (
    MEMBER,
    check_documents,
    document_members,
    load_roots,
    referenced_files,
)
from api.evidence_proof import ProofError, build_proofs, check_proofs
from api.presenters import plain
from application.chain import GENESIS, ChainMapper, event_hash, open_state
from application.history import dossier_as_of
from application.lifecycle import DossierLifecycle
from application.personal_data import register_personal_data
from application.transcodings import register_value_transcodings
from projections.ports import ReadStore
from projections.seal import SEAL, Checkpoint, Sealer, checkpoints

FORMAT = "motcua-evidence-2"
_STAMP = (2000, 1, 1, 0, 0, 0)
_ORDER = (
    "manifest.json",
    "events.jsonl",
    "proof.json",
    "checkpoints.json",
    "history.json",
    "public-key.pem",
    "root.pem",
)


class BundleError(Exception):
    """The bundle does not verify; the message says where."""


@dataclass(frozen=True)
class BundleReport:
    dossier_id: str
    code: str | None
    events: int
    checkpoint_position: int
    signed_at: str
    key_id: str
    key_from_bundle: bool
    documents: dict[str, str] = field(default_factory=dict)
    """Each bundled PDF's SHA-256 and its verdict, re-validated offline."""
    missing_documents: list[str] = field(default_factory=list)
    """Files the events name that the export's store did not hold."""
    root_from_bundle: bool = True
    dossier_events: int = 0
    """Of ``events``, the dossier's own (the rest: its documents' streams)."""
    checkpoints: int = 1
    proof_hashes: int = 0
    """Hashes in the events' proofs (Merkle audit paths)."""
    sealed_by_agency: bool = False
    """Every checkpoint co-signed by the agency seal, checked with the root."""
    timestamped: bool = False


def _canonical(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    documents = sorted(n for n in members if n not in _ORDER)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in (*_ORDER, *documents):
            info = zipfile.ZipInfo(name, date_time=_STAMP)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, members[name])
    return buffer.getvalue()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode()


def export_bundle(
    app: DossierLifecycle,
    store: ReadStore,
    sealer: Sealer,
    reference: str,
    public_pem: bytes,
    root_pem: bytes,
) -> bytes:
    try:
        dossier_id = UUID(reference.strip())
    except ValueError:
        dossier_id = app.dossier_id_for(reference.strip())
    code = app.get_dossier(dossier_id).code
    sealer.catch_up()
    sealer.checkpoint()  # the dossier's last event is covered by a signature
    mapper = _keyless_mapper()
    dossier_events = _sealed_events(app, store, dossier_id)
    domain_events = [mapper.to_domain_event(s) for _, s in dossier_events]
    streams = [dossier_events] + [
        sealed
        for document_id in referenced_documents(domain_events)
        if (sealed := _sealed_events(app, store, document_id, required=False))
    ]
    every = [pair for stream in streams for pair in stream]
    with store.transaction() as sql:
        made = checkpoints(sql)
    try:
        proofs, used = build_proofs(store, [p for p, _ in every], made)
    except ProofError as error:
        raise BundleError(str(error)) from None
    events = []
    for position, s in every:
        envelope = open_state(s.state)
        events.append(
            {
                "position": position,
                "originatorId": str(s.originator_id),
                "version": s.originator_version,
                "topic": s.topic,
                "state": base64.b64encode(s.state).decode(),
                "prev": envelope.prev.hex() if envelope.prev else None,
                "own": envelope.own.hex() if envelope.own else None,
            }
        )
    roots = load_roots(root_pem)
    documents: dict[str, bytes] = {}
    missing = []
    all_domain = [mapper.to_domain_event(s) for _, s in every]
    for sha256 in referenced_files(all_domain):
        if app.files.facts(sha256) is None:
            missing.append(sha256)
            continue
        documents.update(document_members(sha256, app.files.read(sha256), roots))
    members = {
        "events.jsonl": b"".join(
            json.dumps(e, sort_keys=True).encode() + b"\n" for e in events
        ),
        "proof.json": _json({"events": proofs}),
        "checkpoints.json": _json([c.as_json() for c in used]),
        # Without subject keys: the bundle carries personal data only as
        # ciphertext, and the offline verifier recomputes the same view.
        "history.json": _json(plain(dossier_as_of(domain_events, dossier_id, None))),
        "public-key.pem": public_pem,
        "root.pem": root_pem,
        **documents,
    }
    members["manifest.json"] = _json(
        {
            "format": FORMAT,
            "dossierId": str(dossier_id),
            "code": code,
            "exportedAt": datetime.now(UTC).isoformat(),
            "files": {n: hashlib.sha256(b).hexdigest() for n, b in members.items()},
            "streams": [str(stream[0][1].originator_id) for stream in streams],
            "missingDocuments": missing,
        }
    )
    return _canonical(members)


def referenced_documents(events: list[Any]) -> list[UUID]:
    """Warehouse documents the dossier's events name (results, reused and
    digitized documents): their streams hold the signed copies."""
    found: dict[UUID, None] = {}
    for event in events:
        for result in getattr(event, "results", ()):
            found[result.document_id] = None
        document = getattr(event, "document", None)
        for candidate in (
            getattr(event, "document_id", None),
            getattr(document, "document_id", None),
        ):
            if isinstance(candidate, UUID):
                found[candidate] = None
    return list(found)


def _sealed_events(
    app: DossierLifecycle,
    store: ReadStore,
    originator_id: UUID,
    *,
    required: bool = True,
) -> list[tuple[int, StoredEvent]]:
    """The stream's events the seal holds (a prefix: events written after
    the export's checkpoint are left out), with their log positions."""
    rows = store.query(
        f"SELECT originator_version, position FROM {SEAL} WHERE originator_id = ?",
        (str(originator_id),),
    )
    positions = {int(v): int(p) for v, p in rows}
    stored = [
        s
        for s in app.recorder.select_events(originator_id)
        if s.originator_version in positions
    ]
    if [s.originator_version for s in stored] != list(range(1, len(stored) + 1)) or (
        required and not stored
    ):
        msg = "the seal does not hold every event of this dossier yet"
        raise BundleError(msg)
    return [(positions[s.originator_version], s) for s in stored]


def verify_bundle(
    data: bytes, public_pem: bytes | None = None, root_pem: bytes | None = None
) -> BundleReport:
    """Raise ``BundleError`` naming the first thing that does not verify."""
    try:
        return _verify(data, public_pem, root_pem)
    except BundleError:
        raise
    except Exception as error:  # malformed content of a well-formed zip
        raise BundleError(
            f"malformed bundle: {type(error).__name__}: {error}"
        ) from None


def _read_members(data: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            extra = [n for n in names if n not in _ORDER]
            if len(set(names)) != len(names) or not set(_ORDER) <= set(names):
                raise BundleError(f"unexpected files: {names}")
            for name in extra:
                if MEMBER.fullmatch(name) is None:
                    raise BundleError(f"unexpected file: {name}")
            members = {name: archive.read(name) for name in names}
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        KeyError,
        ValueError,
        OSError,
    ) as e:
        raise BundleError(f"not a readable bundle: {e}") from None
    if _canonical(members) != data:
        raise BundleError("the file's bytes differ from the bundle it contains")
    return members


def _verify(
    data: bytes, public_pem: bytes | None, root_pem: bytes | None
) -> BundleReport:
    members = _read_members(data)
    manifest = json.loads(members["manifest.json"])
    if manifest.get("format") != FORMAT:
        raise BundleError("unknown bundle format")
    if sorted(manifest["files"]) != sorted(n for n in members if n != "manifest.json"):
        raise BundleError("the manifest does not list exactly the bundle's files")
    for name, digest in manifest["files"].items():
        if hashlib.sha256(members[name]).hexdigest() != digest:
            raise BundleError(f"{name} does not match the manifest")
    key_from_bundle = public_pem is None
    root_from_bundle = root_pem is None
    root = root_pem or members["root.pem"]
    verifier = CheckpointVerifier(
        public_pem or members["public-key.pem"], load_roots(root)
    )
    made = [Checkpoint.from_json(c) for c in json.loads(members["checkpoints.json"])]
    if not made:
        raise BundleError("the bundle holds no checkpoint")
    for checkpoint in made:
        problem = verifier.problem(checkpoint)
        if problem is not None:
            raise BundleError(f"the checkpoint at {checkpoint.position}: {problem}")
    events = [json.loads(line) for line in members["events.jsonl"].splitlines()]
    dossier_id = UUID(manifest["dossierId"])
    streams = _check_events(events, str(dossier_id))
    try:
        proof_hashes = check_proofs(
            json.loads(members["proof.json"])["events"],
            events,
            {int(e["position"]): base64.b64decode(e["state"]) for e in events},
            {c.position: c for c in made},
        )
    except ProofError as error:
        raise BundleError(str(error)) from None
    mapper = _keyless_mapper()
    decoded = {
        key: [mapper.to_domain_event(s) for s in stored]
        for key, stored in streams.items()
    }
    history = _json(plain(dossier_as_of(decoded[str(dossier_id)], dossier_id, None)))
    if history != members["history.json"]:
        raise BundleError("history.json is not what the events say")
    referenced = referenced_files([e for found in decoded.values() for e in found])
    root_from_bundle = root_pem is None
    try:
        verdicts = check_documents(members, referenced, root_pem or members["root.pem"])
    except ValueError as error:
        raise BundleError(str(error)) from None
    return BundleReport(
        str(dossier_id),
        manifest.get("code"),
        len(events),
        made[-1].position,
        made[-1].sealed_at,
        verifier.key_id,
        key_from_bundle,
        documents=verdicts,
        missing_documents=[str(m) for m in manifest.get("missingDocuments", [])],
        root_from_bundle=root_from_bundle,
        dossier_events=len(streams[str(dossier_id)]),
        checkpoints=len(made),
        proof_hashes=proof_hashes,
        sealed_by_agency=all(c.seal_cms is not None for c in made),
        timestamped=all(c.timestamp_token is not None for c in made),
    )


def _check_events(
    events: list[dict[str, Any]], dossier_id: str
) -> dict[str, list[StoredEvent]]:
    """Each stream's chain, from version 1 on; the dossier's stream first."""
    streams: dict[str, list[StoredEvent]] = {}
    links: dict[str, bytes] = {}
    for event in events:
        key = str(event["originatorId"])
        if not streams and key != dossier_id:
            raise BundleError("the bundle does not start with the dossier's events")
        stored = streams.setdefault(key, [])
        expected = len(stored) + 1
        link = links.get(key, GENESIS)
        where = (
            f"event version {event.get('version')} at position {event.get('position')}"
        )
        if event["version"] != expected:
            raise BundleError(f"{where}: not the stream's next event")
        state = base64.b64decode(event["state"])
        envelope = open_state(state)
        if envelope.own is None:
            own = event_hash(link, key, expected, event["topic"], state)
        else:
            own = event_hash(
                envelope.prev or b"", key, expected, event["topic"], envelope.payload
            )
            if own != envelope.own or envelope.prev != link:
                raise BundleError(f"{where}: its stream chain is broken")
        links[key] = own
        stored.append(StoredEvent(UUID(key), expected, event["topic"], state))
    if dossier_id not in streams:
        raise BundleError("the bundle holds no event of its dossier")
    return streams


def _keyless_mapper() -> ChainMapper:
    return ChainMapper(transcoder=_transcoder())


def _transcoder() -> JSONTranscoder:
    from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, UUIDAsHex

    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    register_value_transcodings(transcoder)
    register_personal_data(transcoder, None)
    return transcoder
