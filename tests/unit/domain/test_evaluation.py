"""TT 01/2018 per-dossier indices, unit totals and classification."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.evaluation import DEFAULT_THRESHOLDS, classify, dossier_indices, evaluate
from domain.indicator_facts import END_RESOLVED
from tests.unit.domain.test_indicators import DUE, PERIOD_END, RECEIVED, dossier


def test_an_early_dossier_without_supplements_scores_two_everywhere() -> None:
    early = dossier(end_at=DUE - timedelta(days=2), end_kind=END_RESOLVED)
    assert dossier_indices(early, PERIOD_END, complained=False) == {
        1: 2,
        3: 2,
        4: 2,
        7: 2,
    }


def test_a_late_dossier_asked_twice_and_complained_about() -> None:
    late = dossier(
        end_at=DUE + timedelta(days=2),
        end_kind=END_RESOLVED,
        supplements=((RECEIVED, RECEIVED), (RECEIVED, RECEIVED)),
    )
    assert dossier_indices(late, PERIOD_END, complained=True) == {
        1: 0,
        3: 0,
        4: 1,
        7: 0,
    }


def test_on_time_with_one_supplement() -> None:
    facts = dossier(
        end_at=DUE,
        end_kind=END_RESOLVED,
        supplements=((RECEIVED, RECEIVED + timedelta(hours=1)),),
    )
    assert dossier_indices(facts, PERIOD_END, complained=False) == {
        1: 1,  # an hour subtracted: still the due day, so on time, not early
        3: 1,
        4: 1,
        7: 1,
    }


def test_unit_total_out_of_eighteen_and_its_class() -> None:
    early = dossier(1, end_at=DUE - timedelta(days=2), end_kind=END_RESOLVED)
    late = dossier(2, end_at=DUE + timedelta(days=2), end_kind=END_RESOLVED)
    partial = evaluate([early, late], PERIOD_END)
    assert partial.averages == {
        1: Decimal("1.00"),
        3: Decimal("2.00"),
        4: Decimal("2.00"),
        7: Decimal("1.00"),
    }
    assert partial.maximum == 8
    assert partial.classification is None
    full = evaluate(
        [early, late], PERIOD_END, entered={2: 2, 5: 1, 6: 2, 8: 2, 9: 1, 1: 0}
    )
    assert full.maximum == 18
    assert full.total == Decimal("14.00")
    assert full.classification == "Tốt"


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        ("15.01", "Xuất sắc"),
        ("15", "Tốt"),
        ("12", "Tốt"),
        ("11.99", "Khá"),
        ("9", "Khá"),
        ("6", "Trung bình"),
        ("5.99", "Yếu"),
        ("0", "Yếu"),
    ],
)
def test_default_thresholds(total: str, expected: str) -> None:
    assert classify(Decimal(total)) == expected


def test_thresholds_are_configurable() -> None:
    stricter = ((Decimal(16), "Xuất sắc"), *DEFAULT_THRESHOLDS[1:])
    assert classify(Decimal("15.5")) == "Xuất sắc"
    assert classify(Decimal("15.5"), stricter) == "Tốt"
