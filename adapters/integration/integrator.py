"""The integrator: every configured follower of the log, each with its own position.

``motcua integrator`` runs it as its own process; on the embedded default
(SQLite, or ``MOTCUA_INTEGRATOR=embedded``) ``motcua serve`` runs it in a thread
of the worker that follows the log. Each follower runs on its own event loop
and thread, so a slow national portal never holds back NATS and vice versa.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Protocol
from uuid import UUID

from eventsourcing.application import Application

from adapters.dvcqg.client import PortalOptions
from adapters.dvcqg.sync import DvcqgSync, SyncOptions
from adapters.integration.outbox_options import OutboxOptions
from adapters.settings import Settings
from application.onestop import OneStop
from projections.ports import ReadStore


class Follower(Protocol):
    name: str

    async def run(
        self, stop: threading.Event, wakeup: Callable[[float], None] | None = None
    ) -> None: ...


def embedded(settings: Settings) -> bool:
    """Does ``motcua serve`` run the integrator itself?"""
    chosen = settings.value("INTEGRATOR")
    if chosen is not None:
        return bool(chosen == "embedded")
    return not settings.is_postgres


def outbox_options(settings: Settings) -> OutboxOptions | None:
    if settings.nats_url is None:
        return None
    return OutboxOptions(
        url=settings.nats_url,
        province=settings.value("PROVINCE"),
        batch_size=settings.value("INTEGRATOR_BATCH_SIZE"),
        duplicate_window=settings.value("NATS_DUPLICATE_WINDOW"),
        ack_timeout=float(settings.value("NATS_ACK_TIMEOUT")),
        peers=frozenset(settings.value("PEER_PROVINCES") or ()),
    )


def sync_options(settings: Settings) -> SyncOptions | None:
    url: str | None = settings.value("DVCQG_URL")
    if url is None:
        return None
    auth_url = settings.value("DVCQG_AUTH_URL") or url.rstrip("/") + "/login"
    portal = PortalOptions(
        url=url,
        auth_url=auth_url,
        username=settings.value("DVCQG_USERNAME") or "",
        password=settings.value("DVCQG_PASSWORD") or "",
        timeout=float(settings.value("DVCQG_TIMEOUT")),
        retries=settings.value("DVCQG_RETRIES"),
    )
    return SyncOptions(
        portal=portal,
        download_base_url=settings.value("DVCQG_DOWNLOAD_BASE_URL"),
        batch_size=settings.value("INTEGRATOR_BATCH_SIZE"),
    )


class Integrator:
    def __init__(self, followers: list[Follower]) -> None:
        self.followers = followers
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, wakeups: Callable[[], Callable[[float], None] | None]) -> None:
        """Each follower in its own thread; ``wakeups()`` gives each its own bell."""
        for follower in self.followers:
            self._threads.append(run_in_thread(follower, self.stop, wakeups()))

    def close(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout)


def build_integrator(
    settings: Settings, app: Application[UUID], store: ReadStore
) -> Integrator:
    followers: list[Follower] = []
    options = outbox_options(settings)
    if options is not None:
        # Here, not at the top: the NATS client is a third of a second of
        # every process start (API workers, CLI commands) that never uses it.
        from adapters.integration.inbox import Courier, Inbox
        from adapters.integration.nats_outbox import NatsOutbox

        courier = None
        if options.peers and isinstance(app, OneStop):
            # Cross-province forwarding: out with the outbox, in by the inbox.
            courier = Courier(app, store, options.province)
            followers.append(
                Inbox(
                    app,
                    options.url,
                    options.province,
                    options.duplicate_window,
                    options.ack_timeout,
                    options.peers,
                    store,
                )
            )
        followers.append(NatsOutbox(app, store, options, courier))
    sync = sync_options(settings)
    if sync is not None:
        followers.append(DvcqgSync(app, store, sync))
    return Integrator(followers)


def run_in_thread(
    follower: Follower,
    stop: threading.Event,
    wakeup: Callable[[float], None] | None = None,
) -> threading.Thread:
    """Run ``follower.run`` on its own event loop in a daemon thread."""
    thread = threading.Thread(
        target=lambda: asyncio.run(follower.run(stop, wakeup)),
        name=f"motcua-{follower.name}",
        daemon=True,
    )
    thread.start()
    return thread
