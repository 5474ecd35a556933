"""The press office's review console, served for real and driven in Debian's chromium.

An officer unlocks an encrypted key, reviews an item with a warning, cannot approve it until the
warning is acknowledged, approves it, rejects another, and cannot approve bytes that changed
after the page was opened. Skips when Playwright or chromium is missing, like test_browser.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from conftest import approve_items
from cryptography.hazmat.primitives import serialization

from publisher import keys
from publisher.review import ReviewError, make_server
from publisher.workflow import item_states, open_log, submit

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
PRESS = "li-hua"
PASSPHRASE = "demo-pass"


def states(project: Path) -> dict:
    return {s.item: s for s in item_states(project)[0]}


@pytest.fixture
def project(portal: Path) -> Path:
    """The fixture portal with the registry approved, a spike in air-mini (a value-spike warning),
    both air items submitted, and li-hua's demo key written encrypted with a passphrase."""
    csv = portal / "content/datasets/air-mini/air_hourly.csv"
    csv.write_bytes(csv.read_bytes().replace(b"01:00:00+08:00,8.2,40.1,0.61,53.0,75.7,47.3",
                                             b"01:00:00+08:00,8.2,40.1,0.61,53.0,75.7,473.0", 1))
    approve_items(portal, ("registry",))  # approved first: previews name stations from it
    submit(portal, ["air-mini", "air-2025-01"], "data-officer", keys.demo_key("data-officer"))
    pem = keys.demo_key(PRESS).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.BestAvailableEncryption(PASSPHRASE.encode()))
    (portal / "var" / "keys").mkdir(parents=True, exist_ok=True)
    keys.write_private_key(portal / "var" / "keys" / f"{PRESS}.key", pem)
    assert states(portal)["air-mini"].warnings == 1
    return portal


@pytest.fixture
def console(project: Path) -> Iterator[str]:
    """The real console (waitress) on a free loopback port, in a thread."""
    server = make_server(project, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


def test_binding_to_every_address_is_refused_without_allow_remote(project: Path) -> None:
    with pytest.raises(ReviewError, match="loopback"):
        make_server(project, "0.0.0.0", 0)
    result = subprocess.run([sys.executable, "-m", "publisher.cli", "--project", str(project), "review",
                             "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr and "本机地址" in result.stderr


def test_a_post_without_the_csrf_token_is_refused(console: str, project: Path) -> None:
    with urllib.request.urlopen(console + "/") as response:
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    sid = cookie.split(";")[0]
    for path in ("/unlock", "/items/air-mini/approve", "/items/air-mini/reject"):
        request = urllib.request.Request(console + path, data=b"user=li-hua&passphrase=demo-pass",
                                         headers={"Cookie": sid}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request)
        assert caught.value.code == 403
    assert states(project)["air-mini"].roles_done == []


needs_chromium = pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (apt-get install chromium)")


@pytest.fixture
def page(browser, console: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(console + "/")
    yield page
    context.close()


def unlock(page, passphrase: str = PASSPHRASE) -> None:
    page.select_option("select[name=user]", PRESS)
    page.fill("input[name=passphrase]", passphrase)
    page.click("#unlock button[type=submit]")
    page.wait_for_load_state()


@needs_chromium
def test_a_wrong_passphrase_is_refused_clearly(page) -> None:
    unlock(page, "not-the-pass")
    assert "口令不正确" in page.locator("#message").inner_text()
    assert page.locator("#officer").count() == 0


@needs_chromium
def test_an_officer_acknowledges_the_warning_and_approves(page, project: Path) -> None:
    unlock(page)
    assert page.locator("#officer").inner_text() == PRESS
    row = page.locator("#mine tr[data-item=air-mini]")
    assert "警告 1" in row.inner_text() and "reviewer:sthjj, press-office" in row.inner_text()
    row.locator("a").click()
    page.wait_for_load_state()
    assert "value-spike" in page.content()
    assert page.locator(".n-added").first.inner_text() == "96"  # never approved: every row is new

    # Unticked, the browser will not submit the form; the server refuses it too.
    page.click("#approve")
    assert states(project)["air-mini"].roles_done == []
    page.evaluate("document.querySelector('input[name=ack]').removeAttribute('required')")
    page.click("#approve")
    page.wait_for_load_state()
    assert "警告未确认" in page.locator("#message").inner_text()
    assert states(project)["air-mini"].roles_done == []

    page.check("input[name=ack]")
    page.fill("textarea[name=note]", "已核实尖峰值 / spike checked")
    page.click("#approve")
    page.wait_for_load_state()
    assert "已以 press-office 身份批准 air-mini" in page.locator("#message").inner_text()
    state = states(project)["air-mini"]
    assert state.state == "awaiting" and state.roles_done == ["press-office"]
    with open_log(project) as log:
        [approval] = [e for e in log.entries("air-mini") if e.event == "approval"]
    assert approval.actor == PRESS and approval.details["digest"] == state.digest
    assert approval.details["acknowledged_warnings"] == ["value-spike"]
    # Approved by the press office, still awaiting the reviewer: shown as such.
    other = page.locator("#others tr[data-item=air-mini]")
    assert "press-office" in other.locator(".done").inner_text()
    assert "reviewer:sthjj" in other.locator(".pending").inner_text()


@needs_chromium
def test_an_officer_rejects_an_item_with_a_reason(page, project: Path) -> None:
    unlock(page)
    page.goto(page.url.rstrip("/") + "/items/air-2025-01")
    page.fill("textarea[name=reason]", "标题有误 / wrong title")
    page.click("#reject")
    page.wait_for_load_state()
    assert "已退回 air-2025-01" in page.locator("#message").inner_text()
    state = states(project)["air-2025-01"]
    assert state.state == "rejected" and state.rejection["reason"] == "标题有误 / wrong title"


@needs_chromium
def test_a_stale_page_cannot_approve_changed_bytes(page, project: Path) -> None:
    unlock(page)
    page.goto(page.url.rstrip("/") + "/items/air-mini")
    csv = project / "content/datasets/air-mini/air_hourly.csv"
    csv.write_bytes(csv.read_bytes().replace(b",30.1\n", b",31.1\n", 1))
    submit(project, "air-mini", "data-officer", keys.demo_key("data-officer"))  # new bytes submitted, never shown
    page.check("input[name=ack]")
    page.click("#approve")
    page.wait_for_load_state()
    message = page.locator("#message").inner_text()
    # the page showed the version submitted first; the newer submission is open now: refused
    assert "不是您查看的" in message and "not the" in message and "you reviewed" in message
    with open_log(project) as log:
        assert [e for e in log.entries("air-mini") if e.event == "approval"] == []


@needs_chromium
def test_the_console_switches_to_english(page) -> None:
    page.click("a.lang-switch")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Unlock your approval key" in page.locator("h1").inner_text()


@needs_chromium
def test_the_preview_shows_the_public_page_as_the_build_renders_it(page, project: Path) -> None:
    unlock(page)
    page.goto(page.url.rstrip("/") + "/items/air-mini")
    with page.context.expect_page() as opened:
        page.click("#preview")
    preview = opened.value
    preview.wait_for_load_state()
    # Served by the preview origin (another port, sandboxed), never by the console itself.
    assert preview.url.endswith("/datasets/air-mini/index.html")
    assert urllib.parse.urlsplit(preview.url).port != urllib.parse.urlsplit(page.url).port
    assert "预览 · 尚未发布" in preview.locator(".preview-banner").inner_text()
    assert preview.locator("h1").inner_text() == "测试市环境空气小时数据"
    preview.wait_for_selector(".chart-plot svg.main-svg", timeout=20000)  # the real chart, drawn
    # nothing was published: the preview went to var/previews, not output/, and the log is unchanged
    assert not (project / "output").exists()
    from publisher.workflow import open_log

    with open_log(project) as log:
        assert not [e for e in log.entries() if e.event == "publication"]
