"""Ed25519 key files: encrypted at rest, owner-only, clear errors."""

from __future__ import annotations

import stat

import pytest

from publisher import keys
from publisher.keys import KeyFileError


def test_generate_sign_verify_round_trip() -> None:
    pem, public = keys.generate_keypair("alice", "correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert public.startswith("ed25519:") and len(keys.public_key_raw(public)) == 32
    private = keys.private_key_from_pem(pem, "correct horse")
    assert keys.public_key_text(private) == public
    signature = keys.sign(private, "审批 v3".encode())
    assert len(signature) == 64
    assert keys.verify(public, "审批 v3".encode(), signature)
    assert not keys.verify(public, "审批 v4".encode(), signature)
    assert not keys.verify(public, b"x", b"\x00" * 64)


def test_private_key_file_is_owner_only(tmp_path) -> None:
    private_path, public_path = keys.write_keypair(tmp_path / "keys", "alice", "pw")
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert public_path.read_text().startswith("ed25519:")
    key = keys.load_private_key(private_path, "pw")
    assert keys.public_key_text(key) == public_path.read_text().strip()
    # A second key must not silently replace the first.
    with pytest.raises(FileExistsError):
        keys.write_keypair(tmp_path / "keys", "alice", "pw")


def test_wrong_or_missing_passphrase_is_a_clear_error(tmp_path) -> None:
    pem, _ = keys.generate_keypair("alice", "right")
    path = keys.write_private_key(tmp_path / "alice.key", pem)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        keys.load_private_key(path, "wrong")
    with pytest.raises(KeyFileError, match="passphrase is required"):
        keys.load_private_key(path, None)
    with pytest.raises(KeyFileError, match="cannot read key file"):
        keys.load_private_key(tmp_path / "nobody.key", "right")


def test_demo_key_without_passphrase(tmp_path) -> None:
    pem, public = keys.generate_keypair("demo", None)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    path = keys.write_private_key(tmp_path / "demo.key", pem)
    assert keys.public_key_text(keys.load_private_key(path, None)) == public
    with pytest.raises(KeyFileError, match="not encrypted"):
        keys.load_private_key(path, "pw")


def test_bad_public_key_text() -> None:
    for text in ["rsa:AAAA", "ed25519:not base64!", "ed25519:AAAA"]:
        with pytest.raises(KeyFileError):
            keys.public_key_raw(text)


def test_key_id_is_stable_and_short() -> None:
    _, public = keys.generate_keypair("alice", None)
    assert keys.key_id(public) == keys.key_id(public + "\n")
    assert len(keys.key_id(public)) == 16
    _, other = keys.generate_keypair("bob", None)
    assert keys.key_id(public) != keys.key_id(other)
