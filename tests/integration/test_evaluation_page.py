"""/danh-gia — the online evaluation form the printed form's QR points at —
in a real headless Chromium, driven over the DevTools protocol (click the
radio buttons, press «Gửi đánh giá») against a served, seeded instance; what
was recorded is read back through the GraphQL monitoring drill-down."""

from __future__ import annotations

import base64
import itertools
import json
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from adapters.settings import Settings
from api.auth import AccessLevel
from api.wiring import build_application
from domain.citizen_evaluation import (
    CITIZEN_INDICES,
    INDEX_TEXTS,
    SATISFACTION_LABELS,
    Question,
)
from tests.factories import (
    APPLICANT,
    MONDAY,
    OTHER_APPLICANT,
    PROVINCE,
    at,
    receive,
)
from tests.integration.test_dashboard import browse, chromium
from tests.served import Served, seeded_settings, served

DAY = MONDAY.date().isoformat()
DRILL = """
query D($agency: String!, $day: Date!) {
  citizenEvaluationDossiers(agencyCode: $agency, from: $day, to: $day) {
    code channel scores { index score } satisfaction convenience
  }
}
"""


@dataclass
class Page:
    """One Chromium tab over the DevTools protocol."""

    socket: Connection
    ids: Iterator[int]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        sent = next(self.ids)
        self.socket.send(json.dumps({"id": sent, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == sent:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result

    def run(self, expression: str) -> Any:
        done = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        assert "exceptionDetails" not in done, done
        return done["result"].get("value")

    def wait_for_state(self, *states: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.run("document.body && document.body.dataset.state")
            if state in states:
                return str(state)
            time.sleep(0.1)
        raise AssertionError(f"page state {state!r}, expected one of {states}")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def click(self, selector: str) -> None:
        found = self.run(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return false; e.click(); return true; })()"
        )
        assert found, selector

    def text(self, selector: str) -> str:
        return str(
            self.run(f"document.querySelector({json.dumps(selector)}).textContent")
        )

    def screenshot(self, path: Path) -> None:
        shot = self.call(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True
        )
        path.write_bytes(base64.b64decode(shot["data"]))


@contextmanager
def chromium_page(profile: Path) -> Iterator[Page]:
    browser = subprocess.Popen(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=390,1600",
            "about:blank",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert browser.stderr is not None
        port = None
        for line in browser.stderr:
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                port = int(found.group(1))
                break
        assert port is not None, "chromium did not open its DevTools port"
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=30).json()
        tab = next(t for t in targets if t["type"] == "page")
        with connect(tab["webSocketDebuggerUrl"], max_size=None) as socket:
            page = Page(socket, itertools.count(1))
            page.call("Page.enable")
            page.call("Runtime.enable")
            page.call(
                "Emulation.setDeviceMetricsOverride",
                width=390,
                height=1600,
                deviceScaleFactor=1,
                mobile=True,
            )
            yield page
    finally:
        browser.terminate()
        browser.wait(timeout=30)


def seed(settings_dir: Path) -> tuple[Settings, str, str]:
    """A served instance's settings, a received dossier's code and a
    dossier of another citizen."""
    settings = seeded_settings(settings_dir)
    app = build_application(settings)
    try:
        mine = receive(app, when=at(0))
        theirs = receive(app, when=at(0), applicant=OTHER_APPLICANT)
    finally:
        app.close()
    assert mine.code
    assert theirs.code
    return settings, mine.code, theirs.code


def recorded(motcua: Served) -> list[dict[str, Any]]:
    monitor = motcua.tokens.issue(AccessLevel.MONITOR, subject="monitor-1")
    body = motcua.graphql(DRILL, {"agency": PROVINCE, "day": DAY}, token=monitor)
    answer = body.json()
    assert not answer.get("errors"), answer
    found: list[dict[str, Any]] = answer["data"]["citizenEvaluationDossiers"]
    return found


def log_position(settings: Settings) -> int:
    app = build_application(settings)
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def citizen_token(motcua: Served, subject: str = APPLICANT.id) -> str:
    return motcua.tokens.issue(AccessLevel.CITIZEN, subject=subject, eid_level=2)


def choose(page: Page, scores: dict[int, int], levels: dict[str, str]) -> None:
    for index, score in scores.items():
        page.click(f'input[name="i{index}"][value="{score}"]')
    for question, level in levels.items():
        page.click(f'input[name="{question}"][value="{level}"]')
    page.click("#send")


class TestEvaluationPage:
    def test_the_chosen_answers_are_recorded_and_a_second_form_supersedes(
        self, tmp_path: Path
    ) -> None:
        settings, code, _ = seed(tmp_path / "d")
        with served(settings) as motcua, chromium_page(tmp_path / "p") as page:
            token = citizen_token(motcua)
            page.goto(f"{motcua.url}/danh-gia?ma={code}#token={token}")
            assert page.wait_for_state("ready") == "ready"
            assert page.text("#code") == code
            assert "phiếu sau sẽ thay thế" in page.text("#evaluation")
            first = {1: 0, 3: 2, 6: 1}  # index 4 and 7 left blank
            choose(page, first, {"satisfaction": "SATISFIED"})
            page.wait_for_state("saved", "refused", "error")
            assert page.text("#error") == ""
            shown = page.run(
                "[...document.querySelectorAll('#recorded li')]"
                ".map(li => li.dataset.answer)"
            )
            assert shown == [f"i{i}={s}" for i, s in first.items()] + [
                "satisfaction=SATISFIED"
            ]
            assert INDEX_TEXTS[1][1][0] in page.text("#recorded")
            assert [
                (r["code"], r["channel"], r["scores"], r["satisfaction"])
                for r in recorded(motcua)
            ] == [
                (
                    code,
                    "ONLINE",
                    [{"index": i, "score": s} for i, s in first.items()],
                    "SATISFIED",
                )
            ]
            page.screenshot(tmp_path / "saved.png")
            Path("/tmp/motcua-evaluation-saved.png").write_bytes(
                (tmp_path / "saved.png").read_bytes()
            )

            # The citizen corrects the form: the later one supersedes.
            page.click("#again")
            page.wait_for_state("ready")
            second = {1: 2, 4: 1, 7: 2}
            page.run(
                "document.querySelectorAll('input:checked')"
                ".forEach(i => { i.checked = false; })"
            )
            choose(
                page,
                second,
                {"satisfaction": "VERY_SATISFIED", "convenience": "DISSATISFIED"},
            )
            page.wait_for_state("saved", "refused", "error")
            assert [
                (r["scores"], r["satisfaction"], r["convenience"])
                for r in recorded(motcua)
            ] == [
                (
                    [{"index": i, "score": s} for i, s in second.items()],
                    "VERY_SATISFIED",
                    "DISSATISFIED",
                )
            ]

    @pytest.mark.parametrize("whose", ["another citizen's", "unknown"])
    def test_a_refused_form_shows_the_apis_error_and_writes_nothing(
        self, tmp_path: Path, whose: str
    ) -> None:
        settings, _, theirs = seed(tmp_path / "d")
        target = theirs if whose == "another citizen's" else "000.00.00.H34-990101-9999"
        with served(settings) as motcua, chromium_page(tmp_path / "p") as page:
            page.goto(
                f"{motcua.url}/danh-gia?ma={target}#token={citizen_token(motcua)}"
            )
            page.wait_for_state("ready")
            before = log_position(settings)
            choose(page, {3: 2, 7: 2}, {"convenience": "VERY_SATISFIED"})
            assert page.wait_for_state("saved", "refused", "error") == "refused"
            assert page.text("#error") == "Không ghi nhận được: Không tìm thấy hồ sơ"
            assert page.run("document.body.dataset.outcome") == "DossierNotFound"
            assert page.run("document.getElementById('done').hidden") is True
            assert recorded(motcua) == []
            assert log_position(settings) == before
            page.screenshot(tmp_path / "refused.png")
            Path("/tmp/motcua-evaluation-refused.png").write_bytes(
                (tmp_path / "refused.png").read_bytes()
            )

    def test_an_invalid_answer_shows_the_domains_vietnamese_message(
        self, tmp_path: Path
    ) -> None:
        settings, code, _ = seed(tmp_path / "d")
        with served(settings) as motcua, chromium_page(tmp_path / "p") as page:
            page.goto(f"{motcua.url}/danh-gia?ma={code}#token={citizen_token(motcua)}")
            page.wait_for_state("ready")
            before = log_position(settings)
            page.click("#send")  # nothing chosen
            assert page.wait_for_state("saved", "refused", "error") == "refused"
            assert page.text("#error") == (
                "Không ghi nhận được: Phiếu đánh giá chưa có câu trả lời nào"
            )
            assert recorded(motcua) == []
            assert log_position(settings) == before

    def test_without_a_token_the_page_asks_for_one(self, tmp_path: Path) -> None:
        settings, code, _ = seed(tmp_path / "d")
        with served(settings) as motcua:
            dom = browse(f"{motcua.url}/danh-gia?ma={code}", "--dump-dom")
            assert 'data-state="needs-token"' in dom, dom[-3000:]
            assert '<section id="prompt" class="prompt">' in dom
            assert '<form id="evaluation" hidden' in dom
            assert "VNeID" in dom
            assert f'<strong id="code">{code}</strong>' in dom
            shot = tmp_path / "prompt.png"
            browse(
                f"{motcua.url}/danh-gia?ma={code}",
                f"--screenshot={shot}",
                "--window-size=390,900",
            )
            Path("/tmp/motcua-evaluation-prompt.png").write_bytes(shot.read_bytes())
            with chromium_page(tmp_path / "p") as page:
                page.goto(f"{motcua.url}/danh-gia?ma={code}#token=not-a-token")
                page.wait_for_state("ready")
                choose(page, {1: 2}, {})
                assert page.wait_for_state("needs-token", "error", "saved") == (
                    "needs-token"
                )
                assert page.text("#error").startswith("Không gửi được")
                assert recorded(motcua) == []


class TestServedAssets:
    def test_the_page_and_its_assets(self, tmp_path: Path) -> None:
        settings, _, _ = seed(tmp_path / "d")
        with served(settings) as motcua, motcua.client() as client:
            for path, kind in (
                ("/danh-gia?ma=X", "text/html; charset=utf-8"),
                ("/danh-gia/app.js", "text/javascript; charset=utf-8"),
                ("/danh-gia/app.css", "text/css; charset=utf-8"),
            ):
                answer = client.get(path)
                assert answer.status_code == 200, path
                assert answer.headers["content-type"] == kind
                assert "https://" not in answer.text
                assert "cdn" not in answer.text.lower()
            page = client.get("/danh-gia").text
            assert (
                "script-src 'self'"
                in client.get("/danh-gia").headers["content-security-policy"]
            )
            # The texts are the domain's, not retyped.
            for index in CITIZEN_INDICES:
                name, descriptions = INDEX_TEXTS[index]
                assert name in page
                for score, description in enumerate(descriptions):
                    assert (
                        f'name="i{index}" value="{score}"><b>{score} điểm</b> '
                        f"{description}</label>" in page
                    )
            for question in Question:
                assert question.label("vi") in page
            for level, label in SATISFACTION_LABELS.items():
                assert f'value="{level.name}">{label}</label>' in page
