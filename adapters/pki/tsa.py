"""The ``MOTCUA_PKI_TSA`` values that are not an RFC 3161 URL."""

DEVELOPMENT_TSA = "development"
NO_TSA = "none"
