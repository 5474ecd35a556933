"""Markup: what a bulletin's Markdown and raw HTML may put on a public page (``publisher/markup.py``).

Example: bulletin ``air-2025-10`` embeds a tracking pixel on line 14::

    content/bulletins/air-2025-10.md:14: error [bulletin-external-resource]
      图片等嵌入资源 'https://tracker.example/p.gif' 来自外部网站……

Rules: ``bulletin-file-link``, ``bulletin-external-resource``, ``bulletin-link-unsafe`` (errors),
``bulletin-html-removed`` (a note: the tag or attribute is removed from the public page, so the
public never sees more than was approved; the console and ``publisher check`` show it).
"""

from __future__ import annotations

import html
from pathlib import Path

from ..content import split_front_matter
from ..markup import ALLOWED_TAGS, MarkupProblem, markup_problems
from ..report import Finding, error, info
from ..yamlio import relpath
from .base import ItemContext


def check_item(ctx: ItemContext) -> list[Finding]:
    """Every tag, attribute and address of the bulletin's Chinese and English text."""
    bulletin = ctx.bulletin
    if bulletin is None:
        return []
    out: list[Finding] = []
    for path, body in ((bulletin.path, bulletin.body_zh), (bulletin.en_path, bulletin.body_en)):
        if path is None or body is None:
            continue
        file = relpath(path, ctx.content.root)
        lines = _Lines(path, body)
        for problem in markup_problems(body):
            out.append(_finding(problem, item=bulletin.id, file=file, row=lines.find(problem)))
    return out


def _finding(p: MarkupProblem, **where: object) -> Finding:
    if p.kind == "file-link":
        return error(
            "bulletin-file-link",
            f"地址 '{p.value}' 使用了站内文件引用语法（{{attach}}、{{static}}、{{filename}} 等）：公报不能引用或复制任何文件，"
            "图表请用 [[chart: 数据集编号/图表编号]]，数据请链接数据集页面",
            f"the address '{p.value}' uses the site's file-link syntax ({{attach}}, {{static}}, {{filename}} ...): a "
            "bulletin cannot link or copy any file; embed charts with [[chart: dataset-id/chart-id]] and link the "
            "dataset's page for data", **where)
    if p.kind == "external-resource":
        return error(
            "bulletin-external-resource",
            f"<{p.tag}> 的嵌入资源 '{p.value}' 来自外部网站：公开页面只能显示本网站自己的内容（外部图片可追踪读者，"
            "批准后也可能被更换）；请删除，或改为普通链接",
            f"the <{p.tag}> embeds '{p.value}' from another site: public pages show only the site's own content "
            "(an outside image can track readers and can change after approval); remove it or make it a plain link",
            **where)
    if p.kind == "unsafe-link":
        return error(
            "bulletin-link-unsafe",
            f"链接 '{p.value}' 不是 http、https 或 mailto 地址，不能发布",
            f"the link '{p.value}' is not an http, https or mailto address and cannot be published", **where)
    what_zh = f"HTML 标签 <{p.tag}>" if p.attribute is None else f"<{p.tag}> 的属性 '{p.attribute}'"
    what_en = f"the HTML tag <{p.tag}>" if p.attribute is None else f"the attribute '{p.attribute}' of <{p.tag}>"
    allowed = ", ".join(sorted(ALLOWED_TAGS))
    return info(
        "bulletin-html-removed",
        f"{what_zh} 不在允许范围内，公开页面上会被删除（脚本、样式和事件属性一律删除）；允许的标签：{allowed}",
        f"{what_en} is not allowed and is removed from the public page (scripts, styles and event handlers "
        f"always are); allowed tags: {allowed}", **where)


class _Lines:
    """Finds the file line a problem was written on: the first line, not yet used by a problem
    with the same text, that holds its address (or its tag or attribute name)."""

    def __init__(self, path: Path, body: str) -> None:
        try:
            text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        except (OSError, UnicodeDecodeError):
            text = body
        _, file_body = split_front_matter(text)
        self.first = text[: len(text) - len(file_body)].count("\n") + 1
        self.lines = [line.lower() for line in file_body.split("\n")]
        self.used: dict[str, int] = {}

    def find(self, p: MarkupProblem) -> int:
        if p.attribute is None:
            needles = [f"<{p.tag}"]
        elif p.kind == "removed":
            needles = [f"{p.attribute}="]
        else:
            needles = [p.value, html.escape(p.value, quote=False), html.escape(p.value)]
        for needle in needles:
            needle = needle.lower()
            if not needle:
                continue
            start = self.used.get(needle, 0)
            for i in range(start, len(self.lines)):
                if needle in self.lines[i]:
                    self.used[needle] = i + 1
                    return self.first + i
        return self.first
