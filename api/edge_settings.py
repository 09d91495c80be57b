"""Limits and exposure of the HTTP edge, read once from the settings at start.

Kinds, ranges and defaults are the settings table's (``adapters.settings``);
here only what a row cannot say: the production key source, the metrics
token's length, and the shape of origins and proxy networks.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.settings import ConfigurationError, Settings

MIB = 1024 * 1024


@dataclass(frozen=True)
class EdgeSettings:
    production: bool = False
    max_body_bytes: int = MIB
    max_ws_message_bytes: int = MIB
    max_upload_bytes: int = 20 * MIB
    max_query_cost: int = 20_000
    document_cache_entries: int = 512
    document_cache_bytes: int = 32 * MIB
    idempotency_max_response_bytes: int = 64 * 1024
    metrics_token: str | None = None
    metrics_port: int | None = None
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    graphql_fast_path: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> EdgeSettings:
        production = settings.value("ENV") == "production"
        if production and not (
            settings.value("JWT_JWKS_URL") or settings.value("JWT_PUBLIC_KEY_FILE")
        ):
            raise ConfigurationError(
                "MOTCUA_ENV=production refuses the development signing key: set "
                "MOTCUA_JWT_JWKS_URL or MOTCUA_JWT_PUBLIC_KEY_FILE"
            )
        token: str | None = settings.value("METRICS_TOKEN") or None
        if token is not None and len(token) < 16:
            raise ConfigurationError(
                "MOTCUA_METRICS_TOKEN needs at least 16 characters"
            )
        return cls(
            production=production,
            max_body_bytes=settings.value("MAX_BODY_BYTES"),
            max_ws_message_bytes=settings.value("MAX_WS_MESSAGE_BYTES"),
            max_upload_bytes=settings.value("MAX_UPLOAD_BYTES"),
            max_query_cost=settings.value("MAX_QUERY_COST"),
            document_cache_entries=settings.value("DOCUMENT_CACHE_ENTRIES"),
            document_cache_bytes=settings.value("DOCUMENT_CACHE_BYTES"),
            idempotency_max_response_bytes=settings.value(
                "IDEMPOTENCY_MAX_RESPONSE_BYTES"
            ),
            metrics_token=token,
            metrics_port=settings.value("METRICS_PORT"),
            cors_origins=_origins(settings.value("CORS_ORIGINS") or ""),
            trusted_proxies=_networks(settings.value("TRUSTED_PROXIES") or ""),
            graphql_fast_path=settings.value("GRAPHQL_FAST_PATH"),
        )


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
