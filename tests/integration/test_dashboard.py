"""/dashboard in a real headless Chromium against a served, seeded instance: the
numbers on screen are the GraphQL monitoring API's."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from adapters.settings import Settings
from api.auth import AccessLevel
from api.wiring import build_application
from application import reorganisation
from application.citizen_evaluations import CitizenEvaluations
from domain.dossier_values import ReturnMethod, Satisfaction
from domain.reorganisation import parse_plan
from tests.application.test_reorganisation import NEW_PROVINCE, PLAN
from tests.factories import (
    PROVINCE,
    at,
    citizen,
    desk,
    in_progress,
    leader,
    result,
    trace,
)
from tests.served import seeded_settings, served

PERIOD = {"agency": "000.00.00.H34", "from": "2026-03-01", "to": "2026-03-31"}
QUERY = """
query D($agency: String!, $from: Date!, $to: Date!) {
  indicators(agencyCode: $agency, from: $from, to: $to) {
    total { score indicators { code numerator denominator } }
  }
  trend: indicators(agencyCode: $agency, from: $from, to: $to, groupBy: MONTH) {
    rows { key score }
  }
  indicatorDossiers(agencyCode: $agency, indicator: "2.1", from: $from, to: $to) {
    code
  }
}
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed (make test installs Debian's chromium)")
    return found


def browse(url: str, *extra: str) -> str:
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=15000",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def seed(settings_dir: Path) -> Settings:
    settings = seeded_settings(settings_dir)
    app = build_application(settings)
    try:
        for day, finished in ((0, 1), (1, 2), (2, 20)):
            dossier_id = in_progress(app, at(day))
            app.resolve_dossier(
                dossier_id,
                trace=trace(leader(), at(finished, 9)),
                results=(result(app),),
                decision="Cấp giấy khai sinh",
            )
            app.return_result(
                dossier_id,
                trace=trace(desk(), at(finished, 10)),
                method=ReturnMethod.DESK,
            )
        in_progress(app, at(3))
    finally:
        app.close()
    return settings


class TestDashboard:
    def test_the_numbers_on_screen_are_the_apis(self, tmp_path: Path) -> None:
        settings = seed(tmp_path / "d")
        with served(settings) as motcua:
            token = motcua.tokens.issue(AccessLevel.MONITOR, subject="monitor-1")
            api = motcua.graphql(QUERY, PERIOD, token=token).json()
            assert not api.get("errors"), api
            total = api["data"]["indicators"]["total"]
            fragment = "&".join(
                f"{k}={v}" for k, v in {**PERIOD, "token": token}.items()
            )
            url = f"{motcua.url}/dashboard#{fragment}"

            dom = browse(url, "--dump-dom")
            assert 'data-state="ready"' in dom, dom[-3000:]
            score = re.search(r'id="score">([0-9.]+)<', dom)
            assert score is not None
            assert float(score.group(1)) == pytest.approx(total["score"], abs=0.005)
            for figure in total["indicators"]:
                row = re.search(
                    rf'<tr data-code="{re.escape(figure["code"])}">(.*?)</tr>', dom
                )
                assert row is not None, figure["code"]
                numbers = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
                assert float(numbers[0]) == figure["numerator"]
                assert int(numbers[1]) == figure["denominator"]
            months = re.findall(
                r'<circle [^>]*data-key="([^"]+)" data-score="([^"]+)"', dom
            )
            assert [(k, float(v)) for k, v in months] == [
                (r["key"], r["score"]) for r in api["data"]["trend"]["rows"]
            ]
            assert months
            for dossier in api["data"]["indicatorDossiers"]:
                assert f"<td>{dossier['code']}</td>" in dom
            assert len(api["data"]["indicatorDossiers"]) == 2

            shot = tmp_path / "dashboard.png"
            browse(url, f"--screenshot={shot}", "--window-size=1280,1400")
            assert shot.stat().st_size > 10_000
            phone = tmp_path / "dashboard-phone.png"
            browse(url, f"--screenshot={phone}", "--window-size=390,1800")
            assert phone.stat().st_size > 10_000
            Path("/tmp/motcua-dashboard.png").write_bytes(shot.read_bytes())
            Path("/tmp/motcua-dashboard-phone.png").write_bytes(phone.read_bytes())

    def test_without_a_monitor_token_the_page_asks_for_one(
        self, tmp_path: Path
    ) -> None:
        settings = seed(tmp_path / "d")
        with served(settings) as motcua:
            with motcua.client() as client:
                page = client.get("/dashboard")
                assert page.status_code == 200
                assert "script-src 'self'" in page.headers["content-security-policy"]
                for asset in ("/dashboard/app.js", "/dashboard/app.css"):
                    body = client.get(asset).text
                    assert "https://" not in body
                    assert "cdn" not in body.lower()
            dom = browse(f"{motcua.url}/dashboard", "--dump-dom")
            assert 'data-state="needs-token"' in dom, dom[-3000:]
            assert '<section id="prompt" class="prompt">' in dom  # shown
            assert "<main hidden" in dom  # no empty frame
            assert "motcua token --role monitor" in dom
            shot = tmp_path / "prompt.png"
            browse(
                f"{motcua.url}/dashboard",
                f"--screenshot={shot}",
                "--window-size=1280,700",
            )
            assert shot.stat().st_size > 5_000
            Path("/tmp/motcua-dashboard-prompt.png").write_bytes(shot.read_bytes())

            refused = browse(f"{motcua.url}/dashboard#token=not-a-token", "--dump-dom")
            assert 'data-state="needs-token"' in refused, refused[-3000:]
            assert '<section id="prompt" class="prompt">' in refused
            assert "Mã truy cập không dùng được" in refused

    def test_the_default_unit_is_todays_root_from_the_directory(
        self, tmp_path: Path
    ) -> None:
        settings = seed(tmp_path / "d")
        app = build_application(settings)
        try:
            reorganisation.apply(app, parse_plan(PLAN))
        finally:
            app.close()
        with served(settings) as motcua:
            token = motcua.tokens.issue(AccessLevel.MONITOR, subject="monitor-1")
            old = motcua.graphql(QUERY, PERIOD, token=token).json()
            assert not old.get("errors"), old
            total = old["data"]["indicators"]["total"]
            assert total["indicators"][1]["denominator"] == 4
            period = {k: v for k, v in PERIOD.items() if k != "agency"}
            fragment = "&".join(
                f"{k}={v}" for k, v in {**period, "token": token}.items()
            )
            url = f"{motcua.url}/dashboard#{fragment}"
            dom = browse(url, "--dump-dom")
            assert 'data-state="ready"' in dom, dom[-3000:]
            assert f'data-agency="{NEW_PROVINCE}"' in dom
            assert f'value="{NEW_PROVINCE}"' in dom
            assert PROVINCE != NEW_PROVINCE
            # The old units' dossiers are counted under today's root.
            row = re.search(r'<tr data-code="2.1">(.*?)</tr>', dom)
            assert row is not None
            numbers = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
            assert int(numbers[1]) == total["indicators"][1]["denominator"]
            score = re.search(r'id="score">([0-9.]+)<', dom)
            assert score is not None
            assert float(score.group(1)) == pytest.approx(total["score"], abs=0.005)
            shot = tmp_path / "today.png"
            browse(url, f"--screenshot={shot}", "--window-size=1280,1400")
            Path("/tmp/motcua-dashboard-today.png").write_bytes(shot.read_bytes())


CITIZENS = """
query C($agency: String!, $from: Date!, $to: Date!) {
  indicators(agencyCode: $agency, from: $from, to: $to) {
    evaluation { citizens { evaluations online paper indices { index answers average }
      satisfaction { verySatisfied satisfied dissatisfied } } }
  }
}
"""


def test_the_citizens_assessment_on_screen_is_the_apis(tmp_path: Path) -> None:
    settings = seeded_settings(tmp_path / "d")
    app = build_application(settings)
    try:
        evaluations = CitizenEvaluations(app)
        for day, (scores, satisfaction, paper) in enumerate(
            (
                ({1: 2, 3: 2, 7: 2}, Satisfaction.VERY_SATISFIED, False),
                ({1: 0, 4: 1, 6: 2}, Satisfaction.DISSATISFIED, True),
                ({1: 1}, None, False),
            )
        ):
            dossier_id = in_progress(app, at(day))
            evaluations.give(
                dossier_id,
                trace=trace(desk() if paper else citizen(), at(day, 10)),
                scores=scores,
                satisfaction=satisfaction,
            )
    finally:
        app.close()
    with served(settings) as motcua:
        token = motcua.tokens.issue(AccessLevel.MONITOR, subject="monitor-1")
        api = motcua.graphql(CITIZENS, PERIOD, token=token).json()
        assert not api.get("errors"), api
        found = api["data"]["indicators"]["evaluation"]["citizens"]
        assert (found["evaluations"], found["online"], found["paper"]) == (3, 2, 1)
        fragment = "&".join(f"{k}={v}" for k, v in {**PERIOD, "token": token}.items())
        url = f"{motcua.url}/dashboard#{fragment}"
        dom = browse(url, "--dump-dom")
        assert 'data-state="ready"' in dom, dom[-3000:]
        assert "3 phiếu (trực tuyến 2, phiếu giấy 1)" in dom
        for figure in found["indices"]:
            row = re.search(rf'<tr data-index="{figure["index"]}">(.*?)</tr>', dom)
            assert row is not None, figure
            numbers = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
            assert int(numbers[0]) == figure["answers"]
            if figure["average"] is None:
                assert numbers[1] == "N/A"
            else:
                assert float(numbers[1]) == pytest.approx(figure["average"], abs=0.005)
        overall = found["satisfaction"][0]
        assert (
            f"rất hài lòng {overall['verySatisfied']}, hài lòng {overall['satisfied']}, "
            f"không hài lòng {overall['dissatisfied']}"
        ) in dom
        shot = tmp_path / "citizens.png"
        browse(url, f"--screenshot={shot}", "--window-size=1280,2200")
        Path("/tmp/motcua-dashboard-citizens.png").write_bytes(shot.read_bytes())
