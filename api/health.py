"""Readiness (``/readyz``) and the read-side metrics (``/metrics``).

Not ready (503) when a read model has dead letters or lags the log by more than
``MOTCUA_READY_MAX_LAG`` events: a load balancer then sends readers elsewhere,
and an operator sees why. Redis being down only degrades (200): lookups fall
back to the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.concurrency import run_in_threadpool

from adapters.dvcqg.sync import NAME as DVCQG
from adapters.dvcqg.sync import failing_count
from adapters.integration.positions import FollowerStatus
from adapters.integration.positions import statuses as followers

if TYPE_CHECKING:
    from api.services import Services

log = structlog.get_logger("api")


@dataclass
class ReadSideMetrics:
    dead_letters: Gauge
    dead_lettered: Counter
    parked: Gauge
    integration_backlog: Gauge
    integration_failing: Gauge
    dvcqg_failing: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ReadSideMetrics:
        return cls(
            dead_letters=Gauge(
                "motcua_projection_dead_letters",
                "Events a read model could not apply, waiting for a retry",
                ("read_model",),
                registry=registry,
            ),
            dead_lettered=Counter(
                "motcua_projection_dead_lettered_total",
                "Events this process's projector dead-lettered",
                ("read_model",),
                registry=registry,
            ),
            parked=Gauge(
                "motcua_projection_parked",
                "Events waiting behind a dead-lettered event of the same originator",
                ("read_model",),
                registry=registry,
            ),
            integration_backlog=Gauge(
                "motcua_integration_backlog_events",
                "Events an integration follower (nats, dvcqg) has not delivered yet",
                ("follower",),
                registry=registry,
            ),
            integration_failing=Gauge(
                "motcua_integration_failing",
                "1 while an integration follower's last delivery failed (NATS or "
                "the national portal unreachable), else 0",
                ("follower",),
                registry=registry,
            ),
            dvcqg_failing=Gauge(
                "motcua_dvcqg_failing_dossiers",
                "Dossiers the national portal has not accepted after a failure "
                "(retried with backoff)",
                registry=registry,
            ),
        )


def _integration(
    services: Services, log_position: int
) -> tuple[list[FollowerStatus], int]:
    """The followers, and the dossiers failing to sync to the national portal."""
    found = followers(services.store, log_position)
    failing = (
        failing_count(services.store) if any(f.name == DVCQG for f in found) else 0
    )
    return found, failing


async def readiness(services: Services) -> tuple[int, dict[str, Any]]:
    """HTTP status and body of ``/readyz``."""
    try:
        statuses = await run_in_threadpool(services.projector.status)
    except Exception:
        log.exception("readiness_check_failed")
        return 503, {"status": "unavailable", "reasons": ["store unreachable"]}
    cache = await services.caches.health()
    max_lag = services.ready_max_lag
    reasons = [
        f"{s.name}: {s.dead_letters} dead-lettered event(s), "
        f"{s.parked} parked behind them"
        for s in statuses
        if s.dead_letters or s.parked
    ] + [f"{s.name}: lag {s.lag} > {max_lag}" for s in statuses if s.lag > max_lag]
    log_position = max((s.log_position for s in statuses), default=0)
    try:
        integration, failing = await run_in_threadpool(
            _integration, services, log_position
        )
    except Exception:
        log.exception("integration_status_failed")
        integration, failing = [], 0
    # The API still serves while NATS or the portal is away: degraded, not 503.
    lagging = failing > 0 or any(
        f.error or f.backlog > services.ready_max_lag for f in integration
    )
    if reasons:
        state = "not_ready"
    elif cache.get("status") == "degraded" or lagging:
        state = "degraded"
    else:
        state = "ok"
    body = {
        "status": state,
        "reasons": reasons,
        "logPosition": log_position,
        "projectionLag": {s.name: s.lag for s in statuses},
        "maxLag": max((s.lag for s in statuses), default=0),
        "readyMaxLag": max_lag,
        "deadLetters": {s.name: s.dead_letters for s in statuses},
        "parked": {s.name: s.parked for s in statuses},
        "cache": cache,
        "integration": {
            f.name: {
                "position": f.position,
                "backlog": f.backlog,
                "error": f.error or None,
                "updatedAt": f.updated_at,
            }
            | ({"failingDossiers": failing} if f.name == DVCQG else {})
            for f in integration
        },
    }
    return (503 if reasons else 200), body


async def refresh_metrics(services: Services) -> None:
    """Lag and dead letters from the store, so they are right whichever process
    projects (embedded or ``motcua projector``)."""
    try:
        statuses = await run_in_threadpool(services.projector.status)
    except Exception:
        services.metrics.projection_lag.labels("all").set(-1)
        return
    for status in statuses:
        services.metrics.projection_lag.labels(status.name).set(status.lag)
        services.read_side.dead_letters.labels(status.name).set(status.dead_letters)
        services.read_side.parked.labels(status.name).set(status.parked)
    log_position = max((s.log_position for s in statuses), default=0)
    try:
        integration, failing = await run_in_threadpool(
            _integration, services, log_position
        )
    except Exception:
        return
    services.read_side.dvcqg_failing.set(failing)
    for follower in integration:
        services.read_side.integration_backlog.labels(follower.name).set(
            follower.backlog
        )
        services.read_side.integration_failing.labels(follower.name).set(
            1 if follower.error else 0
        )
