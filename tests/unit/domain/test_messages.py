"""Error messages: all Vietnamese or all English, and never an echo of unbounded input.

Three checks of one rule. Every raise site of a ``LabelledError`` in
``domain/`` and ``application/`` passes its detail bilingually (the source is
walked); every error class's templates are in their language; the reasons the
review found (and their siblings) read in one language when raised for real.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import application
import domain
from adapters.settings import persistence_env
from application.onestop import OneStop
from domain.dossier_values import Holder
from domain.errors import (
    MAX_SHOWN,
    Bilingual,
    DomainError,
    InvalidAgencyCodeError,
    LabelledError,
    MissingDataError,
    shown,
)
from domain.values import AgencyCode
from tests.factories import (
    JUSTICE,
    at,
    citizen,
    desk,
    document,
    in_progress,
    leader,
    seed_catalogue,
    specialist,
    trace,
)

ROOT = Path(__file__).resolve().parents[3]
# Vietnamese letters outside ASCII: an English message must not contain them.
VIETNAMESE = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]",
    re.IGNORECASE,
)
# English words of the reasons found and their siblings; none is Vietnamese.
ENGLISH = frozenset(
    [
        "the",
        "must",
        "not",
        "be",
        "later",
        "items",
        "only",
        "once",
        "due",
        "time",
        "passed",
        "has",
        "no",
        "of",
        "is",
        "after",
        "before",
        "hand-over",
        "working",
        "hours",
        "requested",
        "missing",
        "supplement",
        "awaiting",
        "signature",
        "outside",
        "dossier",
        "procedure",
        "unit",
        "province",
        "applicant",
        "online",
        "offered",
        "desk",
        "officer",
        "receives",
        "less",
        "than",
        "name",
        "department",
        "reason",
        "fees",
        "receipt",
        "decision",
        "result",
        "document",
        "negative",
        "duration",
        "naive",
        "datetime",
        "holiday",
        "calendar",
        "session",
        "day",
        "within",
        "three",
        "years",
        "duplicate",
        "component",
        "codes",
        "code",
        "cannot",
        "change",
        "publisher",
        "limit",
        "days",
        "may",
        "brought",
        "paper",
        "scope",
        "shown",
        "shared",
        "photocopy",
        "classified",
        "digitized",
    ]
)


def english_words(message: str) -> set[str]:
    return set(re.findall(r"[a-z][a-z-]+", message.lower())) & ENGLISH


def assert_one_language(error: LabelledError) -> None:
    vi, en = error.message("vi"), error.message("en")
    assert not english_words(vi), (error.code, vi)
    assert not VIETNAMESE.search(en), (error.code, en)


# -- 1. the source: every raise site passes bilingual details ---------------------------


def _error_classes() -> dict[str, type[LabelledError]]:
    for package in (domain, application):
        for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    found: dict[str, type[LabelledError]] = {}
    todo: list[type[LabelledError]] = [LabelledError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def _raise_sites() -> Iterator[tuple[str, ast.Call]]:
    classes = _error_classes()
    for folder in ("domain", "application"):
        for path in sorted((ROOT / folder).glob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Raise) or not isinstance(
                    node.exc, ast.Call
                ):
                    continue
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else None
                if name in classes:
                    yield f"{path.name}:{node.lineno} {name}", node.exc


def test_the_walk_finds_the_raise_sites() -> None:
    names = {site.split()[1] for site, _ in _raise_sites()}
    assert {"ReappointmentError", "MissingDataError", "ComponentError"} <= names
    assert len(list(_raise_sites())) > 60


def test_no_raise_site_passes_monolingual_text() -> None:
    """Text is wrapped in ``Bilingual`` (or ``field_name``); a bare literal or
    f-string with words would show English in a Vietnamese message."""
    offenders = []
    for site, call in _raise_sites():
        if site.endswith("InvalidValueError"):
            continue  # (field, rule_vi, rule_en) by its signature
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Constant | ast.JoinedStr):
                literal = "".join(
                    part.value
                    for part in (
                        arg.values if isinstance(arg, ast.JoinedStr) else [arg]
                    )
                    if isinstance(part, ast.Constant) and isinstance(part.value, str)
                )
                if re.search(r"[A-Za-z]{2,}", literal):
                    offenders.append(f"{site}: {literal!r}")
    assert not offenders


# -- 2. the templates of every class ---------------------------------------------------


def _code(cls: type[LabelledError]) -> str:
    return f"{cls.code}:{cls.__name__}"


ERROR_CLASSES: list[type[LabelledError]] = sorted(_error_classes().values(), key=_code)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=_code)
def test_every_template_is_in_its_language(cls: type[LabelledError]) -> None:
    placeholders = re.compile(r"\{[a-z0-9_]+\}")
    assert not english_words(placeholders.sub("", cls.vi)), cls.vi
    assert not VIETNAMESE.search(cls.en), cls.en


# -- 3. the reasons, raised for real --------------------------------------------------


@pytest.fixture
def app() -> Iterator[OneStop]:
    application = OneStop(env=persistence_env("memory://"))
    seed_catalogue(application)
    yield application
    application.close()


def _raised(call: object, *args: object, **kwargs: object) -> LabelledError:
    with pytest.raises(LabelledError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


def test_the_reasons_found_read_in_one_language(app: OneStop) -> None:
    dossier_id = in_progress(app, when=at(0, 8))
    due = app.get_dossier(dossier_id).due_at
    assert due is not None
    errors = [
        _raised(
            app.reappoint_dossier,
            dossier_id,
            trace=trace(leader(), at(0, 9)),
            due_at=due - timedelta(hours=1),
            reason="Quá tải",
        ),
        _raised(
            app.reappoint_dossier,
            dossier_id,
            trace=trace(leader(), at(0, 9)),
            due_at=at(5, 10),
            reason="Quá tải",
        ),
        _raised(
            app.reappoint_dossier,
            dossier_id,
            trace=trace(leader(), at(2, 16)),
            due_at=at(4, 10),
            reason="Quá tải",
        ),
        _raised(
            app.forward_dossier,
            dossier_id,
            trace=trace(specialist(), at(0, 9)),
            to=Holder(JUSTICE),
            planned_due_at=at(0, 8),
        ),
        _raised(
            app.forward_dossier,
            dossier_id,
            trace=trace(specialist(), at(0, 9)),
            to=Holder(JUSTICE),
            planned_due_at=due + timedelta(days=3),
        ),
        _raised(
            app.request_supplement,
            dossier_id,
            trace=trace(specialist()),
            items=(),
            reason="x",
        ),
        _raised(
            app.sign_component,
            dossier_id,
            trace=trace(desk()),
            component_code="TP1",
        ),
        _raised(
            app.digitize_component,
            dossier_id,
            trace=trace(desk()),
            component_code="TP3",
            document=document(app=app),
        ),
        _raised(app.stop_dossier, dossier_id, trace=trace(leader()), reason=" "),
        _raised(app.withdraw_dossier, dossier_id, trace=trace(specialist())),
        _raised(
            app.rate_dossier, dossier_id, trace=trace(citizen()), satisfaction=None
        ),
        _raised(
            app.resolve_dossier,
            dossier_id,
            trace=trace(leader()),
            results=(),
            decision="Cấp",
        ),
    ]
    app.request_supplement(
        dossier_id, trace=trace(specialist()), items=("TP2",), reason="Bổ sung"
    )
    errors.append(_raised(app.receive_supplement, dossier_id, trace=trace(citizen())))
    codes = {error.code for error in errors}
    assert {
        "REAPPOINTMENT_REFUSED",
        "INVALID_PLANNED_DUE",
        "MISSING_DATA",
        "COMPONENT_ERROR",
        "INVALID_SUPPLEMENT",
    } <= codes
    for error in errors:
        assert_one_language(error)


def test_missing_data_names_the_input_in_vietnamese() -> None:
    error = MissingDataError(Bilingual("thành phần cần bổ sung", "items"))
    assert error.message("vi") == "Thiếu thông tin bắt buộc: thành phần cần bổ sung"
    assert error.message("en") == "Missing mandatory data: items"


# -- clipping -------------------------------------------------------------------------


def test_a_huge_agency_code_is_not_echoed() -> None:
    code = "000.00.00.H34" + "\x00" * 10 + "9" * 500_000
    with pytest.raises(InvalidAgencyCodeError) as caught:
        AgencyCode(code)
    for language in ("vi", "en"):
        message = caught.value.message(language)
        assert len(message) < 200
        assert "\x00" not in message
        assert message.endswith("…")


@given(st.text(max_size=300))
def test_any_interpolated_value_is_clipped_and_printable(value: str) -> None:
    for error in (DomainError(value), InvalidAgencyCodeError(value)):
        for language in ("vi", "en"):
            message = error.message(language)
            assert len(message) <= len(type(error).vi) + MAX_SHOWN
            assert not any(
                unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in message
            )
    assert len(shown(value)) <= MAX_SHOWN
    if len(value) <= MAX_SHOWN and value.isprintable():
        assert shown(value) == value


def test_operator_configuration_is_explained_in_full_but_still_bounded() -> None:
    from adapters.settings import ConfigurationError

    explanation = "MOTCUA_ENV=production refuses the development signing key: " * 3
    assert explanation.strip() in ConfigurationError(explanation).message("en")
    huge = ConfigurationError("x" * 100_000 + "\x00").message("en")
    assert len(huge) < 1100
    assert "\x00" not in huge


def test_a_refused_role_is_named_in_the_message_language() -> None:
    from api.auth import AccessLevel, Principal
    from domain.errors import ActorNotAllowedError
    from domain.values import Role

    monitor = Principal(AccessLevel.MONITOR, "m-1")
    for role in (None, Role.DESK):
        with pytest.raises(ActorNotAllowedError) as caught:
            monitor.actor_for(role)
        assert_one_language(caught.value)
        assert "monitor" not in caught.value.message("vi")
