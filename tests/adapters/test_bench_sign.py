"""``motcua bench sign`` measures real signatures on scan-like PDFs."""

from __future__ import annotations

import pypdfium2 as pdfium
from typer.testing import CliRunner

from api.bench.sign import run_sign_benchmark, scan_pdf
from api.cli.main import app


def test_scans_are_pdfs_of_the_asked_pages_and_scan_sized() -> None:
    one, three = scan_pdf(1), scan_pdf(3)
    for data, pages in ((one, 1), (three, 3)):
        document = pdfium.PdfDocument(data)
        try:
            assert len(document) == pages
        finally:
            document.close()
    assert 100_000 < len(one) < 600_000
    assert len(three) > 2.5 * len(one)


def test_the_report_has_a_figure_per_page_count_beside_hashing() -> None:
    report = run_sign_benchmark(page_counts=(1, 3), documents=2, rounds=1)
    assert report.name == "sign"
    assert [f.topology.split(",")[0] for f in report.figures] == ["1 page", "3 pages"]
    for figure in report.figures:
        assert 0 < figure.app < figure.reference
        assert figure.ratio == figure.app / figure.reference
        assert figure.p50_ms > figure.reference_p50_ms
    assert len(report.notes) == 2


def test_the_command_prints_json() -> None:
    result = CliRunner().invoke(app, ["bench", "sign", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    assert '"name": "sign"' in result.stdout
    assert "20 pages" in result.stdout
