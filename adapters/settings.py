"""Configuration from the environment: the only module that reads ``os.environ``.

``VARIABLES`` is the one table of every ``MOTCUA_*`` variable: its kind
(parser with a range or choices), default and meaning. ``Settings`` is built
from it and validated when a process starts (``motcua serve``, ``projector``
and every CLI command): a bad value is a ``ConfigurationError`` naming the
variable, an unknown ``MOTCUA_*`` variable a warning with a did-you-mean. The
README settings table is generated from ``VARIABLES`` (``python -m
adapters.settings``) and a test keeps the two equal. A new setting is one row.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from adapters.setting_kinds import (
    Kind,
    choice,
    database_url,
    directory,
    flag,
    integer,
    number,
    pattern,
    pem_public_key_file,
    provinces,
    readable_file,
    redacted,
    text,
    tsa_source,
    url,
)
from application.options import OneStopOptions
from domain.deadline import Granularity
from domain.errors import Bilingual, LabelledError

PREFIX = "MOTCUA_"


class ConfigurationError(LabelledError):
    code = "CONFIGURATION_ERROR"
    vi = "Cấu hình không hợp lệ: {a0}"
    en = "Invalid configuration: {a0}"
    max_shown = 1000  # the operator's own settings, explained in full


class InvalidSettingError(ConfigurationError):
    code = "INVALID_SETTING"
    vi = "Biến môi trường {a0}={a1} không hợp lệ: cần {a2}"
    en = "Environment variable {a0}={a1} is invalid: expected {a3}"


@dataclass(frozen=True)
class Variable:
    """One ``MOTCUA_*`` variable: name without the prefix, kind, default, meaning."""

    name: str
    kind: Kind
    default: str | None
    doc: str
    shown_default: str | None = None
    """How the README shows a computed default (e.g. derived from another one)."""

    @property
    def env_name(self) -> str:
        return PREFIX + self.name

    def parse(self, raw: str) -> Any:
        try:
            return self.kind.parse(raw)
        except ValueError:
            raise InvalidSettingError(
                self.env_name, repr(redacted(raw)), self.kind.vi, self.kind.en
            ) from None


#: The application's settings declare their own defaults; the table shows them.
_APP = OneStopOptions()

# fmt: off
VARIABLES: tuple[Variable, ...] = (
    Variable("DATABASE_URL", database_url(), None, "event store and read models", "`sqlite:///$MOTCUA_DATA_DIR/motcua.db`"),
    Variable("REDIS_URL", url("redis", "rediss", "unix"), None, "Redis for the public-lookup cache, rate limits, idempotency keys; absent = in-process"),
    Variable("NATS_URL", url("nats", "tls"), None, "NATS JetStream for integration events (`motcua integrator` publishes the event log to it); absent = nothing leaves the process (see *Integration*)"),
    Variable("DATA_DIR", directory(), "./var", "SQLite file, development signing key (`keys/dev-signing-key.pem`), development PKI (`pki/`, see *Digital signatures*)"),
    Variable("ENV", choice("development", "production"), "development", "`production` turns off introspection, \"Did you mean\" suggestions, GraphiQL, `/docs` `/redoc` `/openapi.json`, open `/metrics`, and refuses to start with the development signing key"),
    Variable("DEBUG", flag(), "n", "CLI: print the traceback of an unexpected failure (same as `motcua --debug`)"),
    Variable("PROJECTOR", choice("embedded", "separate"), None, "`embedded` follows the log inside the API process (always on SQLite); on PostgreSQL the default is a separate `motcua projector`", "embedded on SQLite"),
    Variable("WORKERS", integer(1, 64), "1", "worker processes of `motcua serve` (same as `--workers`); one of them follows the log when the projector is embedded (a lock in the data directory elects it)"),
    Variable("PROJECTOR_PROCESSES", integer(1, 16), None, "processes `motcua projector`, `projections rebuild` and `bench project` split the read models into, each following its group (of similar cost) with its own tracking positions; SQLite (one writer) always uses 1", "1 on SQLite; on PostgreSQL half the CPUs, 1–4"),
    Variable("PROJECTOR_BATCH_SIZE", integer(1, 100_000), "1000", "notifications applied per read-model transaction by `motcua projector`"),
    Variable("AUDIT_CHECKPOINT_EVENTS", integer(1, 100_000_000), "10000", "the log sealer (in `motcua projector`, the embedded follower or `motcua audit seal`) signs its head with the agency key after this many new events"),
    Variable("AUDIT_CHECKPOINT_SECONDS", integer(1, 86_400), "300", "…or when this many seconds passed since the last signed checkpoint and new events were sealed"),
    Variable("AUDIT_SEAL_AGENCY", pattern(r"none|\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}", "mã cơ quan QCVN 102 (ví dụ 000.00.00.H34) hoặc none", "a QCVN 102 agency code (e.g. 000.00.00.H34) or none", "agency code such as `000.00.00.H34`, or `none`"), None, "whose seal certificate (PKCS#12 `agency/<code>.p12`, or the development PKI) co-signs each audit checkpoint (detached CMS, verifiable with the root certificate alone); `none`: Ed25519 only", "`000.00.00.<PROVINCE>`"),
    Variable("ACCESS_LOG_FLUSH_SECONDS", number("0.01", "3600"), "0.5", "how often each API process moves its access-log spool (reads of personal data by officers and reviewers, appended before each response) into the access-log tables (`audit_access_read`: one row per read, naming the set of dossiers it showed; `audit_access_set`: each set's dossiers, once)"),
    Variable("ACCESS_LOG_SYNC", flag(), "n", "`y`: each read's access-log line is `fdatasync`ed to disk before the response is sent (survives a power loss, costs a disk flush per read; `bench audit` measures it); `n`: in the kernel before the response, on disk at the next flush"),
    Variable("LOOKUP_RATE_LIMIT", integer(1, 1_000_000_000), "60", "anonymous `dossierStatus` lookups per client per window"),
    Variable("LOOKUP_RATE_WINDOW", integer(1, 86_400), "60", "the rate-limit window in seconds"),
    Variable("LOOKUP_RATE_SYNC_MS", integer(0, 1000), "5", "PostgreSQL + Redis with the local lookup cache: each API worker counts anonymous lookups itself and sends its counts to Redis at most this often (one round trip per interval, not per lookup); N workers admit at most `LOOKUP_RATE_LIMIT` + N × max(1, 5 % of it, ≤ 1,024) per window, one worker exactly the limit; 0 = ask Redis on every lookup"),
    Variable("LOOKUP_LOCAL_CACHE_MS", integer(0, 10_000), "100", "PostgreSQL + Redis: each API worker keeps its own public-lookup cache, invalidated by the projector's NOTIFY, and uses it only while its last barrier through that channel is younger than this, so no answer is older than a change committed this long ago; 0 = the Redis cache and rate-limit script on every lookup"),
    Variable("PAGE_CACHE_ENTRIES", integer(0, 1_000_000), "10000", "authenticated pages (a citizen's `myDossiers` / `dossier(code:)`, an officer's `worklist` without clock-dependent arguments or fields) each API worker keeps as whole answers per principal, language and request body; a change to a dossier drops the pages of its owner and of every unit whose worklist may show it (PostgreSQL: the projector's NOTIFY, used only while `LOOKUP_LOCAL_CACHE_MS` says the channel is caught up; SQLite: any committed change); `0` = build every page"),
    Variable("PAGE_CACHE_BYTES", integer(65_536, 17_179_869_184), "33554432", "bytes of cached authenticated pages per API worker"),
    Variable("JWT_ISSUER", text(), "motcua", "expected `iss` of bearer tokens"),
    Variable("JWT_AUDIENCE", text(), "motcua-api", "expected `aud` of bearer tokens"),
    Variable("JWT_JWKS_URL", url("https", "http"), None, "production key source: the identity provider's JWKS endpoint", "local dev key"),
    Variable("JWT_PUBLIC_KEY_FILE", pem_public_key_file(), None, "production key source: a PEM public key file", "local dev key"),
    Variable("TIMELINESS_GRANULARITY", choice("date", "instant"), _APP.granularity.value, "early/on-time/late compares calendar dates (Thanh Hóa practice) or instants (DVCQG `≤`)"),
    Variable("DUE_AT_CLOSE_ROLLS_OVER", flag(), "y", "presentation only: a due time exactly at the day's closing is *shown* as the next working morning (`dueAtShown`, `calendar due --json` `shownAs`; R‑14 vector Mon 17:30 + 8 h → \"Wed 07:00\"); the stored due time and timeliness always use the legal instant (Tue 17:00)"),
    Variable("CROSS_BOUNDARY_CODE_UNIT", choice("competent", "receiving"), _APP.cross_boundary_code_unit, "dossier code unit when a desk receives for a unit outside its own subtree (R‑17)"),
    Variable("CATALOGUE_CACHE_SECONDS", number("0", "3600"), f"{_APP.catalogue_cache_seconds:g}", "how long a process may reuse a procedure/calendar it read; changes made in the same process are seen at once; `0` = always read"),
    Variable("SAVED_DOSSIERS_CACHE", integer(0, 1_000_000), str(_APP.saved_dossiers_cache), "dossiers this process saved last, reused for the next command without a read (the primary key rejects a stale one and the command re-runs); `0` = always read"),
    Variable("POSTGRES_SINGLE_ROUND_TRIP", flag(), "y", "send a save's `BEGIN; LOCK; NOTIFY; INSERT; COMMIT` as one query (same statements, same lock)"),
    Variable("POSTGRES_GROUP_COMMIT", flag(), "y", "saves of one process arriving while others are being written share the next transaction (one lock, one NOTIFY, one COMMIT); the table lock is held for the insert only and the caller is acknowledged once the WAL flush is confirmed; a version conflict in a group falls back to one save at a time. Needs the single round trip"),
    Variable("POSTGRES_READ_WAIT_SECONDS", number("0.1", "120"), "5", "how long an API read waits for a connection of the read models' PostgreSQL pool (server down, every connection busy) before answering `STORE_UNAVAILABLE` instead of hanging"),
    Variable("POSTGRES_CONNECT_TIMEOUT", integer(1, 600), "30", "seconds to wait for a PostgreSQL connection before a command fails (exit code 1)"),
    Variable("READY_MAX_LAG", integer(1, 1_000_000_000), "1000", "`/readyz` answers 503 `not_ready` when a read model is more than this many events behind the log (or has dead letters)"),
    Variable("SUBSCRIPTIONS_MAX", integer(1, 1_000_000), "1000", "live subscriptions per API process; more are refused (`TOO_MANY_SUBSCRIPTIONS`)"),
    Variable("SUBSCRIPTIONS_PER_CONNECTION", integer(1, 1000), "10", "live subscriptions one websocket connection may hold at a time"),
    Variable("READ_WAITERS_MAX", integer(1, 100000), "100", "queries waiting at once for `after:` (read-your-writes) per API process; more are refused (`TOO_MANY_WAITING`); a position beyond the log head is refused at once (`NOT_YET_WRITTEN`)"),
    Variable("SUBSCRIPTION_SECONDS", integer(1, 86_400), "3600", "a subscription completes after this lifetime; the client subscribes again"),
    Variable("SUBSCRIPTION_IDLE_SECONDS", integer(1, 86_400), "600", "a subscription completes after this long without a change"),
    Variable("APOLOGY_CUTOFF_HOURS", integer(0, 80), str(_APP.apology_cutoff_hours), "working hours before the due time after which an apology and re-appointment is too late (Decree 61 Art. 19: one working day); `0` = until the due time"),
    Variable("APOLOGY_NOTICE_HOURS", integer(0, 80), "8", "working hours before that cut-off from which the worklist flags **needs apology** and `apologyDue` announces it"),
    Variable("MAX_BODY_BYTES", integer(1024, 1_073_741_824), "1048576", "largest HTTP request body (with or without `Content-Length`); larger → 413"),
    Variable("MAX_UPLOAD_BYTES", integer(1024, 1_073_741_824), "20971520", "largest file accepted by `POST /api/files` (a scan or PDF); larger → 413 `FILE_TOO_LARGE`, nothing stored"),
    Variable("MAX_SCAN_PAGES", integer(1, 10_000), "300", "most pages of an uploaded PDF or multi-page TIFF"),
    Variable("MAX_SCAN_PIXELS", integer(10_000, 1_000_000_000), "80000000", "most pixels of one uploaded image page (A3 at 600 dpi is 70 million); more is refused as a decompression bomb before it is decoded"),
    Variable("MAX_WS_MESSAGE_BYTES", integer(1024, 1_073_741_824), "1048576", "largest websocket message (uvicorn `ws_max_size`, and close 1009 in the app)"),
    Variable("MAX_QUERY_COST", integer(1, 100_000_000), "20000", "most a GraphQL operation may cost (see *Limits at the edge*); more → `QUERY_TOO_EXPENSIVE` before anything runs"),
    Variable("DOCUMENT_CACHE_ENTRIES", integer(1, 1_000_000), "512", "parsed and validated GraphQL documents kept (half each for parse and validation results)"),
    Variable("DOCUMENT_CACHE_BYTES", integer(1024, 17_179_869_184), "33554432", "bytes of parsed and validated GraphQL documents kept"),
    Variable("GRAPHQL_FAST_PATH", flag(), "y", "read queries of `dossierStatus`, `myDossiers`, `dossier`, `worklist` and the officer's dossier mutations (`receiveDossier`, `forwardDossier`, …) run on a precompiled plan (graphql-core on the cached, validated document) instead of strawberry's per-request machinery, and an officer's command whose arguments are constants or variables runs from the request's variables without graphql-core's executor at all — same responses; `n` sends everything through strawberry"),
    Variable("IDEMPOTENCY_MAX_RESPONSE_BYTES", integer(1, 67_108_864), "65536", "largest mutation response kept for an `Idempotency-Key` replay; a larger one is replaced by a note that the mutation ran"),
    Variable("METRICS_PORT", integer(1, 65_535), None, "serve `/metrics` only on this port (same host as `--host`); the main port answers 404"),
    Variable("METRICS_TOKEN", text(), None, "`/metrics` on the main port needs `Authorization: Bearer <token>` (≥ 16 characters). Production without port or token: 404"),
    Variable("CORS_ORIGINS", text(), None, "comma-separated exact origins (`https://dichvucong.example.gov.vn`) allowed to call the API from a browser; absent = no cross-origin access"),
    Variable("TRUSTED_PROXIES", text(), None, "comma-separated addresses/CIDRs of reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (client address for rate limits, HTTPS for HSTS); absent = none"),
    Variable("PKI_TSA", tsa_source(), "development", "timestamp authority for PAdES B-T: the built-in development TSA, an RFC 3161 URL, or `none` (B-B only); `development` is refused in production"),
    Variable("PKI_PKCS12_DIR", directory(), None, "production signing keys: `person/<agency code>/<officer id>.p12` (else `person/<officer id>.p12`) and `agency/<agency code>.p12`; absent = the development PKI under `$MOTCUA_DATA_DIR/pki` (refused in production)", "development PKI"),
    Variable("PKI_PKCS12_PASSPHRASE_FILE", readable_file(), None, "file holding the passphrase of the PKCS#12 files in `MOTCUA_PKI_PKCS12_DIR`"),
    Variable("PKI_TRUST_ROOTS", readable_file(), None, "PEM bundle of the root certificates signatures are validated against (e.g. Ban Cơ yếu Chính phủ, public CAs)", "development root"),
    Variable("PKI_CRL_DIR", directory(), None, "directory of CRL files (DER or PEM) used when validating signatures, beside the development PKI's own"),
    Variable("PKI_FETCH_REVOCATION", flag(), "n", "fetch CRLs/OCSP responses over the network while validating signatures"),
    Variable("PROVINCE", pattern(r"[A-Z][0-9]{2}", "mã tỉnh QCVN 102 (chữ hoa và 2 chữ số, ví dụ H34)", "a QCVN 102 province code (a capital letter and 2 digits, e.g. H34)", "province code such as `H34`"), "H34", "this instance's province: the `<province>` in NATS subjects `motcua.<province>.<aggregate>.<event>` and the stream name `MOTCUA_<province>`"),
    Variable("PEER_PROVINCES", provinces(), None, "provinces whose instances share this NATS and receive cross-province forwards (R-17): `forwardDossier` to a unit of one of them opens a linked dossier there; a unit of any other province is refused (`CROSS_PROVINCE_FORWARD`). See *Cross-province forwarding*", "none"),
    Variable("INTEGRATOR", choice("embedded", "separate"), None, "`embedded` runs the integrator (outbox → NATS, DVCQG sync) inside `motcua serve`; `separate` leaves it to `motcua integrator`", "embedded on SQLite"),
    Variable("INTEGRATOR_BATCH_SIZE", integer(1, 10_000), "500", "events the integrator publishes before it records its position (one position write per batch)"),
    Variable("NATS_DUPLICATE_WINDOW", integer(10, 604_800), "7200", "seconds JetStream remembers a `Nats-Msg-Id` (the stream's duplicate window, set when the integrator creates it): a republish within it is dropped"),
    Variable("NATS_ACK_TIMEOUT", number("0.1", "600"), "5", "seconds the integrator waits for JetStream to acknowledge a batch before it treats NATS as down and retries"),
    Variable("DVCQG_URL", url("https", "http"), None, "the national portal's adapter endpoint: `DongBoHoSoMC` / `CapNhatTienDoHoSoMC` calls are POSTed here; absent = no DVCQG sync"),
    Variable("DVCQG_AUTH_URL", url("https", "http"), None, "the portal's login endpoint (`{username, password}` → `session`)", "`$MOTCUA_DVCQG_URL/login`"),
    Variable("DVCQG_USERNAME", text(), None, "account for the portal login"),
    Variable("DVCQG_PASSWORD", text(), None, "password for the portal login"),
    Variable("DVCQG_TIMEOUT", number("0.1", "300"), "10", "seconds one portal call may take before it counts as failed (and is retried)"),
    Variable("NATIONAL_WAREHOUSE_URL", url("https", "http"), None, "the national warehouse's `GetKetQuaGiayTo` endpoint (DVCQG Kho, domain.md §4.5): `reuseFromNationalWarehouse` asks it for the applicant's documents; files are fetched from the same origin only; absent = not configured (`NATIONAL_WAREHOUSE_UNAVAILABLE`)"),
    Variable("NATIONAL_WAREHOUSE_TIMEOUT", number("0.1", "120"), "10", "seconds one national warehouse call (the lookup, then the file) may take before it is `NATIONAL_WAREHOUSE_UNAVAILABLE`"),
    Variable("DVCQG_RETRIES", integer(0, 10), "3", "immediate retries of a failed portal call (5xx, timeout, refused connection, malformed reply; backoff 0.5 s doubling); then the dossier waits 1 s doubling to 5 min before its next try"),
    Variable("DVCQG_DOWNLOAD_BASE_URL", url("https", "http"), "http://127.0.0.1:8000", "public base URL the portal downloads documents and results from (`<base>/api/documents/<id>`)"),
    Variable("EVALUATION_FORM_URL", url("https", "http"), "http://127.0.0.1:8000/danh-gia", "the online evaluation form (TT 01/2018, R-32) — by default this API's own `/danh-gia` page, else the provincial portal's — printed as a QR code and link (`<url>?ma=<dossier code>`) on the evaluation form after the receipt, supplement request and refusal slip; the portal submits it with `evaluateDossier`"),
    Variable("TEST_POSTGRES_URL", database_url(), None, "test harness only: use this PostgreSQL superuser URL instead of starting a server"),
    Variable("TEST_NO_SERVERS", flag(), "n", "test harness only (`make unit` sets it): a test that starts PostgreSQL, Redis or NATS without its `postgres`/`redis`/`nats` marker fails"),
    Variable("HYPOTHESIS_PROFILE", choice("default", "thorough"), "default", "test harness only: `thorough` runs every property test with ten times its `max_examples` (at least 1,000) and no deadline"),
)
# fmt: on

KNOWN: dict[str, Variable] = {v.name: v for v in VARIABLES}
_FIELDS = frozenset({"DATABASE_URL", "REDIS_URL", "NATS_URL", "DATA_DIR"})


def unknown_variable_warning(name: str) -> str:
    """A bilingual one-line warning for an unknown ``MOTCUA_*`` variable."""
    # Compared without the shared prefix, which would make everything look alike.
    guesses = difflib.get_close_matches(
        name.removeprefix(PREFIX), list(KNOWN), n=1, cutoff=0.75
    )
    vi = f"Cảnh báo: biến môi trường không dùng đến {name}"
    en = f"warning: unknown environment variable {name}"
    if guesses:
        guess = PREFIX + guesses[0]
        vi += f" (có phải {guess}?)"
        en += f" (did you mean {guess}?)"
    return f"{vi} / {en}"


@dataclass(frozen=True)
class Settings:
    """Everything a motcua process needs to know, validated against ``VARIABLES``.

    ``options`` holds the other ``MOTCUA_*`` values as text, without the
    prefix (``options.get("LOOKUP_RATE_LIMIT")``); ``value(name)`` gives the
    typed value or the table's default.
    """

    database_url: str = "sqlite:///./var/motcua.db"
    redis_url: str | None = None
    nats_url: str | None = None
    data_dir: Path = Path("./var")
    options: Mapping[str, str] = field(default_factory=dict)
    unknown: tuple[str, ...] = field(default=(), compare=False)
    """``MOTCUA_*`` variables in the environment that no row of the table knows."""

    def __post_init__(self) -> None:
        KNOWN["DATABASE_URL"].parse(self.database_url)
        if self.redis_url is not None:
            KNOWN["REDIS_URL"].parse(self.redis_url)
        if self.nats_url is not None:
            KNOWN["NATS_URL"].parse(self.nats_url)
        for name, raw in self.options.items():
            if name in KNOWN:
                KNOWN[name].parse(raw)
        portal = ("DVCQG_USERNAME", "DVCQG_PASSWORD")
        if "DVCQG_URL" in self.options and not all(self.options.get(n) for n in portal):
            raise ConfigurationError(
                Bilingual(
                    "MOTCUA_DVCQG_URL cần MOTCUA_DVCQG_USERNAME và MOTCUA_DVCQG_PASSWORD",
                    "MOTCUA_DVCQG_URL needs MOTCUA_DVCQG_USERNAME and MOTCUA_DVCQG_PASSWORD",
                )
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        given = {
            key.removeprefix(PREFIX): value
            for key, value in env.items()
            if key.startswith(PREFIX) and value != ""
        }
        data_dir = KNOWN["DATA_DIR"].parse(given.get("DATA_DIR", "./var"))
        return cls(
            database_url=given.get("DATABASE_URL")
            or f"sqlite:///{data_dir / 'motcua.db'}",
            redis_url=given.get("REDIS_URL"),
            nats_url=given.get("NATS_URL"),
            data_dir=data_dir,
            options={k: v for k, v in given.items() if k not in _FIELDS},
            unknown=tuple(sorted(PREFIX + k for k in given if k not in KNOWN)),
        )

    def value(self, name: str) -> Any:
        """The typed value of a known variable (its default when unset)."""
        variable = KNOWN[name]
        raw = self.options.get(name, variable.default)
        return None if raw is None else variable.parse(raw)

    def warnings(self) -> list[str]:
        return [unknown_variable_warning(name) for name in self.unknown]

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def is_memory(self) -> bool:
        return self.database_url.startswith("memory:")

    def prepare_storage(self) -> None:
        """Create the data directory (and the SQLite file's) and prove it writable.

        Raises ``OSError`` naming the path, so a process fails at start with a
        clear message instead of inside its first request.
        """
        folders = [self.data_dir]
        if self.database_url.startswith(
            "sqlite:///"
        ) and not self.database_url.endswith(":memory:"):
            folders.append(Path(self.database_url.removeprefix("sqlite:///")).parent)
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass

    def eventsourcing_env(self) -> dict[str, str]:
        """The ``env`` mapping for the eventsourcing Application: persistence
        only (our own settings reach the application typed, never through the
        library's environment)."""
        env = persistence_env(
            self.database_url,
            single_round_trip=self.value("POSTGRES_SINGLE_ROUND_TRIP"),
            group_commit=self.value("POSTGRES_GROUP_COMMIT"),
        )
        if self.is_postgres:  # SQLite: beside the database file (persistence_env)
            env.update(subject_keys_env(self.data_dir / "keys" / "subjects"))
        return env

    def onestop_options(self) -> OneStopOptions:
        return OneStopOptions(
            granularity=Granularity(self.value("TIMELINESS_GRANULARITY")),
            apology_cutoff_hours=self.value("APOLOGY_CUTOFF_HOURS"),
            cross_boundary_code_unit=self.value("CROSS_BOUNDARY_CODE_UNIT"),
            saved_dossiers_cache=self.value("SAVED_DOSSIERS_CACHE"),
            catalogue_cache_seconds=float(self.value("CATALOGUE_CACHE_SECONDS")),
            peer_provinces=frozenset(self.value("PEER_PROVINCES") or ()),
        )

    @property
    def subject_keys_dir(self) -> Path | None:
        found = self.eventsourcing_env().get("SUBJECT_KEYS_DIR")
        return Path(found) if found else None


def persistence_env(
    database_url: str, *, single_round_trip: bool = True, group_commit: bool = True
) -> dict[str, str]:
    """Translate a database URL into eventsourcing persistence settings.

    On PostgreSQL a save is sent as one query (``adapters.postgres_recorder``)
    unless ``single_round_trip`` is off, and concurrent saves share one
    transaction unless ``group_commit`` is off.
    """
    if database_url.startswith("memory:"):
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        if not path:
            raise ConfigurationError(database_url)
        keys: dict[str, str] = {}
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Whoever opens the file finds its subjects' keys beside it.
            keys = subject_keys_env(Path(path).parent / "keys" / "subjects")
        return keys | {
            "PERSISTENCE_MODULE": "adapters.sqlite_writer:SerializedSQLiteFactory",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if database_url.startswith(("postgresql://", "postgres://")):
        url = urlparse(database_url)
        dbname = url.path.lstrip("/")
        if not url.hostname or not dbname:
            raise ConfigurationError(redacted(database_url))
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": url.hostname,
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            # Few idle connections stay warm (cache-hot backends): +6–20 % measured
            # on one-command transactions; bursts still get up to 30.
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "28",
            "POSTGRES_LOCK_TIMEOUT": "10",
        } | (
            {"APPLICATION_RECORDER_TOPIC": _recorder_topic(group_commit)}
            if single_round_trip
            else {}
        )
    raise ConfigurationError(redacted(database_url))


def subject_keys_env(directory: Path) -> dict[str, str]:
    """Per-data-subject keys for personal data in events (crypto-shredding)."""
    return {
        "SUBJECT_KEYS_TOPIC": "adapters.subject_keys:FileSubjectKeys",
        "SUBJECT_KEYS_DIR": str(directory),
    }


def _recorder_topic(group_commit: bool) -> str:
    recorder = "GroupCommitRecorder" if group_commit else "SingleRoundTripRecorder"
    return f"adapters.postgres_recorder:{recorder}"


def debug_requested(environ: Mapping[str, str] | None = None) -> bool:
    """``MOTCUA_DEBUG`` read leniently: also usable when other settings are bad."""
    env = os.environ if environ is None else environ
    try:
        return bool(KNOWN["DEBUG"].parse(env.get(KNOWN["DEBUG"].env_name) or "n"))
    except ConfigurationError:
        return False


def markdown_table() -> str:
    """The README settings table, generated from ``VARIABLES``."""
    lines = ["| variable | default | values | meaning |", "|---|---|---|---|"]
    for v in VARIABLES:
        default = v.shown_default or (f"`{v.default}`" if v.default else "—")
        lines.append(f"| `{v.env_name}` | {default} | {v.kind.values} | {v.doc} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown_table() + "\n")
