"""The release workflow: submit, approve, reject, withdraw, and every item's state.

An item's *version* is identified by the SHA-256 of its manifest: the exact bytes of every file
(metadata and data), by path. Approvals are Ed25519 signatures over that digest by a key listed
for the approver in ``release_rules.yaml``; a later change to any byte voids them. Approved bytes
are archived, content-addressed, under ``var/archive/``, so a build publishes what was approved,
never whatever ``content/`` holds now. Every action is appended to the audit log
(``var/audit.sqlite``, see :mod:`publisher.audit`), which is the only record of approvals.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import clock, keys, paths
from .audit import CHECKPOINT_FILE, LOG_DIR, AuditLog, Entry, VerifiedLog
from .check import check_content
from .config import PRESS_OFFICE, RULES_FILE, Approver, Rules, Submitter, load_rules
from .content import (REGISTRY_DEPARTMENT, REGISTRY_FILE, REGISTRY_ID, RULES_ID, Content, Item, load_content,
                      parse_time, split_front_matter)
from .registry import removed_entries
from .report import Finding, Report
from .yamlio import load_yaml

VAR_DIR = "var"
LOG_FILE = "audit.sqlite"
ARCHIVE_DIR = "archive"
LOG_KEY_FILE = "log.key"
LOG_KEY_NAME = "publisher-audit-log"
PUBLISHED_CHECKPOINT_FILE = "published-checkpoint"  # the checkpoint of the last site swapped in
# v2: every signed message carries the entry's time and the log's size at signing (see approval_message)
SIGNATURE_CONTEXT = b"publisher-approval-v2\n"
SUBMISSION_CONTEXT = b"publisher-submission-v2\n"
REOPENING_CONTEXT = b"publisher-reopening-v2\n"
REJECTION_CONTEXT = b"publisher-rejection-v2\n"
WITHDRAWAL_CONTEXT = b"publisher-withdrawal-v2\n"
SIGNED_EVENTS = ("submission", "approval", "rejection", "reopening", "withdrawal")

STATES: dict[str, tuple[str, str]] = {
    "draft": ("草稿（未提交）", "draft (not submitted)"),
    "failing": ("检查未通过", "failing checks"),
    "awaiting": ("待审批", "awaiting approval"),
    "rejected": ("已退回", "rejected"),
    "approved": ("已批准（待生成网站）", "approved (publishes at the next build)"),
    "scheduled": ("已批准，定时发布", "scheduled"),
    "published": ("已发布", "published"),
    "withdrawn": ("已撤回", "withdrawn"),
    "modified": ("批准后已修改", "modified since approval"),
}
REASONS = ("initial", "scheduled-update", "revision", "correction")


class WorkflowError(Exception):
    """An action was refused; the message says why in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


@dataclass(frozen=True)
class Manifest:
    """The exact bytes of one version of an item: path (relative to ``content/``) → SHA-256."""

    item: str
    files: dict[str, str]

    @property
    def digest(self) -> str:
        data = json.dumps({"item": self.item, "files": self.files}, sort_keys=True,
                          separators=(",", ":")).encode("utf-8")
        return hashlib.sha256(data).hexdigest()


@dataclass
class Version:
    """One fully approved version of an item, numbered in order of approval."""

    number: int
    digest: str
    files: dict[str, str]
    approved_at: str
    reason: str
    note: str
    approvals: list[dict[str, Any]]
    published_at: str | None = None
    withdrawn: dict[str, Any] | None = None
    # the download files its first publication recorded (site path -> SHA-256), kept in the
    # archive so later builds serve the same bytes
    published_files: dict[str, str] = field(default_factory=dict)

    def mark_published(self, entry: Entry) -> None:
        """Take the time and files of this version's (first) publication entry."""
        if self.published_at is None:
            self.published_at = entry.time
            self.published_files = dict(entry.details.get("published_files") or {})


@dataclass
class ItemState:
    """Where one item stands, from the content, the check report and the audit log."""

    item: str
    kind: str
    state: str
    digest: str
    department: str
    category: str
    release_at: str | None
    errors: int
    warnings: int
    roles_required: list[str]
    roles_done: list[str]
    versions: list[Version] = field(default_factory=list)
    rejection: dict[str, Any] | None = None
    submitted_by: list[str] = field(default_factory=list)  # who signed a submission of the current bytes

    @property
    def label_zh(self) -> str:
        return STATES[self.state][0]

    @property
    def label_en(self) -> str:
        return STATES[self.state][1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item, "kind": self.kind, "state": self.state, "state_zh": self.label_zh,
            "state_en": self.label_en, "digest": self.digest, "department": self.department,
            "category": self.category, "release_at": self.release_at, "errors": self.errors,
            "warnings": self.warnings, "roles_required": self.roles_required,
            "roles_done": self.roles_done, "rejection": self.rejection, "submitted_by": self.submitted_by,
            "versions": [
                {"number": v.number, "digest": v.digest, "approved_at": v.approved_at, "reason": v.reason,
                 "note": v.note, "published_at": v.published_at, "withdrawn": v.withdrawn,
                 "roles": [a["role"] for a in v.approvals]}
                for v in self.versions
            ],
        }


# -- places --------------------------------------------------------------------------------


def var_dir(root: Path) -> Path:
    return Path(root) / VAR_DIR


def private_var(root: Path) -> Path:
    """``var/``, owner-only: made 0700 if missing, and an existing one tightened each time it is
    opened (var/ and var/keys/ 0700, the log, its key and private keys 0600, every folder and file
    of the archive 0700/0600, every preview folder 0700), whatever modes a backup, an older
    release or a umask left on them. Only modes that are too wide are changed (a few lstat calls
    per archived file)."""
    folder = paths.private_dir(var_dir(root))
    for entry in paths.scan(folder):
        if entry.kind == "file":
            paths.private_file(entry.path)  # the log and its journal, log.key
    paths.tighten_tree(folder / ARCHIVE_DIR)
    paths.tighten_tree(folder / "keys")
    if paths.entry_kind(folder / "previews") == "dir":
        paths.private_dir(folder / "previews")
        for entry in paths.scan(folder / "previews"):
            if entry.kind == "dir":
                paths.private_dir(entry.path)
    return folder


def open_log(root: Path) -> AuditLog:
    """The project's audit log, created on first use."""
    folder = private_var(root)
    log = AuditLog(folder / LOG_FILE)
    paths.private_file(folder / LOG_FILE)
    return log


def log_signer(root: Path) -> tuple[str, Ed25519PrivateKey]:
    """The key that signs the log's checkpoints: ``var/log.key``, made on first use (0600)."""
    path = private_var(root) / LOG_KEY_FILE
    if not path.exists():
        pem, _ = keys.generate_keypair(LOG_KEY_NAME, None)
        keys.write_private_key(path, pem)
    paths.private_file(path)
    return LOG_KEY_NAME, keys.load_private_key(path, None)


def trusted_log_keys(root: Path) -> dict[str, str]:
    """The log's own checkpoint key, as verification needs it."""
    name, key = log_signer(root)
    return {name: keys.public_key_text(key)}


def published_checkpoints(root: Path, *sites: Path) -> list[str]:
    """Every checkpoint this portal is known to have published: the copy kept in ``var/`` after
    each successful build, and the one in each live site's public log (``<site>/log/checkpoint``).

    Two places, so that rolling back the log needs both rolled back with it; the public keeps
    its own copies besides (``docs/audit.md``)."""
    paths = [var_dir(root) / PUBLISHED_CHECKPOINT_FILE, *(Path(site) / LOG_DIR / CHECKPOINT_FILE for site in sites)]
    found = []
    for path in paths:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if text not in found:
                found.append(text)
    return found


def verified_log(root: Path, *sites: Path) -> VerifiedLog:
    """The whole log verified with the log's key (hash chain, signed checkpoints) and proved an
    extension of every checkpoint the portal published (:func:`published_checkpoints`)."""
    with open_log(root) as log:
        return log.verified(trusted_log_keys(root), published_checkpoints(root, *sites))


def keep_published_checkpoint(root: Path, site: Path) -> None:
    """After a site is swapped in, keep the checkpoint its public log carries in ``var/``."""
    source = Path(site) / LOG_DIR / CHECKPOINT_FILE
    if not source.is_file():
        return
    paths.write_private(var_dir(root) / PUBLISHED_CHECKPOINT_FILE, source.read_bytes())


# -- manifests and the archive -------------------------------------------------------------


def manifest(content: Content, item: Item) -> Manifest:
    """Hash every file of ``item`` as it is now (read without following links)."""
    base = content.root / "content"
    files = {}
    for p in item.files():
        try:
            files[p.relative_to(base).as_posix()] = hashlib.sha256(paths.read_regular(p)).hexdigest()
        except paths.PathError as exc:  # a file swapped for a link or FIFO since loading
            raise WorkflowError(exc.zh, exc.en) from None
    return Manifest(item.id, files)


def read_content_file(base: Path, rel: str) -> bytes:
    """The bytes of ``base/rel`` (``rel`` a relative path inside ``base``, the file itself
    regular: a link or FIFO swapped in after loading is refused, not followed)."""
    return paths.read_regular(_confined(base, rel))


def _confined(base: Path, rel: str) -> Path:
    """``base/rel`` for a path named by content, the log or the archive, or WorkflowError.

    Only where it leads is checked here (no ``..``, nothing absolute, inside ``base``), not the
    name patterns: a version approved before names were checked may hold a hidden file, which
    loading then reports, rather than making every build fail."""
    try:
        return paths.confined(base, rel)
    except paths.PathError as exc:
        raise WorkflowError(exc.zh, exc.en) from None


def archive_path(root: Path, sha256: str) -> Path:
    if not paths.SHA256_PATTERN.fullmatch(str(sha256)):
        raise WorkflowError(f"存档编号 {sha256!r} 不是 SHA-256", f"the archive name {sha256!r} is no SHA-256")
    return var_dir(root) / ARCHIVE_DIR / sha256[:2] / sha256


def archive_files(root: Path, base: Path, files: dict[str, str]) -> None:
    """Copy ``files`` (path under ``base`` → SHA-256) into the project's content-addressed archive
    (verified, written atomically, owner-only: 0700 folders, 0600 files)."""
    for rel, sha in files.items():
        target = archive_path(root, sha)
        if target.exists():
            continue
        try:
            data = read_content_file(base, rel)
        except paths.PathError as exc:
            raise WorkflowError(exc.zh, exc.en) from None
        if hashlib.sha256(data).hexdigest() != sha:
            raise WorkflowError(f"文件 {rel} 在存档过程中被修改", f"{rel} changed while it was being archived")
        paths.private_dir(private_var(root) / ARCHIVE_DIR)
        paths.private_dir(target.parent)
        paths.write_private(target, data)


def materialise(root: Path, files: dict[str, str], target: Path) -> None:
    """Write an approved version's archived bytes into ``target`` (a ``content/`` folder); every
    path is checked and must stay inside ``target``."""
    from .cache import copy_verified

    for rel, sha in files.items():
        dest = _confined(target, rel)
        if not copy_verified(archive_path(root, sha), dest, sha):  # streamed: memory stays flat
            raise WorkflowError(f"存档文件 {rel} 已损坏", f"the archived copy of {rel} is corrupted")


# -- signatures ----------------------------------------------------------------------------


def _signed_time(time: datetime | str) -> str:
    """The entry's time as the log stores it (canonical ISO 8601), the form every message signs."""
    return time.isoformat() if isinstance(time, datetime) else str(time)

# Every signed message also carries ``log_size``, the number of entries the log held when it was
# signed (kept in the entry's details): two signings of one action differ even within the same
# second, so a signature met twice in the log is a copy, and counts once (see _history).


def approval_message(item: str, digest: str, role: str, user: str, *, time: datetime | str,
                     log_size: int | None = None) -> bytes:
    """The bytes an approver signs: the item, its version digest, the role, the approver and the
    entry's time (so a copy of the entry appended later does not verify as a new approval)."""
    body = json.dumps({"digest": digest, "item": item, "log_size": log_size, "role": role, "time": _signed_time(time),
                       "user": user},
                      sort_keys=True, separators=(",", ":"))
    return SIGNATURE_CONTEXT + body.encode("utf-8")


def submission_message(item: str, digest: str, user: str, *, time: datetime | str,
                       log_size: int | None = None) -> bytes:
    """The bytes a submitter signs: the item, its version digest, the submitter and the entry's time."""
    body = json.dumps({"digest": digest, "item": item, "log_size": log_size, "time": _signed_time(time), "user": user},
                      sort_keys=True,
                      separators=(",", ":"))
    return SUBMISSION_CONTEXT + body.encode("utf-8")


def reopening_message(item: str, digest: str, user: str, role: str, reason: str, *, time: datetime | str,
                      log_size: int | None = None) -> bytes:
    """The bytes signed to reopen rejected bytes: item, digest, the person, the role, the reason and
    the entry's time."""
    body = json.dumps({"digest": digest, "item": item, "log_size": log_size, "reason": reason, "role": role,
                       "time": _signed_time(time), "user": user}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return REOPENING_CONTEXT + body.encode("utf-8")


def rejection_message(item: str, digest: str, user: str, reason: str, *, time: datetime | str,
                      log_size: int | None = None, context: bytes = REJECTION_CONTEXT) -> bytes:
    """The bytes an approver signs to send a version back (or, with ``WITHDRAWAL_CONTEXT``, to take
    the version ``digest`` down): item, digest, the approver, the reason and the entry's time."""
    body = json.dumps({"digest": digest, "item": item, "log_size": log_size, "reason": reason,
                       "time": _signed_time(time), "user": user},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return context + body.encode("utf-8")


def _signed_by(listed_key: str | None, details: dict[str, Any], message: bytes) -> bool:
    """Whether ``details`` carry a signature of ``message`` by ``listed_key`` (the rules' key)."""
    if not listed_key or details.get("public_key") != listed_key:
        return False
    try:
        signature = base64.b64decode(str(details.get("signature") or ""), validate=True)
    except ValueError:
        return False
    return bool(signature) and keys.verify(listed_key, message, signature)


def approval_signature_ok(rules: Rules, details: dict[str, Any], item: str, actor: str, time: str) -> bool:
    """An approval entry counts only if its signature verifies with the key listed for its user
    (``rules``: those in force when it was made, :func:`_rules_in_force`); ``time``: the entry's."""
    approver = rules.approvers.get(actor)
    if approver is None or details.get("role") not in approver.roles:
        return False
    message = approval_message(item, str(details.get("digest", "")), details["role"], actor, time=time,
                               log_size=details.get("log_size"))
    return _signed_by(approver.public_key, details, message)


def submission_signature_ok(rules: Rules, details: dict[str, Any], item: str, actor: str, time: str) -> bool:
    """A submission entry counts only if signed with the key listed for its user in ``submitters``."""
    submitter = rules.submitters.get(actor)
    if submitter is None:
        return False
    return _signed_by(submitter.public_key, details, submission_message(item, str(details.get("digest", "")), actor,
                                                                               time=time,
                                                                               log_size=details.get("log_size")))


def rejection_ok(rules: Rules, details: dict[str, Any], item: str, actor: str, time: str) -> bool:
    """A rejection counts only if signed with the key listed for an approver."""
    approver = rules.approvers.get(actor)
    if approver is None:
        return False
    message = rejection_message(item, str(details.get("digest", "")), actor, str(details.get("reason", "")),
                                time=time, log_size=details.get("log_size"))
    return _signed_by(approver.public_key, details, message)


def withdrawal_ok(rules: Rules, details: dict[str, Any], item: str, actor: str, time: str) -> bool:
    """A withdrawal counts only if signed with the key listed for a press-office approver."""
    approver = rules.approvers.get(actor)
    if approver is None or PRESS_OFFICE not in approver.roles:
        return False
    message = rejection_message(item, str(details.get("digest", "")), actor, str(details.get("reason", "")),
                                time=time, log_size=details.get("log_size"), context=WITHDRAWAL_CONTEXT)
    return _signed_by(approver.public_key, details, message)


def reopen_roles(rules: Rules, item: Item) -> list[str]:
    """The roles that may reopen an item's rejected bytes: the press office, the owning department's reviewer."""
    return [PRESS_OFFICE, rules.department_reviewer_role(item)]


def reopening_ok(rules: Rules, details: dict[str, Any], item: Item, actor: str, time: str) -> bool:
    """A reopening counts only if signed by an approver's listed key, in a role that may reopen."""
    approver = rules.approvers.get(actor)
    role = details.get("role")
    if approver is None or role not in approver.roles or role not in reopen_roles(rules, item):
        return False
    message = reopening_message(item.id, str(details.get("digest", "")), actor, str(role),
                                str(details.get("reason", "")), time=time, log_size=details.get("log_size"))
    return _signed_by(approver.public_key, details, message)


# -- history -------------------------------------------------------------------------------


@dataclass
class _History:
    # digest -> (user, public key) of every validly signed submission of those bytes, ever: separation
    # of duties holds against all of them, not only the latest
    submissions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # the digest open for approval: only the newest submission's (a new submission supersedes the
    # older ones, so an approver can never be shown one version and sign another still open)
    open: set[str] = field(default_factory=set)
    submitted_files: dict[str, dict[str, str]] = field(default_factory=dict)  # digest -> its files
    last_submitted: str | None = None  # the digest of the newest valid submission
    approvals: dict[str, list[Entry]] = field(default_factory=dict)  # digest -> valid approvals
    rejections: dict[str, Entry] = field(default_factory=dict)  # digest -> the rejection that stands
    versions: list[Version] = field(default_factory=list)

    def submitted(self, digest: str, user: str, public_key: str | None) -> bool:
        """Whether ``user``, or anyone signing with ``public_key``, submitted these bytes."""
        return any(u == user or (public_key and k == public_key) for u, k in self.submissions.get(digest, []))

    def independent_approvals(self, digest: str) -> list[Entry]:
        """The valid approvals of ``digest`` by people who did not submit it (by name or key), one
        per role, in order, each role by a different person and key: one person holding two roles
        fills one of them (the first approval of theirs that counts)."""
        done: dict[str, Entry] = {}
        people: set[str] = set()
        for a in self.approvals.get(digest, []):
            key = str(a.details.get("public_key") or "")
            if self.submitted(digest, a.actor, key) or a.details["role"] in done or a.actor in people or key in people:
                continue
            done[a.details["role"]] = a
            people.update((a.actor, key))
        return list(done.values())


def _rules_in_force(rules: Rules, logged: Entry | None) -> Rules:
    """The rules a signed entry is verified with: ``rules`` with the approvers (roles and keys) and
    the submitters' keys of ``logged``, the last ``rules`` entry before it; ``rules`` itself when
    none precedes it (a log older than the rules entries).

    So a key rotated, a role changed or an approver removed in ``release_rules.yaml`` later keeps
    what was signed under the earlier rules valid; what needs approving (``approvals``) is the
    current rules'."""
    if logged is None:
        return rules
    details = logged.details
    roles, listed = details.get("approvers") or {}, details.get("approver_keys") or {}
    approvers = {user: Approver(id=user, name=getattr(rules.approvers.get(user), "name", None), roles=list(r),
                                department=getattr(rules.approvers.get(user), "department", None),
                                public_key=listed.get(user))
                 for user, r in roles.items()}
    submitters = rules.submitters
    if isinstance(details.get("submitter_keys"), dict):  # rules entries before they carried them: the current
        submitters = {user: Submitter(id=user, name=getattr(rules.submitters.get(user), "name", None),
                                      department=getattr(rules.submitters.get(user), "department", ""),
                                      public_key=key)
                      for user, key in details["submitter_keys"].items()}
    return dataclasses.replace(rules, approvers=approvers, submitters=submitters)


def _history(rules: Rules, item: Item, entries: list[Entry],
             roles_of: Callable[[Entry], list[str]] | None = None, rules_log: list[Entry] = ()) -> _History:
    """Replay the log for one item: signed submissions, valid approvals, versions, withdrawals.

    Only signed entries change what counts: an unsigned submission, rejection, reopening or
    withdrawal is ignored, and a rejection stands for its bytes until a valid reopening
    (submitting them again does not lift it). Each signature is verified with the keys of the
    rules in force when it was made (the last ``rules`` entry before it, from ``rules_log``, see
    :func:`_rules_in_force`), and over the entry's time; an entry whose signature appeared before
    counts once (a copy appended later is a replay, not a second action). A withdrawal takes down
    only the version whose digest it names. ``roles_of(approval)``: the roles the approved bytes
    need (the build reads them from the archived metadata); by default those of ``item``, the
    working copy.
    """
    h = _History()
    required_now = rules.required_roles(item)
    by_digest: dict[str, Version] = {}
    derived_from: dict[str, str] = {}  # digest of computed files -> digest of the approved definition
    merged = {e.seq: e for e in [*entries, *rules_log]}
    signing = rules  # the rules in force at the entry being replayed
    seen: set[str] = set()  # every signature met so far
    for e in (merged[seq] for seq in sorted(merged)):
        if e.event == "rules" and e.item == RULES_ID:
            signing = _rules_in_force(rules, e)
            continue
        if e.event in SIGNED_EVENTS:
            signature = str(e.details.get("signature") or "")
            if signature in seen:
                continue
            seen.add(signature)
        digest = e.details.get("digest", "")
        if e.event == "submission" and submission_signature_ok(signing, e.details, item.id, e.actor, e.time):
            h.submissions.setdefault(digest, []).append((e.actor, e.details["public_key"]))
            if Manifest(item.id, e.files).digest == digest:
                h.submitted_files[digest] = dict(e.files)
            h.last_submitted = digest
            if digest not in h.rejections and digest not in by_digest:
                h.open = {digest}  # a newer submission supersedes the open one
        elif e.event == "rejection" and rejection_ok(signing, e.details, item.id, e.actor, e.time):
            h.rejections[digest] = e
            h.approvals.pop(digest, None)
            h.open.discard(digest)
        elif e.event == "reopening" and reopening_ok(signing, e.details, item, e.actor, e.time):
            h.rejections.pop(digest, None)
        elif (e.event == "approval" and Manifest(item.id, e.files).digest == digest
              and approval_signature_ok(signing, e.details, item.id, e.actor, e.time)):
            # The signature covers the digest, not the entry's file list: the files must hash to
            # it, or an approval of some bytes would publish others.
            if digest not in h.open or digest in by_digest:
                continue
            h.approvals.setdefault(digest, []).append(e)
            done = h.independent_approvals(digest)
            required = roles_of(e) if roles_of is not None else required_now
            if all(role in {a.details["role"] for a in done} for role in required):
                first = done[0].details
                version = Version(number=len(h.versions) + 1, digest=digest, files=dict(e.files),
                                  approved_at=e.time, reason=str(first.get("reason") or "initial"),
                                  note=" ".join(str(a.details.get("note") or "") for a in done).strip(),
                                  approvals=[{"user": a.actor, "role": a.details["role"], "time": a.time}
                                             for a in done])
                h.versions.append(version)
                by_digest[digest] = version
                h.open.discard(digest)
        elif e.event == "derivation":  # a derived dataset computed under an approved definition
            derived_from[digest] = e.details.get("definition", {}).get("digest", "")
        elif e.event == "publication" and digest in by_digest:
            by_digest[digest].mark_published(e)
        elif e.event == "publication" and derived_from.get(digest) in by_digest:
            # the definition counts as published once a version computed from it is
            recipe = by_digest[derived_from[digest]]
            recipe.published_at = recipe.published_at or e.time
        elif e.event == "withdrawal" and withdrawal_ok(signing, e.details, item.id, e.actor, e.time):
            # the version it names only: a withdrawal signed for v1 never reaches a v2 approved later
            target = by_digest.get(digest)
            if target is not None and target.withdrawn is None:
                target.withdrawn = {"time": e.time, "user": e.actor, "reason": e.details.get("reason", "")}
    return h


def approved_versions(root: Path, rules: Rules, content: Content,
                      entries: list[Entry] | None = None) -> dict[str, list[Version]]:
    """Every item's fully approved versions, oldest first, from the log alone (no checks run).

    A version withdrawn since carries ``withdrawn``; the build publishes an item's newest
    version unless it is withdrawn, from the archived bytes. ``entries``: the log as verified
    (:func:`verified_log`); read unverified when not given.
    """
    if entries is None:
        with open_log(root) as log:
            entries = log.entries()
    by_item: dict[str, list[Entry]] = {}
    for e in entries:
        by_item.setdefault(e.item, []).append(e)
    found = {}
    # The log decides, not the working copy: the roles a version needs are those its own approved
    # bytes call for (their category and department, read from the archive), and an item deleted
    # from content/ keeps what was approved (taking it down is a withdrawal, on the log).
    roles: dict[str, list[str]] = {}  # digest -> required roles

    def roles_of(approval: Entry) -> list[str]:
        digest = approval.details.get("digest", "")
        if digest not in roles:
            roles[digest] = rules.required_roles(_archived_item(root, approval))
        return roles[digest]

    items: dict[str, Any] = {item.id: item for item in content.approvable()}
    for item_id in sorted(set(by_item) - set(items)):
        items[item_id] = _ArchivedItem(item_id, "", "") if item_id != REGISTRY_ID else REGISTRY_OWNER
    logged_rules = rules_entries(entries)
    for item_id, item in items.items():
        versions = _history(rules, item, by_item.get(item_id, []), roles_of, logged_rules).versions
        if versions:
            found[item_id] = versions
    return found


@dataclass(frozen=True)
class _ArchivedItem:
    """What the approval rules need of an item, as its archived metadata declares it."""

    id: str
    category: str
    department: str


# The registry declares no owner in its bytes: it is always the city bureau's, with the press office.
REGISTRY_OWNER = _ArchivedItem(REGISTRY_ID, "registry", REGISTRY_DEPARTMENT)


def _archived_item(root: Path, approval: Entry) -> _ArchivedItem:
    """The category and department the approved bytes of ``approval`` declare."""
    if approval.item == REGISTRY_ID:
        return REGISTRY_OWNER
    meta = _archived_meta(root, approval.files) or {}
    return _ArchivedItem(approval.item, str(meta.get("category", "")), str(meta.get("department", "")))


def _archived_meta(root: Path, files: dict[str, str]) -> dict[str, Any] | None:
    """The metadata (``dataset.yaml``, or a bulletin's front matter) of archived bytes, if any."""
    meta_path = next((p for p in files if p.endswith("/dataset.yaml")), None) or next(
        (p for p in files if p.endswith(".md") and not p.endswith(".en.md")), None)
    if meta_path is None:
        return None
    return _parsed_meta(archive_path(root, files[meta_path]), meta_path.endswith(".md"))


_PARSED_META: dict[tuple[Path, bool], dict[str, Any] | None] = {}


def _parsed_meta(source: Path, front_matter: bool) -> dict[str, Any] | None:
    """:func:`_archived_meta` of one archived file, parsed once per process: an archived file is
    named by its SHA-256, so its bytes (and metadata) never change. (Callers only read it.)"""
    from .yamlio import load_yaml

    key = (source, front_matter)
    if key in _PARSED_META:
        return _PARSED_META[key]
    if not source.is_file():
        return None  # not archived (yet): asked again next time
    text = source.read_bytes().decode("utf-8-sig")
    if front_matter:
        text = split_front_matter(text)[0] or ""
    meta, _ = load_yaml(text, source.name)
    if len(_PARSED_META) >= 4096:
        _PARSED_META.clear()
    _PARSED_META[key] = meta if isinstance(meta, dict) else None
    return _PARSED_META[key]


@dataclass
class ReleaseTree:
    """The approved content a build works from."""

    content: Content  # the chosen version of every item, loaded
    chosen: dict[str, Version]  # item id -> the version laid out
    pending: dict[str, datetime]  # item id -> embargo of a newer approved version, not yet due


def release_tree(root: Path, current: Content, approved: dict[str, list[Version]], target: Path,
                 now: datetime) -> ReleaseTree:
    """Lay out, in ``target/content``, the newest approved version of every item that is due.

    A newer version still under embargo leaves the previous one published until it is due (it
    is listed in ``pending``); a withdrawn item is left out. The registry is an item like the
    others: its newest approved version is laid out, never the working copy; without one the
    tree has no registry (see :func:`publisher.registry.registry_not_approved`).
    """
    folder = target / "content"
    folder.mkdir(parents=True)
    chosen: dict[str, Version] = {}
    pending: dict[str, datetime] = {}
    for item_id, versions in sorted(approved.items()):
        if versions[-1].withdrawn is not None:
            continue
        pick = versions[-1]
        for v in reversed(versions):
            at = _embargo(root, v)
            pick = v
            if at is None or at <= now:
                break
            pending.setdefault(item_id, at)
        else:
            pending.pop(item_id, None)  # nothing is due yet: the item itself is under embargo
        chosen[item_id] = pick
        materialise(root, pick.files, folder)
    return ReleaseTree(load_content(target), chosen, pending)


def _embargo(root: Path, version: Version) -> datetime | None:
    """The ``release_at`` a version's own metadata (dataset.yaml or bulletin) sets, if any."""
    meta = _archived_meta(root, version.files)
    value = meta.get("release_at") if meta is not None else None
    return parse_time(value)[0] if value is not None else None


def next_embargo(root: Path, approved: dict[str, list[Version]], now: datetime) -> datetime | None:
    """The earliest end of an embargo after ``now`` that any approved version sets: until then, a
    build from the same log decides the same (nothing becomes due)."""
    ends = (at for versions in approved.values() for v in versions
            if (at := _embargo(root, v)) is not None and at > now)
    return min(ends, default=None)


def version_tree(root: Path, version: Version, target: Path) -> Content:
    """One version of an item laid out alone in ``target/content`` and loaded."""
    materialise(root, version.files, target / "content")
    return load_content(target)


def publication_time(version: Version, release_at: datetime | None) -> datetime:
    """When a version became public: its approval, or the end of its embargo if later."""
    when = datetime.fromisoformat(version.approved_at)
    return release_at if release_at is not None and release_at > when else when


def record_publications(root: Path, chosen: dict[str, Version], release_at: dict[str, datetime | None],
                        published_files: dict[str, dict[str, str]]) -> list[Entry]:
    """Append a ``publication`` entry for each released item whose version has none yet.

    ``release_at`` names the released items (with their embargo); ``published_files`` gives,
    per item, the site path and SHA-256 of every file made from the approved bytes (the CSV,
    XLSX and Parquet downloads), so ``publisher verify`` recognises them too. The entry's time is
    :func:`publication_time`, never the clock, so rebuilding never changes the log.
    """
    actions, versions = [], []
    for item_id in sorted(release_at):
        latest = chosen[item_id]
        if latest.published_at is not None:
            continue
        actions.append({"event": "publication", "actor": "publisher", "item": item_id, "version": latest.number,
                        "files": latest.files, "time": publication_time(latest, release_at[item_id]),
                        "details": {"digest": latest.digest, "reason": latest.reason,
                                    "published_files": published_files.get(item_id, {})}})
        versions.append(latest)
    with open_log(root) as log:
        appended = log.append_many(actions, signer=log_signer(root))
    for version, entry in zip(versions, appended):
        version.mark_published(entry)
    return appended


def item_states(root: Path, now: datetime | None = None,
                items: list[str] | None = None) -> tuple[list[ItemState], Report]:
    """Every item's state (or only ``items``', checking only those). Also returns the check
    report the states were computed from."""
    rules = load_rules(root)
    content = load_content(root)
    if items is not None:
        missing = [i for i in items if content.item(i) is None]
        if missing:
            raise WorkflowError(f"找不到条目 {', '.join(missing)}", f"no item named {', '.join(missing)}")
    report = check_content(rules, content, items)
    if items is None or REGISTRY_ID in items:
        report.extend(registry_changes(root, rules, content))
    now = now or clock.now(rules.site.timezone)
    with open_log(root) as log:
        entries = log.entries()
    wanted = content.approvable() if items is None else [content.item(i) for i in items]
    logged_rules = rules_entries(entries)
    states = [_state(rules, content, report, item, [e for e in entries if e.item == item.id], now, logged_rules)
              for item in wanted]
    return sorted(states, key=lambda s: s.item), report


def _state(rules: Rules, content: Content, report: Report, item: Item, entries: list[Entry],
           now: datetime, rules_log: list[Entry] = ()) -> ItemState:
    man = manifest(content, item)
    h = _history(rules, item, entries, rules_log=rules_log)
    found = report.for_item(item.id)
    errors = sum(1 for f in found if f.severity.value == "error")
    warnings = sum(1 for f in found if f.severity.value == "warning")
    required = rules.required_roles(item)
    done = [a.details["role"] for a in h.independent_approvals(man.digest)]
    current = next((v for v in h.versions if v.digest == man.digest), None)
    latest = h.versions[-1] if h.versions else None
    if latest is not None and latest.withdrawn is not None and current in (None, latest):
        state = "withdrawn"
    elif current is not None:
        if item.release_at is not None and item.release_at > now:
            state = "scheduled"
        else:
            state = "published" if current.published_at else "approved"
    elif latest is not None:
        state = "modified"
    elif errors:
        state = "failing"
    elif man.digest in h.rejections:
        state = "rejected"
    elif man.digest in h.open:
        state = "awaiting"
    else:
        state = "draft"
    rejection = None
    if man.digest in h.rejections:
        r = h.rejections[man.digest]
        rejection = {"user": r.actor, "time": r.time, "reason": r.details.get("reason", "")}
    return ItemState(
        item=item.id, kind=item.kind, state=state, digest=man.digest, department=item.department,
        category=item.category, release_at=item.release_at.isoformat() if item.release_at else None,
        errors=errors, warnings=warnings, roles_required=required, roles_done=done,
        versions=h.versions, rejection=rejection,
        submitted_by=list(dict.fromkeys(user for user, _ in h.submissions.get(man.digest, []))),
    )


# -- actions -------------------------------------------------------------------------------


@dataclass
class _Context:
    """The project loaded once for one action on one or several items."""

    root: Path
    rules: Rules
    content: Content
    report: Report
    items: dict[str, Item]
    rules_data: bytes | None = None  # the bytes ``rules`` were loaded from
    rules_log: list[Entry] = field(default_factory=list)  # the log's ``rules`` entries (rules_entries)
    log_size: int = 0  # entries in the log when the action was loaded: signed with it (see approval_message)

    def manifest(self, item_id: str) -> Manifest:
        return manifest(self.content, self.items[item_id])

    def history(self, item: Item, entries: list[Entry]) -> _History:
        """The replay of ``entries`` (the item's) under the rules in force at each."""
        return _history(self.rules, item, entries, rules_log=self.rules_log)

    def action_time(self, time: datetime | None) -> datetime:
        """When an action is recorded: ``time``, or now (whole seconds, as the log keeps it); its
        signed message carries this time."""
        return time or clock.now(self.rules.site.timezone).replace(microsecond=0)

    def record_rules(self, time: datetime) -> None:
        """Log the rules this action runs under first, if they changed since the last ``rules`` entry:
        every signed entry is then preceded by the keys it is verified with."""
        if self.rules_data is not None:
            record_rules(self.root, self.rules, self.rules_data, time)


def _rules_and_log(root: Path) -> tuple[Rules, bytes, list[Entry], int]:
    """The rules an action runs under (and their bytes), the log's ``rules`` entries and its size."""
    rules = load_rules(root)
    with open_log(root) as log:
        return rules, rules.source, rules_entries(log.entries(RULES_ID)), len(log)


def _load(root: Path, item_ids: list[str]) -> _Context:
    rules, rules_data, logged_rules, log_size = _rules_and_log(root)
    content = load_content(root)
    missing = [i for i in item_ids if content.item(i) is None]
    if missing:
        raise WorkflowError(f"找不到条目 {', '.join(missing)}", f"no item named {', '.join(missing)}")
    report = check_content(rules, content, item_ids)
    if REGISTRY_ID in item_ids:
        report.extend(registry_changes(root, rules, content))
    return _Context(Path(root), rules, content, report, {i: content.item(i) for i in item_ids}, rules_data,
                    logged_rules, log_size)


@dataclass
class Submitted:
    """The version of an item open for approval: the digest of its newest submission and the
    files (path → SHA-256) archived with it. Approving, rejecting, the diff, the findings and the
    preview all read these archived bytes, never the working copy, which may change at any moment."""

    item: str
    digest: str
    files: dict[str, str]
    roles_done: list[str] = field(default_factory=list)  # roles that approved these bytes independently


def _log_item(content: Content, item_id: str) -> Any:
    """The item the log of ``item_id`` is replayed against: the working copy's, or for an item no
    longer there, what its archived bytes declare (``_history`` needs its id, department and roles)."""
    return content.item(item_id) or (REGISTRY_OWNER if item_id == REGISTRY_ID else _ArchivedItem(item_id, "", ""))


def open_submission(root: Path, item_id: str, *, expected_digest: str | None = None,
                    rules: Rules | None = None, content: Content | None = None,
                    entries: list[Entry] | None = None) -> Submitted:
    """The version of ``item_id`` open for approval (its newest submission), or WorkflowError.

    ``expected_digest`` (the whole digest or a prefix of at least 8 hex digits): the version the
    reviewer looked at; if another version is open, refuse rather than act on unseen bytes."""
    rules = rules or load_rules(root)
    content = content or load_content(root)
    with open_log(root) as log:
        if entries is None:
            entries = log.entries(item_id)
        logged_rules = rules_entries(log.entries(RULES_ID))  # each signature checked with the keys then in force
    h = _history(rules, _log_item(content, item_id), [e for e in entries if e.item == item_id],
                 rules_log=logged_rules)
    digest = next(iter(h.open), None)
    if digest is None and h.last_submitted in h.rejections:
        r = h.rejections[h.last_submitted]
        raise WorkflowError(f"'{item_id}' 提交的版本 {r.details.get('digest', '')[:12]} 已被退回（{r.actor}：{r.details.get('reason', '')}），"
                            "修改后请重新提交",
                            f"the submitted version {r.details.get('digest', '')[:12]} of '{item_id}' was rejected "
                            f"({r.actor}: {r.details.get('reason', '')}); change it and submit again")
    if digest is None or digest not in h.submitted_files:
        raise WorkflowError(f"'{item_id}' 尚未提交审批，没有待审批的版本（publisher submit）",
                            f"'{item_id}' has not been submitted: no version is open for approval (publisher submit)")
    if expected_digest is not None:
        wanted = expected_digest.strip().lower()
        if len(wanted) < 8 or not digest.startswith(wanted):
            raise WorkflowError(
                f"'{item_id}' 待审批的版本是 {digest[:12]}，不是您查看的 {wanted[:12] or '（空）'}；请重新查看该版本",
                f"the version of '{item_id}' open for approval is {digest[:12]}, not the {wanted[:12] or '(none)'} "
                "you reviewed; review that version")
    return Submitted(item_id, digest, h.submitted_files[digest],
                     [a.details["role"] for a in h.independent_approvals(digest)])


def submitted_tree(root: Path, submitted: Submitted, target: Path) -> Content:
    """``target/content``: the working copy's other items (the context a check needs: registry,
    cited datasets) with ``submitted``'s archived bytes in place of the item's own files; loaded,
    and verified to hold exactly the submitted digest for the item."""
    base = Path(root) / "content"
    folder = target / "content"
    for path in paths.regular_files(base):
        rel = path.relative_to(base).as_posix()
        try:
            data = read_content_file(base, rel)
        except WorkflowError:
            continue  # swapped for a link or FIFO since listing: not the item under review
        dest = _confined(folder, rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    stale = load_content(target).item(submitted.item)
    for path in stale.files() if stale is not None else []:
        path.unlink()
    materialise(root, submitted.files, folder)
    tree = load_content(target)
    item = tree.item(submitted.item)
    if item is None or manifest(tree, item).digest != submitted.digest:
        raise WorkflowError(f"无法还原 '{submitted.item}' 提交的版本 {submitted.digest[:12]}",
                            f"the submitted version {submitted.digest[:12]} of '{submitted.item}' cannot be "
                            "laid out from the archive")
    return tree


def check_submitted(root: Path, item_id: str, target: Path, *,
                    expected_digest: str | None = None) -> tuple[Submitted, _Context]:
    """The open submission of ``item_id`` laid out in ``target`` from the archive and checked:
    what an approver reviews and signs (see :func:`submitted_tree`)."""
    rules, rules_data, logged_rules, log_size = _rules_and_log(root)
    sub = open_submission(root, item_id, expected_digest=expected_digest, rules=rules)
    tree = submitted_tree(root, sub, target)
    report = check_content(rules, tree, [item_id])
    if item_id == REGISTRY_ID:
        report.extend(registry_changes(root, rules, tree))
    return sub, _Context(Path(root), rules, tree, report, {item_id: tree.item(item_id)}, rules_data,
                         logged_rules, log_size)


def _findings_summary(report: Report, item_id: str) -> dict[str, Any]:
    found = report.for_item(item_id)
    return {
        "errors": sorted({f.rule for f in found if f.severity.value == "error"}),
        "warnings": sorted({f.rule for f in found if f.severity.value == "warning"}),
    }


def _as_list(items: str | list[str]) -> list[str]:
    return [items] if isinstance(items, str) else list(dict.fromkeys(items))


def submit(root: Path, items: str | list[str], user: str, private_key: Ed25519PrivateKey, *,
           time: datetime | None = None) -> list[Entry]:
    """Sign and record that ``user`` submits the current bytes of each item for approval.

    ``user`` must be listed under ``submitters`` with the public half of ``private_key``, and
    belong to each item's department. All items are checked first; if any submission would be
    refused (errors, rejected bytes not reopened, bytes approved already), nothing is recorded.
    """
    item_ids = _as_list(items)
    ctx = _load(root, item_ids)
    submitter = ctx.rules.submitters.get(user)
    if submitter is None:
        raise WorkflowError(f"'{user}' 不在发布规则的提交人名单（submitters）中",
                            f"'{user}' is not a submitter in release_rules.yaml (submitters)")
    public = _check_key(user, submitter.public_key, private_key)
    with open_log(root) as log:
        history = log.entries()
    summaries = {i: _findings_summary(ctx.report, i) for i in item_ids}
    for item_id, summary in summaries.items():
        item = ctx.items[item_id]
        if item.department != submitter.department:
            raise WorkflowError(
                f"'{user}' 属于 {submitter.department}，不能提交 {item.department} 的条目 '{item_id}'",
                f"'{user}' belongs to {submitter.department} and cannot submit '{item_id}' of {item.department}")
        if summary["errors"]:
            raise WorkflowError(
                f"'{item_id}' 有检查错误（{', '.join(summary['errors'])}），不能提交；请先运行 publisher check 并改正",
                f"'{item_id}' has check errors ({', '.join(summary['errors'])}) and cannot be submitted; "
                "run 'publisher check' and fix them first",
            )
        digest = ctx.manifest(item_id).digest
        h = ctx.history(item, [e for e in history if e.item == item_id])
        if digest in h.rejections:
            r = h.rejections[digest]
            who = "; ".join(f"{role}: {', '.join(a.id for a in ctx.rules.approvers_with_role(role)) or '-'}"
                            for role in reopen_roles(ctx.rules, item))
            raise WorkflowError(
                f"'{item_id}' 的这一版本已被退回（{r.actor}，{r.time}：{r.details.get('reason', '')}），原样重新提交"
                f"不能撤销退回。请修改后再提交，或请新闻办公室或本部门审核人（{who}）用 publisher reopen 重新开放",
                f"these exact bytes of '{item_id}' were rejected ({r.actor}, {r.time}: {r.details.get('reason', '')}); "
                f"submitting them again does not lift that. Change them and submit, or ask the press office or "
                f"the department's reviewer ({who}) to run 'publisher reopen'")
        if any(v.digest == digest for v in h.versions):
            raise WorkflowError(f"'{item_id}' 的当前版本已经批准，无需再次提交",
                                f"the current version of '{item_id}' is already approved; there is nothing to submit")
    actions = []
    time = ctx.action_time(time)
    for item_id in item_ids:
        man = ctx.manifest(item_id)
        archive_files(ctx.content.root, ctx.content.root / "content", man.files)
        signature = keys.sign(private_key, submission_message(item_id, man.digest, user, time=time,
                                                                    log_size=ctx.log_size))
        actions.append({"event": "submission", "actor": user, "item": item_id, "files": man.files, "time": time,
                        "details": {"digest": man.digest, "findings": summaries[item_id], "log_size": ctx.log_size,
                                    "public_key": public,
                                    "signature": base64.b64encode(signature).decode("ascii")}})
    ctx.record_rules(time)
    with open_log(root) as log:
        return log.append_many(actions, signer=log_signer(root))


def _check_key(user: str, listed: str | None, private_key: Ed25519PrivateKey) -> str:
    """The public key of ``private_key`` if it is the one listed for ``user``; else why not."""
    if not listed:
        raise WorkflowError(f"发布规则中没有登记 '{user}' 的公钥（publisher keygen 可生成）",
                            f"release_rules.yaml lists no public key for '{user}' (see 'publisher keygen')")
    public = keys.public_key_text(private_key)
    if public != listed:
        raise WorkflowError(f"所用私钥与发布规则中登记的 '{user}' 公钥不符",
                            f"this private key does not match the public key listed for '{user}'")
    return public


def approve(root: Path, items: str | list[str], user: str, private_key: Ed25519PrivateKey, *,
            role: str | None = None, ack_warnings: bool = False, note: str = "",
            reason: str | None = None, time: datetime | None = None,
            expected_digest: str | None = None) -> list[Entry]:
    """Sign and record ``user``'s approval of each item's open submission, or refuse with why.

    What is signed is the digest of the item's newest submission, checked on its archived bytes
    (:func:`check_submitted`), never the working copy. Every item is checked first; if any
    approval would be refused, nothing is recorded. ``expected_digest`` is the version the
    approver looked at (the review console's page, ``publisher approve --digest``): if another
    version is open, the approval is refused rather than signing unseen bytes.
    """
    item_ids = _as_list(items)
    rules = load_rules(root)
    approver = rules.approvers.get(user)
    if approver is None:
        raise WorkflowError(f"'{user}' 不在发布规则的审批人名单中", f"'{user}' is not an approver in release_rules.yaml")
    public = _check_key(user, approver.public_key, private_key)
    with open_log(root) as log:
        history = log.entries()
    planned = []
    with tempfile.TemporaryDirectory(prefix="publisher-approve-") as tmp:
        for n, item_id in enumerate(item_ids):
            _, ctx = check_submitted(root, item_id, Path(tmp) / str(n), expected_digest=expected_digest)
            planned.append(_planned_approval(ctx, item_id, [e for e in history if e.item == item_id], user,
                                             approver.roles, public, role=role, ack_warnings=ack_warnings,
                                             note=note, reason=reason))
    actions = []
    time = ctx.action_time(time)
    for item_id, version, man, chosen, details in planned:
        # the bytes were archived when they were submitted: what is signed is read from there
        signature = keys.sign(private_key, approval_message(item_id, man.digest, chosen, user, time=time,
                                                            log_size=details["log_size"]))
        details = {**details, "public_key": public, "signature": base64.b64encode(signature).decode("ascii")}
        actions.append({"event": "approval", "actor": user, "item": item_id, "version": version,
                        "files": man.files, "details": details, "time": time})
    ctx.record_rules(time)
    with open_log(root) as log:
        return log.append_many(actions, signer=log_signer(root))


def _planned_approval(ctx: _Context, item_id: str, entries: list[Entry], user: str, user_roles: list[str],
                      public_key: str, *, role: str | None, ack_warnings: bool, note: str,
                      reason: str | None) -> tuple[str, int, Manifest, str, dict[str, Any]]:
    """Everything an approval of one item needs, or the WorkflowError saying why not (``ctx``: the
    submitted bytes laid out from the archive, see :func:`check_submitted`)."""
    item, man = ctx.items[item_id], ctx.manifest(item_id)
    digest = man.digest
    summary = _findings_summary(ctx.report, item_id)
    if summary["errors"]:
        raise WorkflowError(f"'{item_id}' 有检查错误（{', '.join(summary['errors'])}），不能批准",
                            f"'{item_id}' has check errors ({', '.join(summary['errors'])}) and cannot be approved")
    if summary["warnings"] and not ack_warnings:
        raise WorkflowError(
            f"'{item_id}' 有 {len(summary['warnings'])} 类警告（{', '.join(summary['warnings'])}），"
            "请逐条查看后用 --ack-warnings 确认",
            f"'{item_id}' has warnings ({', '.join(summary['warnings'])}); review them and confirm with --ack-warnings",
        )
    h = ctx.history(item, entries)
    if any(v.digest == digest for v in h.versions):
        raise WorkflowError(f"'{item_id}' 的当前版本已经批准", f"the current version of '{item_id}' is already approved")
    if digest in h.rejections:
        raise WorkflowError(f"'{item_id}' 的当前版本已被退回，修改后请重新提交",
                            f"the current version of '{item_id}' was rejected; change it and submit again")
    if digest not in h.open:
        raise WorkflowError(f"'{item_id}' 的当前版本尚未提交审批（publisher submit）",
                            f"the current version of '{item_id}' has not been submitted (publisher submit)")
    if h.submitted(digest, user, public_key):
        # every submission of these bytes counts, and keys as well as names: re-submitting the same
        # bytes under another name does not make the first submitter an independent approver
        raise WorkflowError(f"'{user}' 提交了该条目的这一版本（本人或其密钥签署过提交），不能自己批准",
                            f"'{user}' submitted this item and cannot approve it (their name or key signed a "
                            "submission of these exact bytes)")
    required = ctx.rules.required_roles(item)
    counted = h.independent_approvals(digest)
    mine = next((a for a in counted if a.actor == user or a.details.get("public_key") == public_key), None)
    if mine is not None:
        # each required role is filled by a different person with a different key, so one
        # person holding two roles cannot approve a version twice
        raise WorkflowError(f"'{user}' 已经批准过这一版本（{mine.details['role']}）；每个角色须由不同的人、"
                            "用不同的密钥批准",
                            f"'{user}' already approved this version (as {mine.details['role']}); each required "
                            "role needs a different person with a different key")
    done = {a.details["role"] for a in counted}
    open_roles = [r for r in required if r not in done and r in user_roles]
    if role is not None:
        if role not in user_roles:
            raise WorkflowError(f"'{user}' 没有角色 '{role}'", f"'{user}' does not hold the role '{role}'")
        if role not in required or role in done:
            raise WorkflowError(f"'{item_id}' 不需要或已有角色 '{role}' 的批准",
                                f"'{item_id}' needs no (further) approval as '{role}'")
        open_roles = [role]
    if not open_roles:
        pending = ", ".join(r for r in required if r not in done)
        raise WorkflowError(
            f"'{user}' 的角色（{', '.join(user_roles)}）不能批准 '{item_id}'，尚需：{pending}",
            f"'{user}' ({', '.join(user_roles)}) cannot approve '{item_id}'; still needed: {pending}",
        )
    if reason is None:
        reason = "correction" if h.versions else "initial"
    if reason not in REASONS:
        raise WorkflowError(f"发布原因应为 {', '.join(REASONS)} 之一", f"reason must be one of {', '.join(REASONS)}")
    if h.versions and not note.strip():
        raise WorkflowError("这是已发布条目的新版本，请用 --note 说明更正或修订的内容",
                            "this is a new version of a published item; say what was corrected or revised with --note")
    details = {"digest": digest, "role": open_roles[0], "log_size": ctx.log_size,
               "acknowledged_warnings": summary["warnings"],
               "note": note, "reason": reason}
    return item_id, len(h.versions) + 1, man, open_roles[0], details


def reject(root: Path, item_id: str, user: str, private_key: Ed25519PrivateKey, reason: str, *,
           time: datetime | None = None, expected_digest: str | None = None) -> Entry:
    """Sign and record that an approver sends the item's open submission back, with the reason.

    The rejected bytes are those of the newest submission (:func:`open_submission`; with
    ``expected_digest``, only if that is the version the approver reviewed), never the working
    copy. The rejection stands for those bytes until the press office or the department's
    reviewer reopens them (:func:`reopen`)."""
    rules, rules_data, _, log_size = _rules_and_log(root)
    approver = rules.approvers.get(user)
    if approver is None:
        raise WorkflowError(f"'{user}' 不在审批人名单中", f"'{user}' is not an approver")
    public = _check_key(user, approver.public_key, private_key)
    if not reason.strip():
        raise WorkflowError("请用 --reason 说明退回原因", "give the reason for rejecting with --reason")
    sub = open_submission(root, item_id, expected_digest=expected_digest, rules=rules)
    time = time or clock.now(rules.site.timezone).replace(microsecond=0)
    signature = keys.sign(private_key, rejection_message(item_id, sub.digest, user, reason, time=time,
                                                         log_size=log_size))
    details = {"digest": sub.digest, "reason": reason, "log_size": log_size, "public_key": public,
               "signature": base64.b64encode(signature).decode("ascii")}
    record_rules(root, rules, rules_data, time)  # the keys it is verified with come first
    with open_log(root) as log:
        return log.append("rejection", user, item_id, files=sub.files, time=time, details=details,
                          signer=log_signer(root))


def reopen(root: Path, item_id: str, user: str, private_key: Ed25519PrivateKey, reason: str, *,
           time: datetime | None = None, digest: str | None = None) -> Entry:
    """Sign and record that rejected bytes of the item may be submitted again.

    ``digest`` (whole or a prefix of at least 8 hex digits) names the rejected version; without
    it, the most recent rejection that stands. The working copy is never read for it. Only the
    press office or the reviewer of the item's department (for an enterprise, of its supervising
    bureau) may reopen, with the key listed for them and a reason.
    """
    ctx = _load(root, [item_id])
    item = ctx.items[item_id]
    approver: Approver | None = ctx.rules.approvers.get(user)
    allowed = reopen_roles(ctx.rules, item)
    roles = [r for r in allowed if approver is not None and r in approver.roles]
    if not roles:
        who = " / ".join(allowed)
        raise WorkflowError(f"只有新闻办公室或本部门审核人（{who}）可以重新开放被退回的 '{item_id}'",
                            f"only the press office or the department's reviewer ({who}) can reopen '{item_id}'")
    public = _check_key(user, approver.public_key if approver else None, private_key)
    if not reason.strip():
        raise WorkflowError("请用 --reason 说明重新开放的原因", "give the reason for reopening with --reason")
    with open_log(root) as log:
        h = ctx.history(item, log.entries(item_id))
    standing = sorted(h.rejections.values(), key=lambda r: r.seq, reverse=True)
    wanted = (digest or "").strip().lower()
    if digest is not None and len(wanted) < 8:
        standing = []
    rejection = next((r for r in standing if r.details.get("digest", "").startswith(wanted)), None)
    if rejection is None:
        raise WorkflowError(f"'{item_id}' 没有{'该' if digest else ''}被退回的版本，无需重新开放",
                            f"'{item_id}' has no rejected version{' ' + wanted[:12] if digest else ''}; "
                            "there is nothing to reopen")
    rejected = rejection.details["digest"]
    time = ctx.action_time(time)
    signature = keys.sign(private_key, reopening_message(item_id, rejected, user, roles[0], reason, time=time,
                                                         log_size=ctx.log_size))
    details = {"digest": rejected, "role": roles[0], "reason": reason, "rejection": rejection.seq,
               "log_size": ctx.log_size,
               "public_key": public, "signature": base64.b64encode(signature).decode("ascii")}
    ctx.record_rules(time)
    with open_log(root) as log:
        return log.append("reopening", user, item_id, files=rejection.files, time=time,
                          details=details, signer=log_signer(root))


def withdraw(root: Path, item_id: str, user: str, private_key: Ed25519PrivateKey, reason: str, *,
             time: datetime | None = None) -> list[Entry]:
    """Sign and record the withdrawal of a published item: its pages give way to a notice with the reason.

    Every derived dataset computed from it is withdrawn in the same transaction (its numbers
    rest on the withdrawn data), with a reason naming the input. Returns the entries, the item's
    first."""
    ctx = _load(root, [item_id])
    if item_id == REGISTRY_ID:
        raise WorkflowError("登记表不能撤回（所有数据都引用它）；请提交并批准更正后的新版本",
                            "the registry cannot be withdrawn (every dataset refers to it); submit and approve "
                            "a corrected version instead")
    approver = ctx.rules.approvers.get(user)
    if approver is None or "press-office" not in approver.roles:
        raise WorkflowError("只有新闻办公室可以撤回已发布的内容", "only the press office can withdraw a published item")
    public = _check_key(user, approver.public_key, private_key)
    if not reason.strip():
        raise WorkflowError("请用 --reason 说明撤回原因", "give the reason for withdrawing with --reason")
    time = ctx.action_time(time)
    dependants = sorted(ds.id for ds in ctx.content.datasets.values()
                        if ds.derived is not None and item_id in ds.derived.inputs)
    with open_log(root) as log:
        entries = log.entries()
        actions = []
        for target in [item_id, *dependants]:
            h = ctx.history(ctx.content.item(target), [e for e in entries if e.item == target])
            if not h.versions or h.versions[-1].withdrawn is not None:
                if target == item_id:
                    raise WorkflowError(f"'{item_id}' 没有可撤回的已发布版本",
                                        f"'{item_id}' has no published version to withdraw")
                continue  # a derived dataset not approved, or withdrawn already
            why = reason if target == item_id else f"所依据的数据集 {item_id} 已撤回 / its input {item_id} was withdrawn: {reason}"
            digest = h.versions[-1].digest
            signature = keys.sign(private_key, rejection_message(target, digest, user, why, time=time,
                                                                 log_size=ctx.log_size, context=WITHDRAWAL_CONTEXT))
            actions.append({"event": "withdrawal", "actor": user, "item": target, "version": h.versions[-1].number,
                            "time": time, "details": {"digest": digest, "reason": why, "log_size": ctx.log_size,
                                                      "public_key": public,
                                                      "signature": base64.b64encode(signature).decode("ascii")}})
    if actions:
        ctx.record_rules(time)
    with open_log(root) as log:
        return log.append_many(actions, signer=log_signer(root))


# -- the registry and the release rules as inputs of the build -----------------------------


def registry_changes(root: Path, rules: Rules, content: Content) -> list[Finding]:
    """Findings about the working registry against its newest approved version (entries removed)."""
    item = content.registry_item
    if item is None or not (var_dir(root) / LOG_FILE).is_file():  # no log yet: nothing approved (and
        return []                                                 # publisher check creates no var/)
    with open_log(root) as log:
        entries, logged_rules = log.entries(REGISTRY_ID), rules_entries(log.entries(RULES_ID))
    versions = _history(rules, item, entries, rules_log=logged_rules).versions
    if not versions:
        return []
    latest = versions[-1]
    sha = latest.files.get(REGISTRY_FILE)
    if sha is None:
        return []
    data = archive_path(root, sha).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        raise WorkflowError(f"存档文件 {REGISTRY_FILE} 已损坏", f"the archived copy of {REGISTRY_FILE} is corrupted")
    previous, _ = load_yaml(data.decode("utf-8-sig"), f"content/{REGISTRY_FILE}", REGISTRY_ID)
    return removed_entries(previous if isinstance(previous, dict) else {}, content.registry, latest.number)


def _approver_roles(rules: Rules) -> dict[str, list[str]]:
    return {name: sorted(a.roles) for name, a in sorted(rules.approvers.items())}


def _approver_keys(rules: Rules) -> dict[str, str]:
    return {name: a.public_key for name, a in sorted(rules.approvers.items())}


def _submitter_keys(rules: Rules) -> dict[str, str]:
    return {name: s.public_key for name, s in sorted(rules.submitters.items())}


def rules_entries(entries: list[Entry]) -> list[Entry]:
    """The ``rules`` entries of the log, oldest first: which rules were in force from when."""
    return [e for e in entries if e.event == "rules" and e.item == RULES_ID]


def record_rules(root: Path, rules: Rules, data: bytes, time: datetime) -> Entry | None:
    """Log a ``rules`` entry when ``data`` (the rules the build runs with) differ from the rules
    logged last; returns it, or None when they are the same.

    The rules decide who may approve, so any change is written down before the build publishes
    anything under it: its SHA-256, the previous one, and the approvers whose roles or keys it
    adds, removes or changes. It is not approved by anyone (docs/workflow.md says why).
    """
    digest = hashlib.sha256(data).hexdigest()
    with open_log(root) as log:
        logged = rules_entries(log.entries(RULES_ID))
        if logged and logged[-1].details.get("digest") == digest:
            return None
        before_roles = logged[-1].details.get("approvers", {}) if logged else {}
        before_keys = logged[-1].details.get("approver_keys", {}) if logged else {}
        roles, keys_now = _approver_roles(rules), _approver_keys(rules)
        details = {
            "digest": digest, "previous": logged[-1].details.get("digest") if logged else None,
            "approvers": roles, "approver_keys": keys_now, "submitter_keys": _submitter_keys(rules),
            "approvers_added": {u: r for u, r in roles.items() if before_roles.get(u) != r},
            "approvers_removed": {u: r for u, r in before_roles.items() if u not in roles},
            "keys_changed": sorted(u for u, k in keys_now.items() if u in before_keys and before_keys[u] != k),
        }
        return log.append("rules", "publisher", RULES_ID, files={RULES_FILE: digest}, time=time,
                          details=details, signer=log_signer(root))
