"""``motcua integrator`` and the embedded integrator as real processes."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from adapters.settings import Settings
from api.auth import AccessLevel
from api.wiring import build_application
from tests.factories import MONDAY, PROVINCE, receive
from tests.integration.nats_helpers import fresh_province, stream_messages
from tests.served import Process, Served, motcua_env, seeded_settings, served
from tests.services import TemporaryNats


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def write_dossiers(settings: Settings, count: int) -> int:
    app = build_application(settings)
    try:
        for _ in range(count):
            receive(app)
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def test_serve_on_sqlite_publishes_in_process_and_reports_it(
    tmp_path: Path, nats_server: TemporaryNats
) -> None:
    province = fresh_province()
    settings = seeded_settings(tmp_path / "d", options={"PROVINCE": province})
    with served(settings, extra_env={"MOTCUA_NATS_URL": nats_server.url}) as m:
        head = write_dossiers(settings, 3)
        wait_for(lambda: m.readyz()["integration"]["nats"]["position"] == head)
        ready = m.readyz()
        assert ready["integration"]["nats"]["backlog"] == 0
        assert ready["integration"]["nats"]["error"] is None
        with m.client() as client:
            metrics = client.get("/metrics").text
        assert 'motcua_integration_backlog_events{follower="nats"} 0.0' in metrics
        assert 'motcua_integration_failing{follower="nats"} 0.0' in metrics
    got = stream_messages(nats_server.url, province)
    assert [g.position for g in got] == list(range(1, head + 1))
    assert all(g.subject.startswith(f"motcua.{province}.") for g in got)


def test_serve_without_nats_publishes_nothing_and_reports_nothing(
    tmp_path: Path,
) -> None:
    settings = seeded_settings(tmp_path / "d")
    with served(settings) as m:
        write_dossiers(settings, 1)
        assert m.readyz()["integration"] == {}


def test_integrator_process_survives_kill_and_nats_restart(
    tmp_path: Path, postgres_url: str
) -> None:
    province = fresh_province()
    settings = seeded_settings(
        tmp_path / "d", database_url=postgres_url, options={"PROVINCE": province}
    )
    with TemporaryNats() as nats_server:
        env = motcua_env(
            settings,
            {"MOTCUA_NATS_URL": nats_server.url, "MOTCUA_NATS_ACK_TIMEOUT": "1"},
        )
        with served(settings, extra_env=env, projector=True, integrator=True) as m:
            integrator = m.others[-1]
            head = write_dossiers(settings, 5)
            wait_for(lambda: m.readyz()["integration"]["nats"]["position"] == head)
            integrator.stop(signal.SIGKILL)  # kill -9 mid-stream
            head = write_dossiers(settings, 5)
            nats_server._shutdown()
            restarted = Process(["integrator"], env, tmp_path / "integrator2.log")
            restarted.start()
            try:
                wait_for(lambda: m.readyz()["integration"]["nats"]["error"] is not None)
                ready = m.readyz()
                assert ready["status"] == "degraded"
                assert ready["integration"]["nats"]["backlog"] > 0
                nats_server._launch()
                wait_for(lambda: m.readyz()["integration"]["nats"]["position"] == head)
                assert m.readyz()["integration"]["nats"]["error"] is None
            finally:
                restarted.stop()
        got = stream_messages(nats_server.url, province)
    assert [g.position for g in got] == list(range(1, head + 1))
    assert len({g.msg_id for g in got}) == head


ONE_POINT_FOUR = """
query($agency: String!, $from: Date!, $to: Date!) {
  indicators(agencyCode: $agency, from: $from, to: $to) {
    total { indicators { code numerator denominator } }
  }
}
"""


def synced(m: Served, token: str) -> tuple[int, int]:
    """Indicator 1.4 of the province from the factories' Monday to today."""
    response = m.graphql(
        ONE_POINT_FOUR,
        {
            "agency": PROVINCE,
            "from": MONDAY.date().isoformat(),
            "to": date.today().isoformat(),
        },
        token=token,
    )
    body = response.json()
    assert not body.get("errors"), body
    (figure,) = [
        f
        for f in body["data"]["indicators"]["total"]["indicators"]
        if f["code"] == "1.4"
    ]
    return int(figure["numerator"]), int(figure["denominator"])


def test_serve_syncs_dossiers_to_the_portal_in_process(tmp_path: Path) -> None:
    from tests.dvcqg_portal import PASSWORD, USERNAME, PortalServer

    settings = seeded_settings(tmp_path / "d")
    with PortalServer() as portal:
        env = {
            "MOTCUA_DVCQG_URL": portal.url,
            "MOTCUA_DVCQG_AUTH_URL": portal.auth_url,
            "MOTCUA_DVCQG_USERNAME": USERNAME,
            "MOTCUA_DVCQG_PASSWORD": PASSWORD,
        }
        with served(settings, extra_env=env) as m:
            portal.portal.script.append("500")
            write_dossiers(settings, 2)
            wait_for(lambda: len(portal.portal.dossiers) == 2)
            wait_for(lambda: m.readyz()["integration"]["dvcqg"]["backlog"] == 0)
            assert m.readyz()["integration"]["dvcqg"]["error"] is None
            assert m.readyz()["integration"]["dvcqg"]["failingDossiers"] == 0
            portal.portal.always = "500"  # the portal goes down
            write_dossiers(settings, 1)
            wait_for(lambda: m.readyz()["integration"]["dvcqg"]["failingDossiers"] == 1)
            ready = m.readyz()
            assert ready["status"] == "degraded"
            assert "503" in ready["integration"]["dvcqg"]["error"]
            with m.client() as client:
                metrics = client.get("/metrics").text
            assert "motcua_dvcqg_failing_dossiers 1.0" in metrics
            # 1.4 on the served monitoring API: two dossiers the portal took.
            monitor = m.tokens.issue(AccessLevel.MONITOR, subject="monitor-1")
            assert synced(m, monitor) == (2, 3)
            portal.portal.always = None
            wait_for(lambda: len(portal.portal.dossiers) == 3)
            wait_for(lambda: m.readyz()["status"] == "ok")
            wait_for(lambda: synced(m, monitor) == (3, 3))
    assert all(d["TrangThaiHoSo"] == "2" for d in portal.portal.dossiers.values())
    assert len(portal.portal.dossiers) == 3


def test_integrator_refuses_bad_settings_and_an_empty_configuration(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    settings = seeded_settings(tmp_path / "d")
    for extra, expected in (
        ({}, "MOTCUA_NATS_URL"),
        ({"MOTCUA_DVCQG_URL": "ftp://portal"}, "MOTCUA_DVCQG_URL"),
        ({"MOTCUA_PROVINCE": "H3.4"}, "MOTCUA_PROVINCE"),
        ({"MOTCUA_DVCQG_URL": "http://portal"}, "MOTCUA_DVCQG_USERNAME"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "integrator"],
            env=motcua_env(settings, extra),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert expected in done.stderr
        assert "Traceback" not in done.stderr


def test_integrator_stops_cleanly_on_sigterm(
    tmp_path: Path, nats_server: TemporaryNats
) -> None:
    province = fresh_province()
    settings = seeded_settings(tmp_path / "d", options={"PROVINCE": province})
    env = motcua_env(settings, {"MOTCUA_NATS_URL": nats_server.url})
    process = Process(["integrator"], env, tmp_path / "integrator.log")
    process.start()
    try:
        head = write_dossiers(settings, 1)
        wait_for(lambda: len(stream_messages(nats_server.url, province)) == head)
    finally:
        process.stop(signal.SIGTERM)
    assert process.popen is not None
    assert process.popen.returncode == 0, process.output()
    assert "Traceback" not in process.output()
