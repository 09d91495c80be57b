"""The monitoring API over real dossiers: indicators, drill-down, national pull."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from adapters.dvcqg.sync import SENDER
from domain.dossier_values import ReturnMethod, Satisfaction
from domain.portal_acceptance import PortalAcceptance
from projections.indicators import IndicatorView
from tests.api.conftest import Api
from tests.factories import (
    CONSTRUCTION,
    JUSTICE,
    PROVINCE,
    at,
    citizen,
    desk,
    in_progress,
    leader,
    result,
    trace,
)

INDICATORS = """
query I($agency: String!, $from: Date!, $to: Date!, $groupBy: IndicatorGrouping!) {
  indicators(agencyCode: $agency, from: $from, to: $to, groupBy: $groupBy) {
    agencyCode definitionVersion
    total { key score computedMax
            groups { number maxPoints points computedMax }
            indicators { code clock numerator denominator percent points maxPoints } }
    rows { key score indicators { code numerator denominator } }
    digitization { received withDigitizedComponents withReusedComponents
                   componentsDigitized componentsSigned resolved resultsElectronic }
    evaluation { dossiers indices { index score } total maximum classification }
  }
}
"""
LATE = """
query L($agency: String!, $from: Date!, $to: Date!) {
  indicatorDossiers(agencyCode: $agency, indicator: "2.1", from: $from, to: $to) {
    code reason competentAgency
  }
}
"""
PULL = """
query P($since: Int!, $asOf: Date) {
  indicatorChanges(since: $since, asOf: $asOf) {
    cursor asOf buckets { agencyCode day indicators { code numerator denominator } }
  }
}
"""
MARCH = {"agency": PROVINCE, "from": "2026-03-01", "to": "2026-03-31"}


def resolve(api: Api, dossier_id: UUID, day: int) -> None:
    onestop = api.services.onestop
    onestop.resolve_dossier(
        dossier_id,
        trace=trace(leader(), at(day, 9)),
        results=(result(onestop),),
        decision="Cấp giấy khai sinh",
    )


def history(api: Api) -> dict[str, str]:
    """Two on time (one rated dissatisfied), one late, one still open."""
    onestop = api.services.onestop
    early = in_progress(onestop, at(0))
    resolve(api, early, 1)
    onestop.return_result(
        early, trace=trace(desk(), at(1, 10)), method=ReturnMethod.DESK
    )
    onestop.rate_dossier(
        early, trace=trace(citizen(), at(1, 11)), satisfaction=Satisfaction.DISSATISFIED
    )
    on_time = in_progress(onestop, at(1))
    resolve(api, on_time, 2)
    late = in_progress(onestop, at(2))
    resolve(api, late, 20)
    pending = in_progress(onestop, at(3))
    codes = {}
    for name, dossier_id in (
        ("early", early),
        ("on_time", on_time),
        ("late", late),
        ("pending", pending),
    ):
        codes[name] = str(onestop.get_dossier(dossier_id).code)
    api.settle()
    return codes


def by_code(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["code"]: f for f in card["indicators"]}


class TestIndicators:
    def test_scores_and_drill_down_over_real_dossiers(self, api: Api) -> None:
        codes = history(api)
        monitor = api.tokens.monitor()
        report = api.data(INDICATORS, {**MARCH, "groupBy": "AGENCY"}, token=monitor)
        total = report["indicators"]["total"]
        figures = by_code(total)
        assert figures["2.1"]["denominator"] == 4
        assert figures["2.1"]["numerator"] == 2  # the open one is late at 31/03
        assert [g["maxPoints"] for g in total["groups"]] == [18, 20, 22, 22, 18]
        assert total["score"] == round(sum(g["points"] for g in total["groups"]), 2)
        assert figures["5.2"]["percent"] is None  # no complaints: N/A
        assert figures["2.1"]["clock"] == "dvcqg"
        assert figures["2.1L"]["clock"] == "local"
        assert figures["4.1"]["denominator"] == 3
        assert figures["4.1"]["numerator"] == 3
        # 5.4 = 100 % − (late 2/4 + disliked 1/4)
        assert figures["5.4"]["percent"] == 25.0
        assert report["indicators"]["digitization"] == {
            "received": 4,
            "withDigitizedComponents": 4,
            "withReusedComponents": 0,
            "componentsDigitized": 8,  # TP1 and TP2 of each
            "componentsSigned": 8,
            "resolved": 3,
            "resultsElectronic": 3,
        }
        evaluation = report["indicators"]["evaluation"]
        # the first two finished days before their due day (2 each), the late and
        # the pending-late one score 0: index 1 averages 1.00
        assert evaluation["indices"][0] == {"index": 1, "score": 1.0}
        assert evaluation["maximum"] == 8
        assert evaluation["classification"] is None  # 5, 8, 9 not entered
        rows = report["indicators"]["rows"]
        assert [r["key"] for r in rows] == [JUSTICE]

        late = api.data(LATE, MARCH, token=monitor)["indicatorDossiers"]
        assert {d["code"] for d in late} == {codes["late"], codes["pending"]}
        assert all(d["competentAgency"] == JUSTICE for d in late)
        assert all("quá" in d["reason"] for d in late)

    def test_a_period_end_before_the_late_result_judges_it_pending(
        self, api: Api
    ) -> None:
        history(api)
        early_april = {**MARCH, "to": "2026-03-10", "groupBy": "NONE"}
        figures = by_code(
            api.data(INDICATORS, early_april, token=api.tokens.monitor())["indicators"][
                "total"
            ]
        )
        assert figures["2.1"]["denominator"] == 4
        assert figures["2.2"]["denominator"] == 2  # the late one ends after 10/03

    def test_the_national_pull_adds_up_to_the_same_numbers(self, api: Api) -> None:
        history(api)
        monitor = api.tokens.monitor()
        whole = by_code(
            api.data(INDICATORS, {**MARCH, "groupBy": "NONE"}, token=monitor)[
                "indicators"
            ]["total"]
        )
        pulled = api.data(PULL, {"since": 0, "asOf": "2026-03-31"}, token=monitor)
        changes = pulled["indicatorChanges"]
        assert changes["cursor"] > 0
        sums: dict[str, list[float]] = {}
        for bucket in changes["buckets"]:
            for f in bucket["indicators"]:
                n, d = sums.setdefault(f["code"], [0, 0])
                sums[f["code"]] = [n + f["numerator"], d + f["denominator"]]
        for code in ("1.4", "2.1", "3.3", "4.1", "4.2", "4.3", "4.4"):
            assert sums[code] == [whole[code]["numerator"], whole[code]["denominator"]]
        again = api.data(PULL, {"since": changes["cursor"]}, token=monitor)
        assert again["indicatorChanges"]["buckets"] == []
        assert again["indicatorChanges"]["cursor"] == changes["cursor"]

    def test_only_monitors_and_their_scope(self, api: Api) -> None:
        history(api)
        variables = {**MARCH, "groupBy": "NONE"}
        for token in (api.tokens.citizen(), None):
            body = api.gql(INDICATORS, variables, token=token)
            assert body["errors"][0]["extensions"]["code"] in (
                "FORBIDDEN",
                "UNAUTHENTICATED",
            )
        outsider = api.tokens.outsider()  # Sở Xây dựng asks for the province
        body = api.gql(INDICATORS, variables, token=outsider)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        own = api.data(
            INDICATORS, {**variables, "agency": CONSTRUCTION}, token=outsider
        )
        assert by_code(own["indicators"]["total"])["2.1"]["denominator"] == 0

    def test_bad_input_is_refused_in_either_language(self, api: Api) -> None:
        monitor = api.tokens.monitor()
        cases = (
            {**MARCH, "agency": "H34", "groupBy": "NONE"},
            {**MARCH, "agency": "000.00.00.H34'; --", "groupBy": "NONE"},
            {**MARCH, "from": "2026-04-01", "groupBy": "NONE"},
            {**MARCH, "from": "2020-01-01", "groupBy": "NONE"},
        )
        for variables in cases:
            vi = api.gql(INDICATORS, variables, token=monitor)
            en = api.gql(INDICATORS, variables, token=monitor, language="en")
            assert vi["errors"][0]["extensions"]["code"] == "INVALID_INPUT", vi
            assert vi["errors"][0]["message"] != en["errors"][0]["message"]


class TestSyncIndicator:
    def test_one_point_four_counts_the_dossiers_the_portal_accepted(
        self, api: Api
    ) -> None:
        history(api)
        monitor = api.tokens.monitor()
        variables = {**MARCH, "groupBy": "NONE"}
        before = by_code(
            api.data(INDICATORS, variables, token=monitor)["indicators"]["total"]
        )
        assert (before["1.4"]["numerator"], before["1.4"]["denominator"]) == (0, 4)
        facts = IndicatorView(api.services.store).facts(
            PROVINCE, date(2026, 3, 1), date(2026, 3, 31)
        )
        # Three accepted within March, the fourth only in April.
        for n, f in enumerate(facts):
            assert f.received_at is not None
            moment = (
                f.received_at + timedelta(minutes=5)
                if n < 3
                else f.received_at.replace(month=4, day=2)
            )
            api.services.onestop.save(
                PortalAcceptance.accept(
                    trace=trace(SENDER, moment), dossier_id=UUID(f.dossier_id)
                )
            )
        api.settle()
        after = by_code(
            api.data(INDICATORS, variables, token=monitor)["indicators"]["total"]
        )
        assert (after["1.4"]["numerator"], after["1.4"]["denominator"]) == (3, 4)
        assert after["1.4"]["points"] == 4.5
        # A period ending after the fourth acceptance counts it too.
        april = {**variables, "to": "2026-04-30"}
        later = by_code(
            api.data(INDICATORS, april, token=monitor)["indicators"]["total"]
        )
        assert later["1.4"]["numerator"] == 4
