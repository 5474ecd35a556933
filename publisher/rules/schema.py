"""Schema: the file has the columns its ``dataset.yaml`` declares, in the types it declares.

Example: a noise file declares ``leq`` with ``unit: db(A)`` (should be ``dB(A)``), and line 12 of
the air file has ``time`` = ``2025-03-01 08:00`` (no offset)::

    content/datasets/noise-hubin-2025/dataset.yaml, column 'leq', resources[0].schema.fields[2].unit:
      error [unit-not-allowed] 单位 'db(A)' 不在允许的单位列表中（是否应为 dB(A)？）
    content/datasets/air-hourly-2025/air.csv:12, column 'time':
      error [datetime-without-offset] 时间 '2025-03-01 08:00' 没有时区偏移 ...

Rules: ``unit-not-allowed``, ``unit-parameter-mismatch``, ``parameter-unknown``,
``parameter-declared-twice``, ``reference-list-unknown``, ``column-missing``, ``column-unknown``, ``column-duplicate``,
``column-name-blank``, ``datetime-invalid``, ``datetime-without-offset``, ``date-invalid``,
``boolean-invalid``, ``value-required``, ``reference-unknown``, ``value-not-unique``,
``value-not-in-enum``, ``value-pattern-mismatch``, ``primary-key-duplicate``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..report import Severity, error, warning
from . import base
from .base import TIMESTAMP, ItemContext, ResourceData, convert_column

ISO_OFFSET = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$"
ISO_NAIVE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
REGISTRY_LISTS = ("areas", "air_stations", "water_sections", "enterprises", "noise_points", "radiation_stations",
                  "soil_points", "groundwater_wells", "ecology_sites", "weather_stations")


def check_item(ctx: ItemContext) -> list:
    """Units, parameters and registry references declared in ``dataset.yaml``."""
    ds = ctx.dataset
    if ds is None:
        return []
    rules = ctx.rules
    out = []
    where = {"item": ds.id, "file": ctx.meta_file}
    lowered = {u.lower(): u for u in rules.units}
    for i, res in enumerate(ds.resources):
        declared: dict[str, str] = {}  # parameter -> the field that declared it first
        for j, f in enumerate(res.fields):
            key = f"resources[{i}].schema.fields[{j}]"
            # Readers find a parameter's column by its parameter (else its name): two fields for
            # one parameter would let one column silently stand in for, or hide, the other.
            measured = f.parameter or f.name
            if measured in declared and declared[measured] != f.name:
                out.append(error("parameter-declared-twice",
                                 f"参数 {measured} 由字段 '{declared[measured]}' 和 '{f.name}' 重复声明，"
                                 "无法确定哪一列是该参数（每个参数在一个文件中只能对应一列）",
                                 f"parameter {measured} is declared by both fields '{declared[measured]}' and "
                                 f"'{f.name}'; which column holds it is ambiguous (one column per parameter "
                                 "in a file)", column=f.name, key=key + (".parameter" if f.parameter else ".name"),
                                 **where))
            declared.setdefault(measured, f.name)
            if f.unit is not None and f.unit not in rules.units:
                guess = lowered.get(f.unit.lower()) or lowered.get(_ascii_unit(f.unit).lower())
                hint_zh = f"（是否应为 {guess}？）" if guess else "（见 release_rules.yaml 的 units）"
                hint_en = f" (did you mean {guess}?)" if guess else " (see units in release_rules.yaml)"
                out.append(error("unit-not-allowed", f"单位 '{f.unit}' 不在允许的单位列表中{hint_zh}",
                                 f"unit '{f.unit}' is not in the list of allowed units{hint_en}",
                                 column=f.name, key=key + ".unit", **where))
            param = rules.parameters.get(f.parameter) if f.parameter else None
            if f.parameter and param is None:
                out.append(warning("parameter-unknown", f"参数 '{f.parameter}' 没有在规则的 parameters 中定义，无法检查合理范围",
                                   f"parameter '{f.parameter}' is not defined in the rules' parameters; its range "
                                   "cannot be checked", column=f.name, key=key + ".parameter", **where))
            elif param is not None and param.units and f.unit in rules.units and f.unit not in param.units:
                out.append(error("unit-parameter-mismatch",
                                 f"参数 {f.parameter} 的单位应为 {'、'.join(param.units)}，实际为 '{f.unit}'",
                                 f"parameter {f.parameter} is measured in {', '.join(param.units)}, not '{f.unit}'",
                                 column=f.name, key=key + ".unit", **where))
            if f.references and f.references not in ctx.content.registry:
                out.append(error("reference-list-unknown",
                                 f"references 指向的登记表列表 '{f.references}' 不存在",
                                 f"references names the registry list '{f.references}', which does not exist",
                                 column=f.name, key=key + ".references", **where))
    return out


def _ascii_unit(unit: str) -> str:
    return unit.replace("ug", "μg").replace("m3", "m³").replace("°C", "℃").replace("uSv", "μSv")


def check_resource(ctx: ItemContext, data: ResourceData) -> list:
    """Header, types (other than numbers), required cells, references, keys, constraints."""
    out = []
    table, res, item = data.table, data.resource, ctx.item_id
    where = {"item": item, "file": table.file}
    declared = {f.name for f in res.fields}
    seen: set[str] = set()
    for i, name in enumerate(table.header):
        if not name.strip():
            out.append(error("column-name-blank", f"第 {i + 1} 列没有列名", f"column {i + 1} has no name", row=1, **where))
        elif name in seen:
            out.append(error("column-duplicate", f"列名 '{name}' 出现了不止一次", f"the column '{name}' appears more than once",
                             row=1, column=name, **where))
        elif name not in declared:
            near = next((d for d in declared if d.strip().lower() == name.strip().lower()), None)
            hint_zh = f"（是否应为 '{near}'？）" if near else "（请在 dataset.yaml 中声明或删除）"
            hint_en = f" (did you mean '{near}'?)" if near else " (declare it in dataset.yaml or remove it)"
            out.append(error("column-unknown", f"列 '{name}' 未在 schema 中声明{hint_zh}",
                             f"the column '{name}' is not declared in the schema{hint_en}", row=1, column=name, **where))
        seen.add(name)
    for f in res.fields:
        if f.name not in seen:
            out.append(error("column-missing", f"缺少 schema 中声明的列 '{f.name}'",
                             f"the column '{f.name}' declared in the schema is missing", row=1, column=f.name, **where))

    emit = ctx.out
    for f in data.fields():
        raw = data.raw(f.name)
        if f.type == "string" or f.type in ("number", "integer"):
            if f.type == "string":
                data.columns[f.name] = raw
        elif f.type == "datetime":
            data.columns[f.name] = _datetimes(ctx, data, f.name, raw)
        elif f.type == "date":
            typed, bad = convert_column(raw, pa.date32(), ISO_DATE)
            data.columns[f.name] = typed
            emit.rows("date-invalid", Severity.ERROR, bad,
                      lambda r, n=f.name: f"'{data.value_text(n, r)}' 不是日期，应写成 2025-01-31",
                      lambda r, n=f.name: f"'{data.value_text(n, r)}' is not a date; write it as 2025-01-31",
                      table=table, item=item, column=f.name)
        elif f.type == "boolean":
            typed, bad = convert_column(pc.utf8_lower(raw) if pa.types.is_string(raw.type) else raw,
                                        pa.bool_(), r"^(true|false)$")
            data.columns[f.name] = typed
            emit.rows("boolean-invalid", Severity.ERROR, bad,
                      lambda r, n=f.name: f"'{data.value_text(n, r)}' 不是真假值，应为 true 或 false",
                      lambda r, n=f.name: f"'{data.value_text(n, r)}' is not a boolean; write true or false",
                      table=table, item=item, column=f.name)

    pk = [k for k in res.primary_key if table.has(k)]
    whole_key = bool(pk) and len(pk) == len(res.primary_key)
    if whole_key:  # encoded once here: references, duplicate keys and the later families share the codes
        for k in pk:
            data.codes(k)
    for f in data.fields():
        raw = data.raw(f.name)
        if (f.required or f.name in pk) and raw.null_count:
            rows = np.flatnonzero(pc.is_null(raw).to_numpy(zero_copy_only=False))
            emit.rows("value-required", Severity.ERROR, rows,
                      lambda r: "必填的单元格是空的", lambda r: "a required cell is empty",
                      table=table, item=item, column=f.name)
        if f.references and f.references in ctx.content.registry:
            _references(ctx, data, f.name, f.references)
        constraints = f.constraints
        if constraints.get("unique") and f.name not in pk:
            rows = _duplicate_rows(data, [f.name])
            emit.rows("value-not-unique", Severity.ERROR, rows,
                      lambda r, n=f.name: f"值 '{data.value_text(n, r)}' 在此列中重复",
                      lambda r, n=f.name: f"the value '{data.value_text(n, r)}' appears more than once in this column",
                      table=table, item=item, column=f.name)
        if isinstance(constraints.get("enum"), list) and f.type == "string":
            allowed = [str(v) for v in constraints["enum"]]
            mask = pc.invert(pc.is_in(raw, value_set=pa.array(allowed, pa.string()))).fill_null(False)
            rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
            shown = "、".join(allowed[:8])
            emit.rows("value-not-in-enum", Severity.ERROR, rows,
                      lambda r, n=f.name: f"值 '{data.value_text(n, r)}' 不在允许的取值中：{shown}",
                      lambda r, n=f.name: f"the value '{data.value_text(n, r)}' is not one of: {', '.join(allowed[:8])}",
                      table=table, item=item, column=f.name)
        if isinstance(constraints.get("pattern"), str) and f.type == "string":
            pattern = constraints["pattern"]
            try:
                mask = pc.invert(pc.match_substring_regex(raw, f"^(?:{pattern})$")).fill_null(False)
            except pa.ArrowInvalid:
                out.append(error("value-pattern-mismatch", f"pattern '{pattern}' 不是有效的正则表达式",
                                 f"pattern '{pattern}' is not a valid regular expression", item=item,
                                 file=ctx.meta_file, column=f.name))
                continue
            rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
            emit.rows("value-pattern-mismatch", Severity.ERROR, rows,
                      lambda r, n=f.name: f"值 '{data.value_text(n, r)}' 不符合格式 {pattern}",
                      lambda r, n=f.name: f"the value '{data.value_text(n, r)}' does not match the pattern {pattern}",
                      table=table, item=item, column=f.name)
    if whole_key:
        rows = _duplicate_rows(data, pk)
        keys = ", ".join(pk)
        emit.rows("primary-key-duplicate", Severity.ERROR, rows,
                  lambda r: f"主键（{keys}）重复：{' / '.join(data.value_text(k, r) for k in pk)} 已在前面出现",
                  lambda r: f"duplicate primary key ({keys}): {' / '.join(data.value_text(k, r) for k in pk)} "
                            "appears earlier",
                  table=table, item=item, column=pk[0])
    return out


def _datetimes(ctx: ItemContext, data: ResourceData, name: str, raw: pa.ChunkedArray) -> pa.Array:
    if pa.types.is_timestamp(raw.type):  # typed by the fast reader: every cell had an offset
        return raw.combine_chunks() if raw.num_chunks != 1 else raw.chunk(0)
    typed, bad = convert_column(raw, TIMESTAMP, ISO_OFFSET)
    if bad.size:
        text = pc.utf8_trim_whitespace(pc.take(raw, pa.array(bad)))
        naive = pc.match_substring_regex(text, ISO_NAIVE).fill_null(False).to_numpy(zero_copy_only=False)
        ctx.out.rows("datetime-without-offset", Severity.ERROR, bad[naive],
                     lambda r: f"时间 '{data.value_text(name, r)}' 没有时区偏移，请写明，如 2025-01-01T01:00:00+08:00",
                     lambda r: f"time '{data.value_text(name, r)}' has no time-zone offset; write it with one, "
                               "e.g. 2025-01-01T01:00:00+08:00",
                     table=data.table, item=ctx.item_id, column=name)
        ctx.out.rows("datetime-invalid", Severity.ERROR, bad[~naive],
                     lambda r: f"'{data.value_text(name, r)}' 不是 ISO 8601 时间，应写成 2025-01-01T01:00:00+08:00",
                     lambda r: f"'{data.value_text(name, r)}' is not an ISO 8601 time; write 2025-01-01T01:00:00+08:00",
                     table=data.table, item=ctx.item_id, column=name)
    return typed


def _references(ctx: ItemContext, data: ResourceData, name: str, list_name: str) -> None:
    known = ctx.content.registry_ids(list_name) if list_name != "areas" else {
        str(a.get("code")) for a in ctx.content.registry.get("areas") or [] if isinstance(a, dict)}
    col = data.raw(name)
    if pa.types.is_string(col.type):
        values = data.distinct(name).to_pylist()
    else:
        col = pc.cast(col, pa.string())
        values = [v for v in pc.unique(col).to_pylist() if v is not None]
    unknown = [v for v in values if v not in known]
    if not unknown:
        return
    mask = pc.is_in(col, value_set=pa.array(unknown, pa.string())).fill_null(False)
    rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
    ctx.out.rows("reference-unknown", Severity.ERROR, rows,
                 lambda r: f"'{data.value_text(name, r)}' 不在登记表 {list_name} 中",
                 lambda r: f"'{data.value_text(name, r)}' is not in the registry list {list_name}",
                 table=data.table, item=ctx.item_id, column=name)


def _duplicate_rows(data: ResourceData, names: list[str]) -> np.ndarray:
    """Rows whose key repeats an earlier row's key (the first occurrence is not reported)."""
    keys = [data.codes(n) for n in names]
    if data.n < 2:
        return np.empty(0, dtype=np.int64)
    radix = _radix(keys)
    if radix is not None:
        # Sorted by the key (the usual file), a duplicate is always next to the row it repeats:
        # look a block at a time (see base.BLOCK), each block with the next one's first row.
        found = [np.empty(0, dtype=np.int64)]
        for start in range(0, data.n - 1, base.BLOCK):
            k = _one_key(keys, radix, start, start + base.BLOCK + 1)
            if (k[1:] < k[:-1]).any():
                break
            found.append(np.flatnonzero(k[1:] == k[:-1]) + (start + 1))
        else:
            return np.concatenate(found)
        combined = _one_key(keys, radix, 0, data.n)
        order = np.argsort(combined, kind="stable")
        ranked = combined[order]
        return np.sort(order[1:][ranked[1:] == ranked[:-1]])
    # Keys too wide for one int64: column by column. Files are usually grouped and sorted by
    # their key: then a duplicate is always adjacent.
    same = np.ones(data.n - 1, dtype=bool)
    increasing = np.zeros(data.n - 1, dtype=bool)
    decided = np.zeros(data.n - 1, dtype=bool)
    for k in keys:
        gt = (k[1:] > k[:-1]) & ~decided
        increasing |= gt
        decided |= k[1:] != k[:-1]
        same &= k[1:] == k[:-1]
    if not (increasing | same).all():
        order = np.lexsort(keys[::-1])
        sorted_keys = [k[order] for k in keys]
        same_sorted = np.ones(data.n - 1, dtype=bool)
        for k in sorted_keys:
            same_sorted &= k[1:] == k[:-1]
        return np.sort(order[1:][same_sorted])
    return np.flatnonzero(same) + 1


def _radix(keys: list[np.ndarray]) -> list[tuple[int, int]] | None:
    """Each column's lowest code and span, when the columns' codes fit together in one int64
    per row that sorts like the tuple of codes (mixed radix); None when they would not."""
    lows = [int(k.min()) for k in keys]
    spans = [int(k.max()) - lo + 1 for k, lo in zip(keys, lows)]
    total = 1
    for span in spans:
        total *= span
    return list(zip(lows, spans)) if total < 2 ** 62 else None


def _one_key(keys: list[np.ndarray], radix: list[tuple[int, int]], start: int, stop: int) -> np.ndarray:
    """The combined key of rows ``start`` to ``stop`` (exclusive)."""
    (low, _), *rest = radix
    combined = keys[0][start:stop] - low
    for k, (low, span) in zip(keys[1:], rest):  # in place: one new array only
        combined *= span
        combined += k[start:stop]
        combined -= low
    return combined
