"""Merkle trees over the audit logs, in the shape of RFC 9162 (Certificate Transparency 2.0),
section 2.1: tree heads, inclusion proofs and consistency proofs. Pure functions, no I/O.

The leaves of a chain's tree are its entries' digests in sequence order (entry `seq` is leaf
`seq - 1`), so a tree of size n covers entries 1..n and a signed checkpoint at `seq` commits
to them all with one hash (decision 009). Hashes (RFC 9162 §2.1.1):

- MTH({}) = SHA-256() ; leaf: SHA-256(0x00 || d) ; node: SHA-256(0x01 || left || right),
  where a tree of n > 1 leaves splits at k, the largest power of two smaller than n.

Proofs have O(log n) hashes: an inclusion path (§2.1.3.1, verified by the algorithm of
§2.1.3.2) proves one entry is leaf m of the tree of size n; a consistency path (§2.1.4.1,
verified by §2.1.4.2) proves the tree of size m is a prefix of the tree of size n, i.e. that
nothing before a checkpoint was changed when a later one was signed.

Building a tree reads every leaf (O(n) time, from the chain's stored digests); proofs and
their verification are O(log n) in size and time. `Frontier` computes a tree head from leaves
streamed in order, holding O(log n) hashes: what checkpoints use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of leaves [lo, hi), given their leaf hashes."""
    n = hi - lo
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_root(hashes, lo, lo + k), _root(hashes, lo + k, hi))


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree head of `leaves` (their data, not yet leaf-hashed)."""
    hashes = [leaf_hash(d) for d in leaves]
    return _root(hashes, 0, len(hashes))


def root_of_hashes(hashes: Sequence[bytes], size: int | None = None) -> bytes:
    """The tree head of the first `size` leaves (all by default), given their leaf hashes."""
    return _root(hashes, 0, len(hashes) if size is None else size)


class Frontier:
    """The tree head of leaves appended one at a time, holding only the heads of the perfect
    subtrees along the tree's right edge (one per set bit of the size). The tree of n leaves
    is those subtrees joined right to left (RFC 9162's split puts the largest power of two on
    the left at every level)."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[bytes] = []  # left to right, largest subtree first

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        node = leaf
        size = self.size
        while size & 1:  # merge equal-sized perfect subtrees, as a binary counter carries
            node = node_hash(self._peaks.pop(), node)
            size >>= 1
        self._peaks.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self._peaks:
            return hashlib.sha256(b"").digest()
        head = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            head = node_hash(peak, head)
        return head


def inclusion_proof(hashes: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, given the leaf hashes."""
    size = len(hashes) if size is None else size
    if not 0 <= index < size <= len(hashes):
        raise ValueError("leaf index outside the tree")
    path: list[bytes] = []
    lo, hi, m = 0, size, index
    # Walk down from the root; the sibling subtree's head at each level, bottom first.
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(_root(hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_root(hashes, lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root_hash: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: whether `leaf` (a leaf hash) is leaf `index` of the tree of `size`
    leaves whose head is `root_hash`."""
    if index < 0 or index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def consistency_proof(
    hashes: Sequence[bytes], old_size: int, size: int | None = None
) -> list[bytes]:
    """PROOF(old_size, D[size]) of RFC 9162 §2.1.4.1, given the leaf hashes (empty when
    old_size is 0 or equals size: nothing to prove)."""
    size = len(hashes) if size is None else size
    if not 0 <= old_size <= size <= len(hashes):
        raise ValueError("sizes outside the tree")
    if old_size in (0, size):
        return []
    return _subproof(hashes, old_size, 0, size, complete=True)


def _subproof(hashes: Sequence[bytes], m: int, lo: int, hi: int, *, complete: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if complete else [_root(hashes, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(hashes, m, lo, lo + k, complete=complete), _root(hashes, lo + k, hi)]
    return [*_subproof(hashes, m - k, lo + k, hi, complete=False), _root(hashes, lo, lo + k)]


def verify_consistency(
    old_size: int, size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: whether the tree of `old_size` leaves with head `old_root` is a
    prefix of the tree of `size` leaves with head `new_root`."""
    if old_size < 0 or old_size > size:
        return False
    if old_size == size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path  # the empty tree is a prefix of every tree
    if not path:
        return False
    proof = list(path)
    if old_size & (old_size - 1) == 0:
        proof.insert(0, old_root)
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
