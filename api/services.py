"""Everything a request needs, built once per process in the app's lifespan."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
import structlog

from adapters.cache.factory import CacheBackends, build_cache_backends
from adapters.cache.page_changes import (
    InProcessPageChanges,
    PageChanges,
    SharedPageChanges,
)
from adapters.cache.pages import PAGE_READ_MODELS, PageCache, PageCacheCollector
from adapters.files.blobs import BlobStore
from adapters.files.scans import ScanLimits
from adapters.integration import integrator as integration
from adapters.settings import Settings
from adapters.workers import (
    Generation,
    LocalFanout,
    ProjectorLease,
    SharedGeneration,
    shared_dir,
)
from api.access_log import AccessJournal
from api.auth import AccessLevel, AuthSettings, Principal, TokenVerifier
from api.health import ReadSideMetrics
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
from api.read_your_writes import ReadYourWrites
from api.wiring import (
    build_application,
    build_blob_store,
    build_projector,
    build_read_store,
    build_sealer,
    scan_limits,
)
from application.onestop import OneStop
from projections.access_log import AccessLogView
from projections.catalogue import CatalogueView
from projections.citizen import CitizenView
from projections.control_sheet import ControlSheetView
from projections.ports import ReadStore
from projections.public_status import PublicStatus, PublicStatusView
from projections.runtime import Doorbell, Projector
from projections.timeline import TimelineView
from projections.warehouse import WarehouseView
from projections.worklist import WorklistView

log = structlog.get_logger("services")

FOLLOW_POLL_SECONDS = 0.02
"""How often the elected worker looks for events the other workers saved."""


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
    reads: ReadYourWrites
    blobs: BlobStore
    scan_limits: ScanLimits
    warehouse: WarehouseView
    workers: int = 1
    inline_reads: bool = False
    """Read-model reads on the event loop (SQLite: a local file) instead of a thread."""
    generation: Generation | None = None
    """In-process cache (no Redis): an entry is valid in the generation it was
    read in; the projector bumps it around each commit (shared by workers)."""
    access: AccessJournal | None = None
    """Reads of personal data by officers and reviewers (api/access_log.py)."""
    access_view: AccessLogView | None = None
    pages: PageCache | None = None
    """Authenticated pages as whole answers (adapters/cache/pages.py)."""
    page_changes: PageChanges | None = None
    """SQLite: how the projecting worker's changes reach every worker's pages."""
    _lease: ProjectorLease | None = None
    _fanout: LocalFanout | None = None
    _standby: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _doorbell: Doorbell | None = None
    _listener: ChangeListener | None = None
    _integrator: integration.Integrator | None = None

    def record_access(
        self, principal: Principal, dossier_ids: object, purpose: str
    ) -> None:
        """An officer or reviewer read this dossier's personal data (spooled
        before the response; see api/access_log.py)."""
        if self.access is None or principal.level not in (
            AccessLevel.OFFICER,
            AccessLevel.REVIEWER,
        ):
            return
        roles = ",".join(r.value for r in principal.roles)
        ids = (
            [str(d) for d in dossier_ids]
            if isinstance(dossier_ids, list | tuple)
            else [str(dossier_ids)]
        )
        self.access.record(
            *ids,
            actor_id=principal.subject or "",
            role=f"{principal.level.value}:{roles}" if roles else principal.level.value,
            agency_code=principal.agency_code,
            department=principal.department,
            purpose=purpose,
        )

    def start_followers(self, loop: asyncio.AbstractEventLoop) -> None:
        """The embedded projector if configured, and the feed of live updates."""
        self.feed.on_commit.append(self.reads.advanced)
        if self.access is not None:
            self.access.start()
        if self.embedded and self.workers > 1:
            self._elect_projector(loop)
        elif self.embedded:
            self.start_embedded_projector(loop)
        elif integration.embedded(self.settings):
            if self.workers == 1:
                self._start_integrator()
            else:  # no lease to elect one worker without the embedded projector
                log.warning(
                    "integrator_not_started",
                    reason="separate projector, workers > 1: run motcua integrator",
                )
        if self.settings.is_postgres:
            # The projector may be another process: its NOTIFY reaches us here.
            self._listener = ChangeListener(
                self.settings.database_url,
                self.feed,
                loop,
                cache=self.caches.local_cache,
                pages=self.pages,
            )
            self._listener.start()
        else:
            self.projector.committed.append(
                lambda changes: self.feed.publish_from_thread(loop, changes)
            )

    def _elect_projector(self, loop: asyncio.AbstractEventLoop) -> None:
        """One worker of ``serve --workers N`` follows the log; the others stand
        by and take over when it dies (the kernel releases its lock)."""
        shared = shared_dir(self.settings.data_dir, self.settings.database_url)
        lease = self._lease = ProjectorLease(shared / "projector.lock")
        if not self.settings.is_postgres:
            fanout = self._fanout = LocalFanout(
                shared, lambda changes: self.feed.publish_from_thread(loop, changes)
            )
            fanout.start()

        def stand_by() -> None:
            while not self._stop.is_set():
                if lease.try_acquire():
                    log.info("projector_elected", workers=self.workers)
                    self.start_embedded_projector(loop)
                    return
                self._stop.wait(1.0)

        if lease.try_acquire():
            log.info("projector_elected", workers=self.workers)
            self.start_embedded_projector(loop)
            return
        self._standby = threading.Thread(
            target=stand_by, name="motcua-standby", daemon=True
        )
        self._standby.start()

    def start_embedded_projector(self, loop: asyncio.AbstractEventLoop) -> None:
        """Follow the log in this process (embedded default, or when configured)."""
        doorbell = self._doorbell = Doorbell()
        self.onestop.subscribe(doorbell.ring)
        sealer = build_sealer(self.settings, self.onestop, self.store)
        self.projector.followers.append(sealer.catch_up)
        if self.generation is not None:
            # Before the commit (no entry read from now on outlives it) and
            # after (none read while it committed survives it).
            self.projector.listeners.append(self.generation.bump)
            self.projector.committed.insert(0, self.generation.bump)
        if self.page_changes is not None:  # the same, per owner and unit
            self.projector.listeners.append(self.page_changes.publish)
            self.projector.committed.insert(0, self.page_changes.publish)
        if self._fanout is not None:
            self.projector.committed.append(self._fanout.send)
        if self.cache_enabled and self.generation is None:  # Redis: tombstones
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
            self._pages_changed(),
        )
        # Other workers' saves do not ring this process's doorbell: poll often.
        pause = FOLLOW_POLL_SECONDS if self.workers > 1 else FOLLOW_SECONDS

        def follow(_: float) -> None:
            try:
                outside.poll()
            except Exception:
                log.exception("outside_changes_failed")
            doorbell.wait(pause)

        if integration.embedded(self.settings):
            self._start_integrator()
        self._thread = threading.Thread(
            target=self.projector.run_forever,
            args=(self._stop, follow),
            name="motcua-projector",
            daemon=True,
        )
        self._thread.start()

    def _pages_changed(self) -> Callable[[], None] | None:
        """What a change made outside the projector (CLI retry or rebuild)
        does to the cached pages: on SQLite every worker drops them (published
        like the projector's changes), on PostgreSQL the CLI notifies each
        worker."""
        if self.pages is None:
            return None
        changes = self.page_changes
        if changes is None:
            return self.pages.clear
        return lambda: changes.publish(dict.fromkeys(PAGE_READ_MODELS))

    def _start_integrator(self) -> None:
        """In this process (embedded default): each follower rings its own bell."""
        running = integration.build_integrator(self.settings, self.onestop, self.store)
        if not running.followers:
            return
        self._integrator = running

        def bell() -> Doorbell:
            doorbell = Doorbell()
            self.onestop.subscribe(doorbell.ring)
            return doorbell

        running.start(lambda: bell().wait)

    def close(self) -> None:
        if self.access is not None:
            self.access.close()
        if self._integrator is not None:
            self._integrator.close()
        if self._listener is not None:
            self._listener.stop()
        self._stop.set()
        if self._doorbell is not None:
            self._doorbell.ring()  # the follower sleeps in the doorbell, not on stop
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._standby is not None:
            self._standby.join(timeout=5)
        if self._fanout is not None:
            self._fanout.close()
        if self._lease is not None:
            self._lease.release()
        if self.generation is not None:
            self.generation.close()
        self.store.close()
        self.onestop.close()


def build_services(settings: Settings, metrics: ApiMetrics) -> Services:
    blobs = build_blob_store(settings)
    onestop = build_application(settings, blobs)
    store = build_read_store(settings)
    projector = build_projector(onestop, store)
    embedded = not settings.is_postgres or settings.value("PROJECTOR") == "embedded"
    caches = build_cache_backends(settings, metrics.registry)
    workers: int = settings.value("WORKERS")
    generation: Generation | None = None
    if settings.redis_url is None and workers > 1:
        directory = shared_dir(settings.data_dir, settings.database_url)
        generation = SharedGeneration(directory / "generation")
    elif settings.redis_url is None:
        generation = Generation()
    reads = ReadYourWrites(
        projector.position,
        lambda: onestop.recorder.max_notification_id() or 0,
        settings.value("READ_WAITERS_MAX"),
    )
    pages, page_changes = page_cache(settings, caches, generation)
    if pages is not None:
        metrics.registry.register(PageCacheCollector(pages))
    return Services(
        pages=pages,
        page_changes=page_changes,
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
        lookup_limit=settings.value("LOOKUP_RATE_LIMIT"),
        lookup_window_seconds=settings.value("LOOKUP_RATE_WINDOW"),
        embedded=embedded,
        read_side=ReadSideMetrics.create(metrics.registry),
        feed=StatusFeed(settings.value("SUBSCRIPTIONS_MAX")),
        ready_max_lag=settings.value("READY_MAX_LAG"),
        subscription_seconds=settings.value("SUBSCRIPTION_SECONDS"),
        subscription_idle_seconds=settings.value("SUBSCRIPTION_IDLE_SECONDS"),
        subscriptions_per_connection=settings.value("SUBSCRIPTIONS_PER_CONNECTION"),
        workers=workers,
        generation=generation,
        inline_reads=not settings.is_postgres,
        reads=reads,
        blobs=blobs,
        scan_limits=scan_limits(settings),
        warehouse=WarehouseView(store),
        access=AccessJournal(
            shared_dir(settings.data_dir, settings.database_url) / "access-log",
            store,
            interval=float(settings.value("ACCESS_LOG_FLUSH_SECONDS")),
            sync=settings.value("ACCESS_LOG_SYNC"),
        ),
        access_view=AccessLogView(store),
    )


def page_cache(
    settings: Settings, caches: CacheBackends, generation: Generation | None
) -> tuple[PageCache | None, PageChanges | None]:
    """Only where changes reach every worker in time: PostgreSQL with the
    barrier-checked change channel, SQLite (without Redis: the embedded
    projector, the shared generation) with the projector's change ring."""
    entries: int = settings.value("PAGE_CACHE_ENTRIES")
    if entries == 0:
        return None, None
    size: int = settings.value("PAGE_CACHE_BYTES")
    if settings.is_postgres:
        local = caches.local_cache
        if local is None:
            return None, None
        return PageCache(max_entries=entries, max_bytes=size, usable=local.fresh), None
    if generation is None:
        return None, None
    if settings.value("WORKERS") > 1:
        directory = shared_dir(settings.data_dir, settings.database_url)
        shared = SharedPageChanges(directory / "page-changes")
        return PageCache(
            max_entries=entries, max_bytes=size, follow=shared.catch_up
        ), shared
    local_changes = InProcessPageChanges()
    pages = PageCache(max_entries=entries, max_bytes=size)
    local_changes.attach(pages)
    return pages, local_changes
