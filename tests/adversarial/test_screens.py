"""Attacks on the privacy, banned-term and bidi screens: text that reads clean on the line the
screen looks at but decodes, on the public page, into a mobile number, a citizen ID number, an
e-mail address, a banned term or a direction override.

Two encodings do the decoding: YAML escapes in double-quoted scalars (``"\\u0031\\u0033..."``) in
``dataset.yaml`` and in front matter, and HTML character references (``&#49;``, ``&#x31;``,
``&commat;``) in a bulletin's Markdown, which the rendered page shows as the characters. The
screens must judge what the public sees: the decoded values and the rendered text.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import approve_items
from publisher.check import check_items
from publisher.site import build_site
from publisher.workflow import WorkflowError

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"  # the GB 11643-1999 example number
EMAIL = "wang.gong@example.com"
BANNED = "内部资料"  # in the fixture's privacy.banned_terms
RLO = "\u202e"


def _yaml_escaped(text: str) -> str:
    """``text`` as a double-quoted YAML scalar made only of ``\\uXXXX`` escapes."""
    return '"' + "".join(f"\\u{ord(c):04x}" for c in text) + '"'


def _references(text: str, style: str) -> str:
    """``text`` as HTML character references: decimal, hexadecimal or a named one where there is."""
    named = {"@": "&commat;", ".": "&period;"}
    if style == "named":
        return "".join(named.get(c, c) for c in text)
    return "".join(f"&#{ord(c)};" if style == "decimal" else f"&#x{ord(c):x};" for c in text)


def _public_text(output: Path) -> str:
    """Everything the site publishes as text, as a reader sees it: tags dropped (a page shows
    ``138<strong>1234</strong>5678`` as one number), entities and JSON escapes decoded."""
    parts = []
    for path in sorted(output.rglob("*")):
        if path.suffix not in {".html", ".xml", ".json", ".jsonld", ".md", ".txt", ".csv"} or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        parts.append(html.unescape(text))
        if path.suffix in {".html", ".xml"}:
            parts.append(html.unescape(re.sub(r"<[^>]*>", "", text)))
        if path.suffix in {".json", ".jsonld"}:
            parts.append(json.dumps(json.loads(text), ensure_ascii=False))
    return "\n".join(parts)


def _assert_never_published(portal: Path, item: str, needles: list[str]) -> None:
    """Approval is refused, and a build publishes none of ``needles`` anywhere."""
    with pytest.raises(WorkflowError, match="有检查错误"):
        approve_items(portal, (item,))
    approve_items(portal)
    build_site(portal)
    public = _public_text(portal / "output")
    assert "air-mini" in public  # the site was built
    assert [n for n in needles if n in public] == []


def _by_rule(result, item: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in result.report.for_item(item):
        out.setdefault(f.rule, []).append(f)
    return out


def test_personal_data_in_yaml_unicode_escapes_of_a_dataset_is_found_and_never_published(portal: Path) -> None:
    folder = portal / "content" / "datasets" / "air-escaped"
    shutil.copytree(portal / "content" / "datasets" / "air-mini", folder)
    meta = (folder / "dataset.yaml").read_text(encoding="utf-8").replace("id: air-mini", "id: air-escaped")
    meta = meta.replace("title: {zh: 测试市环境空气小时数据, en: Test city hourly air quality}",
                        f"title: {{zh: {_yaml_escaped('联系电话' + PHONE)}, en: Test city hourly air quality}}")
    meta = meta.replace('description: {zh: 两个站点两天的小时浓度。, en: "Two stations, two days of hourly concentrations."}',
                        f"description: {{zh: {_yaml_escaped('负责人身份证' + ID_NUMBER)}, "
                        f"en: {_yaml_escaped('Write to ' + EMAIL)}}}")
    meta = meta.replace("methodology: {zh: 自动监测。, en: Automatic monitoring.}",
                        f"methodology: {{zh: {_yaml_escaped('自动监测' + RLO + '。')}, en: Automatic monitoring.}}")
    meta = meta.replace("spatial: {description: {zh: 全市, en: Whole city}}",
                        f"spatial: {{description: {{zh: 全市, en: Whole city}}, {_yaml_escaped(BANNED)}: x}}")
    (folder / "dataset.yaml").write_text(meta, encoding="utf-8")
    assert PHONE not in meta and EMAIL not in meta and BANNED not in meta and RLO not in meta

    found = _by_rule(check_items(portal, ["air-escaped"]), "air-escaped")
    where = {rule: [(f.file, f.key, f.severity.value) for f in found.get(rule, [])] for rule in (
        "personal-phone-number", "personal-id-number", "personal-email", "invisible-character", "banned-term")}
    file = "content/datasets/air-escaped/dataset.yaml"
    assert where == {
        "personal-phone-number": [(file, "title.zh", "error")],
        "personal-id-number": [(file, "description.zh", "error")],
        "personal-email": [(file, "description.en", "error")],
        "invisible-character": [(file, "methodology.zh", "error")],
        "banned-term": [(file, f"spatial.{BANNED}", "error")],
    }
    assert ID_NUMBER not in found["personal-id-number"][0].message_zh  # masked, as on a line
    _assert_never_published(portal, "air-escaped", [PHONE, ID_NUMBER, EMAIL, "自动监测" + RLO])


def test_personal_data_in_yaml_escapes_of_a_bulletin_front_matter_is_found_and_never_published(portal: Path) -> None:
    bulletins = portal / "content" / "bulletins"
    text = (bulletins / "air-2025-01.md").read_text(encoding="utf-8").replace("<script>alert('x')</script>\n", "")
    text = text.replace("title: 2025年1月上旬测试市空气质量", f"title: {_yaml_escaped('咨询' + PHONE)}")
    text = text.replace("summary: 1月1日至2日空气质量总体良好。",
                        f"summary: {_yaml_escaped('总体良好' + RLO + '，详见' + BANNED)}")
    (bulletins / "notice-escaped.md").write_text(text, encoding="utf-8")
    english = (bulletins / "air-2025-01.en.md").read_text(encoding="utf-8")
    english = english.replace(english.split("\n")[1], f"title: {_yaml_escaped('Ask ' + EMAIL)}", 1)
    (bulletins / "notice-escaped.en.md").write_text(english, encoding="utf-8")

    found = _by_rule(check_items(portal, ["notice-escaped"]), "notice-escaped")
    zh, en = "content/bulletins/notice-escaped.md", "content/bulletins/notice-escaped.en.md"
    assert [(f.file, f.key) for f in found.get("personal-phone-number", [])] == [(zh, "title")]
    assert [(f.file, f.key) for f in found.get("invisible-character", [])] == [(zh, "summary")]
    assert [(f.file, f.key) for f in found.get("banned-term", [])] == [(zh, "summary")]
    assert [(f.file, f.key) for f in found.get("personal-email", [])] == [(en, "title")]
    _assert_never_published(portal, "notice-escaped", [PHONE, EMAIL, "总体良好" + RLO, "详见" + BANNED])


@pytest.mark.parametrize("style", ["decimal", "hexadecimal", "named"])
def test_personal_data_in_html_character_references_of_a_bulletin_is_found_and_never_published(
        portal: Path, style: str) -> None:
    bulletins = portal / "content" / "bulletins"
    text = (bulletins / "air-2025-01.md").read_text(encoding="utf-8").replace("<script>alert('x')</script>\n", "")
    numbers = style if style != "named" else "decimal"  # digits have no names
    body = (f"联系电话：{_references(PHONE, numbers)}\n\n"
            f"身份证号：{_references(ID_NUMBER, numbers)}\n\n"
            f"来信请寄 {_references(EMAIL, style)}\n\n"
            f"本页为{_references(BANNED, numbers)}，{_references(RLO, numbers)}倒序\n")
    (bulletins / "notice-entities.md").write_text(text + "\n" + body, encoding="utf-8")
    assert PHONE not in body and ID_NUMBER not in body and EMAIL not in body and BANNED not in body

    found = _by_rule(check_items(portal, ["notice-entities"]), "notice-entities")
    first = text.count("\n") + 2  # the line of the phone number
    file = "content/bulletins/notice-entities.md"
    assert {rule: [(f.file, f.row) for f in found.get(rule, [])] for rule in (
        "personal-phone-number", "personal-id-number", "personal-email", "banned-term", "invisible-character")} == {
        "personal-phone-number": [(file, first)],
        "personal-id-number": [(file, first + 2)],
        "personal-email": [(file, first + 4)],
        "banned-term": [(file, first + 6)],
        "invisible-character": [(file, first + 6)],
    }
    _assert_never_published(portal, "notice-entities", [PHONE, ID_NUMBER, EMAIL, "本页为" + BANNED, RLO + "倒序"])


def test_personal_data_split_by_markdown_emphasis_is_found_in_the_rendered_text(portal: Path) -> None:
    """``138**1234**5678`` is no number on its line; the page shows 13812345678."""
    bulletins = portal / "content" / "bulletins"
    text = (bulletins / "air-2025-01.md").read_text(encoding="utf-8").replace("<script>alert('x')</script>\n", "")
    (bulletins / "notice-emphasis.md").write_text(text + "\n联系电话：138**1234**5678\n", encoding="utf-8")
    found = _by_rule(check_items(portal, ["notice-emphasis"]), "notice-emphasis")
    assert [(f.file, f.key) for f in found.get("personal-phone-number", [])] == [
        ("content/bulletins/notice-emphasis.md", "body")]
    _assert_never_published(portal, "notice-emphasis", [PHONE])
