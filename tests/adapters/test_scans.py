"""Uploaded bytes to a checked PDF: sniffing, conversion and every refusal."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from adapters.files.blobs import BlobStore
from adapters.files.scans import ScanLimits, sniff, to_pdf
from domain.errors import LabelledError
from domain.files import (
    CorruptFileError,
    FileIntegrityError,
    FileTooLargeError,
    FileTypeMismatchError,
    MediaType,
    UnsupportedFileError,
)
from tests.scans import LIMITS, image_bytes, pdf_bytes


@pytest.mark.parametrize(
    ("kind", "media"),
    [("PNG", MediaType.PNG), ("JPEG", MediaType.JPEG), ("TIFF", MediaType.TIFF)],
)
def test_images_become_one_page_pdfs(kind: str, media: MediaType) -> None:
    data = image_bytes("Giấy chứng sinh", kind)
    assert sniff(data) is media
    scan = to_pdf(data, LIMITS, media.value)
    assert scan.media_type is media
    assert scan.pdf.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(scan.pdf)).pages) == scan.pages == 1


def test_a_multi_page_tiff_keeps_its_pages() -> None:
    frames = [Image.new("L", (200, 280), shade) for shade in (255, 200, 150)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    assert to_pdf(out.getvalue(), LIMITS).pages == 3


def test_a_pdf_is_kept_byte_for_byte() -> None:
    pdf = pdf_bytes("bản gốc")
    assert to_pdf(pdf, LIMITS, "application/pdf").pdf == pdf


def test_an_rgba_png_loses_only_its_transparency() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (50, 70), (10, 20, 30, 128)).save(out, format="PNG")
    assert to_pdf(out.getvalue(), LIMITS).pages == 1


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=2048), declared=st.sampled_from(["", "application/pdf"]))
def test_arbitrary_bytes_give_a_pdf_or_a_typed_refusal(
    data: bytes, declared: str
) -> None:
    try:
        scan = to_pdf(data, LIMITS, declared)
    except LabelledError:
        return
    assert scan.pdf.startswith(b"%PDF-")


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["PNG", "JPEG", "TIFF", "PDF"]),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=8),
)
def test_damaged_files_give_a_pdf_or_a_typed_refusal(
    kind: str, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(pdf_bytes("hỏng") if kind == "PDF" else image_bytes("hỏng", kind))
    for at, mask in flips:
        data[at % len(data)] ^= mask
    try:
        scan = to_pdf(bytes(data), LIMITS)
    except LabelledError:
        return
    assert scan.pdf.startswith(b"%PDF-")
    assert scan.pages >= 1


@settings(max_examples=100, deadline=None)
@given(
    cut=st.integers(1, 95),
    kind=st.sampled_from(["PNG", "JPEG", "PDF"]),
)
def test_truncated_files_are_refused_as_corrupt(cut: int, kind: str) -> None:
    whole = pdf_bytes("cắt") if kind == "PDF" else image_bytes("cắt", kind)
    part = whole[: max(len(whole) * cut // 100, 12)]
    with pytest.raises((CorruptFileError, UnsupportedFileError)):
        to_pdf(part, LIMITS)


def test_declared_type_must_match() -> None:
    with pytest.raises(FileTypeMismatchError):
        to_pdf(image_bytes("x", "JPEG"), LIMITS, "image/png")
    with pytest.raises(FileTypeMismatchError):
        to_pdf(pdf_bytes("x"), LIMITS, "text/plain")
    assert to_pdf(image_bytes("x", "JPEG"), LIMITS, "image/jpg").pages == 1


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@given(side=st.integers(2_000, 60_000))
def test_pixels_are_bounded_before_decoding(side: int) -> None:
    limits = ScanLimits(max_bytes=10_000, max_pages=5, max_pixels=side * side - 1)
    with pytest.raises(FileTooLargeError):
        to_pdf(_png_claiming(side, side), limits)


def test_bytes_and_pages_are_bounded() -> None:
    pdf = pdf_bytes("giới hạn")
    with pytest.raises(FileTooLargeError):
        to_pdf(pdf, ScanLimits(max_bytes=len(pdf) - 1, max_pages=5, max_pixels=10**7))
    frames = [Image.new("L", (20, 20)) for _ in range(4)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(FileTooLargeError):
        to_pdf(
            out.getvalue(), ScanLimits(max_bytes=10**6, max_pages=3, max_pixels=10**7)
        )


class TestBlobStore:
    def test_content_addressed_idempotent_and_rehashed(self, tmp_path: Path) -> None:
        store = BlobStore(tmp_path / "blobs")
        first = store.ingest(image_bytes("một"), LIMITS)
        again = store.ingest(image_bytes("một"), LIMITS)
        assert first == again
        assert store.facts(first.sha256) == first
        blob = next((tmp_path / "blobs").rglob("*.pdf"))
        assert blob.name == f"{first.sha256}.pdf"
        assert store.read(first.sha256).startswith(b"%PDF-")
        blob.write_bytes(blob.read_bytes() + b"\n% tampered")
        with pytest.raises(FileIntegrityError):
            store.read(first.sha256)

    def test_a_refusal_stores_nothing(self, tmp_path: Path) -> None:
        store = BlobStore(tmp_path / "blobs")
        with pytest.raises(UnsupportedFileError):
            store.ingest(b"not a scan", LIMITS)

        def reject(pdf: bytes) -> None:
            raise CorruptFileError("no")

        with pytest.raises(CorruptFileError):
            store.ingest(pdf_bytes("x"), LIMITS, check=reject)
        assert not (tmp_path / "blobs").exists() or not list(
            (tmp_path / "blobs").rglob("*")
        )

    def test_unknown_or_malformed_hashes_have_no_facts(self, tmp_path: Path) -> None:
        store = BlobStore(tmp_path / "blobs")
        assert store.facts("ab" * 32) is None
        assert store.facts("../../etc/passwd") is None
