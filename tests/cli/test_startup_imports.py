"""Every process pays its imports: an API worker must not load the signing,
PDF-drawing, image and NATS libraries before it uses them, nor ``motcua
token`` the benchmarks (checked in a fresh interpreter each)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pyhanko", "fpdf", "PIL", "img2pdf", "pypdf", "nats")


def loaded_after(statement: str) -> set[str]:
    probe = (
        f"import sys\n{statement}\nimport json\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "statement",
    [
        "import api.app",
        "import api.cli.main",
        "import api.wiring",
        "from adapters.pki.lazy import LazyPki",
    ],
)
def test_no_heavy_library_is_imported_before_it_is_used(statement: str) -> None:
    assert loaded_after(statement).isdisjoint(HEAVY)


def test_the_libraries_load_on_first_use() -> None:
    """The deferred imports name modules that exist (a typo would fail only
    in use): a scan refused as corrupt has been read by the libraries."""
    loaded = loaded_after(
        "from adapters.pki import Pki, DevelopmentPki; "
        "import adapters.slips.render, adapters.integration.inbox; "
        "from adapters.files.scans import ScanLimits, to_pdf; "
        "from domain.files import CorruptFileError; "
        "limits = ScanLimits(10**6, 5, 10**6)\n"
        "for junk in (b'%PDF-1.4 junk', b'\\x89PNG\\r\\n\\x1a\\n junk'):\n"
        "    try: to_pdf(junk, limits)\n"
        "    except CorruptFileError: pass\n"
        "    else: raise SystemExit('accepted junk')"
    )
    assert set(HEAVY) <= loaded


def test_a_subcommand_imports_only_its_own_module() -> None:
    loaded = loaded_after(
        "from api.cli.main import load_command; load_command('token')"
    )
    assert loaded.isdisjoint(HEAVY)
    modules = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from api.cli.main import load_command; "
            "load_command('token'); print(' '.join(sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert "api.cli.token" in modules
    assert not {"api.cli.bench", "api.cli.audit", "api.cli.demo"} & set(modules)
