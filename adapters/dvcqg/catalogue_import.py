"""``motcua import procedures FILE.json``: TTHC from the national database (R-08).

The file is a ``LayThuTuc``-style export: ``{"result": [TTHC, …]}`` (or a bare
list) where each TTHC has ``MATTHC`` (national code or the local variant
``<code>.<agency code>``), ``TENTTHC``, ``MALINHVUC`` (or ``LINHVUCTHUCHIEN[0]``),
``COQUANTHUCHIEN[0].MADONVI`` (the competent agency, QCVN 102),
``CACHTHUCTHUCHIEN[].{KENH, THOIGIAN[].{THOIGIANGIAIQUYET, DONVITINH,
PHILEPHI[].{MAPHILEPHI, SOTIEN, MOTA}}}``, ``THANHPHANHOSO[].GIAYTO[].{MAGIAYTO,
TENGIAYTO}`` (optional ``MATHANHPHAN``, ``BATBUOC``, ``PHAMVISOHOA`` — our
extensions), ``KETQUATHUCHIEN[].{MAKETQUA, TENKETQUA}`` and ``MUCDO`` (4 fully
online, 3 partly). Each TTHC becomes a new procedure version when it differs
from the current one (published, revised or unchanged: idempotent); a record
that does not fit is rejected with its reason and nothing of it is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.dvcqg.records import items, money, reason_of, refuse, text
from application.errors import ProcedureNotFoundError
from application.onestop import OneStop
from domain.deadline import TimeLimit, TimeUnit
from domain.errors import LabelledError
from domain.procedure import (
    Component,
    DigitizationScope,
    Fee,
    OnlineLevel,
    ProcedureDefinition,
    ResultDocument,
)
from domain.values import AgencyCode, Trace

_UNITS = {
    "ngày làm việc": TimeUnit.WORKING_DAYS,
    "ngày": TimeUnit.CALENDAR_DAYS,
    "ngày lịch": TimeUnit.CALENDAR_DAYS,
    "giờ làm việc": TimeUnit.WORKING_HOURS,
    "giờ": TimeUnit.WORKING_HOURS,
}
_LEVELS = {"4": OnlineLevel.FULL, "3": OnlineLevel.PARTIAL}
_YES = {"1", "true", "có"}


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    """(index in the file, code or "", reason)."""
    events: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": len(self.imported),
            "unchanged": len(self.unchanged),
            "rejected": [
                {"index": i, "code": c, "reason": r} for i, c, r in self.rejected
            ],
            "events": self.events,
        }


def _time_limit(record: dict[str, Any]) -> tuple[TimeLimit, tuple[Fee, ...]]:
    """The desk channel's time and fees (KENH 1), else the first channel's."""
    channels = items(record, "CACHTHUCTHUCHIEN")
    chosen = next((c for c in channels if str(c.get("KENH")) == "1"), None)
    chosen = chosen or (channels[0] if channels else None)
    if chosen is None:
        return TimeLimit(TimeUnit.NONE), ()
    times = items(chosen, "THOIGIAN")
    if not times:
        return TimeLimit(TimeUnit.NONE), ()
    first = times[0]
    unit_text = text(first, "DONVITINH").lower()
    unit = _UNITS.get(unit_text)
    if unit is None:
        raise refuse(
            "DONVITINH", f"không rõ đơn vị {unit_text!r}", f"unknown unit {unit_text!r}"
        )
    amount = money(first, "THOIGIANGIAIQUYET")
    limit = TimeLimit(unit, amount) if amount > 0 else TimeLimit(TimeUnit.NONE)
    fees = tuple(
        Fee(
            text(fee, "MAPHILEPHI"),
            text(fee, "MOTA", required=False) or text(fee, "MAPHILEPHI"),
            money(fee, "SOTIEN"),
        )
        for fee in items(first, "PHILEPHI")
    )
    return limit, fees


def _components(record: dict[str, Any]) -> tuple[Component, ...]:
    seen: dict[str, Component] = {}
    for group in items(record, "THANHPHANHOSO"):
        for paper in items(group, "GIAYTO"):
            type_code = text(paper, "MAGIAYTO")
            if any(c.document_type_code == type_code for c in seen.values()):
                continue  # the same paper listed under another case (TRUONGHOP)
            code = text(paper, "MATHANHPHAN", required=False) or f"TP{len(seen) + 1}"
            scope_text = text(paper, "PHAMVISOHOA", required=False) or "in_scope"
            try:
                scope = DigitizationScope(scope_text)
            except ValueError:
                raise refuse(
                    "PHAMVISOHOA",
                    f"không rõ phạm vi {scope_text!r}",
                    f"unknown scope {scope_text!r}",
                ) from None
            mandatory = (text(paper, "BATBUOC", required=False) or "1").lower() in _YES
            seen[code] = Component(
                code, text(paper, "TENGIAYTO"), type_code, scope, mandatory
            )
    return tuple(seen.values())


def definition(record: dict[str, Any]) -> ProcedureDefinition:
    """One TTHC of the export as a catalogue definition (or ``InvalidRecordError``)."""
    field_code = text(record, "MALINHVUC", required=False)
    if not field_code:
        fields = items(record, "LINHVUCTHUCHIEN")
        field_code = text(fields[0], "MALINHVUC") if fields else ""
    if not field_code:
        raise refuse("MALINHVUC", "bị thiếu", "is missing")
    agencies = items(record, "COQUANTHUCHIEN")
    if not agencies:
        raise refuse("COQUANTHUCHIEN", "bị thiếu", "is missing")
    limit, fees = _time_limit(record)
    return ProcedureDefinition(
        code=text(record, "MATTHC"),
        name=text(record, "TENTTHC"),
        field_code=field_code,
        competent_agency=AgencyCode(text(agencies[0], "MADONVI")),
        time_limit=limit,
        components=_components(record),
        results=tuple(
            ResultDocument(text(r, "MAKETQUA"), text(r, "TENKETQUA"))
            for r in items(record, "KETQUATHUCHIEN")
        ),
        fees=fees,
        online_level=_LEVELS.get(
            text(record, "MUCDO", required=False), OnlineLevel.NONE
        ),
    )


def import_procedures(app: OneStop, records: list[Any], trace: Trace) -> ImportReport:
    report = ImportReport()
    for index, record in enumerate(records):
        code = ""
        try:
            if not isinstance(record, dict):
                raise refuse(
                    f"result[{index}]", "phải là đối tượng", "must be an object"
                )
            code = str(record.get("MATTHC") or "")[:80]
            new = definition(record)
            try:
                current = app.get_procedure(new.code).definition
            except ProcedureNotFoundError:
                current = None
            if current == new:
                report.unchanged.append(new.code)
                continue
            if current is None:
                app.publish_procedure(trace=trace, definition=new)
            else:
                app.revise_procedure(trace=trace, definition=new)
            report.imported.append(new.code)
            report.events += 1
        except LabelledError as error:
            report.rejected.append((index, code, reason_of(error)))
    return report
