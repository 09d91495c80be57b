"""Load generator for ``motcua bench write --via graphql``, run as its own process.

``python -m api.bench.mutation_load '<json job>'`` opens ``writers`` keep-alive
HTTP/1.1 connections (``http.client``, one thread each) to a served motcua and
sends, per dossier, the officer mutations ``receiveDossier`` (paper, at the
desk) then ``forwardDossier`` with the code it returned. It prints one JSON
line: elapsed wall seconds, its own CPU seconds (so a reader can see the
generator was not the bottleneck), commands sent and failures.
"""

from __future__ import annotations

import http.client
import json
import resource
import sys
import threading
import time
from typing import Any
from urllib.parse import urlparse

RECEIVE = """mutation R($p: String!, $id: String!, $name: String!) {
  receiveDossier(input: {procedureCode: $p, applicantId: $id, applicantName: $name})
  { __typename ... on DossierReceived { code } } }"""
FORWARD = """mutation F($code: String!, $to: String!, $dept: String) {
  forwardDossier(dossier: {code: $code}, toAgencyCode: $to, toDepartment: $dept)
  { __typename } }"""


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class GraphQLConnection:
    """One keep-alive HTTP/1.1 connection posting GraphQL with the job's token."""

    def __init__(self, job: dict[str, Any]) -> None:
        url = urlparse(job["url"])
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {job['token']}",
        }

    def post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables})
        self.conn.request("POST", "/graphql", body, self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
        answer: dict[str, Any] = json.loads(payload)
        return answer


class _Writer(GraphQLConnection):
    """One keep-alive connection sending receive + forward pairs."""

    def __init__(self, job: dict[str, Any]) -> None:
        super().__init__(job)
        self.job = job
        self.failures: list[str] = []

    def run(self, pairs: int) -> None:
        job = self.job
        for _ in range(pairs):
            received = self.post(
                RECEIVE,
                {"p": job["procedure"], "id": job["applicant_id"], "name": job["name"]},
            )
            outcome = (received.get("data") or {}).get("receiveDossier") or {}
            if outcome.get("__typename") != "DossierReceived":
                self.failures.append(json.dumps(received)[:300])
                continue
            forwarded = self.post(
                FORWARD,
                {"code": outcome["code"], "to": job["to"], "dept": job["department"]},
            )
            result = (forwarded.get("data") or {}).get("forwardDossier") or {}
            if result.get("__typename") != "DossierUpdated":
                self.failures.append(json.dumps(forwarded)[:300])


def run(job: dict[str, Any]) -> dict[str, Any]:
    writers = [_Writer(job) for _ in range(job["writers"])]
    for writer in writers:  # connect before the clock starts
        writer.conn.connect()
    pairs = job["pairs"]
    shares = [
        pairs // len(writers) + (i < pairs % len(writers)) for i in range(len(writers))
    ]
    threads = [
        threading.Thread(target=w.run, args=(n,))
        for w, n in zip(writers, shares, strict=True)
    ]
    cpu, started = cpu_seconds(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    failures = [f for w in writers for f in w.failures]
    for writer in writers:
        writer.conn.close()
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "commands": 2 * pairs,
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(json.loads(sys.argv[1]))) + "\n")
