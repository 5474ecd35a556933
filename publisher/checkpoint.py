"""Signed checkpoints: the C2SP tlog-checkpoint body inside a C2SP signed note.

A checkpoint is the log's signed statement "my tree has this many entries and this root"::

    city.example/publisher/audit-log
    42
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

    — city.example/publisher/audit-log Az3grlgt...

Formats: https://c2sp.org/tlog-checkpoint and https://c2sp.org/signed-note. Ed25519 signature
lines are byte-compatible with Go's golang.org/x/mod/sumdb/note (tested against its example),
so a third party can check our checkpoints with off-the-shelf tools.

The verifier key ("vkey") is published as ``<name>+<hex key hash>+<base64(0x01 || pubkey)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publisher import keys

SIGNATURE_PREFIX = "\u2014 "  # em dash, space: the signed-note signature line marker
ALG_ED25519 = 0x01  # signed-note signature type byte for Ed25519
MAX_SIGNATURES = 100  # the Go implementation's cap; the spec asks for at least 16

_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(Exception):
    """A checkpoint or verifier key is malformed, or its signature does not verify."""


class BadSignatureError(CheckpointError):
    """A signature by a trusted key (right name and key hash) does not verify: tampering."""


class UntrustedSignerError(CheckpointError):
    """No signature on the note is by a trusted key (perhaps a forger's own key)."""


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note."""

    name: str
    key_hash: bytes  # 4 bytes, big-endian key ID
    signature: bytes  # 64 bytes for Ed25519

    @property
    def key_hash_hex(self) -> str:
        return self.key_hash.hex()


@dataclass(frozen=True)
class Checkpoint:
    """A parsed checkpoint. ``root`` is the raw 32-byte Merkle root."""

    origin: str
    size: int
    root: bytes
    signatures: tuple[NoteSignature, ...] = ()
    extensions: tuple[str, ...] = ()  # opaque extra body lines; we never write any

    @property
    def body(self) -> str:
        """The signed text (the note body), ending in a newline."""
        return format_checkpoint(self.origin, self.size, self.root, self.extensions)

    @property
    def root_base64(self) -> str:
        return base64.b64encode(self.root).decode("ascii")


def _check_name(name: str) -> None:
    # Key names: non-empty, no Unicode spaces and no '+' (the vkey separator).
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise CheckpointError(f"invalid key name {name!r}: must be non-empty, no spaces, no '+'")


def key_hash(name: str, public_key_text: str) -> bytes:
    """The signed-note key ID: SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]."""
    raw = keys.public_key_raw(public_key_text)
    data = name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + raw
    return hashlib.sha256(data).digest()[:4]


def verifier_key(name: str, public_key_text: str) -> str:
    """The vkey line anyone needs to verify our checkpoints: ``<name>+<hex id>+<base64>``."""
    _check_name(name)
    raw = keys.public_key_raw(public_key_text)
    encoded = base64.b64encode(bytes([ALG_ED25519]) + raw).decode("ascii")
    return f"{name}+{key_hash(name, public_key_text).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, str]:
    """Split a vkey into (key name, ``ed25519:`` public key text), checking its key hash."""
    # The base64 part may itself contain '+', so split only twice.
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise CheckpointError("a verifier key has the form <name>+<key hash>+<key>")
    name, hash_hex, encoded = parts
    _check_name(name)
    try:
        blob = base64.b64decode(encoded, validate=True)
        wanted_hash = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError("verifier key is not valid hex/base64") from exc
    if len(wanted_hash) != 4 or len(blob) != 33 or blob[0] != ALG_ED25519:
        raise CheckpointError("verifier key is not an Ed25519 signed-note key")
    public_text = keys.PUBLIC_KEY_PREFIX + base64.b64encode(blob[1:]).decode("ascii")
    if key_hash(name, public_text) != wanted_hash:
        raise CheckpointError("verifier key hash does not match its name and key")
    return name, public_text


def format_checkpoint(
    origin: str, size: int, root: bytes, extensions: Iterable[str] = ()
) -> str:
    """The checkpoint body: origin, tree size, base64 root, one per line, newline-terminated."""
    if not origin or "\n" in origin:
        raise CheckpointError("the origin must be one non-empty line")
    if size < 0:
        raise CheckpointError("the tree size cannot be negative")
    if len(root) != 32:
        raise CheckpointError(f"the root hash has {len(root)} bytes, expected 32")
    lines = [origin, str(size), base64.b64encode(root).decode("ascii"), *extensions]
    return "".join(line + "\n" for line in lines)


def _check_note_text(text: str) -> None:
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise CheckpointError("a signed note must not contain control characters")


def sign_checkpoint(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: ``body``, a blank line, and one Ed25519 signature line by ``name``."""
    _check_name(name)
    _check_note_text(body)
    if not body.endswith("\n") or "\n\n" in body:
        raise CheckpointError("a note body must end in a newline and contain no blank line")
    public_text = keys.public_key_text(private_key)
    signature = keys.sign(private_key, body.encode("utf-8"))
    blob = base64.b64encode(key_hash(name, public_text) + signature).decode("ascii")
    return f"{body}\n{SIGNATURE_PREFIX}{name} {blob}\n"


def _split_note(text: str) -> tuple[str, list[NoteSignature]]:
    _check_note_text(text)
    # The body ends at the LAST blank line: the body itself may not hold one, but being
    # strict about where we split is what keeps two parsers from disagreeing.
    split = text.rfind("\n\n")
    if split < 0:
        raise CheckpointError("not a signed note: no blank line before the signatures")
    body, sig_text = text[: split + 1], text[split + 2 :]
    if not sig_text.endswith("\n"):
        raise CheckpointError("the signature block must end in a newline")
    signatures = []
    for line in sig_text[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError(f"malformed signature line {line[:40]!r} (must start with '— ')")
        name, sep, blob = line[len(SIGNATURE_PREFIX):].partition(" ")
        _check_name(name)
        if not sep or " " in blob:
            raise CheckpointError(f"malformed signature line for {name!r}")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise CheckpointError(f"signature by {name!r} is not valid base64") from exc
        if len(raw) < 5:
            raise CheckpointError(f"signature by {name!r} is too short")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if not signatures:
        raise CheckpointError("a signed note needs at least one signature")
    if len(signatures) > MAX_SIGNATURES:
        raise CheckpointError(f"more than {MAX_SIGNATURES} signatures")
    return body, signatures


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a signed checkpoint WITHOUT checking signatures (see :func:`verify_checkpoint`)."""
    body, signatures = _split_note(text)
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint body has at least three lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointError("the checkpoint origin is empty")
    if not _SIZE.fullmatch(size_text):
        raise CheckpointError(f"the tree size {size_text!r} is not a plain decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("the root hash is not valid base64") from exc
    if len(root) != 32:
        raise CheckpointError(f"the root hash has {len(root)} bytes, expected 32")
    if any(not line for line in extensions):
        raise CheckpointError("checkpoint extension lines must not be empty")
    return Checkpoint(origin, int(size_text), root, tuple(signatures), tuple(extensions))


def verify_note(text: str, trusted: Iterable[tuple[str, str]]) -> str:
    """Verify any signed note against trusted (name, public key text) pairs; return its body.

    Signed-note rules: signatures from unknown keys are ignored; a signature from a known key
    (same name AND key hash) that fails rejects the whole note; at least one must verify.
    """
    body, signatures = _split_note(text)
    known = {(name, key_hash(name, public)): public for name, public in trusted}
    verified = False
    for sig in signatures:
        public = known.get((sig.name, sig.key_hash))
        if public is None:
            continue
        if not keys.verify(public, body.encode("utf-8"), sig.signature):
            raise BadSignatureError(f"the signature by {sig.name!r} does not verify")
        verified = True
    if not verified:
        names = ", ".join(sorted({name for name, _ in known})) or "none"
        raise UntrustedSignerError(f"the note is not signed by a trusted key (trusted: {names})")
    return body


def verify_checkpoint_keys(text: str, trusted: Iterable[tuple[str, str]]) -> Checkpoint:
    """Parse a checkpoint and verify it against several trusted (name, public key) pairs."""
    verify_note(text, trusted)
    return parse_checkpoint(text)


def verify_checkpoint(text: str, name: str, public_key_text: str) -> Checkpoint:
    """Parse a checkpoint and check it is signed by key ``name``; raises CheckpointError."""
    return verify_checkpoint_keys(text, [(name, public_key_text)])


def verify_checkpoint_vkey(text: str, vkey: str) -> Checkpoint:
    """Like :func:`verify_checkpoint`, with the key given as a published vkey line."""
    return verify_checkpoint(text, *parse_verifier_key(vkey))
