"""``motcua import dvcqg FILE.json``: legacy dossiers in DVCQG sync format → events.

Each record is a ``HoSo`` of ``DongBoHoSoMC`` (domain.md §7.2) exported by the
province's previous system. It becomes a dossier whose events replay what the
record says happened, at the times it gives (trace ``at`` = the legacy time,
actor ``import`` of the receiving or processing unit):

* ``ReceivedAtDesk`` at ``NgayTiepNhan`` with the legacy ``MaHoSo`` (claimed like
  any code, so no new dossier can take it) and ``NgayHenTra`` as due time;
* then by ``TrangThaiHoSo``: 3 ``Refused``; 4–6, 9, 10 ``Forwarded`` to
  ``DonViXuLy``; 5 + ``SupplementRequested`` (the last ``DanhSachHoSoBoSung``);
  6 + ``FinancialObligationRequested`` (``DanhSachLePhi``); 7 ``Withdrawn``; 8
  ``Stopped``; 9 ``Resolved`` (``DanhSachGiayToKetQua``, early/on-time/late
  from ``NgayKetThucXuLy`` against ``NgayHenTra``); 10 also ``Returned``
  (``HinhThuc`` 1 = post) at ``NgayTra``.

The dossier id derives from the code, so a re-run finds what it imported and
writes nothing (``unchanged``). Records are saved ``batch`` at a time — many
events per transaction; a record that does not fit (unknown procedure,
malformed date, code of another unit, status 1…) is rejected with its reason
and nothing of it is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import IntegrityError

from adapters.dvcqg import records as r
from adapters.dvcqg.catalogue_import import ImportReport
from application.clock import trace_for
from application.onestop import OneStop
from domain import bounds
from domain import dossier_events as events
from domain.deadline import classify
from domain.dossier import Dossier
from domain.dossier_code import DossierCode, is_dossier_code
from domain.dossier_values import (
    Applicant,
    ApplicantKind,
    AppliedProcedure,
    Channel,
    ComponentState,
    ForwardKind,
    Holder,
    IssuedResult,
    ReturnMethod,
)
from domain.errors import LabelledError
from domain.procedure import Fee
from domain.values import Actor, AgencyCode, Role

_CHANNELS = {"1": Channel.DESK, "2": Channel.ONLINE, "3": Channel.POST}
_IDENTITY = {
    "1": ApplicantKind.CITIZEN,
    "2": ApplicantKind.IDENTITY_CARD,
    "3": ApplicantKind.PASSPORT,
    "4": ApplicantKind.ENTERPRISE,
    "5": ApplicantKind.ORGANISATION,
}
_SUBJECT = {
    "2": ApplicantKind.ENTERPRISE,
    "3": ApplicantKind.ORGANISATION,
    "4": ApplicantKind.ORGANISATION,
}
IMPORTED = "Nhập từ hệ thống cũ (DVCQG)"


def dossier_id_of(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"/legacy-dossiers/{code}")


def _applicant(record: dict[str, Any]) -> Applicant:
    number = r.text(record, "SoGiayToChuHoSo")
    ids = r.items(record, "DinhDanhCHS")
    kind_code = r.text(ids[0], "LoaiDinhDanh", required=False) if ids else ""
    kind = _IDENTITY.get(kind_code) or _SUBJECT.get(
        r.text(record, "LoaiDoiTuong", required=False)
    )
    if kind is None:
        kind = (
            ApplicantKind.IDENTITY_CARD if len(number) == 9 else ApplicantKind.CITIZEN
        )
    return Applicant(number, r.text(record, "ChuHoSo"), kind)


def _status(record: dict[str, Any]) -> int:
    raw = r.text(record, "TrangThaiHoSo")
    if not raw.isdigit() or not 2 <= int(raw) <= 10:
        raise r.refuse(
            "TrangThaiHoSo",
            f"{raw!r}: chỉ nhập hồ sơ đã tiếp nhận (2–10)",
            f"{raw!r}: only received dossiers (2–10) are imported",
        )
    return int(raw)


def _at(record: dict[str, Any], name: str, fallback: datetime) -> datetime:
    return r.date(record, name, required=False) or fallback


def _legacy_digest(reference: str) -> str:
    # No file comes with a legacy result: its digest stands for the reference.
    return hashlib.sha256(f"legacy:{reference}".encode()).hexdigest()


@dataclass
class _Pending:
    index: int
    code: str
    record: dict[str, Any]
    aggregates: list[Any]


@dataclass
class LegacyImport:
    app: OneStop
    batch: int = 200
    report: ImportReport = field(default_factory=ImportReport)
    _pending: list[_Pending] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _procedures: dict[str, Any] = field(default_factory=dict)
    _calendars: dict[str, Any] = field(default_factory=dict)
    _units: dict[str, bool] = field(default_factory=dict)

    def run(self, records: list[Any]) -> ImportReport:
        for index, record in enumerate(records):
            self._take(index, record, check_claim=False)
            if len(self._pending) >= self.batch:
                self.flush()
        self.flush()
        return self.report

    def _take(self, index: int, record: Any, *, check_claim: bool) -> None:
        code = ""
        try:
            if not isinstance(record, dict):
                raise r.refuse(
                    f"data[{index}]", "phải là đối tượng", "must be an object"
                )
            code = str(record.get("MaHoSo") or "")[:80]
            built = self.build(record, check_claim=check_claim)
        except LabelledError as error:
            self.report.rejected.append((index, code, r.reason_of(error)))
            return
        if built is None:
            self.report.unchanged.append(code)
            return
        self._pending.append(_Pending(index, code, record, built))

    def flush(self) -> None:
        """Save the batch in one transaction. Claims are not read one by one
        first: when one of them exists (a re-run, a code in use) the batch is
        refused as a whole and rebuilt checking each claim."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        try:
            recordings = self.app.save(*(a for p in batch for a in p.aggregates))
        except IntegrityError:
            for pending in batch:
                self._seen.discard(pending.code)
            for pending in batch:
                self._take(pending.index, pending.record, check_claim=True)
            batch, self._pending = self._pending, []
            if not batch:
                return
            recordings = self.app.save(*(a for p in batch for a in p.aggregates))
        self.report.events += len(recordings)
        self.report.imported.extend(p.code for p in batch)

    def _procedure(self, code: str) -> Any:
        if code not in self._procedures:
            self._procedures[code] = self.app.published_procedure(code)
        return self._procedures[code]

    def _calendar(self, province: str) -> Any:
        if province not in self._calendars:
            self._calendars[province] = self.app.working_calendar(province)
        return self._calendars[province]

    def _registered(self, unit: str) -> bool:
        if unit not in self._units:
            self._units[unit] = self.app.departments_of(unit) is not None
        return self._units[unit]

    def build(
        self, record: dict[str, Any], *, check_claim: bool = True
    ) -> list[Any] | None:
        """The dossier and its code claim, or None when already imported."""
        code = r.text(record, "MaHoSo")
        if not is_dossier_code(code):
            raise r.refuse(
                "MaHoSo",
                f"{code!r} không phải mã hồ sơ",
                f"{code!r} is not a dossier code",
            )
        dossier_id = dossier_id_of(code)
        if code in self._seen:
            raise r.refuse(
                "MaHoSo", f"{code} lặp lại trong tệp", f"{code} repeated in the file"
            )
        claim = DossierCode.create_id(code)
        if check_claim and claim in self.app.repository:
            owner: Any = self.app.repository.get(claim)
            if owner.dossier_id == dossier_id:
                return None
            raise r.refuse(
                "MaHoSo", f"{code} đã được dùng", f"{code} is already in use"
            )
        self._seen.add(code)
        procedure = self._procedure(r.text(record, "MaTTHC"))
        definition = procedure.definition
        calendar = self._calendar(definition.competent_agency.level1)
        receiving = AgencyCode(code.rsplit("-", 2)[0])
        if not self._registered(receiving.value):
            raise r.refuse(
                "MaHoSo",
                f"đơn vị {receiving.value} chưa đăng ký",
                f"unit {receiving.value} is not registered",
            )
        if receiving.level1 != definition.competent_agency.level1:
            raise r.refuse(
                "MaHoSo",
                "đơn vị tiếp nhận ở tỉnh khác",
                "receiving unit in another province",
            )
        received_at = r.date(record, "NgayTiepNhan")
        assert received_at is not None
        bounds.instant(received_at, "NgayTiepNhan")
        due_at = r.date(record, "NgayHenTra", required=False)
        channel = _CHANNELS.get(r.text(record, "KenhThucHien", required=False) or "1")
        if channel is None:
            raise r.refuse("KenhThucHien", "phải là 1, 2 hoặc 3", "must be 1, 2 or 3")
        status = _status(record)
        desk = Actor("import", Role.DESK, receiving.value)
        correlation = uuid5(dossier_id, "import")
        dossier: Any = Dossier._create(
            events.ReceivedAtDesk,
            id=dossier_id,
            trace=trace_for(desk, at=received_at, correlation_id=correlation),
            applicant=_applicant(record),
            procedure_id=procedure.id,
            procedure=AppliedProcedure.of(definition),
            procedure_version=procedure.version,
            calendar_version=calendar.version,
            channel=channel,
            components={
                c.code: ComponentState.from_component(c) for c in definition.components
            },
            summary=bounds.text(
                r.text(record, "TrichYeuHoSo", required=False),
                "TrichYeuHoSo",
                bounds.SUMMARY_LENGTH,
                multiline=True,
            ),
            code=code,
            receiving_agency=receiving.value,
            due_at=due_at,
        )
        processing = AgencyCode(
            r.text(record, "DonViXuLy", required=False)
            or definition.competent_agency.value
        )
        officer = Actor("import", Role.SPECIALIST, processing.value)

        def record_event(
            cls: type[events.DossierEvent], actor: Actor, at: datetime, **fields: Any
        ) -> None:
            dossier.trigger_event(
                cls,
                trace=trace_for(
                    actor, at=bounds.instant(at, "at"), correlation_id=correlation
                ),
                procedure_version=procedure.version,
                calendar_version=calendar.version,
                **fields,
            )

        note = bounds.text(
            r.text(record, "GhiChu", required=False) or IMPORTED,
            "GhiChu",
            bounds.REASON_LENGTH,
            multiline=True,
        )
        finished = _at(record, "NgayKetThucXuLy", received_at)
        if status == 3:
            record_event(
                events.Refused,
                desk,
                _at(record, "NgayTuChoi", received_at),
                reason=note,
            )
            return [dossier, DossierCode.issue(code=code, dossier_id=dossier_id)]
        if status == 7:
            record_event(events.Withdrawn, desk, finished, reason=note)
        elif status == 8:
            record_event(events.Stopped, officer, finished, reason=note)
        elif status != 2:
            kind = (
                ForwardKind.DEPARTMENT
                if processing == receiving
                else ForwardKind.AGENCY
            )
            record_event(
                events.Forwarded,
                desk,
                received_at,
                from_holder=Holder(receiving.value),
                to_holder=Holder(processing.value),
                kind=kind,
                note=IMPORTED,
            )
        if status == 5:
            supplements = r.items(record, "DanhSachHoSoBoSung")
            last = supplements[-1] if supplements else {}
            record_event(
                events.SupplementRequested,
                officer,
                _at(last, "NgayBoSung", received_at),
                items=(),
                reason=bounds.text(
                    r.text(last, "NoiDungBoSung", required=False) or IMPORTED,
                    "NoiDungBoSung",
                    bounds.REASON_LENGTH,
                    multiline=True,
                ),
            )
        elif status == 6:
            fees = tuple(
                Fee(
                    r.text(f, "MaPhiLePhi"),
                    r.text(f, "TenPhiLePhi"),
                    r.money(f, "Gia"),
                )
                for f in r.items(record, "DanhSachLePhi")
            )
            record_event(
                events.FinancialObligationRequested,
                officer,
                received_at,
                fees=fees,
                reason=IMPORTED,
            )
        elif status in (9, 10):
            results = tuple(
                IssuedResult(
                    r.text(g, "MaGiayToKetQua"),
                    uuid5(
                        dossier_id,
                        r.text(g, "GiayToId", required=False)
                        or r.text(g, "MaGiayToKetQua"),
                    ),
                    _legacy_digest(
                        r.text(g, "DuongDanTepTinKetQua", required=False) or code
                    ),
                    bounds.text(
                        r.text(g, "TenGiayTo", required=False),
                        "TenGiayTo",
                        bounds.SHORT_TEXT_LENGTH,
                    ),
                )
                for g in r.items(record, "DanhSachGiayToKetQua")
            )
            requests = len(r.items(record, "DanhSachHoSoBoSung"))
            timeliness = classify(finished, due_at, requests, calendar.calendar)
            record_event(
                events.Resolved,
                officer,
                finished,
                results=results,
                decision=IMPORTED,
                timeliness=timeliness,
            )
            if status == 10:
                method = (
                    ReturnMethod.POST
                    if r.text(record, "HinhThuc", required=False) == "1"
                    else ReturnMethod.DESK
                )
                record_event(
                    events.Returned,
                    desk,
                    _at(record, "NgayTra", finished),
                    method=method,
                )
        return [dossier, DossierCode.issue(code=code, dossier_id=dossier_id)]
