"""The checkpoint span's Merkle tree: paths verify for every leaf, and only
for that leaf, index and tree."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.merkle import (
    TreeBuilder,
    _subtree,
    audit_path,
    root_from_path,
    tree_root,
)

rows = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70)


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 MTH written as the definition reads (recursive split)."""
    return _subtree(leaves)


@given(rows)
def test_the_streaming_root_is_the_rfc_tree_head(leaves: list[bytes]) -> None:
    tree = TreeBuilder()
    for leaf in leaves:
        tree.add(leaf)
    assert tree.root() == tree_root(leaves) == reference_root(leaves)


def test_known_shape() -> None:
    a, b, c = (hashlib.sha256(x).digest() for x in (b"a", b"b", b"c"))

    def leaf(x: bytes) -> bytes:
        return hashlib.sha256(b"\x00" + x).digest()

    def node(x: bytes, y: bytes) -> bytes:
        return hashlib.sha256(b"\x01" + x + y).digest()

    assert tree_root([a, b, c]) == node(node(leaf(a), leaf(b)), leaf(c))
    assert audit_path(2, [a, b, c]) == [node(leaf(a), leaf(b))]


@given(rows, st.data())
def test_every_leaf_proves_in_log_size(
    leaves: list[bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    path = audit_path(index, leaves)
    assert len(path) <= max(1, (len(leaves) - 1).bit_length())
    assert root_from_path(index, len(leaves), leaves[index], path) == tree_root(leaves)


@given(rows, st.data())
def test_a_path_proves_nothing_else(leaves: list[bytes], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    path = audit_path(index, leaves)
    root = tree_root(leaves)
    other = data.draw(
        st.binary(min_size=32, max_size=32).filter(lambda x: x != leaves[index])
    )
    assert root_from_path(index, len(leaves), other, path) != root
    for wrong in range(len(leaves)):
        if leaves[wrong] == leaves[index] or wrong == index:
            continue
        with contextlib.suppress(ValueError):  # or it names another root
            assert root_from_path(wrong, len(leaves), leaves[index], path) != root
    if path:
        flipped = list(path)
        flipped[0] = bytes([flipped[0][0] ^ 1]) + flipped[0][1:]
        assert root_from_path(index, len(leaves), leaves[index], flipped) != root
        with pytest.raises(ValueError, match="longer than the tree"):
            root_from_path(index, len(leaves), leaves[index], [*path, path[0]])


def test_a_leaf_outside_the_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="outside the tree"):
        root_from_path(3, 3, b"x" * 32, [])
