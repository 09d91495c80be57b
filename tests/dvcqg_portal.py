"""A local HTTP server playing the national portal's adapter (domain.md §7.2).

Real sockets and JSON, a session login, dossiers kept by ``MaHoSo`` and their
steps; ``script`` queues failure modes answered before normal service:
``"500"``, ``"timeout"`` (answers after ``slow_seconds``), ``"malformed"``
(200 with a non-JSON body), ``"no_code"`` (JSON without ``error_code``),
``"expire"`` (forgets every session: the call gets 401) and ``"refuse"``
(``error_code`` 99). Dossiers can be seeded to answer "đã tồn tại".
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.stand_in import JsonHandler, StandInServer

USERNAME = "motcua"
PASSWORD = "secret-pw"


@dataclass
class Portal:
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    logins: int = 0
    script: deque[str] = field(default_factory=deque)
    always: str | None = None
    slow_seconds: float = 2.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failure(self) -> str | None:
        with self.lock:
            if self.always:
                return self.always
            return self.script.popleft() if self.script else None

    def login(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("username") != USERNAME or body.get("password") != PASSWORD:
            return 200, {"error_code": "1", "message": "Sai tài khoản"}
        session = uuid.uuid4().hex
        with self.lock:
            self.sessions.add(session)
            self.logins += 1
        return 200, {"error_code": 0, "session": session}

    def service(
        self, body: dict[str, Any], header_session: str | None
    ) -> tuple[int, Any]:
        if body.get("session") not in self.sessions or header_session != body.get(
            "session"
        ):
            return 401, {"error_code": "-1", "message": "session expired"}
        with self.lock:
            self.calls.append(body)
        service = body.get("service")
        data = body.get("data")
        if not isinstance(data, list):
            return 200, {"error_code": "2", "message": "data must be a list"}
        if service == "DongBoHoSoMC":
            updating = body.get("isUpdating") == "True"
            for record in data:
                code = record["MaHoSo"]
                if not updating and code in self.dossiers:
                    return 200, {
                        "error_code": "3",
                        "message": f"Hồ sơ {code} đã tồn tại",
                    }
                if updating and code not in self.dossiers:
                    return 200, {
                        "error_code": "4",
                        "message": f"Hồ sơ {code} không tồn tại",
                    }
                self.dossiers[code] = record
            return 200, {"error_code": "0", "message": "OK"}
        if service == "CapNhatTienDoHoSoMC":
            for step in data:
                self.steps.setdefault(step["MaHoSo"], []).append(step)
            return 200, {"error_code": "0", "message": "OK"}
        return 200, {"error_code": "2", "message": f"unknown service {service}"}


class _Handler(JsonHandler):
    portal: Portal

    def do_GET(self) -> None:
        """``GET /dossiers``: what the portal holds, to follow a walkthrough."""
        if self.path.rstrip("/") != "/dossiers":
            self.send(404, b'{"error": "not found"}')
            return
        portal = self.portal
        with portal.lock:
            seen = {
                code: {
                    "TrangThaiHoSo": record.get("TrangThaiHoSo"),
                    "DonViXuLy": record.get("DonViXuLy"),
                    "steps": [s.get("TrangThai") for s in portal.steps.get(code, [])],
                }
                for code, record in portal.dossiers.items()
            }
            calls = [(c.get("service"), c.get("isUpdating")) for c in portal.calls]
        body = {"dossiers": seen, "calls": calls}
        self.send_json(200, body)

    def do_POST(self) -> None:
        body = self.read_json()
        portal = self.portal
        if self.path == "/login":
            status, reply = portal.login(body)
            self.send_json(status, reply)
            return
        failure = portal.failure()
        if failure == "500":
            self.send(503, b'{"error": "maintenance"}')
            return
        if failure == "timeout":
            time.sleep(portal.slow_seconds)
        elif failure == "malformed":
            self.send(200, b"<html>Bad gateway</html>", "text/html")
            return
        elif failure == "no_code":
            self.send(200, b'{"message": "ok?"}')
            return
        elif failure == "expire":
            with portal.lock:
                portal.sessions.clear()
        elif failure == "refuse":
            self.send_json(200, {"error_code": "99", "message": "MaTTHC không hợp lệ"})
            return
        status, reply = portal.service(body, self.headers.get("session"))
        self.send_json(status, reply)


class PortalServer(StandInServer):
    def __init__(self, port: int | None = None) -> None:
        self.portal = Portal()
        handler = type("Handler", (_Handler,), {"portal": self.portal})
        super().__init__(handler, port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/service"

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/login"


def main() -> None:
    """``python -m tests.dvcqg_portal [PORT]``: a portal to point a province at."""
    import sys

    server = PortalServer(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    sys.stdout.write(
        f"national portal stand-in: {server.url} (login {server.auth_url}, "
        f"user {USERNAME} / {PASSWORD})\n"
    )
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        steps = sum(map(len, server.portal.steps.values()))
        sys.stdout.write(
            json.dumps({"dossiers": len(server.portal.dossiers), "steps": steps}) + "\n"
        )


if __name__ == "__main__":
    main()
