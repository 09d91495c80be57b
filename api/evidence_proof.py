"""Proofs that bundled events are in the signed log.

Each event's proof leads from its row hash to the checkpoint whose span holds
it: the audit path in that span's Merkle tree (``merkle``: ⌈log₂ n⌉ hashes for
a span of n rows). A checkpoint made before spans had a tree head proves by
the running hash instead (``running``: the running hash before the event and
every row hash from it to the checkpoint), so logs sealed by an earlier
version still export.
"""

from __future__ import annotations

import bisect
from typing import Any

from projections.merkle import audit_path, root_from_path
from projections.ports import ReadStore
from projections.seal import SEAL, ZERO, Checkpoint, row_hash, running_hash, span_rows


class ProofError(Exception):
    """A proof does not lead to its signed checkpoint; the message says which."""


def build_proofs(
    store: ReadStore, positions: list[int], made: list[Checkpoint]
) -> tuple[list[dict[str, Any]], list[Checkpoint]]:
    """One proof per position and the checkpoints they lead to."""
    ends = [c.position for c in made]
    by_checkpoint: dict[int, list[int]] = {}
    for position in sorted(positions):
        at = bisect.bisect_left(ends, position)
        if at == len(ends):
            msg = f"no signed checkpoint covers position {position} yet"
            raise ProofError(msg)
        by_checkpoint.setdefault(at, []).append(position)
    proofs: list[dict[str, Any]] = []
    used: list[Checkpoint] = []
    for at, members in sorted(by_checkpoint.items()):
        checkpoint = made[at]
        used.append(checkpoint)
        if checkpoint.merkle_root is not None and checkpoint.span_start is not None:
            rows = span_rows(store, checkpoint.span_start, checkpoint.position)
            leaves = [h for _, h in rows]
            index = {p: i for i, (p, _) in enumerate(rows)}
            for position in members:
                path = audit_path(index[position], leaves)
                proofs.append(
                    {
                        "position": position,
                        "checkpoint": checkpoint.position,
                        "merkle": {
                            "leafIndex": index[position],
                            "treeSize": len(leaves),
                            "path": [h.hex() for h in path],
                        },
                    }
                )
            continue
        for position in members:
            before = store.query(
                f"SELECT running_hash FROM {SEAL} WHERE position < ? "
                "ORDER BY position DESC LIMIT 1",
                (position,),
            )
            rows = span_rows(store, position, checkpoint.position)
            proofs.append(
                {
                    "position": position,
                    "checkpoint": checkpoint.position,
                    "running": {
                        "before": str(before[0][0]) if before else ZERO,
                        "rows": [[p, h.hex()] for p, h in rows],
                    },
                }
            )
    return proofs, used


def check_proofs(
    proofs: list[dict[str, Any]],
    events: list[dict[str, Any]],
    states: dict[int, bytes],
    checkpoints: dict[int, Checkpoint],
) -> int:
    """Every event's proof leads to its (already verified) checkpoint; returns
    the number of hashes the proofs hold."""
    by_position = {int(p["position"]): p for p in proofs}
    hashes = 0
    for event in events:
        position = int(event["position"])
        where = f"event version {event['version']} at position {position}"
        proof = by_position.get(position)
        if proof is None:
            raise ProofError(f"{where}: no proof")
        checkpoint = checkpoints.get(int(proof["checkpoint"]))
        if checkpoint is None:
            raise ProofError(f"{where}: its proof names no bundled checkpoint")
        row = row_hash(
            position,
            event["originatorId"],
            event["version"],
            event["topic"],
            states[position],
        )
        if "merkle" in proof:
            merkle = proof["merkle"]
            path = [bytes.fromhex(h) for h in merkle["path"]]
            hashes += len(path)
            try:
                root = root_from_path(
                    int(merkle["leafIndex"]), int(merkle["treeSize"]), row, path
                )
            except ValueError as error:
                raise ProofError(f"{where}: {error}") from None
            if (
                checkpoint.merkle_root is None
                or checkpoint.span_start is None
                or not checkpoint.span_start <= position <= checkpoint.position
                or root.hex() != checkpoint.merkle_root
            ):
                raise ProofError(
                    f"{where}: not the row sealed at that position under the "
                    f"checkpoint at {checkpoint.position}"
                )
            continue
        running_proof = proof["running"]
        rows = [(int(p), bytes.fromhex(h)) for p, h in running_proof["rows"]]
        hashes += len(rows) + 1
        if not rows or rows[0] != (position, row):
            raise ProofError(f"{where}: not the row sealed at that position")
        running = bytes.fromhex(running_proof["before"])
        last = -1
        for at, hashed in rows:
            if at <= last:
                raise ProofError(f"{where}: the proof's positions are out of order")
            last = at
            running = running_hash(running, hashed)
        if last != checkpoint.position or running.hex() != checkpoint.running_hash:
            raise ProofError(f"{where}: the proof does not lead to the checkpoint")
    return hashes
