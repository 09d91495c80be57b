"""One development PKI per test process (issuing its keys takes seconds)."""

from __future__ import annotations

import functools

from adapters.pki import Pki
from api.bench.servers import scratch
from application.onestop import OneStop


@functools.cache
def shared_pki() -> Pki:
    """The development PKI in a folder of its own (B-T, built-in TSA), gone
    with the test process."""
    return Pki.development_pki(scratch.folder("motcua-test-pki-"))


def ensure_pki(app: OneStop) -> OneStop:
    """Give ``app`` the test PKI when it was built without one."""
    if app.signing.signatures is None:
        app.signing.signatures = shared_pki()
    return app
