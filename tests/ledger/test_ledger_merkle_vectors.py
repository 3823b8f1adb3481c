"""RFC 6962 / 9162 reference vectors, taken from public transparency-dev code.

Sources (Apache-2.0, data only):
- transparency-dev/merkle testonly/constants.go: LeafInputs, NodeHashes, RootHashes.
- transparency-dev/merkle proof/verify_test.go: inclusionProofs (1-based leaf numbers),
  consistencyProofs, and the corruptInclusionProof / corruptConsistencyProof probes.
- transparency-dev/merkle testonly/reference_test.go: TestRefInclusionProof and
  TestRefConsistencyProof (0-based indices).
"""

from __future__ import annotations

import pytest

from dadkhahi.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodes,
    compute_root,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

H_96A2 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
H_5F08 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
H_6B47 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
H_BC1A = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
H_CA85 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
H_D37E = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
H_FAC5 = "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
H_6E34 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
H_0EBC = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
H_B086 = "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"

# (0-based index, size, proof): verify_test.go's inclusionProofs (leaf numbers minus one)
# followed by reference_test.go's TestRefInclusionProof cases.
INCLUSION = [
    (0, 1, []),
    (0, 8, [H_96A2, H_5F08, H_6B47]),
    (5, 8, [H_BC1A, H_CA85, H_D37E]),
    (2, 3, [H_FAC5]),
    (1, 5, [H_6E34, H_5F08, H_BC1A]),
    (0, 2, [H_96A2]),
    (1, 2, [H_6E34]),
]

# (size1, size2, proof): verify_test.go's consistencyProofs and reference_test.go's cases.
CONSISTENCY = [
    (1, 1, []),
    (1, 8, [H_96A2, H_5F08, H_6B47]),
    (6, 8, [H_0EBC, H_CA85, H_D37E]),
    (2, 5, [H_5F08, H_BC1A]),
    (6, 7, [H_0EBC, H_B086, H_D37E]),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


@pytest.fixture(scope="module")
def tree() -> MemoryNodes:
    nodes = MemoryNodes()
    for data in LEAF_INPUTS:  # one at a time: exercises every frontier shape up to 8
        nodes.append([leaf_hash(data)])
    return nodes


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == ROOTS[0]


def test_stored_nodes_are_the_published_node_hashes(tree: MemoryNodes) -> None:
    expected = {
        (level, index): bytes.fromhex(h)
        for level, row in enumerate(NODE_HASHES)
        for index, h in enumerate(row)
    }
    assert tree.get_nodes(list(expected)) == expected
    assert len(tree) == len(expected)


@pytest.mark.parametrize("size", range(9))
def test_root_for_every_size(tree: MemoryNodes, size: int) -> None:
    assert root(size, tree).hex() == ROOTS[size]
    streamed_size, streamed = compute_root(leaf_hash(d) for d in LEAF_INPUTS[:size])
    assert (streamed_size, streamed.hex()) == (size, ROOTS[size])


def _inclusion_probes(
    index: int, size: int, proof: list[bytes], root_hash: bytes, leaf: bytes
) -> list[tuple[str, bytes, int, int, list[bytes], bytes]]:
    """corruptInclusionProof from verify_test.go: each probe must fail."""
    probes = [
        ("index - 1", leaf, index - 1, size, proof, root_hash),
        ("index + 1", leaf, index + 1, size, proof, root_hash),
        ("index ^ 2", leaf, index ^ 2, size, proof, root_hash),
        ("size * 2", leaf, index, size * 2, proof, root_hash),
        ("size // 2", leaf, index, size // 2, proof, root_hash),
        ("wrong leaf", b"WrongLeaf", index, size, proof, root_hash),
        ("empty root", leaf, index, size, proof, EMPTY_ROOT),
        ("random root", leaf, index, size, proof, SOME_HASH),
        ("trailing garbage", leaf, index, size, [*proof, b""], root_hash),
        ("trailing root", leaf, index, size, [*proof, root_hash], root_hash),
        ("preceding garbage", leaf, index, size, [b"", *proof], root_hash),
        ("preceding root", leaf, index, size, [root_hash, *proof], root_hash),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((f"proof[{i}] bit 3", leaf, index, size, flipped, root_hash))
    if proof:
        probes.append(("removed component", leaf, index, size, proof[:-1], root_hash))
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH, *proof[1:]]
        probes.append(("inserted component", leaf, index, size, inserted, root_hash))
    return probes


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION)
def test_published_inclusion_proofs(
    tree: MemoryNodes, index: int, size: int, expected: list[str]
) -> None:
    proof = inclusion_proof(index, size, tree)
    assert [p.hex() for p in proof] == expected
    leaf = leaf_hash(LEAF_INPUTS[index])
    root_hash = bytes.fromhex(ROOTS[size])
    assert verify_inclusion(leaf, index, size, proof, root_hash)
    wrongly_accepted = [
        name
        for name, p_leaf, p_index, p_size, p_proof, p_root in _inclusion_probes(
            index, size, proof, root_hash, leaf
        )
        if verify_inclusion(p_leaf, p_index, p_size, p_proof, p_root)
    ]
    assert wrongly_accepted == []


@pytest.mark.parametrize(("size1", "size2", "expected"), CONSISTENCY)
def test_published_consistency_proofs(
    tree: MemoryNodes, size1: int, size2: int, expected: list[str]
) -> None:
    proof = consistency_proof(size1, size2, tree)
    assert [p.hex() for p in proof] == expected
    root1, root2 = bytes.fromhex(ROOTS[size1]), bytes.fromhex(ROOTS[size2])
    assert verify_consistency(size1, size2, root1, root2, proof)
    if not proof:
        return
    # corruptConsistencyProof from verify_test.go.
    probes = [
        ("size1 - 1", size1 - 1, size2, root1, root2, proof),
        ("size1 + 1", size1 + 1, size2, root1, root2, proof),
        ("size1 ^ 2", size1 ^ 2, size2, root1, root2, proof),
        ("size2 * 2", size1, size2 * 2, root1, root2, proof),
        ("size2 // 2", size1, size2 // 2, root1, root2, proof),
        ("wrong root1", size1, size2, b"WrongRoot", root2, proof),
        ("wrong root2", size1, size2, root1, b"WrongRoot", proof),
        ("swapped roots", size1, size2, root2, root1, proof),
        ("empty proof", size1, size2, root1, root2, []),
        ("trailing garbage", size1, size2, root1, root2, [*proof, b""]),
        ("trailing root1", size1, size2, root1, root2, [*proof, root1]),
        ("trailing root2", size1, size2, root1, root2, [*proof, root2]),
        ("preceding garbage", size1, size2, root1, root2, [b"", *proof]),
        ("preceding root1", size1, size2, root1, root2, [root1, *proof]),
        ("preceding root2", size1, size2, root1, root2, [root2, *proof]),
        ("preceding proof[0]", size1, size2, root1, root2, [proof[0], *proof]),
        ("truncated", size1, size2, root1, root2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((f"proof[{i}] bit 4", size1, size2, root1, root2, flipped))
    wrongly_accepted = [
        name
        for name, p_size1, p_size2, p_root1, p_root2, p_proof in probes
        if verify_consistency(p_size1, p_size2, p_root1, p_root2, p_proof)
    ]
    assert wrongly_accepted == []


def test_consistency_edge_cases() -> None:
    """verify_test.go's TestVerifyConsistency table, adapted where we are stricter.

    We require 32-byte roots throughout and, for an old size of 0, the empty tree's root
    (transparency-dev accepts any old root there).
    """
    r1, r2 = SOME_HASH, bytes(32)
    assert not verify_consistency(0, 0, r1, r2, [])  # same size, different roots
    assert not verify_consistency(1, 1, r1, r2, [])
    assert verify_consistency(0, 0, r1, r1, [])
    assert verify_consistency(1, 1, r2, r2, [])
    assert verify_consistency(0, 1, EMPTY_ROOT, r2, [])
    assert not verify_consistency(0, 1, r1, r2, [])  # stricter than transparency-dev
    assert not verify_consistency(1, 0, r1, r2, [])  # time travel
    assert not verify_consistency(2, 1, r1, r2, [])
    assert not verify_consistency(1, 2, r1, r2, [])  # proof needed but empty
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])


def test_inclusion_edge_cases() -> None:
    """verify_test.go's TestVerifyInclusion / TestVerifyInclusionSingleEntry probes."""
    for index, size in [(0, 0), (0, 1), (1, 0), (2, 1)]:
        assert not verify_inclusion(SOME_HASH, index, size, [], b"")
        assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
        assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    single = leaf_hash(b"data")
    assert verify_inclusion(single, 0, 1, [], single)
    assert not verify_inclusion(single, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], single)
