"""Plain-JSON views of aggregates and events for the CLI and REST (camelCase keys)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from domain.dossier import Dossier

_SKIP = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def plain(value: Any) -> Any:
    """JSON-ready form of any stored value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            camel(f.name): plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.init
        }
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def event_json(event: Any) -> dict[str, Any]:
    trace = getattr(event, "trace", None)
    body: dict[str, Any] = {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recordedAt": event.timestamp.isoformat(),
    }
    if trace is not None:
        body["at"] = trace.at.isoformat()
        body["actor"] = plain(trace.actor)
        body["correlationId"] = str(trace.correlation_id)
    for key, value in vars(event).items():
        if key not in _SKIP and key != "trace":
            body[camel(key)] = plain(value)
    return body


def dossier_json(dossier: Dossier, events: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(dossier.id),
        "code": dossier.code,
        "status": dossier.status.value,
        "nationalStatusCode": dossier.national_status_code,
        "statusLabel": dossier.status.label("vi"),
        "applicantId": dossier.applicant.id,
        "agencyCode": dossier.competent_agency,
        "receivingAgencyCode": dossier.receiving_agency,
        "procedureCode": dossier.procedure_code,
        "procedureName": dossier.procedure_name,
        "receivedAt": plain(dossier.received_at),
        "dueAt": plain(dossier.due_at),
        "finishedAt": plain(dossier.finished_at),
        "timeliness": plain(dossier.timeliness),
        "version": dossier.version,
    }
    if events is not None:
        body["events"] = [event_json(e) for e in events]
    return body
