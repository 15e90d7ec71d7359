"""The Merkle tree (RFC 6962 / RFC 9162): roots and proofs against the RFC's own recursive
definitions, broken proofs rejected, and the published test vectors of transparency-dev/merkle
when a copy is at hand (WEGINGS_MERKLE_VECTORS: the directory holding its `testdata/`)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wegings.store import merkle
from wegings.store.merkle import MemoryTree, ProofError
from wegings.store.proofs import compact_range

# The leaf inputs of RFC 6962's reference tests (as in the certificate-transparency code).
REFERENCE_LEAVES = [
    bytes.fromhex(text)
    for text in (
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
REFERENCE_ROOT_OF_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# The RFC's definitions, written out naively over the leaves: the oracle for the stored tree.
def mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return merkle.EMPTY_ROOT
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, leaves[:k], complete), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def leaves_of(size: int) -> list[bytes]:
    return [f"event {i}".encode() for i in range(size)]


def test_reference_inputs_give_the_published_roots() -> None:
    tree = MemoryTree(REFERENCE_LEAVES)
    assert tree.root().hex() == REFERENCE_ROOT_OF_8
    assert tree.root(0).hex() == EMPTY_ROOT
    for size in range(9):
        assert tree.root(size) == mth(REFERENCE_LEAVES[:size])


@given(st.integers(min_value=1, max_value=130), st.data())
def test_roots_and_proofs_match_the_rfc_definitions(size: int, data: st.DataObject) -> None:
    leaves = leaves_of(size)
    tree = MemoryTree(leaves)
    assert tree.root() == mth(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = merkle.inclusion_proof(index, size, tree.node)
    assert proof == path(index, leaves)
    merkle.verify_inclusion(index, size, merkle.leaf_hash(leaves[index]), proof, tree.root())
    old = data.draw(st.integers(min_value=1, max_value=size))
    consistency = merkle.consistency_proof(old, size, tree.node)
    assert consistency == subproof(old, leaves, True)
    merkle.verify_consistency(old, size, tree.root(old), tree.root(), consistency)


def test_every_proof_of_small_trees_holds() -> None:
    leaves = leaves_of(40)
    tree = MemoryTree(leaves)
    for size in range(1, 41):
        root = tree.root(size)
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, tree.node)
            merkle.verify_inclusion(index, size, merkle.leaf_hash(leaves[index]), proof, root)
        for old in range(1, size + 1):
            proof = merkle.consistency_proof(old, size, tree.node)
            merkle.verify_consistency(old, size, tree.root(old), root, proof)


def mutations(proof: list[bytes]) -> list[list[bytes]]:
    """Every way the published vectors break a proof: a flipped bit, a node removed, added,
    or put first or last."""
    garbage = merkle.leaf_hash(b"garbage")
    variants = [[*proof, garbage], [garbage, *proof]]
    for position in range(len(proof)):
        flipped = bytearray(proof[position])
        flipped[position % merkle.HASH_SIZE] ^= 0x10
        variants.append([*proof[:position], bytes(flipped), *proof[position + 1 :]])
        variants.append(proof[:position] + proof[position + 1 :])
    return variants


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 32, 33])
def test_broken_inclusion_proofs_are_rejected(size: int) -> None:
    leaves = leaves_of(size)
    tree = MemoryTree(leaves)
    root = tree.root()
    for index in range(size):
        leaf = merkle.leaf_hash(leaves[index])
        proof = merkle.inclusion_proof(index, size, tree.node)
        for broken in mutations(proof):
            with pytest.raises(ProofError):
                merkle.verify_inclusion(index, size, leaf, broken, root)
        for wrong_index in {index + 1, index - 1, index ^ 2, size}:
            if wrong_index != index and 0 <= wrong_index <= size:
                # A wrong leaf position fails, unless it happens to share the whole path shape
                # and siblings, which no two leaves of one tree do.
                with pytest.raises(ProofError):
                    merkle.verify_inclusion(wrong_index, size, leaf, proof, root)
        # (A root binds its size only through the checkpoint that states both: a size one
        # larger can share a path's shape, so the vectors' wrong sizes are doubled and halved.)
        for wrong_size in {size * 2, size // 2}:
            if wrong_size != size and wrong_size > index:
                with pytest.raises(ProofError):
                    merkle.verify_inclusion(index, wrong_size, leaf, proof, root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, merkle.leaf_hash(b"other"), proof, root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, leaf, proof, merkle.leaf_hash(b"root"))


@pytest.mark.parametrize(("old", "new"), [(1, 2), (1, 8), (2, 5), (3, 7), (4, 8), (6, 8), (7, 33)])
def test_broken_consistency_proofs_are_rejected(old: int, new: int) -> None:
    tree = MemoryTree(leaves_of(new))
    old_root, new_root = tree.root(old), tree.root()
    proof = merkle.consistency_proof(old, new, tree.node)
    for broken in mutations(proof):
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, new, old_root, new_root, broken)
    with pytest.raises(ProofError):
        merkle.verify_consistency(old, new, new_root, new_root, proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(old, new, old_root, old_root, proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(new, old, new_root, old_root, proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(0, new, merkle.EMPTY_ROOT, new_root, proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(old, new, old_root, new_root, [])


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    tree = MemoryTree(leaves_of(4))
    merkle.verify_consistency(4, 4, tree.root(), tree.root(), [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(4, 4, tree.root(), tree.root(), [tree.root()])
    with pytest.raises(ProofError):
        merkle.verify_consistency(4, 4, tree.root(), tree.root(3), [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(2, 4, tree.root(2)[:31], tree.root(), [tree.root()])


@given(st.integers(min_value=0, max_value=300))
def test_a_compact_range_gives_the_nodes_and_root_of_the_stored_tree(size: int) -> None:
    leaves = leaves_of(size)
    tree, edge = MemoryTree(), merkle.CompactRange()
    for data in leaves:
        made = edge.append(merkle.leaf_hash(data))
        tree.append(data)
        assert all(tree.node(level, index) == digest for level, index, digest in made)
    assert edge.root() == tree.root() == mth(leaves)


def test_appending_makes_two_nodes_a_leaf_on_average() -> None:
    tree = MemoryTree(leaves_of(1024))
    assert len(tree.nodes) == 2 * 1024 - 1


def _decode(values: Sequence[str] | None) -> list[bytes]:
    return [base64.b64decode(value) for value in values or ()]


VECTORS = Path(__file__).parent / "data" / "merkle"
"""A copy of transparency-dev/merkle's test vectors (see its README); WEGINGS_MERKLE_VECTORS
names another copy of that repository."""


def _vector_files(kind: str) -> list[Path]:
    root = Path(os.environ.get("WEGINGS_MERKLE_VECTORS") or VECTORS)
    return sorted((root / "testdata" / kind).rglob("*.json"))


def test_published_vectors() -> None:
    inclusion, consistency = _vector_files("inclusion"), _vector_files("consistency")
    assert len(inclusion) > 90
    assert len(consistency) > 90
    for file in inclusion:
        case = json.loads(file.read_text())
        args = (
            case["leafIdx"],
            case["treeSize"],
            base64.b64decode(case["leafHash"] or ""),
            _decode(case["proof"]),
            base64.b64decode(case["root"] or ""),
        )
        if case["wantErr"]:
            with pytest.raises(ProofError):
                merkle.verify_inclusion(*args)
        else:
            merkle.verify_inclusion(*args)
    for file in consistency:
        case = json.loads(file.read_text())
        args2 = (
            case["size1"],
            case["size2"],
            base64.b64decode(case["root1"] or ""),
            base64.b64decode(case["root2"] or ""),
            _decode(case["proof"]),
        )
        if case["wantErr"]:
            with pytest.raises(ProofError):
                merkle.verify_consistency(*args2)
        else:
            merkle.verify_consistency(*args2)


def test_the_compact_range_read_from_stored_nodes_extends_like_the_tree() -> None:
    leaves = [f"leaf {n}".encode() for n in range(40)]
    whole = merkle.MemoryTree(leaves)
    for size in range(len(leaves) + 1):
        edge = compact_range(size, whole.node)
        assert (edge.size, edge.root()) == (size, whole.root(size))
        for data in leaves[size : size + 9]:
            edge.append(merkle.leaf_hash(data))
        assert edge.root() == whole.root(min(size + 9, len(leaves)))
