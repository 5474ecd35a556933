"""Attacks through a bulletin's Markdown: file links that copy files into the site, raw HTML,
resources from other hosts, and the public pages' Content-Security-Policy.

Each test is the attack, built with the real workflow (demo keys) and a real Pelican build.
Where the attack needs an approval the check would now refuse, the approval is given with the
markup rules switched off — as for a bulletin approved before they existed — and the build,
which checks again with today's rules, must still publish nothing of the target.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from conftest import approve_items

from publisher import rules as rules_module
from publisher.check import check_items
from publisher.site import CONTENT_SECURITY_POLICY, BuildError, build_preview, build_site
from publisher.workflow import WorkflowError

FRONT = """---
title: 公报 {name}
date: 2025-01-07T10:00:00+08:00
department: sthjj
category: air_quality
classification: public
---

"""


def _write_bulletin(portal: Path, name: str, body: str) -> Path:
    path = portal / "content" / "bulletins" / f"{name}.md"
    path.write_text(FRONT.format(name=name) + body, encoding="utf-8")
    return path


def _approve_without_markup_rules(portal: Path, items: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """Approve as zhang-min and li-hua with the markup rules off (an approval given before they
    existed); the build afterwards checks with every rule."""
    with monkeypatch.context() as m:
        m.setattr(rules_module, "FAMILIES", tuple(f for f in rules_module.FAMILIES if not f.__name__.endswith("markup")))
        approve_items(portal, items)


def _all_bytes(folder: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()]


def _assert_nowhere(folder: Path, secret: bytes) -> None:
    for path, data in _all_bytes(folder):
        assert secret not in data, f"{path} holds the target's bytes"


LOG_KEY_LINKS = [
    '<img src="{attach}/../../var/log.key" width="0" height="0">',
    '<img src="{static}/../../var/log.key" width="0" height="0">',
    '<a href="|attach|/../../var/log.key">key</a>',
    '<a href="{attach}/../../var/log.key">key</a>',
    # hidden in another attribute: Pelican finds src='…' anywhere inside the tag
    '<img alt="x src=\'{attach}/../../var/log.key\'" src="../theme/img/favicon.svg">',
]


@pytest.mark.parametrize("link", [link for link in LOG_KEY_LINKS if "{static}" not in link])
def test_attach_link_to_the_log_key_publishes_nothing(portal: Path, link: str, monkeypatch) -> None:
    _write_bulletin(portal, "key-leak", f"正文。\n\n{link}\n")
    _approve_without_markup_rules(portal, ("air-mini", "key-leak"), monkeypatch)
    key = (portal / "var" / "log.key").read_bytes()
    build_site(portal)
    out = portal / "output"
    _assert_nowhere(out, key.strip().splitlines()[1])  # a line of the PEM body
    assert not [p for p in out.rglob("log.key")]


@pytest.mark.parametrize("link", LOG_KEY_LINKS[:2])
def test_attach_link_to_the_log_key_publishes_nothing_even_if_the_check_misses_it(
        portal: Path, link: str, monkeypatch) -> None:
    """The build's own line: Pelican copies no linked file, whatever the check says."""
    _write_bulletin(portal, "key-leak", f"正文。\n\n{link}\n")
    monkeypatch.setattr(rules_module, "FAMILIES",
                        tuple(f for f in rules_module.FAMILIES if not f.__name__.endswith("markup")))
    approve_items(portal, ("air-mini", "key-leak"))
    key = (portal / "var" / "log.key").read_bytes()
    result = build_site(portal)
    assert "key-leak" in result.release.bulletins  # the check was blind: the bulletin is published
    out = portal / "output"
    page = (out / "bulletins" / "key-leak.html").read_text(encoding="utf-8")
    assert "log.key" not in page and "{attach}" not in page and "{static}" not in page
    _assert_nowhere(out, key.strip().splitlines()[1])
    assert not [p for p in out.rglob("log.key")]


def test_a_build_whose_pelican_would_still_copy_a_linked_file_fails_and_publishes_nothing(
        portal: Path, monkeypatch) -> None:
    """The last line: with the check blind, the sanitiser off and Pelican's link syntax back on,
    Pelican collects the key as a static file; the build refuses to copy it and fails."""
    from publisher import pelican_plugin

    _write_bulletin(portal, "key-leak", f"正文。\n\n{LOG_KEY_LINKS[0]}\n")
    monkeypatch.setattr(rules_module, "FAMILIES",
                        tuple(f for f in rules_module.FAMILIES if not f.__name__.endswith("markup")))
    approve_items(portal, ("air-mini", "key-leak"))
    monkeypatch.setattr(pelican_plugin, "sanitize", lambda html: html)
    monkeypatch.setattr(pelican_plugin, "NO_INTRASITE_LINKS", "[{|](?P<what>.*?)[|}]")  # Pelican's default
    with pytest.raises(BuildError, match="log.key"):
        build_site(portal)
    assert not (portal / "output").exists()


def test_attach_link_to_an_embargoed_bulletin_publishes_none_of_its_source(portal: Path, monkeypatch) -> None:
    _write_bulletin(portal, "embargo-leak",
                    '正文。\n\n<a href="{attach}/../../content/bulletins/embargoed-note.md">x</a>\n'
                    '<img src="{static}/../../content/bulletins/embargoed-note.md">\n')
    approve_items(portal)  # the embargoed note is approved, due in 2099
    _approve_without_markup_rules(portal, ("embargo-leak",), monkeypatch)
    build_site(portal)
    _assert_nowhere(portal / "output", b"EMBARGO-MARKER-7f3a")


def _html_and_js_beside(portal: Path) -> tuple[bytes, bytes]:
    folder = portal / "content" / "bulletins"
    fake_page = b"<!doctype html><title>fake</title><script src='evil.js'></script>PHISH-PAGE-51c2"
    js = b"document.title='EVIL-SCRIPT-9d0e';"
    (folder / "evil.html").write_bytes(fake_page)
    (folder / "evil.js").write_bytes(js)
    # The build stages content two folders below the project, a preview four (var/previews/).
    _write_bulletin(portal, "side-files",
                    '请看[通知]({attach}/../../content/bulletins/evil.html)。\n\n'
                    '<img src="{attach}/../../content/bulletins/evil.js">\n'
                    '<a href="{attach}/../../../../content/bulletins/evil.html">x</a>\n'
                    '<img src="{attach}/../../../../content/bulletins/evil.js">\n')
    return fake_page, js


def test_html_and_js_beside_a_bulletin_are_never_copied_by_the_build(portal: Path, monkeypatch) -> None:
    _html_and_js_beside(portal)
    _approve_without_markup_rules(portal, ("air-mini", "side-files"), monkeypatch)
    build_site(portal)
    out = portal / "output"
    _assert_nowhere(out, b"PHISH-PAGE-51c2")
    _assert_nowhere(out, b"EVIL-SCRIPT-9d0e")
    assert not [p for p in out.rglob("evil.*")]


def test_html_and_js_beside_a_bulletin_are_never_copied_by_the_preview(portal: Path) -> None:
    _html_and_js_beside(portal)
    approve_items(portal, ("air-mini",))
    preview = portal / "var" / "previews" / "side-files"
    build_preview(portal, "side-files", preview)
    _assert_nowhere(preview, b"PHISH-PAGE-51c2")
    _assert_nowhere(preview, b"EVIL-SCRIPT-9d0e")
    assert not [p for p in preview.rglob("evil.*")]


def test_file_link_syntax_is_a_check_error_naming_file_and_line(portal: Path) -> None:
    _write_bulletin(portal, "links", "第一段。\n\n[日志]({filename}/../../var/audit.sqlite)\n\n"
                                     '<a href="{index}">首页</a> <a href="{tag}x">t</a>\n'
                                     '<img src="|static|/../../var/log.key">\n'
                                     '<img alt="x src=\'{attach}/k\'" src="../theme/img/favicon.svg">\n')
    found = [f for f in check_items(portal, ["links"]).report if f.rule == "bulletin-file-link"]
    assert [(f.file, f.row, f.severity) for f in found] == [
        ("content/bulletins/links.md", 11, "error"), ("content/bulletins/links.md", 13, "error"),
        ("content/bulletins/links.md", 13, "error"), ("content/bulletins/links.md", 14, "error"),
        ("content/bulletins/links.md", 15, "error")]
    assert "{filename}/../../var/audit.sqlite" in found[0].message_zh
    assert "{filename}/../../var/audit.sqlite" in found[0].message_en
    with pytest.raises(WorkflowError):
        approve_items(portal, ("links",))


def test_raw_script_onerror_and_javascript_url_never_reach_the_public_and_the_approver_is_told(
        portal: Path, monkeypatch) -> None:
    body = ("正文。\n\n<script>document.title='XSS-SCRIPT'</script>\n\n"
            '<img src="../theme/img/favicon.svg" alt="" onerror="alert(\'XSS-ONERROR\')">\n\n'
            "[点击](javascript:alert('XSS-JSURL'))\n\n"
            '<a href="JaVaScRiPt:alert(1)">b</a>\n')
    _write_bulletin(portal, "raw-html", body)
    report = check_items(portal, ["raw-html"]).report
    found = sorted((f.rule, f.severity, f.row) for f in report if f.item == "raw-html")
    assert found == [("bulletin-html-removed", "info", 11), ("bulletin-html-removed", "info", 13),
                     ("bulletin-link-unsafe", "error", 15), ("bulletin-link-unsafe", "error", 17)]
    _approve_without_markup_rules(portal, ("air-mini", "raw-html"), monkeypatch)
    result = build_site(portal)
    assert "raw-html" not in result.release.bulletins  # the unsafe links are errors in the build too
    _assert_nowhere(portal / "output", b"XSS-")


def test_script_and_event_handler_are_removed_from_a_published_bulletin(portal: Path) -> None:
    _write_bulletin(portal, "raw-html", "正文。\n\n<script>document.title='XSS-SCRIPT'</script>\n\n"
                                        '<img src="../theme/img/favicon.svg" alt="" onerror="XSS-ONERROR">\n')
    approve_items(portal, ("air-mini", "raw-html"))  # notes only
    build_site(portal)
    page = (portal / "output" / "bulletins" / "raw-html.html").read_text(encoding="utf-8")
    assert "XSS-" not in page and 'src="../theme/img/favicon.svg"' in page


EXTERNAL = [
    ("![pixel](https://tracker.example/p.gif?u=1)", "https://tracker.example/p.gif?u=1"),
    ('<img src="//tracker.example/p.gif" width="1" height="1">', "//tracker.example/p.gif"),
    ("![x][ref]\n\n[ref]: http://tracker.example/r.png", "http://tracker.example/r.png"),
]


@pytest.mark.parametrize("markdown,url", EXTERNAL)
def test_external_image_is_a_check_error_and_is_not_published(portal: Path, markdown: str, url: str,
                                                               monkeypatch) -> None:
    _write_bulletin(portal, "pixel", f"第一段。\n\n{markdown}\n")
    found = [f for f in check_items(portal, ["pixel"]).report if f.item == "pixel"]
    assert [(f.rule, f.severity, f.file) for f in found] == [
        ("bulletin-external-resource", "error", "content/bulletins/pixel.md")]
    assert found[0].row == 11 + markdown.count("\n")  # the line holding the address
    assert url in found[0].message_zh and "外部" in found[0].message_zh
    assert url in found[0].message_en and "another site" in found[0].message_en
    _approve_without_markup_rules(portal, ("air-mini", "pixel"), monkeypatch)
    build_site(portal)
    _assert_nowhere(portal / "output", b"tracker.example")


def test_external_image_is_removed_even_if_the_check_misses_it(portal: Path, monkeypatch) -> None:
    _write_bulletin(portal, "pixel", "![pixel](https://tracker.example/p.gif)\n\n[官网](https://www.mee.gov.cn/)\n")
    monkeypatch.setattr(rules_module, "FAMILIES",
                        tuple(f for f in rules_module.FAMILIES if not f.__name__.endswith("markup")))
    approve_items(portal, ("air-mini", "pixel"))
    build_site(portal)
    page = (portal / "output" / "bulletins" / "pixel.html").read_text(encoding="utf-8")
    assert "tracker.example" not in page
    assert 'href="https://www.mee.gov.cn/"' in page  # links to other sites stay: they load nothing


CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def test_every_html_page_of_a_built_site_carries_a_strict_csp(built_fixture: Path) -> None:
    pages = sorted(built_fixture.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        head = path.read_text(encoding="utf-8").split("</head>", 1)[0]
        match = CSP_META.search(head)
        assert match, f"{path} has no Content-Security-Policy"
        policy = {d.split()[0]: d.split()[1:] for d in html.unescape(match.group(1)).split(";") if d.strip()}
        assert policy["default-src"] == ["'none'"]
        assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"]  # Pagefind compiles WebAssembly
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
        assert "'unsafe-inline'" not in policy.get("style-src", []) and "'unsafe-eval'" not in policy["script-src"]
        assert head.index("Content-Security-Policy") < head.index("<link")  # before anything it governs


def test_the_documented_server_header_is_the_policy_the_pages_carry() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "portal.md").read_text(encoding="utf-8")
    assert f"```\n{CONTENT_SECURITY_POLICY}\n```" in doc
    assert f'Content-Security-Policy "{CONTENT_SECURITY_POLICY}; frame-ancestors \'none\'"' in doc


def test_preview_pages_carry_the_csp_too(approved_portal: Path) -> None:
    shutil.rmtree(approved_portal / "output", ignore_errors=True)
    preview = approved_portal / "var" / "previews" / "air-2025-01"
    build_preview(approved_portal, "air-2025-01", preview)
    assert CSP_META.search((preview / "bulletins" / "air-2025-01.html").read_text(encoding="utf-8"))
