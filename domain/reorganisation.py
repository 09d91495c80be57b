# Storage contract: event classes below only gain fields; rename/move = register_topic.
"""A reorganisation plan (sắp xếp đơn vị hành chính) and the one rule that judges it.

A plan maps old units to new ones at one effective date under one legal act:
units established, renamed, re-parented, re-coded, merged, split or
dissolved, and procedures whose competence moves. ``review`` checks a plan
against the recorded world (units, procedures, open dossiers) and lists
*every* problem at once; a plan without problems yields the exact changes
``apply`` records: agency events, procedure versions, dossier transfers.
Nothing here does I/O; the same review serves ``plan`` (preview) and
``apply`` (record).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import bounds
from domain.dossier_values import Holder
from domain.errors import DomainError, InvalidValueError, LabelledError
from domain.procedure import validate_procedure_code
from domain.rules_in_force import rules_on
from domain.values import AgencyCode, AgencyLevel, LegalAct, Trace


class PlanRejectedError(DomainError):
    """A plan with problems: every one is listed, nothing is recorded."""

    code = "REORGANISATION_PLAN_REJECTED"
    vi = "Phương án sắp xếp không hợp lệ ({a0} lỗi): {a1}"
    en = "The reorganisation plan is invalid ({a0} problems): {a1}"
    max_shown = 4000

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(
            len(problems), _ProblemList(tuple(problems)), problems=problems
        )
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan, in both languages, with a stable kind."""

    kind: str
    vi: str
    en: str

    def label(self, language: str = "vi") -> str:
        return self.en if language.startswith("en") else self.vi


@dataclass(frozen=True)
class _ProblemList:
    problems: tuple[Problem, ...]

    def label(self, language: str = "vi") -> str:
        return "; ".join(p.label(language) for p in self.problems)

    def __str__(self) -> str:
        return self.label("en")


# -- the plan -------------------------------------------------------------------


@dataclass(frozen=True)
class NewUnit:
    code: str
    name: str
    level: AgencyLevel
    parent: str | None = None
    departments: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Merge:
    sources: tuple[str, ...]
    into: str


@dataclass(frozen=True)
class Split:
    source: str
    into: tuple[str, ...]
    procedures: Mapping[str, str] = field(default_factory=dict)
    """Procedure code → which successor takes it over."""


@dataclass(frozen=True)
class Dissolution:
    unit: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """One reorganisation: what changes, from when, on which legal basis."""

    effective_on: date
    legal_act: LegalAct
    title: str = ""
    establish: tuple[NewUnit, ...] = ()
    renames: Mapping[str, str] = field(default_factory=dict)
    reparents: Mapping[str, str] = field(default_factory=dict)
    code_changes: Mapping[str, str] = field(default_factory=dict)
    merges: tuple[Merge, ...] = ()
    splits: tuple[Split, ...] = ()
    dissolutions: tuple[Dissolution, ...] = ()
    procedures: Mapping[str, str] = field(default_factory=dict)
    """Procedure code → its new competent unit (competence moves)."""
    source: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def digest(self) -> str:
        """SHA-256 of the plan's canonical JSON: the same content, the same plan."""
        text = json.dumps(self.source, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def plan_id(self) -> UUID:
        return Reorganisation.create_id(self.digest)

    def endings(self) -> dict[str, tuple[str, tuple[str, ...], Mapping[str, str]]]:
        """Old unit → (how it ends, successors, per-procedure successors)."""
        found: dict[str, tuple[str, tuple[str, ...], Mapping[str, str]]] = {}
        for old, new in self.code_changes.items():
            found[old] = ("CodeChanged", (new,), {})
        for merge in self.merges:
            for source in merge.sources:
                found[source] = ("MergedInto", (merge.into,), {})
        for split in self.splits:
            found[split.source] = ("Split", split.into, split.procedures)
        for dissolution in self.dissolutions:
            found[dissolution.unit] = ("Dissolved", (), {})
        return found

    def sources(self) -> list[str]:
        """Every unit the plan ends, once per mention (overlaps show up twice)."""
        return [
            *self.code_changes,
            *(s for m in self.merges for s in m.sources),
            *(s.source for s in self.splits),
            *(d.unit for d in self.dissolutions),
        ]


# -- reading a plan file ------------------------------------------------------------


_LEVELS = {level.value: level for level in AgencyLevel}


def parse_plan(data: object) -> Plan:
    """A plan from its JSON form (see README, "Reorganisation"); every format
    problem is listed in one ``PlanRejectedError``."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise PlanRejectedError([_format("the plan", "an object")])

    def take(key: str, kind: type, default: Any) -> Any:
        value = data.get(key, default)
        if not isinstance(value, kind):
            problems.append(_format(key, kind.__name__))
            return default
        return value

    effective_on = _date(data.get("effective_on"), "effective_on", problems)
    act = take("legal_act", dict, {})
    legal_act = None
    act_date = _date(act.get("issued_on"), "legal_act.issued_on", problems)
    if act_date is not None:
        try:
            legal_act = LegalAct(act.get("number"), act_date)
        except LabelledError as error:
            problems.append(Problem("format", error.message("vi"), error.message("en")))
    title = take("title", str, "")
    known = {
        "effective_on",
        "legal_act",
        "title",
        "establish",
        "rename",
        "reparent",
        "change_code",
        "merge",
        "split",
        "dissolve",
        "procedures",
        "notes",
    }
    for key in sorted(set(data) - known):
        problems.append(
            Problem(
                "format",
                f"khóa không được hỗ trợ «{key}»",
                f"unknown key '{key}'",
            )
        )
    establish = []
    for i, item in enumerate(take("establish", list, [])):
        where = f"establish[{i}]"
        if not isinstance(item, dict):
            problems.append(_format(where, "object"))
            continue
        level = _LEVELS.get(item.get("level"))  # type: ignore[arg-type]
        if level is None:
            problems.append(_format(f"{where}.level", " | ".join(_LEVELS)))
            continue
        departments = item.get("departments", [])
        if not isinstance(departments, list) or not all(
            isinstance(d, list) and len(d) == 2 and all(isinstance(x, str) for x in d)
            for d in departments
        ):
            problems.append(_format(f"{where}.departments", "[[code, name], …]"))
            departments = []
        code = _code(item.get("code"), f"{where}.code", problems)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(_format(f"{where}.name", "text"))
            continue
        parent = item.get("parent")
        if parent is not None:
            parent = _code(parent, f"{where}.parent", problems)
        if code is not None:
            establish.append(
                NewUnit(
                    code,
                    name.strip(),
                    level,
                    parent,
                    tuple((d[0], d[1]) for d in departments),
                )
            )
    merges = []
    for i, item in enumerate(take("merge", list, [])):
        where = f"merge[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("from"), list):
            problems.append(_format(where, '{"from": [codes], "into": code}'))
            continue
        sources = [_code(s, f"{where}.from", problems) for s in item["from"]]
        into = _code(item.get("into"), f"{where}.into", problems)
        if into is not None and all(s is not None for s in sources):
            merges.append(Merge(tuple(s for s in sources if s), into))
    splits = []
    for i, item in enumerate(take("split", list, [])):
        where = f"split[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("into"), list):
            problems.append(_format(where, '{"from": code, "into": [codes]}'))
            continue
        source = _code(item.get("from"), f"{where}.from", problems)
        parts = [_code(s, f"{where}.into", problems) for s in item["into"]]
        per = _mapping(
            item.get("procedures", {}),
            f"{where}.procedures",
            problems,
            keys="procedure",
        )
        if source is not None and all(s is not None for s in parts):
            splits.append(Split(source, tuple(s for s in parts if s), per))
    dissolutions = []
    for i, item in enumerate(take("dissolve", list, [])):
        where = f"dissolve[{i}]"
        if not isinstance(item, dict):
            problems.append(_format(where, '{"unit": code, "reason": text}'))
            continue
        unit = _code(item.get("unit"), f"{where}.unit", problems)
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(_format(f"{where}.reason", "text"))
        elif unit is not None:
            dissolutions.append(Dissolution(unit, reason.strip()))
    renames = _mapping(take("rename", dict, {}), "rename", problems, values="text")
    reparents = _mapping(take("reparent", dict, {}), "reparent", problems)
    code_changes = _mapping(take("change_code", dict, {}), "change_code", problems)
    procedures = _mapping(
        take("procedures", dict, {}), "procedures", problems, keys="procedure"
    )
    if problems or effective_on is None or legal_act is None:
        raise PlanRejectedError(problems or [_format("legal_act", "object")])
    return Plan(
        effective_on=effective_on,
        legal_act=legal_act,
        title=title,
        establish=tuple(establish),
        renames=renames,
        reparents=reparents,
        code_changes=code_changes,
        merges=tuple(merges),
        splits=tuple(splits),
        dissolutions=tuple(dissolutions),
        procedures=procedures,
        source=data,
    )


def _format(where: str, expected: str) -> Problem:
    return Problem(
        "format", f"«{where}» phải là {expected}", f"'{where}' must be {expected}"
    )


def _date(value: object, where: str, problems: list[Problem]) -> date | None:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
        if day is not None:
            bounds.document_date(day, where)
            return day
    except (ValueError, InvalidValueError):
        pass
    problems.append(_format(where, "YYYY-MM-DD"))
    return None


def _code(value: object, where: str, problems: list[Problem]) -> str | None:
    try:
        if isinstance(value, str):
            return AgencyCode(value).value
    except LabelledError:
        pass
    problems.append(_format(where, "V1V2V3.Z1Z2.Y1Y2.MX1X2 (QCVN 102)"))
    return None


def _mapping(
    value: object,
    where: str,
    problems: list[Problem],
    *,
    keys: str = "unit",
    values: str = "unit",
) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(_format(where, "object"))
        return {}
    found: dict[str, str] = {}
    for key, target in value.items():
        if keys == "unit":
            checked_key = _code(key, f"{where} key", problems)
        else:
            checked_key = _procedure(key, f"{where} key", problems)
        if values == "unit":
            checked = _code(target, f"{where}[{key}]", problems)
        elif isinstance(target, str) and target.strip():
            checked = target.strip()
        else:
            problems.append(_format(f"{where}[{key}]", "text"))
            checked = None
        if checked_key is not None and checked is not None:
            found[checked_key] = checked
    return found


def _procedure(value: object, where: str, problems: list[Problem]) -> str | None:
    try:
        return validate_procedure_code(value)
    except LabelledError:
        problems.append(_format(where, "d.dddddd"))
        return None


# -- the world a plan is judged against ----------------------------------------------


@dataclass(frozen=True)
class UnitFacts:
    code: str
    level: AgencyLevel
    ended: bool
    last_day: date | None
    departments: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProcedureFacts:
    code: str
    competent: str


@dataclass(frozen=True)
class DossierFacts:
    dossier_id: UUID
    code: str | None
    procedure_code: str
    competent: str
    holder: Holder
    open: bool
    last_day: date | None = None
    """Business day of its latest event (in-flight dossiers only)."""


@dataclass(frozen=True)
class World:
    units: Mapping[str, UnitFacts]
    procedures: Mapping[str, ProcedureFacts]
    dossiers: Sequence[DossierFacts]


# -- the review -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProcedureMove:
    code: str
    from_unit: str
    to_unit: str


@dataclass(frozen=True)
class Transfer:
    dossier_id: UUID
    code: str | None
    procedure_code: str
    from_unit: str
    to_unit: str
    from_holder: Holder
    to_holder: Holder


@dataclass(frozen=True)
class Review:
    """What applying a plan records, with the counts a preview shows."""

    plan: Plan
    endings: Mapping[str, tuple[str, tuple[str, ...], Mapping[str, str]]]
    procedure_moves: tuple[ProcedureMove, ...]
    transfers: tuple[Transfer, ...]

    @property
    def counts(self) -> dict[str, int]:
        kinds = [kind for kind, _, _ in self.endings.values()]
        return {
            "established": len(self.plan.establish),
            "renamed": len(self.plan.renames),
            "reparented": len(self.plan.reparents),
            "codeChanged": kinds.count("CodeChanged"),
            "merged": kinds.count("MergedInto"),
            "split": kinds.count("Split"),
            "dissolved": kinds.count("Dissolved"),
            "proceduresMoved": len(self.procedure_moves),
            "dossiersTransferred": len(self.transfers),
        }


class _Cycle(Exception):
    pass


def review(plan: Plan, world: World) -> Review:
    """The changes ``plan`` makes to ``world``; ``PlanRejectedError`` listing
    every problem (unknown units, overlaps, cycles, dates, orphans) otherwise."""
    problems: list[Problem] = []
    new = {u.code: u for u in plan.establish}
    endings = plan.endings()

    def exists(code: str) -> bool:
        return code in new or code in world.units

    # established units: new codes, parents that will exist
    seen_new: set[str] = set()
    for unit in plan.establish:
        if unit.code in world.units or unit.code in seen_new:
            problems.append(
                Problem(
                    "duplicate",
                    f"đơn vị {unit.code} đã tồn tại",
                    f"unit {unit.code} already exists",
                )
            )
        seen_new.add(unit.code)
        if unit.parent is not None and not exists(unit.parent):
            problems.append(_unknown(unit.parent, f"parent of {unit.code}"))
    rules = rules_on(plan.effective_on)
    for unit in plan.establish:
        if unit.level not in rules.receiving_levels:
            problems.append(
                Problem(
                    "rules",
                    f"{unit.code}: không còn cấp {unit.level.value} theo {rules.name}",
                    f"{unit.code}: no {unit.level.value} level under {rules.name}",
                )
            )
    # every unit the plan changes must be known, alive and not changed twice
    mentioned = plan.sources()
    for code in dict.fromkeys(
        [*mentioned, *plan.renames, *plan.reparents]
    ):  # keep order, once
        if not exists(code):
            problems.append(_unknown(code, "changed by the plan"))
            continue
        facts = world.units.get(code)
        if facts is not None and facts.ended:
            problems.append(
                Problem(
                    "ended",
                    f"đơn vị {code} đã chấm dứt hoạt động",
                    f"unit {code} has already ceased to exist",
                )
            )
        if facts is not None and facts.last_day and plan.effective_on < facts.last_day:
            problems.append(
                Problem(
                    "effective_date",
                    f"ngày hiệu lực {plan.effective_on} trước sự kiện ngày"
                    f" {facts.last_day} của {code}",
                    f"effective date {plan.effective_on} is before the change of"
                    f" {facts.last_day} recorded for {code}",
                )
            )
    for code in sorted({c for c in mentioned if mentioned.count(c) > 1}):
        problems.append(
            Problem(
                "overlap",
                f"đơn vị {code} được sắp xếp nhiều lần (trùng đơn vị kế thừa)",
                f"unit {code} is mapped more than once (overlapping successors)",
            )
        )
    targets: list[tuple[str, str]] = [
        *((m.into, "merge target") for m in plan.merges),
        *((t, "split target") for s in plan.splits for t in s.into),
        *((t, "new code") for t in plan.code_changes.values()),
        *((t, "new parent") for t in plan.reparents.values()),
        *((t, "procedure competence") for t in plan.procedures.values()),
    ]
    for target, role in targets:
        if not exists(target):
            problems.append(_unknown(target, role))
        elif (f := world.units.get(target)) is not None and f.ended:
            problems.append(
                Problem(
                    "ended",
                    f"đơn vị kế thừa {target} đã chấm dứt hoạt động",
                    f"successor {target} has already ceased to exist",
                )
            )
    for merge in plan.merges:
        if merge.into in merge.sources:
            problems.append(_cycle(merge.into))
    for split in plan.splits:
        if len(set(split.into)) != len(split.into) or not split.into:
            problems.append(
                Problem(
                    "overlap",
                    f"{split.source}: danh sách đơn vị kế thừa trống hoặc trùng",
                    f"{split.source}: successors empty or repeated",
                )
            )
        for procedure, assigned in split.procedures.items():
            if assigned not in split.into:
                problems.append(
                    Problem(
                        "overlap",
                        f"{split.source}: thủ tục {procedure} giao cho {assigned}"
                        " không thuộc các đơn vị kế thừa",
                        f"{split.source}: procedure {procedure} goes to {assigned},"
                        " not one of its successors",
                    )
                )
    for procedure in plan.procedures:
        if procedure not in world.procedures:
            problems.append(
                Problem(
                    "unknown",
                    f"không có thủ tục {procedure}",
                    f"unknown procedure {procedure}",
                )
            )

    def successor(unit: str, procedure: str, seen: tuple[str, ...] = ()) -> str | None:
        if unit in seen:
            raise _Cycle(" → ".join((*seen, unit)))
        end = endings.get(unit)
        if end is None:
            return unit if exists(unit) else None
        _, successors, per_procedure = end
        target = per_procedure.get(procedure) or (
            successors[0] if len(successors) == 1 else None
        )
        if target is None:
            return None
        return successor(target, procedure, (*seen, unit))

    cycles: set[str] = set()

    def departments(code: str) -> frozenset[str]:
        if code in new:
            return frozenset(d for d, _ in new[code].departments)
        facts = world.units.get(code)
        return facts.departments if facts is not None else frozenset()

    def competent_after(procedure: str, unit: str) -> str | _Cycle | None:
        try:
            moved = plan.procedures.get(procedure)
            if moved is not None:
                return successor(moved, procedure)
            return successor(unit, procedure)
        except _Cycle as cycle:
            cycles.add(str(cycle))
            return cycle

    moves = []
    for code, entry in sorted(world.procedures.items()):
        if code not in plan.procedures and entry.competent not in endings:
            continue
        after = competent_after(code, entry.competent)
        if isinstance(after, _Cycle):
            continue
        if after is None:
            problems.append(
                Problem(
                    "orphan",
                    f"thủ tục {code} của {entry.competent} không còn"
                    " đơn vị có thẩm quyền",
                    f"procedure {code} of {entry.competent} would have"
                    " no competent unit",
                )
            )
        elif after != entry.competent:
            moves.append(ProcedureMove(code, entry.competent, after))
    transfers = []
    for dossier in world.dossiers:
        if not dossier.open:
            continue
        holder_unit = dossier.holder.agency_code
        if dossier.competent not in endings and holder_unit not in endings:
            continue
        if dossier.last_day is not None and dossier.last_day >= plan.effective_on:
            problems.append(
                Problem(
                    "effective_date",
                    f"hồ sơ {dossier.code or dossier.dossier_id} đã được xử lý ngày"
                    f" {dossier.last_day}, không trước ngày hiệu lực"
                    f" {plan.effective_on}",
                    f"dossier {dossier.code or dossier.dossier_id} was handled on"
                    f" {dossier.last_day}, not before the effective date"
                    f" {plan.effective_on}",
                )
            )
        after = competent_after(dossier.procedure_code, dossier.competent)
        if isinstance(after, _Cycle):
            continue
        if after is None:
            problems.append(
                Problem(
                    "orphan",
                    f"hồ sơ {dossier.code or dossier.dossier_id} của"
                    f" {dossier.competent} không có đơn vị kế thừa",
                    f"dossier {dossier.code or dossier.dossier_id} of"
                    f" {dossier.competent} would be orphaned",
                )
            )
            continue
        holder = dossier.holder
        if holder_unit in endings:
            try:
                moved_holder = successor(holder_unit, dossier.procedure_code)
            except _Cycle as cycle:
                cycles.add(str(cycle))
                moved_holder = None
            target = moved_holder or after
            # The department goes along when the successor has one of that code.
            kept = holder.department in departments(target)
            holder = Holder(target, holder.department if kept else None)
        transfers.append(
            Transfer(
                dossier.dossier_id,
                dossier.code,
                dossier.procedure_code,
                dossier.competent,
                after,
                dossier.holder,
                holder,
            )
        )
    problems.extend(_cycle(c) for c in sorted(cycles))
    if problems:
        raise PlanRejectedError(problems)
    return Review(plan, endings, tuple(moves), tuple(transfers))


def _unknown(code: str, role: str) -> Problem:
    return Problem(
        "unknown",
        f"không có đơn vị {code} ({role})",
        f"unknown unit {code} ({role})",
    )


def _cycle(path: str) -> Problem:
    return Problem(
        "cycle",
        f"vòng lặp đơn vị kế thừa: {path}",
        f"successor cycle: {path}",
    )


# -- the record of an applied plan ----------------------------------------------------


class Reorganisation(Aggregate):
    """A plan that was applied; its id comes from the plan's content, so the
    same plan is recorded once."""

    class Applied(Aggregate.Created):
        trace: Trace
        digest: str
        title: str
        effective_on: date
        legal_act: LegalAct
        counts: dict[str, int]

        def apply(self, aggregate: Reorganisation) -> None:
            aggregate.digest = self.digest
            aggregate.effective_on = self.effective_on
            aggregate.legal_act = self.legal_act
            aggregate.counts = dict(self.counts)

    digest: str
    effective_on: date
    legal_act: LegalAct
    counts: dict[str, int]

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @staticmethod
    def create_id(digest: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/reorganisations/{digest}")

    @classmethod
    def record(cls, *, trace: Trace, review: Review) -> Reorganisation:
        plan = review.plan
        return cls._create(
            cls.Applied,
            id=plan.plan_id,
            trace=trace,
            digest=plan.digest,
            title=bounds.text(plan.title, "title", bounds.NAME_LENGTH),
            effective_on=plan.effective_on,
            legal_act=plan.legal_act,
            counts=review.counts,
        )
