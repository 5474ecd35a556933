"""The press office's review console: a small local web app over the release workflow.

``publisher review`` serves it on 127.0.0.1. An officer picks their name, unlocks their private
key with its passphrase, sees the items awaiting their approval, reviews each one's findings
and its diff against the last approved version, and approves or rejects it. Every action is one
call into :mod:`publisher.workflow`, exactly as the command line makes it: the same checks, the
same signatures over the same bytes, the same audit log.

Security, in short: the unlocked key lives only in this process's memory, in the server-side
session of one browser (a random id in an HttpOnly, SameSite=Strict cookie, replaced by a new id
when the key is unlocked or dropped), and is dropped after 30 idle minutes or on sign-out; it is
never written anywhere. Every POST must carry the session's CSRF token and come from the console's
own origin. An approval carries the version digest the page showed, so a page opened before the
files changed cannot approve the new bytes. The console's pages run no script at all; previews of
unapproved bytes are served by :mod:`publisher.review_preview` on another port, sandboxed, and
never by the console. Unlocking is throttled per officer and per client
(:mod:`publisher.throttle`), refusals and lockouts go to the audit log, and every redirect target
passes :func:`local_target`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, Response, abort, redirect, request
from jinja2 import DictLoader, Environment, select_autoescape

from . import keys, paths
from .config import load_rules
from .diff import diff_against_approved, item_diff
from .report import Finding, Report
from .review_preview import PreviewGrants, create_preview_app
from .site import BuildError, build_preview
from .throttle import Failure, UnlockThrottle, Wait
from .workflow import (ItemState, Submitted, WorkflowError, approve, check_submitted, item_states, log_signer,
                       open_log, open_submission, private_var, reject)

SESSION_COOKIE = "publisher_review_session"
IDLE_SECONDS = 30 * 60
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
DEFAULT_PORT = 8765
# The "item" of the console's own audit entries (refused unlocks, lockouts): not an item id
# (ids are [a-z0-9-]), so it never mixes with an item's history and the portal publishes it as
# a hash only, like every entry about something not public.
CONSOLE_ITEM = "(review-console)"
# The console's pages are plain HTML and forms: no script of any kind, whatever they show.
CONSOLE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
                  "frame-ancestors 'none'; base-uri 'none'")


class ReviewError(Exception):
    """The console cannot start as asked (e.g. a non-loopback address without --allow-remote)."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


class PassphraseRefused(WorkflowError):
    """A wrong passphrase, or a key that is not the officer's: a guess, counted by the throttle."""


@dataclass
class OfficerSession:
    """One browser's session: its CSRF token, language and, once unlocked, the officer's key."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    lang: str = "zh"
    user: str | None = None
    key: Ed25519PrivateKey | None = None
    last_seen: float = 0.0
    message: tuple[str, str, str] | None = None  # (kind, zh, en), shown once

    def sign_out(self) -> None:
        self.user, self.key = None, None


class SessionStore:
    """Sessions in memory only, by random id; idle ones lose their key."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._sessions: dict[str, OfficerSession] = {}
        self._lock = threading.Lock()
        self._monotonic = monotonic

    def rotate(self, sid: str) -> tuple[str, OfficerSession, bool]:
        """The session of ``sid`` under a new id and a new CSRF token; the old id stops working.

        Done whenever a key is unlocked or dropped, so an id planted in the officer's browser
        beforehand (any page on another localhost port can set a cookie for this host) never
        holds her key.
        """
        with self._lock:
            old = self._sessions.pop(sid, None) or OfficerSession()
            new_sid = secrets.token_urlsafe(32)
            session = self._sessions[new_sid] = OfficerSession(lang=old.lang, user=old.user, key=old.key,
                                                               last_seen=self._monotonic(), message=old.message)
            old.sign_out()
            return new_sid, session, True

    def get(self, sid: str | None) -> tuple[str, OfficerSession, bool]:
        """The session for ``sid``, or a new one: (id, session, is_new)."""
        now = self._monotonic()
        with self._lock:
            for stale in [k for k, s in self._sessions.items() if now - s.last_seen > IDLE_SECONDS]:
                self._sessions[stale].sign_out()
                del self._sessions[stale]
            if sid and sid in self._sessions:
                session = self._sessions[sid]
                session.last_seen = now
                return sid, session, False
            sid = secrets.token_urlsafe(32)
            session = self._sessions[sid] = OfficerSession(last_seen=now)
            return sid, session, True


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_HOST_HEADER = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::[0-9]{1,5})?")


def allowed_host(header: str | None, *, allow_remote: bool = False) -> str | None:
    """The host of a request's Host header, ready for a URL, if the console answers it; else None.

    Loopback names and addresses always; with ``allow_remote`` any IP address too, but never
    another DNS name: a page that rebinds its own name to this machine sends that name (DNS
    rebinding), while an address cannot be rebound.
    """
    match = _HOST_HEADER.fullmatch(header or "")
    if match is None:
        return None
    name = (match["v6"] or match["name"]).lower()
    if name == "localhost":
        return name
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    if not (address.is_loopback or allow_remote):
        return None
    return f"[{name}]" if address.version == 6 else name


def local_target(target: str | None) -> str:
    """``target`` if it is a path on the console, else "/". Every redirect goes through here.

    Browsers read a Location leniently: they drop tabs and newlines anywhere, read "\\" as "/",
    and take "//host", "/\\host" or "scheme:..." as another site. So a target must start with a
    single "/", hold no backslash or control character, and parse to no scheme and no host; and
    it must still do so decoded once more, in case something on the way decodes it again.
    """
    if not target:
        return "/"
    for text in (target, unquote(target)):
        if (not text.startswith("/") or text.startswith("//") or "\\" in text
                or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)):
            return "/"
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return "/"
    return target


def finding_id(f: Finding) -> str:
    """A stable id for one finding, so an acknowledgement names exactly the warning it saw."""
    text = "\x1f".join(str(x) for x in (f.rule, f.file, f.row, f.column, f.key, f.message_en))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# -- the app -------------------------------------------------------------------------------


def create_app(root: Path, *, allow_remote: bool = False, monotonic: Callable[[], float] = time.monotonic,
               previews: PreviewGrants | None = None, preview_port: int = DEFAULT_PORT + 1) -> Flask:
    """The console's WSGI app for the portal project in ``root``.

    ``previews`` are the grants shared with the preview origin listening on ``preview_port``
    (see :func:`make_server`); ``monotonic`` is the clock of idle sessions and of the unlock
    throttle, injectable so tests need not sleep.
    """
    root = Path(root).resolve()
    app = Flask(__name__)
    store = SessionStore(monotonic)
    throttle = UnlockThrottle(monotonic)
    previews = previews if previews is not None else PreviewGrants(monotonic)
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=select_autoescape(default=True))

    def current() -> tuple[str, OfficerSession, bool]:
        return store.get(request.cookies.get(SESSION_COOKIE))

    def page(template: str, status: int = 200, **context: Any) -> Response:
        sid, session, new = context.pop("_session")
        lang = session.lang

        def t(zh: str, en: str) -> str:
            return zh if lang == "zh" else en

        message, session.message = session.message, None
        html = env.get_template(template).render(t=t, lang=lang, session=session, csrf=session.csrf,
                                                 message=message, path=request.full_path.rstrip("?"),
                                                 **context)
        response = Response(html, status=status, mimetype="text/html")
        if new:
            response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Strict", path="/")
        return response

    def back(location: str, sess: tuple[str, OfficerSession, bool]) -> Response:
        """Redirect (303) to ``location`` on the console, never anywhere else."""
        response = redirect(local_target(location), code=303)
        sid, _, new = sess
        if new:
            response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Strict", path="/")
        return response

    def host() -> str | None:
        return allowed_host(request.environ.get("HTTP_HOST"), allow_remote=allow_remote)

    def from_own_origin() -> bool:
        """Whether the browser says the request comes from a page of the console itself.

        Browsers that send neither header (old ones, scripts) still need the CSRF token; a page
        of the preview origin (another port, or the opaque origin of its sandbox) is refused
        even if its token had leaked.
        """
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            return False
        origin = request.headers.get("Origin")
        return origin is None or origin.lower() == f"{request.scheme}://{request.host}".lower()

    @app.before_request
    def guard() -> None:
        # A page reached under another host name (DNS rebinding) is refused.
        if host() is None:
            abort(400)
        if request.method not in ("GET", "HEAD"):
            sid = request.cookies.get(SESSION_COOKIE)
            _, session, new = store.get(sid)
            token = request.form.get("csrf", "")
            if new or not from_own_origin() or not hmac.compare_digest(token.encode(), session.csrf.encode()):
                abort(403)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONSOLE_POLICY
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" even on
        # the console's own form posts, and the origin check above could not tell them apart.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(403)
    def forbidden(_exc: Exception) -> Response:
        return Response("403 请求缺少有效的安全令牌，或并非来自审核台自己的页面；请刷新页面后重试 / "
                        "the request lacks a valid security token or does not come from a page of the console; "
                        "reload the page and try again",
                        status=403, mimetype="text/plain")

    @app.get("/")
    def queue() -> Response:
        sess = current()
        _, session, _ = sess
        rules = load_rules(root)
        if session.user is None:
            return page("unlock.html", _session=sess, officers=officers(rules))
        mine, others = review_queue(root, session.user)
        return page("queue.html", _session=sess, mine=mine, others=others,
                    officer=rules.approvers[session.user])

    @app.get("/language/<lang>")
    def language(lang: str) -> Response:
        sess = current()
        sess[1].lang = "en" if lang == "en" else "zh"
        return back(request.args.get("next", "/"), sess)

    @app.post("/unlock")
    def unlock() -> Response:
        sess = current()
        session = sess[1]
        user = request.form.get("user", "")
        passphrase = request.form.get("passphrase", "")
        client = request.remote_addr or "unknown"
        if user not in load_rules(root).approvers:  # not a guess at anyone's key: nothing to count
            session.message = ("error", f"'{user}' 不在审批人名单中", f"'{user}' is not an approver")
            return back("/", sess)
        wait = throttle.begin(user, client)
        if wait is not None:
            session.message = ("error", *wait_message(wait, user))
            response = page("unlock.html", status=429, _session=sess, officers=officers(load_rules(root)))
            response.headers["Retry-After"] = str(wait.seconds)
            return response
        try:
            key = unlock_key(root, user, passphrase)
        except PassphraseRefused as exc:
            failure = throttle.end(user, client, failed=True)
            record_refusal(root, user, client, exc, failure, throttle.lockout_seconds)
            zh, en = exc.zh, exc.en
            if failure.lockouts:
                minutes = throttle.lockout_seconds // 60
                count = max(n for _, n in failure.lockouts)
                zh += f"；口令已连续错误 {count} 次，解锁已锁定 {minutes} 分钟，此事已记入审计日志"
                en += (f"; {count} wrong passphrases in a row: unlocking is locked for {minutes} "
                       "minutes, and this is recorded in the audit log")
            session.message = ("error", zh, en)
            return back("/", sess)
        except WorkflowError as exc:  # not a guess (no key file, an unusable key)
            throttle.release(user, client)
            session.message = ("error", exc.zh, exc.en)
            return back("/", sess)
        except BaseException:
            throttle.release(user, client)  # never leave the officer "busy" for good
            raise
        throttle.end(user, client, failed=False)
        sess = store.rotate(sess[0])
        sess[1].key, sess[1].user = key, user
        sess[1].message = ("ok", f"已解锁 {user} 的私钥（仅保存在本次会话的内存中）",
                           f"{user}'s key is unlocked (held in memory for this session only)")
        return back("/", sess)

    @app.post("/lock")
    def lock() -> Response:
        sess = store.rotate(current()[0])
        sess[1].sign_out()
        sess[1].message = ("ok", "已退出，私钥已从内存中清除", "signed out; the key was dropped from memory")
        return back("/", sess)

    @app.get("/items/<item_id>")
    def review(item_id: str) -> Response:
        sess = current()
        if sess[1].user is None:
            return back("/", sess)
        return review_page(item_id, sess)

    def one_state(item_id: str):
        """One item's state and check report, checking only that item; 404 when unknown."""
        try:
            [state], report = item_states(root, items=[item_id])
        except WorkflowError:
            abort(404)
        return state, report

    def reviewed(item_id: str, tmp: Path, digest: str | None = None) -> tuple[ItemState, Report, Any, bool]:
        """What the page shows: the open submission's archived bytes, checked and diffed, with
        the state naming its digest (the one the forms carry); the working copy only when no
        submission is open (nothing can be approved then). The last value: whether the working
        copy differs from the submitted bytes."""
        state, report = one_state(item_id)
        try:
            sub, ctx = check_submitted(root, item_id, tmp, expected_digest=digest)
        except WorkflowError:
            if digest is not None:
                raise
            try:
                diff: Any = item_diff(root, item_id)  # nothing open: the working copy, marked as such
            except WorkflowError as exc:
                diff = exc
            return replace(state, digest=""), report, diff, False
        item = ctx.items[item_id]
        shown = replace(state, digest=sub.digest, department=item.department, category=item.category,
                        release_at=item.release_at.isoformat() if item.release_at else None,
                        roles_required=ctx.rules.required_roles(item), roles_done=sub.roles_done,
                        state=state.state if state.digest == sub.digest else "modified" if state.versions
                        else "awaiting")
        return shown, ctx.report, diff_against_approved(root, item, sub.digest), state.digest != sub.digest

    def review_page(item_id: str, sess, status: int = 200, note: str = "") -> Response:
        rules = load_rules(root)
        officer = rules.approvers[sess[1].user]
        with tempfile.TemporaryDirectory(prefix="publisher-review-") as tmp:
            state, report, diff, working_differs = reviewed(item_id, Path(tmp))
        if isinstance(diff, WorkflowError):
            diff, sess[1].message = None, ("error", diff.zh, diff.en)
        findings = report.for_item(item_id)
        errors = [f for f in findings if f.severity.value == "error"]
        warnings = [(finding_id(f), f) for f in findings if f.severity.value == "warning"]
        notes = [f for f in findings if f.severity.value == "info"]
        pending = [r for r in state.roles_required if r not in state.roles_done]
        return page("item.html", status=status, _session=sess, state=state, errors=errors, warnings=warnings,
                    notes=notes, diff=diff, pending=pending, my_roles=[r for r in pending if r in officer.roles],
                    note=note, working_differs=working_differs)

    preview_lock = threading.Lock()

    @app.get("/items/<item_id>/preview/")
    def preview(item_id: str) -> Response:
        """The public pages exactly as the build renders them, from the archived bytes of the
        item's open submission (``?digest=``: only if that is the version the page showed), built
        once per digest into var/previews/ (never output/), marked as a preview, and shown on the
        preview origin: the console never serves a file of a preview itself."""
        sess = current()
        if sess[1].user is None:
            return back("/", sess)
        state, _ = one_state(item_id)
        if not paths.is_id(item_id):
            abort(404)
        try:  # nothing submitted: nothing to preview (404)
            sub: Submitted = open_submission(root, item_id)
        except WorkflowError as exc:
            return Response(f"{exc.zh} / {exc.en}", status=404, mimetype="text/plain")
        try:  # another version than the one the page showed (409)
            if request.args.get("digest") is not None:
                open_submission(root, item_id, expected_digest=request.args["digest"])
        except WorkflowError as exc:
            return Response(f"{exc.zh} / {exc.en}", status=409, mimetype="text/plain")
        preview_dir = paths.private_dir(private_var(root) / "previews")  # owner-only, like all of var/
        # named by the whole digest and built from that digest's archived bytes: never another's
        folder = paths.confined(preview_dir, f"{item_id}-{sub.digest}")
        with preview_lock:  # one build at a time; later requests reuse it
            if not folder.is_dir():
                for old in paths.scan(preview_dir):  # previews of this item's versions since replaced
                    if old.kind == "dir" and re.fullmatch(re.escape(item_id) + r"-[0-9a-f]{16}(?:[0-9a-f]{48})?",
                                                          old.name):
                        previews.revoke(old.path)
                        shutil.rmtree(old.path, ignore_errors=True)
                try:
                    build_preview(root, item_id, folder, files=sub.files)
                    paths.private_dir(folder)
                except (BuildError, WorkflowError) as exc:
                    return Response(f"预览生成失败 / the preview could not be built: {exc}", status=500,
                                    mimetype="text/plain")
        page_path = f"datasets/{item_id}/index.html" if state.kind == "dataset" else f"bulletins/{item_id}.html"
        # The one redirect that leaves the console: to its own preview origin, built from the
        # checked Host, the preview port and a fresh token; nothing in it comes from the request.
        response = redirect(f"http://{host()}:{preview_port}/{previews.grant(folder)}/{page_path}", code=303)
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.post("/items/<item_id>/approve")
    def approve_item(item_id: str) -> Response:
        sess = current()
        session = sess[1]
        if session.user is None or session.key is None:
            return back("/", sess)
        digest = request.form.get("digest", "")
        note = request.form.get("note", "")
        acknowledged = set(request.form.getlist("ack"))
        try:
            with tempfile.TemporaryDirectory(prefix="publisher-review-") as tmp:
                _, report, _, _ = reviewed(item_id, Path(tmp), digest)  # the findings of the version shown
        except WorkflowError as exc:
            session.message = ("error", exc.zh, exc.en)
            return review_page(item_id, sess, status=409, note=note)
        warnings = {finding_id(f) for f in report.for_item(item_id) if f.severity.value == "warning"}
        if not warnings <= acknowledged:
            session.message = ("error", f"还有 {len(warnings - acknowledged)} 条警告未确认；请逐条查看并勾选后再批准",
                               f"{len(warnings - acknowledged)} warnings are not acknowledged; "
                               "review and tick each one before approving")
            return review_page(item_id, sess, status=409, note=note)
        try:
            [entry] = approve(root, item_id, session.user, session.key, ack_warnings=True, note=note,
                              expected_digest=digest)
        except WorkflowError as exc:
            session.message = ("error", exc.zh, exc.en)
            return review_page(item_id, sess, status=409, note=note)
        role = entry.details["role"]
        session.message = ("ok", f"已以 {role} 身份批准 {item_id}（审计记录 #{entry.seq}）",
                           f"approved {item_id} as {role} (audit log #{entry.seq})")
        return back("/", sess)

    @app.post("/items/<item_id>/reject")
    def reject_item(item_id: str) -> Response:
        sess = current()
        session = sess[1]
        if session.user is None or session.key is None:
            return back("/", sess)
        reason = request.form.get("reason", "")
        one_state(item_id)  # 404 for an unknown item
        try:
            entry = reject(root, item_id, session.user, session.key, reason,
                           expected_digest=request.form.get("digest", ""))
        except WorkflowError as exc:
            session.message = ("error", exc.zh, exc.en)
            return review_page(item_id, sess, status=409)
        session.message = ("ok", f"已退回 {item_id}（审计记录 #{entry.seq}）", f"rejected {item_id} (audit log #{entry.seq})")
        return back("/", sess)

    return app


def officers(rules: Any) -> list[tuple[str, str, str, str]]:
    """The unlock form's choices: (id, Chinese name, English name, roles) of every approver."""
    return [(a.id, a.name.get("zh"), a.name.get("en") or a.id, ", ".join(a.roles)) for a in rules.approvers.values()]


def wait_message(wait: Wait, user: str) -> tuple[str, str]:
    """What an officer reads when an unlock is refused unchecked: (Chinese, English)."""
    if wait.busy:
        return ("正在核对另一次解锁尝试，请稍后再试", "another unlock attempt is being checked; try again in a moment")
    if wait.locked:
        minutes = (wait.seconds + 59) // 60
        return (f"口令错误次数过多，{user} 的解锁已锁定，请 {minutes} 分钟后再试（此次未核对口令）",
                f"too many wrong passphrases: unlocking {user}'s key is locked; try again in {minutes} minutes "
                "(this attempt was not checked)")
    return (f"口令错误后须等待，请 {wait.seconds} 秒后再试（此次未核对口令）",
            f"after a wrong passphrase you must wait: try again in {wait.seconds} seconds "
            "(this attempt was not checked)")


def record_refusal(root: Path, user: str, client: str, exc: WorkflowError, failure: Failure,
                   lockout_seconds: int) -> None:
    """Write a refused unlock, and the lockouts it started, to the audit log."""
    reason = "wrong-key" if "does not match" in exc.en else "wrong-passphrase"
    actions = [{"event": "unlock-refusal", "actor": user, "item": CONSOLE_ITEM,
                "details": {"client": client, "failures": failure.failures, "reason": reason}}]
    actions += [{"event": "lockout", "actor": user, "item": CONSOLE_ITEM,
                 "details": {"client": client, "scope": scope, "failures": failures, "seconds": lockout_seconds}}
                for scope, failures in failure.lockouts]
    with open_log(root) as log:
        log.append_many(actions, signer=log_signer(root))


def unlock_key(root: Path, user: str, passphrase: str) -> Ed25519PrivateKey:
    """Load ``var/keys/<user>.key`` with the passphrase and check it is the key the rules list."""
    rules = load_rules(root)
    approver = rules.approvers.get(user)
    if approver is None:
        raise WorkflowError(f"'{user}' 不在审批人名单中", f"'{user}' is not an approver")
    path = Path(root) / "var" / "keys" / f"{user}.key"
    if not path.is_file():
        raise WorkflowError(f"找不到 '{user}' 的私钥（publisher keygen {user} 可生成）",
                            f"no private key for '{user}' (create one with 'publisher keygen {user}')")
    try:
        key = keys.load_private_key(path, passphrase or None)
    except keys.KeyFileError as exc:
        if "wrong passphrase" in str(exc) or "passphrase is required" in str(exc):
            raise PassphraseRefused("口令不正确，请重新输入", "wrong passphrase; please try again") from None
        raise WorkflowError(f"私钥无法使用：{exc}", f"the key cannot be used: {exc}") from None
    if keys.public_key_text(key) != approver.public_key:
        raise PassphraseRefused(f"该私钥与发布规则中登记的 '{user}' 公钥不符",
                            f"this key does not match the public key listed for '{user}'")
    return key


@dataclass
class QueueRow:
    state: Any  # ItemState
    pending: list[str]
    mine: list[str]
    own_submission: bool


def review_queue(root: Path, user: str) -> tuple[list[QueueRow], list[QueueRow]]:
    """Submitted items still needing approval: (those this officer can approve, the others)."""
    rules = load_rules(root)
    roles = rules.approvers[user].roles if user in rules.approvers else []
    states, _ = item_states(root)
    with open_log(root) as log:
        submitters = {(e.item, e.details.get("digest")): e.actor for e in log.entries() if e.event == "submission"}
    mine, others = [], []
    for s in states:
        if s.state not in ("awaiting", "modified") or s.rejection is not None:
            continue
        submitter = submitters.get((s.item, s.digest))
        if submitter is None:
            continue  # a modified item whose new bytes were not submitted: nothing to approve
        pending = [r for r in s.roles_required if r not in s.roles_done]
        row = QueueRow(s, pending, [r for r in pending if r in roles], submitter == user)
        (mine if row.mine and not row.own_submission else others).append(row)
    return mine, others


def _bound_port(server: Any) -> int:
    """The port a waitress server listens on (one socket, or the first of several)."""
    port = getattr(server, "effective_port", None)
    return int(port if port is not None else server.effective_listen[0][1])


def make_server(root: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, allow_remote: bool = False,
                preview_port: int | None = None):
    """The console and its preview origin, served by waitress (``.run()``; ``.close()`` to stop).

    Two listening sockets on ``host``, one loop: the console on ``port`` and previews on
    ``preview_port`` (default: the next port, or any free one when ``port`` is 0). The result
    has ``effective_port`` and ``preview_port``.
    """
    from waitress import wasyncore
    from waitress.server import MultiSocketServer, create_server
    from waitress.task import ThreadedTaskDispatcher

    if not is_loopback(host) and not allow_remote:
        raise ReviewError(f"审核台只应在本机地址上运行，{host} 不是本机地址；确需远程访问请加 --allow-remote",
                          f"the review console serves on a loopback address only; {host} is not one "
                          "(add --allow-remote if you really mean it)")
    load_rules(root)  # a broken rules file is reported now, not on the first page
    if preview_port is None:
        preview_port = port + 1 if port else 0
    sockets: dict = {}
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(4)
    grants = PreviewGrants()
    host_rule = lambda header: allowed_host(header, allow_remote=allow_remote)  # noqa: E731
    try:
        previews = create_server(create_preview_app(grants, host_rule), map=sockets, _dispatcher=dispatcher,
                                 host=host, port=preview_port, ident="publisher-review-preview")
        console = create_server(create_app(root, allow_remote=allow_remote, previews=grants,
                                           preview_port=_bound_port(previews)),
                                map=sockets, _dispatcher=dispatcher, host=host, port=port, ident="publisher-review")
    except BaseException:
        dispatcher.shutdown()
        wasyncore.close_all(sockets)
        raise
    server = MultiSocketServer(sockets, console.adj, [(host, _bound_port(console)), (host, _bound_port(previews))],
                               dispatcher, console.log_info)
    server.effective_port = _bound_port(console)
    server.preview_port = _bound_port(previews)
    return server


# -- templates -----------------------------------------------------------------------------

_BASE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} · {{ t('审核台', 'Review console') }}</title>
<style>
body{font-family:"Noto Sans CJK SC",system-ui,sans-serif;margin:0;color:#1d2630;background:#f6f7f9;line-height:1.55}
header{background:#17405e;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#fff}header button{color:#fff;background:transparent;border:1px solid #fff}header .who{margin-left:auto}
main{max-width:72rem;margin:0 auto;padding:1rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0 1rem}
th,td{border:1px solid #ccd3da;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#e9eef3}
.msg{padding:.6rem .8rem;border-radius:4px;margin:.5rem 0}.msg.ok{background:#e3f4e6}.msg.error{background:#fbe3e1}
.msg .en,.sub{color:#4a5560;font-size:.9em}
.error-f{border-left:4px solid #b3261e;padding-left:.5rem}.warning-f{border-left:4px solid #b26a00;padding-left:.5rem}
del{background:#fbe3e1;text-decoration:line-through}ins{background:#dff3e1;text-decoration:none}
.changed td.hit{background:#fff4cc}
pre.diff{background:#fff;border:1px solid #ccd3da;padding:.5rem;overflow-x:auto}
pre.diff .add{background:#dff3e1;display:block}pre.diff .del{background:#fbe3e1;display:block}
pre.diff .hunk{color:#17405e;display:block}
form.inline{display:inline}
button{font-size:1rem;padding:.35rem .9rem}
.approve{background:#1f6f3b;color:#fff;border:0}.reject{background:#8a1c1c;color:#fff;border:0}
textarea{width:100%;min-height:4rem;font:inherit}
label{display:block;margin:.3rem 0}
</style></head>
<body>
<header>
  <strong>{{ t('生态环境监测信息发布 · 审核台', 'Environmental monitoring releases · Review console') }}</strong>
  <a href="/">{{ t('待审队列', 'Queue') }}</a>
  {% if lang == 'zh' %}<a class="lang-switch" href="/language/en?next={{ path|urlencode }}" lang="en">English</a>
  {% else %}<a class="lang-switch" href="/language/zh?next={{ path|urlencode }}" lang="zh-CN">中文</a>{% endif %}
  {% if session.user %}<span class="who">{{ t('审批人', 'Officer') }}: <strong id="officer">{{ session.user }}</strong>
  <form class="inline" method="post" action="/lock"><input type="hidden" name="csrf" value="{{ csrf }}">
  <button type="submit">{{ t('退出并清除私钥', 'Sign out and drop the key') }}</button></form></span>{% endif %}
</header>
<main>
{% if message %}<div class="msg {{ message[0] }}" role="{{ 'alert' if message[0] == 'error' else 'status' }}" id="message">
  {% if lang == 'zh' %}{{ message[1] }}<div class="en" lang="en">{{ message[2] }}</div>
  {% else %}{{ message[2] }}<div class="en" lang="zh-CN">{{ message[1] }}</div>{% endif %}</div>{% endif %}
{% block main %}{% endblock %}
</main></body></html>
"""

_UNLOCK = """{% extends "base.html" %}{% block title %}{{ t('解锁私钥', 'Unlock your key') }}{% endblock %}
{% block main %}
<h1>{{ t('解锁审批私钥', 'Unlock your approval key') }}</h1>
<p>{{ t('请选择您的姓名并输入私钥口令。私钥只在本次浏览器会话期间保存在本机服务器内存中，不会写入任何文件；30 分钟无操作或退出后即清除。',
        'Pick your name and enter your key passphrase. The key is held in this local server\\'s memory for this browser session only, never written anywhere, and dropped after 30 idle minutes or when you sign out.') }}</p>
<form method="post" action="/unlock" id="unlock">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <label>{{ t('审批人', 'Officer') }}
    <select name="user" required>{% for id, zh, en, roles in officers %}
      <option value="{{ id }}">{{ zh if lang == 'zh' else en }} ({{ id }}; {{ roles }})</option>{% endfor %}
    </select></label>
  <label>{{ t('私钥口令', 'Passphrase') }} <input type="password" name="passphrase" autocomplete="current-password" required></label>
  <button type="submit">{{ t('解锁', 'Unlock') }}</button>
</form>
{% endblock %}
"""

_QUEUE = """{% extends "base.html" %}{% block title %}{{ t('待审队列', 'Queue') }}{% endblock %}
{% macro rows(list, mine) %}
<table><thead><tr><th>{{ t('条目', 'Item') }}</th><th>{{ t('状态', 'Status') }}</th><th>{{ t('部门', 'Department') }}</th>
<th>{{ t('定时发布', 'Embargo until') }}</th><th>{{ t('检查结果', 'Checks') }}</th><th>{{ t('已批准', 'Approved by role') }}</th>
<th>{{ t('尚需', 'Still needed') }}</th></tr></thead><tbody>
{% for row in list %}{% set s = row.state %}
<tr data-item="{{ s.item }}"><td><a href="/items/{{ s.item }}">{{ s.item }}</a> <span class="sub">{{ t('数据集', 'dataset') if s.kind == 'dataset' else t('公报', 'bulletin') }}</span></td>
<td>{{ s.label_zh if lang == 'zh' else s.label_en }}{% if s.state == 'modified' %} · {{ t('新版本待审批', 'new version awaiting approval') }}{% endif %}{% if s.roles_done %} · {{ t('部分批准', 'partly approved') }}{% endif %}</td>
<td>{{ s.department }}</td><td>{{ s.release_at or t('无', 'none') }}</td>
<td>{{ t('错误', 'errors') }} {{ s.errors }} · {{ t('警告', 'warnings') }} {{ s.warnings }}</td>
<td class="done">{{ s.roles_done|join(', ') or '—' }}</td><td class="pending">{{ row.pending|join(', ') }}
{% if row.own_submission %}<div class="sub">{{ t('由您提交，不能自己批准', 'you submitted it and cannot approve it') }}</div>{% endif %}</td></tr>
{% else %}<tr><td colspan="7">{{ t('没有条目', 'Nothing here') }}</td></tr>{% endfor %}
</tbody></table>
{% endmacro %}
{% block main %}
<h1>{{ t('等待您审批的条目', 'Items awaiting your approval') }}</h1>
<p class="sub">{{ t('您的角色', 'Your roles') }}: {{ officer.roles|join(', ') }}</p>
<section id="mine">{{ rows(mine, true) }}</section>
<h2>{{ t('等待其他角色审批的条目', 'Items awaiting other roles') }}</h2>
<section id="others">{{ rows(others, false) }}</section>
{% endblock %}
"""

_ITEM = """{% extends "base.html" %}{% block title %}{{ state.item }}{% endblock %}
{% block main %}
<h1>{{ state.item }} <span class="sub">{{ t('数据集', 'dataset') if state.kind == 'dataset' else t('公报', 'bulletin') }}</span></h1>
<table>
<tr><th>{{ t('状态', 'Status') }}</th><td id="state">{{ state.label_zh if lang == 'zh' else state.label_en }}</td></tr>
<tr><th>{{ t('部门', 'Department') }}</th><td>{{ state.department }}</td></tr>
<tr><th>{{ t('定时发布', 'Embargo until') }}</th><td>{{ state.release_at or t('无', 'none') }}</td></tr>
<tr><th>{{ t('版本摘要', 'Version digest') }}</th><td><code id="digest">{{ state.digest or t('没有待审批的提交', 'no submission open') }}</code>
{% if working_differs %}<br><span class="sub">{{ t('工作副本在提交后已修改；本页显示并签署的是提交的版本（存档）', 'the working copy changed since this submission; this page shows, and an approval signs, the submitted (archived) version') }}</span>{% endif %}</td></tr>
<tr><th>{{ t('已批准', 'Approved by role') }}</th><td>{{ state.roles_done|join(', ') or '—' }}</td></tr>
<tr><th>{{ t('尚需', 'Still needed') }}</th><td>{{ pending|join(', ') or '—' }}</td></tr>
{% if state.rejection %}<tr><th>{{ t('退回', 'Rejected') }}</th><td>{{ state.rejection.user }}: {{ state.rejection.reason }}</td></tr>{% endif %}
</table>

<h2>{{ t('检查结果', 'Check results') }}</h2>
{% if not errors and not warnings and not notes %}<p>{{ t('没有发现问题。', 'No findings.') }}</p>{% endif %}
{% for f in errors %}<div class="error-f"><strong>{{ t('错误', 'Error') }} [{{ f.rule }}]</strong> {{ f.location }}<br>
{{ f.message_zh if lang == 'zh' else f.message_en }}</div>{% endfor %}
{% if errors %}<p><strong>{{ t('有错误的条目不能批准。', 'An item with errors cannot be approved.') }}</strong></p>{% endif %}

<form method="post" action="/items/{{ state.item }}/approve" id="approve-form">
<input type="hidden" name="csrf" value="{{ csrf }}">
<input type="hidden" name="digest" value="{{ state.digest }}">
{% for id, f in warnings %}<div class="warning-f"><strong>{{ t('警告', 'Warning') }} [{{ f.rule }}]</strong> {{ f.location }}<br>
{{ f.message_zh if lang == 'zh' else f.message_en }}
<label><input type="checkbox" name="ack" value="{{ id }}" required> {{ t('我已核实这条警告', 'I have checked this warning') }}</label></div>
{% endfor %}
{% for f in notes %}<div><strong>{{ t('提示', 'Note') }} [{{ f.rule }}]</strong> {{ f.message_zh if lang == 'zh' else f.message_en }}</div>{% endfor %}

<h2>{{ t('与上一已批准版本的差异', 'Changes since the last approved version') }}</h2>
{% if diff is none %}<p>{{ t('无法计算差异。', 'The diff could not be computed.') }}</p>
{% else %}
{% if diff.previous_version is none %}<p id="diff-summary">{{ t('尚无已批准版本：全部内容为新增。', 'No approved version yet: everything is new.') }}</p>
{% else %}<p id="diff-summary">{{ t('对比已批准的第', 'Compared with approved version') }} {{ diff.previous_version }} {{ t('版', '') }}
(<code>{{ diff.previous_digest[:12] }}</code> → <code>{{ diff.digest[:12] }}</code>)</p>{% endif %}
{% if diff.metadata and diff.previous_version is not none %}<h3>{{ t('元数据变化', 'Metadata changes') }}</h3>
<table id="meta-changes"><tr><th>{{ t('字段', 'Key') }}</th><th>{{ t('原值', 'Old') }}</th><th>{{ t('新值', 'New') }}</th></tr>
{% for m in diff.metadata %}<tr><td><code>{{ m.key }}</code></td><td><del>{{ m.old if m.old is not none else '' }}</del></td><td><ins>{{ m.new if m.new is not none else '' }}</ins></td></tr>{% endfor %}
</table>{% endif %}
{% for r in diff.resources %}<section class="resource" data-resource="{{ r.name }}">
<h3>{{ t('资源', 'Resource') }} {{ r.name }} <span class="sub">{{ r.path }}</span></h3>
<p class="counts">{{ t('新增', 'added') }} <span class="n-added">{{ r.counts.added }}</span> ·
{{ t('删除', 'removed') }} <span class="n-removed">{{ r.counts.removed }}</span> ·
{{ t('修改', 'changed') }} <span class="n-changed">{{ r.counts.changed }}</span> ·
{{ t('未变', 'unchanged') }} {{ r.counts.unchanged }}</p>
{% for kind, n in r.unlisted().items() %}<p class="unlisted"><strong>{{ t({'added': '新增', 'removed': '删除', 'changed': '修改'}[kind] ~ '：还有 ' ~ n ~ ' 行未列出（共 ' ~ r.counts[kind] ~ ' 行）', n ~ ' more ' ~ kind ~ ' rows not listed (' ~ r.counts[kind] ~ ' in all)') }}</strong></p>{% endfor %}
{% if r.changed %}<table class="changed"><tr><th>{{ t('行', 'Line') }}</th><th>{{ t('主键', 'Key') }}</th><th>{{ t('变化（原值 → 新值）', 'Changes (old → new)') }}</th></tr>
{% for c in r.changed %}<tr><td>{{ c.line }}</td><td>{% for k, v in c.key.items() %}{{ k }}={{ v }} {% endfor %}</td>
<td class="hit">{% for col, pair in c.changes.items() %}<span class="change">{{ col }}: <del>{{ pair[0] }}</del> → <ins>{{ pair[1] }}</ins></span> {% endfor %}</td></tr>{% endfor %}
</table>{% endif %}
{% if r.added and diff.previous_version is not none %}<details open><summary>{{ t('新增的行', 'Rows added') }}</summary><table class="added">
{% for row in r.added %}<tr>{% for v in row.values() %}<td><ins>{{ v }}</ins></td>{% endfor %}</tr>{% endfor %}</table></details>{% endif %}
{% if r.removed %}<details open><summary>{{ t('删除的行', 'Rows removed') }}</summary><table class="removed">
{% for row in r.removed %}<tr>{% for v in row.values() %}<td><del>{{ v }}</del></td>{% endfor %}</tr>{% endfor %}</table></details>{% endif %}
{% if r.stats %}<table class="stats"><tr><th>{{ t('列', 'Column') }}</th><th>{{ t('之前：数量 / 最小 / 最大 / 平均', 'Before: n / min / max / mean') }}</th>
<th>{{ t('之后：数量 / 最小 / 最大 / 平均', 'After: n / min / max / mean') }}</th></tr>
{% for s in r.stats %}<tr{% if s.before != s.after %} class="hit"{% endif %}><td>{{ s.column }}{% if s.unit %} ({{ s.unit }}){% endif %}</td>
<td>{{ s.before.count }} / {{ s.before.min }} / {{ s.before.max }} / {{ s.before.mean }}</td>
<td>{{ s.after.count }} / {{ s.after.min }} / {{ s.after.max }} / {{ s.after.mean }}</td></tr>{% endfor %}</table>{% endif %}
</section>{% endfor %}
{% for name, lines in diff.text.items() %}<h3>{{ name }}</h3><pre class="diff">{% for line in lines %}{%
  if line.startswith('+++') or line.startswith('---') %}<span class="hunk">{{ line }}</span>{%
  elif line.startswith('@@') %}<span class="hunk">{{ line }}</span>{%
  elif line.startswith('+') %}<span class="add">{{ line }}</span>{%
  elif line.startswith('-') %}<span class="del">{{ line }}</span>{%
  else %}{{ line }}
{% endif %}{% endfor %}</pre>{% endfor %}
{% if diff.unchanged %}<p>{{ t('与已批准版本完全相同。', 'Identical to the approved version.') }}</p>{% endif %}
{% endif %}
<p><a id="preview" href="/items/{{ state.item }}/preview/?digest={{ state.digest }}" target="_blank" rel="noopener noreferrer">{{ t('预览公开页面（按发布后的样子生成，标有“预览”）', 'Preview the public page (rendered as the build will, marked as a preview)') }}</a></p>

<h2>{{ t('审批', 'Decision') }}</h2>
{% if my_roles %}
<label>{{ t('审批意见（新版本必须说明更正内容）', 'Note (required for a new version: what was corrected)') }}
<textarea name="note">{{ note }}</textarea></label>
<button type="submit" class="approve" id="approve" {% if errors %}disabled{% endif %}>{{ t('签名批准', 'Sign and approve') }} ({{ my_roles[0] }})</button>
{% else %}<p>{{ t('您的角色不能批准此条目。', 'None of your roles can approve this item.') }}</p>{% endif %}
</form>

<form method="post" action="/items/{{ state.item }}/reject" id="reject-form">
<input type="hidden" name="csrf" value="{{ csrf }}">
<input type="hidden" name="digest" value="{{ state.digest }}">
<label>{{ t('退回原因（必填）', 'Reason for sending it back (required)') }}<textarea name="reason" required></textarea></label>
<button type="submit" class="reject" id="reject">{{ t('退回', 'Reject') }}</button>
</form>
{% endblock %}
"""

TEMPLATES = {"base.html": _BASE, "unlock.html": _UNLOCK, "queue.html": _QUEUE, "item.html": _ITEM}
