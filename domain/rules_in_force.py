"""Which one-stop rulebook was in force on a day, so history is judged by its own rules.

Decree 61/2018/NĐ-CP (with Decree 107/2021) governed one-stop handling until
30/06/2025; Decree 118/2025/NĐ-CP (09/06/2025, in force 01/07/2025, amended by
Decree 367/2025/NĐ-CP) replaced both. A command is judged by ``rules_on`` the
business day it happens (``Trace.at``), never by today's rules, so a dossier
received by a district desk in 2024 stays valid history while the same
reception in 2026 is refused.

Tags: [V] verified in a retrieved text or an official/news page quoting it
(source in the README's "Reorganisation" section), [U] unverified — a sensible
default a province may change (``MOTCUA_*`` settings or this table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.values import AgencyLevel


@dataclass(frozen=True)
class RuleSet:
    """The rules of one period that the system enforces or records."""

    name: str
    in_force_from: date
    legal_basis: tuple[str, ...]
    receiving_levels: frozenset[AgencyLevel]
    """Levels whose units run one-stop desks and receive or handle dossiers."""
    reception_regardless_of_boundary: bool
    """Any desk (centre) of the province receives any procedure of the province."""
    forms_and_codes: str
    """Which circular sets the forms and the dossier-code form (recorded only)."""


DECREE_61_2018 = RuleSet(
    name="NĐ 61/2018/NĐ-CP (sửa đổi bởi NĐ 107/2021/NĐ-CP)",
    # [V] Decree 61/2018 dated 23/04/2018, in force 21/06/2018 (domain.md S26).
    in_force_from=date(2018, 6, 21),
    legal_basis=("61/2018/NĐ-CP", "107/2021/NĐ-CP", "01/2018/TT-VPCP"),
    # [V] one-stop desks at provincial, district and commune level (domain.md §3).
    receiving_levels=frozenset(AgencyLevel),
    # [U] Decree 61 limited cross-boundary reception to listed procedures
    # (Kon Tum pilot QĐ 95/QĐ-UBND 2022); the system has always let any desk of
    # the province receive, which stays the default for the old period.
    reception_regardless_of_boundary=True,
    # [V] TT 01/2018 Art. 19 dossier code <agency>-<YYMMDD>-<NNNN>.
    forms_and_codes="TT 01/2018/TT-VPCP",
)

DECREE_118_2025 = RuleSet(
    name="NĐ 118/2025/NĐ-CP",
    # [V] dated 09/06/2025, in force 01/07/2025 (hethongphapluat.vn; baohatinh.vn).
    in_force_from=date(2025, 7, 1),
    legal_basis=("118/2025/NĐ-CP", "03/2025/TT-VPCP"),
    # [V] Trung tâm Phục vụ hành chính công cấp tỉnh và cấp xã from 01/07/2025;
    # [V] the district level no longer exists (two-tier local government,
    # Law 72/2025/QH15, Resolution 202/2025/QH15).
    receiving_levels=frozenset(
        {AgencyLevel.PROVINCE, AgencyLevel.DEPARTMENT, AgencyLevel.COMMUNE}
    ),
    # [V] "không phụ thuộc vào địa giới hành chính": any one-stop desk of the
    # province, regardless of level or residence (Decree 118/2025, quoted by
    # baohatinh.vn 2026-03-10; news.laodong.vn).
    reception_regardless_of_boundary=True,
    # [V] TT 03/2025/TT-VPCP dated 15/09/2025 guides Decree 118 (cited by Thanh
    # Hóa QĐ 128/2025/QĐ-UBND); [U] that it changes the dossier-code form: the
    # TT 01/2018 form is kept until the circular's text is verified.
    forms_and_codes="TT 03/2025/TT-VPCP",
)

RULES: tuple[RuleSet, ...] = (DECREE_61_2018, DECREE_118_2025)
"""Every rule set, oldest first. Decree 367/2025/NĐ-CP (31/12/2025) amends
Decree 118 [V]; its changes are not verified here [U] and add no row yet."""


def rules_on(day: date, table: tuple[RuleSet, ...] = RULES) -> RuleSet:
    """The rule set in force on ``day`` (the oldest one before any began)."""
    current = table[0]
    for rules in table:
        if rules.in_force_from <= day:
            current = rules
    return current
