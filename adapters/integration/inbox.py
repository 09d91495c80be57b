"""Cross-province forwarding over NATS (R-17): the courier and the inbox.

Nothing here writes a second path out of the process. The *courier* rides on
the outbox (``NatsOutbox``): in the batch that publishes a ``ForwardedToProvince``
event it also publishes the forwarding request to ``motcua.<B>.inbox.forward``;
for every event of a child dossier (and an ``InboundRefusal``) it publishes a
report to ``motcua.<A>.inbox.report``. They are acknowledged with the batch and
the position moves only after, so they share the outbox's guarantees: log
order, ``Nats-Msg-Id`` = the event's id (JetStream drops republished copies),
a backlog while NATS is down. The *inbox* is a durable JetStream consumer of
``motcua.<own>.inbox.>``: it opens the child or records the report, and
acknowledges a message only after that is stored; both are idempotent (child
id from the source event; reports not newer than the last are ignored), so a
redelivery writes nothing twice.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import nats
import structlog
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from adapters.integration import envelope
from adapters.integration.nats_outbox import ensure_stream
from adapters.integration.positions import ConsumerPositions
from application import cross_province as cp
from application.onestop import OneStop
from domain import cross_province as across
from domain.errors import LabelledError
from domain.values import AgencyCode
from projections.dead_letters import describe
from projections.ports import ReadStore, Sql

log = structlog.get_logger("cross_province")

FORWARDED = across.ForwardedToProvince.TOPIC
OPENED = across.OpenedFromProvince.TOPIC
REFUSED = get_topic(across.InboundRefusal.Refused)
DOSSIER_EVENT = "domain.dossier:Dossier."
LINKS = "cross_province_links"
DURABLE = "motcua-inbox"
MAX_BACKOFF_SECONDS = 5.0


def inbox_subject(province: str, kind: str) -> str:
    return f"motcua.{province}.inbox.{kind}"


@dataclass(frozen=True)
class Outgoing:
    province: str
    subject: str
    body: bytes
    headers: dict[str, str]


class Courier:
    """The cross-province messages a batch of the log implies (for the outbox)."""

    def __init__(self, app: OneStop, store: ReadStore, province: str) -> None:
        self.app = app
        self.store = store
        self.province = province
        with store.schema() as sql:
            _ensure(sql)
        self._children: dict[str, tuple[str, UUID]] = {
            str(c): (str(p), UUID(str(s)))
            for c, p, s in store.query(
                f"SELECT child_id, source_province, source_id FROM {LINKS}"
            )
        }

    def messages(self, notifications: Sequence[Notification]) -> list[Outgoing]:
        found: list[Outgoing] = []
        for notification in notifications:
            topic = notification.topic
            if not topic.startswith(DOSSIER_EVENT) and topic != REFUSED:
                continue
            outgoing = self._message(notification, topic)
            if outgoing is not None:
                found.append(outgoing)
        return found

    def _message(self, notification: Notification, topic: str) -> Outgoing | None:
        dossier_id = UUID(str(notification.originator_id))
        version = notification.originator_version
        if topic == FORWARDED:
            request = cp.forward_request(self.app, self.province, dossier_id, version)
            if request is None:
                return None
            peer = AgencyCode(request.to_holder.agency_code).level1
            return self._outgoing(peer, "forward", notification, request)
        if topic == OPENED:
            self._link(dossier_id, version)
            return None
        if topic == REFUSED:
            refusal: object = self.app.repository.get(dossier_id)
            if not isinstance(refusal, across.InboundRefusal):
                return None
            report = cp.refusal_report(self.province, refusal)
            return self._outgoing(
                refusal.source_province, "report", notification, report
            )
        link = self._children.get(str(dossier_id))
        if link is None:
            return None
        source_province, source_id = link
        report = cp.report(self.app, self.province, source_id, dossier_id, version)
        return self._outgoing(source_province, "report", notification, report)

    def _link(self, child_id: UUID, version: int) -> None:
        found = list(self.app.events.get(child_id, gt=version - 1, lte=version))
        opened = found[0] if found else None
        if not isinstance(opened, across.OpenedFromProvince):
            return
        with self.store.transaction() as sql:
            sql.execute(
                f"INSERT INTO {LINKS} (child_id, source_province, source_id) "
                "VALUES (?, ?, ?) ON CONFLICT (child_id) DO NOTHING",
                (str(child_id), opened.source_province, str(opened.source_id)),
            )
        self._children[str(child_id)] = (opened.source_province, opened.source_id)

    def _outgoing(
        self, province: str, kind: str, notification: Notification, value: object
    ) -> Outgoing:
        body = self.app.mapper.transcoder.encode({"kind": kind, "value": value})
        return Outgoing(
            province,
            inbox_subject(province, kind),
            body,
            envelope.headers(notification),
        )


def _ensure(sql: Sql) -> None:
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {LINKS} (child_id TEXT PRIMARY KEY, "
        "source_province TEXT NOT NULL, source_id TEXT NOT NULL)"
    )


class Inbox:
    """Consumes this province's inbox; ``run`` until ``stop`` is set."""

    name = "inbox"

    def __init__(
        self,
        app: OneStop,
        url: str,
        province: str,
        window: int,
        timeout: float,
        peers: frozenset[str] = frozenset(),
        store: ReadStore | None = None,
    ) -> None:
        self.app = app
        self.positions = None if store is None else ConsumerPositions(store, "inbox")
        """Where ``/readyz`` and ``/metrics`` of any process read its backlog."""
        self.url = url
        self.province = province
        self.peers = peers
        """Only these provinces' messages are taken (others are dropped, logged)."""
        self.window = window
        self.timeout = timeout
        self.handled = 0
        """Messages stored (or found already stored) and acknowledged."""

    def handle(self, data: bytes) -> None:
        """Store what one message says (idempotent). A message that can never
        take effect (unreadable, from a province that is not a peer, refused by
        a rule) is logged and dropped; anything else raises, so it is not
        acknowledged and comes again."""
        try:
            message: dict[str, Any] = self.app.mapper.transcoder.decode(data)
            kind, value = message.get("kind"), message.get("value")
        except Exception as error:
            log.warning("cross_province_message_unreadable", error=describe(error))
            return
        if isinstance(value, across.ForwardRequest):
            sender = value.source_province
        elif isinstance(value, across.ProvinceReport):
            sender = value.province
        else:
            log.warning("cross_province_message_unknown", kind=kind)
            return
        if sender not in self.peers:
            log.warning("cross_province_message_not_from_a_peer", province=sender)
            return
        try:
            if isinstance(value, across.ForwardRequest):
                cp.open_child(self.app, value)
            else:
                cp.record_report(self.app, value)
        except LabelledError as error:
            log.warning("cross_province_message_refused", error=error.code)

    async def _connect(self) -> tuple[NatsClient, Any]:
        nc = await asyncio.wait_for(
            nats.connect(
                self.url,
                connect_timeout=2,
                allow_reconnect=False,
                max_reconnect_attempts=0,
            ),
            timeout=self.timeout + 2,
        )
        js = nc.jetstream(timeout=self.timeout)
        await ensure_stream(js, self.province, self.window)
        subscription = await js.pull_subscribe(
            inbox_subject(self.province, ">"),
            durable=DURABLE,
            stream=envelope.stream_name(self.province),
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
            ),
        )
        return nc, subscription

    async def _drain(self, subscription: Any) -> int:
        try:
            messages: list[Msg] = await subscription.fetch(50, timeout=1)
        except (TimeoutError, nats.errors.TimeoutError):
            await self._record(None, 0)
            return 0
        for msg in messages:
            await asyncio.to_thread(self.handle, msg.data)
            await msg.ack_sync(timeout=self.timeout)
            self.handled += 1
            await self._record(
                msg.metadata.sequence.stream, msg.metadata.num_pending or 0
            )
        return len(messages)

    async def _record(self, position: int | None, pending: int) -> None:
        if self.positions is not None:
            await asyncio.to_thread(self.positions.record, position, pending)

    async def run(
        self, stop: threading.Event, wakeup: Callable[[float], None] | None = None
    ) -> None:
        del wakeup  # messages arrive from NATS, not from this process's log
        nc: NatsClient | None = None
        subscription: Any = None
        backoff = 0.2
        try:
            while not stop.is_set():
                try:
                    if nc is None:
                        nc, subscription = await self._connect()
                        log.info("inbox_connected", province=self.province)
                    await self._drain(subscription)
                    backoff = 0.2
                except Exception as error:
                    log.warning("inbox_failed", error=describe(error))
                    if self.positions is not None:
                        await asyncio.to_thread(
                            self.positions.failed, describe(error) or "failed"
                        )
                    await _close(nc)
                    nc, subscription = None, None
                    await asyncio.to_thread(stop.wait, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            await _close(nc)


async def _close(nc: NatsClient | None) -> None:
    if nc is None:
        return
    try:
        await asyncio.wait_for(nc.close(), timeout=2)
    except Exception:
        log.debug("inbox_close_failed")
