"""The ledger's Merkle tree, exactly as RFC 9162 §2.1 defines it, over stored perfect subtrees.

Storage model: node ``(level, index)`` is the hash of the perfect, aligned subtree of
``2**level`` leaves that starts at leaf ``index * 2**level`` (level 0 holds the leaf hashes).
Such a node never changes once the tree has grown past it, so a store only ever inserts.
Every RFC subtree that is not perfect (the right edge of a tree whose size is not a power of
two) is folded on the fly from the perfect nodes that tile it, which is why each proof needs
O(log n) stored nodes and exactly one batched read.

Hand-written rather than taken from a library: no maintained Python package offers RFC 9162
proofs over a caller-supplied node store with batched reads; the algorithms are short and
are checked against the published RFC 6962 vectors and a property-test oracle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import islice, repeat
from typing import Protocol

from dadkhahi.ledger.errors import LedgerInputError, MissingNodeError

# The verifying half (and the hash functions) is the stdlib-only kit that offline verifiers
# embed, so the ledger and every verifier shipped with its output run the same code.
from dadkhahi.offline.kit import (
    EMPTY_ROOT,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

HASH_SIZE = 32
"""Bytes in every hash the tree uses (SHA-256)."""

NodeKey = tuple[int, int]
"""``(level, index)`` of a perfect subtree."""

Node = tuple[int, int, bytes]
"""``(level, index, hash)`` as produced by :func:`nodes_for_append`."""

_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


# compute_root reads leaves in chunks of this many so memory stays bounded on any input.
_CHUNK = 1 << 16


class NodeReader(Protocol):
    """Where stored tree nodes come from (the SQL store, or :class:`MemoryNodes`)."""

    def get_nodes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Return the hashes of those ``keys`` that are stored, in one batched read.

        Keys that are not stored are simply absent from the result; the caller decides
        whether that is an error.
        """
        ...


def _check_count(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise LedgerInputError(f"{name} must be a non-negative integer, not {value!r}")
    return value


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _split(n: int) -> int:
    """Largest power of two strictly below ``n`` (n >= 2): the RFC's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_keys(start: int, end: int) -> list[NodeKey]:
    """Perfect subtrees tiling ``[start, end)``, left to right.

    ``start`` must be a multiple of a power of two at least ``end - start``, which holds for
    every subtree the RFC's recursive definitions visit.
    """
    keys: list[NodeKey] = []
    width = end - start
    offset = start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            keys.append((level, offset >> level))
            offset += 1 << level
    return keys


def frontier_keys(size: int) -> list[NodeKey]:
    """Keys of the perfect subtrees that decompose ``[0, size)``, left to right."""
    return _range_keys(0, _check_count("size", size))


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Hash of a subtree from the perfect subtrees tiling it, left to right.

    RFC 9162 splits at the largest power of two, so the left part is always the first
    perfect piece and the tree folds from the right.
    """
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = _sha256(_NODE_PREFIX + left + result).digest()
    return result


def _read(reader: NodeReader, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
    """One batched read of ``keys``; every key must come back as a 32-byte hash."""
    unique = list(dict.fromkeys(keys))
    found = reader.get_nodes(unique)
    bad = [key for key in unique if not _is_hash(found.get(key))]
    if bad:
        shown = ", ".join(f"({level}, {index})" for level, index in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise MissingNodeError(f"tree nodes missing or not 32-byte hashes: {shown}{more}")
    return found


def _grow(
    size: int,
    leaves: list[bytes],
    frontier: dict[int, bytes],
    sink: list[Node] | None,
) -> None:
    """Append leaf hashes to a tree of ``size`` leaves whose frontier is ``frontier``.

    ``frontier`` maps level to the frontier node at that level and is updated in place to
    the frontier of the grown tree. New nodes go to ``sink`` when given. Works a whole level
    at a time (a comprehension for the hashes, C-level ``zip`` for the node tuples) rather
    than walking node by node, which keeps a million-leaf append near one second.
    """
    row = leaves
    first = size  # index, at the current level, of the first new node in ``row``
    level = 0
    while row:
        if sink is not None:
            sink.extend(zip(repeat(level), range(first, first + len(row)), row, strict=False))
        if first & 1:
            # The left sibling of the first new node is complete already: the old frontier.
            row = [frontier[level], *row]
            first -= 1
        if len(row) & 1:
            frontier[level] = row[-1]
        else:
            frontier.pop(level, None)
        pairs = iter(row)
        row = [_sha256(_NODE_PREFIX + a + b).digest() for a, b in zip(pairs, pairs, strict=False)]
        first >>= 1
        level += 1


def _check_leaves(leaves: Sequence[bytes], first: int = 0) -> None:
    for position, item in enumerate(leaves, first):
        if not _is_hash(item):
            raise LedgerInputError(f"new leaf {position} is not a 32-byte leaf hash")


def nodes_for_append(size: int, new_leaves: Sequence[bytes], reader: NodeReader) -> list[Node]:
    """Every node created by appending ``new_leaves`` (leaf hashes) to a tree of ``size`` leaves.

    Returns ``(level, index, hash)`` for each new perfect subtree, level 0 (the new leaves
    themselves) included, in level order. Reads only the frontier of the old tree, once.
    Amortised about two nodes per leaf.
    """
    _check_count("size", size)
    leaves = list(new_leaves)
    _check_leaves(leaves)
    if not leaves:
        return []
    keys = frontier_keys(size)
    frontier: dict[int, bytes] = {}
    if keys:
        stored = _read(reader, keys)
        frontier = {level: stored[(level, index)] for level, index in keys}
    nodes: list[Node] = []
    _grow(size, leaves, frontier, nodes)
    return nodes


def _root_of_frontier(frontier: Mapping[int, bytes]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    return _fold([frontier[level] for level in sorted(frontier, reverse=True)])


def root(size: int, reader: NodeReader) -> bytes:
    """Root hash of the tree of ``size`` leaves (RFC 9162 MTH), from its O(log n) frontier."""
    keys = frontier_keys(size)
    if not keys:
        return EMPTY_ROOT
    stored = _read(reader, keys)
    return _fold([stored[key] for key in keys])


def compute_root(leaves: Iterable[bytes]) -> tuple[int, bytes]:
    """Stream leaf hashes and return ``(size, root)`` without storing the tree.

    Memory is O(log n) plus one fixed-size chunk, so it can re-derive the root of a
    million-event ledger from its events for a full audit.
    """
    source = iter(leaves)
    frontier: dict[int, bytes] = {}
    size = 0
    while chunk := list(islice(source, _CHUNK)):
        _check_leaves(chunk, size)  # name the leaf by its place in the stream, not the chunk
        _grow(size, chunk, frontier, None)
        size += len(chunk)
    return size, _root_of_frontier(frontier)


def _hashes_of_ranges(ranges: Sequence[tuple[int, int]], reader: NodeReader) -> list[bytes]:
    """Hash of each RFC subtree ``[start, end)`` in ``ranges``, from one batched read."""
    tilings = [_range_keys(start, end) for start, end in ranges]
    wanted = [key for tiling in tilings for key in tiling]
    if not wanted:
        return []
    stored = _read(reader, wanted)
    return [_fold([stored[key] for key in tiling]) for tiling in tilings]


def inclusion_proof(index: int, size: int, reader: NodeReader) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1).

    Walks the RFC's PATH(m, D[n]) recursion top-down to collect the sibling subtrees, reads
    all their perfect nodes in one call, then returns the hashes leaf-side first.
    """
    _check_count("index", index)
    _check_count("size", size)
    if index >= size:
        raise LedgerInputError(f"leaf index {index} is not in a tree of {size} leaves")
    siblings: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            siblings.append((mid, hi))
            hi = mid
        else:
            siblings.append((lo, mid))
            lo = mid
    siblings.reverse()
    return _hashes_of_ranges(siblings, reader)


def consistency_proof(old_size: int, new_size: int, reader: NodeReader) -> list[bytes]:
    """Proof that the tree of ``old_size`` leaves is a prefix of ``new_size`` (RFC 9162 §2.1.4.1).

    Empty when ``old_size`` is 0 or equals ``new_size``. Follows SUBPROOF(m, D[n], b)
    top-down, then one batched read.
    """
    _check_count("old_size", old_size)
    _check_count("new_size", new_size)
    if old_size > new_size:
        raise LedgerInputError(
            f"old size {old_size} is larger than new size {new_size}: a log only grows"
        )
    if old_size in (0, new_size):
        return []
    parts: list[tuple[int, int]] = []
    lo, hi = 0, new_size
    whole_old_tree = True  # the RFC's b: is the subtree still the old tree's own root?
    while True:
        width, old_width = hi - lo, old_size - lo
        if old_width == width:
            if not whole_old_tree:
                parts.append((lo, hi))
            break
        mid = lo + _split(width)
        if old_width <= mid - lo:
            parts.append((mid, hi))
            hi = mid
        else:
            parts.append((lo, mid))
            lo = mid
            whole_old_tree = False
    parts.reverse()
    return _hashes_of_ranges(parts, reader)


class MemoryNodes:
    """A dict-backed :class:`NodeReader` for tests, benchmarks and offline verification.

    Holds whatever nodes are added; :meth:`append` also tracks the tree size so a whole
    tree can be built in memory.
    """

    def __init__(self, nodes: Iterable[Node] = ()) -> None:
        self._nodes: dict[NodeKey, bytes] = {}
        self._leaves = 0
        self.add(nodes)

    @property
    def size(self) -> int:
        """Number of leaves (level-0 nodes) held."""
        return self._leaves

    def __len__(self) -> int:
        return len(self._nodes)

    def get_nodes(self, keys: Collection[NodeKey]) -> dict[NodeKey, bytes]:
        """Stored hashes of those ``keys`` that are present."""
        held = self._nodes
        return {key: held[key] for key in keys if key in held}

    def add(self, nodes: Iterable[Node]) -> None:
        """Store nodes, e.g. the output of :func:`nodes_for_append`."""
        held = self._nodes
        new_leaves = 0
        for level, index, digest in nodes:
            key = (level, index)
            if level == 0 and key not in held:
                new_leaves += 1
            held[key] = digest
        self._leaves += new_leaves

    def append(self, leaves: Sequence[bytes]) -> list[Node]:
        """Append leaf hashes to the tree held here and return the new nodes."""
        nodes = nodes_for_append(self._leaves, leaves, self)
        self.add(nodes)
        return nodes


__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryNodes",
    "Node",
    "NodeKey",
    "NodeReader",
    "compute_root",
    "consistency_proof",
    "frontier_keys",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "nodes_for_append",
    "root",
    "verify_consistency",
    "verify_inclusion",
]
