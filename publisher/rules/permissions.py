"""Permissions: who may publish what, where, and whether it may be public at all.

Example: ``sthjj-qingshan`` (the Qingshan county bureau, area 990122) submits
``emissions-qingshan-2025q4`` whose line 7 has ``area_code`` 990121 (Qinghe county)::

    content/datasets/emissions-qingshan-2025q4/emissions.csv:7, column 'area_code':
      error [row-outside-area] 此行属于行政区 990121，不在提交部门 sthjj-qingshan 的辖区 990122 内

Rules: ``department-unknown``, ``department-not-permitted``, ``area-outside-department``,
``classification-not-public``, ``row-outside-area``, ``credit-code-invalid``,
``credit-code-not-own``, ``department-registry-mismatch``, ``approval-role-unfilled``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import CATEGORIES, Rules, area_contains, credit_code_message, credit_code_problem
from ..content import Content
from ..report import Severity, error, warning
from .base import ItemContext, ResourceData

REGISTRY = "content/registry.yaml"


def check_project(rules: Rules, content: Content) -> list:
    """Enterprise departments against the registry; every registry credit code; approver roles."""
    out = []
    enterprises = {str(e.get("id")): e for e in content.registry.get("enterprises") or [] if isinstance(e, dict)}
    for i, (ent_id, ent) in enumerate(enterprises.items()):
        code = ent.get("credit_code")
        if code is not None:
            problem = credit_code_problem(str(code))
            if problem:
                zh, en = credit_code_message(str(code), problem)
                out.append(error("credit-code-invalid", zh, en, file=REGISTRY, key=f"enterprises[{i}].credit_code"))
    for dept in rules.departments.values():
        if dept.level != "enterprise":
            continue
        key = f"departments.{dept.id}"
        ent = enterprises.get(dept.id)
        if ent is None:
            out.append(error("department-registry-mismatch",
                             f"企业部门 '{dept.id}' 不在登记表 enterprises 中（编号须与登记表一致）",
                             f"enterprise department '{dept.id}' is not in the registry's enterprises "
                             "(the ids must match)", file="release_rules.yaml", key=key))
            continue
        if str(ent.get("credit_code") or "") != (dept.credit_code or ""):
            out.append(error("department-registry-mismatch",
                             f"'{dept.id}' 的统一社会信用代码 {dept.credit_code} 与登记表中的 "
                             f"{ent.get('credit_code')} 不一致",
                             f"the credit code of '{dept.id}', {dept.credit_code}, differs from the registry's "
                             f"{ent.get('credit_code')}", file="release_rules.yaml", key=key + ".credit_code"))
        if str(ent.get("area") or "") != dept.area:
            out.append(error("department-registry-mismatch",
                             f"'{dept.id}' 的行政区 {dept.area} 与登记表中的 {ent.get('area')} 不一致",
                             f"the area of '{dept.id}', {dept.area}, differs from the registry's {ent.get('area')}",
                             file="release_rules.yaml", key=key + ".area"))
    if rules.approvers:
        needed: dict[str, str] = {}
        for category in CATEGORIES:
            for dept in rules.departments.values():
                if rules.may_publish(dept.id, category):
                    probe = type("Probe", (), {"category": category, "department": dept.id})()
                    for role in rules.required_roles(probe):
                        needed.setdefault(role, f"{category}/{dept.id}")
        for role, example in needed.items():
            if not rules.approvers_with_role(role):
                out.append(warning("approval-role-unfilled",
                                   f"没有审批人拥有角色 '{role}'（例如 {example} 的发布需要它），相关内容无法获批",
                                   f"no approver holds the role '{role}' (needed e.g. for {example}); "
                                   "such items cannot be approved", file="release_rules.yaml", key="approvers"))
    return out


def check_item(ctx: ItemContext) -> list:
    """The submitting department, the category it may publish, the area, the classification."""
    rules, item = ctx.rules, ctx.item
    where = {"item": item.id, "file": ctx.meta_file}
    out = []
    if item.classification and item.classification != "public":
        out.append(error("classification-not-public",
                         f"密级为 {item.classification}：只有 public（公开）的内容才能发布",
                         f"classified '{item.classification}': only 'public' items are ever released",
                         key="classification", **where))
    dept = rules.departments.get(item.department)
    if item.department and dept is None:
        out.append(error("department-unknown", f"提交部门 '{item.department}' 不在 release_rules.yaml 的 departments 中",
                         f"the submitting department '{item.department}' is not in release_rules.yaml departments",
                         key="department", **where))
        return out
    if dept is None or not item.category:
        return out
    if not rules.may_publish(dept.id, item.category):
        perm = rules.permissions.get(item.category)
        allowed = ", ".join([*(perm.publishers if perm else []), *(f"any {lv}" for lv in (perm.publisher_levels if perm else []))]) or "-"
        out.append(error("department-not-permitted",
                         f"{dept.name.zh}（{dept.id}）无权发布「{CATEGORIES[item.category][0]}」类内容；可发布：{allowed}",
                         f"{dept.id} may not publish {item.category} items; who may: {allowed}",
                         key="department", **where))
    area = str((item.area or {}).get("code") or "")
    if area and dept.area and not area_contains(dept.area, area):
        out.append(error("area-outside-department",
                         f"内容所属行政区 {area} 不在 {dept.id} 的辖区 {dept.area} 内",
                         f"the item's area {area} lies outside {dept.id}'s area {dept.area}",
                         key="area.code", **where))
    return out


def check_resource(ctx: ItemContext, data: ResourceData) -> list:
    """Rows of a pollution-source file inside the submitter's area; credit codes."""
    rules, ds = ctx.rules, ctx.dataset
    dept = rules.departments.get(ds.department)
    perm = rules.permissions.get(ds.category)
    table = data.table
    emit = ctx.out
    credit_columns = {f.name for f in data.fields() if f.name == "credit_code"}
    if perm and perm.row_credit_code_column and table.has(perm.row_credit_code_column):
        credit_columns.add(perm.row_credit_code_column)
    for name in sorted(credit_columns):
        col = table.column(name)
        for code in pc.unique(col).to_pylist():
            if code is None:
                continue
            problem = credit_code_problem(code)
            if problem:
                zh, en = credit_code_message(code, problem)
                rows = _rows_equal(col, code)
                emit.rows("credit-code-invalid", Severity.ERROR, rows, lambda r, z=zh: z, lambda r, e=en: e,
                          table=table, item=ds.id, column=name)
        if dept is not None and dept.level == "enterprise" and dept.credit_code and perm \
                and name == perm.row_credit_code_column:
            rows = np.flatnonzero(pc.not_equal(col, dept.credit_code).fill_null(False).to_numpy(zero_copy_only=False))
            emit.rows("credit-code-not-own", Severity.ERROR, rows,
                      lambda r: f"企业只能报送本企业（{dept.credit_code}）的数据，此行为 {data.value_text(name, r)}",
                      lambda r: f"an enterprise may submit only its own data ({dept.credit_code}); this row has "
                                f"{data.value_text(name, r)}",
                      table=table, item=ds.id, column=name)
    if dept is None or perm is None or dept.level == "city" or not dept.area:
        return []
    if perm.row_area_column and table.has(perm.row_area_column):
        name = perm.row_area_column
        col = pc.cast(table.column(name), pa.string())
        inside = {c for c in pc.unique(col).to_pylist() if c is not None and area_contains(dept.area, str(c))}
        outside = _rows_not_in(col, inside)
        emit.rows("row-outside-area", Severity.ERROR, outside,
                  lambda r: f"此行属于行政区 {data.value_text(name, r)}，不在提交部门 {dept.id} 的辖区 {dept.area} 内",
                  lambda r: f"this row belongs to area {data.value_text(name, r)}, outside the area {dept.area} "
                            f"of the submitting department {dept.id}",
                  table=table, item=ds.id, column=name)
    enterprises = {str(e.get("id")): str(e.get("area") or "") for e in ctx.content.registry.get("enterprises") or []
                   if isinstance(e, dict)}
    for f in data.fields():
        if f.references != "enterprises":
            continue
        col = table.column(f.name)
        inside = {c for c in pc.unique(col).to_pylist()
                  if c is not None and (c not in enterprises or area_contains(dept.area, enterprises[c]))}
        outside = _rows_not_in(col, inside)
        emit.rows("row-outside-area", Severity.ERROR, outside,
                  lambda r, n=f.name: f"企业 {data.value_text(n, r)} 位于行政区 {enterprises.get(data.value_text(n, r))}，"
                                      f"不在提交部门 {dept.id} 的辖区 {dept.area} 内",
                  lambda r, n=f.name: f"enterprise {data.value_text(n, r)} is in area "
                                      f"{enterprises.get(data.value_text(n, r))}, outside the area {dept.area} of "
                                      f"the submitting department {dept.id}",
                  table=table, item=ds.id, column=f.name)
    return []


def _rows_equal(col: pa.ChunkedArray, value: str) -> np.ndarray:
    return np.flatnonzero(pc.equal(col, value).fill_null(False).to_numpy(zero_copy_only=False))


def _rows_not_in(col: pa.ChunkedArray, allowed: set) -> np.ndarray:
    mask = pc.is_in(col, value_set=pa.array(sorted(allowed), pa.string()))
    mask = pc.or_(mask, pc.is_null(col))
    return np.flatnonzero(~mask.to_numpy(zero_copy_only=False))
