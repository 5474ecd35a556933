"""What every rule family shares: the item being checked, one data file's columns, and the cap.

A rule family module exposes up to three functions, each returning a list of findings:

``check_project(rules, content)``
    once per run, about the registry or rules as a whole;
``check_item(ctx)``
    once per item (dataset or bulletin);
``check_resource(ctx, data)``
    once per data file of a dataset, vectorised over its columns.

Row-level findings go through :meth:`Emitter.rows`, which keeps the first ``cap`` findings of a
rule in a file and counts the rest, so a million bad rows give twenty lines and one summary.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Rules
from ..content import Bulletin, Content, Dataset, FieldSpec, Item, Resource
from ..csvread import CsvTable
from ..report import Finding, Severity
from ..yamlio import relpath

Message = Callable[[int], str]
MISSING_TIME = np.iinfo(np.int64).min


class Emitter:
    """Collects findings, at most ``cap`` per rule per file; the rest are only counted."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.findings: list[Finding] = []
        self._seen: Counter = Counter()
        self._first: dict[tuple, Finding] = {}

    def add(self, finding: Finding) -> None:
        key = (finding.item, finding.file, finding.rule)
        self._seen[key] += 1
        self._first.setdefault(key, finding)
        if self._seen[key] <= self.cap:
            self.findings.append(finding)

    def has_room(self, item: str | None, file: str | None, rule: str, pending: int = 0) -> bool:
        """Whether another finding of ``rule`` in ``file`` would still be listed."""
        return self._seen[(item, file, rule)] + pending < self.cap

    def extend(self, findings) -> None:
        for f in findings:
            self.add(f)

    def rows(self, rule: str, severity: Severity, rows: np.ndarray, zh: Message, en: Message, *,
             table: CsvTable, item: str | None, column: str | None = None) -> None:
        """Findings for data rows ``rows`` (0-based indices into the table), capped."""
        rows = np.asarray(rows)
        if rows.size == 0:
            return
        key = (item, table.file, rule)
        room = max(self.cap - self._seen[key], 0)
        shown = rows[:room]
        lines = table.lines(shown) if shown.size else []
        for r, line in zip(shown.tolist(), list(lines)):
            f = Finding(rule, severity, zh(r), en(r), item=item, file=table.file, row=int(line), column=column)
            self._first.setdefault(key, f)
            self.findings.append(f)
        if not shown.size:
            self._first.setdefault(key, Finding(rule, severity, "", "", item=item, file=table.file))
        self._seen[key] += int(rows.size)

    def summaries(self) -> list[Finding]:
        """One finding per rule and file whose findings were cut, with the full count."""
        out = []
        for key, count in self._seen.items():
            if count > self.cap:
                first = self._first[key]
                more = count - self.cap
                out.append(Finding(
                    first.rule, first.severity,
                    f"同类问题另有 {more} 处未逐一列出（本文件共 {count} 处）",
                    f"{more} more findings of this rule are not listed ({count} in this file)",
                    item=first.item, file=first.file))
        return out

    def result(self) -> list[Finding]:
        return self.findings + self.summaries()


class Deferred:
    """Stands in for an :class:`Emitter` in a worker thread: records, then replays in order."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._calls: list[tuple[str, tuple, dict]] = []

    def rows(self, *args, **kwargs) -> None:
        self._calls.append(("rows", args, kwargs))

    def add(self, finding: Finding) -> None:
        self._calls.append(("add", (finding,), {}))

    def has_room(self, *args) -> bool:
        return True

    def replay(self, out: Emitter) -> None:
        for name, args, kwargs in self._calls:
            getattr(out, name)(*args, **kwargs)


# Rows per block where a rule works through a column a block at a time: arrays as long as a
# big file cost more in fresh memory than the arithmetic on them; blocks stay in the CPU cache.
BLOCK = 1 << 17

WORKERS = min(4, os.cpu_count() or 1)
PARALLEL_ROWS = 200_000  # below this, threads cost more than they save


def for_each_column(ctx: ItemContext, data: ResourceData, columns: Sequence, work: Callable) -> None:
    """Run ``work(column, ctx)`` for each column, in threads for big files (NumPy and Arrow
    release the GIL); findings are emitted afterwards in column order, so reports are stable."""
    deferred = [Deferred(ctx.out.cap) for _ in columns]
    jobs = [(column, replace(ctx, out=d)) for column, d in zip(columns, deferred)]
    if WORKERS > 1 and len(jobs) > 1 and data.n >= PARALLEL_ROWS:
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda job: work(*job), jobs))
    else:
        for job in jobs:
            work(*job)
    for d in deferred:
        d.replay(ctx.out)


@dataclass
class ItemContext:
    """One item under check, with everything a rule may consult."""

    rules: Rules
    content: Content
    item: Item
    out: Emitter

    @property
    def item_id(self) -> str:
        return self.item.id

    @property
    def meta_file(self) -> str:
        """The item's metadata file, relative to the project root."""
        if isinstance(self.item, Dataset):
            return relpath(self.item.folder / "dataset.yaml", self.content.root)
        return relpath(self.item.path, self.content.root)

    @property
    def dataset(self) -> Dataset | None:
        return self.item if isinstance(self.item, Dataset) else None

    @property
    def bulletin(self) -> Bulletin | None:
        return self.item if isinstance(self.item, Bulletin) else None


@dataclass
class ResourceData:
    """One data file: the raw table and, as the families fill it in, typed columns.

    ``columns`` maps a field name to its typed values: ``float64`` for numbers (null where
    missing or invalid), ``timestamp[ms, UTC]`` for datetimes, ``string`` for text.

    What several families need (numbers as NumPy arrays, their empty rows, times, codes of key
    columns, series codes, the series-then-time order) is worked out once, on first use, and
    kept: on a file of a million rows each costs milliseconds, and each is asked for many times.
    """

    resource: Resource
    table: CsvTable
    columns: dict[str, pa.Array | pa.ChunkedArray] = field(default_factory=dict)
    timezone: str = "Asia/Shanghai"
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.table.num_rows

    def raw(self, name: str) -> pa.Array | None:
        """The column as read (string, or already typed by the fast reader)."""
        return self.table.column(name)

    def fields(self, *types: str) -> list[FieldSpec]:
        """Fields present in the file, optionally only those of ``types``."""
        return [f for f in self.resource.fields
                if self.table.has(f.name) and (not types or f.type in types)]

    def text_columns(self) -> list[str]:
        """Columns holding free text: string fields and columns the schema does not know."""
        known = {f.name: f for f in self.resource.fields}
        out = []
        for name in dict.fromkeys(self.table.header):
            spec = known.get(name)
            if spec is None or spec.type == "string":
                out.append(name)
        return out

    def numbers(self, name: str) -> np.ndarray | None:
        """A number column as float64 with NaN for missing, once values.py has typed it."""
        key = "num:" + name
        if key not in self._cache:
            col = self.columns.get(name)
            if col is None or not pa.types.is_floating(col.type):
                return None
            self._cache[key] = col.to_numpy(zero_copy_only=False).astype("float64", copy=False)
        return self._cache[key]

    def set_numbers(self, name: str, typed: pa.Array | pa.ChunkedArray, values: np.ndarray,
                    empty: np.ndarray | None = None) -> None:
        """Record a typed number column with its float64 values (NaN for missing) and, when known,
        its :meth:`empty_rows`, so that they are not worked out again."""
        self.columns[name] = typed
        self._cache["num:" + name] = values
        if empty is not None:
            self._cache["empty:" + name] = empty

    def empty_rows(self, name: str) -> np.ndarray | None:
        """The rows (ascending) where a number column has no value: empty, or not a number."""
        key = "empty:" + name
        if key not in self._cache:
            x = self.numbers(name)
            self._cache[key] = None if x is None else np.flatnonzero(np.isnan(x))
        return self._cache[key]

    def time_field(self) -> FieldSpec | None:
        """The column that orders the rows in time: the first typed datetime, else the first date."""
        for kind in ("datetime", "date"):
            for f in self.fields(kind):
                col = self.columns.get(f.name)
                if col is not None and (pa.types.is_timestamp(col.type) or pa.types.is_date(col.type)):
                    return f
        return None

    def times(self) -> np.ndarray | None:
        """Epoch milliseconds (int64) of the time column; missing times are ``MISSING_TIME``."""
        if "times" not in self._cache:
            f = self.time_field()
            if f is None:
                self._cache["times"] = None
            else:
                col = self.columns[f.name]
                if pa.types.is_date(col.type):
                    col = pc.cast(col, pa.timestamp("ms"))
                arr = pc.cast(col, pa.int64())
                if arr.null_count:  # else the cast array is used as is, without a copy
                    arr = arr.fill_null(MISSING_TIME)
                self._cache["times"] = arr.to_numpy(zero_copy_only=False)
        return self._cache["times"]

    def local_days(self, shift_ms: int = 0) -> np.ndarray | None:
        """Local calendar day of each row (days since 1970-01-01 in the portal's time zone), as
        a new array the caller may change; ``MISSING_TIME`` where the time is missing.

        ``shift_ms`` moves every time first: -1 puts an hour labelled by its end (24:00 =
        00:00 of the next day) into the day it belongs to.
        """
        t = self.times()
        if t is None:
            return None
        valid = t != MISSING_TIME
        all_valid = bool(valid.all())
        f = self.time_field()
        if f is not None and f.type == "date":  # dates are already local days
            offset_ms: np.ndarray | int = 0
            shift_ms = 0
        elif all_valid:  # the usual case: no missing time to stand in for
            offset_ms = _offset_ms(self.timezone, t)
        else:
            filled = np.where(valid, t, t[valid].min()) if valid.any() else t
            offset_ms = _offset_ms(self.timezone, filled) if valid.any() else 0
        days = t + offset_ms  # then in place: arrays as long as the file are costly to allocate
        days += shift_ms
        days //= 86_400_000
        if not all_valid:
            days[~valid] = MISSING_TIME
        return days

    def sub_daily(self) -> bool:
        """Whether the series hold several values a day (automatic monitoring) rather than daily or rarer."""
        if "sub_daily" not in self._cache:
            t = self.times()
            result = False
            if t is not None and self.n > 1:
                s = self.series_codes()
                order = self.order()
                if order is not None:  # only the first 200,000 rows in order are looked at
                    head = order[:200_000]
                    t, s = t[head], s[head]
                t, s = t[:200_000], s[:200_000]
                same = (s[1:] == s[:-1]) & (t[:-1] != MISSING_TIME) & (t[1:] != MISSING_TIME)
                steps = np.diff(t)[same]
                steps = steps[steps > 0]
                result = bool(steps.size) and float(np.median(steps)) < 86_400_000
            self._cache["sub_daily"] = result
        return self._cache["sub_daily"]

    def series_fields(self) -> list[str]:
        """Columns naming a series (a station, an outlet): the primary key without its time column.

        Without a primary key, the columns that reference the registry.
        """
        time_f = self.time_field()
        names = [k for k in self.resource.primary_key if self.table.has(k) and (time_f is None or k != time_f.name)]
        if not names:
            names = [f.name for f in self.resource.fields if f.references and self.table.has(f.name)]
        return names

    def series_codes(self) -> np.ndarray:
        """An integer code per row for its series (0 when the file has one series)."""
        if "series" not in self._cache:
            names = self.series_fields()
            if not names:
                codes = np.zeros(self.n, dtype=np.int64)
            else:  # mixed radix: the first column's codes, then each next column's digit
                codes = self.codes(names[0])
                for name in names[1:]:
                    c = self.codes(name)
                    codes = codes * (int(c.max()) + 2 if c.size else 1) + c
            self._cache["series"] = codes
        return self._cache["series"]

    def series_index(self) -> np.ndarray:
        """Each row's series numbered 0, 1, 2 ... in the order of :meth:`series_codes` (nulls
        included): row numbers of a series x day table."""
        if "series_index" not in self._cache:
            codes = self.series_codes()
            names = self.series_fields()
            if len(names) == 1 and "dict:" + names[0] in self._cache and codes.size and codes.min() >= 0:
                index = codes  # one text column without nulls: its codes are already 0 .. k-1
            elif codes.size and codes.min() >= 0 and codes.max() < 4 * codes.size + 1024:
                present = np.bincount(codes) > 0
                index = (np.cumsum(present) - 1)[codes]
            else:
                index = np.unique(codes, return_inverse=True)[1].reshape(-1)
            self._cache["series_index"] = index
        return self._cache["series_index"]

    def codes(self, name: str) -> np.ndarray:
        """Integer codes of a column's values (equal values, equal codes; nulls get -1)."""
        key = "codes:" + name
        if key not in self._cache:
            col = self.columns.get(name)
            if col is None:
                col = self.raw(name)
            if pa.types.is_timestamp(col.type) or pa.types.is_integer(col.type):
                arr = pc.cast(col, pa.int64())
                arr = (arr.fill_null(-1) if arr.null_count else arr).to_numpy(zero_copy_only=False)
            elif pa.types.is_date(col.type):
                arr = pc.cast(pc.cast(col, pa.int32()), pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False)
            elif pa.types.is_floating(col.type):
                arr = col.to_numpy(zero_copy_only=False).view(np.int64)
            else:
                self._cache["dict:" + name], arr = encode_text(col)
            self._cache[key] = arr
        return self._cache[key]

    def dictionary(self, name: str) -> list:
        """The distinct values of a text column, in the order of :meth:`codes`."""
        self.codes(name)
        values = self._cache.get("dict:" + name)
        return [] if values is None else values.to_pylist()

    def distinct(self, name: str) -> pa.Array:
        """The distinct non-null values of a text column, in order of first appearance.

        Taken from :meth:`codes` when a rule has already encoded the column (key and series
        columns), else one hash pass over it, which is cheaper than encoding.
        """
        values = self._cache.get("dict:" + name)
        if values is not None:
            return values
        return pc.drop_null(pc.unique(self.raw(name)))

    def order(self) -> np.ndarray | None:
        """Row indices sorted by series then time (``None`` when the file is already in order)."""
        if "order" not in self._cache:
            t = self.times()
            s = self.series_codes()
            if t is None or self.n < 2:
                self._cache["order"] = None
            else:
                ordered = np.all((s[1:] > s[:-1]) | ((s[1:] == s[:-1]) & (t[1:] >= t[:-1])))
                self._cache["order"] = None if ordered else np.lexsort((t, s))
        return self._cache["order"]

    def value_text(self, name: str, row: int) -> str:
        """The cell as written, for messages."""
        col = self.raw(name)
        if col is None:
            return ""
        value = col[row].as_py()
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.astimezone(ZoneInfo(self.timezone)).isoformat()
        if isinstance(value, float):
            return f"{value:g}"
        text = str(value)
        return text if len(text) <= 60 else text[:57] + "..."

    def when(self, epoch_ms) -> str:
        """A time of the time column for messages: a date for date columns, else local minutes."""
        f = self.time_field()
        if epoch_ms == MISSING_TIME:
            return "?"
        if f is not None and f.type == "date":
            return format_day(int(epoch_ms) // 86_400_000)
        return format_time(int(epoch_ms), self.timezone)

    def time_text(self, row: int) -> str:
        t = self.times()
        if t is None or t[row] == MISSING_TIME:
            return "?"
        return format_time(int(t[row]), self.timezone)


def encode_text(col: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of a text column in order of first appearance, and each row's index
    into them (int64, -1 for nulls): what ``pc.dictionary_encode`` gives, computed faster.

    Station and enterprise columns come in long runs of one value (a file grouped by series),
    so only the first row of every run is hashed; the rest take the code of their run.
    """
    n = len(col)
    if n > 1:
        change = pc.not_equal(col.slice(1), col.slice(0, n - 1)).fill_null(True)
        starts = pc.indices_nonzero(change).to_numpy().astype(np.int64) + 1
        if starts.size < n // 4:
            starts = np.concatenate((np.zeros(1, dtype=np.int64), starts))
            enc = pc.dictionary_encode(_take_rows(col, starts))
            heads = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
            return enc.dictionary, np.repeat(heads, np.diff(np.append(starts, n)))
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    enc = pc.dictionary_encode(col)
    return enc.dictionary, enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _take_rows(col: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """``col.take(rows)`` for ascending ``rows``, chunk by chunk: taking from a chunked column
    joins all its chunks into one array first."""
    if not isinstance(col, pa.ChunkedArray):
        return col.take(pa.array(rows))
    ends = np.cumsum([len(chunk) for chunk in col.chunks])
    chunk_of = np.searchsorted(ends, rows, side="right")
    parts = [col.chunk(c).take(pa.array(rows[chunk_of == c] - (ends[c] - len(col.chunk(c)))))
             for c in np.unique(chunk_of).tolist()]
    return pa.concat_arrays(parts) if parts else pa.array([], col.type)


def format_time(epoch_ms: int, tz: str) -> str:
    if epoch_ms == MISSING_TIME:
        return "?"
    return datetime.fromtimestamp(epoch_ms / 1000, ZoneInfo(tz)).isoformat(timespec="minutes")


def format_day(day: int) -> str:
    return (datetime(1970, 1, 1) + timedelta(days=int(day))).date().isoformat()


def _offset_ms(tz: str, epoch_ms: np.ndarray) -> np.ndarray | int:
    """The zone's UTC offset in ms: one number when it is the same over the data, else per row."""
    zone = ZoneInfo(tz)
    lo = datetime.fromtimestamp(int(epoch_ms.min()) / 1000, timezone.utc).astimezone(zone).utcoffset()
    hi = datetime.fromtimestamp(int(epoch_ms.max()) / 1000, timezone.utc).astimezone(zone).utcoffset()
    if lo == hi and tz in ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau", "UTC"):
        return int(lo.total_seconds() * 1000)
    arr = pa.array(epoch_ms, pa.timestamp("ms", tz=tz))
    local = pc.local_timestamp(arr)
    return (pc.cast(local, pa.int64()).to_numpy() - epoch_ms)


TIMESTAMP = pa.timestamp("ms", tz="UTC")


def convert_column(col: pa.ChunkedArray, target: pa.DataType, pattern: str) -> tuple[pa.Array, np.ndarray]:
    """Convert a text column to ``target``; returns the typed column and the rows that failed.

    The whole column is cast at once (the common case: nothing wrong). Only when that fails are
    the cells matched against ``pattern`` (RE2 syntax) and cast again without the bad ones;
    values that match but still do not convert (2025-02-30) are found one distinct value at a time.
    Missing cells (nulls) are never "bad".
    """
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        col = pc.cast(col, pa.string())
    trimmed = pc.utf8_trim_whitespace(col)
    try:
        return pc.cast(trimmed, target), np.empty(0, dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    ok = pc.match_substring_regex(trimmed, pattern).fill_null(True)
    candidates = pc.if_else(ok, trimmed, pa.scalar(None, pa.string()))
    try:
        typed = pc.cast(candidates, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        good = []
        for value in pc.unique(candidates).to_pylist():
            if value is None:
                continue
            try:
                pc.cast(pa.array([value]), target)
                good.append(value)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        ok = pc.and_(ok, pc.or_(pc.is_in(trimmed, value_set=pa.array(good, pa.string())), pc.is_null(trimmed)))
        typed = pc.cast(pc.if_else(ok, trimmed, pa.scalar(None, pa.string())), target)
    bad = np.flatnonzero(~ok.to_numpy(zero_copy_only=False))
    return typed, bad
