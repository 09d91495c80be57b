"""PKI and PAdES signatures (pyhanko): the ``Signatures`` port's adapter.

Build one per process (it caches loaded keys; thread-safe)::

    from adapters.pki import Pki
    pki = Pki.from_settings(settings)          # dev PKI under $MOTCUA_DATA_DIR/pki,
                                               # or PKCS#12 files in production
    officer = SignerRef.officer("officer-000.00.00.H34", "000.00.00.H34",
                                "Nguyễn Văn An")
    agency = SignerRef.agency("000.00.00.H34", "Sở Tư pháp tỉnh Kon Tum")

    signed = pki.sign(scan_pdf, officer, reason="Số hóa thành phần hồ sơ")
    result = pki.sign_result(result_pdf, officer, agency)   # person, then seal
    check = pki.validate(uploaded_pdf)   # DocumentValidation
    check.indication                      # Indication.TOTAL_PASSED | ...
    for s in check.signatures:            # SignatureReport, in signing order
        s.indication, s.sub_indication, s.signer, s.signing_time,
        s.level (B-B | B-T), s.certificate_sha256, s.as_record()  # for an event

All calls block (pyhanko runs its own event loop inside): from async code use
``await anyio.to_thread.run_sync(pki.sign, ...)``. Values and errors live in
``application.signatures`` (``UnreadablePdfError``, ``EncryptedPdfError``,
``NoSigningIdentityError``, ``SigningCertificateInvalidError`` for an expired,
not-yet-valid or revoked signer — nothing is produced then —,
``TimestampUnavailableError``), all ``LabelledError`` (vi/en).

Signatures are PAdES baseline (``ETSI.CAdES.detached``, SHA-256): B-T with a
signature timestamp when ``MOTCUA_PKI_TSA`` is ``development`` (built-in TSA,
the default) or an RFC 3161 URL, B-B when it is ``none``. Validation is
against the trust roots (``MOTCUA_PKI_TRUST_ROOTS``, default the development
root), with the known CRLs (the development PKI's, ``MOTCUA_PKI_CRL_DIR``);
a signed PDF changed afterwards fails with ``DOCUMENT_MODIFIED`` or
``HASH_FAILURE``; an unknown root gives ``INDETERMINATE`` /
``NO_CERTIFICATE_CHAIN_FOUND``.

The development PKI (``adapters.pki.devpki``; ``motcua pki init``,
``motcua pki export-root``): province root → one CA per agency → the agency's
seal and its officers' certificates, issued on first use; tests may issue
expired certificates and revoke them (``DevelopmentPki.issue``/``revoke``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.pki.devpki import DevelopmentPki
    from adapters.pki.service import Pki

__all__ = ["DevelopmentPki", "Pki"]


def __getattr__(name: str) -> Any:
    """``Pki`` and ``DevelopmentPki`` on first use: importing the package (e.g.
    for ``adapters.pki.lazy``) must not import pyhanko."""
    if name == "Pki":
        from adapters.pki.service import Pki

        return Pki
    if name == "DevelopmentPki":
        from adapters.pki.devpki import DevelopmentPki

        return DevelopmentPki
    raise AttributeError(name)
