"""Merkle tree over the seal rows of one checkpoint span (RFC 9162 §2.1).

Leaves are the seal's row hashes in position order; a checkpoint signs the
tree head of the rows since the previous checkpoint, so the proof that one
event is in the signed log is its audit path: ⌈log₂ n⌉ hashes instead of
every row hash up to the checkpoint. Leaf and node hashes are domain
separated (``0x00`` / ``0x01``) as in Certificate Transparency, so a node can
never pass for a leaf.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(row: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + row).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def tree_root(rows: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the row hashes (the empty tree: SHA-256 of nothing)."""
    if not rows:
        return hashlib.sha256(b"").digest()
    tree = TreeBuilder()
    for row in rows:
        tree.add(row)
    return tree.root()


def _subtree(rows: Sequence[bytes]) -> bytes:
    if len(rows) == 1:
        return leaf_hash(rows[0])
    k = _split(len(rows))
    return node_hash(_subtree(rows[:k]), _subtree(rows[k:]))


def audit_path(index: int, rows: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the sibling hashes from leaf ``index`` up to the root."""
    if not 0 <= index < len(rows):
        raise IndexError(index)
    path: list[bytes] = []
    while len(rows) > 1:
        k = _split(len(rows))
        if index < k:
            path.append(_subtree(rows[k:]))
            rows = rows[:k]
        else:
            path.append(_subtree(rows[:k]))
            rows, index = rows[k:], index - k
    path.reverse()
    return path


def root_from_path(index: int, size: int, row: bytes, path: Sequence[bytes]) -> bytes:
    """The root a leaf and its audit path lead to (RFC 9162 §2.1.3.2);
    ``ValueError`` when the path cannot belong to that index and size."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    fn, sn = index, size - 1
    result = leaf_hash(row)
    for sibling in path:
        if sn == 0:
            raise ValueError("audit path longer than the tree")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("audit path shorter than the tree")
    return result


class TreeBuilder:
    """The tree head of rows fed one at a time, in O(log n) memory (for the
    verifier walking the whole log)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, row: bytes) -> None:
        height, node = 0, leaf_hash(row)
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            node = node_hash(left, node)
            height += 1
        self._stack.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return hashlib.sha256(b"").digest()
        result = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result
