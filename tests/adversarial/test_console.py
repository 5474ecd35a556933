"""Attacks on the press office's review console (publisher review), each written as the attack.

The officer (li-hua, press office) unlocks her encrypted key in the console. A department has put
an HTML page and a script beside its bulletin and linked them with Pelican's ``{attach}``; the
script tries to approve items in her name. Others guess her passphrase, plant a session id,
post from another origin, abuse the language switch's ``next`` or reach the console under a
rebinding host name. The console is the real Flask app (test client) or the real waitress
servers driven by chromium.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from cryptography.hazmat.primitives import serialization

from publisher import keys
from publisher.review import create_app, make_server
from publisher.workflow import WorkflowError, item_states, open_log, submit

PRESS = "li-hua"
PASSPHRASE = "demo-pass"
HOSTILE = "notice"
# From the staging folder of a preview (var/previews/<tmp>/content/bulletins) back to the project.
OUT_OF_STAGING = "../../../../../content/bulletins/notice-files"

# The department's script: read the console's pages, take the CSRF token, approve its own bulletin
# and an unrelated item in the officer's name. CONSOLE is the console's address (an attacker knows
# the default port); location.origin covers a preview served from the console's own origin.
ATTACK_JS = """
(async function () {
  var out = [];
  try { out.push("cookie=" + document.cookie); } catch (e) { out.push("cookie:blocked"); }
  var bases = [location.origin, "CONSOLE"];
  for (var b = 0; b < bases.length; b++) {
    for (var item of ["notice", "air-mini"]) {
      try {
        var page = await (await fetch(bases[b] + "/items/" + item, {credentials: "include"})).text();
        var csrf = page.match(/name="csrf" value="([^"]+)"/)[1];
        var digest = page.match(/name="digest" value="([^"]+)"/)[1];
        var body = new URLSearchParams({csrf: csrf, digest: digest, note: "ok"});
        for (var m of page.matchAll(/name="ack" value="([^"]+)"/g)) { body.append("ack", m[1]); }
        var r = await fetch(bases[b] + "/items/" + item + "/approve",
                            {method: "POST", body: body, credentials: "include"});
        out.push(item + ":" + r.status + ":csrf=" + csrf);
      } catch (e) { out.push(item + ":blocked"); }
    }
  }
  document.body.setAttribute("data-done", out.join(" | "));
})();
"""


def states(project: Path) -> dict:
    return {s.item: s for s in item_states(project)[0]}


def approvals(project: Path) -> list:
    with open_log(project) as log:
        return [e for e in log.entries() if e.event == "approval"]


def submit_hostile_bulletin(project: Path, console: str = "http://127.0.0.1:8765") -> None:
    """The department's bulletin, linking a page and its script with {attach}, submitted.

    Should the checks come to refuse such links, the bulletin links the page plainly, or not at
    all: the files are planted in the preview either way (plant_in_preview), and the console
    must be safe whatever a preview holds.
    """
    folder = project / "content" / "bulletins"
    write_hostile_files(folder / "notice-files", console)
    bodies = [f"详见[完整报告]({{attach}}{OUT_OF_STAGING}/report.html)。[.]({{attach}}{OUT_OF_STAGING}/report.js)",
              "详见[完整报告](report.html)。", "详见完整报告。"]
    for body in bodies:
        (folder / f"{HOSTILE}.md").write_text(f"""---
title: 关于空气质量的说明
date: 2025-01-07T10:00:00+08:00
department: sthjj
category: air_quality
classification: public
summary: 附完整报告。
---

{body}
""", encoding="utf-8")
        try:
            submit(project, HOSTILE, "data-officer", keys.demo_key("data-officer"))
            return
        except WorkflowError:
            continue
    raise AssertionError("the hostile bulletin could not be submitted at all")


def write_hostile_files(folder: Path, console: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.html").write_text('<!doctype html><html><body><h1>完整报告</h1>'
                                        '<script src="report.js"></script></body></html>', encoding="utf-8")
    (folder / "report.js").write_text(ATTACK_JS.replace("CONSOLE", console), encoding="utf-8")


def preview_folder(project: Path, item: str) -> Path:
    return project / "var" / "previews" / f"{item}-{states(project)[item].digest}"


def plant_in_preview(project: Path, console: str) -> None:
    """Whatever way hostile files reach a preview (today: {attach} out of the staging folder), they
    are there: the console must be safe even then."""
    bulletins = preview_folder(project, HOSTILE) / "bulletins"
    if not (bulletins / "report.js").is_file():
        write_hostile_files(bulletins, console)


@pytest.fixture
def project(portal: Path) -> Path:
    """The fixture portal with li-hua's key encrypted under a passphrase and air-mini submitted."""
    pem = keys.demo_key(PRESS).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.BestAvailableEncryption(PASSPHRASE.encode()))
    (portal / "var" / "keys").mkdir(parents=True, exist_ok=True)
    keys.write_private_key(portal / "var" / "keys" / f"{PRESS}.key", pem)
    submit(portal, "air-mini", "data-officer", keys.demo_key("data-officer"))
    return portal


class Ticks:
    """A monotonic clock the test moves by hand, so no test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def app(project: Path, ticks: Ticks):
    return create_app(project, monotonic=ticks)


def csrf_of(client, path: str = "/") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def unlock(client, passphrase: str = PASSPHRASE, user: str = PRESS):
    return client.post("/unlock", data={"csrf": csrf_of(client), "user": user, "passphrase": passphrase})


def approval_form(client, item: str) -> dict:
    """What the item's page would post: token, digest and every warning ticked."""
    html = client.get(f"/items/{item}").get_data(as_text=True)
    field = lambda name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1)  # noqa: E731
    return {"csrf": field("csrf"), "digest": field("digest"), "ack": re.findall(r'name="ack" value="([^"]+)"', html)}


def unlocked(client) -> bool:
    return 'id="officer"' in client.get("/").get_data(as_text=True)


# -- 1. one click in a preview approves items as the officer --------------------------------


@pytest.fixture
def servers(project: Path) -> Iterator[str]:
    """The real console (waitress) on free loopback ports, in a thread; yields its address."""
    server = make_server(project, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


def test_a_script_in_a_preview_cannot_approve_as_the_officer(browser, servers: str, project: Path) -> None:
    submit_hostile_bulletin(project, servers)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(servers + "/")
        page.select_option("select[name=user]", PRESS)
        page.fill("input[name=passphrase]", PASSPHRASE)
        page.click("#unlock button[type=submit]")
        page.wait_for_load_state()
        page.goto(servers + f"/items/{HOSTILE}")
        token = page.locator("input[name=csrf]").first.get_attribute("value")
        session = next(c["value"] for c in context.cookies() if c["name"] == "publisher_review_session")
        with context.expect_page() as opened:
            page.click("#preview")
        preview = opened.value
        preview.wait_for_load_state()
        plant_in_preview(project, servers)
        link = preview.locator('a[href$="report.html"]')
        if link.count():
            link.first.click()  # the officer's one click
        else:
            preview.goto(urllib.parse.urljoin(preview.url, "report.html"))
        preview.wait_for_load_state()
        try:
            preview.wait_for_selector("body[data-done]", state="attached", timeout=10_000)
            result = preview.locator("body").get_attribute("data-done")
        except Exception:  # the script never ran at all: also safe
            result = ""
        # The script ran (or not) in an origin that holds neither the token nor the session ...
        assert token not in result and session not in result
        # ... and nothing was approved in the officer's name.
        assert approvals(project) == []
        assert states(project)[HOSTILE].roles_done == [] and states(project)["air-mini"].roles_done == []
    finally:
        context.close()


def test_a_file_from_a_preview_is_never_served_by_the_console(app, project: Path) -> None:
    submit_hostile_bulletin(project)
    client = app.test_client()
    unlock(client)
    assert unlocked(client)
    client.get(f"/items/{HOSTILE}/preview/")  # the officer asks for the preview: it is built
    plant_in_preview(project, "http://127.0.0.1:8765")
    assert (preview_folder(project, HOSTILE) / "bulletins" / "report.html").is_file()
    for rel in ("bulletins/report.html", "bulletins/report.js", f"bulletins/{HOSTILE}.html"):
        response = client.get(f"/items/{HOSTILE}/preview/{rel}")
        served_inert = (response.headers.get("Content-Disposition", "").startswith("attachment")
                        and response.mimetype == "text/plain"
                        and response.headers.get("X-Content-Type-Options") == "nosniff")
        assert response.status_code == 404 or served_inert, (rel, response.status_code, response.mimetype)
    # And no page of the console may run script at all, whatever it contains.
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'none'" in policy or ("default-src 'none'" in policy and "script-src" not in policy)


def test_the_preview_is_another_origin_sandboxed_and_without_the_session(servers: str, project: Path) -> None:
    submit_hostile_bulletin(project, servers)
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # the test follows redirects itself
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def get(url: str):
        try:
            return opener.open(url)
        except urllib.error.HTTPError as exc:
            return exc

    token = re.search(r'name="csrf" value="([^"]+)"', get(servers + "/").read().decode()).group(1)
    unlock_form = urllib.parse.urlencode({"csrf": token, "user": PRESS, "passphrase": PASSPHRASE}).encode()
    try:
        opener.open(urllib.request.Request(servers + "/unlock", data=unlock_form, method="POST"))
    except urllib.error.HTTPError as exc:
        assert exc.code == 303
    response = get(servers + f"/items/{HOSTILE}/preview/")
    assert response.status == 303
    location = urllib.parse.urljoin(servers + "/", response.headers["Location"])
    console, preview = urllib.parse.urlsplit(servers), urllib.parse.urlsplit(location)
    assert (preview.hostname, preview.port) != (console.hostname, console.port), location  # another origin
    plant_in_preview(project, servers)
    for url in (location, urllib.parse.urljoin(location, "report.html")):
        page = get(url)
        assert page.status == 200, url
        policy = page.headers["Content-Security-Policy"]
        directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";") if d.strip()}
        assert "sandbox" in directives and "allow-same-origin" not in directives["sandbox"]
        assert "allow-forms" not in directives["sandbox"] and "allow-popups" not in directives["sandbox"]
        assert directives["default-src"] == "default-src 'none'"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers.get("Set-Cookie") is None
    # No state-changing route and no console route answers on the preview origin.
    origin = f"{preview.scheme}://{preview.netloc}"
    for path in ("/unlock", f"/items/{HOSTILE}/approve", "/lock"):
        request = urllib.request.Request(origin + path, data=b"x=1", method="POST")
        try:
            status = opener.open(request).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status in (404, 405), path
    assert get(origin + "/").status == 404 and get(origin + f"/items/{HOSTILE}").status == 404
    # A preview opens only under the token the console granted the officer.
    assert get(origin + f"/not-the-token/bulletins/{HOSTILE}.html").status == 404
    assert approvals(project) == []


def test_a_post_from_another_origin_is_refused_even_with_the_token(app, project: Path) -> None:
    client = app.test_client()
    unlock(client)
    form = approval_form(client, "air-mini")
    for headers in ({"Origin": "null"}, {"Origin": "http://127.0.0.1:8766"},
                    {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/items/air-mini/approve", data=form, headers=headers)
        assert response.status_code == 403, headers
    assert approvals(project) == []
    # the console's own page posting to itself still works
    response = client.post("/items/air-mini/approve", data=form, headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303 and [e.actor for e in approvals(project)] == [PRESS]


# -- session fixation ------------------------------------------------------------------------


def test_a_planted_session_id_does_not_get_the_officers_key(app, project: Path) -> None:
    attacker = app.test_client()
    attacker_token = csrf_of(attacker)  # a session of the attacker's own, and its CSRF token
    planted = attacker.get_cookie("publisher_review_session").value
    officer = app.test_client()
    officer.set_cookie("publisher_review_session", planted)  # tossed in from another localhost port
    unlock(officer)
    assert unlocked(officer)
    # The attacker, with the id and token it planted, tries to approve in her name.
    assert states(project)["air-mini"].warnings == 0
    attacker.post("/items/air-mini/approve", data={"csrf": attacker_token, "digest": states(project)["air-mini"].digest})
    assert approvals(project) == []
    assert not unlocked(attacker)
    assert officer.get_cookie("publisher_review_session").value != planted


# -- 2. guessing the passphrase --------------------------------------------------------------


def lockout_entries(project: Path) -> list:
    with open_log(project) as log:
        return [e for e in log.entries() if e.event in ("lockout", "unlock-refusal")]


def test_guessing_a_four_digit_passphrase_ends_in_a_logged_lockout(app, project: Path, ticks: Ticks) -> None:
    pem = keys.demo_key(PRESS).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.BestAvailableEncryption(b"0017"))
    (project / "var" / "keys" / f"{PRESS}.key").unlink()
    keys.write_private_key(project / "var" / "keys" / f"{PRESS}.key", pem)
    attacker = app.test_client()
    tried = 0
    for guess in (f"{n:04d}" for n in range(0, 30)):
        unlock(attacker, guess)
        tried += 1
        if unlocked(attacker):
            break
        ticks.advance(9)  # a patient attacker waits out every growing delay
    assert not unlocked(attacker), f"the passphrase fell after {tried} guesses"
    # Locked out: the correct passphrase is refused too, with a message that says so.
    response = unlock(attacker, "0017")
    assert response.status_code == 429
    page = attacker.get("/").get_data(as_text=True) + response.get_data(as_text=True)
    assert "已锁定" in page and "locked" in page
    assert not unlocked(attacker)
    # In the audit log: every refused guess and the lockout, under the officer's name.
    entries = lockout_entries(project)
    refusals = [e for e in entries if e.event == "unlock-refusal"]
    lockouts = [e for e in entries if e.event == "lockout"]
    assert refusals and len(refusals) <= 10 and lockouts
    assert all(e.actor == PRESS for e in lockouts) and lockouts[0].details["failures"] == len(refusals[:5])
    # After the lockout, the officer gets in with the right passphrase.
    ticks.advance(60 * 60)
    officer = app.test_client()
    unlock(officer, "0017")
    assert unlocked(officer)


def test_guesses_are_throttled_per_officer_and_per_client(app, project: Path, ticks: Ticks) -> None:
    ma_li = keys.demo_key("ma-li").private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.BestAvailableEncryption(b"ma-li-pass"))
    keys.write_private_key(project / "var" / "keys" / "ma-li.key", ma_li)
    # One wrong guess; an immediate retry is refused unchecked, even with the right passphrase,
    # and a fresh cookie or another client address does not help: the officer is throttled.
    first = app.test_client()
    unlock(first, "wrong")
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "127.0.0.9"
    for client in (first, app.test_client(), elsewhere):
        assert unlock(client).status_code == 429
        assert not unlocked(client)
    # Another officer from the same client address is throttled too (per client).
    assert unlock(app.test_client(), "ma-li-pass", user="ma-li").status_code == 429
    ticks.advance(2)
    other = app.test_client()
    unlock(other, "ma-li-pass", user="ma-li")
    assert unlocked(other)
    officer = app.test_client()
    unlock(officer)
    assert unlocked(officer)


def test_parallel_guesses_do_not_slip_past_the_wait(app, project: Path) -> None:
    clients = [app.test_client() for _ in range(8)]
    tokens = [csrf_of(c) for c in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client, token: str, n: int) -> None:
        start.wait()
        data = {"csrf": token, "user": PRESS, "passphrase": f"guess-{n}"}
        statuses.append(client.post("/unlock", data=data).status_code)

    threads = [threading.Thread(target=guess, args=(c, t, n)) for n, (c, t) in enumerate(zip(clients, tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303] + [429] * 7  # one guess checked, the others refused unchecked
    assert len([e for e in lockout_entries(project) if e.event == "unlock-refusal"]) == 1


# -- 3. open redirect ------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "/\\evil.example",
                                    "https:evil.example", "https://evil.example", "%2F%2Fevil.example",
                                    "/%0d%0a/evil.example", "%09//evil.example", "\\\\evil.example",
                                    "/%2F%2Fevil.example", "%5C%5Cevil.example", "http:/evil.example",
                                    "/%0A/evil.example", " //evil.example", "javascript:alert(1)"])
def test_the_language_switch_never_redirects_off_the_console(app, target: str) -> None:
    client = app.test_client()
    response = client.get(f"/language/en?next={target}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_the_language_switch_returns_to_the_page_it_came_from(app) -> None:
    response = app.test_client().get("/language/en?next=" + urllib.parse.quote("/items/air-mini?x=1", safe=""))
    assert response.headers["Location"] == "/items/air-mini?x=1"


# -- the network: DNS rebinding even with --allow-remote ---------------------------------------


def test_a_rebinding_host_name_is_refused_even_with_allow_remote(project: Path, ticks: Ticks) -> None:
    local = create_app(project, monotonic=ticks).test_client()
    remote = create_app(project, allow_remote=True, monotonic=ticks).test_client()
    for host in ("evil.example", "evil.example:8765", "127.0.0.1.evil.example", "localhost.evil.example",
                 "127.0.0.1@evil.example", "evil.example#@127.0.0.1"):
        assert local.get("/", headers={"Host": host}).status_code == 400, host
        assert remote.get("/", headers={"Host": host}).status_code == 400, host
    assert local.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200
    assert remote.get("/", headers={"Host": "192.0.2.10:8765"}).status_code == 200  # an address, not a name
