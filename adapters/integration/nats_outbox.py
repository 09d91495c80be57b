"""The outbox to NATS JetStream: the event log, in order, onto the province stream.

The event log *is* the outbox: the follower reads notifications after its
position, publishes each (``Nats-Msg-Id`` = event id), waits for JetStream's
acknowledgements of the whole batch and only then moves its position, in one
statement. A crash or an outage between publish and position write republishes
the batch; JetStream drops the copies it already holds (duplicate window), so
a deduplicating consumer sees each event once. While NATS is down the batch is
retried with backoff, the error is recorded with the position (``/readyz``,
``/metrics``) and the backlog simply grows in the log — nothing is lost.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

import nats
import structlog
from eventsourcing.application import Application
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from adapters.integration import envelope
from adapters.integration.outbox_options import OutboxOptions
from adapters.integration.positions import Positions
from projections.dead_letters import describe
from projections.ports import ReadStore

if TYPE_CHECKING:
    from adapters.integration.inbox import Courier

log = structlog.get_logger("integrator")

NAME = "nats"
IDLE_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 5.0


async def ensure_stream(js: JetStreamContext, province: str, window: int) -> None:
    """Create the province's stream when it is missing (never changes an existing one)."""
    name = envelope.stream_name(province)
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=name,
                subjects=[envelope.subjects(province)],
                storage=StorageType.FILE,
                duplicate_window=float(window),
            )
        )
        log.info("stream_created", stream=name, duplicate_window=window)


class NatsOutbox:
    """Publishes the log to JetStream; ``run`` until ``stop`` is set."""

    name = NAME

    def __init__(
        self,
        app: Application[UUID],
        store: ReadStore,
        options: OutboxOptions,
        courier: Courier | None = None,
    ) -> None:
        self.app = app
        self.courier = courier
        """Adds the cross-province messages of each batch (``inbox.Courier``)."""
        self._streams: set[str] = set()
        self.options = options
        self.positions = Positions(store, NAME)
        self.published = 0
        """Messages JetStream stored (acknowledged, not duplicates) by this process."""
        self.duplicates = 0
        """Republished messages JetStream recognised and dropped."""
        self.connected = False
        self._position: int | None = None

    async def _connect(self) -> tuple[NatsClient, JetStreamContext]:
        async def quiet(error: Exception) -> None:
            log.debug("nats_client_error", error=describe(error))

        async def disconnected() -> None:
            self.connected = False

        nc = await asyncio.wait_for(
            nats.connect(
                self.options.url,
                connect_timeout=2,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=quiet,
                disconnected_cb=disconnected,
            ),
            timeout=self.options.ack_timeout + 2,
        )
        js = nc.jetstream(
            timeout=self.options.ack_timeout,
            # A batch may add one cross-province message per event.
            publish_async_max_pending=2 * max(self.options.batch_size, 1),
        )
        await ensure_stream(js, self.options.province, self.options.duplicate_window)
        self.connected = True
        self._streams = {self.options.province}
        self._position = None  # read again: an operator may have reset it
        log.info("nats_connected", url=self.options.url)
        return nc, js

    async def publish_batch(self, js: JetStreamContext) -> int:
        """Publish the next batch and move the position; how many it covered."""
        position = self._position
        if position is None:  # read once per connection; only this follower moves it
            position = self._position = await asyncio.to_thread(self.positions.position)
        notifications = await asyncio.to_thread(
            self.app.recorder.select_notifications,
            start=position,
            limit=self.options.batch_size,
            inclusive_of_start=False,
        )
        if not notifications:
            return 0
        confirm = getattr(self.app.recorder, "confirm_durable", None)
        if confirm is not None:  # PostgreSQL: nothing leaves before it is on disk
            await asyncio.to_thread(confirm)
        mapper = self.app.mapper
        province = self.options.province
        pending = []
        for notification in notifications:
            pending.append(
                await js.publish_async(
                    envelope.subject(province, notification.topic),
                    envelope.body(province, mapper, notification),
                    # No wait_stall: at most a batch is pending (the limit), and a
                    # timed wait would yield per message, one socket write each.
                    headers=envelope.headers(notification),
                )
            )
        if self.courier is not None:
            for message in await asyncio.to_thread(
                self.courier.messages, notifications
            ):
                if message.province not in self._streams:
                    # The peer's instance may not have created its stream yet.
                    await ensure_stream(
                        js, message.province, self.options.duplicate_window
                    )
                    self._streams.add(message.province)
                pending.append(
                    await js.publish_async(
                        message.subject, message.body, headers=message.headers
                    )
                )
        acks = await asyncio.wait_for(
            asyncio.gather(*pending), timeout=self.options.ack_timeout
        )
        duplicates = sum(1 for ack in acks if ack.duplicate)
        await asyncio.to_thread(self.positions.advance, notifications[-1].id)
        self._position = notifications[-1].id
        self.duplicates += duplicates
        self.published += len(acks) - duplicates
        return len(notifications)

    async def run(
        self,
        stop: threading.Event,
        wakeup: Callable[[float], None] | None = None,
    ) -> None:
        nc: NatsClient | None = None
        js: JetStreamContext | None = None
        backoff = 0.2
        try:
            while not stop.is_set():
                try:
                    if nc is None or js is None:
                        nc, js = await self._connect()
                    count = await self.publish_batch(js)
                    backoff = 0.2
                    if count == 0:
                        await asyncio.to_thread(wakeup or stop.wait, IDLE_SECONDS)
                except Exception as error:
                    self.connected = False
                    self._position = None
                    await self._failed(error)
                    await _close(nc)
                    nc, js = None, None
                    await asyncio.to_thread(stop.wait, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            await _close(nc)

    async def _failed(self, error: Exception) -> None:
        text = describe(error)
        if isinstance(error, asyncio.TimeoutError | TimeoutError):
            text = f"NATS did not acknowledge in time ({text})"
        log.warning("outbox_publish_failed", error=text)
        try:
            await asyncio.to_thread(self.positions.failed, text)
        except Exception:
            log.exception("outbox_state_not_recorded")


async def _close(nc: NatsClient | None) -> None:
    if nc is None:
        return
    try:
        await asyncio.wait_for(nc.close(), timeout=2)
    except Exception:  # a dead connection: nothing left to flush
        log.debug("nats_close_failed")
