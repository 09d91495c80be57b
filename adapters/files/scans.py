"""Turn uploaded bytes into a checked PDF: type sniffed from the bytes, images
converted, encrypted/corrupt PDFs and decompression bombs refused.

Nothing here writes anything: a refusal leaves no trace. The image and PDF
libraries are imported on first use: a third of a second of every process
start (``serve`` workers, CLI commands) that never reads an upload.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.errors import Bilingual as B
from domain.files import (
    CorruptFileError,
    EncryptedPdfError,
    FileTooLargeError,
    FileTypeMismatchError,
    MediaType,
    UnsupportedFileError,
)

if TYPE_CHECKING:
    from PIL import Image

# pypdf logs every repaired oddity of a file it then reads fine; a refusal is ours.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_MAGIC: tuple[tuple[bytes, MediaType], ...] = (
    (b"%PDF-", MediaType.PDF),
    (b"\xff\xd8\xff", MediaType.JPEG),
    (b"\x89PNG\r\n\x1a\n", MediaType.PNG),
    (b"II*\x00", MediaType.TIFF),
    (b"MM\x00*", MediaType.TIFF),
)
_PIL_FORMATS = {MediaType.JPEG: "JPEG", MediaType.PNG: "PNG", MediaType.TIFF: "TIFF"}
#: Declared types a client may send that say nothing about the content.
_UNDECLARED = frozenset({"", "application/octet-stream"})
_ALIASES = {"image/jpg": MediaType.JPEG, "image/pjpeg": MediaType.JPEG}


@dataclass(frozen=True)
class ScanLimits:
    max_bytes: int
    max_pages: int
    max_pixels: int
    """Pixels of one image page: a larger one is a decompression bomb."""


@dataclass(frozen=True)
class Scan:
    pdf: bytes
    pages: int
    media_type: MediaType


def sniff(data: bytes) -> MediaType:
    # PDF readers accept a header within the first 1024 bytes; we do not: a
    # scan starts with its signature, anything else is not what it claims.
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    raise UnsupportedFileError(_describe(data))


def to_pdf(data: bytes, limits: ScanLimits, declared: str | None = None) -> Scan:
    """The checked PDF of ``data`` (the PDF itself, or one made from the image)."""
    if len(data) > limits.max_bytes:
        raise FileTooLargeError(
            B(f"tối đa {limits.max_bytes} byte", f"at most {limits.max_bytes} bytes")
        )
    if not data:
        raise CorruptFileError(B("tệp rỗng", "empty file"))
    kind = sniff(data)
    _check_declared(declared, kind)
    if kind is MediaType.PDF:
        return Scan(data, _pdf_pages(data, limits), kind)
    pdf = _image_pdf(data, kind, limits)
    return Scan(pdf, _pdf_pages(pdf, limits), kind)


def _check_declared(declared: str | None, kind: MediaType) -> None:
    value = (declared or "").split(";", 1)[0].strip().lower()
    if value in _UNDECLARED:
        return
    claimed = _ALIASES.get(value)
    if claimed is None:
        try:
            claimed = MediaType(value)
        except ValueError:
            raise FileTypeMismatchError(declared=value, actual=kind.value) from None
    if claimed is not kind:
        raise FileTypeMismatchError(declared=claimed.value, actual=kind.value)


def _pdf_pages(data: bytes, limits: ScanLimits) -> int:
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=True)
            if reader.is_encrypted:
                raise EncryptedPdfError()
            pages = len(reader.pages)
            for page in reader.pages:  # every page object must resolve
                page.mediabox  # noqa: B018
    except EncryptedPdfError:
        raise
    except RecursionError:
        raise CorruptFileError(B("PDF lồng quá sâu", "PDF nested too deep")) from None
    except Exception:
        # Untrusted bytes: whatever the parser trips over (IndexError,
        # struct.error…), the file is one we cannot read.
        raise CorruptFileError(B("PDF không đọc được", "unreadable PDF")) from None
    if pages < 1:
        raise CorruptFileError(B("PDF không có trang nào", "PDF without pages"))
    if pages > limits.max_pages:
        raise FileTooLargeError(
            B(f"tối đa {limits.max_pages} trang", f"at most {limits.max_pages} pages")
        )
    return pages


def _image_pdf(data: bytes, kind: MediaType, limits: ScanLimits) -> bytes:
    import img2pdf
    from PIL import Image, ImageSequence

    pages: list[bytes] = []
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, past MAX_IMAGE_PIXELS; we bound it ourselves.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[kind]]) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > limits.max_pages:
                    raise FileTooLargeError(
                        B(
                            f"tối đa {limits.max_pages} trang",
                            f"at most {limits.max_pages} pages",
                        )
                    )
                for frame in ImageSequence.Iterator(image):
                    width, height = frame.size
                    # Checked from the header, before a pixel is decoded.
                    if width * height > limits.max_pixels:
                        raise FileTooLargeError(
                            B(
                                f"ảnh quá lớn (tối đa {limits.max_pixels} điểm ảnh)",
                                f"image too large (at most {limits.max_pixels} pixels)",
                            )
                        )
                    pages.append(_page_image(frame, kind, data))
    except FileTooLargeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileTooLargeError(
            B("ảnh nén bất thường (bom giải nén)", "decompression bomb")
        ) from None
    except Exception:
        # As for PDFs: any failure of the decoder on these bytes is a corrupt image.
        raise CorruptFileError(B("ảnh không đọc được", "unreadable image")) from None
    try:
        # No dates: the same upload makes the same PDF (content-addressed).
        pdf = img2pdf.convert(pages, rotation=img2pdf.Rotation.ifvalid, nodate=True)
    except Exception:  # img2pdf raises many kinds for a bad image
        raise CorruptFileError(B("ảnh không đọc được", "unreadable image")) from None
    assert isinstance(pdf, bytes)
    return pdf


def _page_image(frame: Image.Image, kind: MediaType, original: bytes) -> bytes:
    """One page as bytes img2pdf embeds: a JPEG as it came (lossless), else PNG."""
    frame.load()  # decodes now: a truncated image fails here, not later
    if kind is MediaType.JPEG and frame.mode in ("L", "RGB", "CMYK"):
        return original
    converted = frame if frame.mode in ("1", "L", "RGB") else frame.convert("RGB")
    out = io.BytesIO()
    converted.save(out, format="PNG")
    return out.getvalue()


def _describe(data: bytes) -> B:
    head = data[:16]
    if not data:
        return B("tệp rỗng", "empty file")
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return B("văn bản", "text")
    return B("định dạng không xác định", "an unknown format")
