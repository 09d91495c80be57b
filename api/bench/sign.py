"""``motcua bench sign``: PAdES sign + validate throughput beside hashing.

A scan is a PDF of A4 pages, each a 150 dpi greyscale JPEG of word-shaped
marks with grain (it compresses like a real scan, ~0.25 MB a page). One document = one officer
signature (B-T, the development TSA, as at the desk) and a full validation of
it against the development root. The reference is SHA-256 over the same
bytes, the least any integrity check must do, measured in the same rounds.
"""

from __future__ import annotations

import hashlib
import io
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageChops, ImageDraw

from adapters.pki import Pki
from api.bench.report import BenchReport, Figure, RoundReport
from application.signatures import SignerRef

PAGE_PIXELS = (1240, 1754)  # A4 at 150 dpi
OFFICER = SignerRef.officer("bench-officer", "000.00.00.H34", "Cán bộ đo hiệu năng")


def scan_page(seed: int) -> bytes:
    """One page as a scanner gives it: grey paper, lines of dark word-shaped
    marks, sensor grain; a JPEG of ~0.25 MB."""
    rng = random.Random(seed)
    width, height = PAGE_PIXELS
    page = Image.new("L", PAGE_PIXELS, 245)
    draw = ImageDraw.Draw(page)
    y = 150
    while y < height - 150:
        x = 120
        while True:
            word = rng.randint(15, 90)
            if x + word > width - 120:
                break
            draw.rectangle((x, y, x + word, y + 18), fill=rng.randint(20, 70))
            x += word + rng.randint(8, 14)
        y += rng.choice((34, 34, 34, 60))
    grain = Image.effect_noise(PAGE_PIXELS, 18).convert("L")
    page = ImageChops.multiply(page, grain.point(lambda v: 200 + v // 5))
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=75)
    return buffer.getvalue()


def scan_pdf(pages: int, seed: int = 1) -> bytes:
    """A ``pages``-page scan-like PDF (greyscale JPEG per page)."""
    pdf = FPDF(unit="mm", format="A4")
    for page in range(pages):
        pdf.add_page()
        pdf.image(io.BytesIO(scan_page(seed + page)), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def _timed(work: Callable[[], object], count: int) -> tuple[float, list[float]]:
    """Documents per second and each one's latency (ms)."""
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        begin = time.perf_counter()
        work()
        latencies.append((time.perf_counter() - begin) * 1000)
    elapsed = time.perf_counter() - started
    return count / elapsed, latencies


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_sign_benchmark(
    *, page_counts: tuple[int, ...] = (1, 20), documents: int = 20, rounds: int = 3
) -> BenchReport:
    with tempfile.TemporaryDirectory(prefix="motcua-bench-sign-") as folder:
        pki = Pki.development_pki(Path(folder) / "pki")
        pki.certificate_of(OFFICER)  # issue the identity outside the timing
        figures: list[Figure] = []
        first_rounds: list[RoundReport] = []
        for pages in page_counts:
            scan = scan_pdf(pages)
            count = max(2, documents // max(1, pages // 5))

            def sign_and_validate(scan: bytes = scan) -> None:
                signed = pki.sign(scan, OFFICER, reason="Số hóa")
                if not pki.validate(signed).passed:
                    raise RuntimeError("a benchmark signature did not validate")

            def digest(scan: bytes = scan) -> None:
                hashlib.sha256(scan).digest()

            sign_and_validate()  # warm-up: imports, key cache
            measured: list[RoundReport] = []
            app_latencies: list[float] = []
            ref_latencies: list[float] = []
            for index in range(rounds):
                order = ("app", "reference") if index % 2 == 0 else ("reference", "app")
                results = {}
                for side in order:
                    work = sign_and_validate if side == "app" else digest
                    repeat = count if side == "app" else count * 50
                    results[side] = _timed(work, repeat)
                app_rate, app_lat = results["app"]
                ref_rate, ref_lat = results["reference"]
                app_latencies += app_lat
                ref_latencies += ref_lat
                measured.append(RoundReport(app_rate, ref_rate, ",".join(order)))
            app = statistics.median(r.app for r in measured)
            reference = statistics.median(r.reference for r in measured)
            figures.append(
                Figure(
                    topology=f"{pages} page{'s' if pages > 1 else ''}, "
                    f"{len(scan) / 1_000_000:.2f} MB",
                    query="sign B-T + validate",
                    who="officer",
                    connections=1,
                    app=app,
                    reference=reference,
                    ratio=app / reference if reference else 0.0,
                    p50_ms=_p(app_latencies, 0.5),
                    p99_ms=_p(app_latencies, 0.99),
                    reference_p50_ms=_p(ref_latencies, 0.5),
                    reference_p99_ms=_p(ref_latencies, 0.99),
                )
            )
            if not first_rounds:
                first_rounds = measured
    head = figures[0]
    return BenchReport(
        name="sign",
        app=head.app,
        reference=head.reference,
        ratio=head.ratio,
        rounds=tuple(first_rounds),
        unit="documents/s (sign B-T + validate) vs SHA-256 of the same bytes/s",
        notes=tuple(
            f"{f.topology}: {f.app:,.1f} signed+validated docs/s "
            f"(p50 {f.p50_ms:.0f} ms) vs {f.reference:,.0f} hashes/s "
            f"(p50 {f.reference_p50_ms:.2f} ms), ratio {f.ratio:.4f}"
            for f in figures
        ),
        figures=tuple(figures),
    )
