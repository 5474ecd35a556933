"""What a bulletin's Markdown may become on the public site: one allowlist and one address policy.

The check (``publisher/rules/markup.py``) and the renderer (``publisher/pelican_plugin.py``) use
the same definitions, so what the check lets through is exactly what the page shows:

- HTML tags and attributes outside :data:`ALLOWED_TAGS` / :data:`ALLOWED_ATTRIBUTES` are removed
  (the check warns, so the approver knows);
- an address in Pelican's intra-site link syntax (``{attach}``, ``{static}``, ``{filename}``,
  ``|attach|``, ``{index}`` …) is removed: Pelican would copy the file it names into the site,
  and a bulletin owns no files but its own Markdown (the check refuses it);
- an embedded resource (an image) must come from the site itself: another host could track
  readers or change what they see after approval (the check refuses it);
- a link may go to another site over http(s) or mailto, never ``javascript:``, ``data:`` and the
  like (the check refuses them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
    "th": {"scope", "colspan", "rowspan"}, "td": {"colspan", "rowspan"},
    "div": {"class", "data-chart"}, "span": {"class"}, "abbr": {"title"},
}
#: Attributes that make the browser fetch something as the page loads.
EMBED_ATTRIBUTES = {"src", "srcset", "poster", "data", "background", "lowsrc", "dynsrc", "xlink:href"}
#: Attributes holding an address (Pelican rewrites intra-site links in all of these).
URL_ATTRIBUTES = EMBED_ATTRIBUTES | {"href", "cite", "action", "formaction", "longdesc", "content", "codebase"}
LINK_SCHEMES = {"http", "https", "mailto"}
MARKDOWN_EXTENSIONS = ["tables", "sane_lists", "attr_list"]

# Browsers drop tabs and newlines anywhere in an address and spaces and controls around it.
_IGNORED_IN_URL = re.compile(r"[\t\n\r]")
_SPACE_AND_CONTROLS = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Pelican looks for intra-site links anywhere inside a tag, so a quote inside another attribute's
# value (alt="x src='{attach}…'") would smuggle one past a check of the URL attributes alone.
_HIDDEN_FILE_LINK = re.compile(r"""(?:href|src|poster|data|cite|formaction|action|content)\s*=\s*["'][{|]""", re.I)
# The tables extension writes column alignment as a style; harmless, so not reported.
_TABLE_ALIGN = re.compile(r"^text-align: (left|right|center);$")


@dataclass(frozen=True)
class MarkupProblem:
    """One thing in a bulletin's HTML the public page will not carry as written."""

    kind: str  # "file-link", "external-resource", "unsafe-link" or "removed"
    tag: str
    attribute: str | None  # None: the tag itself
    value: str  # the address, or the attribute's value


def url_problem(tag: str, attribute: str, value: str) -> str | None:
    """Why ``value`` of ``tag``'s ``attribute`` may not be published (a bad address, or a file link
    hidden in another attribute), or None."""
    if attribute not in URL_ATTRIBUTES:
        return "file-link" if _HIDDEN_FILE_LINK.search(value) else None
    url = _SPACE_AND_CONTROLS.sub("", _IGNORED_IN_URL.sub("", value))
    if url[:1] in ("{", "|"):
        return "file-link"  # Pelican's INTRASITE_LINK_REGEX: [{|](?P<what>.*?)[|}]
    scheme = _SCHEME.match(url)
    other_host = scheme is not None or url.replace("\\", "/").startswith("//")
    if attribute in EMBED_ATTRIBUTES:
        return "external-resource" if other_host else None
    if scheme is not None and scheme.group(1).lower() not in LINK_SCHEMES:
        return "unsafe-link"
    return None


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    return None if url_problem(tag, attribute, value) is not None else value


def markdown_html(body: str) -> str:
    """The Markdown as HTML, before anything is removed."""
    return markdown.markdown(body, extensions=MARKDOWN_EXTENSIONS, output_format="html")


def sanitize(html: str) -> str:
    """``html`` with only the allowed tags and attributes, and only the allowed addresses."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, attribute_filter=_attribute_filter,
                     link_rel="noopener noreferrer")


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[MarkupProblem] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(MarkupProblem("removed", tag, None, ""))
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, raw in attrs:
            value = raw or ""
            kind = url_problem(tag, name, value)
            if kind is not None:
                self.problems.append(MarkupProblem(kind, tag, name, value))
            elif tag in ALLOWED_TAGS and name not in allowed and not (
                    tag in ("th", "td") and name == "style" and _TABLE_ALIGN.match(value)):
                self.problems.append(MarkupProblem("removed", tag, name, value))

    handle_startendtag = handle_starttag


def markup_problems(body: str) -> list[MarkupProblem]:
    """Everything in the Markdown ``body`` the public page will not carry as written, in order."""
    inspector = _Inspector()
    inspector.feed(markdown_html(body))
    inspector.close()
    return inspector.problems
