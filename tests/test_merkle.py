"""RFC 6962 Merkle tree: the transparency-dev/merkle vectors, and our own proofs round trip."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from publisher import merkle
from publisher.merkle import ProofError

VECTORS = Path(__file__).parent / "data" / "merkle"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(value: list[str] | None) -> list[bytes]:
    # The Go vectors write an empty proof as null.
    return [_b64(p) for p in value or []]


def _id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def test_all_vector_files_are_found() -> None:
    # 196 files in transparency-dev/merkle at 417fb0c; a failed copy must not pass silently.
    assert len(INCLUSION) + len(CONSISTENCY) == 196
    assert (VECTORS / "LICENSE").exists() and (VECTORS / "README.md").exists()


@pytest.mark.parametrize("path", INCLUSION, ids=_id)
def test_inclusion_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    args = (
        case["leafIdx"],
        case["treeSize"],
        _b64(case["leafHash"]),
        _proof(case["proof"]),
        _b64(case["root"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=_id)
def test_consistency_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    args = (
        case["size1"],
        case["size2"],
        _proof(case["proof"]),
        _b64(case["root1"]),
        _b64(case["root2"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"entry {i}".encode()) for i in range(n)]


def test_known_roots() -> None:
    # RFC 6962 definitions spelled out by hand for the smallest trees.
    assert merkle.root([]) == hashlib.sha256(b"").digest()
    a, b, c = _leaves(3)
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.root([a]) == a
    assert merkle.root([a, b]) == merkle.node_hash(a, b)
    assert merkle.root([a, b, c]) == merkle.node_hash(merkle.node_hash(a, b), c)


def test_vector_root_of_the_reference_tree() -> None:
    # The vectors' trees have leaves "" , 0x00, 0x10, 0x2021, ...; size 1 is leaf_hash(b"").
    case = json.loads((VECTORS / "inclusion" / "0" / "happy-path.json").read_text())
    assert merkle.leaf_hash(b"") == _b64(case["leafHash"]) == _b64(case["root"])


def test_prefix_roots_match_root() -> None:
    leaves = _leaves(40)
    assert list(merkle.prefix_roots(leaves)) == [merkle.root(leaves[:n]) for n in range(1, 41)]


def test_generated_inclusion_proofs_verify_for_sizes_1_to_40() -> None:
    leaves = _leaves(40)
    for size in range(1, 41):
        tree = leaves[:size]
        r = merkle.root(tree)
        for index in range(size):
            proof = merkle.inclusion_proof(index, tree)
            merkle.verify_inclusion(index, size, tree[index], proof, r)
            # The same proof must not prove a neighbouring leaf.
            if size > 1:
                other = (index + 1) % size
                with pytest.raises(ProofError):
                    merkle.verify_inclusion(other, size, tree[index], proof, r)


def test_generated_consistency_proofs_verify_for_sizes_1_to_40() -> None:
    leaves = _leaves(40)
    roots = [merkle.root(leaves[:n]) for n in range(41)]
    for size2 in range(1, 41):
        for size1 in range(1, size2 + 1):
            proof = merkle.consistency_proof(size1, leaves[:size2])
            merkle.verify_consistency(size1, size2, proof, roots[size1], roots[size2])
            if size1 < size2:
                with pytest.raises(ProofError):
                    merkle.verify_consistency(
                        size1, size2, proof, merkle.leaf_hash(b"forged"), roots[size2]
                    )


def test_builders_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_proof(3, _leaves(3))
    with pytest.raises(ValueError):
        merkle.consistency_proof(0, _leaves(3))
    with pytest.raises(ValueError):
        merkle.consistency_proof(4, _leaves(3))


def test_memoised_tree_gives_the_same_proofs_and_root() -> None:
    for size in range(1, 41):
        leaves = [merkle.leaf_hash(bytes([i])) for i in range(size)]
        tree = merkle.Tree(leaves)
        assert tree.root() == merkle.root(leaves)
        for index in range(size):
            assert tree.inclusion_proof(index) == merkle.inclusion_proof(index, leaves)
