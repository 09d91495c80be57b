"""``/dashboard``: the monitors' page, served with its assets (no external CDN).

The page holds no figures itself: its script asks the GraphQL monitoring API
with the monitor's token, so the dashboard shows exactly what the API answers.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

HERE = Path(__file__).parent
ASSETS = {
    "/dashboard": ("dashboard.html", "text/html; charset=utf-8"),
    "/dashboard/app.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/dashboard/app.css": ("dashboard.css", "text/css; charset=utf-8"),
}

router = APIRouter()


def _serve(name: str, media_type: str) -> Response:
    return Response(
        (HERE / name).read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/dashboard", include_in_schema=False)
def page() -> Response:
    return _serve(*ASSETS["/dashboard"])


@router.get("/dashboard/app.js", include_in_schema=False)
def script() -> Response:
    return _serve(*ASSETS["/dashboard/app.js"])


@router.get("/dashboard/app.css", include_in_schema=False)
def style() -> Response:
    return _serve(*ASSETS["/dashboard/app.css"])
