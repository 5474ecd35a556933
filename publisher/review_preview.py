"""The review console's preview origin: built previews, served where they cannot act.

A preview is the public portal rendered from bytes nobody has approved yet, so it may hold
whatever a department put in it, HTML and script included. It is therefore never served by the
console. This second, tiny app listens on its own port (another origin, so the browser keeps its
scripts away from the console's pages and their CSRF token) and sends every response under a
sandboxing Content-Security-Policy without ``allow-same-origin``: the page runs in an opaque
origin that reads no cookie, sends no cookie the console accepts (SameSite=Strict), submits no
form, opens no window and connects nowhere. It has no session, no token and no route that
changes anything; it answers GET only, for folders the console granted under a random token.
"""

from __future__ import annotations

import mimetypes
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, abort, request, send_file

# What the static portal needs to render (its own scripts, styles, images, fonts), in a sandbox
# with an opaque origin. No allow-same-origin, allow-forms, allow-popups, allow-modals,
# allow-top-navigation or allow-downloads; connect-src 'none' keeps a script from sending what it
# sees anywhere, even back to this server.
PREVIEW_POLICY = ("sandbox allow-scripts; default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data:; font-src 'self'; connect-src 'none'; form-action 'none'; "
                  "base-uri 'none'; frame-ancestors 'none'")
GRANT_SECONDS = 30 * 60


class PreviewGrants:
    """Which preview folder each random token opens, for 30 idle minutes; in memory only.

    The console grants a token to an officer who has unlocked her key and asks for a preview;
    the preview origin serves a folder only under a live token, so a preview of unpublished bytes
    is not open to whoever can reach the port.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._grants: dict[str, tuple[Path, float]] = {}
        self._lock = threading.Lock()

    def grant(self, folder: Path) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[token] = (Path(folder).resolve(), self._monotonic())
        return token

    def folder(self, token: str) -> Path | None:
        """The folder ``token`` opens, or None when it is unknown or lapsed."""
        now = self._monotonic()
        with self._lock:
            for stale in [t for t, (_, seen) in self._grants.items() if now - seen > GRANT_SECONDS]:
                del self._grants[stale]
            found = self._grants.get(token)
            if found is None:
                return None
            self._grants[token] = (found[0], now)
            return found[0]

    def revoke(self, folder: Path) -> None:
        """Forget every token of ``folder`` (a preview of a version since replaced)."""
        folder = Path(folder).resolve()
        with self._lock:
            for token in [t for t, (f, _) in self._grants.items() if f == folder]:
                del self._grants[token]


def create_preview_app(grants: PreviewGrants, host_allowed: Callable[[str | None], str | None]) -> Flask:
    """The preview origin's WSGI app: GET ``/<token>/<path>`` from the granted folder, sandboxed.

    ``host_allowed`` is the console's own Host-header rule (loopback, no rebinding names).
    """
    app = Flask(__name__)

    @app.before_request
    def guard() -> None:
        if host_allowed(request.environ.get("HTTP_HOST")) is None:
            abort(400)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = PREVIEW_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the path
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers.pop("Set-Cookie", None)
        return response

    @app.get("/<token>/")
    @app.get("/<token>/<path:rel>")
    def serve(token: str, rel: str = "index.html") -> Response:
        folder = grants.folder(token)
        if folder is None:
            abort(404)
        path = (folder / rel).resolve()
        # Inside the granted folder, after links are followed, and a regular file: nothing else.
        if not path.is_relative_to(folder) or not path.is_file():
            abort(404)
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return send_file(path, mimetype=mimetype, conditional=False, etag=False)

    return app
