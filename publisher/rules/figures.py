"""Figures: every number a bulletin declares under ``figures:`` is recomputed from the cited
dataset's current bytes (``publisher.figures``) and must equal the value written.

A figure with ``compare: <period>`` is the change from that period in percent (one decimal),
from the two rounded values; its marker is written with its direction (上升/下降/持平).

Example: bulletin ``air-2025-10`` declares ``pm25: {dataset: air-hourly-2025, measure: pm25_mean,
period: 2025-10, value: 40}`` but the data give 41::

    content/bulletins/air-2025-10.md: error [bulletin-figure-mismatch]
      数字 'pm25'（2025-10 pm25_mean，数据集 air-hourly-2025）写作 40，按数据重新计算为 41

Rules: ``bulletin-figure-mismatch``, ``bulletin-figure-unknown``.
"""

from __future__ import annotations

from typing import Any

from ..figures import FIGURE_MARKER, FigureError, compute_figure, declared_number, format_value
from ..report import Finding, error
from .base import ItemContext

FIGURE_KEYS = ("dataset", "measure", "period", "station", "compare", "value")


def check_item(ctx: ItemContext) -> list[Finding]:
    """Each declared figure against the data; each ``{{figure:...}}`` marker against the declarations."""
    bulletin = ctx.bulletin
    if bulletin is None:
        return []
    raw = bulletin.meta.get("figures")
    if raw is not None and not isinstance(raw, dict):
        return [error("bulletin-figure-unknown", "figures 必须是「数字编号: {dataset, measure, period, value}」的映射",
                      "figures must map a figure id to {dataset, measure, period, value}",
                      item=bulletin.id, file=ctx.meta_file, key="figures")]
    figures: dict[str, Any] = raw or {}
    out: list[Finding] = []
    for path, body in ((bulletin.path, bulletin.body_zh), (bulletin.en_path, bulletin.body_en)):
        if path is None or body is None:
            continue
        file = ctx.meta_file if path == bulletin.path else ctx.meta_file.removesuffix(".md") + ".en.md"
        for ref in dict.fromkeys(FIGURE_MARKER.findall(body)):
            if ref not in figures:
                out.append(error("bulletin-figure-unknown",
                                 f"正文引用了未在 figures 中声明的数字 '{{{{figure:{ref}}}}}'",
                                 f"the text uses the figure '{{{{figure:{ref}}}}}', which figures does not declare",
                                 item=bulletin.id, file=file))
    for figure_id, spec in figures.items():
        out += _check_figure(ctx, str(figure_id), spec)
    return out


def _check_figure(ctx: ItemContext, figure_id: str, spec: Any) -> list[Finding]:
    where = {"item": ctx.item_id, "file": ctx.meta_file, "key": f"figures.{figure_id}"}
    if not isinstance(spec, dict) or not all(spec.get(k) not in (None, "") for k in ("dataset", "measure", "period", "value")):
        return [error("bulletin-figure-unknown", f"数字 '{figure_id}' 须写明 dataset、measure、period 和 value",
                      f"the figure '{figure_id}' must give dataset, measure, period and value", **where)]
    extra = sorted(set(spec) - set(FIGURE_KEYS))
    if extra:
        return [error("bulletin-figure-unknown", f"数字 '{figure_id}' 含未知的键：{', '.join(map(str, extra))}",
                      f"the figure '{figure_id}' has unknown keys: {', '.join(map(str, extra))}", **where)]
    dataset, measure, period = str(spec["dataset"]), str(spec["measure"]), str(spec["period"])
    if dataset not in ctx.bulletin.datasets:  # type: ignore[union-attr]
        return [error("bulletin-figure-unknown", f"数字 '{figure_id}' 引用的数据集 {dataset} 不在本公报的 datasets 中",
                      f"the figure '{figure_id}' cites the dataset {dataset}, which is not in the bulletin's datasets",
                      **where)]
    written = declared_number(spec["value"])
    if written is None:
        return [error("bulletin-figure-mismatch", f"数字 '{figure_id}' 的 value '{spec['value']}' 不是数字",
                      f"the value '{spec['value']}' of the figure '{figure_id}' is not a number", **where)]
    try:
        computed = compute_figure(ctx.content, dataset, measure, period, spec.get("station"),
                                  ctx.rules.site.timezone, spec.get("compare"), ctx.rules.aqi_method)
    except FigureError as exc:
        rule = "bulletin-figure-unknown" if _is_unknown(exc, ctx, dataset, measure) else "bulletin-figure-mismatch"
        return [error(rule, f"数字 '{figure_id}' 无法按数据计算：{exc.zh}",
                      f"the figure '{figure_id}' cannot be computed from the data: {exc.en}", **where)]
    if written == computed:
        return []
    what = f"{period} {measure}" + (f" {spec['station']}" if spec.get("station") else "") + (
        f" vs {spec['compare']} (%)" if spec.get("compare") else "")
    return [error("bulletin-figure-mismatch",
                  f"数字 '{figure_id}'（{what}，数据集 {dataset}）写作 {spec['value']}，按数据重新计算为 {format_value(computed)}",
                  f"the figure '{figure_id}' ({what}, dataset {dataset}) is written {spec['value']} but the data give "
                  f"{format_value(computed)}", **where)]


def _is_unknown(exc: FigureError, ctx: ItemContext, dataset: str, measure: str) -> bool:
    from ..figures import MEASURES

    return measure not in MEASURES or dataset not in ctx.content.datasets or "period" in exc.en
