"""Drafts of the regular bulletins, written from the data with every number as a cited figure.

A draft is an ordinary bulletin file: it goes through ``check`` and approval like any other.
See docs/drafting.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from . import clock
from .config import load_rules
from .content import Content, Dataset, load_content
from .figures import FigureError, Period, compute_figure, format_value, parse_period, urban_stations
from .warnings import derive_warnings

KINDS = {"air-monthly": "air_quality", "water-quarterly": "surface_water"}


class DraftError(ValueError):
    """A draft that cannot be written (message in Chinese and English, one line)."""


class _Figures:
    """Collects the figures of a draft: each number is computed once and cited by its id."""

    def __init__(self, content: Content, ds: Dataset, tz: str, method: str | None = None) -> None:
        self.content, self.ds, self.tz = content, ds, tz
        self.method = method  # the portal's aqi.method: the draft cites the AQI the portal publishes
        self.declared: dict[str, dict[str, Any]] = {}

    def value(self, figure_id: str, measure: str, period: Period, station: str | None = None,
              compare: Period | None = None) -> Any:
        """The computed value (None when the data do not allow it); declares the figure. With
        ``compare``, the change in percent from that period."""
        try:
            value = compute_figure(self.content, self.ds.id, measure, period.label, station, self.tz,
                                   compare.label if compare else None, self.method)
        except FigureError:
            return None
        spec: dict[str, Any] = {"dataset": self.ds.id, "measure": measure, "period": period.label}
        if station:
            spec["station"] = station
        if compare:
            spec["compare"] = compare.label
        spec["value"] = float(value) if value.as_tuple().exponent < 0 else int(value)
        self.declared[figure_id] = spec
        return value


def _pick_dataset(content: Content, category: str, period: Period) -> Dataset:
    for ds in sorted(content.datasets.values(), key=lambda d: d.id):
        if ds.category != category or ds.classification != "public" or ds.derived is not None:
            continue  # figures are recomputed from monitoring data, not from derived tables
        start, end = (str(ds.temporal.get(k) or "")[:10] for k in ("start", "end"))
        if start <= period.start.isoformat() and period.end.isoformat() <= (end or "9999"):
            return ds
    raise DraftError(f"没有覆盖 {period.label} 的公开 {category} 数据集 / no public {category} dataset covers {period.label}")


def _change(f: _Figures, measure: str, period: Period, base: Period) -> str:
    """The marker of the change of ``measure`` from ``base`` (declared as a figure, written
    上升/下降 x% by the portal), or nothing when it cannot be computed (a zero base)."""
    change_id = f"{measure.removesuffix('_mean')}-change-{base.label}"
    if f.value(change_id, measure, period, compare=base) is None:
        return ""
    return f"{{{{figure:{change_id}}}}}"


def _counties(registry: dict) -> list[tuple[str, str]]:
    """(area code, name) of the counties that have urban air stations, in registry order."""
    with_stations = {str(s.get("area")) for s in registry.get("air_stations") or []
                     if isinstance(s, dict) and str(s.get("id")) in urban_stations(registry)}
    return [(str(a.get("code")), str(a.get("name"))) for a in registry.get("areas") or []
            if isinstance(a, dict) and a.get("level") != "city" and str(a.get("code")) in with_stations]


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace('"', '\\"') + '"'


def _front_matter(meta: dict[str, Any], figures: dict[str, dict[str, Any]]) -> str:
    lines = ["---"]
    for key, value in meta.items():
        if isinstance(value, list):
            lines.append(f"{key}: [{', '.join(value)}]")
        elif isinstance(value, dict):
            lines.append(f"{key}: {{{', '.join(f'{k}: {_yaml_scalar(v)}' for k, v in value.items())}}}")
        else:
            lines.append(f"{key}: {_yaml_scalar(value)}")
    lines.append("figures:")
    for figure_id, spec in figures.items():
        lines.append(f"  {figure_id}: {{{', '.join(f'{k}: {_yaml_scalar(v)}' for k, v in spec.items())}}}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _active_warnings(content: Content, ds: Dataset, rules_raw: dict, tz: str, period: Period) -> list[Any]:
    found = derive_warnings([ds], content.registry, rules_raw, tz)
    return [w for w in found if w.start <= period.end and w.end >= period.start]


def _air_monthly(content: Content, ds: Dataset, period: Period, tz: str, rules_raw: dict) -> tuple[str, dict, str]:
    # aqi.method as load_rules validated it (absent: the default, as rules.aqi_method)
    f = _Figures(content, ds, tz, (rules_raw.get("aqi") or {}).get("method"))
    name = content.registry.get("city", {}).get("name", "全市")
    share = f.value("good-share", "good_day_share", period)
    f.value("days-over-100", "aqi_days_over_100", period)  # declared: the text cites it
    pm25 = f.value("pm25", "pm25_mean", period)
    prev = period.shifted(steps=-1)
    last_year = period.shifted(years=-1)
    pm25_prev = f.value("pm25-prev", "pm25_mean", prev)
    pm25_ly = f.value("pm25-last-year", "pm25_mean", last_year)
    lines = ["## 一、总体情况", ""]
    if share is not None:
        lines.append(f"{period.name_zh}，{name}环境空气质量优良天数比例为{{{{figure:good-share}}}}%，"
                     f"空气质量指数（AQI）超过100的天数为{{{{figure:days-over-100}}}}天。")
    if pm25 is not None:
        text = "全市细颗粒物（PM2.5）月均浓度为{{figure:pm25}}微克/立方米"
        if pm25_prev is not None:
            text += f"，环比（{prev.name_zh}，{{{{figure:pm25-prev}}}}微克/立方米）{_change(f, 'pm25_mean', period, prev)}"
        text += (f"，同比（{last_year.name_zh}，{{{{figure:pm25-last-year}}}}微克/立方米）"
                 f"{_change(f, 'pm25_mean', period, last_year)}" if pm25_ly is not None else "，无上年同期数据")
        lines.append(text + "。")
    others = [("pm10", "pm10_mean", "可吸入颗粒物（PM10）月均浓度", "微克/立方米"),
              ("no2", "no2_mean", "二氧化氮（NO2）月均浓度", "微克/立方米"),
              ("so2", "so2_mean", "二氧化硫（SO2）月均浓度", "微克/立方米"),
              ("co", "co_mean", "一氧化碳（CO）月均浓度", "毫克/立方米"),
              ("o3-p90", "o3_8h_p90", "臭氧（O3）日最大8小时平均第90百分位数", "微克/立方米")]
    parts = [f"{label}为{{{{figure:{fid}}}}}{unit}" for fid, measure, label, unit in others
             if f.value(fid, measure, period) is not None]
    if parts:
        lines.append("；".join(parts) + "。")
    if share is None and pm25 is None:
        lines.append(f"{period.name_zh}有效监测天数不足，不作月度评价。")
    charts = [f"{ds.id}/{c.id}" for c in ds.charts if c.id in ("pm25-daily", "no2-monthly", "aqi-levels")]
    if charts:
        lines += ["", f"[[chart: {charts[0]}]]"]
    lines += ["", "## 二、各区县排名", ""]
    ranked = []
    for code, county in _counties(content.registry):
        value = f.value(f"pm25-{code}", "pm25_mean", period, code)
        if value is not None:
            f.value(f"good-share-{code}", "good_day_share", period, code)
            ranked.append((value, code, county))
    if ranked:
        lines += ["各区县（城市点位日均值的算术平均）PM2.5月均浓度由低到高排名如下：", "",
                  "| 排名 | 区县 | PM2.5月均浓度（μg/m³） | 优良天数比例（%） |", "| --- | --- | --- | --- |"]
        ranked.sort()
        values = [r[0] for r in ranked]
        for value, code, county in ranked:
            rank = values.index(value) + 1  # ties share the better rank
            county_share = f"{{{{figure:good-share-{code}}}}}" if f"good-share-{code}" in f.declared else "—"
            lines.append(f"| {rank} | {county} | {{{{figure:pm25-{code}}}}} | {county_share} |")
    else:
        lines.append("各区县有效数据不足，不作排名。")
    lines += ["", "## 三、预警", ""]
    warnings = _active_warnings(content, ds, rules_raw, tz, period)
    if warnings:
        lines += [f"- {w.message['zh']}" for w in warnings[:20]]
    else:
        lines.append(f"{period.name_zh}无超标预警。")
    if len(charts) > 1:
        lines += ["", f"[[chart: {charts[1]}]]"]
    lines += ["", "## 四、说明", "",
              "1. 评价依据《环境空气质量标准》（GB 3095-2012）、《环境空气质量指数（AQI）技术规定（试行）》（HJ 633-2012）"
              "和《环境空气质量评价技术规范（试行）》（HJ 663-2013）。",
              "2. 全市浓度为城市点位日均值的算术平均，清洁对照点不参与全市平均。",
              f"3. 数据来源：数据集“{ds.title.zh}”。", ""]
    title = f"{period.name_zh}{name}环境空气质量状况"
    summary = f"{period.name_zh}全市环境空气质量优良天数比例为{format_value(share)}%。" if share is not None else ""
    return title, {"charts": charts, "summary": summary, "figures": f.declared}, "\n".join(lines)


def _water_quarterly(content: Content, ds: Dataset, period: Period, tz: str, rules_raw: dict) -> tuple[str, dict, str]:
    f = _Figures(content, ds, tz)
    name = content.registry.get("city", {}).get("name", "全市")
    total = f.value("sections-total", "sections_total", period)
    met = f.value("sections-met", "sections_meeting_target", period)
    lines = ["## 一、总体情况", ""]
    if total is not None:
        lines.append(f"{period.name_zh}，{name}参与评价的地表水监测断面{{{{figure:sections-total}}}}个，"
                     f"其中{{{{figure:sections-met}}}}个达到水质目标。")
    else:
        lines.append(f"{period.name_zh}无断面监测数据。")
    prev = period.shifted(steps=-1)
    if f.value("sections-met-prev", "sections_meeting_target", prev) is not None:
        lines.append(f"上一季度（{prev.name_zh}）达到水质目标的断面为{{{{figure:sections-met-prev}}}}个。")
    charts = [f"{ds.id}/{c.id}" for c in ds.charts][:2]
    if charts:
        lines += ["", f"[[chart: {charts[0]}]]"]
    lines += ["", "## 二、各断面水质", ""]
    sections = [s for s in content.registry.get("water_sections") or [] if isinstance(s, dict)]
    rows = []
    for s in sections:
        if f.value(f"met-{s['id']}", "sections_meeting_target", period, str(s["id"])) is not None:
            rows.append(f"| {s.get('name', s['id'])} | {s.get('water_body', '')} | {s.get('target_class', '')} "
                        f"| {{{{figure:met-{s['id']}}}}} |")
    if rows:
        lines += ["| 断面 | 水体 | 目标 | 是否达标（1 是，0 否） |", "| --- | --- | --- | --- |", *rows]
    lines += ["", "## 三、预警", ""]
    warnings = _active_warnings(content, ds, rules_raw, tz, period)
    lines += [f"- {w.message['zh']}" for w in warnings[:20]] or [f"{period.name_zh}无超标预警。"]
    if len(charts) > 1:
        lines += ["", f"[[chart: {charts[1]}]]"]
    lines += ["", "## 四、说明", "", "1. 评价依据《地表水环境质量标准》（GB 3838-2002），采用单因子评价法，按季度均值评价。",
              f"2. 数据来源：数据集“{ds.title.zh}”。", ""]
    title = f"{period.name_zh}{name}地表水环境质量状况"
    summary = f"{period.name_zh}全市{format_value(total)}个断面中{format_value(met)}个达到水质目标。" if total is not None else ""
    return title, {"charts": charts, "summary": summary, "figures": f.declared}, "\n".join(lines)


def draft_bulletin(root: Path, kind: str, period_text: str, out: Path | None = None,
                   now: datetime | None = None) -> Path:
    """Write a draft bulletin of ``kind`` for the period; returns its path.

    Raises :class:`DraftError` for a bad kind or period, no dataset, or an existing file."""
    root = Path(root).resolve()
    if kind not in KINDS:
        raise DraftError(f"未知的公报类型 {kind}（可用：{', '.join(KINDS)}） / unknown bulletin kind {kind}")
    period = parse_period(period_text)
    expected = 1 if kind == "air-monthly" else 3
    if period is None or len(period.months) != expected:
        form = "2025-10" if expected == 1 else "2025-Q3"
        raise DraftError(f"时段 {period_text} 应写作 {form} / the period must be written like {form}")
    prefix = "air" if kind == "air-monthly" else "water"
    label = period.label.lower()
    target = Path(out) if out is not None else root / "content" / "bulletins" / f"{prefix}-{label}.md"
    if not target.is_absolute():
        target = root / target
    if target.exists():
        raise DraftError(f"{target} 已存在，不会覆盖；请用 --out 另指文件 / {target} exists and is not overwritten; "
                         "choose another file with --out")
    rules = load_rules(root)
    content = load_content(root)
    tz = rules.site.timezone
    ds = _pick_dataset(content, KINDS[kind], period)
    make = _air_monthly if kind == "air-monthly" else _water_quarterly
    title, extra, body = make(content, ds, period, tz, rules.raw)
    now = now or clock.now(tz)
    meta: dict[str, Any] = {
        "title": title,
        "date": now.replace(microsecond=0).isoformat(),
        "department": ds.department or "sthjj",
        "category": KINDS[kind],
        "area": dict(content.registry.get("city") and {"code": content.registry["city"].get("code"),
                                                         "name": content.registry["city"].get("name")} or ds.area),
        "classification": "public",
        "datasets": [ds.id],
        "charts": extra["charts"],
    }
    if extra["summary"]:
        meta["summary"] = extra["summary"]
    if not meta["charts"]:
        del meta["charts"]
    text = _front_matter(meta, extra["figures"]) + "\n" + body
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
        fh.write(text)
    return target
