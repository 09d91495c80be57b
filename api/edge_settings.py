"""Limits and exposure of the HTTP edge, read once from the settings at start.

Every value is checked here, so a misspelt setting stops ``motcua serve``
with a clear message instead of weakening the edge silently.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.settings import ConfigurationError, Settings

MIB = 1024 * 1024
ENVIRONMENTS = ("development", "production")


@dataclass(frozen=True)
class EdgeSettings:
    production: bool = False
    max_body_bytes: int = MIB
    max_ws_message_bytes: int = MIB
    max_query_cost: int = 20_000
    document_cache_entries: int = 512
    document_cache_bytes: int = 32 * MIB
    idempotency_max_response_bytes: int = 64 * 1024
    metrics_token: str | None = None
    metrics_port: int | None = None
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> EdgeSettings:
        options = settings.options
        environment = (options.get("ENV") or "development").strip().lower()
        if environment not in ENVIRONMENTS:
            raise ConfigurationError(
                f"MOTCUA_ENV={environment!r} (development | production)"
            )
        production = environment == "production"
        if production and not (
            options.get("JWT_JWKS_URL") or options.get("JWT_PUBLIC_KEY_FILE")
        ):
            raise ConfigurationError(
                "MOTCUA_ENV=production refuses the development signing key: set "
                "MOTCUA_JWT_JWKS_URL or MOTCUA_JWT_PUBLIC_KEY_FILE"
            )
        token = options.get("METRICS_TOKEN") or None
        if token is not None and len(token) < 16:
            raise ConfigurationError(
                "MOTCUA_METRICS_TOKEN needs at least 16 characters"
            )
        port = options.get("METRICS_PORT") or None
        return cls(
            production=production,
            max_body_bytes=_positive(options, "MAX_BODY_BYTES", cls.max_body_bytes),
            max_ws_message_bytes=_positive(
                options, "MAX_WS_MESSAGE_BYTES", cls.max_ws_message_bytes
            ),
            max_query_cost=_positive(options, "MAX_QUERY_COST", cls.max_query_cost),
            document_cache_entries=_positive(
                options, "DOCUMENT_CACHE_ENTRIES", cls.document_cache_entries
            ),
            document_cache_bytes=_positive(
                options, "DOCUMENT_CACHE_BYTES", cls.document_cache_bytes
            ),
            idempotency_max_response_bytes=_positive(
                options,
                "IDEMPOTENCY_MAX_RESPONSE_BYTES",
                cls.idempotency_max_response_bytes,
            ),
            metrics_token=token,
            metrics_port=None if port is None else _port(port),
            cors_origins=_origins(options.get("CORS_ORIGINS") or ""),
            trusted_proxies=_networks(options.get("TRUSTED_PROXIES") or ""),
        )


def _positive(options: Mapping[str, str], name: str, default: int) -> int:
    raw = options.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ConfigurationError(
            f"MOTCUA_{name}={raw!r} is not a whole number"
        ) from None
    if value < 1:
        raise ConfigurationError(f"MOTCUA_{name}={raw!r} must be at least 1")
    return value


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ConfigurationError(f"MOTCUA_METRICS_PORT={raw!r}") from None
    if not 1 <= port <= 65535:
        raise ConfigurationError(f"MOTCUA_METRICS_PORT={raw!r} (1–65535)")
    return port


def _origins(raw: str) -> tuple[str, ...]:
    """Exact origins (scheme://host[:port]); no wildcard: CORS is an allow-list."""
    origins = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        parts = urlsplit(item)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or "*" in item
        ):
            raise ConfigurationError(
                f"MOTCUA_CORS_ORIGINS: {item!r} is not an origin like https://host"
            )
        origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return tuple(dict.fromkeys(origins))


def _networks(raw: str) -> tuple[str, ...]:
    """Addresses or CIDRs of the proxies whose X-Forwarded-* headers we believe."""
    networks = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigurationError(
                f"MOTCUA_TRUSTED_PROXIES: {item!r} is not an address or CIDR"
            ) from None
    return tuple(networks)
