"""The documents of an evidence bundle: every PDF the bundled events name, each
with its signature validation against the exported root certificate.

A document is anchored by the events: its SHA-256 is a field of an event
whose stream chain and seal the bundle proves, so the PDF cannot be swapped
without breaking that proof. The validation is done with the root alone (no
CRL, no network), exactly what the offline verifier can repeat; the report is
stored as JSON (structured) and as text (for a person), and the verifier
recomputes both.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from adapters.pki import pdf
from application.signatures import SignatureError

FOLDER = "documents/"
_SHA256 = re.compile(r"[0-9a-f]{64}")
MEMBER = re.compile(r"documents/([0-9a-f]{64})\.(pdf|validation\.json|validation\.txt)")


def referenced_files(events: Iterable[object]) -> list[str]:
    """The SHA-256 of every file the events name (any field called ``sha256``
    of the event or of a value inside it: stored files, document metadata,
    issued results, reused documents), in first-seen order."""
    found: dict[str, None] = {}
    for event in events:
        for name, value in vars(event).items():
            _walk(name, value, found)
    return list(found)


def _walk(name: str, value: object, found: dict[str, None]) -> None:
    if isinstance(value, str):
        if name == "sha256" and _SHA256.fullmatch(value):
            found[value] = None
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _walk(field.name, getattr(value, field.name), found)
    elif isinstance(value, dict):
        for item in value.values():
            _walk("", item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk(name, item, found)


def load_roots(root_pem: bytes) -> list[asn1_x509.Certificate]:
    return [
        asn1_x509.Certificate.load(der)
        for kind, _, der in pem.unarmor(root_pem, multiple=True)
        if kind == "CERTIFICATE"
    ]


def validation_body(
    sha256: str, data: bytes, roots: list[asn1_x509.Certificate]
) -> dict[str, Any]:
    """The structured report, without the time of validation (so that the
    offline verifier's recomputation can be compared with it)."""
    body: dict[str, Any] = {
        "sha256": sha256,
        "bytes": len(data),
        "trustRoots": [r.sha256.hex() for r in roots],
    }
    try:
        check = pdf.validate(data, trust_roots=roots)
    except SignatureError as error:
        body.update(indication="NOT_VALIDATED", error=error.code, signatures=[])
        return body
    body.update(
        indication=check.indication.value if check.signatures else "NO_SIGNATURE",
        signatures=[s.as_record() for s in check.signatures],
    )
    return body


def validation_text(body: dict[str, Any]) -> str:
    """The same report for a person (Vietnamese / English)."""
    lines = [
        f"Tệp / File: {FOLDER}{body['sha256']}.pdf ({body['bytes']} bytes)",
        f"SHA-256: {body['sha256']}",
        f"Kiểm tra với chứng thư gốc / Validated against root: "
        f"{', '.join(body['trustRoots'])}",
        f"Kết luận / Verdict: {body['indication']}"
        + (f" ({body['error']})" if body.get("error") else ""),
    ]
    for number, s in enumerate(body["signatures"], start=1):
        sub = f" / {s['subIndication']}" if s.get("subIndication") else ""
        lines += [
            f"Chữ ký {number} / Signature {number}: {s['fieldName']}",
            f"  Kết quả / Result: {s['indication']}{sub}",
            f"  Người ký / Signer: {s['signer']} ({s['signerSubject']})",
            f"  Cấp bởi / Issuer: {s['issuer']}",
            f"  Thời điểm ký / Signing time: {s['signingTime'] or '—'}",
            f"  Mức / Level: PAdES {s['level']}; toàn bộ tệp / whole file: "
            f"{'có / yes' if s['coversWholeFile'] else 'không / no'}",
            f"  Chứng thư (SHA-256) / Certificate: {s['certificateSha256']}",
        ]
    return "\n".join(lines) + "\n"


def document_members(
    sha256: str, data: bytes, roots: list[asn1_x509.Certificate]
) -> dict[str, bytes]:
    body = validation_body(sha256, data, roots)
    return {
        f"{FOLDER}{sha256}.pdf": data,
        f"{FOLDER}{sha256}.validation.json": _json(body),
        f"{FOLDER}{sha256}.validation.txt": validation_text(body).encode(),
    }


def check_documents(
    members: dict[str, bytes],
    referenced: list[str],
    root_pem: bytes,
) -> dict[str, str]:
    """Re-validate every bundled PDF with ``root_pem`` only; returns each
    document's verdict. Raises ``ValueError`` naming the first document whose
    bytes, anchor or report do not hold."""
    roots = load_roots(root_pem)
    if not roots:
        raise ValueError("the root certificate file holds no certificate")
    verdicts: dict[str, str] = {}
    for name in sorted(members):
        found = MEMBER.fullmatch(name)
        if found is None or found.group(2) != "pdf":
            continue
        sha256, data = found.group(1), members[name]
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(f"{name}: its bytes are not the file of that hash")
        if sha256 not in referenced:
            raise ValueError(f"{name}: no bundled event names this file")
        stored = json.loads(members[f"{FOLDER}{sha256}.validation.json"])
        recomputed = validation_body(sha256, data, roots)
        if stored != recomputed:
            raise ValueError(
                f"{name}: its validation report is not what validating it with "
                "the root certificate gives"
            )
        text = members[f"{FOLDER}{sha256}.validation.txt"].decode()
        if text != validation_text(recomputed):
            raise ValueError(f"{name}: the readable report does not match")
        verdicts[sha256] = str(recomputed["indication"])
    return verdicts


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode()
