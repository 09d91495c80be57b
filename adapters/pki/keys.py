"""pyhanko signers that keep the loaded private key.

pyhanko 0.38 re-parses the private key from DER on every signature (and the
in-process TSA on every timestamp); OpenSSL 3 then re-checks the RSA key,
~80 ms each, most of the cost of a signature. These subclasses load it once.
"""

from __future__ import annotations

from datetime import datetime

from asn1crypto import cms, core
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.sign import general, signers
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


class KeptKeySigner(signers.SimpleSigner):
    """A ``SimpleSigner`` signing with a key object loaded once."""

    private_key: RSAPrivateKey | EllipticCurvePrivateKey

    @classmethod
    def from_pkcs12(cls, data: bytes, passphrase: bytes) -> KeptKeySigner:
        """Raises ``ValueError`` for unreadable data or a wrong passphrase."""
        key, certificate, others = pkcs12.load_key_and_certificates(data, passphrase)
        if certificate is None or not isinstance(
            key, RSAPrivateKey | EllipticCurvePrivateKey
        ):
            raise ValueError("no RSA or EC key with its certificate")
        signer = cls(
            signing_key=translate_pyca_cryptography_key_to_asn1(key),
            signing_cert=translate_pyca_cryptography_cert_to_asn1(certificate),
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [translate_pyca_cryptography_cert_to_asn1(c) for c in others]
            ),
        )
        signer.private_key = key
        return signer

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algorithm = mechanism["algorithm"].native
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        key = self.private_key
        if algorithm in ("rsassa_pkcs1v15", "sha256_rsa") and isinstance(
            key, RSAPrivateKey
        ):
            return key.sign(data, PKCS1v15(), hash_algorithm)
        if "ecdsa" in algorithm and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, ECDSA(hash_algorithm))
        signed: bytes = super().sign_raw(data, digest_algorithm)
        return signed


class KeptKeyTimeStamper(DummyTimeStamper):
    """The in-process development TSA, its RSA key loaded once."""

    def __init__(self, *, tsa_key: RSAPrivateKey, **kwargs: object) -> None:
        super().__init__(
            tsa_key=translate_pyca_cryptography_key_to_asn1(tsa_key),
            **kwargs,  # type: ignore[arg-type]
        )
        self.private_key = tsa_key

    # Same attributes as pyhanko 0.38's DummyTimeStamper._sign_tst_info.
    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        attribute = simple_cms_attribute
        signed_attrs = cms.CMSAttributes(
            [
                attribute("content_type", "tst_info"),  # type: ignore[no-untyped-call]
                attribute(  # type: ignore[no-untyped-call]
                    "signing_time", cms.Time({"utc_time": core.UTCTime(dt)})
                ),
                attribute(  # type: ignore[no-untyped-call]
                    "signing_certificate",
                    general.as_signing_certificate(self.tsa_cert),
                ),
                attribute("message_digest", digest.finalize()),  # type: ignore[no-untyped-call]
            ]
        )
        signature = self.private_key.sign(
            signed_attrs.dump(),
            PKCS1v15(),
            get_pyca_cryptography_hash(md_algorithm.upper()),
        )
        return signature, signed_attrs
