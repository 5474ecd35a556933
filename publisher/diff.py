"""What changed in an item since its last approved version: the diff a press officer reviews.

For a dataset: per resource (CSV), the rows added, removed and changed, matched by the schema's
primary key, with every changed value (old → new); summary statistics before and after for
each numeric column; and the changes to ``dataset.yaml`` by dotted key. For a bulletin: a
unified diff of its Markdown (and of its English version). The previous version is read from the
archive (``var/archive/``): the newest fully approved version, exactly the bytes that were signed.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import load_rules
from .content import Bulletin, Dataset, Item, load_content
from .workflow import WorkflowError, approved_versions, manifest, materialise, open_submission, submitted_tree

NUMERIC_TYPES = ("number", "integer")
MAX_LISTED_ROWS = 200  # rows listed per kind; the counts are always complete


KIND_NAMES = {"dataset": "数据集 dataset", "bulletin": "公报 bulletin", "registry": "登记表 registry"}


@dataclass
class ChangedRow:
    key: dict[str, str]
    line: int  # line of the row in the current file (header is line 1)
    changes: dict[str, tuple[str, str]]  # column -> (old, new)


@dataclass
class ColumnStats:
    column: str
    unit: str | None
    before: dict[str, float | int | None]
    after: dict[str, float | int | None]


@dataclass
class ResourceDiff:
    name: str
    path: str
    primary_key: list[str]
    status: str  # "added", "removed", "changed", "unchanged"
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[ChangedRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # added, removed, changed, unchanged
    stats: list[ColumnStats] = field(default_factory=list)

    def unlisted(self) -> dict[str, int]:
        """Rows counted but not listed (beyond :data:`MAX_LISTED_ROWS`), by kind; empty when all are."""
        listed = {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)}
        return {k: self.counts.get(k, 0) - n for k, n in listed.items() if self.counts.get(k, 0) > n}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "path": self.path, "primary_key": self.primary_key, "status": self.status,
            "columns_added": self.columns_added, "columns_removed": self.columns_removed,
            "counts": self.counts, "added": self.added, "removed": self.removed,
            "changed": [{"key": c.key, "line": c.line,
                         "changes": {k: {"old": o, "new": n} for k, (o, n) in c.changes.items()}}
                        for c in self.changed],
            "stats": [{"column": s.column, "unit": s.unit, "before": s.before, "after": s.after} for s in self.stats],
            "unlisted": self.unlisted(),
        }


@dataclass
class MetaChange:
    key: str  # path of the key in dataset.yaml or the front matter (see :func:`key_path`)
    old: Any
    new: Any


@dataclass
class ItemDiff:
    """The difference between an item's current files and its newest approved version."""

    item: str
    kind: str  # "dataset" or "bulletin"
    digest: str  # the current version's digest
    previous_version: int | None  # None: never approved, everything is new
    previous_digest: str | None
    source: str = "submitted"  # "submitted": the archived bytes open for approval; "working": content/
    metadata: list[MetaChange] = field(default_factory=list)
    resources: list[ResourceDiff] = field(default_factory=list)
    text: dict[str, list[str]] = field(default_factory=dict)  # file -> unified diff lines

    @property
    def unchanged(self) -> bool:
        return self.previous_digest == self.digest

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item, "kind": self.kind, "digest": self.digest, "source": self.source,
            "previous_version": self.previous_version, "previous_digest": self.previous_digest,
            "metadata": [{"key": m.key, "old": m.old, "new": m.new} for m in self.metadata],
            "resources": [r.to_dict() for r in self.resources], "text": self.text,
        }

    def to_text(self) -> str:
        """The diff for a terminal, Chinese first."""
        out = [f"{self.item}（{KIND_NAMES.get(self.kind, self.kind)}）"]
        if self.source == "submitted":
            out.append(f"待审批的提交版本 / submitted version open for approval: {self.digest}")
        else:
            out.append(f"工作副本（没有待审批的提交） / working copy (no submission open): {self.digest}")
        if self.previous_version is None:
            out.append("尚无已批准版本，全部为新增 / no approved version yet: everything is new")
        else:
            out.append(f"对比已批准的第 {self.previous_version} 版 / compared with approved version "
                       f"{self.previous_version} ({self.previous_digest[:12]} → {self.digest[:12]})")
        if self.unchanged:
            out.append("与已批准版本完全相同 / identical to the approved version")
            return "\n".join(out)
        if self.metadata:
            out.append("元数据变化 / metadata changes:")
            out += [f"  {m.key}: {_show(m.old)} → {_show(m.new)}" for m in self.metadata]
        for r in self.resources:
            c = r.counts
            out.append(f"资源 / resource {r.name} ({r.path}): {r.status}; 新增 added {c.get('added', 0)}, "
                       f"删除 removed {c.get('removed', 0)}, 修改 changed {c.get('changed', 0)}, "
                       f"未变 unchanged {c.get('unchanged', 0)}")
            if r.columns_added or r.columns_removed:
                out.append(f"  列 columns: +{', '.join(r.columns_added) or '-'}  -{', '.join(r.columns_removed) or '-'}")
            for row in r.changed:
                key = ", ".join(f"{k}={v}" for k, v in row.key.items())
                values = "; ".join(f"{col}: {old} → {new}" for col, (old, new) in row.changes.items())
                out.append(f"  ~ 第 {row.line} 行 line {row.line} [{key}] {values}")
            out += [f"  + {_row_text(row)}" for row in r.added]
            out += [f"  - {_row_text(row)}" for row in r.removed]
            for kind, n in r.unlisted().items():
                out.append(f"  … {_KIND_ZH[kind]}：还有 {n} 行未列出（共 {r.counts[kind]} 行） / "
                           f"{n} more {kind} rows not listed ({r.counts[kind]} in all)")
            for s in r.stats:
                if s.before != s.after:
                    out.append(f"  {s.column}{f' ({s.unit})' if s.unit else ''}: {_stats_text(s.before)} → "
                               f"{_stats_text(s.after)}")
        for name, lines in self.text.items():
            out.append(f"文本变化 / text changes in {name}:")
            out += [f"  {line}" for line in lines]
        return "\n".join(out)


_KIND_ZH = {"added": "新增", "removed": "删除", "changed": "修改"}


def _show(value: Any) -> str:
    return "（无 none）" if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _row_text(row: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())


def _stats_text(stats: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in stats.items())


# -- the library call ----------------------------------------------------------------------


def item_diff(root: Path, item_id: str) -> ItemDiff:
    """Diff ``item_id``'s submitted version open for approval (its archived bytes, what an approval
    signs) against its newest approved version in the archive. With no submission open, the
    working copy is diffed instead and the result says so (``source``)."""
    root = Path(root)
    try:
        submitted = open_submission(root, item_id)
    except WorkflowError:
        submitted = None
    if submitted is not None:
        with tempfile.TemporaryDirectory(prefix="publisher-diff-") as tmp:
            tree = submitted_tree(root, submitted, Path(tmp))
            return diff_against_approved(root, tree.item(item_id), submitted.digest)
    content = load_content(root)
    current = content.item(item_id)
    if current is None:
        raise WorkflowError(f"找不到条目 {item_id}", f"no item named {item_id}")
    return diff_against_approved(root, current, manifest(content, current).digest, source="working")


def diff_against_approved(root: Path, current: Item, digest: str, *, source: str = "submitted") -> ItemDiff:
    """Diff the loaded ``current`` (whose files hash to ``digest``) against the item's newest
    approved version, read from the archive."""
    root = Path(root)
    versions = approved_versions(root, load_rules(root), load_content(root)).get(current.id, [])
    if not versions:
        result = diff_items(current, None, digest=digest)
        result.source = source
        return result
    latest = versions[-1]
    with tempfile.TemporaryDirectory(prefix="publisher-diff-") as tmp:
        materialise(root, latest.files, Path(tmp) / "content")
        previous = load_content(Path(tmp)).item(current.id)
        result = diff_items(current, previous, digest=digest, previous_version=latest.number,
                            previous_digest=latest.digest)
        result.source = source
        return result


def diff_items(current: Item, previous: Item | None, *, digest: str = "", previous_version: int | None = None,
               previous_digest: str | None = None) -> ItemDiff:
    """Diff two loaded versions of one item (``previous`` None: everything is new)."""
    kind = current.kind  # dataset, bulletin, or registry (whose changes show as metadata)
    result = ItemDiff(current.id, kind, digest, previous_version, previous_digest)
    result.metadata = meta_changes(previous.meta if previous else {}, current.meta)
    if isinstance(current, Dataset):
        old_resources = {r.name: r for r in previous.resources} if isinstance(previous, Dataset) else {}
        new_resources = {r.name: r for r in current.resources}
        for name in [*new_resources, *(n for n in old_resources if n not in new_resources)]:
            result.resources.append(_resource_diff(old_resources.get(name), new_resources.get(name)))
    elif isinstance(current, Bulletin):
        old = previous if isinstance(previous, Bulletin) else None
        result.text = {}
        pairs = [(current.path, old.path if old else None),
                 (current.en_path, old.en_path if old else None)]
        for new_path, old_path in pairs:
            if new_path is None and old_path is None:
                continue
            name = (new_path or old_path).name
            lines = text_diff(_read_text(old_path), _read_text(new_path), name)
            if lines:
                result.text[name] = lines
    return result


def _read_text(path: Path | None) -> str:
    return path.read_bytes().decode("utf-8-sig", errors="replace").replace("\r\n", "\n") if path and path.is_file() else ""


def text_diff(old: str, new: str, name: str) -> list[str]:
    """A unified diff of two texts, as lines without line ends."""
    return [line.rstrip("\n") for line in difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"已批准 approved/{name}", tofile=f"当前 current/{name}", lineterm="\n")]


# -- metadata ------------------------------------------------------------------------------


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def key_path(parts: tuple[Any, ...]) -> str:
    """A metadata key's path as text, one-to-one: a plain name joins with ``.``; any other key
    (one holding ``.``, ``[`` or a quote, or not text) is quoted, ``["title.zh"]``; a list index is
    ``[0]``. So a literal key ``"title.zh"`` can never pass for ``title`` → ``zh``."""
    out = ""
    for part in parts:
        if isinstance(part, _Index):
            out += f"[{part.i}]"
        elif isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        elif isinstance(part, str):
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
        else:
            out += f"[{type(part).__name__}:{json.dumps(part, ensure_ascii=False, default=str)}]"
    return out


@dataclass(frozen=True)
class _Index:
    """A list position in a key path (never equal to an ``int`` key of a mapping)."""

    i: int


def _flatten(value: Any, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    if isinstance(value, dict):
        flat: dict[tuple[Any, ...], Any] = {}
        for k, v in value.items():
            flat.update(_flatten(v, (*prefix, k)))
        return flat or {prefix: {}}
    if isinstance(value, list):
        flat = {}
        for i, v in enumerate(value):
            flat.update(_flatten(v, (*prefix, _Index(i))))
        return flat or {prefix: []}
    return {prefix: value}


def meta_changes(old: dict[str, Any], new: dict[str, Any]) -> list[MetaChange]:
    """Every key (by its path, :func:`key_path`) whose value differs between two metadata mappings."""
    a, b = _flatten(old), _flatten(new)
    keys = [*b, *(k for k in a if k not in b)]
    return [MetaChange(key_path(k), _plain(a.get(k)), _plain(b.get(k))) for k in keys
            if k and (k not in a or k not in b or a[k] != b[k] or type(a[k]) is not type(b[k]))]


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool, list)) else str(value)


# -- tables --------------------------------------------------------------------------------


def _read_rows(path: Path | None) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if path is None or not path.is_file():
        return [], []
    # A file that is not UTF-8 is a check error already; the diff still shows what it can.
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    rows = [(reader.line_num, dict(zip(header, record))) for record in reader if record]
    return header, rows


def _resource_diff(old, new) -> ResourceDiff:
    ref = new or old
    old_header, old_rows = _read_rows(old.path if old else None)
    new_header, new_rows = _read_rows(new.path if new else None)
    key_columns = list(ref.primary_key) or list(new_header or old_header)
    result = ResourceDiff(ref.name, ref.relpath, list(ref.primary_key),
                          "added" if old is None else "removed" if new is None else "unchanged")
    result.columns_added = [c for c in new_header if c not in old_header] if old else []
    result.columns_removed = [c for c in old_header if c not in new_header] if new else []

    def key_of(row: dict[str, str]) -> tuple[str, ...]:
        return tuple(row.get(c, "") for c in key_columns)

    before = {key_of(r): r for _, r in old_rows}
    after = {key_of(r): (line, r) for line, r in new_rows}
    added = [r for k, (_, r) in after.items() if k not in before]
    removed = [r for k, r in before.items() if k not in after]
    changed, unchanged = [], 0
    for k, (line, row) in after.items():
        if k not in before:
            continue
        was = before[k]
        diffs = {c: (was.get(c, ""), row.get(c, "")) for c in dict.fromkeys([*new_header, *old_header])
                 if c not in key_columns and was.get(c, "") != row.get(c, "")}
        if diffs:
            changed.append(ChangedRow(dict(zip(key_columns, k)), line, diffs))
        else:
            unchanged += 1
    result.counts = {"added": len(added), "removed": len(removed), "changed": len(changed), "unchanged": unchanged}
    # only MAX_LISTED_ROWS of each are listed; ResourceDiff.unlisted() and every view say how many are not
    result.added, result.removed, result.changed = (added[:MAX_LISTED_ROWS], removed[:MAX_LISTED_ROWS],
                                                    changed[:MAX_LISTED_ROWS])
    if result.status == "unchanged" and (added or removed or changed or result.columns_added
                                         or result.columns_removed):
        result.status = "changed"
    for spec in ref.fields:
        if spec.type in NUMERIC_TYPES:
            missing = set((new or old).missing_values)
            result.stats.append(ColumnStats(
                spec.name, spec.unit,
                column_stats([r.get(spec.name, "") for _, r in old_rows], missing),
                column_stats([r.get(spec.name, "") for _, r in new_rows], missing)))
    return result


def column_stats(values: list[str], missing: set[str] | None = None) -> dict[str, float | int | None]:
    """count, missing, min, max and mean of a column's numeric values (text that is not a number is missing)."""
    numbers = []
    for v in values:
        if missing and v in missing:
            continue
        try:
            x = float(v)
        except ValueError:
            continue
        if math.isfinite(x):
            numbers.append(x)
    if not numbers:
        return {"count": 0, "missing": len(values), "min": None, "max": None, "mean": None}
    return {"count": len(numbers), "missing": len(values) - len(numbers), "min": _round(min(numbers)),
            "max": _round(max(numbers)), "mean": _round(sum(numbers) / len(numbers))}


def _round(x: float) -> float | int:
    return int(x) if x.is_integer() else round(x, 4)
