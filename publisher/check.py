"""``publisher check``: the one function that says what is wrong with the content.

:func:`check_items` is what the command line, the build and the approval workflow call. It loads
the rules (a broken rules file raises :class:`~publisher.config.ConfigError`), loads the
content, runs every rule family of :mod:`publisher.rules` over every item (or the ones named)
and returns the findings in one :class:`~publisher.report.Report`. A finding never stops the
check; repeated findings are capped per rule and file (``report.max_findings_per_rule``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING, Any

from .cache import BuildCache
from .config import Rules, load_rules
from .content import REGISTRY_ID, Content, Dataset, Resource, load_content
from .memory import give_back
from .report import Finding, Report

if TYPE_CHECKING:
    from .rules.base import ItemContext

# The rule families (pandas, pyarrow) are imported by the functions that run them, so that a
# command with nothing to check (a build that finds the site unchanged) starts quickly.


class UnknownItemError(LookupError):
    """``check_items`` was asked for items that do not exist."""

    def __init__(self, items: list[str]) -> None:
        self.items = items
        super().__init__(", ".join(items))


@dataclass
class CheckResult:
    """What one check run found: the rules and content it read, and the report."""

    root: Path
    rules: Rules
    content: Content
    report: Report
    items: list[str] = field(default_factory=list)  # the items checked, in order

    @property
    def ok(self) -> bool:
        return self.report.ok

    def findings_for(self, item: str) -> list[Finding]:
        return self.report.for_item(item)


def check_items(root: Path, items: list[str] | None = None) -> CheckResult:
    """Check the items named (all when ``items`` is empty or None) of the project at ``root``.

    Raises :class:`ConfigError` for a broken rules file and :class:`UnknownItemError` for an
    item id that is not in ``content/``; every other problem is a finding in the report.
    """
    root = Path(root).resolve()
    rules = load_rules(root)
    content = load_content(root)
    selected = list(dict.fromkeys(items or []))
    unknown = [i for i in selected if content.item(i) is None]
    if unknown:
        raise UnknownItemError(unknown)
    report = check_content(rules, content, selected or None)
    if not selected or REGISTRY_ID in selected:
        from .workflow import registry_changes  # the workflow imports this module

        report.extend(registry_changes(root, rules, content))
    checked = selected or [i.id for i in content.items()]
    return CheckResult(root, rules, content, report, checked)


def check_content(rules: Rules, content: Content, items: Iterable[str] | None = None,
                  cache: BuildCache | None = None, keys: dict[str, str] | None = None) -> Report:
    """Every finding about the content (or the ``items`` named): the rules file's warnings, the
    loading findings and the release rules' findings. The build and the workflow ask this too.
    ``cache``/``keys``: see :func:`run_rules`."""
    selected = list(items) if items is not None else None
    wanted = set(selected) if selected is not None else None
    report = Report(list(rules.findings))
    report.extend(f for f in content.findings if wanted is None or f.item is None or f.item in wanted)
    report.extend(run_rules(rules, content, selected, cache, keys))
    return report


def run_rules(rules: Rules, content: Content, items: Iterable[str] | None = None,
              cache: BuildCache | None = None, keys: dict[str, str] | None = None) -> list[Finding]:
    """Every rule family over the content (loading findings are not repeated here).

    With a ``cache`` (the build's), an item with a key in ``keys`` (the digest of everything its
    rules read: its bytes, the rules, the registry...) takes its findings from the cache when
    they were stored under that key, and stores them otherwise. Findings are capped per item,
    file and rule either way, so the findings are the same; only their order may differ."""
    from .rules import FAMILIES
    from .rules.base import Emitter, ItemContext

    wanted = set(items) if items is not None else None
    out = Emitter(rules.max_findings_per_rule)
    if wanted is None:
        for family in FAMILIES:
            if hasattr(family, "check_project"):
                out.extend(family.check_project(rules, content))
    found: list[Finding] = []
    for item in content.items():
        if wanted is not None and item.id not in wanted:
            continue
        key = (keys or {}).get(item.id) if cache is not None else None
        if key is None:
            _check_item(ItemContext(rules, content, item, out))
            _give_back_after(item)
            continue
        hit, stored = cache.get("check", key)
        if not hit:
            own = Emitter(rules.max_findings_per_rule)
            _check_item(ItemContext(rules, content, item, own))
            _give_back_after(item)
            stored = own.result()
            cache.put("check", key, stored)
        found.extend(stored)
    return out.result() + found


_BIG_ITEM = 64 << 20  # bytes of data files after which a check gives its memory back at once


def _give_back_after(item: Any) -> None:
    """After a big dataset's check, its tables are let go before the next item is read
    (``publisher.memory``); small items are not worth a collection each."""
    if isinstance(item, Dataset) and sum(r.path.stat().st_size for r in item.resources
                                         if r.path.is_file()) > _BIG_ITEM:
        give_back()


def _check_item(ctx: ItemContext) -> None:
    from .rules import FAMILIES

    for family in FAMILIES:
        if hasattr(family, "check_item"):
            ctx.out.extend(family.check_item(ctx) or [])
    if isinstance(ctx.item, Dataset):
        for resource in ctx.item.resources:
            if resource.path.is_file():
                check_resource(ctx, resource)


def check_resource(ctx: ItemContext, resource: Resource) -> None:
    """Read one data file and run the families that look at rows."""
    import pyarrow as pa

    from .csvread import read_csv
    from .rules import FAMILIES
    from .rules.base import TIMESTAMP, ResourceData

    types: dict[str, pa.DataType] = {}
    for f in resource.fields:
        if f.type == "number":
            types[f.name] = pa.float64()
        elif f.type == "integer":
            types[f.name] = pa.int64()
        elif f.type == "datetime":
            types[f.name] = TIMESTAMP
    table = read_csv(resource.path, ctx.content.root, item=ctx.item_id, types=types,
                     missing_values=resource.missing_values, max_field_chars=ctx.rules.max_field_chars)
    ctx.out.extend(table.findings)
    if not table.readable:
        return
    data = ResourceData(resource, table, timezone=ctx.rules.site.timezone)
    for family in FAMILIES:
        if hasattr(family, "check_resource"):
            ctx.out.extend(family.check_resource(ctx, data) or [])
