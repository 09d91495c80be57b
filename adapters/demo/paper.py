"""Paper documents for the demo: a page rendered as a scanner would deliver it
(an image, Vietnamese text in a font with full diacritics), stored as a PDF."""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from adapters.files.scans import ScanLimits, to_pdf
from application.files import FileStore
from domain.files import StoredFile

_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf"),
)
_LIMITS = ScanLimits(max_bytes=20 * 2**20, max_pages=10, max_pixels=10_000_000)
# A5-ish page at 100 dpi keeps 500 simulated dossiers quick and small.
_PAGE = (583, 827)


@functools.lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default()


def page(lines: list[str], kind: str = "JPEG") -> bytes:
    """One scanned page with ``lines`` of text (first line as the title)."""
    image = Image.new("L", _PAGE, 250)
    draw = ImageDraw.Draw(image)
    draw.text((60, 40), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=_font(16), fill=0)
    draw.text((120, 64), "Độc lập - Tự do - Hạnh phúc", font=_font(15), fill=0)
    y = 130
    for index, line in enumerate(lines):
        draw.text((50, y), line, font=_font(22 if index == 0 else 16), fill=0)
        y += 40 if index == 0 else 28
    out = io.BytesIO()
    image.save(out, format=kind, quality=70)
    return out.getvalue()


def store_page(files: FileStore, lines: list[str]) -> StoredFile:
    """Scan ``lines`` to a PDF and keep it in ``files``."""
    scan = to_pdf(page(lines), _LIMITS)
    digest = hashlib.sha256(scan.pdf).hexdigest()
    return files.add(
        scan.pdf, StoredFile(digest, len(scan.pdf), scan.pages, scan.media_type)
    )
