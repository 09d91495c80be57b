"""Evidence bundle: one dossier's history, verifiable offline.

``export_bundle`` writes a zip (stored, not compressed; fixed names, order and
timestamps, so the same content always gives the same bytes) with:

- ``events.jsonl``: every stored event of the dossier exactly as stored (log
  position, stream, version, topic, state in base64), each with its chain
  fields and row hash;
- ``proof.json``: the seal's running hash just before the dossier's first
  event and the row hash of every log position from there to the nearest
  signed checkpoint, so the checkpoint's running hash can be recomputed;
- ``checkpoint.json``: that checkpoint (position, running hash, time, key id,
  Ed25519 signature, RFC 3161 token when a TSA is configured);
- ``history.json``: the dossier as reconstructed from those events (status,
  documents with their signature digests, due time and its derivation, steps);
- ``public-key.pem``: the agency key the checkpoint claims;
- ``manifest.json``: what the bundle is, with the SHA-256 of each file.

``verify_bundle`` needs nothing but the file and, ideally, the agency's
public key obtained separately (``motcua audit public-key``): it rebuilds the
canonical zip from the members (any changed byte of the file fails), checks
each event's stream chain and row hash, recomputes the running hash to the
checkpoint, verifies its signature and recomputes ``history.json``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, StoredEvent

from adapters.audit_keys import CheckpointVerifier
from api.presenters import plain
from application.chain import GENESIS, ChainMapper, event_hash, open_state
from application.history import dossier_as_of
from application.lifecycle import DossierLifecycle
from application.personal_data import SealedApplicant
from application.transcodings import register_value_transcodings
from projections.ports import ReadStore
from projections.seal import (
    CHECKPOINTS,
    SEAL,
    ZERO,
    Checkpoint,
    Sealer,
    row_hash,
    running_hash,
)

FORMAT = "motcua-evidence-1"
_STAMP = (2000, 1, 1, 0, 0, 0)
_ORDER = (
    "manifest.json",
    "events.jsonl",
    "proof.json",
    "checkpoint.json",
    "history.json",
    "public-key.pem",
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


def _canonical(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in _ORDER:
            info = zipfile.ZipInfo(name, date_time=_STAMP)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, members[name])
    return buffer.getvalue()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode()


def _history_json(
    mapper: ChainMapper, stored: list[StoredEvent], dossier_id: UUID
) -> bytes:
    events = [mapper.to_domain_event(s) for s in stored]
    return _json(plain(dossier_as_of(events, dossier_id, None)))


def export_bundle(
    app: DossierLifecycle,
    store: ReadStore,
    sealer: Sealer,
    reference: str,
    public_pem: bytes,
) -> bytes:
    try:
        dossier_id = UUID(reference.strip())
    except ValueError:
        dossier_id = app.dossier_id_for(reference.strip())
    code = app.get_dossier(dossier_id).code
    sealer.catch_up()
    sealer.checkpoint()  # the dossier's last event is covered by a signature
    stored = app.recorder.select_events(dossier_id)
    positions = _positions(store, dossier_id, len(stored))
    first, last = min(positions.values()), max(positions.values())
    with store.transaction() as sql:
        found = sql.query(
            f"SELECT position, running_hash, sealed_at, key_id, algorithm, signature, "
            f"timestamp_token FROM {CHECKPOINTS} WHERE position >= ? "
            "ORDER BY position LIMIT 1",
            (last,),
        )
        before = sql.query(
            f"SELECT running_hash FROM {SEAL} WHERE position < ? "
            "ORDER BY position DESC LIMIT 1",
            (first,),
        )
    if not found:
        msg = "no signed checkpoint covers this dossier (configure the signer)"
        raise BundleError(msg)
    row = found[0]
    checkpoint = Checkpoint(
        int(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        str(row[5]),
        row[6],
    )
    rows = store.query(
        f"SELECT position, row_hash FROM {SEAL} WHERE position >= ? AND position <= ? "
        "ORDER BY position",
        (first, checkpoint.position),
    )
    events = []
    for s in stored:
        envelope = open_state(s.state)
        events.append(
            {
                "position": positions[s.originator_version],
                "originatorId": str(s.originator_id),
                "version": s.originator_version,
                "topic": s.topic,
                "state": base64.b64encode(s.state).decode(),
                "prev": envelope.prev.hex() if envelope.prev else None,
                "own": envelope.own.hex() if envelope.own else None,
            }
        )
    members = {
        "events.jsonl": b"".join(
            json.dumps(e, sort_keys=True).encode() + b"\n" for e in events
        ),
        "proof.json": _json(
            {
                "runningBefore": str(before[0][0]) if before else ZERO,
                "rows": [[int(p), str(h)] for p, h in rows],
            }
        ),
        "checkpoint.json": _json(checkpoint.as_json()),
        # Without subject keys: the bundle carries personal data only as
        # ciphertext, and the offline verifier recomputes the same view.
        "history.json": _history_json(_keyless_mapper(), list(stored), dossier_id),
        "public-key.pem": public_pem,
    }
    members["manifest.json"] = _json(
        {
            "format": FORMAT,
            "dossierId": str(dossier_id),
            "code": code,
            "exportedAt": datetime.now(UTC).isoformat(),
            "files": {n: hashlib.sha256(b).hexdigest() for n, b in members.items()},
            "signatures": "component signatures are recorded as SHA-256 digests "
            "(history.json documents); PAdES files and their validation reports "
            "join the bundle with the digitization work",
        }
    )
    return _canonical(members)


def _positions(store: ReadStore, dossier_id: UUID, count: int) -> dict[int, int]:
    rows = store.query(
        f"SELECT originator_version, position FROM {SEAL} WHERE originator_id = ?",
        (str(dossier_id),),
    )
    found = {int(v): int(p) for v, p in rows}
    if len(found) != count:
        msg = "the seal does not hold every event of this dossier yet"
        raise BundleError(msg)
    return found


def verify_bundle(data: bytes, public_pem: bytes | None = None) -> BundleReport:
    """Raise ``BundleError`` naming the first thing that does not verify."""
    try:
        return _verify(data, public_pem)
    except BundleError:
        raise
    except Exception as error:  # malformed content of a well-formed zip
        raise BundleError(
            f"malformed bundle: {type(error).__name__}: {error}"
        ) from None


def _verify(data: bytes, public_pem: bytes | None) -> BundleReport:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if sorted(names) != sorted(_ORDER):
                raise BundleError(f"unexpected files: {names}")
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
    manifest = json.loads(members["manifest.json"])
    if manifest.get("format") != FORMAT:
        raise BundleError("unknown bundle format")
    for name, digest in manifest["files"].items():
        if hashlib.sha256(members[name]).hexdigest() != digest:
            raise BundleError(f"{name} does not match the manifest")
    key_from_bundle = public_pem is None
    verifier = CheckpointVerifier(public_pem or members["public-key.pem"])
    checkpoint = Checkpoint(
        **_checkpoint_fields(json.loads(members["checkpoint.json"]))
    )
    if not verifier(checkpoint):
        raise BundleError(
            f"the checkpoint at {checkpoint.position} is not signed by key "
            f"{verifier.key_id}"
        )
    events = [json.loads(line) for line in members["events.jsonl"].splitlines()]
    stored = _check_events(events, manifest["dossierId"])
    _check_proof(json.loads(members["proof.json"]), events, checkpoint)
    mapper = ChainMapper(transcoder=_transcoder())
    if (
        _history_json(mapper, stored, UUID(manifest["dossierId"]))
        != members["history.json"]
    ):
        raise BundleError("history.json is not what the events say")
    return BundleReport(
        manifest["dossierId"],
        manifest.get("code"),
        len(events),
        checkpoint.position,
        checkpoint.sealed_at,
        verifier.key_id,
        key_from_bundle,
    )


def _checkpoint_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "position": int(body["position"]),
        "running_hash": str(body["runningHash"]),
        "sealed_at": str(body["sealedAt"]),
        "key_id": str(body["keyId"]),
        "algorithm": str(body["algorithm"]),
        "signature": str(body["signature"]),
        "timestamp_token": body.get("timestampToken"),
    }


def _check_events(events: list[dict[str, Any]], dossier_id: str) -> list[StoredEvent]:
    link = GENESIS
    stored = []
    for expected, event in enumerate(events, start=1):
        where = (
            f"event version {event.get('version')} at position {event.get('position')}"
        )
        if event["originatorId"] != dossier_id or event["version"] != expected:
            raise BundleError(f"{where}: not the dossier's next event")
        state = base64.b64decode(event["state"])
        envelope = open_state(state)
        if envelope.own is None:
            own = event_hash(link, dossier_id, expected, event["topic"], state)
        else:
            own = event_hash(
                envelope.prev or b"",
                dossier_id,
                expected,
                event["topic"],
                envelope.payload,
            )
            if own != envelope.own or envelope.prev != link:
                raise BundleError(f"{where}: its stream chain is broken")
        link = own
        stored.append(StoredEvent(UUID(dossier_id), expected, event["topic"], state))
    return stored


def _check_proof(
    proof: dict[str, Any], events: list[dict[str, Any]], checkpoint: Checkpoint
) -> None:
    rows = {int(p): str(h) for p, h in proof["rows"]}
    for event in events:
        state = base64.b64decode(event["state"])
        computed = row_hash(
            event["position"],
            event["originatorId"],
            event["version"],
            event["topic"],
            state,
        ).hex()
        if rows.get(event["position"]) != computed:
            raise BundleError(
                f"event version {event['version']}: not the row sealed at "
                f"position {event['position']}"
            )
    running = bytes.fromhex(proof["runningBefore"])
    last = -1
    for position, hashed in proof["rows"]:
        if position <= last:
            raise BundleError("the proof's positions are out of order")
        last = position
        running = running_hash(running, bytes.fromhex(hashed))
    if last != checkpoint.position or running.hex() != checkpoint.running_hash:
        raise BundleError("the proof does not lead to the signed checkpoint")


def _keyless_mapper() -> ChainMapper:
    return ChainMapper(transcoder=_transcoder())


def _transcoder() -> JSONTranscoder:
    from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, UUIDAsHex

    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    register_value_transcodings(transcoder)
    transcoder.register(SealedApplicant(None))
    return transcoder
