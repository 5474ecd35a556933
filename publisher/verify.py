"""Verifying a downloaded file against the portal's published audit log (``publisher verify``).

A journalist who downloaded a file asks: is this exactly what was approved, when was it
published, by which roles, and has a newer version replaced it? The answer comes from the
published log alone (``log/entries.jsonl``, ``log/checkpoint``, ``log/vkey``): the file's SHA-256
must be recorded in a publication entry, that entry must be included in the tree the signed
checkpoint commits to (an RFC 6962 inclusion proof), and with a checkpoint saved earlier the log
must only have grown since (a consistency proof, inside :func:`publisher.audit.verify_exported`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import merkle
from .audit import CHECKPOINT_FILE, ENTRIES_FILE, LOG_DIR, VKEY_FILE, exported_leaves, verify_exported
from .checkpoint import key_hash, parse_checkpoint, parse_verifier_key


@dataclass
class FileVerdict:
    """What the log says about one file."""

    ok: bool
    sha256: str
    problem: str | None = None  # stable id: log-invalid, not-published, proof-invalid
    message_zh: str = ""
    message_en: str = ""
    item: str | None = None
    version: int | None = None
    published_at: str | None = None
    approvals: list[dict[str, Any]] = field(default_factory=list)
    superseded_by: int | None = None
    withdrawn: dict[str, Any] | None = None
    log_size: int | None = None
    key_id: str | None = None
    # a derived file: the method and each input version it was computed from, with whether the
    # log shows that input version published (approvals above are then the definition's)
    derived: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        if not self.ok:
            return [f"✗ {self.message_zh}", f"  {self.message_en}"]
        out = [
            "✓ 文件与已发布版本一致 / the file is exactly what was published",
            f"  条目 item: {self.item}  版本 version: {self.version}  SHA-256: {self.sha256}",
            f"  发布时间 published: {self.published_at}",
        ]
        if self.derived:
            out.append(f"  派生数据 derived ({self.derived['method']}) from:")
            for i in self.derived["inputs"]:
                seen = "已发布 published" if i["published"] else "! 日志中没有发布记录 / not published in the log"
                out.append(f"    {i['item']} v{i['version']} {i['digest'][:16]}… {seen}")
        for a in self.approvals:
            out.append(f"  批准 approved{' (definition)' if self.derived else ''}: {a['role']} · {a['user']} · {a['time']}")
        if self.superseded_by:
            out.append(f"  ! 已有更新的版本 v{self.superseded_by}，本文件已被取代 / superseded by version {self.superseded_by}")
        if self.withdrawn:
            out.append(f"  ! 已撤回 withdrawn {self.withdrawn['time']}: {self.withdrawn['reason']}")
        out.append(f"  审计日志 audit log: {self.log_size} 条记录 entries, 签名密钥 key {self.key_id}")
        return out


def _fail(sha: str, problem: str, zh: str, en: str) -> FileVerdict:
    return FileVerdict(False, sha, problem, zh, en)


def verify_file(path: Path, site: Path, vkey: str | None = None, saved_checkpoint: str | None = None) -> FileVerdict:
    """Check ``path`` against the log published under ``site`` (a folder holding ``log/``).

    ``vkey`` pins the log's signing key (from a source other than the site); without it the
    site's own ``log/vkey`` is used and its key id shown, to compare with a trusted copy.
    """
    sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    log_dir = Path(site) / LOG_DIR
    if not (log_dir / ENTRIES_FILE).is_file() or not (log_dir / CHECKPOINT_FILE).is_file():
        return _fail(sha, "log-missing", f"{site} 下没有公开的审计日志（log/）", f"no published audit log (log/) under {site}")
    vkey = vkey or (log_dir / VKEY_FILE).read_text(encoding="utf-8").strip()
    result = verify_exported(site, vkey, saved_checkpoint)
    if not result.ok:
        return _fail(sha, "log-invalid", f"审计日志未通过核验：{result.message_zh}", f"the audit log does not verify: {result.message_en}")
    lines = (log_dir / ENTRIES_FILE).read_bytes().split(b"\n")[:-1]
    entries = [e for e in (json.loads(line) for line in lines) if not e.get("redacted")]
    checkpoint = parse_checkpoint((log_dir / CHECKPOINT_FILE).read_text(encoding="utf-8"))
    name, public = parse_verifier_key(vkey)
    match = next(
        (e for e in reversed(entries) if e["event"] == "publication"
         and (sha in e["files"].values() or sha in (e["details"].get("published_files") or {}).values())),
        None,
    )
    if match is None:
        return _fail(sha, "not-published", "审计日志中没有发布过这个文件（可能被改动，或不是本门户发布的文件）",
                     "this file was never published according to the audit log (changed, or not from this portal)")
    leaves = exported_leaves(lines[: checkpoint.size])
    try:
        merkle.verify_inclusion(match["seq"], checkpoint.size, leaves[match["seq"]],
                                merkle.inclusion_proof(match["seq"], leaves), checkpoint.root)
    except merkle.ProofError as exc:
        return _fail(sha, "proof-invalid", f"包含性证明不成立：{exc}", f"the inclusion proof fails: {exc}")
    item, version, digest = match["item"], match["version"], match["details"].get("digest")
    derivation = next((e for e in entries if e["event"] == "derivation" and e["item"] == item
                       and e["details"].get("digest") == digest), None)
    derived = None
    if derivation is not None:  # computed by the build: the approvals are those of its definition
        published = {(e["item"], e["details"].get("digest")) for e in entries if e["event"] == "publication"}
        derived = {"method": derivation["details"].get("method"),
                   "inputs": [{**{k: i.get(k) for k in ("item", "version", "digest")},
                               "published": (i.get("item"), i.get("digest")) in published}
                              for i in derivation["details"].get("inputs", [])]}
        digest = derivation["details"].get("definition", {}).get("digest")
    approvals = [{"user": e["actor"], "role": e["details"].get("role"), "time": e["time"]}
                 for e in entries if e["event"] == "approval" and e["item"] == item
                 and e["details"].get("digest") == digest]
    newer = [e["version"] for e in entries if e["event"] == "publication" and e["item"] == item
             and (e["version"] or 0) > (version or 0)]
    withdrawal = next((e for e in entries if e["event"] == "withdrawal" and e["item"] == item
                       and e["seq"] > match["seq"]), None)
    return FileVerdict(
        ok=True, sha256=sha, item=item, version=version, published_at=match["time"], approvals=approvals,
        superseded_by=max(newer) if newer else None,
        withdrawn={"time": withdrawal["time"], "reason": withdrawal["details"].get("reason", "")} if withdrawal else None,
        log_size=checkpoint.size, key_id=f"{name}+{key_hash(name, public).hex()}", derived=derived,
    )


def inclusion_proof_documents(entries_lines: list[bytes], seqs: list[int], checkpoint_text: str) -> dict[int, dict[str, Any]]:
    """The inclusion proof of each entry in ``seqs``, as small JSON documents published beside
    each release (one tree, memoised, for all of them)."""
    import base64

    checkpoint = parse_checkpoint(checkpoint_text)
    tree = merkle.Tree(exported_leaves(entries_lines[: checkpoint.size]))
    documents = {}
    for seq in seqs:
        documents[seq] = {
            "leaf_index": seq,
            "tree_size": checkpoint.size,
            "leaf_hash": base64.b64encode(tree.leaves[seq]).decode(),
            "proof": [base64.b64encode(h).decode() for h in tree.inclusion_proof(seq)],
            "root": base64.b64encode(checkpoint.root).decode(),
            "checkpoint": "log/checkpoint",
            "entry": json.loads(entries_lines[seq]),
        }
    return documents
