# Storage contract: event classes below only gain fields; rename/move = register_topic.
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import bounds
from domain.deadline import TimeLimit
from domain.errors import (
    Bilingual,
    InvalidProcedureError,
    MissingDataError,
    field_name,
)
from domain.named_ids import url_id
from domain.values import AgencyCode, Trace, validate_field_code

#: Catalogue names are official titles, some of them long.
_CATALOGUE_NAME = 1000

# National TTHC code ``d.dddddd``, or its local variant ``d.dddddd.<agency code>``
# (R-08, e.g. ``1.003560.000.00.00.H56``).
_CODE_FORM = Bilingual(
    "mã thủ tục dạng d.dddddd[.<mã cơ quan>]", "code: d.dddddd[.<agency code>]"
)
_PROCEDURE_CODE = re.compile(r"([0-9]\.[0-9]{6})(?:\.(.+))?", re.ASCII)


def validate_procedure_code(code: object) -> str:
    """A national TTHC code or its local variant with a valid QCVN 102 agency code."""
    if not isinstance(code, str) or len(code) > 32:
        raise InvalidProcedureError(_CODE_FORM)
    match = _PROCEDURE_CODE.fullmatch(code)
    if match is None:
        raise InvalidProcedureError(_CODE_FORM)
    if match.group(2) is not None:
        AgencyCode(match.group(2))
    return code


def local_publisher(code: str) -> AgencyCode | None:
    """The agency of a local variant ``d.dddddd.<agency code>``; None for a national code."""
    match = _PROCEDURE_CODE.fullmatch(code)
    if match is None or match.group(2) is None:
        return None
    return AgencyCode(match.group(2))


class OnlineLevel(Enum):
    """Decree 42/2022: toàn trình (fully online), một phần (partly), or none."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class DigitizationScope(Enum):
    """TT 01/2023: what happens to a component at reception."""

    IN_SCOPE = "in_scope"
    SHARED_DATA = "shared_data"
    PHOTOCOPY = "photocopy"
    SHOWN_ONLY = "shown_only"
    CLASSIFIED = "classified"

    def label(self, language: str = "vi") -> str:
        vi, en = _SCOPE_LABELS[self.value]
        return en if language.startswith("en") else vi


_SCOPE_LABELS = {
    "in_scope": ("thuộc phạm vi số hóa", "in scope"),
    "shared_data": ("đã chia sẻ dưới dạng dữ liệu", "shared as data"),
    "photocopy": ("bản sao", "photocopy"),
    "shown_only": ("chỉ xuất trình", "shown only"),
    "classified": ("tài liệu mật", "classified"),
}


@dataclass(frozen=True)
class Component:
    """A dossier component (thành phần hồ sơ) the procedure asks for."""

    code: str
    name: str
    document_type_code: str
    scope: DigitizationScope = DigitizationScope.IN_SCOPE
    mandatory: bool = True

    def __post_init__(self) -> None:
        bounds.code(self.code, "components.code")
        bounds.code(self.document_type_code, "components.documentTypeCode")
        bounds.text(self.name, "components.name", _CATALOGUE_NAME, required=True)


@dataclass(frozen=True)
class ResultDocument:
    result_code: str
    name: str

    def __post_init__(self) -> None:
        bounds.code(self.result_code, "results.resultCode")
        bounds.text(self.name, "results.name", _CATALOGUE_NAME, required=True)


@dataclass(frozen=True)
class Fee:
    """One fee line in integer VND (0 in a catalogue entry means free of charge)."""

    code: str
    name: str
    amount: Decimal

    def __post_init__(self) -> None:
        bounds.code(self.code, "fees.code")
        name = bounds.text(self.name, "fees.name", bounds.NAME_LENGTH, required=True)
        object.__setattr__(self, "name", name)
        amount: object = self.amount
        free = (type(amount) is int and amount == 0) or (
            isinstance(amount, Decimal) and amount.is_zero()
        )
        # 0 means free of charge in a catalogue entry.
        value = 0 if free else bounds.money(amount, "fees.amount")
        object.__setattr__(self, "amount", Decimal(value))


@dataclass(frozen=True)
class ProcedureDefinition:
    """One version of a TTHC catalogue entry."""

    code: str
    name: str
    field_code: str
    competent_agency: AgencyCode
    time_limit: TimeLimit
    components: tuple[Component, ...]
    results: tuple[ResultDocument, ...]
    fees: tuple[Fee, ...] = ()
    online_level: OnlineLevel = OnlineLevel.NONE

    def __post_init__(self) -> None:
        validate_procedure_code(self.code)
        if not self.name.strip():
            raise MissingDataError(field_name("procedure name"))
        bounds.text(self.name, "procedure.name", _CATALOGUE_NAME, required=True)
        bounds.bounded(self.components, "components", bounds.MAX_COMPONENTS)
        bounds.bounded(self.results, "results", bounds.MAX_RESULTS)
        bounds.bounded(self.fees, "fees", bounds.MAX_FEES)
        validate_field_code(self.field_code)
        local = _PROCEDURE_CODE.fullmatch(self.code)
        if local is not None and local.group(2) is not None:
            publisher = AgencyCode(local.group(2))
            if publisher.level1 != self.competent_agency.level1:
                raise InvalidProcedureError(
                    Bilingual(
                        f"{self.code}: đơn vị ban hành ngoài tỉnh"
                        f" {self.competent_agency.level1}",
                        f"{self.code}: publisher outside"
                        f" {self.competent_agency.level1}",
                    )
                )
        codes = [c.code for c in self.components]
        if len(set(codes)) != len(codes):
            raise InvalidProcedureError(
                Bilingual("mã thành phần bị trùng", "duplicate component codes")
            )
        if any(f.amount < 0 for f in self.fees):
            raise InvalidProcedureError(Bilingual("phí âm", "negative fee"))

    def component(self, code: str) -> Component | None:
        return next((c for c in self.components if c.code == code), None)

    @property
    def has_fees(self) -> bool:
        return any(f.amount > 0 for f in self.fees)


class Procedure(Aggregate):
    """An administrative procedure (TTHC); every revision is a new version."""

    class Published(Aggregate.Created):
        trace: Trace
        definition: ProcedureDefinition

        def apply(self, aggregate: Procedure) -> None:
            aggregate.definition = self.definition

    class Revised(Aggregate.Event):
        trace: Trace
        definition: ProcedureDefinition

        def apply(self, aggregate: Procedure) -> None:
            aggregate.definition = self.definition

    definition: ProcedureDefinition

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return url_id(f"/procedures/{code}")

    @classmethod
    def publish(cls, *, trace: Trace, definition: ProcedureDefinition) -> Procedure:
        return cls._create(
            cls.Published,
            id=cls.create_id(definition.code),
            trace=trace,
            definition=definition,
        )

    def revise(self, *, trace: Trace, definition: ProcedureDefinition) -> None:
        if definition.code != self.definition.code:
            raise InvalidProcedureError(
                Bilingual(
                    "không được đổi mã thủ tục", "the code of a procedure cannot change"
                )
            )
        if definition != self.definition:
            self.trigger_event(self.Revised, trace=trace, definition=definition)
