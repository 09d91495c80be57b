"""QĐ 766 counting rules and scoring on hand-made dossier facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.indicator_facts import (
    END_RESOLVED,
    END_RETURNED,
    END_STOPPED,
    END_WITHDRAWN,
    DossierFacts,
)
from domain.indicators import (
    BY_CODE,
    ComplaintFacts,
    Inputs,
    Standing,
    compute,
    group_scores,
    judge_dvcqg,
    judge_local,
    points,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED = datetime(2026, 3, 2, 8, tzinfo=VN)
DUE = datetime(2026, 3, 6, 17, tzinfo=VN)
PERIOD_END = datetime(2026, 4, 1, tzinfo=VN)


def dossier(n: int = 0, **changes: object) -> DossierFacts:
    base = DossierFacts(
        dossier_id=f"id-{n}",
        competent_agency="000.00.01.H34",
        procedure_code="1.000001",
        procedure_name="Đăng ký khai sinh",
        channel="desk",
        submitted_at=RECEIVED,
        code=f"000.00.01.H34-260302-{n:04d}",
        receiving_agency="000.00.01.H34",
        received_at=RECEIVED,
        due_at=DUE,
        local_dues=((RECEIVED, DUE),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def figure(code: str, inputs: Inputs):  # type: ignore[no-untyped-def]
    return next(f for f in compute(inputs) if f.definition.code == code)


class TestWorkedExample:
    """domain.md §6.5 (province P, quarter Q, 9 000 dossiers)."""

    def test_scoring_rules(self) -> None:
        assert points(Fraction(6300, 9000), BY_CODE["4.2"]) == Decimal("3.50")
        assert points(Fraction(2250, 9000), BY_CODE["4.3"]) == Decimal("0.63")
        assert points(Fraction(96, 100), BY_CODE["5.4"]) == Decimal("6.00")
        assert points(Fraction(8820, 9000), BY_CODE["2.1"]) == Decimal("19.60")

    def test_computed_from_nine_thousand_dossiers(self) -> None:
        finished = {"end_kind": END_RESOLVED, "local_timeliness": "on_time"}
        dossiers = []
        for n in range(9000):
            late = n < 180
            end = DUE + timedelta(days=1) if late else DUE - timedelta(days=1)
            dossiers.append(
                dossier(
                    n,
                    end_at=end,
                    electronic_result=True,
                    digitized_components=1 if n < 6300 else 0,
                    reused_components=1 if 3000 <= n < 5250 else 0,
                    satisfaction="dissatisfied" if n >= 9000 - 90 else None,
                    **finished,
                )
            )
        inputs = Inputs(dossiers, PERIOD_END)
        assert figure("4.2", inputs).ratio == Fraction(6300, 9000)
        assert figure("4.2", inputs).points == Decimal("3.50")
        assert figure("4.3", inputs).points == Decimal("0.63")
        assert figure("2.1", inputs).ratio == Fraction(8820, 9000)
        assert figure("2.1", inputs).points == Decimal("19.60")
        late_ratio = Fraction(180, 9000)  # 2 %, plus 1 % disliked → 97 %
        assert figure("5.4", inputs).ratio == 1 - late_ratio - Fraction(90, 9000)
        assert figure("5.4", inputs).points == Decimal("6.00")


class TestDvcqgClock:
    def test_supplement_time_is_subtracted(self) -> None:
        facts = dossier(
            supplements=((DUE - timedelta(days=4), DUE - timedelta(days=1)),),
            end_at=DUE + timedelta(days=2),
            end_kind=END_RESOLVED,
        )
        judged = judge_dvcqg(facts, PERIOD_END)
        assert judged.on_time
        assert judged.standing is Standing.EARLY

    def test_payment_waiting_is_not_subtracted_but_the_local_clock_is(self) -> None:
        facts = dossier(
            end_at=DUE + timedelta(days=2),
            end_kind=END_RESOLVED,
            local_dues=((RECEIVED, DUE), (DUE, DUE + timedelta(days=3))),
            local_timeliness="on_time",
            paid_channel="online_national",
        )
        assert judge_dvcqg(facts, PERIOD_END).standing is Standing.LATE
        local = judge_local(facts, PERIOD_END)
        assert local is not None
        assert local.on_time

    def test_more_than_one_supplement_request_is_late(self) -> None:
        facts = dossier(
            supplements=((RECEIVED, RECEIVED), (RECEIVED, RECEIVED)),
            end_at=RECEIVED + timedelta(hours=2),
            end_kind=END_RESOLVED,
        )
        judged = judge_dvcqg(facts, PERIOD_END)
        assert not judged.on_time
        assert "hơn một lần" in judged.reason

    def test_unfinished_at_period_end_is_judged_at_the_end(self) -> None:
        facts = dossier(end_at=DUE + timedelta(days=60), end_kind=END_RESOLVED)
        assert judge_dvcqg(facts, DUE - timedelta(hours=1)).standing is (
            Standing.PENDING_ON_TIME
        )
        assert judge_dvcqg(facts, DUE + timedelta(hours=1)).standing is (
            Standing.PENDING_LATE
        )

    def test_an_open_supplement_request_stops_the_clock_to_the_period_end(
        self,
    ) -> None:
        facts = dossier(supplements=((DUE - timedelta(days=1), None),))
        assert judge_dvcqg(facts, DUE + timedelta(hours=20)).on_time
        assert judge_dvcqg(facts, DUE + timedelta(days=30)).on_time
        after_due = replace(facts, supplements=((DUE + timedelta(hours=1), None),))
        assert not judge_dvcqg(after_due, DUE + timedelta(days=30)).on_time

    @pytest.mark.parametrize(
        ("kind", "standing"),
        [(END_STOPPED, Standing.STOPPED), (END_WITHDRAWN, Standing.WITHDRAWN)],
    )
    def test_stopped_and_withdrawn_have_their_own_class(
        self, kind: str, standing: Standing
    ) -> None:
        facts = dossier(end_at=DUE + timedelta(days=1), end_kind=kind)
        judged = judge_dvcqg(facts, PERIOD_END)
        assert judged.standing is standing
        assert not judged.on_time  # DVCQG judges them by their end time
        assert (
            judge_local(facts, PERIOD_END) is None
        )  # the local figure leaves them out

    def test_a_reappointment_does_not_move_the_national_appointment(self) -> None:
        facts = dossier(
            reappointed=True,
            local_dues=((RECEIVED, DUE), (DUE, DUE + timedelta(days=5))),
            end_at=DUE + timedelta(days=3),
            end_kind=END_RESOLVED,
            local_timeliness="on_time",
        )
        assert not judge_dvcqg(facts, PERIOD_END).on_time
        local = judge_local(facts, PERIOD_END)
        assert local is not None
        assert local.on_time

    @given(
        hours=st.integers(-90, 200),
        waited=st.integers(0, 400),
    )
    def test_on_time_iff_end_minus_supplement_within_due(
        self, hours: int, waited: int
    ) -> None:
        end = DUE + timedelta(hours=hours)
        facts = dossier(
            supplements=((RECEIVED, RECEIVED + timedelta(hours=waited)),),
            end_at=end,
            end_kind=END_RETURNED,
        )
        assert judge_dvcqg(facts, PERIOD_END).on_time == (
            end - min(timedelta(hours=waited), end - RECEIVED) <= DUE
        )


class TestFigures:
    def test_zero_denominator_is_not_applicable(self) -> None:
        figures = compute(Inputs([], PERIOD_END))
        assert all(f.ratio is None and f.points is None for f in figures)
        assert all(g.points == 0 for g in group_scores(figures))

    def test_group_totals_and_targets(self) -> None:
        scores = group_scores(compute(Inputs([dossier()], PERIOD_END)))
        assert [g.max_points for g in scores] == [18, 20, 22, 22, 18]
        assert sum(g.max_points for g in scores) == 100
        assert BY_CODE["3.3"].target == Fraction(1, 2)
        assert BY_CODE["5.4"].target == Fraction(9, 10)
        assert BY_CODE["4.2"].target == BY_CODE["4.3"].target == Fraction(4, 5)

    @given(st.fractions(0, 1), st.sampled_from(sorted(BY_CODE)))
    def test_points_never_exceed_the_maximum(self, ratio: Fraction, code: str) -> None:
        scored = points(ratio, BY_CODE[code])
        assert Decimal(0) <= scored <= BY_CODE[code].max_points
        assert scored == scored.quantize(Decimal("0.01"))

    def test_drill_down_names_the_late_dossiers(self) -> None:
        late = dossier(1, end_at=DUE + timedelta(days=1), end_kind=END_RESOLVED)
        early = dossier(2, end_at=DUE - timedelta(days=1), end_kind=END_RESOLVED)
        on_time = figure("2.1", Inputs([late, early], PERIOD_END))
        assert on_time.dossiers == (late.code,)
        assert on_time.ratio == Fraction(1, 2)

    def test_complaints_feed_group_five(self) -> None:
        complaints = [
            ComplaintFacts("000.00.01.H34", on_time=True, dissatisfied=False),
            ComplaintFacts("000.00.01.H34", on_time=True, dissatisfied=True),
            ComplaintFacts("000.00.01.H34", on_time=False, dissatisfied=False),
            ComplaintFacts("000.00.01.H34", on_time=True, dissatisfied=False),
        ]
        inputs = Inputs([], PERIOD_END, complaints=complaints)
        assert figure("5.2", inputs).ratio == Fraction(3, 4)
        assert figure("5.3", inputs).ratio == Fraction(2, 4)

    def test_a_complained_dossier_counts_as_unsatisfied(self) -> None:
        facts = [dossier(n) for n in range(4)]
        inputs = Inputs(
            facts, DUE, complained_dossiers=frozenset({facts[0].code or ""})
        )
        assert figure("5.4", inputs).ratio == Fraction(3, 4)
