"""Values: numbers written strictly, and physically plausible for what they measure.

Example: line 40 of an air file has ``pm25`` = ``３５`` (full-width digits), line 41 ``nan``,
line 42 ``-999`` (a code meaning "no value" that is not declared in ``missing_values``), line 43
``pm25`` = 12000 (above the plausible 3000 μg/m³ of ``parameters.pm25.range``)::

    ...air.csv:40, column 'pm25': error [number-invalid] '３５' 不是数字：含全角数字，请改用半角 35
    ...air.csv:41, column 'pm25': error [number-invalid] 'nan' 不是数字：缺测请留空 ...
    ...air.csv:42, column 'pm25': error [value-sentinel] -999 像是表示缺测的代码 ...
    ...air.csv:43, column 'pm25': error [value-implausible] 12000 超出 pm25 的合理范围 [0, 3000] μg/m³

Rules: ``number-invalid``, ``integer-invalid``, ``value-sentinel``, ``value-implausible``,
``value-out-of-range``.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..report import Severity
from .base import ItemContext, ResourceData, convert_column, for_each_column

NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
INTEGER = r"^[+-]?[0-9]+$"
MISSING_LOOKALIKES = {"-", "--", "—", "/", "na", "n/a", "nd", "null", "none", "无", "缺测", "未检出", "*"}


def check_resource(ctx: ItemContext, data: ResourceData) -> list:
    """Type number and integer columns, then check sentinels, plausibility and constraints."""
    table, item = data.table, ctx.item_id

    def check_column(f, ctx: ItemContext) -> None:
        raw = data.raw(f.name)
        if f.type == "integer":
            if pa.types.is_integer(raw.type):
                typed, bad = raw.combine_chunks(), np.empty(0, dtype=np.int64)
            else:
                typed, bad = convert_column(raw, pa.int64(), INTEGER)
            data.columns[f.name] = pc.cast(typed, pa.float64())
            rule, seen = "integer-invalid", None
        else:
            if pa.types.is_floating(raw.type):  # typed while reading: every cell parsed as a float
                typed, bad = raw, np.empty(0, dtype=np.int64)
            else:
                typed, bad = convert_column(raw, pa.float64(), NUMBER)
            x = typed.to_numpy(zero_copy_only=False)  # NaN where missing
            empty = np.flatnonzero(np.isnan(x))
            seen = _extremes(x)
            # 'nan' and 'inf' parse as floats but are not numbers to publish. Every missing cell is
            # one NaN too, so a NaN more than the missing cells, or an infinite extreme, is one.
            if empty.size > typed.null_count or np.isinf(seen).any():
                nonfinite = ~np.isfinite(x) & pc.is_valid(typed).to_numpy(zero_copy_only=False)
                bad = np.union1d(bad, np.flatnonzero(nonfinite))
                typed = pc.if_else(pa.array(~nonfinite), typed, pa.scalar(None, pa.float64()))
                x = np.where(nonfinite, np.nan, x)
                empty, seen = np.flatnonzero(np.isnan(x)), _extremes(x)
            data.set_numbers(f.name, typed, x, empty=empty)
            rule = "number-invalid"
        ctx.out.rows(rule, Severity.ERROR, bad,
                     lambda r, n=f.name: _why_not_number(data.value_text(n, r), "zh", f.type, ctx),
                     lambda r, n=f.name: _why_not_number(data.value_text(n, r), "en", f.type, ctx),
                     table=table, item=item, column=f.name)
        _check_range(ctx, data, f, seen)

    for_each_column(ctx, data, data.fields("number", "integer"), check_column)
    return []


def _extremes(x: np.ndarray) -> np.ndarray:
    """The smallest and largest value, ignoring NaN (both NaN when every value is): nanmin and
    nanmax, without their extra pass over the array."""
    return np.array([np.fmin.reduce(x), np.fmax.reduce(x)]) if x.size else np.array([np.nan, np.nan])


def _check_range(ctx: ItemContext, data: ResourceData, f, seen: np.ndarray | None = None) -> None:
    x = data.numbers(f.name)
    if x is None or x.size == 0:
        return
    lo_seen, hi_seen = _extremes(x) if seen is None else seen
    if np.isnan(lo_seen):  # every cell missing
        return
    table, item = data.table, ctx.item_id
    sentinel = np.zeros(x.size, dtype=bool)
    for s in ctx.rules.sentinels:
        if lo_seen <= s <= hi_seen:
            sentinel |= x == s
    if sentinel.any():
        declared = "、".join(repr(v) for v in data.resource.missing_values)
        ctx.out.rows("value-sentinel", Severity.ERROR, np.flatnonzero(sentinel),
                     lambda r: f"{x[r]:g} 像是表示缺测的代码：缺测的单元格请写成声明的缺测值（{declared}）",
                     lambda r: f"{x[r]:g} looks like a code for 'no value': write missing cells as a declared "
                               f"missing value ({', '.join(repr(v) for v in data.resource.missing_values)})",
                     table=table, item=item, column=f.name)
    param = ctx.rules.parameters.get(f.parameter) if f.parameter else None
    unit = f" {f.unit}" if f.unit else ""
    if param is not None and (param.minimum is not None or param.maximum is not None):
        lo = -np.inf if param.minimum is None else param.minimum
        hi = np.inf if param.maximum is None else param.maximum
        if lo_seen < lo or hi_seen > hi:
            rows = np.flatnonzero(((x < lo) | (x > hi)) & ~sentinel)
            rng = f"[{_num(param.minimum)}, {_num(param.maximum)}]{unit}"
            ctx.out.rows("value-implausible", Severity.ERROR, rows,
                         lambda r: f"{x[r]:g} 超出 {param.id} 的物理合理范围 {rng}（单位或小数点有误？）",
                         lambda r: f"{x[r]:g} is outside the physically plausible range {rng} of {param.id} "
                                   "(a wrong unit or decimal point?)",
                         table=table, item=item, column=f.name)
    cmin, cmax = f.constraints.get("minimum"), f.constraints.get("maximum")
    if isinstance(cmin, (int, float)) or isinstance(cmax, (int, float)):
        lo = cmin if isinstance(cmin, (int, float)) else -np.inf
        hi = cmax if isinstance(cmax, (int, float)) else np.inf
        if lo_seen < lo or hi_seen > hi:
            rows = np.flatnonzero(((x < lo) | (x > hi)) & ~sentinel)
            rng = f"[{_num(cmin)}, {_num(cmax)}]{unit}"
            ctx.out.rows("value-out-of-range", Severity.ERROR, rows,
                         lambda r: f"{x[r]:g} 超出 schema 约定的范围 {rng}",
                         lambda r: f"{x[r]:g} is outside the range {rng} the schema allows",
                         table=table, item=item, column=f.name)


def _num(v) -> str:
    return "-∞" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def _why_not_number(text: str, lang: str, kind: str, ctx: ItemContext) -> str:
    """A message that says what is wrong with a cell that should hold a number."""
    t = text.strip()
    folded = unicodedata.normalize("NFKC", t)
    what = ("整数", "an integer") if kind == "integer" else ("数字", "a number")
    if folded != t and re.fullmatch(NUMBER, folded):
        reason = (f"含全角字符，请改用半角 {folded}", f"it has full-width characters; write {folded}")
    elif t.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        reason = ("缺测请写成声明的缺测值（通常留空），不要写 nan 或 inf",
                  "write a missing value as a declared missing value (usually empty), not nan or inf")
    elif t.lower() in MISSING_LOOKALIKES:
        reason = (f"若表示缺测，请把 '{t}' 加入 schema 的 missing_values，或留空",
                  f"if it means 'no value', add '{t}' to the schema's missing_values, or leave the cell empty")
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", t):
        reason = ("不要使用千位分隔符", "do not use thousands separators")
    elif "_" in t and re.fullmatch(r"[+-]?[\d_]+(\.[\d_]+)?", t):
        reason = ("不要在数字中使用下划线", "do not use underscores in numbers")
    elif re.fullmatch(r"<\s*\d+(\.\d+)?|\d+(\.\d+)?\s*L|ND", t, re.I):
        reason = ("低于检出限的值请按方法写成检出限数值并在说明中注明，或留空",
                  "write a value below the detection limit as the method says (documented), or leave it empty")
    elif kind == "integer" and re.fullmatch(NUMBER, t):
        reason = ("此列只能是整数", "this column holds whole numbers only")
    elif t != text:
        reason = ("前后有多余的空格", "it has stray spaces")
    else:
        reason = ("", "")
    zh, en = reason
    if lang == "zh":
        return f"'{text}' 不是{what[0]}" + (f"：{zh}" if zh else "")
    return f"'{text}' is not {what[1]}" + (f": {en}" if en else "")
