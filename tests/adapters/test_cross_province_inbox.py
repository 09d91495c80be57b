"""The inbox's handling of one message, without NATS: what it stores, what it drops."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from adapters.integration.inbox import Inbox
from adapters.settings import persistence_env
from application.onestop import OneStop
from domain.cross_province import ForwardRequest, ProvinceReport
from domain.dossier_status import DossierStatus
from domain.dossier_values import Channel, Holder
from tests.factories import APPLICANT, BIRTH
from tests.peer_province import PEER_JUSTICE, seed_peer


@pytest.fixture
def b() -> Iterator[OneStop]:
    app = OneStop(env=persistence_env("memory://"))
    seed_peer(app)
    yield app
    app.close()


def inbox(app: OneStop) -> Inbox:
    return Inbox(app, "nats://127.0.0.1:1", "H35", 60, 1.0, frozenset({"H34"}))


def request(province: str = "H34", target: str = PEER_JUSTICE) -> ForwardRequest:
    return ForwardRequest(
        source_province=province,
        source_id=uuid4(),
        source_version=5,
        source_code=f"000.00.00.{province}-260302-0001",
        applicant=APPLICANT,
        procedure_code=BIRTH,
        channel=Channel.DESK,
        summary="",
        to_holder=Holder(target),
        note="",
    )


def encoded(app: OneStop, kind: str, value: object) -> bytes:
    body: bytes = app.mapper.transcoder.encode({"kind": kind, "value": value})
    return body


def test_a_peer_request_opens_the_child_once(b: OneStop) -> None:
    sent = request()
    message = encoded(b, "forward", sent)
    inbox(b).handle(message)
    inbox(b).handle(message)
    child = b.get_dossier(sent.child_id)
    assert child.version == 1
    assert child.state.source_code == sent.source_code


@pytest.mark.parametrize("province", ["H36", "H99"])
def test_a_request_from_a_province_that_is_not_a_peer_opens_nothing(
    b: OneStop, province: str
) -> None:
    head = b.recorder.max_notification_id()
    sent = request(province, PEER_JUSTICE)
    inbox(b).handle(encoded(b, "forward", sent))
    assert not b.id_taken(sent.child_id)
    assert b.recorder.max_notification_id() == head


@pytest.mark.parametrize("data", [b"", b"{", b'{"kind": "forward"}', b"[1, 2]"])
def test_an_unreadable_message_is_dropped(b: OneStop, data: bytes) -> None:
    head = b.recorder.max_notification_id()
    inbox(b).handle(data)
    assert b.recorder.max_notification_id() == head


def test_a_report_about_an_unknown_dossier_writes_nothing(b: OneStop) -> None:
    head = b.recorder.max_notification_id()
    report = ProvinceReport(
        province="H34",
        source_id=uuid4(),
        child_id=uuid4(),
        child_version=2,
        status=DossierStatus.IN_PROGRESS,
    )
    inbox(b).handle(encoded(b, "report", report))
    assert b.recorder.max_notification_id() == head
