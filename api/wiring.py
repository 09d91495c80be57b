"""Composition root: builds the application, read store and projector from settings."""

from __future__ import annotations

import os
from collections.abc import Sequence

from adapters.files.blobs import BlobStore
from adapters.files.scans import ScanLimits
from adapters.identity import DevelopmentIdentityProvider
from adapters.national_warehouse import HttpNationalWarehouse
from adapters.pki.lazy import LazyPki
from adapters.pki.tsa import DEVELOPMENT_TSA, NO_TSA
from adapters.readstore.postgres import PostgresReadStore
from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import Settings, persistence_env
from application.onestop import OneStop
from projections.groups import split
from projections.ports import ReadStore
from projections.registry import READ_MODELS, all_projections
from projections.runtime import Projector
from projections.seal import CheckpointTimestamper, Sealer


def build_blob_store(settings: Settings) -> BlobStore:
    return BlobStore(settings.data_dir / "blobs")


def scan_limits(settings: Settings) -> ScanLimits:
    return ScanLimits(
        max_bytes=settings.value("MAX_UPLOAD_BYTES"),
        max_pages=settings.value("MAX_SCAN_PAGES"),
        max_pixels=settings.value("MAX_SCAN_PIXELS"),
    )


def build_application(settings: Settings, files: BlobStore | None = None) -> OneStop:
    return OneStop(
        env=settings.eventsourcing_env(),
        options=settings.onestop_options(),
        files=files or build_blob_store(settings),
        signatures=LazyPki(settings),
        identity=DevelopmentIdentityProvider(),
        national_warehouse=build_national_warehouse(settings),
    )


def build_national_warehouse(settings: Settings) -> HttpNationalWarehouse | None:
    url = settings.value("NATIONAL_WAREHOUSE_URL")
    if not url:
        return None
    return HttpNationalWarehouse(
        str(url),
        scan_limits(settings),
        timeout=float(settings.value("NATIONAL_WAREHOUSE_TIMEOUT")),
    )


def build_read_store(settings: Settings) -> ReadStore:
    if settings.is_postgres:
        return PostgresReadStore(
            settings.database_url,
            wait=float(settings.value("POSTGRES_READ_WAIT_SECONDS")),
        )
    if settings.is_memory:
        return SQLiteReadStore(":memory:")
    return SQLiteReadStore(persistence_env(settings.database_url)["SQLITE_DBNAME"])


def build_projector(
    app: OneStop,
    store: ReadStore,
    names: list[str] | None = None,
    *,
    batch_size: int = 1000,
) -> Projector:
    projections = [p for p in all_projections() if names is None or p.name in names]
    return Projector(app, store, projections, batch_size=batch_size)


def projector_processes(settings: Settings, *, postgres: bool | None = None) -> int:
    """``MOTCUA_PROJECTOR_PROCESSES``, or its default; 1 on SQLite (one writer
    per file: more processes would only queue for it). ``postgres`` overrides
    the settings' database (the benches start their own server)."""
    if not (settings.is_postgres if postgres is None else postgres):
        return 1
    processes: int | None = settings.value("PROJECTOR_PROCESSES")
    if processes is not None:
        return processes
    # Half the CPUs: PostgreSQL and the API share the machine (splitting adds
    # ~15 % CPU per event, a loss where the cores are busy anyway).
    return max(1, min(4, (os.cpu_count() or 1) // 2))


def projector_groups(
    settings: Settings, names: Sequence[str] | None = None
) -> list[list[str]]:
    """``names`` (every read model by default) in groups of similar cost, one
    per projector process."""
    chosen = list(READ_MODELS) if names is None else list(names)
    return split(chosen, projector_processes(settings))


def seal_agency(settings: Settings) -> str | None:
    """The agency whose seal co-signs checkpoints (None: Ed25519 only)."""
    code: str | None = settings.value("AUDIT_SEAL_AGENCY")
    if code is None:
        return f"000.00.00.{settings.value('PROVINCE')}"
    return None if code == "none" else code


def build_sealer(settings: Settings, app: OneStop, store: ReadStore) -> Sealer:
    """The log sealer: checkpoints signed with the agency key of the data dir,
    co-signed by the agency's seal certificate and stamped by the TSA of the
    PKI settings (both built on first use)."""
    # Here, not at the top: pyhanko is a quarter of a second of every process
    # start, and most processes never seal.
    from pyhanko.sign.timestamps import HTTPTimeStamper

    from adapters.audit_keys import (
        FileCheckpointSigner,
        LazyTimeStamper,
        PkiCheckpointSeal,
        RfcTimestamper,
    )

    tsa = settings.value("PKI_TSA")
    pki = LazyPki(settings)
    timestamper: CheckpointTimestamper | None = None
    if tsa == DEVELOPMENT_TSA:
        timestamper = LazyTimeStamper(lambda: pki.pki().timestamper)
    elif tsa != NO_TSA:
        timestamper = RfcTimestamper(HTTPTimeStamper(tsa))
    agency = seal_agency(settings)
    return Sealer(
        app,
        store,
        FileCheckpointSigner(settings.data_dir),
        timestamper=timestamper,
        seal=PkiCheckpointSeal(pki.pki, agency) if agency is not None else None,
        checkpoint_events=settings.value("AUDIT_CHECKPOINT_EVENTS"),
        checkpoint_seconds=settings.value("AUDIT_CHECKPOINT_SECONDS"),
    )
