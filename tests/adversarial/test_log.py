"""Attacks on the audit log that the build decides from (threats L1-L8 in docs/threats/log.md).

Each test is the attack: someone who can write the log database, the log key or ``content/``
tries to make the build publish what the log, as published, does not say. The build must stop
before deciding anything (a bilingual BuildError naming the problem) and leave the live site
exactly as it was, or, where the tampering is with the working copy, publish approved bytes only.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publisher import keys, merkle
from publisher.audit import AuditLog, canonical_json, sha256_hex
from publisher.checkpoint import format_checkpoint, sign_checkpoint, verifier_key
from publisher.cli import cli
from publisher.site import BuildError, build_preview, build_site
from publisher.workflow import (LOG_KEY_NAME, approval_message, approve, archive_files, log_signer, open_log, submit,
                                withdraw)

ITEM = "air-mini"
TITLE = "测试市环境空气小时数据"  # air-mini's approved title
NOTICE = f"datasets/{ITEM}/index.html"


def snapshot(output: Path) -> dict[str, bytes]:
    """Every file of a built site, by path: what the public sees."""
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}


def db_path(project: Path) -> Path:
    return project / "var" / "audit.sqlite"


def withdrawn_site(project: Path) -> dict[str, bytes]:
    """Publish the fixture portal, withdraw air-mini, publish again: the live site, a notice."""
    build_site(project)
    withdraw(project, ITEM, "li-hua", keys.demo_key("li-hua"), "仪器故障，数据作废 / instrument fault, data void")
    build_site(project)
    live = snapshot(project / "output")
    assert "本条目已撤回" in live[NOTICE].decode()
    return live


def withdrawal_seq(project: Path) -> int:
    with open_log(project) as log:
        return next(e.seq for e in log.entries(ITEM) if e.event == "withdrawal")


def entry_dicts(project: Path) -> list[dict]:
    with open_log(project) as log:
        return [e.to_dict() for e in log.entries()]


def write_log(db: Path, entries: list[dict], name: str, key: Ed25519PrivateKey) -> None:
    """A whole new log database holding ``entries`` (chained afresh) under one checkpoint signed
    by ``key``: what someone holding a log key can make without going through the library."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    AuditLog(db).close()  # the schema
    prev, leaves = None, []
    with sqlite3.connect(db) as conn:
        for seq, entry in enumerate(entries):
            canonical = canonical_json({**entry, "seq": seq, "prev_hash": prev})
            conn.execute("INSERT INTO entries (seq, entry_hash, canonical, item) VALUES (?, ?, ?, ?)",
                         (seq, sha256_hex(canonical), canonical, entry["item"]))
            prev = sha256_hex(canonical)
            leaves.append(merkle.leaf_hash(canonical))
        note = sign_checkpoint(format_checkpoint("publisher/audit-log", len(leaves), merkle.root(leaves)), name, key)
        conn.execute("INSERT INTO checkpoints (size, note) VALUES (?, ?)", (len(leaves), note))
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('vkey', ?)",
                     (verifier_key(name, keys.public_key_text(key)),))


def assert_refused(project: Path, live: dict[str, bytes], problem: str) -> None:
    with pytest.raises(BuildError) as raised:
        build_site(project)
    message = str(raised.value)
    assert f"[{problem}]" in message
    assert "审计日志未通过核验" in message and "the audit log does not verify" in message
    assert snapshot(project / "output") == live  # nothing swapped in


def test_editing_a_withdrawal_in_place_republishes_nothing(approved_portal: Path) -> None:
    live = withdrawn_site(approved_portal)
    seq = withdrawal_seq(approved_portal)
    with sqlite3.connect(db_path(approved_portal)) as conn:
        (canonical,) = conn.execute("SELECT canonical FROM entries WHERE seq = ?", (seq,)).fetchone()
        edited = bytes(canonical).replace(b'"event":"withdrawal"', b'"event":"check"')
        conn.execute("UPDATE entries SET canonical = ? WHERE seq = ?", (edited, seq))
    assert_refused(approved_portal, live, "entry-altered")


def test_deleting_the_newest_entries_and_checkpoints_does_not_roll_the_site_back(approved_portal: Path) -> None:
    live = withdrawn_site(approved_portal)
    seq = withdrawal_seq(approved_portal)
    with sqlite3.connect(db_path(approved_portal)) as conn:
        conn.execute("DELETE FROM entries WHERE seq >= ?", (seq,))
        conn.execute("DELETE FROM checkpoints WHERE size > ?", (seq,))
    # the copy kept beside the log goes too: the live site's own checkpoint still pins the log
    (approved_portal / "var" / "published-checkpoint").unlink(missing_ok=True)
    with AuditLog(db_path(approved_portal)) as log:  # consistent with itself: only the pin can tell
        assert log.verify({LOG_KEY_NAME: keys.public_key_text(log_signer(approved_portal)[1])}).ok
    assert_refused(approved_portal, live, "log-truncated")
    # and the operator's own check says the same, as the build's message suggests
    result = CliRunner().invoke(cli, ["--project", str(approved_portal), "audit", "verify"])
    assert result.exit_code == 1 and "[log-truncated]" in result.output


def test_rolling_back_the_log_and_the_public_checkpoint_together_is_caught(approved_portal: Path) -> None:
    build_site(approved_portal)
    older_checkpoint = (approved_portal / "output" / "log" / "checkpoint").read_bytes()
    withdraw(approved_portal, ITEM, "li-hua", keys.demo_key("li-hua"), "仪器故障 / instrument fault")
    build_site(approved_portal)
    seq = withdrawal_seq(approved_portal)
    with sqlite3.connect(db_path(approved_portal)) as conn:
        conn.execute("DELETE FROM entries WHERE seq >= ?", (seq,))
        conn.execute("DELETE FROM checkpoints WHERE size > ?", (seq,))
    (approved_portal / "output" / "log" / "checkpoint").write_bytes(older_checkpoint)
    live = snapshot(approved_portal / "output")
    assert_refused(approved_portal, live, "log-truncated")


def test_a_forked_log_of_the_same_size_is_refused(approved_portal: Path, tmp_path: Path) -> None:
    build_site(approved_portal)
    fork = tmp_path / "fork"
    shutil.copytree(approved_portal, fork)
    live = withdrawn_site(approved_portal)
    with open_log(fork) as log:  # one other entry in place of the withdrawal, signed with the same log key
        log.append("check", "data-officer", ITEM, signer=log_signer(fork))
    assert len(entry_dicts(fork)) == len(entry_dicts(approved_portal))
    target = db_path(approved_portal)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(db_path(fork)) as source, sqlite3.connect(target) as dest:
        source.backup(dest)
    assert_refused(approved_portal, live, "history-rewritten")


def test_a_log_re_signed_with_a_swapped_log_key_is_refused(approved_portal: Path) -> None:
    live = withdrawn_site(approved_portal)
    # Keep every approval (their signatures are the approvers'), drop the withdrawal, re-sign it
    # all with a key of one's own in place of var/log.key.
    entries = [e for e in entry_dicts(approved_portal) if e["event"] != "withdrawal"]
    forged_key = Ed25519PrivateKey.generate()
    pem = forged_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
    key_file = approved_portal / "var" / "log.key"
    key_file.unlink()
    keys.write_private_key(key_file, pem)
    write_log(db_path(approved_portal), entries, LOG_KEY_NAME, forged_key)
    assert_refused(approved_portal, live, "saved-checkpoint-unknown-key")


def test_a_non_canonical_entry_time_is_refused(approved_portal: Path) -> None:
    build_site(approved_portal)
    live = snapshot(approved_portal / "output")
    # Appended with the log key, outside the library: the same instant, written another way, so
    # readers of the published log may not agree on it.
    entries = entry_dicts(approved_portal)
    entries.append({**entries[-1], "event": "check", "time": "2026-06-01 09:00:00+08:00", "details": {}})
    name, key = log_signer(approved_portal)
    write_log(db_path(approved_portal), entries, name, key)
    assert_refused(approved_portal, live, "entry-malformed")


def test_a_withdrawn_items_notice_ignores_a_retitled_working_copy(approved_portal: Path) -> None:
    withdrawn_site(approved_portal)
    meta = approved_portal / "content" / "datasets" / ITEM / "dataset.yaml"
    forged = "示范市政府声明：全部监测数据系伪造"
    meta.write_text(meta.read_text(encoding="utf-8").replace(TITLE, forged), encoding="utf-8")
    build_site(approved_portal)
    site = snapshot(approved_portal / "output")
    assert [path for path, data in site.items() if forged.encode() in data] == []
    for page in (NOTICE, "releases.html"):
        assert TITLE in site[page].decode()


def test_deleting_a_withdrawn_item_from_content_keeps_its_notice(approved_portal: Path) -> None:
    live = withdrawn_site(approved_portal)
    shutil.rmtree(approved_portal / "content" / "datasets" / ITEM)
    build_site(approved_portal)
    site = snapshot(approved_portal / "output")
    assert site[NOTICE] == live[NOTICE]
    assert site["releases.html"] == live["releases.html"]  # the withdrawal still listed, by its title
    assert TITLE in site["releases.html"].decode()


def test_an_approval_whose_files_are_substituted_publishes_nothing(portal: Path, tmp_path: Path) -> None:
    (entry,) = submit(portal, ITEM, "data-officer", keys.demo_key("data-officer"))
    digest = entry.details["digest"]
    # Bytes nobody approved, archived beside the real ones; the approvers signed the real digest.
    forged = tmp_path / "forged"
    csv = f"datasets/{ITEM}/air_hourly.csv"
    (forged / csv).parent.mkdir(parents=True)
    (forged / csv).write_bytes((portal / "content" / csv).read_bytes().replace(b",46.5\n", b",4.5\n", 1))
    files = {**entry.files, csv: sha256_hex((forged / csv).read_bytes())}
    archive_files(portal, forged, {csv: files[csv]})
    with open_log(portal) as log:
        for user, role in (("zhang-min", "reviewer:sthjj"), ("li-hua", "press-office")):
            signature = keys.sign(keys.demo_key(user), approval_message(ITEM, digest, role, user, time=entry.time))
            details = {"digest": digest, "role": role, "acknowledged_warnings": [], "note": "", "reason": "initial",
                       "public_key": keys.public_key_text(keys.demo_key(user)),
                       "signature": base64.b64encode(signature).decode("ascii")}
            log.append("approval", user, ITEM, version=1, files=files, details=details, time=entry.time,
                       signer=log_signer(portal))
    build_site(portal)
    out = portal / "output"
    assert not (out / "datasets" / ITEM).exists() and not (out / "data" / ITEM).exists()
    published = [json.loads(line) for line in (out / "log" / "entries.jsonl").read_bytes().splitlines()]
    assert not any(e.get("event") == "publication" for e in published)


def test_a_preview_from_a_tampered_log_is_refused(approved_portal: Path, tmp_path: Path) -> None:
    build_site(approved_portal)
    seq = next(e.seq for e in open_log(approved_portal).entries("air-2025-01") if e.event == "approval")
    with sqlite3.connect(db_path(approved_portal)) as conn:
        (canonical,) = conn.execute("SELECT canonical FROM entries WHERE seq = ?", (seq,)).fetchone()
        conn.execute("UPDATE entries SET canonical = ? WHERE seq = ?",
                     (bytes(canonical).replace(b'"note":""', b'"note":"x"'), seq))
    with pytest.raises(BuildError, match=r"\[entry-altered\]"):
        build_preview(approved_portal, ITEM, tmp_path / "preview")
    assert not (tmp_path / "preview").exists()


def test_the_build_keeps_the_checkpoint_it_published(approved_portal: Path) -> None:
    build_site(approved_portal)
    kept = approved_portal / "var" / "published-checkpoint"
    assert kept.read_bytes() == (approved_portal / "output" / "log" / "checkpoint").read_bytes()
    first = kept.read_bytes()
    withdraw(approved_portal, ITEM, "li-hua", keys.demo_key("li-hua"), "仪器故障 / instrument fault")
    build_site(approved_portal)  # an honest log that only grew builds as before
    assert kept.read_bytes() != first
    assert kept.read_bytes() == (approved_portal / "output" / "log" / "checkpoint").read_bytes()


def test_editing_the_working_copy_cannot_lower_the_roles_a_version_needs(portal: Path) -> None:
    # These rules want the forestry bureau's review of air quality data as well.
    rules = portal / "release_rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "  default: [reviewer-of-department, press-office]\n",
        "  default: [reviewer-of-department, press-office]\n"
        '  air_quality: [reviewer-of-department, "reviewer:lyj", press-office]\n'), encoding="utf-8")
    submit(portal, ITEM, "data-officer", keys.demo_key("data-officer"))
    for user in ("zhang-min", "li-hua"):  # two of the three roles; the forestry reviewer has not approved
        approve(portal, ITEM, user, keys.demo_key(user), ack_warnings=True)
    # The working copy now claims another category, which the default two roles would cover; the
    # approved bytes still say air_quality.
    meta = portal / "content" / "datasets" / ITEM / "dataset.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("category: air_quality", "category: noise"),
                    encoding="utf-8")
    build_site(portal)
    assert not (portal / "output" / "datasets" / ITEM).exists()
    assert not (portal / "output" / "data" / ITEM).exists()
