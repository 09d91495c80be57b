"""Two provinces, two ``motcua serve`` processes (two databases), one NATS.

Province A (H34) forwards a dossier to a competent agency of province B (H35)
over GraphQL; B's instance opens the linked child, B processes it and A's one
dossier follows (R-17). Also: a redelivered request and reports, NATS down in
the middle, B refusing, an unknown province.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import nats
import pytest

from adapters.integration import envelope
from adapters.integration.inbox import inbox_subject
from adapters.settings import Settings
from api.auth import AccessLevel
from api.wiring import build_application
from domain import cross_province as across
from domain.dossier_status import DossierStatus
from domain.values import Role
from tests.dvcqg_portal import PASSWORD, USERNAME, PortalServer
from tests.factories import APPLICANT, PROVINCE, at, desk, digitize_and_sign, receive
from tests.peer_province import PEER_JUSTICE, PEER_PROVINCE, peer_result, seed_peer
from tests.pki import ensure_pki
from tests.served import Served, motcua_env, seeded_settings, served
from tests.services import TemporaryNats

pytestmark = pytest.mark.nats

FORWARD = """
mutation($code: String!, $to: String!) {
  forwardDossier(dossier: {code: $code}, toAgencyCode: $to) {
    __typename
    ... on DossierUpdated { event version logPosition }
    ... on InvalidInput { errorCode message }
  }
}"""
RECEIVE = """
mutation($id: ID!) {
  receiveDossier(input: {dossierId: $id}) {
    __typename ... on DossierReceived { code }
  }
}"""
REFUSE = """
mutation($id: ID!) {
  refuseDossier(dossier: {dossierId: $id}, reason: "Không đúng thẩm quyền") {
    __typename
  }
}"""
RETURN = """
mutation($code: String!) {
  returnResult(dossier: {code: $code}, method: DESK) {
    __typename ... on DossierUpdated { event }
  }
}"""
CITIZEN = """
query($code: String!) {
  dossier(code: $code) { code status agencyCode results { resultCode } }
}"""
OFFICER = """
query($code: String!) {
  officerDossier(code: $code) {
    status holderAgency crossBoundary { state label province code }
  }
}"""
WALK_RECEIVE = """
mutation($procedure: String!) {
  receiveDossier(input: {procedureCode: $procedure, applicantId: "062000000001",
    applicantName: "Nguyễn Văn A", summary: "Chứng thực bản sao"}) {
    __typename ... on DossierReceived { dossierId code }
    ... on InvalidInput { errorCode message }
  }
}"""
WALK_PROCEDURE = "2.000815"  # district level, nothing to digitize: forwardable at once
A_DISTRICT = "000.00.23.H34"
B_DISTRICT = "000.00.23.H35"
PUBLIC = "query($code: String!) { dossierStatus(code: $code) { code completion } }"


def wait_for(condition: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def peer_settings(
    data_dir: Path, options: dict[str, str], database_url: str | None = None
) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=database_url or f"sqlite:///{data_dir / 'motcua.db'}",
        redis_url=None,
        data_dir=data_dir,
        options=options,
    )
    app = build_application(settings)
    try:
        seed_peer(app)
    finally:
        app.close()
    return settings


@contextmanager
def two_provinces(
    tmp_path: Path, nats_url: str, b_database_url: str | None = None
) -> Iterator[tuple[Served, Served]]:
    """A on SQLite (integrator inside ``serve``); B on SQLite too, or on
    PostgreSQL with a separate ``motcua projector`` and ``motcua integrator``."""
    env = {"MOTCUA_NATS_URL": nats_url, "MOTCUA_NATS_ACK_TIMEOUT": "1"}
    a_settings = seeded_settings(
        tmp_path / "a", options={"PROVINCE": "H34", "PEER_PROVINCES": "H35"}
    )
    b_settings = peer_settings(
        tmp_path / "b", {"PROVINCE": "H35", "PEER_PROVINCES": "H34"}, b_database_url
    )
    separate = b_database_url is not None
    with (
        served(a_settings, extra_env=env) as a,
        served(b_settings, extra_env=env, projector=separate, integrator=separate) as b,
    ):
        yield a, b


def received_and_signed(settings: Settings) -> tuple[UUID, str]:
    app = ensure_pki(build_application(settings))
    try:
        reception = receive(app, when=at(0, 8))
        digitize_and_sign(app, reception.dossier_id, at(0, 8))
        return reception.dossier_id, reception.code
    finally:
        app.close()


def read(settings: Settings, dossier_id: UUID) -> Any:
    app = build_application(settings)
    try:
        return app.repository.get(dossier_id)
    except Exception:
        return None
    finally:
        app.close()


def desk_token(m: Served, agency: str) -> str:
    return m.tokens.issue(
        AccessLevel.OFFICER,
        subject=f"desk-{agency}",
        agency=agency,
        department="TTPVHCC",
        roles=[Role.DESK],
    )


def citizen_token(m: Served) -> str:
    return m.tokens.issue(AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2)


def data(response: Any) -> dict[str, Any]:
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


def forward(a: Served, code: str, to: str = PEER_JUSTICE) -> dict[str, Any]:
    result: dict[str, Any] = data(
        a.graphql(FORWARD, {"code": code, "to": to}, token=desk_token(a, PROVINCE))
    )["forwardDossier"]
    return result


def officer_view(m: Served, code: str, agency: str = PROVINCE) -> dict[str, Any]:
    found: dict[str, Any] = data(
        m.graphql(OFFICER, {"code": code}, token=desk_token(m, agency))
    )["officerDossier"]
    return found


def cross_state(m: Served, code: str, agency: str = PROVINCE) -> int | None:
    found = officer_view(m, code, agency)["crossBoundary"]
    return None if found is None else int(found["state"])


def citizen_view(a: Served, code: str) -> dict[str, Any]:
    found: dict[str, Any] = data(
        a.graphql(CITIZEN, {"code": code}, token=citizen_token(a))
    )["dossier"]
    return found


def child_of(source: UUID, version: int) -> UUID:
    return across.child_id("H34", across.event_id(source, version))


def b_processes(settings: Settings, child: UUID) -> None:
    """B's desk digitizes and signs, its Justice department resolves."""
    from tests.factories import document, leader, trace

    app = ensure_pki(build_application(settings))
    try:
        for component in ("TP1", "TP2"):
            officer = trace(desk(PEER_PROVINCE), at(1, 8))
            app.digitize_component(
                child,
                trace=officer,
                component_code=component,
                document=document(component, app),
            )
            app.sign_component(child, trace=officer, component_code=component)
        from domain.dossier_values import Holder

        app.forward_dossier(
            child, trace=trace(desk(PEER_PROVINCE), at(1, 9)), to=Holder(PEER_JUSTICE)
        )
        app.resolve_dossier(
            child,
            trace=trace(leader(PEER_JUSTICE), at(1, 14)),
            results=(peer_result(app),),
            decision="Cấp giấy khai sinh",
        )
    finally:
        app.close()


async def _republish(url: str, province: str) -> int:
    """Publish every inbox message of ``province`` again under a new message id
    (what a redelivery after a lost acknowledgement looks like to the inbox)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        stream = envelope.stream_name(province)
        info = await js.stream_info(stream)
        count = 0
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq)
            if not str(msg.subject).startswith(inbox_subject(province, "")):
                continue
            headers = dict(msg.headers or {})
            headers["Nats-Msg-Id"] = f"again/{headers.get('Nats-Msg-Id')}"
            await js.publish(str(msg.subject), msg.data or b"", headers=headers)
            count += 1
        return count
    finally:
        await nc.close()


def test_forward_process_return_redeliver_and_nats_restart(tmp_path: Path) -> None:
    with TemporaryNats() as server, two_provinces(tmp_path, server.url) as (a, b):
        source, code = received_and_signed(a.settings)
        forwarded = forward(a, code)
        assert forwarded["__typename"] == "DossierUpdated", forwarded
        assert forwarded["event"] == "ForwardedToProvince"
        child = child_of(source, forwarded["version"])
        wait_for(lambda: cross_state(a, code) == 4)  # awaiting the receiving unit
        assert officer_view(a, code)["crossBoundary"]["province"] == "H35"

        opened = wait_for(lambda: read(b.settings, child))
        assert opened.status is DossierStatus.SUBMITTED
        assert opened.state.source_code == code
        received = data(
            b.graphql(RECEIVE, {"id": str(child)}, token=desk_token(b, PEER_PROVINCE))
        )["receiveDossier"]
        assert received["__typename"] == "DossierReceived", received
        b_code = received["code"]
        wait_for(lambda: read(a.settings, source).state.across_code == b_code)
        wait_for(lambda: cross_state(a, code) == 1)  # received by B
        assert officer_view(a, code)["crossBoundary"]["code"] == b_code
        child_view = officer_view(b, b_code, PEER_PROVINCE)["crossBoundary"]
        assert child_view == {
            "state": None,
            "label": None,
            "province": "H34",
            "code": code,
        }
        assert (
            read(a.settings, source).state.across_state
            is across.CrossBoundaryState.RECEIVED
        )

        server._shutdown()  # NATS goes away while B works on the child
        b_processes(b.settings, child)
        time.sleep(2)
        assert read(a.settings, source).status is DossierStatus.IN_PROGRESS
        server._launch()  # same port, same JetStream directory: the backlog flows

        done = wait_for(
            lambda: (
                (d := read(a.settings, source)).status is DossierStatus.RESOLVED and d
            )
        )
        assert done.state.across_state is across.CrossBoundaryState.RETURNED
        assert [r.result_code for r in done.results] == ["KQ.H35.000001"]
        view = wait_for(
            lambda: (v := citizen_view(a, code))["status"] == "RESOLVED" and v
        )
        assert view["code"] == code
        assert view["results"] == []  # hidden until A returns it
        wait_for(lambda: cross_state(a, code) == 3)  # result returned by B
        public = data(a.graphql(PUBLIC, {"code": code}))["dossierStatus"]
        assert public == {"code": code, "completion": "RESULT_READY"}

        # Redelivery: every inbox message once more, on both sides.
        a_version, b_version = done.version, read(b.settings, child).version
        assert asyncio.run(_republish(server.url, "H35")) >= 1
        assert asyncio.run(_republish(server.url, "H34")) >= 3
        time.sleep(3)
        assert read(a.settings, source).version == a_version
        assert read(b.settings, child).version == b_version

        returned = data(
            a.graphql(RETURN, {"code": code}, token=desk_token(a, PROVINCE))
        )["returnResult"]
        assert returned["__typename"] == "DossierUpdated", returned
        assert read(a.settings, source).status is DossierStatus.RETURNED
        view = wait_for(
            lambda: (v := citizen_view(a, code))["status"] == "RETURNED" and v
        )
        assert [r["resultCode"] for r in view["results"]] == ["KQ.H35.000001"]


def test_b_refuses_and_unknown_province_is_refused(tmp_path: Path) -> None:
    with TemporaryNats() as server, two_provinces(tmp_path, server.url) as (a, b):
        source, code = received_and_signed(a.settings)

        before = read(a.settings, source).version
        unknown = forward(a, code, "000.00.12.H36")
        assert unknown["__typename"] == "InvalidInput", unknown
        assert unknown["errorCode"] == "UNKNOWN_PROVINCE"
        assert "H36" in unknown["message"]
        assert read(a.settings, source).version == before

        forwarded = forward(a, code)
        child = child_of(source, forwarded["version"])
        wait_for(lambda: read(b.settings, child))
        refused = data(
            b.graphql(REFUSE, {"id": str(child)}, token=desk_token(b, PEER_PROVINCE))
        )["refuseDossier"]
        assert refused["__typename"] == "DossierUpdated", refused
        back = wait_for(
            lambda: (
                (d := read(a.settings, source)).state.across_state is None
                and d.version > forwarded["version"]
                and d
            )
        )
        assert back.status is DossierStatus.IN_PROGRESS
        assert back.holder.agency_code == PROVINCE

        # A request B cannot open (no such agency there) is refused by B's inbox.
        again = forward(a, code, "000.00.15.H35")
        assert again["__typename"] == "DossierUpdated", again
        refusal_id = child_of(source, again["version"])
        refusal = wait_for(lambda: read(b.settings, refusal_id))
        assert isinstance(refusal, across.InboundRefusal)
        assert refusal.error_code == "NOT_COMPETENT_IN_PROVINCE"
        wait_for(lambda: read(a.settings, source).state.across_state is None)


def test_b_on_postgresql_with_a_separate_integrator(
    tmp_path: Path, postgres_url: str
) -> None:
    with (
        TemporaryNats() as server,
        two_provinces(tmp_path, server.url, postgres_url) as (a, b),
    ):
        source, code = received_and_signed(a.settings)
        forwarded = forward(a, code)
        assert forwarded["__typename"] == "DossierUpdated", forwarded
        child = child_of(source, forwarded["version"])
        wait_for(lambda: read(b.settings, child))
        received = data(
            b.graphql(RECEIVE, {"id": str(child)}, token=desk_token(b, PEER_PROVINCE))
        )["receiveDossier"]
        assert received["__typename"] == "DossierReceived", received
        b_processes(b.settings, child)
        done = wait_for(
            lambda: (
                (d := read(a.settings, source)).status is DossierStatus.RESOLVED and d
            )
        )
        assert done.state.across_code == received["code"]
        assert done.state.across_state is across.CrossBoundaryState.RETURNED


def demo_settings(data_dir: Path, options: dict[str, str], *args: str) -> Settings:
    """Settings of an instance seeded by ``motcua demo`` itself (the README's way)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=f"sqlite:///{data_dir / 'motcua.db'}",
        redis_url=None,
        data_dir=data_dir,
        options=options,
    )
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", *args],
        env=motcua_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return settings


def integration(m: Served) -> dict[str, Any]:
    found: dict[str, Any] = m.readyz()["integration"]
    return found


def test_walkthrough_demo_provinces_forward_and_inbox_status(tmp_path: Path) -> None:
    """The README's *Two provinces side by side*: A = the Kon Tum demo before the
    reorganisation, B = ``demo --province H35``; a desk dossier of a district
    procedure received and forwarded over GraphQL; B's inbox in /readyz and
    /metrics while NATS is down and after."""
    a_settings = demo_settings(
        tmp_path / "a",
        {"PROVINCE": "H34", "PEER_PROVINCES": "H35"},
        "--dossiers", "0", "--until", "2025-06-30",
    )  # fmt: skip
    b_settings = demo_settings(
        tmp_path / "b",
        {"PROVINCE": "H35", "PEER_PROVINCES": "H34"},
        "--province", "H35", "--dossiers", "0",
    )  # fmt: skip
    with TemporaryNats() as server, PortalServer() as portal:
        env = {"MOTCUA_NATS_URL": server.url, "MOTCUA_NATS_ACK_TIMEOUT": "1"}
        synced = {
            "MOTCUA_DVCQG_URL": portal.url,
            "MOTCUA_DVCQG_AUTH_URL": portal.auth_url,
            "MOTCUA_DVCQG_USERNAME": USERNAME,
            "MOTCUA_DVCQG_PASSWORD": PASSWORD,
        }
        with (
            served(a_settings, extra_env=env | synced) as a,
            served(b_settings, extra_env=env) as b,
        ):
            a_desk = desk_token(a, A_DISTRICT)
            received = data(
                a.graphql(WALK_RECEIVE, {"procedure": WALK_PROCEDURE}, token=a_desk)
            )["receiveDossier"]
            assert received["__typename"] == "DossierReceived", received
            code = received["code"]
            forwarded = data(
                a.graphql(FORWARD, {"code": code, "to": B_DISTRICT}, token=a_desk)
            )["forwardDossier"]
            assert forwarded["__typename"] == "DossierUpdated", forwarded
            child = across.child_id(
                "H34",
                across.event_id(UUID(received["dossierId"]), forwarded["version"]),
            )
            opened = wait_for(lambda: read(b.settings, child))
            assert opened.holder.agency_code == B_DISTRICT
            inbox = wait_for(
                lambda: (i := integration(b).get("inbox")) and i["position"] and i
            )
            assert inbox["backlog"] == 0
            assert inbox["error"] is None

            server._shutdown()
            wait_for(lambda: integration(b)["inbox"]["error"])
            assert b.readyz()["status"] == "degraded"
            with b.client() as client:
                text = client.get("/metrics").text
            assert 'motcua_integration_failing{follower="inbox"} 1.0' in text
            assert 'motcua_integration_backlog_events{follower="inbox"}' in text
            server._launch()

            wait_for(lambda: integration(b)["inbox"]["error"] is None)
            b_desk = desk_token(b, B_DISTRICT)
            got = data(b.graphql(RECEIVE, {"id": str(child)}, token=b_desk))
            assert got["receiveDossier"]["__typename"] == "DossierReceived", got
            b_code = got["receiveDossier"]["code"]
            wait_for(lambda: cross_state(a, code, A_DISTRICT) == 1)
            assert officer_view(a, code, A_DISTRICT)["crossBoundary"]["code"] == b_code
            assert integration(b)["inbox"]["backlog"] == 0

            # The walkthrough follows the sync at the portal: A's dossier, never B's child.
            def at_portal() -> dict[str, Any]:
                held: dict[str, Any] = httpx.get(
                    f"http://127.0.0.1:{portal.port}/dossiers", timeout=10
                ).json()["dossiers"]
                return held

            wait_for(lambda: code in at_portal())
            assert b_code not in at_portal()
            assert at_portal()[code]["DonViXuLy"] == A_DISTRICT
