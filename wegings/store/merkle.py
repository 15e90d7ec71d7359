"""The Merkle tree over the audit trail, as RFC 6962 (and RFC 9162, section 2.1) defines it.

Pure functions, no database: a leaf is hashed with a 0x00 prefix, an interior node with 0x01, and
a tree of any size splits at the largest power of two below its size. The store keeps the hash of
every *complete* subtree (`level`, `index`: the 2**level leaves from index * 2**level on) as
leaves are appended; every root and proof is built from those nodes, so appending stays a
handful of hashes and a proof reads O(log n) nodes. The verifiers follow RFC 9162's algorithms
step by step, so that an overseer's own tooling (Go's transparency-dev/merkle, Sigstore) agrees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the tree of size 0: SHA-256 of the empty string."""

NodeSource = Callable[[int, int], bytes]
"""The hash of the complete subtree at (level, index); level 0 holds the leaf hashes."""


class ProofError(ValueError):
    """A proof that does not prove what it claims, or that is malformed."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962: MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962: an interior node is SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly smaller than `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def _subtree(start: int, end: int, node: NodeSource) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursion produces: `start` is aligned to the
    largest power of two not above the range's size, so its complete parts are stored nodes."""
    size = end - start
    if size & (size - 1) == 0:  # a power of two, aligned: one stored node
        level = size.bit_length() - 1
        return node(level, start >> level)
    k = _split(size)
    return node_hash(_subtree(start, start + k, node), _subtree(start + k, end, node))


def root_hash(size: int, node: NodeSource) -> bytes:
    """MTH(D[0:size]); the empty tree's root is SHA-256 of nothing."""
    if size < 0:
        raise ValueError("a tree size is never negative")
    return EMPTY_ROOT if size == 0 else _subtree(0, size, node)


def inclusion_proof(index: int, size: int, node: NodeSource) -> list[bytes]:
    """RFC 6962 PATH(index, D[0:size]): the audit path of leaf `index`, lowest node first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []

    def walk(m: int, start: int, end: int) -> None:
        n = end - start
        if n == 1:
            return
        k = _split(n)
        if m < k:
            walk(m, start, start + k)
            path.append(_subtree(start + k, end, node))
        else:
            walk(m - k, start + k, end)
            path.append(_subtree(start, start + k, node))

    walk(index, 0, size)
    return path


def consistency_proof(old_size: int, new_size: int, node: NodeSource) -> list[bytes]:
    """RFC 6962 PROOF(old_size, D[0:new_size]): what shows the older tree is a prefix."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    proof: list[bytes] = []

    def sub(m: int, start: int, end: int, complete: bool) -> None:
        n = end - start
        if m == n:
            if not complete:
                proof.append(_subtree(start, end, node))
            return
        k = _split(n)
        if m <= k:
            sub(m, start, start + k, complete)
            proof.append(_subtree(start + k, end, node))
        else:
            sub(m - k, start + k, end, False)
            proof.append(_subtree(start, start + k, node))

    sub(old_size, 0, new_size, True)
    return proof


def nodes_after_append(index: int, leaf: bytes, node: NodeSource) -> list[tuple[int, int, bytes]]:
    """The complete subtrees that leaf `index` (hash `leaf`) completes, itself first.

    Appending leaf i completes one node per trailing one-bit of i + 1 above the leaf, each the
    hash of its left sibling (already stored) and the node just made; two nodes per leaf on
    average."""
    made = [(0, index, leaf)]
    level, position, current = 0, index, leaf
    while position & 1:
        current = node_hash(node(level, position - 1), current)
        level, position = level + 1, position >> 1
        made.append((level, position, current))
    return made


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162, 2.1.3.2: raise ProofError unless `proof` shows leaf `index` in the tree."""
    _check_hash(leaf, "the leaf hash")
    _check_hash(root, "the root hash")
    for element in proof:
        _check_hash(element, "a proof hash")
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn, result = index, size - 1, leaf
    for element in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the path")
        if fn & 1 or fn == sn:
            result = node_hash(element, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the path")
    if result != root:
        raise ProofError("the inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162, 2.1.4.2: raise ProofError unless `proof` shows the old tree is a prefix of the
    new one."""
    # The order of these refusals is that of transparency-dev/merkle, whose vectors the tests run.
    # A root of the wrong length never equals a computed one; checkpoints check theirs on reading.
    for element in proof:
        _check_hash(element, "a proof hash")
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"a tree of size {new_size} cannot follow one of size {old_size}")
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if old_size == new_size:
        if proof:
            raise ProofError("trees of one size need an empty consistency proof")
        if old_root != new_root:
            raise ProofError("two trees of the same size have different roots")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_result = new_result = path[0]
    for element in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the path")
        if fn & 1 or fn == sn:
            old_result = node_hash(element, old_result)
            new_result = node_hash(element, new_result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_result = node_hash(new_result, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the path")
    if old_result != old_root:
        raise ProofError("the consistency proof does not lead to the old root")
    if new_result != new_root:
        raise ProofError("the consistency proof does not lead to the new root")


class CompactRange:
    """The right edge of a tree being built leaf by leaf: O(log n) hashes, for streaming over a
    whole trail (audit verify) without holding its nodes."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[bytes] = []  # the perfect subtrees from the left, largest first

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add the leaf hash `leaf`; the complete subtrees it completes, as nodes_after_append."""
        made = [(0, self.size, leaf)]
        level, position, current = 0, self.size, leaf
        while position & 1:
            current = node_hash(self._peaks.pop(), current)
            level, position = level + 1, position >> 1
            made.append((level, position, current))
        self._peaks.append(current)
        self.size += 1
        return made

    def root(self) -> bytes:
        """The root of the leaves appended so far."""
        if not self._peaks:
            return EMPTY_ROOT
        result = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            result = node_hash(peak, result)
        return result


class MemoryTree:
    """A tree held in memory, built by appending: for tests, and for an overseer's check of a
    trail exported whole."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0
        for data in leaves:
            self.append(data)

    def node(self, level: int, index: int) -> bytes:
        """A stored complete subtree."""
        return self.nodes[level, index]

    def append(self, data: bytes) -> None:
        """Add a leaf holding `data`."""
        for level, index, digest in nodes_after_append(self.size, leaf_hash(data), self.node):
            self.nodes[level, index] = digest
        self.size += 1

    def root(self, size: int | None = None) -> bytes:
        """The root of the first `size` leaves (all by default)."""
        return root_hash(self.size if size is None else size, self.node)
