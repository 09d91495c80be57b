"""Visible signature stamps (Decree 30/2020 style): who signed, for which
unit, when (ISO 8601, Vietnam time), in DejaVu Serif with full Vietnamese
diacritics, at the foot of the last page, right to left, one box per signature.

pyhanko writes a TrueType font's glyph widths in its own units, which the PDF
reads as thousandths of an em; DejaVu has 2048 units per em, so it is scaled
to 1000 once per process (fontTools) before pyhanko embeds it.

pyhanko embeds a subset of the font holding the glyphs a stamp uses, and
subsets it anew for every signature (most of a stamp's cost). ``StampFont``
keeps the subsets it made per glyph set for the process: the time's
characters are always included, so one signer and unit's stamps share one.
The embedded font program is the one pyhanko would make for that glyph set
(same fontTools options), plus the digits the next stamp may need.
"""

from __future__ import annotations

import functools
import hashlib
import io
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
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
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
#: Every character an ISO 8601 time may show: always in the embedded subset,
#: so that the time does not change which subset a stamp needs.
TIME_CHARACTERS = "0123456789-:+T"
#: Subsets kept per process (a few kB each): one per signer and unit in use.
SUBSETS_KEPT = 256


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


@functools.cache
def _font_bytes() -> bytes:
    return Path(_font_file()).read_bytes()


@functools.cache
def _time_glyphs() -> frozenset[int]:
    font = TTFont(io.BytesIO(_font_bytes()))
    cmap = font.getBestCmap()
    return frozenset(font.getGlyphID(cmap[ord(c)]) for c in TIME_CHARACTERS)


@functools.lru_cache(maxsize=SUBSETS_KEPT)
def _subset_program(glyphs: frozenset[int]) -> bytes:
    """The TrueType program pyhanko's ``GlyphAccumulator`` embeds for
    ``glyphs`` (its subsetting options: glyph ids kept, no layout tables)."""
    font = TTFont(io.BytesIO(_font_bytes()))
    options = Options(layout_closure=False, retain_gids=True)
    options.drop_tables += ["GPOS", "GDEF", "GSUB"]
    subsetter = Subsetter(options=options)
    subsetter.populate(gids=sorted(glyphs))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class _SubsetProgram(CIDFontType2):
    """A CIDFontType2 whose font program was subset beforehand."""

    program = b""

    def set_font_file(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        stream = generic.StreamObject(stream_data=self.program)
        stream.compress()  # type: ignore[no-untyped-call]
        reference = writer.add_object(stream)
        self._font_descriptor[generic.NameObject("/FontFile2")] = reference
        return reference


class StampFont(GlyphAccumulator):
    """pyhanko's glyph accumulator with the font subsets cached per process."""

    def __init__(self, writer: BasePdfFileWriter, obj_stream: object = None) -> None:
        super().__init__(
            writer, io.BytesIO(_font_bytes()), FONT_SIZE, obj_stream=obj_stream
        )
        base_name = self.cidfont_obj.name.partition("+")[2]
        self.cidfont_obj = _SubsetProgram(self.tt, base_name, self.subset_prefix)

    def _extract_subset(self, options: Options | None = None) -> None:
        assert isinstance(self.cidfont_obj, _SubsetProgram)
        self.cidfont_obj.program = _subset_program(
            frozenset(self._glyphs) | _time_glyphs()
        )


class StampFontFactory(FontEngineFactory):
    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: object = None
    ) -> StampFont:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]
        return StampFont(writer, obj_stream)


def style() -> TextStampStyle:
    font = StampFontFactory()
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
