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


def status_key(code: str) -> str:
    return f"status:{code}"


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
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _doorbell: Doorbell | None = None

    def start_embedded_projector(self, loop: asyncio.AbstractEventLoop) -> None:
        """Follow the log in this process (embedded default, or when configured)."""
        doorbell = self._doorbell = Doorbell()
        self.onestop.subscribe(doorbell.ring)
        self.projector.listeners.append(
            lambda changes: self._refresh_cache(changes, loop)
        )
        self._thread = threading.Thread(
            target=self.projector.run_forever,
            args=(self._stop, doorbell.wait),
            name="motcua-projector",
            daemon=True,
        )
        self._thread.start()

    def _refresh_cache(
        self, changes: dict[str, set[str]], loop: asyncio.AbstractEventLoop
    ) -> None:
        codes = changes.get("public_status")
        if not codes or not self.cache_enabled or loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(self.refresh_statuses(codes), loop)
        try:
            future.result(timeout=5)
        except Exception:
            log.exception("cache_refresh_failed")

    async def refresh_statuses(self, codes: set[str]) -> None:
        """Before the batch commits; a tombstone stops readers re-filling the old row."""
        await self.caches.lookup_cache.invalidate([status_key(c) for c in codes])

    def close(self) -> None:
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
    )
