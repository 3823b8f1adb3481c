"""Merkle tree cases that mutants of ``ledger/merkle.py`` survived (benchmarks/mutation).

Each test names what it pins; the expected values come from the RFC oracle in
``ledger_rfc_reference`` or from the RFC's own rules, never from ``merkle`` itself.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from ledger_rfc_reference import mth

from dadkhahi.ledger.errors import LedgerInputError, MissingNodeError
from dadkhahi.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodes,
    compute_root,
    consistency_proof,
    frontier_keys,
    inclusion_proof,
    leaf_hash,
    node_hash,
    nodes_for_append,
    root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(16)]


def _tree(n: int) -> MemoryNodes:
    nodes = MemoryNodes()
    nodes.append(LEAVES[:n])
    return nodes


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda v: frontier_keys(v), "size"),
        (lambda v: nodes_for_append(v, [], MemoryNodes()), "size"),
        (lambda v: inclusion_proof(v, 4, _tree(4)), "index"),
        (lambda v: inclusion_proof(0, v, _tree(4)), "size"),
        (lambda v: consistency_proof(v, 4, _tree(4)), "old_size"),
        (lambda v: consistency_proof(0, v, _tree(4)), "new_size"),
    ],
)
@pytest.mark.parametrize("bad", [-1, True, "3", 2.0, None])
def test_bad_counts_are_refused_naming_the_argument(call: Any, name: str, bad: object) -> None:
    # A bool is an int to Python but never a count; a str must not reach `< 0` (TypeError).
    with pytest.raises(LedgerInputError) as info:
        call(bad)
    assert str(info.value) == f"{name} must be a non-negative integer, not {bad!r}"


@pytest.mark.parametrize(("size", "shown", "more"), [(31, 5, ""), (127, 5, " and 2 more"),
                                                     (3, 2, "")])
def test_missing_nodes_message_lists_five_and_counts_the_rest(
    size: int, shown: int, more: str
) -> None:
    keys = frontier_keys(size)  # one key per set bit of size: 5, 7 and 2 keys
    listed = ", ".join(f"({lv}, {ix})" for lv, ix in keys[:shown])
    with pytest.raises(MissingNodeError) as info:
        root(size, MemoryNodes())
    assert str(info.value) == f"tree nodes missing or not 32-byte hashes: {listed}{more}"


def test_compute_root_over_several_full_chunks_matches_the_rfc() -> None:
    # Two full internal chunks (2 x 65,536 leaves) and a bit: the second chunk completes
    # the level-16 node the first one left on the frontier, which must then be dropped.
    size = (1 << 17) + 5
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    assert compute_root(iter(leaves)) == (size, mth(leaves))
    assert compute_root(iter(leaves[: 1 << 17])) == (1 << 17, mth(leaves[: 1 << 17]))


def test_compute_root_names_the_bad_leaf_by_its_position_in_the_whole_stream() -> None:
    size = (1 << 16) + 10
    leaves: list[Any] = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    leaves[(1 << 16) + 7] = b"short"
    with pytest.raises(LedgerInputError, match=re.escape(f"new leaf {(1 << 16) + 7} ")):
        compute_root(iter(leaves))


def _consistency_args(old: int, new: int) -> tuple[bytes, bytes, list[bytes]]:
    return mth(LEAVES[:old]), mth(LEAVES[:new]), consistency_proof(old, new, _tree(new))


def test_consistency_from_a_larger_to_a_smaller_tree_never_verifies() -> None:
    # A crafted "proof" that would balance the hash arithmetic for old 3 -> new 2.
    a, b = LEAVES[0], LEAVES[1]
    assert not verify_consistency(3, 2, a, node_hash(a, b), [a, b])
    old_root, new_root, proof = _consistency_args(3, 7)
    assert verify_consistency(3, 7, old_root, new_root, proof)
    assert not verify_consistency(7, 3, new_root, old_root, proof)


def test_consistency_refuses_malformed_roots_sizes_and_proofs_without_raising() -> None:
    old_root, new_root, proof = _consistency_args(3, 7)
    assert verify_consistency(3, 7, old_root, new_root, proof)
    # roots must be 32 bytes of type bytes; equal content in another type is malformed
    assert not verify_consistency(3, 7, old_root, bytearray(new_root), proof)
    assert not verify_consistency(3, 7, bytearray(old_root), new_root, proof)
    assert not verify_consistency(3, 7, old_root[:31], new_root, proof)
    # sizes must be counts; True is not 1
    assert verify_consistency(1, 1, old_root, old_root, [])
    assert not verify_consistency(1, True, old_root, old_root, [])
    assert not verify_consistency(True, 1, old_root, old_root, [])
    # a proof must be a sequence of 32-byte hashes
    assert not verify_consistency(3, 7, old_root, new_root, [*proof[:-1], b"short"])
    assert not verify_consistency(3, 7, old_root, new_root, [*proof[:-1], "x" * 32])
    assert not verify_consistency(3, 7, old_root, new_root, b"".join(proof))


def test_inclusion_refuses_malformed_input_without_raising() -> None:
    tree = _tree(7)
    r = mth(LEAVES[:7])
    good = inclusion_proof(4, 7, tree)
    assert verify_inclusion(LEAVES[4], 4, 7, good, r)
    assert not verify_inclusion(LEAVES[4], 4, 7, [*good[:-1], b"short"], r)
    assert not verify_inclusion(LEAVES[4], True, 7, good, r)
    assert not verify_inclusion(LEAVES[4], 4, 7, good, bytearray(r))
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_compute_root_streams_in_bounded_memory() -> None:
    # Measured peaks: 9.6 MB streamed in chunks of 65,536 leaves, 34 MB with all
    # 262,144 leaves read at once.
    import tracemalloc

    count = 4 << 16
    leaves = (hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(count))
    tracemalloc.start()
    try:
        size, _ = compute_root(leaves)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size == count
    assert peak < 18_000_000, peak
