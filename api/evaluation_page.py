"""``/danh-gia``: the online evaluation form the printed form's QR points at (R-32).

The questions are rendered here from ``domain.citizen_evaluation`` (no query
serves them), so the page and the paper form cannot drift apart; the script
only collects the answers and submits ``evaluateDossier`` under the citizen's
token. Assets are served by the API itself (no external CDN).
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from domain.citizen_evaluation import (
    CITIZEN_INDICES,
    INDEX_TEXTS,
    SATISFACTION_LABELS,
    SCORES,
    Question,
)

HERE = Path(__file__).parent
PAGE = "/danh-gia"
QUESTIONS_SLOT = "<!-- questions -->"
# The GraphQL argument each satisfaction question fills.
ARGUMENTS = {Question.OVERALL: "satisfaction", Question.CONVENIENCE: "convenience"}

router = APIRouter()


def _index(index: int) -> str:
    name, descriptions = INDEX_TEXTS[index]
    choices = "".join(
        f'<label><input type="radio" name="i{index}" value="{score}">'
        f"<b>{score} điểm</b> {escape(descriptions[score])}</label>"
        for score in sorted(SCORES, reverse=True)
    )
    return (
        f'<fieldset data-index="{index}"><legend>Chỉ số {index}. {escape(name)}'
        f"</legend>{choices}</fieldset>"
    )


def _question(question: Question) -> str:
    argument = ARGUMENTS[question]
    choices = "".join(
        f'<label><input type="radio" name="{argument}" value="{level.name}">'
        f"{escape(label)}</label>"
        for level, label in SATISFACTION_LABELS.items()
    )
    return (
        f'<fieldset data-question="{argument}"><legend>{escape(question.label("vi"))}'
        f"</legend>{choices}</fieldset>"
    )


@cache
def page_html() -> bytes:
    questions = "".join(_index(i) for i in CITIZEN_INDICES) + "".join(
        _question(q) for q in Question
    )
    template = (HERE / "evaluation_page.html").read_text(encoding="utf-8")
    return template.replace(QUESTIONS_SLOT, questions).encode()


def _asset(name: str, media_type: str) -> Response:
    return Response(
        (HERE / name).read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "no-cache"},
    )


@router.get(PAGE, include_in_schema=False)
def page() -> Response:
    return Response(
        page_html(),
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@router.get(f"{PAGE}/app.js", include_in_schema=False)
def script() -> Response:
    return _asset("evaluation_page.js", "text/javascript; charset=utf-8")


@router.get(f"{PAGE}/app.css", include_in_schema=False)
def style() -> Response:
    return _asset("evaluation_page.css", "text/css; charset=utf-8")
