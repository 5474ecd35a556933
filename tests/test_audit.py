"""The audit log on a real SQLite file: appends, tampering by direct SQL, concurrency, export."""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publisher import audit, keys, merkle
from publisher import checkpoint as cp
from publisher.audit import AuditError, AuditLog

NAME = "city.example/publisher/audit-log"
# A fixed key, so runs (and the determinism test) are reproducible.
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test audit key").digest())
PUBLIC = keys.public_key_text(KEY)
TRUSTED = {NAME: PUBLIC}
VKEY = cp.verifier_key(NAME, PUBLIC)
SIGNER = (NAME, KEY)
START = datetime(2024, 5, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
SIZE = 10


def _fill(log: AuditLog, count: int = SIZE, start: int = 0) -> None:
    events = ["submission", "check", "approval", "publication", "correction"]
    for i in range(start, start + count):
        log.append(
            events[i % len(events)],
            "alice" if i % 2 else "王芳",
            f"air-quality-{i % 3}",
            version=i // 3 + 1,
            files={"data.csv": hashlib.sha256(f"v{i}".encode()).hexdigest()},
            details={"role": "publisher", "notes": f"第 {i} 次", "rules": {"unit": "ok"}},
            time=START + timedelta(minutes=i),
            signer=SIGNER,
        )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "audit.sqlite"
    with AuditLog(path, origin=NAME) as log:
        _fill(log)
    return path


def _sql(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _verify(path: Path, **kwargs) -> audit.VerifyResult:
    with AuditLog(path) as log:
        return log.verify(TRUSTED, **kwargs)


# --- appending and reading -------------------------------------------------------------------


def test_append_and_read(db: Path) -> None:
    with AuditLog(db) as log:
        entries = log.entries()
        assert [e.seq for e in entries] == list(range(SIZE))
        assert len(log) == SIZE
        first, second = entries[0], entries[1]
        assert first.prev_hash is None
        assert second.prev_hash == hashlib.sha256(first.canonical).hexdigest()
        assert first.time == "2024-05-01T09:00:00+08:00"
        assert first.actor == "王芳" and first.event == "submission"
        assert first.details["notes"] == "第 0 次"
        # The stored bytes are canonical JSON: sorted keys, no spaces, raw UTF-8.
        assert first.canonical == json.dumps(
            first.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
        assert [e.seq for e in log.entries(item="air-quality-1")] == [1, 4, 7]

        note = log.checkpoint()
        checked = cp.verify_checkpoint(note, NAME, PUBLIC)
        assert checked.size == SIZE and checked.origin == NAME
        assert checked.root == merkle.root([e.leaf_hash for e in entries])
        assert log.verify(TRUSTED).ok
        assert log.verify([VKEY]).ok


def test_schema_is_wal_full_and_versioned(db: Path) -> None:
    with AuditLog(db) as log:
        assert log._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert log._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert log._db.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    with _sql(db) as con:
        meta = dict(con.execute("SELECT key, value FROM meta"))
    assert meta["schema_version"] == str(audit.SCHEMA_VERSION)
    assert meta["origin"] == NAME and meta["vkey"] == VKEY
    with pytest.raises(AuditError, match="origin"):
        AuditLog(db, origin="another/log")


def test_time_defaults_to_the_pinned_clock_in_shanghai(tmp_path: Path, clock) -> None:
    clock.set("2031-02-03T04:05:06.789+00:00")
    with AuditLog(tmp_path / "a.sqlite") as log:
        entry = log.append("check", "alice", "air", signer=SIGNER)
    assert entry.time == "2031-02-03T12:05:06+08:00"


def test_time_defaults_to_the_real_clock_when_nothing_pins_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PUBLISHER_NOW")  # about the real clock: passes on any date
    with AuditLog(tmp_path / "a.sqlite") as log:
        entry = log.append("check", "alice", "air", signer=SIGNER)
    assert entry.time.endswith("+08:00")
    assert abs(datetime.fromisoformat(entry.time) - datetime.now(timezone.utc)) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"event": "approve"}, "unknown event"),
        ({"actor": ""}, "actor"),
        ({"time": "2024-05-01T09:00:00"}, "UTC offset"),
        ({"files": {"a.csv": "not a digest"}}, "SHA-256"),
        ({"version": "3"}, "version"),
        ({"details": {"x": float("nan")}}, "plain JSON"),
    ],
)
def test_bad_entries_are_refused(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"event": "check", "actor": "alice", "item": "air"} | kwargs
    with AuditLog(tmp_path / "a.sqlite") as log:
        with pytest.raises(AuditError, match=message):
            log.append(**args, signer=SIGNER)
        assert len(log) == 0 and log.checkpoint() is None


def test_empty_log_verifies(tmp_path: Path) -> None:
    result = _verify(tmp_path / "empty.sqlite")
    assert result.ok and result.size == 0


def test_proofs_verify_against_the_checkpoint(db: Path) -> None:
    with AuditLog(db) as log:
        checked = cp.verify_checkpoint(log.checkpoint(), NAME, PUBLIC)
        entries = log.entries()
        for entry in entries:
            record = log.proof_for(entry.seq)
            assert record["tree_size"] == SIZE and record["leaf_index"] == entry.seq
            assert base64.b64decode(record["root"]) == checked.root
            assert base64.b64decode(record["leaf_hash"]) == merkle.leaf_hash(entry.canonical)
            merkle.verify_inclusion(
                entry.seq,
                SIZE,
                base64.b64decode(record["leaf_hash"]),
                [base64.b64decode(p) for p in record["proof"]],
                checked.root,
            )
            assert log.inclusion_proof(entry.seq) == [
                base64.b64decode(p) for p in record["proof"]
            ]
        old_root = merkle.root([e.leaf_hash for e in entries[:4]])
        merkle.verify_consistency(4, SIZE, log.consistency_proof(4), old_root, checked.root)


# --- tampering by direct SQL -----------------------------------------------------------------


def _row(con: sqlite3.Connection, seq: int) -> tuple[bytes, str, str]:
    return con.execute(
        "SELECT canonical, entry_hash, item FROM entries WHERE seq = ?", (seq,)
    ).fetchone()


def _assert_detected(path: Path, problem: str, first_bad_seq: int | None) -> None:
    result = _verify(path)
    assert not result.ok
    assert (result.problem, result.first_bad_seq) == (problem, first_bad_seq), result
    assert result.message_zh and result.message_en
    if first_bad_seq is not None:
        assert str(first_bad_seq) in result.message_en
    # And the log refuses to sign over the damage.
    with AuditLog(path) as log, pytest.raises(AuditError, match="run verify"):
        log.append("check", "alice", "air", signer=SIGNER)


def test_tamper_edited_entry(db: Path) -> None:
    with _sql(db) as con:
        canonical, _, _ = _row(con, 4)
        edited = canonical.replace(b'"actor":"\xe7\x8e\x8b\xe8\x8a\xb3"', b'"actor":"mallory"')
        assert edited != canonical
        con.execute("UPDATE entries SET canonical = ? WHERE seq = 4", (edited,))
    _assert_detected(db, "entry-altered", 4)


def test_tamper_edited_entry_with_sql_text_functions(db: Path) -> None:
    # replace() turns the BLOB into TEXT; verify must still read it and report it.
    with _sql(db) as con:
        con.execute(
            "UPDATE entries SET canonical = replace(canonical, 'approval', 'rejection') "
            "WHERE seq = 2"
        )
    _assert_detected(db, "entry-altered", 2)


def test_tamper_edited_entry_with_recomputed_hash(db: Path) -> None:
    # A careful forger also fixes the stored hash; the chain and the checkpoints still tell.
    with _sql(db) as con:
        canonical, _, _ = _row(con, 3)
        edited = canonical.replace(b'"version":2', b'"version":9')
        assert edited != canonical
        con.execute(
            "UPDATE entries SET canonical = ?, entry_hash = ? WHERE seq = 3",
            (edited, hashlib.sha256(edited).hexdigest()),
        )
    _assert_detected(db, "checkpoint-root-mismatch", 3)


def test_tamper_deleted_entry(db: Path) -> None:
    with _sql(db) as con:
        con.execute("DELETE FROM entries WHERE seq = 4")
    _assert_detected(db, "entry-missing", 4)


def test_tamper_swapped_entries(db: Path) -> None:
    with _sql(db) as con:
        a, b = _row(con, 2), _row(con, 6)
        con.execute("BEGIN")
        update = "UPDATE entries SET canonical = ?, entry_hash = ?, item = ? WHERE seq = ?"
        con.execute(update, (*b, 2))
        con.execute(update, (*a, 6))
        con.execute("COMMIT")
    _assert_detected(db, "entry-out-of-order", 2)


def _forged_entry(prev: bytes, seq: int) -> audit.Entry:
    return audit._build_entry(
        seq=seq,
        time="2024-05-01T09:04:30+08:00",
        event="approval",
        actor="mallory",
        item="air-quality-1",
        version=9,
        files={},
        details={"role": "publisher"},
        prev_hash=hashlib.sha256(prev).hexdigest(),
    )


def test_tamper_inserted_entry_in_the_middle(db: Path) -> None:
    # Shift entries 5.. up by one and slip a well-formed, correctly chained entry into seq 5.
    with _sql(db) as con:
        con.execute("BEGIN")
        con.execute("UPDATE entries SET seq = -(seq + 1) WHERE seq >= 5")
        con.execute("UPDATE entries SET seq = -seq WHERE seq < 0")
        forged = _forged_entry(_row(con, 4)[0], 5)
        con.execute(
            "INSERT INTO entries (seq, entry_hash, canonical, item) VALUES (5, ?, ?, ?)",
            (forged.entry_hash, forged.canonical, forged.item),
        )
        con.execute("COMMIT")
    _assert_detected(db, "checkpoint-root-mismatch", 5)


def test_tamper_inserted_entry_at_the_end(db: Path) -> None:
    with _sql(db) as con:
        forged = _forged_entry(_row(con, SIZE - 1)[0], SIZE)
        con.execute(
            "INSERT INTO entries (seq, entry_hash, canonical, item) VALUES (?, ?, ?, ?)",
            (SIZE, forged.entry_hash, forged.canonical, forged.item),
        )
    _assert_detected(db, "entry-unsigned", SIZE)


def test_tamper_truncated_log_keeping_the_checkpoint(db: Path) -> None:
    with _sql(db) as con:
        con.execute("DELETE FROM entries WHERE seq >= 7")
    _assert_detected(db, "log-truncated", 7)


def test_truncation_hidden_locally_is_caught_by_a_saved_checkpoint(db: Path) -> None:
    with AuditLog(db) as log:
        saved = log.checkpoint()
    with _sql(db) as con:
        con.execute("DELETE FROM entries WHERE seq >= 7")
        con.execute("DELETE FROM checkpoints WHERE size > 7")
    assert _verify(db).ok  # locally self-consistent: this is what published checkpoints are for
    result = _verify(db, saved_checkpoint=saved)
    assert (result.problem, result.first_bad_seq) == ("log-truncated", 7)


def test_rewritten_history_is_caught_by_a_saved_checkpoint(db: Path, tmp_path: Path) -> None:
    # A log rebuilt from scratch with a different entry 2 is internally valid, but not an
    # extension of what readers saw before.
    with AuditLog(db) as log:
        saved = log.checkpoint()
    rebuilt = tmp_path / "rebuilt.sqlite"
    with AuditLog(rebuilt, origin=NAME) as log:
        _fill(log, 2)
        log.append("rejection", "mallory", "air-quality-2", time=START, signer=SIGNER)
        _fill(log, SIZE - 3, start=3)
        assert log.verify(TRUSTED).ok
        result = log.verify(TRUSTED, saved_checkpoint=saved)
    assert result.problem == "history-rewritten"


def test_tamper_checkpoint_signed_by_another_key(db: Path) -> None:
    intruder = Ed25519PrivateKey.generate()
    with _sql(db) as con:
        note = con.execute("SELECT note FROM checkpoints WHERE size = ?", (SIZE,)).fetchone()[0]
        body = note.split("\n\n")[0] + "\n"
        forged = cp.sign_checkpoint(body, NAME, intruder)
        con.execute("UPDATE checkpoints SET note = ? WHERE size = ?", (forged, SIZE))
    # Entries up to SIZE - 1 are still vouched for by older genuine checkpoints.
    _assert_detected(db, "checkpoint-unknown-key", SIZE - 1)


def test_tamper_all_checkpoints_re_signed_by_another_key(db: Path) -> None:
    intruder = Ed25519PrivateKey.generate()
    with _sql(db) as con:
        for size, note in con.execute("SELECT size, note FROM checkpoints").fetchall():
            body = note.split("\n\n")[0] + "\n"
            con.execute(
                "UPDATE checkpoints SET note = ? WHERE size = ?",
                (cp.sign_checkpoint(body, NAME, intruder), size),
            )
    _assert_detected(db, "checkpoint-unknown-key", 0)


def test_tamper_checkpoint_root_with_stale_signature(db: Path) -> None:
    with _sql(db) as con:
        note = con.execute("SELECT note FROM checkpoints WHERE size = ?", (SIZE,)).fetchone()[0]
        lines = note.split("\n")
        lines[2] = base64.b64encode(merkle.leaf_hash(b"forged")).decode()
        con.execute("UPDATE checkpoints SET note = ? WHERE size = ?", ("\n".join(lines), SIZE))
    _assert_detected(db, "checkpoint-signature-invalid", SIZE - 1)


def test_unknown_trusted_key_fails_verification(db: Path) -> None:
    other = keys.public_key_text(Ed25519PrivateKey.generate())
    with AuditLog(db) as log:
        result = log.verify({NAME: other})
    assert (result.problem, result.first_bad_seq) == ("checkpoint-unknown-key", 0)


def test_key_rotation(db: Path) -> None:
    # A new log key takes over; old checkpoints stay valid under the old key.
    new_key = Ed25519PrivateKey.generate()
    new_public = keys.public_key_text(new_key)
    with AuditLog(db) as log:
        log.append("check", "alice", "air", signer=(NAME, new_key))
        log.append("check", "alice", "air", signer=(NAME, new_key))
        assert log.verify([(NAME, PUBLIC), (NAME, new_public)]).ok
        assert log.verify({NAME: new_public}).ok  # older checkpoints by unknown keys are ignored
        assert log.verify(TRUSTED).problem == "checkpoint-unknown-key"


# --- concurrency -----------------------------------------------------------------------------


def _append_many(path: str, worker: int, count: int) -> None:
    # Runs in a spawned process: only plain values cross the process boundary.
    with AuditLog(path) as log:
        for i in range(count):
            log.append(
                "check", f"worker-{worker}", f"item-{worker}", details={"i": i}, signer=SIGNER
            )


def test_concurrent_appenders_are_serialised(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    AuditLog(path, origin=NAME).close()  # create the file and switch it to WAL once
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_append_many, args=(str(path), w, 25)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    with AuditLog(path) as log:
        entries = log.entries()
        assert [e.seq for e in entries] == list(range(100))
        for w in range(4):
            mine = [e.details["i"] for e in entries if e.actor == f"worker-{w}"]
            assert mine == list(range(25))  # none lost, none doubled, each in its own order
        result = log.verify(TRUSTED)
    assert result.ok and result.size == 100 and result.checkpoint_size == 100


# --- export ----------------------------------------------------------------------------------


def test_export_is_deterministic(tmp_path: Path) -> None:
    outputs = []
    for run in ("one", "two"):
        with AuditLog(tmp_path / f"{run}.sqlite", origin=NAME) as log:
            _fill(log)
            folder = log.export(tmp_path / run)
        outputs.append({p.name: p.read_bytes() for p in sorted(folder.iterdir())})
    assert outputs[0] == outputs[1]
    assert sorted(outputs[0]) == ["checkpoint", "entries.jsonl", "vkey"]
    assert outputs[0]["vkey"] == (VKEY + "\n").encode()


def test_exported_folder_verifies_offline(db: Path, tmp_path: Path) -> None:
    with AuditLog(db) as log:
        saved = log.checkpoint()
        log.export(tmp_path / "site")
        lines = (tmp_path / "site" / "log" / "entries.jsonl").read_bytes().splitlines()
        assert lines == [e.canonical for e in log.entries()]
        assert (tmp_path / "site" / "log" / "checkpoint").read_text() == saved

    result = audit.verify_exported(tmp_path / "site", VKEY)
    assert result.ok and result.size == SIZE

    # The log grows; the old checkpoint a reader kept must be a prefix of the new one.
    with AuditLog(db) as log:
        _fill(log, 3, start=SIZE)
        log.export(tmp_path / "site")
    assert audit.verify_exported(tmp_path / "site", VKEY, saved_checkpoint=saved).ok


def test_exported_folder_tampering(db: Path, tmp_path: Path) -> None:
    with AuditLog(db) as log:
        log.export(tmp_path / "site")
    entries_path = tmp_path / "site" / "log" / "entries.jsonl"
    original = entries_path.read_bytes()

    lines = original.splitlines(keepends=True)
    edited = lines[3].replace(b"alice", b"bob")
    entries_path.write_bytes(b"".join(lines[:3] + [edited] + lines[4:]))
    result = audit.verify_exported(tmp_path / "site", VKEY)
    assert (result.problem, result.first_bad_seq) == ("chain-broken", 4)

    entries_path.write_bytes(b"".join(lines[:-1]))
    result = audit.verify_exported(tmp_path / "site", VKEY)
    assert (result.problem, result.first_bad_seq) == ("log-truncated", SIZE - 1)

    entries_path.write_bytes(original)
    other = cp.verifier_key(NAME, keys.public_key_text(Ed25519PrivateKey.generate()))
    assert audit.verify_exported(tmp_path / "site", other).problem == "checkpoint-unknown-key"


def test_saved_checkpoint_of_a_different_history_is_rejected(db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with AuditLog(other, origin=NAME) as log:
        log.append("check", "mallory", "air", time=START, signer=SIGNER)
        foreign = log.checkpoint()
    with AuditLog(db) as log:
        log.export(tmp_path / "site")
    result = audit.verify_exported(tmp_path / "site", VKEY, saved_checkpoint=foreign)
    assert result.problem == "history-rewritten"


# --- documentation ---------------------------------------------------------------------------

DOC = Path(__file__).parent.parent / "docs" / "audit.md"


def test_every_event_and_problem_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in [*audit.EVENTS, *(code for code in audit.MESSAGES if code != "ok")]:
        assert f"`{name}`" in text, f"{name} is not documented in docs/audit.md"


def test_documented_offline_script_verifies_an_export(db: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    text = DOC.read_text(encoding="utf-8")
    script = text.split("<!-- offline-check -->\n```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "check.py").write_text(script, encoding="utf-8")
    (tmp_path / "announced.vkey").write_text(VKEY + "\n", encoding="utf-8")
    with AuditLog(db) as log:
        log.export(tmp_path / "site")
    args = [sys.executable, "check.py", "site", "announced.vkey"]
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {SIZE} entries")

    entries = tmp_path / "site" / "log" / "entries.jsonl"
    entries.write_bytes(entries.read_bytes().replace(b"alice", b"bob", 1))
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0 and "chain broken" in done.stderr


def test_append_many_records_all_or_nothing_under_one_checkpoint(db: Path) -> None:
    good = {"event": "approval", "actor": "alice", "item": "air-quality-1", "time": START}
    with AuditLog(db) as log:
        with pytest.raises(AuditError):
            log.append_many([good, {**good, "event": "frobnication"}], signer=SIGNER)
        assert len(log) == SIZE  # the good one was not recorded either
        entries = log.append_many([good, {**good, "item": "air-quality-2"}], signer=SIGNER)
        assert [e.seq for e in entries] == [SIZE, SIZE + 1]
        assert entries[1].prev_hash == entries[0].entry_hash
    assert _verify(db).ok
