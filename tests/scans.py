"""Real scan files for tests: images drawn with Pillow, PDFs made from them."""

from __future__ import annotations

import functools
import hashlib
import io

from PIL import Image, ImageDraw

from adapters.files.scans import ScanLimits, to_pdf
from application.files import FileStore
from domain.files import StoredFile

LIMITS = ScanLimits(max_bytes=20 * 2**20, max_pages=500, max_pixels=80_000_000)


@functools.lru_cache(maxsize=256)
def image_bytes(
    text: str, kind: str = "PNG", size: tuple[int, int] = (320, 452)
) -> bytes:
    """A page-shaped image with ``text`` on it (each text a different file)."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, size[0] - 10, size[1] - 10), outline="black")
    draw.text((24, 24), text, fill="black")
    out = io.BytesIO()
    image.save(out, format=kind)
    return out.getvalue()


@functools.lru_cache(maxsize=256)
def pdf_bytes(text: str) -> bytes:
    """A one-page PDF scan of ``text``."""
    return to_pdf(image_bytes(text), LIMITS).pdf


def store(files: FileStore, text: str) -> StoredFile:
    """Put the scan of ``text`` in ``files`` as an upload would."""
    scan = to_pdf(image_bytes(text), LIMITS)
    digest = hashlib.sha256(scan.pdf).hexdigest()
    return files.add(
        scan.pdf, StoredFile(digest, len(scan.pdf), scan.pages, scan.media_type)
    )
