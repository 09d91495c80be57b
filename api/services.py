"""Everything a request needs, built once per process in the app's lifespan."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import orjson
import structlog

from adapters.cache.factory import CacheBackends, build_cache_backends
from adapters.settings import Settings
from api.auth import AuthSettings, TokenVerifier
from api.health import DEFAULT_READY_MAX_LAG, ReadSideMetrics, positive_option
from api.live import (
    FOLLOW_SECONDS,
    CacheInvalidator,
    ChangeListener,
    OutsideChanges,
    StatusFeed,
)
from api.live import (
    status_key as status_key,
)
from api.metrics import ApiMetrics
from api.wiring import build_application, build_projector, build_read_store
from application.onestop import OneStop
from projections.catalogue import CatalogueView
from projections.citizen import CitizenView
from projections.control_sheet import ControlSheetView
from projections.ports import ReadStore
from projections.public_status import PublicStatus, PublicStatusView
from projections.runtime import Doorbell, Projector
from projections.timeline import TimelineView
from projections.worklist import WorklistView

log = structlog.get_logger("services")


def encode_status(status: PublicStatus) -> bytes:
    return orjson.dumps({"code": status.code, "completion": status.completion.value})


@dataclass
class Services:
    settings: Settings
    onestop: OneStop
    store: ReadStore
    projector: Projector
    verifier: TokenVerifier
    caches: CacheBackends
    metrics: ApiMetrics
    public: PublicStatusView
    worklist: WorklistView
    citizen: CitizenView
    timeline: TimelineView
    catalogue: CatalogueView
    control_sheet: ControlSheetView
    cache_enabled: bool
    lookup_limit: int
    lookup_window_seconds: int
    embedded: bool
    read_side: ReadSideMetrics
    feed: StatusFeed
    ready_max_lag: int
    subscription_seconds: int
    subscription_idle_seconds: int
    subscriptions_per_connection: int
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _doorbell: Doorbell | None = None
    _listener: ChangeListener | None = None

    def start_followers(self, loop: asyncio.AbstractEventLoop) -> None:
        """The embedded projector if configured, and the feed of live updates."""
        if self.embedded:
            self.start_embedded_projector(loop)
        if self.settings.is_postgres:
            # The projector may be another process: its NOTIFY reaches us here.
            self._listener = ChangeListener(self.settings.database_url, self.feed, loop)
            self._listener.start()
        else:
            self.projector.committed.append(
                lambda changes: self.feed.publish_from_thread(loop, changes)
            )

    def start_embedded_projector(self, loop: asyncio.AbstractEventLoop) -> None:
        """Follow the log in this process (embedded default, or when configured)."""
        doorbell = self._doorbell = Doorbell()
        self.onestop.subscribe(doorbell.ring)
        if self.cache_enabled:
            invalidate = CacheInvalidator(self.caches.lookup_cache, loop)
            self.projector.listeners.append(invalidate)
        self.projector.on_dead_letter.append(
            lambda name: self.read_side.dead_lettered.labels(name).inc()
        )
        outside = OutsideChanges(
            self.store,
            self.caches.lookup_cache if self.cache_enabled else None,
            self.feed,
            loop,
        )

        def follow(_: float) -> None:
            try:
                outside.poll()
            except Exception:
                log.exception("outside_changes_failed")
            doorbell.wait(FOLLOW_SECONDS)

        self._thread = threading.Thread(
            target=self.projector.run_forever,
            args=(self._stop, follow),
            name="motcua-projector",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
        self._stop.set()
        if self._doorbell is not None:
            self._doorbell.ring()  # the follower sleeps in the doorbell, not on stop
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.store.close()
        self.onestop.close()


def build_services(settings: Settings, metrics: ApiMetrics) -> Services:
    onestop = build_application(settings)
    store = build_read_store(settings)
    projector = build_projector(onestop, store)
    embedded = (
        not settings.is_postgres or settings.options.get("PROJECTOR") == "embedded"
    )
    caches = build_cache_backends(settings, metrics.registry)
    return Services(
        settings=settings,
        onestop=onestop,
        store=store,
        projector=projector,
        verifier=TokenVerifier(AuthSettings.from_settings(settings)),
        caches=caches,
        metrics=metrics,
        public=PublicStatusView(store),
        worklist=WorklistView(store),
        citizen=CitizenView(store),
        timeline=TimelineView(store),
        catalogue=CatalogueView(store),
        control_sheet=ControlSheetView(store),
        cache_enabled=embedded or settings.redis_url is not None,
        lookup_limit=int(settings.options.get("LOOKUP_RATE_LIMIT", "60")),
        lookup_window_seconds=int(settings.options.get("LOOKUP_RATE_WINDOW", "60")),
        embedded=embedded,
        read_side=ReadSideMetrics.create(metrics.registry),
        feed=StatusFeed(positive_option(settings, "SUBSCRIPTIONS_MAX", 1000)),
        ready_max_lag=positive_option(settings, "READY_MAX_LAG", DEFAULT_READY_MAX_LAG),
        subscription_seconds=positive_option(settings, "SUBSCRIPTION_SECONDS", 3600),
        subscription_idle_seconds=positive_option(
            settings, "SUBSCRIPTION_IDLE_SECONDS", 600
        ),
        subscriptions_per_connection=positive_option(
            settings, "SUBSCRIPTIONS_PER_CONNECTION", 10
        ),
    )
