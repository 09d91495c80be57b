"""indicatorsChanged over a real websocket to a served process: the first report
at once, then a new one after a dossier of the period is received."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from api.auth import AccessLevel
from domain.values import Role
from tests.api.conftest import RECEIVE
from tests.factories import APPLICANT, BIRTH, PROVINCE
from tests.integration.test_served_websockets import Live
from tests.served import seeded_settings, served

SUBSCRIBE = """
subscription S($agency: String!, $from: Date!, $to: Date!) {
  indicatorsChanged(agencyCode: $agency, from: $from, to: $to, intervalSeconds: 0.5) {
    total { indicators { code denominator } }
  }
}
"""


def received(message: dict[str, object]) -> int:
    payload = message["payload"]
    assert isinstance(payload, dict), message
    data = payload["data"]
    figures = data["indicatorsChanged"]["total"]["indicators"]
    return next(int(f["denominator"]) for f in figures if f["code"] == "2.1")


def test_a_monitor_is_told_when_the_figures_of_the_period_change(
    tmp_path: Path,
) -> None:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    period = {
        "agency": PROVINCE,
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    with served(seeded_settings(tmp_path / "d")) as motcua:
        monitor = motcua.tokens.issue(AccessLevel.MONITOR, subject="monitor-1")
        live = Live(
            motcua, "graphql-transport-ws", {"Authorization": f"Bearer {monitor}"}
        )
        try:
            live.operation("1", SUBSCRIBE, period)
            first = live.receive()
            assert first["type"] == "next", first
            assert received(first) == 0

            desk = motcua.tokens.issue(
                AccessLevel.OFFICER,
                subject="desk-1",
                agency=PROVINCE,
                department="TTPVHCC",
                roles=[Role.DESK],
            )
            answer = motcua.graphql(
                RECEIVE,
                {
                    "procedure": BIRTH,
                    "applicantId": APPLICANT.id,
                    "name": APPLICANT.name,
                },
                token=desk,
            ).json()
            assert answer["data"]["receiveDossier"]["__typename"] == "DossierReceived"

            second = live.receive()
            assert second["type"] == "next", second
            assert received(second) == 1
        finally:
            live.close()

        citizen = motcua.tokens.issue(
            AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2
        )
        refused = Live(
            motcua, "graphql-transport-ws", {"Authorization": f"Bearer {citizen}"}
        )
        try:
            refused.operation("1", SUBSCRIBE, period)
            error = refused.receive()
            assert error["payload"]["data"] is None, error
            assert error["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        finally:
            refused.close()
