"""Findings and reports: what every check and loader returns instead of raising.

A :class:`Finding` is one result of one rule at one place (file, row, column, key). A
:class:`Report` gathers all of them so a user sees every problem in one run; the command line's
exit code follows from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from enum import Enum


class Severity(str, Enum):
    """How much a finding matters for release."""

    ERROR = "error"  # blocks release
    WARNING = "warning"  # must be acknowledged at approval
    INFO = "info"

    @property
    def label_zh(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]


@dataclass(frozen=True)
class Finding:
    """One problem (or note) found by one rule at one place."""

    rule: str  # stable kebab-case id, e.g. "unit-not-allowed"
    severity: Severity
    message_zh: str
    message_en: str
    item: str | None = None  # the item id the finding belongs to
    file: str | None = None  # path relative to the project root
    row: int | None = None  # 1-based line number in the file (header is line 1)
    column: str | None = None  # column name
    key: str | None = None  # dotted key in a YAML file, e.g. "resources[0].schema"

    @property
    def location(self) -> str:
        """``file:row, column 'c', key k`` with whatever parts apply."""
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.row}" if self.row is not None else ""))
        elif self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.key:
            parts.append(self.key)
        return ", ".join(parts)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def line(self) -> str:
        """One line for a terminal: location, rule, both languages."""
        where = f"{self.location}: " if self.location else ""
        return (
            f"{where}{self.severity.value} [{self.rule}] {self.message_zh} / {self.message_en}"
        )


def error(rule: str, zh: str, en: str, **where) -> Finding:
    """Shorthand for an error finding."""
    return Finding(rule, Severity.ERROR, zh, en, **where)


def warning(rule: str, zh: str, en: str, **where) -> Finding:
    """Shorthand for a warning finding."""
    return Finding(rule, Severity.WARNING, zh, en, **where)


def info(rule: str, zh: str, en: str, **where) -> Finding:
    """Shorthand for an informational finding."""
    return Finding(rule, Severity.INFO, zh, en, **where)


@dataclass
class Report:
    """Every finding of one run, in the order they were found."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when nothing blocks: no error findings."""
        return not self.errors

    def for_item(self, item: str) -> list[Finding]:
        return [f for f in self.findings if f.item == item]

    def by_item(self) -> dict[str | None, list[Finding]]:
        grouped: dict[str | None, list[Finding]] = {}
        for f in self.findings:
            grouped.setdefault(f.item, []).append(f)
        return grouped

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for f in self.findings if f.severity is s) for s in Severity}

    def to_json(self) -> str:
        return json.dumps(
            {"ok": self.ok, "counts": self.counts(), "findings": [f.to_dict() for f in self.findings]},
            ensure_ascii=False,
            indent=2,
        )

    def to_text(self, items: Iterable[str] = ()) -> str:
        """A report a press officer can read: grouped by item, Chinese first.

        ``items`` lists the items that were checked, so those with no findings are shown as
        passing too.
        """
        grouped = self.by_item()
        lines: list[str] = []
        names = list(dict.fromkeys([*items, *grouped]))
        for name in names:
            found = grouped.get(name, [])
            title = name if name is not None else "项目配置 / project"
            if not found:
                lines.append(f"✓ {title}: 通过 / passed")
                continue
            n_err = sum(1 for f in found if f.severity is Severity.ERROR)
            n_warn = sum(1 for f in found if f.severity is Severity.WARNING)
            mark = "✗" if n_err else "!"
            lines.append(f"{mark} {title}: {n_err} 个错误 errors, {n_warn} 个警告 warnings")
            for f in found:
                where = f"{f.location}" if f.location else ""
                lines.append(f"    {f.severity.label_zh} {f.severity.value} [{f.rule}] {where}")
                lines.append(f"      {f.message_zh}")
                lines.append(f"      {f.message_en}")
        c = self.counts()
        lines.append("")
        lines.append(
            f"共 {c['error']} 个错误、{c['warning']} 个警告、{c['info']} 条提示 / "
            f"{c['error']} errors, {c['warning']} warnings, {c['info']} notes"
        )
        return "\n".join(lines)
