"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification.

The audit log commits to its entries with the same tree that Certificate Transparency and the
Go checksum database use, so any RFC 6962 verifier (and the published test vectors from
transparency-dev/merkle) can check our proofs. Hashes are raw 32-byte SHA-256 digests.

Only the ``verify_*`` functions raise :class:`ProofError`; the proof builders raise
``ValueError`` for arguments that make no sense (an index past the end of the tree).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) in RFC 6962 section 2.1

# Domain separation prefixes keep a leaf from ever being mistaken for an inner node.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class ProofError(Exception):
    """An inclusion or consistency proof does not verify."""


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 hash of one leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an inner node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_subtree_root(hashes, lo, lo + k), _subtree_root(hashes, lo + k, hi))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (root) of a list of leaf hashes."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def prefix_roots(leaf_hashes: Sequence[bytes]) -> Iterator[bytes]:
    """Yield the root of every prefix of the tree: sizes 1, 2, ..., n, in O(n log n).

    The tree of any size is its perfect subtrees (one per set bit of the size, largest first)
    folded from the right, so keeping that "frontier" gives every prefix root cheaply.
    """
    frontier: list[tuple[int, bytes]] = []  # (height, hash) of perfect subtrees, left to right
    for h in leaf_hashes:
        height, node = 0, h
        while frontier and frontier[-1][0] == height:
            node = node_hash(frontier.pop()[1], node)
            height += 1
        frontier.append((height, node))
        acc = frontier[-1][1]
        for _, left in reversed(frontier[:-1]):
            acc = node_hash(left, acc)
        yield acc


def _path(index: int, hashes: Sequence[bytes], lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return _path(index, hashes, lo, lo + k) + [_subtree_root(hashes, lo + k, hi)]
    return _path(index - k, hashes, lo + k, hi) + [_subtree_root(hashes, lo, lo + k)]


class Tree:
    """One tree's leaves with memoised subtree roots, for many inclusion proofs of the same tree.

    A single proof costs O(n) hashes; a build writes one per published version, so the subtree
    roots are kept instead of recomputed (O(n) once, then O(log n) per proof).
    """

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.leaves = list(leaf_hashes)
        self._memo: dict[tuple[int, int], bytes] = {}

    def _root(self, lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return self.leaves[lo]
        found = self._memo.get((lo, hi))
        if found is None:
            k = _split(hi - lo)
            found = self._memo[(lo, hi)] = node_hash(self._root(lo, lo + k), self._root(lo + k, hi))
        return found

    def root(self) -> bytes:
        return self._root(0, len(self.leaves)) if self.leaves else EMPTY_ROOT

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The same audit path as :func:`inclusion_proof`."""
        if not 0 <= index < len(self.leaves):
            raise ValueError(f"leaf index {index} outside a tree of size {len(self.leaves)}")
        path: list[bytes] = []
        lo, hi = 0, len(self.leaves)
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self._root(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._root(lo, lo + k))
                lo = lo + k
        return path[::-1]


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The audit path (RFC 6962 section 2.1.1) of leaf ``index`` among ``leaf_hashes``."""
    if not 0 <= index < len(leaf_hashes):
        raise ValueError(f"leaf index {index} outside a tree of size {len(leaf_hashes)}")
    return _path(index, leaf_hashes, 0, len(leaf_hashes))


def _subproof(m: int, hashes: Sequence[bytes], lo: int, hi: int, complete: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if complete else [_subtree_root(hashes, lo, hi)]
    k = _split(n)
    if m <= k:
        return _subproof(m, hashes, lo, lo + k, complete) + [_subtree_root(hashes, lo + k, hi)]
    return _subproof(m - k, hashes, lo + k, hi, False) + [_subtree_root(hashes, lo, lo + k)]


def consistency_proof(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The proof (RFC 6962 section 2.1.2) that the first ``m`` leaves are a prefix of the tree.

    ``m == len(leaf_hashes)`` gives an empty proof; ``m == 0`` is refused because a proof from
    the empty tree proves nothing (every tree extends it).
    """
    n = len(leaf_hashes)
    if not 0 < m <= n:
        raise ValueError(f"old size {m} must be between 1 and the tree size {n}")
    return _subproof(m, leaf_hashes, 0, n, True)


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} has {len(value)} bytes, expected {HASH_SIZE}")


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 section 2.1.3.2); raises ProofError."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hash("leaf hash", leaf_hash)
    fn, sn = index, size - 1
    r = leaf_hash
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short for the tree size")
    return r


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf number ``index`` of the tree of ``size`` with ``root``.

    Returns nothing on success and raises :class:`ProofError` otherwise. (The parameters
    shadow the module's functions of the same names; neither is needed in here.)
    """
    _check_hash("root", root)
    if root_from_inclusion_proof(index, size, leaf_hash, proof) != root:
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree (size1, root1) is a prefix of the tree (size2, root2).

    Follows RFC 9162 section 2.1.4.2, with the edge cases of transparency-dev/merkle: a proof
    from the empty tree (``size1 == 0``) is always refused; equal sizes need an empty proof
    and equal roots.
    Raises :class:`ProofError` when the proof does not verify.
    """
    if size1 < 0 or size2 < size1:
        raise ProofError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 == 0:
        # Checked before the equal-size case: the reference vectors reject 0 -> 0 as well.
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("sizes are equal but the proof is not empty")
        if root1 != root2:
            raise ProofError("sizes are equal but the roots differ")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)

    path = list(proof)
    if size1 & (size1 - 1) == 0:
        # The old tree is a perfect subtree of the new one, so its root is a node on the path.
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != root1:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != root2:
        raise ProofError("consistency proof does not lead to the new root")
