"""Visible signature stamps (Decree 30/2020 style): who signed, for which
unit, when (ISO 8601, Vietnam time), in DejaVu Serif with full Vietnamese
diacritics, at the foot of the last page, right to left, one box per signature.

pyhanko writes a TrueType font's glyph widths in its own units, which the PDF
reads as thousandths of an em; DejaVu has 2048 units per em, so it is scaled
to 1000 once per process (fontTools) before pyhanko embeds it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields
from pyhanko.stamp import TextStampStyle

# fontTools logs every subsetting step at INFO (and a harmless FFTM warning).
logging.getLogger("fontTools").setLevel(logging.ERROR)

FONT = Path(__file__).parents[1] / "slips" / "fonts" / "DejaVuSerif.ttf"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
FONT_SIZE = 7
BOX_WIDTH = 190.0
BOX_HEIGHT = 34.0
GAP = 4.0
TEXT = "Ký bởi: %(signer)s\nĐơn vị: %(unit)s\nThời gian: %(at)s"


_VIETNAMESE = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x180),  # Latin-1, Latin Extended-A (ă, đ, ĩ, ũ…)
    0x1A0,
    0x1A1,
    0x1AF,
    0x1B0,  # Ơ ơ Ư ư
    *range(0x300, 0x324),  # combining marks
    *range(0x1EA0, 0x1EFA),  # Latin Extended Additional (ạ…ỹ)
    0x2013,
    0x2014,
    *range(0x2018, 0x201F),
    0x2026,
]


@dataclass(frozen=True)
class Stamp:
    signer: str
    unit: str


@functools.cache
def _font_file() -> str:
    """DejaVu Serif at 1000 units per em, written once to the temp folder."""
    digest = hashlib.sha256(FONT.read_bytes()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"motcua-stamp-{digest}-vi1.ttf"
    if not path.exists():
        font = TTFont(str(FONT))
        scale_upem(font, 1000)
        # Only what Vietnamese text needs: pyhanko subsets the font again on
        # every signature, and a small font keeps that fast.
        subsetter = Subsetter(Options(layout_features=["*"], name_IDs=["*"]))
        subsetter.populate(unicodes=_VIETNAMESE)
        subsetter.subset(font)
        with tempfile.NamedTemporaryFile(
            dir=path.parent, suffix=".ttf", delete=False
        ) as out:
            font.save(out)
        os.replace(out.name, path)  # whole or absent, whoever writes it
    return str(path)


def style() -> TextStampStyle:
    font = GlyphAccumulatorFactory(_font_file(), font_size=FONT_SIZE)
    return TextStampStyle(
        stamp_text=TEXT,
        text_box_style=TextBoxStyle(font=font, font_size=FONT_SIZE),
        border_width=1,
        background=None,
    )


def field_spec(
    writer: IncrementalPdfFileWriter, field_name: str, index: int
) -> fields.SigFieldSpec:
    """The ``index``-th signature's box (0: rightmost) at the foot of the last
    page, inside the 15 mm bottom margin slips keep free; further boxes go
    left, then a row up."""
    last = int(writer.root["/Pages"]["/Count"]) - 1
    page, _ = writer.find_page_for_modification(last)  # type: ignore[no-untyped-call]
    node = page.get_object()
    while "/MediaBox" not in node:  # inherited from the page tree
        node = node["/Parent"]
    x0, y0, x1, _ = (float(v) for v in node["/MediaBox"])
    width = min(BOX_WIDTH, x1 - x0 - 2 * GAP)
    per_row = max(1, int((x1 - x0 - GAP) // (width + GAP)))
    column, row = index % per_row, index // per_row
    right = x1 - GAP - column * (width + GAP)
    bottom = y0 + GAP + row * (BOX_HEIGHT + GAP)
    return fields.SigFieldSpec(
        sig_field_name=field_name,
        on_page=last,
        box=(int(right - width), int(bottom), int(right), int(bottom + BOX_HEIGHT)),
    )


def params(stamp: Stamp, at: datetime | None = None) -> dict[str, str]:
    moment = (at or datetime.now(VIETNAM)).astimezone(VIETNAM)
    return {
        "signer": stamp.signer,
        "unit": stamp.unit,
        "at": moment.isoformat(timespec="seconds"),
    }
