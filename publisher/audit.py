"""The append-only, hash-chained audit log of every action on every item, and its verification.

Each action (a check, an approval, a publication, ...) becomes one *entry*: a small JSON object
stored as canonical bytes (sorted keys, UTF-8, no insignificant whitespace) exactly as hashed.
Entries are tamper-evident in three overlapping ways:

* every entry carries ``prev_hash``, the SHA-256 of the previous entry's bytes (a hash chain);
* the entries are the leaves of an RFC 6962 Merkle tree (:mod:`publisher.merkle`);
* after every append the log signs a checkpoint of the tree (:mod:`publisher.checkpoint`), and
  keeps every checkpoint it ever signed, so an altered entry can be pinned to its seq.

The log lives in SQLite (WAL, ``synchronous=FULL``); ``append`` runs in one ``BEGIN IMMEDIATE``
transaction, so appenders in several processes are serialised without lost or duplicated
entries. :meth:`AuditLog.export` writes the public copy for the portal, which anyone can check
offline with :func:`verify_exported` (see ``docs/audit.md``).

Verification returns a :class:`VerifyResult` value (bilingual, with a stable problem id), never
an exception: a broken log is a finding to report, not a crash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Union
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publisher import clock, keys, merkle
from publisher.checkpoint import (
    BadSignatureError,
    Checkpoint,
    CheckpointError,
    UntrustedSignerError,
    format_checkpoint,
    parse_checkpoint,
    parse_verifier_key,
    sign_checkpoint,
    verifier_key,
    verify_checkpoint_keys,
)

SCHEMA_VERSION = 1
DEFAULT_ORIGIN = "publisher/audit-log"
TIMEZONE = ZoneInfo("Asia/Shanghai")

# Audit event names: nouns a press officer would use.
EVENTS = (
    "submission",
    "check",
    "approval",
    "rejection",
    "reopening",
    "derivation",
    "publication",
    "withdrawal",
    "correction",
    "unlock-refusal",  # the review console refused a wrong passphrase (publisher/review.py)
    "lockout",  # the review console locked unlocking after too many wrong passphrases
    "rules",  # the release rules a build ran with changed (their SHA-256; publisher.workflow.record_rules)
)
ENTRY_FIELDS = frozenset(
    {"seq", "time", "event", "actor", "item", "version", "files", "details", "prev_hash"}
)

# Exported file layout, relative to the folder given to export().
LOG_DIR = "log"
ENTRIES_FILE = "entries.jsonl"
CHECKPOINT_FILE = "checkpoint"
VKEY_FILE = "vkey"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# Trusted keys: {name: "ed25519:..."}, or vkey lines, or (name, "ed25519:...") pairs.
TrustedKeys = Union[Mapping[str, str], str, Iterable[Union[str, tuple[str, str]]]]
Signer = tuple[str, Ed25519PrivateKey]


class AuditError(Exception):
    """The audit log cannot be used as asked (bad arguments, a newer schema, a broken log)."""


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value that we hash: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- entries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One audit log entry. ``canonical`` holds the exact bytes that are hashed and exported."""

    seq: int
    time: str
    event: str
    actor: str
    item: str
    version: int | None
    files: dict[str, str]
    details: dict[str, Any]
    prev_hash: str | None
    canonical: bytes = field(repr=False, compare=False)

    @property
    def entry_hash(self) -> str:
        """SHA-256 (hex) of the canonical bytes: what the next entry's ``prev_hash`` holds."""
        return sha256_hex(self.canonical)

    @property
    def leaf_hash(self) -> bytes:
        """The RFC 6962 Merkle leaf hash of the canonical bytes."""
        return merkle.leaf_hash(self.canonical)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["canonical"]
        return data

    @classmethod
    def from_canonical(cls, data: bytes) -> Entry:
        """Parse stored bytes, insisting they are a well-formed entry in canonical form."""
        try:
            value = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AuditError(f"entry is not UTF-8 JSON: {exc}") from exc
        if not isinstance(value, dict) or set(value) != ENTRY_FIELDS:
            raise AuditError("entry does not have exactly the audit entry fields")
        entry = _build_entry(**value)
        if entry.canonical != data:
            raise AuditError("entry bytes are not in canonical form")
        return entry


def _check_text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AuditError(f"{name} must be a non-empty string")
    return value


def _entry_time(value: datetime | str | None) -> str:
    """ISO 8601 with a UTC offset, in its one canonical spelling (``datetime.isoformat``:
    ``2024-05-01T09:00:00+08:00``); now in Asia/Shanghai when not given."""
    if value is None:
        return clock.now(TIMEZONE).replace(microsecond=0).isoformat()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise AuditError(f"time {value!r} is not ISO 8601") from exc
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise AuditError("time must be a datetime with a UTC offset (e.g. +08:00)")
    return value.isoformat()


def _check_canonical_time(value: Any) -> None:
    # Python reads many spellings of one instant ("2024-05-01 09:00:00+08:00", "...Z", week
    # dates); other readers of the published log do not. Stored times have exactly one.
    if not isinstance(value, str) or _entry_time(value) != value:
        raise AuditError(f"time {value!r} is not canonical ISO 8601 (YYYY-MM-DDTHH:MM:SS±HH:MM)")


def _build_entry(
    *,
    seq: int,
    time: str,
    event: str,
    actor: str,
    item: str,
    version: int | None,
    files: Mapping[str, str] | None,
    details: Mapping[str, Any] | None,
    prev_hash: str | None,
) -> Entry:
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise AuditError("seq must be a non-negative integer")
    if event not in EVENTS:
        raise AuditError(f"unknown event {event!r}; expected one of {', '.join(EVENTS)}")
    _check_text("actor", actor)
    _check_text("item", item)
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise AuditError("version must be an integer or null")
    files = dict(files or {})
    for path, digest in files.items():
        _check_text("file path", path)
        if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
            raise AuditError(f"file {path!r}: digest must be 64 lowercase hex digits (SHA-256)")
    if not isinstance(details or {}, Mapping):
        raise AuditError("details must be a mapping")
    details = dict(details or {})
    if prev_hash is not None and (
        not isinstance(prev_hash, str) or not _SHA256_HEX.fullmatch(prev_hash)
    ):
        raise AuditError("prev_hash must be 64 lowercase hex digits or null")
    if (prev_hash is None) != (seq == 0):
        raise AuditError("only the first entry (seq 0) has no prev_hash")
    _check_canonical_time(time)  # appends write it canonical; parsing never rewrites bytes
    value = {
        "seq": seq,
        "time": time,
        "event": event,
        "actor": actor,
        "item": item,
        "version": version,
        "files": files,
        "details": details,
        "prev_hash": prev_hash,
    }
    try:
        canonical = canonical_json(value)
    except (TypeError, ValueError) as exc:
        raise AuditError(f"details are not plain JSON: {exc}") from exc
    # Round-trip so the Entry holds exactly what a reader of the bytes will see.
    value = json.loads(canonical)
    return Entry(canonical=canonical, **value)


# --- verification results --------------------------------------------------------------------

# problem id -> (Chinese, English) message templates.
MESSAGES: dict[str, tuple[str, str]] = {
    "ok": (
        "审计日志完整：共 {size} 条记录，全部由有效的签名检查点覆盖。",
        "Audit log intact: {size} entries, all covered by a valid signed checkpoint.",
    ),
    "entry-altered": (
        "第 {seq} 条记录被改动：存储的内容与其哈希不符。",
        "Entry {seq} was altered: its stored bytes do not match its stored hash.",
    ),
    "entry-malformed": (
        "第 {seq} 条记录不是规范格式的审计记录。",
        "Entry {seq} is not a well-formed canonical audit entry: {detail}.",
    ),
    "entry-missing": (
        "第 {seq} 条记录缺失（序号不连续），可能已被删除。",
        "Entry {seq} is missing (a gap in the sequence numbers); it may have been deleted.",
    ),
    "entry-out-of-order": (
        "第 {seq} 个位置上存放的是第 {found} 条记录：记录被调换或重新排序。",
        "The entry stored at position {seq} says it is entry {found}: "
        "entries were swapped or reordered.",
    ),
    "chain-broken": (
        "第 {seq} 条记录的前序哈希与第 {prev} 条记录不符：哈希链断裂"
        "（有记录被插入、删除或改动）。",
        "Entry {seq} does not chain to entry {prev}: the hash chain is broken "
        "(an entry was inserted, removed or altered).",
    ),
    "checkpoint-root-mismatch": (
        "第 {seq} 条记录与签名检查点（{checkpoint_size} 条）记录的树根不符："
        "记录被改动、插入或删除。",
        "Entry {seq} does not match the signed checkpoint of size {checkpoint_size}: "
        "entries were altered, inserted or removed.",
    ),
    "entry-unsigned": (
        "自第 {seq} 条起的记录没有被任何有效的签名检查点覆盖（可能是伪造插入的）。",
        "Entries from {seq} on are not covered by a valid signed checkpoint "
        "(they may have been forged).",
    ),
    "log-truncated": (
        "日志被截断：签名检查点覆盖 {checkpoint_size} 条记录，现只剩 {size} 条，"
        "自第 {seq} 条起缺失。",
        "The log was truncated: the signed checkpoint covers {checkpoint_size} entries but "
        "only {size} remain; entries from {seq} on are missing.",
    ),
    "checkpoint-missing": (
        "日志有记录但没有签名检查点。",
        "The log has entries but no signed checkpoint.",
    ),
    "checkpoint-malformed": (
        "签名检查点格式错误。",
        "The signed checkpoint is malformed: {detail}.",
    ),
    "checkpoint-origin-mismatch": (
        "签名检查点属于另一个日志（{detail}）。",
        "The signed checkpoint belongs to another log ({detail}).",
    ),
    "checkpoint-signature-invalid": (
        "签名检查点的签名无法验证（检查点或签名被篡改）。",
        "The signature of the checkpoint (size {checkpoint_size}) does not verify: "
        "the checkpoint or its signature was tampered with.",
    ),
    "checkpoint-unknown-key": (
        "签名检查点不是由受信任的密钥签名的。",
        "The checkpoint (size {checkpoint_size}) is not signed by a trusted key.",
    ),
    "saved-checkpoint-invalid": (
        "之前保存的检查点无法验证。",
        "The saved checkpoint does not verify: {detail}.",
    ),
    "saved-checkpoint-unknown-key": (
        "之前保存的检查点（{saved_size} 条）不是由受信任的日志密钥签名的：日志签名密钥已被更换。",
        "The saved checkpoint (size {saved_size}) is not signed by the trusted log key: "
        "the log's signing key was replaced since it was saved.",
    ),
    "history-rewritten": (
        "日志与之前保存的检查点（{saved_size} 条）不一致：历史记录被改写。",
        "The log is not consistent with the saved checkpoint of size {saved_size}: "
        "its history was rewritten.",
    ),
}


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of verifying an audit log: ok, or the first problem and where it starts."""

    ok: bool
    size: int  # entries found
    checkpoint_size: int | None  # size of the newest checkpoint, if any
    first_bad_seq: int | None  # the first entry that cannot be trusted, when one can be named
    problem: str | None  # stable kebab-case id, a key of MESSAGES
    message_zh: str
    message_en: str

    def line(self) -> str:
        """One line for a terminal, both languages."""
        tag = "ok" if self.ok else f"error [{self.problem}]"
        return f"{tag} {self.message_zh} / {self.message_en}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VerifiedLog:
    """A log that was verified, with what it holds: the result, and when it is ok the entries
    (in seq order) and the newest checkpoint they were verified against."""

    result: VerifyResult
    entries: list[Entry]
    checkpoint: str | None


@dataclass(frozen=True)
class _Problem:
    code: str
    seq: int | None
    params: dict[str, Any] = field(default_factory=dict)


def _result(size: int, checkpoint_size: int | None, problem: _Problem | None) -> VerifyResult:
    code = problem.code if problem else "ok"
    params = {"size": size, "checkpoint_size": checkpoint_size, "seq": None, "detail": ""}
    if problem:
        params.update(seq=problem.seq, **problem.params)
    zh, en = MESSAGES[code]
    if problem and problem.seq is not None and "{seq}" not in en:
        # Checkpoint problems: say from where on the entries are no longer vouched for.
        zh += "自第 {seq} 条起的记录无法确认。"
        en += " Entries from {seq} on cannot be trusted."
    return VerifyResult(
        ok=problem is None,
        size=size,
        checkpoint_size=checkpoint_size,
        first_bad_seq=problem.seq if problem else None,
        problem=problem.code if problem else None,
        message_zh=zh.format(**params),
        message_en=en.format(**params),
    )


def _first(problems: Sequence[_Problem]) -> _Problem | None:
    """The problem at the smallest seq; among equals, the one found first (most specific)."""
    if not problems:
        return None
    order = {id(p): i for i, p in enumerate(problems)}
    return min(
        problems,
        key=lambda p: (p.seq is None, p.seq if p.seq is not None else 0, order[id(p)]),
    )


@dataclass(frozen=True)
class _Row:
    position: int  # where the entry sits: the seq column, or the line number in entries.jsonl
    canonical: bytes
    stored_hash: str | None = None  # the hash column (database only)
    item: str | None = None  # the item column (database only)
    redacted: Redacted | None = None  # an exported entry whose content is withheld

    @property
    def leaf(self) -> bytes:
        return bytes.fromhex(self.redacted.leaf_hash) if self.redacted else merkle.leaf_hash(self.canonical)

    @property
    def entry_hash(self) -> str:
        return self.redacted.entry_hash if self.redacted else sha256_hex(self.canonical)


@dataclass(frozen=True)
class Redacted:
    """An entry of the published log whose content is withheld (an item not yet public).

    Only its position and two hashes are published: ``leaf_hash`` keeps the Merkle root
    verifiable, ``entry_hash`` keeps the hash chain; revealing the entry later gives the same
    hashes, so a reader's saved checkpoint stays consistent.
    """

    seq: int
    entry_hash: str
    leaf_hash: str

    def line(self) -> bytes:
        return canonical_json({"redacted": True, "seq": self.seq, "entry_hash": self.entry_hash,
                               "leaf_hash": self.leaf_hash})

    @classmethod
    def of(cls, entry: Entry) -> Redacted:
        return cls(entry.seq, entry.entry_hash, entry.leaf_hash.hex())


def parse_exported_line(position: int, line: bytes) -> _Row:
    """One line of ``entries.jsonl``: an entry's canonical bytes, or a redacted placeholder."""
    if line.startswith(b'{"entry_hash":'):
        try:
            value = json.loads(line)
            if set(value) == {"redacted", "seq", "entry_hash", "leaf_hash"} and value["redacted"] is True:
                redacted = Redacted(int(value["seq"]), str(value["entry_hash"]), str(value["leaf_hash"]))
                if (redacted.line() == line and _SHA256_HEX.fullmatch(redacted.entry_hash)
                        and _SHA256_HEX.fullmatch(redacted.leaf_hash)):
                    return _Row(position, b"", redacted=redacted)
        except (ValueError, TypeError):
            pass
    return _Row(position, line)


def exported_leaves(lines: Sequence[bytes]) -> list[bytes]:
    """The Merkle leaf hashes of the lines of an exported ``entries.jsonl``."""
    return [parse_exported_line(i, line).leaf for i, line in enumerate(lines)]


def _scan_entries(rows: Sequence[_Row], parsed: list[Entry] | None = None) -> _Problem | None:
    """Walk the entries in order and return the first structural problem, if any; each entry
    parsed on the way is appended to ``parsed`` (so a caller never parses the log twice)."""
    prev: str | None = None  # the previous entry's hash
    for expected, row in enumerate(rows):
        if row.position != expected:
            # Positions only grow (ORDER BY seq / line number), so a jump is a gap.
            return _Problem("entry-missing", expected)
        if row.redacted is not None:
            if row.redacted.seq != expected:
                return _Problem("entry-out-of-order", expected, {"found": row.redacted.seq})
            prev = row.redacted.entry_hash  # the next entry's prev_hash checks it
            continue
        if row.stored_hash is not None and row.stored_hash != sha256_hex(row.canonical):
            return _Problem("entry-altered", expected)
        try:
            entry = Entry.from_canonical(row.canonical)
        except AuditError as exc:
            return _Problem("entry-malformed", expected, {"detail": str(exc)})
        if row.item is not None and row.item != entry.item:
            return _Problem("entry-altered", expected)
        if entry.seq != expected:
            return _Problem("entry-out-of-order", expected, {"found": entry.seq})
        if entry.prev_hash != prev:
            return _Problem("chain-broken", expected, {"prev": expected - 1})
        prev = row.entry_hash
        if parsed is not None:
            parsed.append(entry)
    return None


def _trusted_keys(public_keys: TrustedKeys) -> list[tuple[str, str]]:
    if isinstance(public_keys, Mapping):
        return [(name, text) for name, text in public_keys.items()]
    if isinstance(public_keys, str):
        public_keys = [public_keys]
    trusted = []
    for key in public_keys:
        if isinstance(key, str):
            trusted.append(parse_verifier_key(key))
        else:
            name, text = key
            trusted.append((name, text))
    return trusted


@dataclass(frozen=True)
class _NoteCheck:
    """What one stored checkpoint note says and whether a trusted key vouches for it."""

    size: int | None
    checkpoint: Checkpoint | None
    problem: str | None  # None when verified by a trusted key
    detail: str = ""


def _check_note(text: str, trusted: list[tuple[str, str]], origin: str | None) -> _NoteCheck:
    try:
        parsed = parse_checkpoint(text)
    except CheckpointError as exc:
        return _NoteCheck(None, None, "checkpoint-malformed", str(exc))
    try:
        verify_checkpoint_keys(text, trusted)
    except BadSignatureError as exc:
        return _NoteCheck(parsed.size, parsed, "checkpoint-signature-invalid", str(exc))
    except UntrustedSignerError as exc:
        return _NoteCheck(parsed.size, parsed, "checkpoint-unknown-key", str(exc))
    except CheckpointError as exc:
        return _NoteCheck(parsed.size, parsed, "checkpoint-malformed", str(exc))
    if origin is not None and parsed.origin != origin:
        detail = f"origin {parsed.origin!r}, expected {origin!r}"
        return _NoteCheck(parsed.size, parsed, "checkpoint-origin-mismatch", detail)
    return _NoteCheck(parsed.size, parsed, None)


def _verify(
    rows: Sequence[_Row],
    newest_note: str | None,
    older_notes: Sequence[str],
    trusted: list[tuple[str, str]],
    origin: str | None,
    saved_checkpoints: Sequence[str],
    parsed: list[Entry] | None = None,
) -> VerifyResult:
    """The whole verification, shared by the database and the exported folder: one pass over
    the entries (hash, chain, Merkle prefix roots), each checkpoint's signature once."""
    size = len(rows)
    problems: list[_Problem] = []
    scan_problem = _scan_entries(rows, parsed)
    if scan_problem:
        problems.append(scan_problem)

    leaves = [row.leaf for row in rows]
    prefix = [merkle.EMPTY_ROOT, *merkle.prefix_roots(leaves)]  # prefix[s] = root of size s

    # Every checkpoint a trusted key vouches for pins the first `size` entries; the smallest
    # one that no longer matches names the entry that changed (it was the last one it covered).
    covered = 0
    for text in older_notes:
        check = _check_note(text, trusted, origin)
        if check.problem is None and check.size is not None and check.size <= size:
            if prefix[check.size] == check.checkpoint.root:
                covered = max(covered, check.size)
            else:
                problems.append(
                    _Problem(
                        "checkpoint-root-mismatch",
                        check.size - 1,
                        {"checkpoint_size": check.size},
                    )
                )
        elif check.problem == "checkpoint-signature-invalid":
            problems.append(_Problem(check.problem, None, {"checkpoint_size": check.size}))

    newest_size: int | None = None
    if newest_note is None:
        if size:
            problems.append(_Problem("checkpoint-missing", 0))
    else:
        check = _check_note(newest_note, trusted, origin)
        newest_size = check.size
        if check.problem is not None:
            seq = covered if covered < size else None
            problems.append(
                _Problem(
                    check.problem, seq, {"detail": check.detail, "checkpoint_size": check.size}
                )
            )
        elif check.size > size:
            problems.append(_Problem("log-truncated", size, {"checkpoint_size": check.size}))
        else:
            if prefix[check.size] != check.checkpoint.root:
                problems.append(
                    _Problem(
                        "checkpoint-root-mismatch",
                        check.size - 1 if check.size else None,
                        {"checkpoint_size": check.size},
                    )
                )
            if check.size < size:
                problems.append(_Problem("entry-unsigned", check.size))

    for saved in saved_checkpoints:
        problems.extend(_check_saved(saved, trusted, origin, prefix, size))

    return _result(size, newest_size, _first(problems))


def _check_saved(
    text: str,
    trusted: list[tuple[str, str]],
    origin: str | None,
    prefix: Sequence[bytes],
    size: int,
) -> list[_Problem]:
    """Is a checkpoint saved earlier (by a reader, a witness) still a prefix of this log?"""
    check = _check_note(text, trusted, origin)
    if check.problem == "checkpoint-unknown-key":
        return [_Problem("saved-checkpoint-unknown-key", None, {"saved_size": check.size})]
    if check.problem is not None:
        return [_Problem("saved-checkpoint-invalid", None, {"detail": check.detail})]
    saved = check.checkpoint
    if saved.size > size:
        return [_Problem("log-truncated", size, {"checkpoint_size": saved.size})]
    # With every leaf at hand, "the saved tree is a prefix" is simply: the root of the first
    # saved.size leaves is the saved root (what a consistency proof would establish remotely).
    if prefix[saved.size] != saved.root:
        return [_Problem("history-rewritten", None, {"saved_size": saved.size})]
    return []


# --- the log -------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,        -- the Merkle leaf index, from 0
    entry_hash TEXT NOT NULL,       -- sha256 hex of canonical
    canonical BLOB NOT NULL,        -- the exact bytes that are hashed and exported
    item TEXT NOT NULL              -- copy of the entry's item, for lookups only
);
CREATE INDEX IF NOT EXISTS entries_by_item ON entries (item, seq);
CREATE TABLE IF NOT EXISTS checkpoints (
    size INTEGER PRIMARY KEY,       -- tree size the checkpoint commits to
    note TEXT NOT NULL              -- the signed note, exactly as signed
);
"""


class AuditLog:
    """The audit log in one SQLite file. Safe to use from several processes at once."""

    def __init__(
        self, path: str | Path, origin: str | None = None, *, timeout: float = 30.0
    ) -> None:
        self.path = Path(path)
        # Autocommit mode: we issue BEGIN IMMEDIATE / COMMIT ourselves.
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self._db.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed entry survives a power cut, not just a crash of this process.
        self._db.execute("PRAGMA synchronous = FULL")
        self.origin = self._open_schema(origin)

    def _open_schema(self, origin: str | None) -> str:
        with self._write():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            version = int(rows.get("schema_version", SCHEMA_VERSION))
            if version > SCHEMA_VERSION:
                raise AuditError(
                    f"{self.path}: schema version {version} is newer than this program "
                    f"({SCHEMA_VERSION}); upgrade publisher"
                )
            stored_origin = rows.get("origin")
            if stored_origin is None:
                stored_origin = origin or DEFAULT_ORIGIN
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('origin', ?)",
                    (str(SCHEMA_VERSION), stored_origin),
                )
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif origin is not None and origin != stored_origin:
                raise AuditError(
                    f"{self.path}: this log's origin is {stored_origin!r}, not {origin!r}"
                )
        return stored_origin

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so two appenders never both read the same
        # "last entry"; the busy timeout makes the second one wait instead of failing.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[None]:
        # One read transaction = one consistent snapshot, even while others append.
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    # -- writing --------------------------------------------------------------------------

    def append(
        self,
        event: str,
        actor: str,
        item: str,
        *,
        version: int | None = None,
        files: Mapping[str, str] | None = None,
        details: Mapping[str, Any] | None = None,
        time: datetime | str | None = None,
        signer: Signer,
    ) -> Entry:
        """Record one action and sign a new checkpoint covering it, atomically.

        ``signer`` is (key name, Ed25519 private key); the name goes into the signature line
        and the verifier key. Refuses (AuditError) to extend a log that no longer matches its
        own newest checkpoint: signing over tampered history would launder it.
        """
        action = {"event": event, "actor": actor, "item": item, "version": version, "files": files,
                  "details": details, "time": time}
        return self.append_many([action], signer=signer)[0]

    def append_many(self, actions: Sequence[Mapping[str, Any]], *, signer: Signer) -> list[Entry]:
        """Record several actions (each the keyword arguments of :meth:`append`) in one
        transaction, and sign one checkpoint covering them all: all are recorded, or none."""
        name, private_key = signer
        vkey = verifier_key(name, keys.public_key_text(private_key))
        if not actions:
            return []
        with self._write():
            rows = self._db.execute("SELECT seq, canonical FROM entries ORDER BY seq").fetchall()
            canonicals = [_as_bytes(c) for _, c in rows]
            # Recomputed from every entry once per transaction: simple and always right.
            leaves = [merkle.leaf_hash(c) for c in canonicals]
            self._check_extendable(rows, leaves, (name, keys.public_key_text(private_key)))
            prev = sha256_hex(canonicals[-1]) if canonicals else None
            entries = []
            for action in actions:
                entry = _build_entry(
                    seq=len(leaves),
                    time=_entry_time(action.get("time")),
                    event=action["event"],
                    actor=action["actor"],
                    item=action["item"],
                    version=action.get("version"),
                    files=action.get("files"),
                    details=action.get("details"),
                    prev_hash=prev,
                )
                self._db.execute(
                    "INSERT INTO entries (seq, entry_hash, canonical, item) VALUES (?, ?, ?, ?)",
                    (entry.seq, entry.entry_hash, entry.canonical, entry.item),
                )
                leaves.append(entry.leaf_hash)
                prev = entry.entry_hash
                entries.append(entry)
            body = format_checkpoint(self.origin, len(leaves), merkle.root(leaves))
            note = sign_checkpoint(body, name, private_key)
            self._db.execute("INSERT INTO checkpoints (size, note) VALUES (?, ?)", (len(leaves), note))
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('vkey', ?)", (vkey,)
            )
        return entries

    def _check_extendable(
        self, rows: list[tuple[int, bytes]], leaves: list[bytes], signer: tuple[str, str]
    ) -> None:
        """Refuse to append to a log that no longer matches its own newest checkpoint."""
        if any(seq != i for i, (seq, _) in enumerate(rows)):
            raise AuditError("the audit log has gaps or reordered entries; run verify")
        newest = self._newest_note()
        if newest is None:
            if rows:
                raise AuditError("the audit log has entries but no checkpoint; run verify")
            return
        # The newest checkpoint must be ours: by this signer, or by the previous one (after a
        # key rotation). This is a safety net only; verify() is the real check.
        own = [signer]
        previous = self.verifier_key()
        if previous is not None:
            own.append(parse_verifier_key(previous))
        try:
            last = verify_checkpoint_keys(newest, own)
        except CheckpointError as exc:
            raise AuditError(f"the newest checkpoint does not verify ({exc}); run verify") from exc
        if last.size != len(rows) or merkle.root(leaves) != last.root:
            raise AuditError(
                "the audit log does not match its newest checkpoint; run verify before appending"
            )

    # -- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM entries").fetchone()[0]

    def entries(self, item: str | None = None) -> list[Entry]:
        """All entries in seq order, or those of one item."""
        if item is None:
            rows = self._db.execute("SELECT canonical FROM entries ORDER BY seq")
        else:
            rows = self._db.execute(
                "SELECT canonical FROM entries WHERE item = ? ORDER BY seq", (item,)
            )
        return [Entry.from_canonical(_as_bytes(c)) for (c,) in rows.fetchall()]

    def _newest_note(self) -> str | None:
        row = self._db.execute(
            "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    def checkpoint(self) -> str | None:
        """The newest signed checkpoint (signed-note text), or None for an empty log."""
        return self._newest_note()

    def verifier_key(self) -> str | None:
        """The vkey of the key that signed the newest checkpoint, as recorded at append.

        Convenience for export only: a verifier must get the vkey from a trusted channel.
        """
        row = self._db.execute("SELECT value FROM meta WHERE key = 'vkey'").fetchone()
        return row[0] if row else None

    def _snapshot(self) -> tuple[list[bytes], Checkpoint | None, str | None]:
        """Leaves and newest checkpoint from one consistent read."""
        with self._read():
            canonicals = [
                _as_bytes(c)
                for (c,) in self._db.execute("SELECT canonical FROM entries ORDER BY seq")
            ]
            note = self._newest_note()
        parsed = parse_checkpoint(note) if note is not None else None
        return canonicals, parsed, note

    def _tree_for_newest(self) -> tuple[list[bytes], Checkpoint]:
        canonicals, parsed, _ = self._snapshot()
        if parsed is None:
            raise AuditError("the audit log is empty")
        leaves = [merkle.leaf_hash(c) for c in canonicals[: parsed.size]]
        if len(leaves) != parsed.size or merkle.root(leaves) != parsed.root:
            raise AuditError("the audit log does not match its newest checkpoint; run verify")
        return leaves, parsed

    def inclusion_proof(self, seq: int) -> list[bytes]:
        """The inclusion proof of entry ``seq`` in the tree of the newest checkpoint."""
        leaves, _ = self._tree_for_newest()
        return merkle.inclusion_proof(seq, leaves)

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """The proof that the tree of size ``old_size`` is a prefix of the newest one."""
        leaves, _ = self._tree_for_newest()
        return merkle.consistency_proof(old_size, leaves)

    def proof_for(self, seq: int) -> dict[str, Any]:
        """An inclusion proof record for entry ``seq`` against the newest checkpoint.

        ``{leaf_index, tree_size, leaf_hash, proof[], root}``, hashes in base64 as in the
        checkpoint, so a reader can check it with any RFC 6962 verifier.
        """
        leaves, parsed = self._tree_for_newest()
        proof = merkle.inclusion_proof(seq, leaves)
        return {
            "leaf_index": seq,
            "tree_size": parsed.size,
            "leaf_hash": _b64(leaves[seq]),
            "proof": [_b64(p) for p in proof],
            "root": _b64(parsed.root),
        }

    # -- verifying ------------------------------------------------------------------------

    def verify(
        self, public_keys: TrustedKeys, saved_checkpoint: str | None = None
    ) -> VerifyResult:
        """Check the whole log against the trusted checkpoint keys; never raises for tampering.

        ``public_keys``: ``{key name: "ed25519:..."}``, vkey lines, or (name, key) pairs.
        ``saved_checkpoint``: a checkpoint kept from earlier; the log must still extend it.
        """
        saved = [saved_checkpoint] if saved_checkpoint is not None else []
        return self.verified(public_keys, saved).result

    def verified(self, public_keys: TrustedKeys, saved_checkpoints: Sequence[str] = ()) -> VerifiedLog:
        """Verify the whole log (as :meth:`verify`, against every checkpoint in
        ``saved_checkpoints``) and return it with its entries, all from one consistent read.

        What a caller decides from is exactly what was verified: the entries are parsed in the
        same pass that checks them, and are empty unless the log verified.
        """
        trusted = _trusted_keys(public_keys)
        with self._read():
            rows = [
                _Row(seq, _as_bytes(canonical), stored_hash, item)
                for seq, canonical, stored_hash, item in self._db.execute(
                    "SELECT seq, canonical, entry_hash, item FROM entries ORDER BY seq"
                )
            ]
            notes = [n for (n,) in self._db.execute("SELECT note FROM checkpoints ORDER BY size")]
        newest = notes[-1] if notes else None
        parsed: list[Entry] = []
        result = _verify(rows, newest, notes[:-1], trusted, self.origin, list(saved_checkpoints), parsed)
        if not result.ok:
            return VerifiedLog(result, [], None)
        return VerifiedLog(result, parsed, newest)

    # -- publishing -----------------------------------------------------------------------

    def export(self, folder: str | Path, vkey: str | None = None,
               withhold: Callable[[Entry], bool] | None = None) -> Path:
        """Write the public copy: ``<folder>/log/entries.jsonl``, ``checkpoint`` and ``vkey``.

        Only the entries covered by the newest checkpoint are written, so the files always
        agree with each other. The same appends (same times, same key) give the same bytes.
        Entries for which ``withhold`` is true (items not yet public) are written as
        :class:`Redacted` placeholders. Returns the ``log`` folder.
        """
        canonicals, parsed, note = self._snapshot()
        if parsed is not None:
            if len(canonicals) < parsed.size:
                raise AuditError("the audit log is shorter than its checkpoint; run verify")
            canonicals = canonicals[: parsed.size]
        elif canonicals:
            raise AuditError("the audit log has entries but no checkpoint; run verify")
        vkey = vkey or self.verifier_key()
        out = Path(folder) / LOG_DIR
        out.mkdir(parents=True, exist_ok=True)
        lines = []
        for c in canonicals:
            entry = Entry.from_canonical(c)
            lines.append(Redacted.of(entry).line() if withhold is not None and withhold(entry) else c)
        _write_atomic(out / ENTRIES_FILE, b"".join(line + b"\n" for line in lines))
        if note is not None:
            _write_atomic(out / CHECKPOINT_FILE, note.encode("utf-8"))
        if vkey is not None:
            _write_atomic(out / VKEY_FILE, (vkey.strip() + "\n").encode("utf-8"))
        return out


def _as_bytes(value: bytes | str) -> bytes:
    # We always store BLOBs, but an edit made with SQL string functions turns them into TEXT;
    # read either, so such an edit is reported as tampering rather than crashing verify.
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _write_atomic(path: Path, data: bytes) -> None:
    # Readers of the portal folder never see half a file.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def verify_log(
    path: str | Path, public_keys: TrustedKeys, saved_checkpoint: str | None = None
) -> VerifyResult:
    """Verify the audit log database at ``path`` (which must exist)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no audit log at {path}")
    with AuditLog(path) as log:
        return log.verify(public_keys, saved_checkpoint)


def verify_exported(
    folder: str | Path, vkey: str, saved_checkpoint: str | None = None
) -> VerifyResult:
    """Check an exported log folder entirely offline.

    ``vkey`` must come from a trusted channel, not from the folder itself. Checks every entry
    (canonical form, seq, hash chain), that the Merkle root of ``entries.jsonl`` equals the root
    in the checkpoint signed by ``vkey``, and, given a checkpoint saved earlier, that the log
    only grew since (an RFC 6962 consistency proof).
    """
    log_dir = Path(folder) / LOG_DIR
    data = (log_dir / ENTRIES_FILE).read_bytes()
    if data and not data.endswith(b"\n"):
        data += b"\n"  # a missing final newline must not hide the last entry
    lines = data.split(b"\n")[:-1] if data else []
    rows = [parse_exported_line(i, line) for i, line in enumerate(lines)]
    checkpoint_path = log_dir / CHECKPOINT_FILE
    note = checkpoint_path.read_text(encoding="utf-8") if checkpoint_path.exists() else None
    trusted = _trusted_keys(vkey)
    result = _verify(rows, note, [], trusted, None, [])
    if saved_checkpoint is None or not result.ok:
        return result
    return _consistency_result(result, rows, note, saved_checkpoint, trusted)


def _consistency_result(
    result: VerifyResult,
    rows: Sequence[_Row],
    note: str | None,
    saved_text: str,
    trusted: list[tuple[str, str]],
) -> VerifyResult:
    """Prove, with an RFC 6962 consistency proof, that the saved checkpoint is a prefix."""
    saved_check = _check_note(saved_text, trusted, None)
    if saved_check.problem == "checkpoint-unknown-key":
        problem = _Problem("saved-checkpoint-unknown-key", None, {"saved_size": saved_check.size})
        return _result(result.size, result.checkpoint_size, problem)
    if saved_check.problem is not None:
        problem = _Problem("saved-checkpoint-invalid", None, {"detail": saved_check.detail})
        return _result(result.size, result.checkpoint_size, problem)
    saved = saved_check.checkpoint
    current = parse_checkpoint(note) if note is not None else None
    current_size = current.size if current else 0
    if saved.size > current_size:
        problem = _Problem("log-truncated", current_size, {"checkpoint_size": saved.size})
        return _result(result.size, result.checkpoint_size, problem)
    if saved.size == 0:
        return result
    leaves = [row.leaf for row in rows]
    try:
        proof = merkle.consistency_proof(saved.size, leaves)
        merkle.verify_consistency(saved.size, current.size, proof, saved.root, current.root)
    except merkle.ProofError:
        problem = _Problem("history-rewritten", None, {"saved_size": saved.size})
        return _result(result.size, result.checkpoint_size, problem)
    return result
