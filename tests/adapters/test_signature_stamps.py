"""Visible signature stamps: signer, unit, time (Decree 30/2020 style).

Real pyhanko signatures with the development PKI; the stamp text is read
back from the rendered page (pdfium), so a wrong glyph mapping or width
table (Vietnamese diacritics, spacing) fails here, and rendered to PNG by
``pdftoppm`` so a stamp that does not draw fails too.
"""

from __future__ import annotations

import functools
import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.pki import Pki
from adapters.pki import stamp as stamps
from api.bench.servers import scratch
from application.signatures import SignerRef
from tests.factories import JUSTICE
from tests.scans import pdf_bytes

UNIT = "Sở Tư pháp tỉnh Kon Tum"
PERSON = "Trần Thị Hồng Nhung"


def text_of(pdf: bytes) -> str:
    """The last page's text, the stamps' appearances flattened into it (a
    widget's appearance is not page text until then)."""
    document = pdfium.PdfDocument(pdf)
    document.init_forms()
    try:
        last = len(document) - 1
        document[last].flatten()
        return str(document[last].get_textpage().get_text_range())
    finally:
        document.close()


def boxes(pdf: bytes) -> list[tuple[float, ...]]:
    reader = PdfFileReader(io.BytesIO(pdf))
    return [
        tuple(float(v) for v in s.sig_field["/Rect"])
        for s in reader.embedded_signatures
    ]


@functools.cache
def stamp_pki() -> Pki:
    """This module's own PKI: an identity's names are fixed when it is first
    issued, and in the test process's shared PKI another test may have issued
    this officer or this unit's seal without them."""
    return Pki.development_pki(scratch.folder("motcua-stamp-pki-"))


def signed_result() -> bytes:
    return stamp_pki().sign_result(
        pdf_bytes("Quyết định"),
        SignerRef.officer("lead-1", JUSTICE, PERSON, UNIT),
        SignerRef.agency(JUSTICE, UNIT),
    )


def test_both_signatures_of_a_result_are_stamped_and_validate() -> None:
    signed = signed_result()
    validation = stamp_pki().validate(signed)
    assert validation.passed
    assert [s.signer for s in validation.signatures] == [PERSON, UNIT]
    text = " ".join(text_of(signed).split())
    assert f"Ký bởi: {PERSON}" in text
    assert f"Ký bởi: {UNIT}" in text
    assert text.count(f"Đơn vị: {UNIT}") == 2
    times = re.findall(r"Thời gian: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00)", text)
    assert len(times) == 2


def test_the_boxes_do_not_overlap_and_stay_on_the_page() -> None:
    signed = signed_result()
    first, second = boxes(signed)
    assert first != second
    overlap_x = min(first[2], second[2]) - max(first[0], second[0])
    overlap_y = min(first[3], second[3]) - max(first[1], second[1])
    assert overlap_x <= 0 or overlap_y <= 0
    reader = PdfFileReader(io.BytesIO(signed))
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    node = page
    while "/MediaBox" not in node:
        node = node["/Parent"]
    x0, y0, x1, y1 = (float(v) for v in node["/MediaBox"])
    for box in (first, second):
        assert x0 <= box[0] < box[2] <= x1
        assert y0 <= box[1] < box[3] <= y1


def test_the_font_is_embedded_with_widths_in_thousandths() -> None:
    """pyhanko writes TrueType widths in font units; DejaVu is scaled to 1000
    units per em first, so the widths are thousandths of an em (unscaled,
    "K" would be 1716 and the text spread letter by letter)."""
    reader = PdfFileReader(io.BytesIO(signed_result()))
    for signature in reader.embedded_signatures:
        fonts = list(_fonts(signature.sig_field["/AP"]["/N"].get_object()))
        assert fonts, "the stamp has no font"
        for font in fonts:
            assert "DejaVuSerif" in str(font["/BaseFont"])
            (descendant,) = font["/DescendantFonts"]
            widths = [
                int(w)
                for entry in descendant.get_object()["/W"]
                if not isinstance(entry, int | float)
                for w in entry
            ]
            assert widths
            assert 200 <= min(widths) <= max(widths) <= 1000


def _fonts(xobject: Any) -> Iterator[Any]:
    resources = xobject.get("/Resources") or {}
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for inner in (resources.get("/XObject") or {}).values():
        yield from _fonts(inner.get_object())


def test_the_stamp_draws(tmp_path: Path) -> None:
    """Rendered by poppler: the foot of the page has ink once signed."""
    plain = pdf_bytes("Quyết định")
    signed = signed_result()
    ink = []
    for name, pdf in (("plain", plain), ("signed", signed)):
        source = tmp_path / f"{name}.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "72",
                "-gray",
                "-f",
                "1",
                "-l",
                "1",
                source,
                tmp_path / name,
            ],
            check=True,
        )
        (image,) = tmp_path.glob(f"{name}*.pgm")
        data = image.read_bytes()
        header, pixels = _pgm(data)
        width, height = header
        foot = pixels[(height - 90) * width :]
        ink.append(sum(1 for p in foot if p < 128))
    assert ink[1] > ink[0] + 200


def _pgm(data: bytes) -> tuple[tuple[int, int], bytes]:
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P5"
    return (int(parts[1]), int(parts[2])), parts[4]


def test_stamps_made_from_the_kept_subsets_validate_and_draw_every_glyph(
    tmp_path: Path,
) -> None:
    """The font subset is made once per signer and unit: the second stamp of
    the same officer comes from the cache, another officer's needs its own
    letters. Each validates, reads back its own names and time, and every
    glyph it shows has its outline in the embedded font (a subset missing a
    glyph still reads back as text, but draws nothing)."""
    pki = stamp_pki()
    other = "Đặng Quốc Việt"
    first = pki.sign(
        pdf_bytes("Quyết định số 1"), SignerRef.officer("lead-1", JUSTICE, PERSON, UNIT)
    )
    before = stamps._subset_program.cache_info()
    second = pki.sign(
        pdf_bytes("Quyết định số 2"), SignerRef.officer("lead-1", JUSTICE, PERSON, UNIT)
    )
    assert stamps._subset_program.cache_info().hits == before.hits + 1
    third = pki.sign(
        pdf_bytes("Quyết định số 3"),
        SignerRef.officer("lead-cache", JUSTICE, other, UNIT),
    )
    for signed, name in ((first, PERSON), (second, PERSON), (third, other)):
        validation = pki.validate(signed)
        assert validation.passed
        assert [s.signer for s in validation.signatures] == [name]
        text = " ".join(text_of(signed).split())
        assert f"Ký bởi: {name} Đơn vị: {UNIT}" in text
        assert re.search(r"Thời gian: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", text)
        _assert_every_glyph_has_its_outline(signed)
    source = tmp_path / "third.pdf"
    source.write_bytes(third)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", source, tmp_path / "third"], check=True
    )
    (image,) = tmp_path.glob("third*.png")
    assert image.stat().st_size > 1000


def _assert_every_glyph_has_its_outline(pdf: bytes) -> None:
    original = TTFont(io.BytesIO(stamps._font_bytes()))
    reader = PdfFileReader(io.BytesIO(pdf))
    for signature in reader.embedded_signatures:
        for font in _fonts(signature.sig_field["/AP"]["/N"].get_object()):
            (descendant,) = font["/DescendantFonts"]
            descendant = descendant.get_object()
            program = descendant["/FontDescriptor"]["/FontFile2"].get_object().data
            embedded = TTFont(io.BytesIO(program))
            shown = _cids(descendant["/W"])
            assert len(shown) > 20
            for gid in shown:  # CIDToGIDMap /Identity: a CID is a glyph id
                want = original["glyf"][original.getGlyphOrder()[gid]]
                got = embedded["glyf"][embedded.getGlyphOrder()[gid]]
                assert got.numberOfContours == want.numberOfContours, gid


def _cids(widths: Any) -> list[int]:
    """The CIDs a /W array gives widths for: ``first [w w …]`` pairs."""
    entries = list(widths)
    return [
        int(first) + offset
        for first, run in zip(entries[::2], entries[1::2], strict=True)
        for offset in range(len(run))
    ]
