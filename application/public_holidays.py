"""Vietnamese public holidays and make-up working days from the ``holidays`` package."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

import holidays

_SUBSTITUTED = re.compile(r"substituted from (\d{2}/\d{2}/\d{4})")


def public_holidays(year: int) -> tuple[dict[date, str], dict[date, str]]:
    """Days off (Vietnamese names) and the weekend days worked in exchange."""
    names = holidays.country_holidays("VN", years=year, language="vi")
    english = holidays.country_holidays("VN", years=year, language="en_US")
    days_off = {day: str(name) for day, name in names.items()}
    return days_off, make_up_days(english)


def make_up_days(english_names: Mapping[date, str]) -> dict[date, str]:
    """Read "Day off (substituted from MM/DD/YYYY)": that earlier date is worked."""
    make_up: dict[date, str] = {}
    for day, name in english_names.items():
        match = _SUBSTITUTED.search(str(name))
        if match:
            worked = datetime.strptime(match.group(1), "%m/%d/%Y").date()
            make_up[worked] = f"Làm bù cho ngày nghỉ {day:%d/%m/%Y}"
    return make_up
