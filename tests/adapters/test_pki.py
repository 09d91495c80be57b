"""PAdES signatures against the development PKI: real pyhanko round trips.

Sign as an officer and as an agency, validate, then break each thing a
validator must notice (bytes changed, content appended, untrusted root,
revoked, expired) and check the indication it gives.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import stat
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import signers

from adapters.pki import DevelopmentPki, Pki
from adapters.pki import pdf as pki_pdf
from adapters.settings import ConfigurationError, Settings
from application.signatures import (
    EncryptedPdfError,
    Indication,
    NoSigningIdentityError,
    SignatureLevel,
    SignerRef,
    SigningCertificateInvalidError,
    SubIndication,
    UnreadablePdfError,
)

AGENCY = "000.00.00.H34"
OFFICER = SignerRef.officer("officer-an", AGENCY, "Nguyễn Văn An")
SEAL = SignerRef.agency(AGENCY, "Sở Tư pháp tỉnh Kon Tum")


def page_pdf(text: str = "Giay to so hoa") -> bytes:
    writer = PdfFileWriter()
    font = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {
            generic.pdf_name("/Font"): generic.DictionaryObject(
                {generic.pdf_name("/F1"): writer.add_object(font)}
            )
        }
    )
    content = generic.StreamObject(
        stream_data=f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    )
    writer.insert_page(
        PageObject(
            contents=writer.add_object(content),
            media_box=(0, 0, 595, 842),
            resources=resources,
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.development_pki(tmp_path_factory.mktemp("data") / "pki")


@pytest.fixture(scope="module")
def signed_result(pki: Pki) -> bytes:
    return pki.sign_result(page_pdf(), OFFICER, SEAL, reason="Kết quả giải quyết")


class TestRoundTrip:
    def test_a_result_carries_two_signatures_that_pass(
        self, pki: Pki, signed_result: bytes
    ) -> None:
        check = pki.validate(signed_result)
        assert check.indication is Indication.TOTAL_PASSED
        person, seal = check.signatures
        assert (person.signer, seal.signer) == (OFFICER.name, SEAL.name)
        assert all(s.level is SignatureLevel.B_T for s in check.signatures)
        assert person.certificate_sha256 == pki.certificate_of(OFFICER).sha256.hex()
        assert seal.certificate_sha256 == pki.certificate_of(SEAL).sha256.hex()
        assert person.issuer == seal.issuer == f"CA {SEAL.name}"
        # the seal is the last revision; the person's signature is followed by it
        assert (person.covers_whole_file, seal.covers_whole_file) == (False, True)
        for report in check.signatures:
            assert report.signing_time is not None
            assert abs(report.signing_time - datetime.now(UTC)) < timedelta(minutes=5)
            record = report.as_record()
            assert record["indication"] == "TOTAL_PASSED"
            assert record["level"] == "B-T"

    def test_without_a_timestamp_authority_the_level_is_b_b(
        self, tmp_path: Path
    ) -> None:
        plain = Pki.development_pki(tmp_path / "pki", timestamps=False)
        check = plain.validate(plain.sign(page_pdf(), OFFICER))
        assert check.passed
        assert [s.level for s in check.signatures] == [SignatureLevel.B_B]

    def test_an_unsigned_pdf_is_indeterminate(self, pki: Pki) -> None:
        check = pki.validate(page_pdf())
        assert check.signatures == ()
        assert check.indication is Indication.INDETERMINATE

    def test_openssl_verifies_the_cms_against_the_exported_root(
        self, pki: Pki, signed_result: bytes, tmp_path: Path
    ) -> None:
        """An independent implementation accepts both signatures."""
        root = tmp_path / "root.pem"
        root.write_bytes(pki.root_pem())
        ranges = re.findall(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", signed_result)
        assert len(ranges) == 2
        for numbers in ranges:
            a, b, c, d = (int(n) for n in numbers)
            content = signed_result[a : a + b] + signed_result[c : c + d]
            hex_cms = signed_result[a + b + 1 : c - 1]
            (tmp_path / "content").write_bytes(content)
            (tmp_path / "sig.der").write_bytes(bytes.fromhex(hex_cms.decode()))
            done = subprocess.run(
                [
                    "openssl", "cms", "-verify", "-binary", "-inform", "DER",
                    "-in", str(tmp_path / "sig.der"),
                    "-content", str(tmp_path / "content"),
                    "-CAfile", str(root), "-purpose", "any", "-out", "/dev/null",
                ],
                capture_output=True,
                check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            (tmp_path / "content").write_bytes(content + b"x")
            tampered = subprocess.run(
                [
                    "openssl", "cms", "-verify", "-binary", "-inform", "DER",
                    "-in", str(tmp_path / "sig.der"),
                    "-content", str(tmp_path / "content"),
                    "-CAfile", str(root), "-purpose", "any", "-out", "/dev/null",
                ],
                capture_output=True,
                check=False,
            )  # fmt: skip
            assert tampered.returncode != 0

    def test_poppler_pdfsig_trusts_both_signatures_with_the_exported_root(
        self, pki: Pki, signed_result: bytes, tmp_path: Path
    ) -> None:
        """What a citizen's PDF reader does: NSS trust store + poppler."""
        (tmp_path / "root.pem").write_bytes(pki.root_pem())
        (tmp_path / "result.pdf").write_bytes(signed_result)
        store = tmp_path / "nss"
        store.mkdir()
        for command in (
            ["certutil", "-N", "-d", f"sql:{store}", "--empty-password"],
            [
                "certutil", "-A", "-d", f"sql:{store}", "-n", "motcua-root",
                "-t", "CT,C,C", "-i", str(tmp_path / "root.pem"),
            ],
        ):  # fmt: skip
            subprocess.run(command, check=True, capture_output=True)
        done = subprocess.run(
            ["pdfsig", "-nssdir", f"sql:{store}", str(tmp_path / "result.pdf")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.stdout.count("Signature is Valid.") == 2, done.stdout
        assert done.stdout.count("Certificate is Trusted.") == 2, done.stdout
        assert f"Common Name: {SEAL.name}" in done.stdout
        tampered = signed_result.replace(b"Giay to so hoa", b"Giay to so hoA")
        (tmp_path / "result.pdf").write_bytes(tampered)
        broken = subprocess.run(
            ["pdfsig", "-nssdir", f"sql:{store}", str(tmp_path / "result.pdf")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Signature is Valid." not in broken.stdout


class TestFailures:
    def test_a_changed_byte_is_a_hash_failure(
        self, pki: Pki, signed_result: bytes
    ) -> None:
        tampered = signed_result.replace(b"Giay to so hoa", b"Giay to so hoA")
        assert tampered != signed_result
        check = pki.validate(tampered)
        assert [(s.indication, s.sub_indication) for s in check.signatures] == [
            (Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
        ] * 2
        assert check.indication is Indication.TOTAL_FAILED

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(position=st.floats(0, 1, exclude_max=True), delta=st.integers(1, 255))
    def test_any_changed_signed_byte_fails(
        self, pki: Pki, signed_result: bytes, position: float, delta: int
    ) -> None:
        a, b, c, d = (
            int(n)
            for n in re.findall(
                rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", signed_result
            )[-1]
        )
        signed_offsets = [*range(a, a + b), *range(c, c + d)]
        index = signed_offsets[int(position * len(signed_offsets))]
        data = bytearray(signed_result)
        data[index] = (data[index] + delta) % 256
        try:
            check = pki.validate(bytes(data))
        except UnreadablePdfError:
            return
        assert not check.passed

    def test_content_added_after_signing_is_reported(
        self, pki: Pki, signed_result: bytes
    ) -> None:
        writer = IncrementalPdfFileWriter(io.BytesIO(signed_result))
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        page["/Contents"] = writer.add_object(
            generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 600 Td (Sua) Tj ET")
        )
        writer.update_container(page)
        out = io.BytesIO()
        writer.write(out)
        check = pki.validate(out.getvalue())
        assert [(s.indication, s.sub_indication) for s in check.signatures] == [
            (Indication.TOTAL_FAILED, SubIndication.DOCUMENT_MODIFIED)
        ] * 2

    def test_another_root_does_not_trust_it(
        self, signed_result: bytes, tmp_path: Path
    ) -> None:
        stranger = Pki.development_pki(tmp_path / "other")
        check = stranger.validate(signed_result)
        assert [(s.indication, s.sub_indication) for s in check.signatures] == [
            (Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND)
        ] * 2

    def test_a_revoked_certificate_fails_and_cannot_sign(self, tmp_path: Path) -> None:
        pki = Pki.development_pki(tmp_path / "pki")
        officer = SignerRef.officer("officer-revoked", AGENCY, "Trần Thị Bình")
        signed = pki.sign(page_pdf(), officer)
        assert pki.validate(signed).passed
        assert pki.development is not None
        pki.development.revoke(officer)
        check = pki.validate(signed)
        assert [(s.indication, s.sub_indication) for s in check.signatures] == [
            (Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE)
        ]
        with pytest.raises(SigningCertificateInvalidError) as refused:
            pki.sign(page_pdf(), officer)
        assert "thu hồi" in refused.value.message("vi")
        assert "revoked" in refused.value.message("en")

    @pytest.mark.parametrize(
        ("start", "end", "word", "verdict"),
        [
            (
                timedelta(days=-30),
                timedelta(days=-1),
                "expired",
                (Indication.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE),
            ),
            (
                timedelta(days=2),
                timedelta(days=30),
                "not yet valid",
                (Indication.TOTAL_FAILED, SubIndication.NOT_YET_VALID),
            ),
        ],
    )
    def test_a_certificate_out_of_its_validity(
        self,
        tmp_path: Path,
        start: timedelta,
        end: timedelta,
        word: str,
        verdict: tuple[Indication, SubIndication],
    ) -> None:
        pki = Pki.development_pki(tmp_path / "pki")
        officer = SignerRef.officer("officer-dates", AGENCY)
        assert pki.development is not None
        now = datetime.now(UTC)
        pki.development.issue(
            officer, not_before=now + start, not_after=now + end, replace=True
        )
        with pytest.raises(SigningCertificateInvalidError) as refused:
            pki.sign(page_pdf(), officer)
        assert word in refused.value.message("en")
        # signed anyway (a foreign tool would), the validator says why it fails
        raw = signers.SimpleSigner.load_pkcs12_data(
            (pki.identities / "person" / AGENCY / "officer-dates.p12").read_bytes(),
            (),
            pki.passphrase,
        )
        signed = pki_pdf.add_signature(page_pdf(), raw, field_name="X")
        (report,) = pki.validate(signed).signatures
        assert (report.indication, report.sub_indication) == verdict

    @pytest.mark.parametrize(
        "data",
        [
            b"",
            b"GIF89a not a pdf",
            b"%PDF-1.7\n",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF",
            page_pdf()[:200],
        ],
    )
    def test_unreadable_input_is_a_typed_error(self, pki: Pki, data: bytes) -> None:
        with pytest.raises(UnreadablePdfError):
            pki.validate(data)
        with pytest.raises(UnreadablePdfError):
            pki.sign(data, OFFICER)

    @settings(max_examples=60, deadline=None)
    @given(st.binary(max_size=400))
    def test_arbitrary_bytes_never_escape_as_other_errors(self, data: bytes) -> None:
        for candidate in (data, b"%PDF-1.4\n" + data):
            with contextlib.suppress(UnreadablePdfError, EncryptedPdfError):
                pki_pdf.open_pdf(candidate)

    def test_an_encrypted_pdf_is_refused(self, pki: Pki) -> None:
        from pyhanko.pdf_utils.crypt import StandardSecurityHandler

        writer = PdfFileWriter()
        writer.insert_page(
            PageObject(
                contents=writer.add_object(generic.StreamObject(stream_data=b"")),
                media_box=(0, 0, 595, 842),
            )
        )
        writer.security_handler = StandardSecurityHandler.build_from_pw(
            "secret", "secret"
        )
        writer._assign_security_handler(writer.security_handler)
        out = io.BytesIO()
        writer.write(out)
        with pytest.raises(EncryptedPdfError):
            pki.sign(out.getvalue(), OFFICER)
        with pytest.raises(EncryptedPdfError):
            pki.validate(out.getvalue())

    def test_a_signer_id_that_could_leave_the_folder_is_refused(self, pki: Pki) -> None:
        for subject in ("../root", "a/b", "", ".hidden", "x" * 200):
            with pytest.raises(NoSigningIdentityError):
                pki.sign(page_pdf(), SignerRef.officer(subject, AGENCY))


class TestDevelopmentPki:
    def test_init_is_idempotent_and_keys_are_private(self, tmp_path: Path) -> None:
        dev = DevelopmentPki(tmp_path / "pki")
        dev.init(((AGENCY, "Sở Tư pháp"),))
        first = dev.root_pem(), dev.ca_path(AGENCY).read_bytes()
        dev.init(((AGENCY, "Sở Tư pháp"),))
        assert (dev.root_pem(), dev.ca_path(AGENCY).read_bytes()) == first
        secrets = [p for p in (tmp_path / "pki").rglob("*") if p.is_file()]
        private = [
            p for p in secrets if p.suffix in (".key", ".p12") or "passphrase" in p.name
        ]
        assert len(private) >= 5  # root, TSA, CA keys, passphrase, seal
        for path in private:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            for folder in path.relative_to(tmp_path / "pki").parents:
                mode = stat.S_IMODE((tmp_path / "pki" / folder).stat().st_mode)
                assert mode & 0o077 == 0, folder

    def test_an_officer_moved_to_another_unit_signs_with_that_units_name(
        self, tmp_path: Path
    ) -> None:
        """After the 2025 reorganisation an officer of a district unit works
        for its successor: a slip of the successor must not carry a
        certificate naming the old unit, and the old one stays as it was."""
        pki = Pki.development_pki(tmp_path / "pki")
        old = SignerRef.officer("officer-moved", "000.01.20.H34", agency_name="Cũ")
        new = SignerRef.officer("officer-moved", "000.00.07.H48", agency_name="Mới")
        before = pki.certificate_of(old)
        after = pki.certificate_of(new)
        assert before.subject.native["organization_name"] == "Cũ"
        assert after.subject.native["organization_name"] == "Mới"
        assert pki.certificate_of(old).sha256 == before.sha256
        check = pki.validate(pki.sign(page_pdf(), new))
        assert check.passed
        (report,) = check.signatures
        assert "Mới" in report.signer_subject

    def test_a_pki_made_anew_in_the_same_folder_issues_with_its_own_keys(
        self, tmp_path: Path
    ) -> None:
        """Keys are parsed once per process while their file stays the same:
        a folder removed and made again holds other keys, and what it issues
        chains to its own root, not to a key remembered from before."""
        folder = tmp_path / "pki"
        first = Pki.development_pki(folder)
        assert first.validate(first.sign(page_pdf(), OFFICER)).passed
        shutil.rmtree(folder)
        again = Pki.development_pki(folder)
        assert again.root_pem() != first.root_pem()
        signed = again.sign(page_pdf(), SignerRef.officer("officer-new", AGENCY))
        assert again.validate(signed).passed
        assert not first.validate(signed).passed

    def test_concurrent_first_use_issues_one_certificate(self, tmp_path: Path) -> None:
        pkis = [Pki.development_pki(tmp_path / "pki") for _ in range(4)]
        officer = SignerRef.officer("officer-race", AGENCY)
        seen: list[str] = []

        def sign(pki: Pki) -> None:
            seen.append(pki.certificate_of(officer).sha256.hex())

        threads = [threading.Thread(target=sign, args=(p,)) for p in pkis]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(seen) == 4
        assert len(set(seen)) == 1


class TestProductionKeys:
    def production(self, tmp_path: Path, **options: str) -> Settings:
        return Settings(
            data_dir=tmp_path / "data", options={"ENV": "production", **options}
        )

    def from_store(self, tmp_path: Path, store: Path) -> Pki:
        """Production keys from ``store`` with the passphrase in ``pass`` and
        the roots in ``roots.pem`` beside it, no TSA."""
        return Pki.from_settings(
            self.production(
                tmp_path,
                PKI_PKCS12_DIR=str(store),
                PKI_PKCS12_PASSPHRASE_FILE=str(tmp_path / "pass"),
                PKI_TRUST_ROOTS=str(tmp_path / "roots.pem"),
                PKI_TSA="none",
            )
        )

    def test_pkcs12_files_and_a_trust_root_file(self, tmp_path: Path) -> None:
        dev = Pki.development_pki(tmp_path / "issuer")
        dev.certificate_of(OFFICER)
        dev.certificate_of(SEAL)
        store = tmp_path / "keys"
        shutil.copytree(dev.identities, store)
        (tmp_path / "pass").write_bytes(dev.passphrase + b"\n")
        (tmp_path / "roots.pem").write_bytes(dev.root_pem())
        pki = self.from_store(tmp_path, store)
        assert pki.development is None
        check = pki.validate(pki.sign_result(page_pdf(), OFFICER, SEAL))
        assert check.passed
        assert [s.level for s in check.signatures] == [SignatureLevel.B_B] * 2
        with pytest.raises(NoSigningIdentityError):
            pki.sign(page_pdf(), SignerRef.officer("officer-unknown", AGENCY))
        (tmp_path / "pass").write_bytes(b"wrong\n")
        wrong = self.from_store(tmp_path, store)
        with pytest.raises(SigningCertificateInvalidError):
            wrong.sign(page_pdf(), OFFICER)

    def test_an_officer_file_without_a_unit_folder_still_signs(
        self, tmp_path: Path
    ) -> None:
        """Deployments that supplied ``person/<id>.p12`` keep working."""
        dev = Pki.development_pki(tmp_path / "issuer")
        dev.certificate_of(OFFICER)
        store = tmp_path / "keys"
        (store / "person").mkdir(parents=True)
        shutil.copy(
            dev.identities / "person" / AGENCY / f"{OFFICER.subject}.p12",
            store / "person" / f"{OFFICER.subject}.p12",
        )
        (tmp_path / "pass").write_bytes(dev.passphrase + b"\n")
        (tmp_path / "roots.pem").write_bytes(dev.root_pem())
        pki = self.from_store(tmp_path, store)
        assert pki.validate(pki.sign(page_pdf(), OFFICER)).passed
        with pytest.raises(NoSigningIdentityError):
            pki.sign(page_pdf(), SignerRef.officer(OFFICER.subject, "../x"))

    def test_production_refuses_development_key_sources(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="PKCS12_DIR"):
            Pki.from_settings(self.production(tmp_path, PKI_TSA="none"))
        (tmp_path / "roots.pem").write_bytes(
            Pki.development_pki(tmp_path / "x").root_pem()
        )
        with pytest.raises(ConfigurationError, match="development"):
            Pki.from_settings(
                self.production(
                    tmp_path,
                    PKI_PKCS12_DIR=str(tmp_path),
                    PKI_TRUST_ROOTS=str(tmp_path / "roots.pem"),
                )
            )
        with pytest.raises(ConfigurationError, match="TRUST_ROOTS"):
            Pki.from_settings(
                self.production(tmp_path, PKI_PKCS12_DIR=str(tmp_path), PKI_TSA="none")
            )

    def test_development_settings_use_the_data_dir(self, tmp_path: Path) -> None:
        pki = Pki.from_settings(Settings(data_dir=tmp_path))
        assert pki.development is not None
        assert pki.development.folder == tmp_path / "pki"
        assert pki.timestamper is not None
        assert (
            Pki.from_settings(
                Settings(data_dir=tmp_path, options={"PKI_TSA": "none"})
            ).timestamper
            is None
        )
