"""The lookup bench's reference: a bare FastAPI JSON route, served by uvicorn
in its own process (``python -m api.bench.bare PORT WORKERS``), nothing else:
the same uvicorn and the same worker supervisor as ``motcua serve``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.post("/lookup")
async def lookup(body: dict[str, Any]) -> dict[str, Any]:
    """The same answer shape as ``dossierStatus``, from the request's variables."""
    code = body.get("variables", {}).get("code")
    return {
        "data": {
            "dossierStatus": {
                "code": code,
                "completion": "IN_PROGRESS",
                "label": "Đang giải quyết",
            }
        }
    }


if __name__ == "__main__":
    import sys

    from api.cli.serve import serve_workers

    serve_workers(
        "api.bench.bare:app",
        "127.0.0.1",
        int(sys.argv[1]),
        int(sys.argv[2]),
        access_log=False,
        log_level="warning",
    )
