"""Property tests: the stored-node Merkle code agrees with a literal RFC 9162 oracle."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_rfc_reference import mth, path, proof

from dadkhahi.ledger.errors import LedgerInputError, MissingNodeError
from dadkhahi.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodes,
    NodeKey,
    compute_root,
    consistency_proof,
    frontier_keys,
    inclusion_proof,
    leaf_hash,
    nodes_for_append,
    root,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 300
# Synthetic leaves: the hash of each index's bytes; no real data involved.
LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(MAX_SIZE)]
# A tree of MAX_SIZE leaves also holds every smaller tree: perfect nodes never change.
FULL = MemoryNodes()
FULL.append(LEAVES)
REF_ROOTS = [mth(LEAVES[:n]) for n in range(MAX_SIZE + 1)]


class CountingReader:
    """Wraps a reader and records every batched read."""

    def __init__(self, inner: MemoryNodes) -> None:
        self.inner = inner
        self.calls: list[list[NodeKey]] = []

    def get_nodes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        self.calls.append(list(keys))
        return self.inner.get_nodes(keys)


def _flip(items: list[bytes], position: int, bit: int) -> list[bytes]:
    changed = list(items)
    item = changed[position]
    byte = bit // 8
    changed[position] = item[:byte] + bytes([item[byte] ^ (1 << bit % 8)]) + item[byte + 1 :]
    return changed


def _perfect_keys(size: int) -> set[NodeKey]:
    return {(level, index) for level in range(size.bit_length()) for index in range(size >> level)}


@st.composite
def batch_splits(draw: st.DrawFn) -> list[int]:
    total = draw(st.integers(0, MAX_SIZE))
    cuts = sorted(draw(st.lists(st.integers(0, total), max_size=12)))
    bounds = [0, *cuts, total]
    return [b - a for a, b in itertools.pairwise(bounds)]


@settings(max_examples=150, deadline=None)
@given(batch_splits())
def test_append_in_any_batches_builds_the_same_tree(batches: list[int]) -> None:
    nodes = MemoryNodes()
    size = 0
    for batch in batches:
        reader = CountingReader(nodes)
        created = nodes_for_append(size, LEAVES[size : size + batch], reader)
        # Reads nothing but the old frontier, once (and nothing at all for an empty append).
        expected_reads = [frontier_keys(size)] if batch and size else []
        assert reader.calls == expected_reads
        keys = [(level, index) for level, index, _ in created]
        assert len(keys) == len(set(keys))
        assert set(keys) == _perfect_keys(size + batch) - _perfect_keys(size)
        nodes.add(created)
        size += batch
        assert root(size, nodes) == REF_ROOTS[size]
    assert nodes.size == size
    assert nodes.get_nodes(list(_perfect_keys(size))) == FULL.get_nodes(list(_perfect_keys(size)))
    assert compute_root(LEAVES[:size]) == (size, REF_ROOTS[size])


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(0, size - 1)), size


@settings(max_examples=200, deadline=None)
@given(index_and_size(), st.data())
def test_inclusion_proofs_match_rfc_and_resist_tampering(
    case: tuple[int, int], data: st.DataObject
) -> None:
    index, size = case
    reader = CountingReader(FULL)
    got = inclusion_proof(index, size, reader)
    assert got == path(index, LEAVES[:size])
    assert len(reader.calls) == (1 if got else 0)
    if reader.calls:
        assert len(reader.calls[0]) <= 2 * size.bit_length()
    leaf, root_hash = LEAVES[index], REF_ROOTS[size]
    assert verify_inclusion(leaf, index, size, got, root_hash)

    if got:
        position = data.draw(st.integers(0, len(got) - 1))
        bit = data.draw(st.integers(0, 255))
        assert not verify_inclusion(leaf, index, size, _flip(got, position, bit), root_hash)
        assert not verify_inclusion(leaf, index, size, got[:-1], root_hash)
        assert not verify_inclusion(leaf, index, size, got[1:], root_hash)
    assert not verify_inclusion(leaf, index, size, [*got, got[-1] if got else leaf], root_hash)
    other = data.draw(st.integers(0, MAX_SIZE - 1).filter(lambda i: i != index))
    assert not verify_inclusion(leaf, other, size, got, root_hash)
    assert not verify_inclusion(LEAVES[other], index, size, got, root_hash)
    # A wrong size is a different checkpoint: its own root. (The RFC algorithm alone does
    # not bind the size to a fixed root: the same path can fit several sizes, which is why
    # bundles take the size from the signed checkpoint.)
    wrong_size = data.draw(st.integers(index + 1, MAX_SIZE).filter(lambda s: s != size))
    assert not verify_inclusion(leaf, index, wrong_size, got, REF_ROOTS[wrong_size])
    assert not verify_inclusion(leaf, index, size, got, EMPTY_ROOT)
    wrong_root = _flip([root_hash], 0, data.draw(st.integers(0, 255)))[0]
    assert not verify_inclusion(leaf, index, size, got, wrong_root)


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, new)), new


@settings(max_examples=200, deadline=None)
@given(two_sizes(), st.data())
def test_consistency_proofs_match_rfc_and_resist_tampering(
    case: tuple[int, int], data: st.DataObject
) -> None:
    old, new = case
    reader = CountingReader(FULL)
    got = consistency_proof(old, new, reader)
    assert got == proof(old, LEAVES[:new])
    assert len(reader.calls) == (1 if got else 0)
    if reader.calls:
        assert len(reader.calls[0]) <= 2 * new.bit_length()
    old_root, new_root = REF_ROOTS[old], REF_ROOTS[new]
    assert verify_consistency(old, new, old_root, new_root, got)
    if old == new:
        assert not verify_consistency(old, new, old_root, new_root, [old_root])
        return

    position = data.draw(st.integers(0, len(got) - 1))
    bit = data.draw(st.integers(0, 255))
    assert not verify_consistency(old, new, old_root, new_root, _flip(got, position, bit))
    assert not verify_consistency(old, new, old_root, new_root, got[:-1])
    assert not verify_consistency(old, new, old_root, new_root, [*got, got[0]])
    assert not verify_consistency(old, new, old_root, new_root, [got[0], *got])
    assert not verify_consistency(old, new, new_root, old_root, got)
    assert not verify_consistency(old, new, _flip([old_root], 0, bit)[0], new_root, got)
    assert not verify_consistency(old, new, old_root, _flip([new_root], 0, bit)[0], got)
    # Wrong sizes, each paired with its own (true) root, as a forged checkpoint would be.
    wrong_old = data.draw(st.integers(1, new).filter(lambda s: s != old))
    assert not verify_consistency(wrong_old, new, REF_ROOTS[wrong_old], new_root, got)
    wrong_new = data.draw(st.integers(old, MAX_SIZE).filter(lambda s: s != new))
    assert not verify_consistency(old, wrong_new, old_root, REF_ROOTS[wrong_new], got)


def test_consistency_from_empty_tree() -> None:
    assert consistency_proof(0, 5, FULL) == []
    assert verify_consistency(0, 5, EMPTY_ROOT, REF_ROOTS[5], [])


def test_compute_root_crosses_chunk_boundaries() -> None:
    size = (1 << 16) + 3  # one full internal chunk and a partial one
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    nodes = MemoryNodes()
    nodes.append(leaves[:1000])
    nodes.append(leaves[1000:])
    assert compute_root(iter(leaves)) == (size, root(size, nodes))
    assert compute_root([]) == (0, EMPTY_ROOT)


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 400),
    st.binary(max_size=40),
    st.text(max_size=5),
    st.lists(st.binary(min_size=32, max_size=32), max_size=3),
    st.lists(st.one_of(st.none(), st.integers(), st.text()), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(junk, junk, junk, junk, junk)
def test_verifiers_never_raise(a: Any, b: Any, c: Any, d: Any, e: Any) -> None:
    assert verify_inclusion(a, b, c, d, e) in (True, False)
    assert verify_consistency(a, b, c, d, e) in (True, False)


def test_missing_nodes_and_bad_arguments_raise_clear_errors() -> None:
    sparse = MemoryNodes([(0, i, LEAVES[i]) for i in range(8)])  # no interior nodes
    with pytest.raises(MissingNodeError, match=r"\(3, 0\)"):
        root(8, sparse)
    with pytest.raises(MissingNodeError):
        inclusion_proof(0, 8, sparse)
    with pytest.raises(MissingNodeError):
        nodes_for_append(8, [LEAVES[8]], sparse)
    with pytest.raises(LedgerInputError, match="not in a tree of 5"):
        inclusion_proof(5, 5, FULL)
    with pytest.raises(LedgerInputError, match="only grows"):
        consistency_proof(6, 5, FULL)
    with pytest.raises(LedgerInputError):
        root(-1, FULL)
    with pytest.raises(LedgerInputError, match="32-byte"):
        nodes_for_append(0, [b"short"], MemoryNodes())
    assert isinstance(LedgerInputError("x"), ValueError)
