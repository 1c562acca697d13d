"""The audit Merkle trees against RFC 9162 §2.1: the Certificate Transparency reference vectors
(the tree heads of RFC 6962's eight test leaves, which 9162 keeps), and the algorithms'
properties for any tree size, any leaf and any prefix size."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from application.audit.merkle import (
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    root_of_hashes,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]
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


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


def test_tree_heads_are_the_reference_ones_for_every_size():
    assert [root(LEAVES[:n]).hex() for n in range(9)] == ROOTS


def test_inclusion_paths_are_the_reference_ones():
    hashes = [leaf_hash(d) for d in LEAVES]
    assert [p.hex() for p in inclusion_proof(hashes, 0)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    assert [p.hex() for p in inclusion_proof(hashes, 5)] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_every_leaf_of_every_tree_has_a_short_proof_that_verifies(case):
    n, index = case
    hashes = [leaf_hash(d) for d in _leaves(n)]
    head = root_of_hashes(hashes)

    path = inclusion_proof(hashes, index)

    assert verify_inclusion(index, n, hashes[index], path, head)
    assert len(path) <= (n - 1).bit_length()  # O(log n): ceil(log2 n) hashes at most


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_an_inclusion_proof_holds_for_its_own_leaf_position_and_head_only(case):
    n, index = case
    hashes = [leaf_hash(d) for d in _leaves(n)]
    head = root_of_hashes(hashes)
    path = inclusion_proof(hashes, index)
    other = (index + 1) % n

    assert not verify_inclusion(index, n, leaf_hash(b"another entry"), path, head)
    assert not verify_inclusion(other, n, hashes[index], path, head)
    assert not verify_inclusion(index, n, hashes[index], path, leaf_hash(b"another head"))
    assert not verify_inclusion(n, n, hashes[index], path, head)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_every_prefix_is_proved_consistent_with_the_larger_tree(case):
    n, m = case
    hashes = [leaf_hash(d) for d in _leaves(n)]
    old, new = root_of_hashes(hashes, m), root_of_hashes(hashes)

    path = consistency_proof(hashes, m)

    assert verify_consistency(m, n, old, new, path)
    assert len(path) <= 2 * (n.bit_length() + 1)  # O(log n)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 300).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(1, n - 1)).flatmap(
            lambda c: st.tuples(st.just(c[0]), st.just(c[1]), st.integers(0, c[1] - 1))
        )
    )
)
def test_a_tree_whose_past_was_rewritten_is_not_consistent_with_its_old_head(case):
    n, m, changed = case
    hashes = [leaf_hash(d) for d in _leaves(n)]
    old = root_of_hashes(hashes, m)
    rewritten = list(hashes)
    rewritten[changed] = leaf_hash(b"rewritten")

    path = consistency_proof(rewritten, m)

    assert not verify_consistency(m, n, old, root_of_hashes(rewritten), path)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 600))
def test_a_frontier_fed_leaf_by_leaf_has_the_trees_head_at_every_size(n):
    hashes = [leaf_hash(d) for d in _leaves(n)]
    frontier = Frontier()
    for h in hashes:
        frontier.append(h)

    assert frontier.size == n
    assert frontier.root() == root_of_hashes(hashes)
    assert len(frontier._peaks) == bin(n).count("1")  # O(log n) hashes held


def test_a_frontier_gives_the_reference_heads():
    frontier = Frontier()
    heads = [frontier.root().hex()]
    for d in LEAVES:
        frontier.append(leaf_hash(d))
        heads.append(frontier.root().hex())
    assert heads == ROOTS
