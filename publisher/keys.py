"""Ed25519 keys for approvers and for the audit log's checkpoints.

A private key lives in a PEM file (PKCS#8), encrypted with its owner's passphrase and readable
by its owner only (mode 0600). A public key is one short line, ``ed25519:<base64 of the raw 32
bytes>``, so it can sit in ``release_rules.yaml`` or in an audit entry and be compared as text.

Demo keys (committed to the repository for the example portal) are the one case of an
unencrypted private key: pass ``passphrase=None``. They must never sign a real release.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from . import paths

PUBLIC_KEY_PREFIX = "ed25519:"


class KeyFileError(Exception):
    """A key file or public key text cannot be used (wrong passphrase, wrong type, garbled)."""


def _passphrase_bytes(passphrase: str | bytes | None) -> bytes | None:
    if passphrase is None:
        return None
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    if not data:
        # cryptography refuses an empty password; say so in our words.
        raise KeyFileError("the passphrase is empty; use passphrase=None for a demo key")
    return data


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The ``ed25519:<base64>`` text form of a key's public half."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def generate_keypair(user: str, passphrase: str | bytes | None) -> tuple[bytes, str]:
    """A new Ed25519 key pair for ``user``: (private key PEM, public key text).

    The PEM is PKCS#8, encrypted with ``passphrase`` (the best encryption the installed
    ``cryptography`` offers); ``passphrase=None`` gives an unencrypted PEM, for demo keys only.
    """
    if not user or not user.strip():
        raise ValueError("a key pair needs a user name")
    secret = _passphrase_bytes(passphrase)
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if secret is None
        else serialization.BestAvailableEncryption(secret)
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    return pem, public_key_text(key)


def write_private_key(path: str | Path, pem: bytes, *, overwrite: bool = False) -> Path:
    """Write a private key PEM readable by its owner only (mode 0600).

    Refuses to replace an existing file unless ``overwrite`` is true: losing a signing key
    by accident cannot be undone.
    """
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    try:
        # The mode given to open() is filtered by the umask and ignored for existing files.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(pem)
    finally:
        if fd != -1:
            os.close(fd)
    return path


def write_keypair(
    folder: str | Path, user: str, passphrase: str | bytes | None
) -> tuple[Path, Path]:
    """Generate a key pair and write ``<user>.key`` (0600) and ``<user>.pub`` in ``folder``."""
    folder = Path(folder)
    private_path, public_path = paths.confined(folder, f"{user}.key"), paths.confined(folder, f"{user}.pub")
    folder.mkdir(mode=paths.PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    pem, public = generate_keypair(user, passphrase)
    write_private_key(private_path, pem)
    public_path.write_text(public + "\n", encoding="ascii")
    return private_path, public_path


def private_key_from_pem(
    pem: bytes, passphrase: str | bytes | None, source: str = "key"
) -> Ed25519PrivateKey:
    """Decode a PEM private key; ``source`` names it in error messages."""
    secret = _passphrase_bytes(passphrase)
    try:
        key = serialization.load_pem_private_key(pem, password=secret)
    except TypeError as exc:
        # cryptography says TypeError both for a missing and for a superfluous password.
        if secret is None:
            raise KeyFileError(f"{source} is encrypted; a passphrase is required") from exc
        raise KeyFileError(f"{source} is not encrypted; load it without a passphrase") from exc
    except ValueError as exc:
        if secret is not None and b"ENCRYPTED" in pem:
            raise KeyFileError(f"wrong passphrase for {source}") from exc
        raise KeyFileError(f"{source} is not a readable PEM private key") from exc
    except UnsupportedAlgorithm as exc:
        raise KeyFileError(f"{source} uses an unsupported key algorithm") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{source} is not an Ed25519 key")
    return key


def load_private_key(path: str | Path, passphrase: str | bytes | None) -> Ed25519PrivateKey:
    """Read an Ed25519 private key file; raises :class:`KeyFileError` with a clear reason."""
    path = Path(path)
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from exc
    return private_key_from_pem(pem, passphrase, source=f"key file {path}")


def public_key_raw(public_key_text: str) -> bytes:
    """The raw 32 bytes of an ``ed25519:<base64>`` public key; raises KeyFileError."""
    text = public_key_text.strip()
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise KeyFileError(f"public key must start with {PUBLIC_KEY_PREFIX!r}: {text[:40]!r}")
    try:
        raw = base64.b64decode(text[len(PUBLIC_KEY_PREFIX):], validate=True)
    except binascii.Error as exc:
        raise KeyFileError(f"public key is not valid base64: {text[:40]!r}") from exc
    if len(raw) != 32:
        raise KeyFileError(f"public key has {len(raw)} bytes, an Ed25519 key has 32")
    return raw


def load_public_key(public_key_text: str) -> Ed25519PublicKey:
    """The key object for an ``ed25519:<base64>`` text."""
    return Ed25519PublicKey.from_public_bytes(public_key_raw(public_key_text))


def sign(private_key: Ed25519PrivateKey, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message`` (deterministic, RFC 8032)."""
    return private_key.sign(message)


def verify(public_key_text: str, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a valid signature of ``message`` by that public key.

    A malformed public key is an error (KeyFileError), not a mere False: it is a configuration
    problem, not evidence about the message.
    """
    key = load_public_key(public_key_text)
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def key_id(public_key_text: str) -> str:
    """A short stable identifier: the first 16 hex digits of SHA-256 of the raw public key."""
    return hashlib.sha256(public_key_raw(public_key_text)).hexdigest()[:16]


def demo_key(user: str) -> Ed25519PrivateKey:
    """DEMO ONLY: a key derived from a public seed (SHA-256 of "publisher demo key" and ``user``).

    Anyone can recreate it, so it proves nothing; it exists so the demo city and the tests can
    replay a signed approval history deterministically. Never list one for a real approver.
    """
    seed = hashlib.sha256(f"publisher demo key\n{user}".encode("utf-8")).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)
