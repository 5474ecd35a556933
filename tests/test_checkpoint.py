"""C2SP signed-note checkpoints: the Go sumdb/note example, round trip, tampering."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publisher import checkpoint as cp
from publisher import keys, merkle
from publisher.checkpoint import CheckpointError

# The example of golang.org/x/mod/sumdb/note (note.go doc comment, example_test.go):
# a private key, its vkey, a text and the exact signed note Go produces for it.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZ"
    "b6KE6RyyBwJnAM=\n"
)
# Go's ExampleSign_add_signatures: EnochRoot's key is generated from an all-zero seed.
GO_ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33W"
    "Wd1RvMc+QQ=\n"
)

NAME = "city.example/publisher/audit-log"
ROOT = merkle.root([merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")])


def _go_private_key() -> Ed25519PrivateKey:
    blob = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert blob[0] == cp.ALG_ED25519
    return Ed25519PrivateKey.from_private_bytes(blob[1:])


def test_go_sumdb_note_vector_signs_byte_for_byte() -> None:
    key = _go_private_key()
    assert cp.verifier_key("PeterNeumann", keys.public_key_text(key)) == GO_VKEY
    assert cp.sign_checkpoint(GO_TEXT, "PeterNeumann", key) == GO_TEXT + "\n" + GO_PETER_SIG


def test_go_sumdb_note_vector_verifies() -> None:
    note = GO_TEXT + "\n" + GO_PETER_SIG + GO_ENOCH_SIG
    assert cp.verify_note(note, [cp.parse_verifier_key(GO_VKEY)]) == GO_TEXT
    assert cp.verify_note(note, [cp.parse_verifier_key(GO_ENOCH_VKEY)]) == GO_TEXT
    enoch = Ed25519PrivateKey.from_private_bytes(bytes(32))
    assert cp.verifier_key("EnochRoot", keys.public_key_text(enoch)) == GO_ENOCH_VKEY


def test_vkey_round_trip_with_plus_in_base64() -> None:
    # transparency-dev/formats' test key: its base64 part contains a '+'.
    vkey = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
    name, public = cp.parse_verifier_key(vkey)
    assert name == "TEST" and cp.verifier_key(name, public) == vkey
    with pytest.raises(CheckpointError, match="hash does not match"):
        cp.parse_verifier_key("TEST+7997405d+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _signed(key: Ed25519PrivateKey, size: int = 2, root: bytes = ROOT) -> str:
    return cp.sign_checkpoint(cp.format_checkpoint(NAME, size, root), NAME, key)


def test_format_and_round_trip(key: Ed25519PrivateKey) -> None:
    body = cp.format_checkpoint(NAME, 2, ROOT)
    assert body == f"{NAME}\n2\n{base64.b64encode(ROOT).decode()}\n"
    note = cp.sign_checkpoint(body, NAME, key)
    lines = note.split("\n")
    assert lines[3] == "" and lines[4].startswith("\u2014 " + NAME + " ")
    blob = base64.b64decode(lines[4].split(" ")[2])
    assert len(blob) == 4 + 64
    assert blob[:4] == cp.key_hash(NAME, keys.public_key_text(key))

    checked = cp.verify_checkpoint(note, NAME, keys.public_key_text(key))
    assert (checked.origin, checked.size, checked.root) == (NAME, 2, ROOT)
    assert checked.body == body
    assert checked.signatures[0].name == NAME
    vkey = cp.verifier_key(NAME, keys.public_key_text(key))
    assert cp.verify_checkpoint_vkey(note, vkey) == checked


def _tamper_body(note: str, line: int, value: str) -> str:
    body, sigs = note.split("\n\n")
    lines = body.split("\n")
    lines[line] = value
    return "\n".join(lines) + "\n\n" + sigs


def test_tampered_size_root_or_signature_is_rejected(key: Ed25519PrivateKey) -> None:
    public = keys.public_key_text(key)
    note = _signed(key)
    other_root = base64.b64encode(merkle.leaf_hash(b"x")).decode()
    for tampered in [
        _tamper_body(note, 1, "3"),
        _tamper_body(note, 2, other_root),
        _tamper_body(note, 0, "other.example/log"),
    ]:
        with pytest.raises(cp.BadSignatureError):
            cp.verify_checkpoint(tampered, NAME, public)
    body, sig_line = note.split("\n\n")
    prefix, blob = sig_line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[10] ^= 1
    flipped = f"{body}\n\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(cp.BadSignatureError):
        cp.verify_checkpoint(flipped, NAME, public)


def test_wrong_key_or_key_name_is_rejected(key: Ed25519PrivateKey) -> None:
    note = _signed(key)
    other = keys.public_key_text(Ed25519PrivateKey.generate())
    with pytest.raises(cp.UntrustedSignerError):
        cp.verify_checkpoint(note, NAME, other)
    with pytest.raises(cp.UntrustedSignerError):
        cp.verify_checkpoint(note, "someone.else/log", keys.public_key_text(key))


def test_unknown_signatures_are_ignored(key: Ed25519PrivateKey) -> None:
    # A witness cosignature from a key we do not know must not stop verification.
    note = _signed(key)
    witness = Ed25519PrivateKey.generate()
    body = note.split("\n\n")[0] + "\n"
    cosigned = note + cp.sign_checkpoint(body, "witness.example", witness).split("\n\n")[1]
    checked = cp.verify_checkpoint(cosigned, NAME, keys.public_key_text(key))
    assert [s.name for s in checked.signatures] == [NAME, "witness.example"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no blank line\n",
        f"{NAME}\n2\n\n— {NAME} AAAA\n",  # missing root line
        f"{NAME}\n02\n{base64.b64encode(ROOT).decode()}\n\n— {NAME} AAAAAAAA\n",  # leading zero
        f"{NAME}\n2\nAAAA\n\n— {NAME} AAAAAAAA\n",  # root too short
        # a hyphen instead of the em dash
        f"{NAME}\n2\n{base64.b64encode(ROOT).decode()}\n\n- {NAME} AAAAAAAA\n",
        f"{NAME}\n2\n{base64.b64encode(ROOT).decode()}\n\n— {NAME} AAAAAAAA",  # no final newline
    ],
)
def test_malformed_checkpoints_are_rejected(text: str) -> None:
    with pytest.raises(CheckpointError):
        cp.parse_checkpoint(text)


def test_bad_names_are_refused(key: Ed25519PrivateKey) -> None:
    body = cp.format_checkpoint(NAME, 2, ROOT)
    for name in ["", "has space", "has+plus"]:
        with pytest.raises(CheckpointError):
            cp.sign_checkpoint(body, name, key)
