"""Kon Tum (H34) demo seed; QĐ 945/QĐ-UBND unavailable, so unit codes are invented."""

from __future__ import annotations

from adapters.demo.kontum_agencies import AGENCIES, DESK_UNITS, AgencySeed
from adapters.demo.kontum_procedures import PROCEDURES, procedures_for

__all__ = ["AGENCIES", "DESK_UNITS", "PROCEDURES", "AgencySeed", "procedures_for"]
