"""RFC 6962 Merkle tree hashing and inclusion proofs over a list of leaf hashes."""

from __future__ import annotations

import hashlib

LEAF_PREFIX, NODE_PREFIX = b"\x00", b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) for leaf hashes ``leaves``."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def inclusion_proof(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]): sibling hashes from the leaf up to the root."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of size {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return inclusion_proof(index, leaves[:k]) + [root(leaves[k:])]
    return inclusion_proof(index - k, leaves[k:]) + [root(leaves[:k])]


class Frontier:
    """The compact form of a growing RFC 6962 tree: one hash per complete subtree of its binary
    decomposition, largest first. Appending a leaf costs O(log n) and so does the root, so a monitor can
    follow a log of any size in constant memory and check every new checkpoint against what it has read."""

    def __init__(self, size: int = 0, hashes: list[bytes] | None = None):
        if bin(size).count("1") != len(hashes or []):
            raise ValueError(f"a tree of {size} leaves has {bin(size).count('1')} complete subtrees, "
                             f"not {len(hashes or [])}")
        self.size, self.hashes = size, list(hashes or [])

    def append(self, leaf: bytes) -> None:
        """Add the leaf hash ``leaf`` at index ``size``."""
        merged, below = leaf, self.size
        while below & 1:
            merged = node_hash(self.hashes.pop(), merged)
            below >>= 1
        self.hashes.append(merged)
        self.size += 1

    def root(self) -> bytes:
        """MTH of the leaves appended so far."""
        if not self.hashes:
            return hashlib.sha256(b"").digest()
        folded = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            folded = node_hash(left, folded)
        return folded
