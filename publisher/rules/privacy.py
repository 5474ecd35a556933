"""Privacy and safety: nothing personal, nothing executable, nothing hidden in what is published.

Checked in every text cell of every data file, in ``dataset.yaml`` and in bulletins (Chinese and
English): resident identity card numbers (18 digits whose GB 11643-1999 check digit is right
and whose birth date is a date), mainland mobile numbers, e-mail addresses, invisible or
bidirectional-override characters, and the banned terms of the rules. In data files only (never
numeric columns, never Markdown), and in the ``dataset.yaml`` texts that become cells of the
XLSX download: text that a spreadsheet would run as a formula.

The screens judge what the public sees, not only what the file says: each metadata and bulletin
file is read line by line as written, then every string of its decoded YAML (keys included, so
``"\\u0031\\u0033..."`` is read as the digits it stands for, and with HTML character references
decoded too), and each bulletin body as the build renders it (Markdown to HTML, then its text and
attributes with the entities decoded: ``&#49;``, ``&#x31;``, ``&commat;``, ``138**1234**5678``).
A finding of the decoded text that the lines did not show names its YAML key (or ``body`` and,
where one line shows it, the row).

Example: bulletin ``notice-sampling-2025-12`` gives a staff member's mobile number on line 14::

    content/bulletins/notice-sampling-2025-12.md:14: error [personal-phone-number]
      含有手机号码 139****5678：个人联系方式不得公开，请改用单位电话

Rules: ``personal-id-number``, ``personal-phone-number``, ``personal-email``,
``formula-trigger``, ``invisible-character``, ``banned-term``, ``sensitive-column-dropped``,
``sensitive-column-blocks``, ``sensitive-column-shown``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..cells import FORMULA_STARTS
from ..content import split_front_matter
from ..report import Finding, Severity, error, info
from ..yamlio import relpath
from .base import ItemContext, ResourceData

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[0-9Xx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9](?:[- ]?[0-9]{4}){2})(?![0-9])")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
FORMULA_START = FORMULA_STARTS  # one definition, shared with the download writers
# The dataset.yaml texts written into cells of the XLSX download (data dictionary and metadata
# sheets). Column names and missing-value tokens, which are written into every download as they
# are, are the loader's (``column-name-invalid``, ``missing-value-invalid``).
SPREADSHEET_KEYS = re.compile(
    r"(title|resources\[\d+\]\.title|resources\[\d+\]\.schema\.fields\[\d+\]\.(title|description|unit))"
    r"(\.(zh|en))?")
# RE2 (Arrow) pre-filter: a cell can only be a finding if it matches this; Python checks the rest.
PREFILTER = (r"[0-9]{11}|[0-9]{3}[- ][0-9]{4}[- ][0-9]{4}|@|^[=+\-@\t\r＝＋－＠]"
             r"|[\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}\x{FEFF}]")


def id_number_valid(number: str) -> bool:
    """GB 11643-1999: the check character of an 18-digit citizen identity number, and its birth date."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= 2100:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS))
    return ID_CHECK[total % 11] == number[17].upper()


def _mask(text: str) -> str:
    return text[:3] + "*" * max(len(text) - 7, 4) + text[-4:] if len(text) > 7 else "****"


def scan_text(text: str, banned: list[str], allowed: set[str]) -> Iterator[tuple[str, str, str]]:
    """(rule, zh, en) for every problem in one piece of text (a cell or a line)."""
    for m in ID_NUMBER.finditer(text):
        if id_number_valid(m.group(1)) and m.group(1) not in allowed:
            shown = _mask(m.group(1))
            yield ("personal-id-number", f"含有居民身份证号码 {shown}：个人信息不得公开",
                   f"contains a resident identity card number {shown}: personal data must not be published")
    for m in MOBILE.finditer(text):
        digits = re.sub(r"[^0-9]", "", m.group(1))
        if m.group(0) in allowed or m.group(1) in allowed or digits in allowed:
            continue
        shown = _mask(digits)
        yield ("personal-phone-number", f"含有手机号码 {shown}：个人联系方式不得公开，请改用单位电话",
               f"contains a mobile number {shown}: personal contact details must not be published; "
               "give the office's number instead")
    for m in EMAIL.finditer(text):
        if m.group(0).lower() in allowed:
            continue
        yield ("personal-email", f"含有电子邮箱 {m.group(0)}：如非单位公开邮箱请删除（公开邮箱列入 privacy.allowed_contacts）",
               f"contains the e-mail address {m.group(0)}: remove it unless it is the office's public "
               "address (list those in privacy.allowed_contacts)")
    m = INVISIBLE.search(text)
    if m:
        code = f"U+{ord(m.group(0)):04X}"
        yield ("invisible-character", f"含有不可见或改变文字方向的字符 {code}：它可能隐藏或颠倒内容，请删除",
               f"contains the invisible or direction-changing character {code}, which can hide or reverse "
               "text; remove it")
    for term in banned:
        if term in text:
            yield ("banned-term", f"含有禁用词「{term}」（见 release_rules.yaml 的 privacy.banned_terms）",
                   f"contains the banned term '{term}' (see privacy.banned_terms in release_rules.yaml)")


def _formula(text: str) -> tuple[str, str, str] | None:
    if text.startswith(FORMULA_START):
        return ("formula-trigger",
                f"单元格以「{text[0]!r}」开头，电子表格会把它当作公式执行：请删去该字符或在前面加单引号说明",
                f"the cell starts with {text[0]!r}, which a spreadsheet runs as a formula; remove the character")
    return None


def check_item(ctx: ItemContext) -> list:
    """Scan the item's own text files line by line, then as the public reads them (decoded YAML,
    rendered bulletins); note sensitive columns."""
    rules = ctx.rules
    out: list[Finding] = []
    banned = rules.privacy.banned_terms
    allowed = {c.lower() for c in rules.privacy.allowed_contacts} | set(rules.privacy.allowed_contacts)
    files: list[Path] = []
    if ctx.bulletin is not None:
        files = ctx.bulletin.files()
    elif ctx.dataset is not None:
        files = [ctx.dataset.folder / "dataset.yaml"]
        for i, res in enumerate(ctx.dataset.resources):
            for j, f in enumerate(res.fields):
                if not f.sensitive:
                    continue
                where = {"item": ctx.item_id, "file": ctx.meta_file, "column": f.name,
                         "key": f"resources[{i}].schema.fields[{j}].sensitive"}
                if rules.privacy.sensitive_columns == "block":
                    out.append(error("sensitive-column-blocks",
                                     f"列 '{f.name}' 标为敏感（sensitive），按规则（privacy.sensitive_columns: block）不能发布：请从文件中删除该列",
                                     f"the column '{f.name}' is marked sensitive and the rules "
                                     "(privacy.sensitive_columns: block) forbid releasing it: remove it from the file",
                                     **where))
                else:
                    out.append(info("sensitive-column-dropped",
                                    f"列 '{f.name}' 标为敏感（sensitive），公开的文件和页面中会删去该列",
                                    f"the column '{f.name}' is marked sensitive and is dropped from everything public",
                                    **where))
        out += _charted_sensitive(ctx)
    seen: dict[str, set[tuple[str, str]]] = {}  # file -> (rule, message) already reported
    texts: dict[str, str] = {}
    for path in files:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue  # the loader has reported it
        rel = relpath(path, ctx.content.root)
        texts[rel] = text
        for number, line in enumerate(text.splitlines(), start=1):
            for rule, zh, en in scan_text(line, banned, allowed):
                out.append(error(rule, zh, en, item=ctx.item_id, file=rel, row=number))
                seen.setdefault(rel, set()).add((rule, zh))

    def decoded(rel: str, problems: Iterable[tuple[str, str, str]], **where: Any) -> None:
        """Findings of decoded text, each once per file and not again when a line showed it."""
        done = seen.setdefault(rel, set())
        for rule, zh, en in problems:
            if (rule, zh) not in done:
                done.add((rule, zh))
                out.append(error(rule, zh, en, item=ctx.item_id, file=rel, **where))

    if ctx.dataset is not None:
        for key, value in yaml_strings(ctx.dataset.meta):
            problems = list(scan_decoded(value, banned, allowed))
            formula = _formula(value) if SPREADSHEET_KEYS.fullmatch(key) else None
            decoded(ctx.meta_file, problems + ([formula] if formula else []), key=key)
    if ctx.bulletin is not None:
        b = ctx.bulletin
        figures = b.meta.get("figures")
        for path, meta, body, lang in ((b.path, b.meta, b.body_zh, "zh"), (b.en_path, b.en_meta, b.body_en, "en")):
            if path is None:
                continue
            rel = relpath(path, ctx.content.root)
            for key, value in yaml_strings(meta):
                decoded(rel, scan_decoded(value, banned, allowed), key=key)
            if body is None:
                continue
            for rule, zh, en in scan_text(rendered_text(body, figures, lang), banned, allowed):
                if (rule, zh) not in seen.setdefault(rel, set()):
                    row = _line_showing(texts.get(rel, ""), rule, zh, banned, allowed, figures, lang)
                    decoded(rel, [(rule, zh, en)], key="body", row=row)
    return out


#: chart keys that name a column of the chart's resource (``options.filter`` names them as its keys)
CHART_COLUMN_KEYS = ("x", "y", "group", "options.split", "options.limit", "options.filter")


def _charted_sensitive(ctx: ItemContext) -> list[Finding]:
    """A chart that names a sensitive column: an error naming the chart's key. The reader of
    released data drops such columns anyway (``charts.read_resource``), so the chart could only
    fail or show nothing; the submitter learns it here, before approval."""
    out: list[Finding] = []
    charts = ctx.dataset.meta.get("charts")
    for i, raw in enumerate(charts if isinstance(charts, list) else []):
        if not isinstance(raw, dict):
            continue
        resource = ctx.dataset.resource(str(raw.get("resource") or ""))
        if resource is None:
            continue  # the loader has reported it
        sensitive = {f.name for f in resource.fields if f.sensitive}
        options = raw.get("options") if isinstance(raw.get("options"), dict) else {}
        named = {"x": raw.get("x"), "y": raw.get("y"), "group": raw.get("group"),
                 "options.split": options.get("split"), "options.limit": options.get("limit"),
                 "options.filter": list(options["filter"]) if isinstance(options.get("filter"), dict) else None}
        for key in CHART_COLUMN_KEYS:
            value = named[key]
            for column in dict.fromkeys(str(v) for v in (value if isinstance(value, list) else [value]) if v is not None):
                if column in sensitive:
                    out.append(error("sensitive-column-shown",
                                     f"图表 '{raw.get('id')}' 用到了标为敏感（sensitive）的列 '{column}'（charts[{i}].{key}）："
                                     "敏感列不公开，请从图表中删去该列",
                                     f"the chart '{raw.get('id')}' uses the column '{column}', which is marked sensitive "
                                     f"(charts[{i}].{key}); sensitive columns are never public: take it out of the chart",
                                     item=ctx.item_id, file=ctx.meta_file, column=column, key=f"charts[{i}].{key}"))
    return out


def yaml_strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string of a decoded YAML document, keys included, with its dotted key: what the
    portal shows once the YAML escapes are decoded. Numbers are given as the text shown."""
    if isinstance(value, dict):
        for name, item in value.items():
            path = f"{key}.{name}" if key else str(name)
            yield path, str(name)
            yield from yaml_strings(item, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from yaml_strings(item, f"{key}[{i}]")
    elif isinstance(value, str):
        yield key, value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield key, str(value)


def scan_decoded(text: str, banned: list[str], allowed: set[str]) -> Iterator[tuple[str, str, str]]:
    """:func:`scan_text` of a metadata string, and of it with HTML character references decoded
    (a feed reader, a Markdown viewer of the README, decode them once more)."""
    yield from scan_text(text, banned, allowed)
    unescaped = html.unescape(text)
    if unescaped != text:
        yield from scan_text(unescaped, banned, allowed)


class _PageText(HTMLParser):
    """The text a reader sees in an HTML fragment, entities decoded; attribute values (link
    targets, titles, alt texts) one per line after it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes.extend(v for _, v in attrs if v)

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def html_text(fragment: str) -> str:
    """The text of an HTML fragment as a reader sees it (tags dropped, entities decoded)."""
    parser = _PageText()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.data) + "\n" + "\n".join(parser.attributes)


def rendered_text(body: str, figures: Any, lang: str) -> str:
    """A bulletin body as its public page shows it: rendered the way the build renders it."""
    from ..pelican_plugin import render_markdown  # Markdown and nh3 only when a bulletin is checked

    return html_text(render_markdown(body, figures, lang))


def _line_showing(text: str, rule: str, zh: str, banned: list[str], allowed: set[str], figures: Any,
                  lang: str) -> int | None:
    """The line of the file whose rendered text alone gives this finding, if one does."""
    front, body = split_front_matter(text)
    normalised = text.replace("\r\n", "\n")
    first = normalised[:len(normalised) - len(body)].count("\n") + 1 if front is not None else 1
    for number, line in enumerate(body.split("\n"), start=first):
        if line.strip() and any(r == rule and z == zh for r, z, _ in
                                scan_text(rendered_text(line, figures, lang), banned, allowed)):
            return number
    return None


def check_resource(ctx: ItemContext, data: ResourceData) -> list:
    """Every text column, by its distinct values: RE2 pre-filter, then exact checks in Python."""
    rules = ctx.rules
    banned = rules.privacy.banned_terms
    allowed = {c.lower() for c in rules.privacy.allowed_contacts} | set(rules.privacy.allowed_contacts)
    prefilter = PREFILTER + "".join("|" + _re2_literal(t) for t in banned)
    sensitive = {f.name for f in data.resource.fields if f.sensitive}
    for name in data.text_columns():
        if name in sensitive:
            continue  # dropped from public output, or blocking the release already
        col = data.raw(name)
        if col is None or not pa.types.is_string(col.type):
            continue
        distinct = data.distinct(name)
        hits = pc.match_substring_regex(distinct, prefilter).fill_null(False)
        candidates = pc.filter(distinct, hits).to_pylist()
        if not candidates:
            continue
        by_rule: dict[str, dict[str, tuple[str, str]]] = {}
        for value in candidates:
            problems = list(scan_text(value, banned, allowed))
            formula = _formula(value)
            if formula:
                problems.append(formula)
            for rule, zh, en in problems:
                by_rule.setdefault(rule, {}).setdefault(value, (zh, en))
        for rule, messages in by_rule.items():
            mask = pc.is_in(col, value_set=pa.array(list(messages), pa.string())).fill_null(False)
            rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
            ctx.out.rows(rule, Severity.ERROR, rows,
                         lambda r, m=messages, c=col: m[c[r].as_py()][0],
                         lambda r, m=messages, c=col: m[c[r].as_py()][1],
                         table=data.table, item=ctx.item_id, column=name)
    return []


def _re2_literal(term: str) -> str:
    return "".join("\\" + ch if ch in r"\.^$|?*+()[]{}" else ch for ch in term)
