"""Discovery of ``content/``: the registry, datasets and bulletins as plain data.

Loading never raises for bad content: every problem becomes a finding (see
``docs/content-model.md`` for the rule ids), and the item is still returned where it can be,
so one run reports everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import paths
from .cells import formula_like
from .registry import registry_findings
from .report import Finding, error, warning
from .yamlio import CONTROL_CHARACTERS, load_yaml, read_yaml, relpath

# A column name is the header of every download and a key of every API: ASCII snake_case, so it
# can never be a formula, a line break or a name that only looks like another.
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# A missing-value token is written into download cells as is: never formula-like, no control,
# invisible or direction characters, short.
_UNSAFE_IN_TOKEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
MISSING_TOKEN_MAX = 32
# Item ids no dataset or bulletin may take: the registry is an approved item of its own, and the
# audit log records the release rules under their own id (docs/content-model.md).
REGISTRY_ID = "registry"
RULES_ID = "release-rules"
RESERVED_IDS = (REGISTRY_ID, RULES_ID)
# The registry's owner: the city ecology and environment bureau runs the monitoring network, so
# its reviewer and the press office approve the registry (docs/content-model.md explains why).
REGISTRY_DEPARTMENT = "sthjj"
REGISTRY_FILE = "registry.yaml"
CHART_MARKER = re.compile(r"^\[\[chart:\s*([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)\s*\]\]\s*$", re.M)

CATEGORIES: dict[str, tuple[str, str]] = {
    "air_quality": ("环境空气质量", "Air quality"),
    "surface_water": ("地表水环境质量", "Surface water"),
    "pollution_source": ("污染源监测", "Pollution sources"),
    "radiation": ("辐射环境", "Radiation"),
    "noise": ("声环境", "Noise"),
    "soil": ("土壤环境", "Soil"),
    "ecology": ("生态状况", "Ecology"),
    "groundwater": ("地下水", "Groundwater"),
    "meteorology": ("气象", "Meteorology"),
}
CLASSIFICATIONS = ("public", "internal", "secret")
FREQUENCIES: dict[str, tuple[str, str]] = {
    "realtime": ("实时", "Real time"),
    "hourly": ("每小时", "Hourly"),
    "daily": ("每日", "Daily"),
    "weekly": ("每周", "Weekly"),
    "monthly": ("每月", "Monthly"),
    "quarterly": ("每季度", "Quarterly"),
    "annual": ("每年", "Annual"),
    "irregular": ("不定期", "Irregular"),
}
DATA_STATUSES: dict[str, tuple[str, str]] = {
    "provisional": ("初步数据（未经审核）", "Provisional (not yet verified)"),
    "verified": ("已审核数据", "Verified"),
}
FIELD_TYPES = ("string", "integer", "number", "date", "datetime", "boolean")
CHART_KINDS = ("timeseries", "bar", "heatmap", "limits", "aqi-calendar", "aqi-levels", "water-class")  # see charts.py
AGGREGATES = ("none", "daily-mean", "monthly-mean")

DATASET_REQUIRED = (
    "id", "title", "description", "category", "department", "area", "classification",
    "license", "update_frequency", "temporal", "spatial", "status", "resources",
)
DATASET_OPTIONAL = ("standards", "methodology", "keywords", "release_at", "next_update", "charts", "derived")
# Derived datasets (see docs/derived.md): method → (names zh/en, category of the inputs it reads).
# The build computes their files from the published versions of the inputs; publisher/derived.py.
DERIVED_METHODS: dict[str, tuple[str, str, str]] = {
    "daily-aqi": ("日空气质量指数（HJ 633）", "Daily AQI (HJ 633)", "air_quality"),
    "realtime-aqi": ("实时空气质量指数（HJ 633）", "Real-time hourly AQI (HJ 633)", "air_quality"),
    "air-summary": ("空气质量月度与年度统计", "Monthly and yearly air quality summaries", "air_quality"),
    "water-class": ("断面水质类别（GB 3838 单因子评价）", "Water quality class per sample (GB 3838)",
                    "surface_water"),
    "emission-exceedance": ("污染源超标统计", "Emission exceedances of permit limits", "pollution_source"),
}
BULLETIN_REQUIRED = ("title", "date", "department", "category", "classification")
BULLETIN_OPTIONAL = ("area", "datasets", "charts", "summary", "release_at", "title_en", "keywords", "figures")
FIELD_KEYS = (
    "name", "type", "title", "description", "unit", "parameter", "references", "sensitive",
    "constraints",
)


@dataclass(frozen=True)
class Text:
    """A text in Chinese with an optional English version."""

    zh: str
    en: str | None = None

    def get(self, lang: str = "zh") -> str:
        """The text in ``lang``, falling back to Chinese."""
        return (self.en or self.zh) if lang == "en" else self.zh

    def has(self, lang: str) -> bool:
        return lang == "zh" or bool(self.en)

    @classmethod
    def of(cls, value: Any) -> Text:
        if isinstance(value, dict):
            return cls(str(value.get("zh") or value.get("en") or ""), value.get("en"))
        return cls("" if value is None else str(value))


@dataclass
class FieldSpec:
    """One column of a data file."""

    name: str
    type: str
    title: Text
    description: Text
    unit: str | None = None
    parameter: str | None = None
    references: str | None = None
    sensitive: bool = False
    constraints: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))


@dataclass
class Resource:
    """One data file of a dataset with its schema."""

    name: str
    path: Path
    relpath: str
    title: Text
    fields: list[FieldSpec]
    primary_key: list[str]
    missing_values: list[str]

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class DerivedFrom:
    """A derived dataset's recipe: the method and the input datasets (``derived:`` in dataset.yaml).

    ``sources`` is filled in the published copy only: the version and digest of each input used."""

    method: str
    inputs: tuple[str, ...]
    sources: tuple[dict[str, Any], ...] = ()


@dataclass
class Chart:
    """A chart drawn from one resource of a dataset."""

    dataset: str
    id: str
    kind: str
    resource: str
    x: str
    y: list[str]
    title: Text
    group: str | None = None
    aggregate: str = "none"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.dataset}/{self.id}"


@dataclass
class Dataset:
    """A dataset: metadata from ``dataset.yaml`` and its resources."""

    id: str
    folder: Path
    meta: dict[str, Any]
    title: Text
    description: Text
    category: str
    department: str
    area: dict[str, Any]
    classification: str
    license: str
    update_frequency: str
    status: str
    temporal: dict[str, Any]
    spatial: dict[str, Any]
    standards: list[str]
    methodology: Text | None
    keywords: list[str]
    release_at: datetime | None
    next_update: date | None
    resources: list[Resource]
    charts: list[Chart]
    derived: DerivedFrom | None = None  # computed by the build from other datasets

    kind = "dataset"

    def files(self) -> list[Path]:
        """Every file that makes up this item (what an approval covers): the regular files of
        its folder, listed without following links (a link is a loading error, never content)."""
        return paths.regular_files(self.folder)

    def resource(self, name: str) -> Resource | None:
        return next((r for r in self.resources if r.name == name), None)


@dataclass
class Bulletin:
    """A bulletin: front matter and Markdown body, Chinese with optional English."""

    id: str
    path: Path
    meta: dict[str, Any]
    title: Text
    date: datetime | None
    department: str
    category: str
    area: dict[str, Any]
    classification: str
    datasets: list[str]
    charts: list[str]
    summary: Text
    release_at: datetime | None
    body_zh: str
    body_en: str | None = None
    en_path: Path | None = None
    en_meta: dict[str, Any] = field(default_factory=dict)

    kind = "bulletin"

    def files(self) -> list[Path]:
        return [p for p in (self.path, self.en_path) if p is not None]


@dataclass
class Registry:
    """The city's registry (``content/registry.yaml``): an approved item of its own, owned by
    :data:`REGISTRY_DEPARTMENT`. ``meta`` holds the parsed lists; the build reads the approved
    version from the archive, never this working copy."""

    path: Path
    meta: dict[str, Any]

    id = REGISTRY_ID
    kind = "registry"
    department = REGISTRY_DEPARTMENT
    category = "registry"  # no category of its own: the rules' default approvals apply
    classification = "public"
    release_at = None
    derived = None
    title = Text("登记表", "Registry")

    def files(self) -> list[Path]:
        return [self.path] if self.path.is_file() else []


Item = Dataset | Bulletin


@dataclass
class Content:
    """Everything under ``content/``, with the findings from reading it."""

    root: Path
    registry: dict[str, Any]
    datasets: dict[str, Dataset]
    bulletins: dict[str, Bulletin]
    findings: list[Finding]
    registry_item: Registry | None = None

    def items(self) -> list[Item]:
        """The datasets and bulletins (the registry is not among them: see :meth:`approvable`)."""
        return [*self.datasets.values(), *self.bulletins.values()]

    def approvable(self) -> list[Item | Registry]:
        """Everything that is submitted and approved: the registry, the datasets and bulletins."""
        return [*([self.registry_item] if self.registry_item else []), *self.items()]

    def item(self, item_id: str) -> Item | Registry | None:
        if item_id == REGISTRY_ID:
            return self.registry_item
        return self.datasets.get(item_id) or self.bulletins.get(item_id)

    def chart(self, ref: str) -> Chart | None:
        dataset_id, _, chart_id = ref.partition("/")
        ds = self.datasets.get(dataset_id)
        return next((c for c in ds.charts if c.id == chart_id), None) if ds else None

    def registry_ids(self, name: str) -> set[str]:
        """Ids listed in one registry list (``air_stations``, ``water_sections`` ...)."""
        return {str(e.get("id")) for e in self.registry.get(name) or [] if isinstance(e, dict)}


_FRONT_MATTER = re.compile(r"^---\n(.*?\n)---\n?(.*)$", re.S)


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(YAML front matter, Markdown body) of a bulletin's text; (None, text) without front matter."""
    text = text.replace("\r\n", "\n")
    match = _FRONT_MATTER.match(text)
    return (match.group(1), match.group(2)) if match else (None, text)


def parse_time(value: Any) -> tuple[datetime | None, str | None]:
    """Parse an ISO 8601 time that must carry an offset. Returns (time, problem)."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None, "not-iso"
    if parsed.tzinfo is None:
        return None, "naive"
    return parsed, None


def _parse_date(value: Any) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


class _Loader:
    """Collects findings while turning YAML into content objects."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.findings: list[Finding] = []

    def rel(self, path: Path) -> str:
        return relpath(path, self.root)

    def err(self, rule: str, zh: str, en: str, **where: Any) -> None:
        self.findings.append(error(rule, zh, en, **where))

    def warn(self, rule: str, zh: str, en: str, **where: Any) -> None:
        self.findings.append(warning(rule, zh, en, **where))

    def check_keys(self, meta: dict, required: tuple, optional: tuple, *, item: str, file: str, prefix: str = "") -> None:
        for key in required:
            if meta.get(key) in (None, "", [], {}):
                self.err(
                    "metadata-field-missing",
                    f"缺少必填项 '{prefix}{key}'",
                    f"required key '{prefix}{key}' is missing",
                    item=item, file=file, key=f"{prefix}{key}",
                )
        for key in meta:
            if key not in required and key not in optional:
                self.warn(
                    "metadata-field-unknown",
                    f"未知的键 '{prefix}{key}'，将被忽略（是否拼写错误？）",
                    f"unknown key '{prefix}{key}' is ignored (a typo?)",
                    item=item, file=file, key=f"{prefix}{key}",
                )

    def check_choice(self, value: Any, choices, *, key: str, item: str, file: str) -> None:
        if value is not None and value not in choices:
            allowed = ", ".join(choices)
            self.err(
                "metadata-invalid",
                f"'{key}' 的值 '{value}' 无效，可选：{allowed}",
                f"'{key}' has the invalid value '{value}'; expected one of: {allowed}",
                item=item, file=file, key=key,
            )

    def time(self, value: Any, *, key: str, item: str, file: str) -> datetime | None:
        if value is None:
            return None
        parsed, problem = parse_time(value)
        if problem == "naive":
            self.err(
                "time-without-offset",
                f"'{key}' 的时间 {value} 没有时区，请写明偏移，如 {value}+08:00",
                f"'{key}' time {value} has no time zone; give the offset, e.g. {value}+08:00",
                item=item, file=file, key=key,
            )
        elif problem:
            self.err(
                "metadata-invalid",
                f"'{key}' 不是 ISO 8601 时间：{value}",
                f"'{key}' is not an ISO 8601 time: {value}",
                item=item, file=file, key=key,
            )
        return parsed

    def check_id(self, item_id: str, path: Path) -> bool:
        if item_id in RESERVED_IDS:
            self.err("item-id-reserved",
                     f"编号 '{item_id}' 是保留编号（登记表和发布规则在审计日志中使用），请换一个编号",
                     f"the id '{item_id}' is reserved (the registry and the release rules use it in the "
                     "audit log); choose another id", item=item_id, file=self.rel(path))
            return False
        if paths.is_id(item_id):  # fullmatch: "air-mini\n" is not "air-mini"
            return True
        shown = paths.printable(item_id)
        self.err(
            "item-id-invalid",
            f"编号 '{shown}' 无效：只能用小写英文字母、数字和连字符（最长 64 个字符），中文标题请写在 title 中",
            f"id '{shown}' is invalid: use lower-case ASCII letters, digits and hyphens "
            "(at most 64); put Chinese titles in 'title'",
            item=shown, file=paths.printable(self.rel_entry(path)),
        )
        return False

    def unsafe(self, entry: paths.Entry, item: str | None) -> None:
        """A link, FIFO, device or socket where content is read: never followed or opened."""
        what = ("符号链接", "a symbolic link") if entry.kind == "link" else ("特殊文件（管道、设备或套接字）",
                                                                             "a special file (FIFO, device or socket)")
        self.err(
            "content-file-unsafe",
            f"{self.rel_entry(entry.path)} 是{what[0]}，不予读取：内容中只能有普通文件和文件夹，请换成文件本身",
            f"{self.rel_entry(entry.path)} is {what[1]} and is not read: content holds regular files and "
            "folders only; put the file itself here",
            item=item, file=self.rel_entry(entry.path),
        )

    def rel_entry(self, path: Path) -> str:
        """``path`` relative to the project without resolving it (a link names itself)."""
        try:
            return paths.printable(Path(path).relative_to(self.root).as_posix())
        except ValueError:
            return paths.printable(Path(path).as_posix())

    # -- datasets ---------------------------------------------------------------------------

    def dataset(self, folder: Path) -> Dataset | None:
        item_id = folder.name
        if not self.check_id(item_id, folder):
            return None
        meta_path = folder / "dataset.yaml"
        file = self.rel(meta_path)
        entries = paths.scan(folder)
        for entry in entries:
            if entry.kind in ("link", "special"):
                self.unsafe(entry, item_id)
        if paths.entry_kind(meta_path) in ("link", "special"):
            return None
        if paths.entry_kind(meta_path) != "file":
            self.err(
                "metadata-missing",
                "缺少 dataset.yaml：每个数据集文件夹都需要一个元数据文件",
                "dataset.yaml is missing: every dataset folder needs one",
                item=item_id, file=self.rel(folder),
            )
            return None
        meta, found = read_yaml(meta_path, self.root, item_id)
        self.findings.extend(found)
        if meta is None:
            return None
        if not isinstance(meta, dict):
            self.err("metadata-invalid", "dataset.yaml 必须是键值映射", "dataset.yaml must be a mapping",
                     item=item_id, file=file)
            return None
        derived = self.derived(meta.get("derived"), item_id, file)
        required, optional = DATASET_REQUIRED, DATASET_OPTIONAL
        if derived:  # the build writes the resources, into its own copy (the one with sources)
            required = tuple(k for k in DATASET_REQUIRED if k != "resources")
            optional = (*DATASET_OPTIONAL, "resources") if derived.sources else DATASET_OPTIONAL
        self.check_keys(meta, required, optional, item=item_id, file=file)
        if meta.get("id") not in (None, item_id):
            self.err(
                "item-id-mismatch",
                f"id '{meta.get('id')}' 与文件夹名 '{item_id}' 不一致",
                f"id '{meta.get('id')}' does not match the folder name '{item_id}'",
                item=item_id, file=file, key="id",
            )
        where = {"item": item_id, "file": file}
        self.check_choice(meta.get("category"), CATEGORIES, key="category", **where)
        self.check_choice(meta.get("classification"), CLASSIFICATIONS, key="classification", **where)
        self.check_choice(meta.get("update_frequency"), FREQUENCIES, key="update_frequency", **where)
        self.check_choice(meta.get("status"), DATA_STATUSES, key="status", **where)
        resources: list[Resource] = []
        for i, raw in enumerate(_as_list(meta.get("resources"))):
            r = self.resource(raw, i, folder, item_id, file)
            if r is None:
                continue
            if any(other.name == r.name for other in resources):
                self.err("resource-name-invalid", f"数据文件名称 '{r.name}' 重复（resources[{i}].name）：下载文件会互相覆盖",
                         f"the resource name '{r.name}' is used twice (resources[{i}].name): its downloads "
                         "would overwrite each other", item=item_id, file=file, key=f"resources[{i}].name")
                continue
            resources.append(r)
        self.unlisted(entries, {"dataset.yaml", *(r.path.name for r in resources)}, item_id,
                      {str(raw.get("path")) for raw in _as_list(meta.get("resources")) if isinstance(raw, dict)})
        ds = Dataset(
            id=item_id,
            folder=folder,
            meta=meta,
            title=Text.of(meta.get("title")),
            description=Text.of(meta.get("description")),
            category=str(meta.get("category") or ""),
            department=str(meta.get("department") or ""),
            area=meta.get("area") if isinstance(meta.get("area"), dict) else {},
            classification=str(meta.get("classification") or ""),
            license=str(meta.get("license") or ""),
            update_frequency=str(meta.get("update_frequency") or ""),
            status=str(meta.get("status") or ""),
            temporal=meta.get("temporal") if isinstance(meta.get("temporal"), dict) else {},
            spatial=meta.get("spatial") if isinstance(meta.get("spatial"), dict) else {},
            standards=[str(s) for s in _as_list(meta.get("standards"))],
            methodology=Text.of(meta["methodology"]) if meta.get("methodology") else None,
            keywords=[str(k) for k in _as_list(meta.get("keywords"))],
            release_at=self.time(meta.get("release_at"), key="release_at", **where),
            next_update=_parse_date(meta.get("next_update")),
            resources=resources,
            charts=[],
            derived=derived,
        )
        for i, raw in enumerate(_as_list(meta.get("charts"))):
            chart = self.chart(raw, i, ds, file)
            if chart is None:
                continue
            if any(other.id == chart.id for other in ds.charts):
                self.err("chart-id-invalid", f"图表编号 '{chart.id}' 重复（charts[{i}].id）",
                         f"the chart id '{chart.id}' is used twice (charts[{i}].id)",
                         item=ds.id, file=file, key=f"charts[{i}].id")
                continue
            ds.charts.append(chart)
        return ds

    def unlisted(self, entries: list[paths.Entry], listed: set[str], item: str, named: set[str]) -> None:
        """Files and folders in a dataset folder that are neither dataset.yaml nor a resource:
        an approval would cover bytes nobody reviews, so they are refused. (Files a resource
        names but that are unsafe or invalid are reported there, not here.)"""
        for entry in entries:
            if entry.kind not in ("file", "dir") or entry.name in listed or entry.name in named:
                continue
            what = ("文件夹", "folder") if entry.kind == "dir" else ("文件", "file")
            self.err(
                "content-file-unlisted",
                f"{what[0]} {entry.name} 不是本数据集的数据文件（dataset.yaml 的 resources 中没有列出）：请在 resources 中列出，"
                "或移出数据集文件夹",
                f"the {what[1]} {entry.name} is no resource of this dataset (dataset.yaml lists it under no "
                "resources[].path): list it, or move it out of the dataset folder",
                item=item, file=self.rel_entry(entry.path),
            )

    def derived(self, raw: Any, item: str, file: str) -> DerivedFrom | None:
        """The ``derived:`` block: a known method and at least one input dataset id."""
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.err("metadata-invalid", "'derived' 必须是键值映射（method、inputs）",
                     "'derived' must be a mapping (method, inputs)", item=item, file=file, key="derived")
            return None
        # sources and aqi_method are written by the build into the published copy
        self.check_keys(raw, ("method", "inputs"), ("sources", "aqi_method"), item=item, file=file, prefix="derived.")
        method = str(raw.get("method") or "")
        if method and method not in DERIVED_METHODS:
            self.err("derived-method-unknown", f"未知的派生方法 '{method}'（可用：{', '.join(DERIVED_METHODS)}）",
                     f"unknown derivation method '{method}' (known: {', '.join(DERIVED_METHODS)})",
                     item=item, file=file, key="derived.method")
        inputs = tuple(str(i) for i in _as_list(raw.get("inputs")))
        sources = tuple(s for s in _as_list(raw.get("sources")) if isinstance(s, dict))
        return DerivedFrom(method, inputs, sources)

    def resource(self, raw: Any, index: int, folder: Path, item: str, file: str) -> Resource | None:
        prefix = f"resources[{index}]."
        if not isinstance(raw, dict):
            self.err("metadata-invalid", f"'{prefix[:-1]}' 必须是键值映射", f"'{prefix[:-1]}' must be a mapping",
                     item=item, file=file, key=prefix[:-1])
            return None
        self.check_keys(raw, ("name", "path", "schema"), ("title", "description", "format"),
                        item=item, file=file, prefix=prefix)
        name = raw.get("name")
        if name is not None and not paths.is_resource_name(name):
            self.err("resource-name-invalid",
                     f"'{prefix}name' 的值 {name!r} 无效：数据文件名称会成为下载文件名，只能用小写英文字母、数字、连字符和下划线"
                     "（最长 64 个字符）",
                     f"'{prefix}name' {name!r} is invalid: a resource name becomes the name of its download files; "
                     "use lower-case ASCII letters, digits, hyphens and underscores (at most 64)",
                     item=item, file=file, key=prefix + "name")
            return None
        rel = str(raw.get("path") or "")
        if rel and not paths.is_file_name(rel):
            self.err("resource-path-invalid",
                     f"'{prefix}path' 的值 {rel!r} 无效：应为 dataset.yaml 旁边的文件名（英文字母、数字、点、连字符、下划线，"
                     "不以点开头，不含 / 或 ..）",
                     f"'{prefix}path' {rel!r} is invalid: give the name of a file beside dataset.yaml (ASCII "
                     "letters, digits, dots, hyphens, underscores; no leading dot, no / or ..)",
                     item=item, file=file, key=prefix + "path")
            return None
        path = folder.resolve() / rel
        kind = paths.entry_kind(path) if rel else None
        if kind in ("link", "special", "dir"):
            if kind == "dir":
                self.err("resource-path-invalid", f"'{prefix}path' 指向的是文件夹：{rel}",
                         f"'{prefix}path' names a folder: {rel}", item=item, file=file, key=prefix + "path")
            return None  # a link or special file is reported by the folder scan, and never read
        if rel and kind != "file":
            self.err(
                "resource-file-missing",
                f"数据文件 {rel} 不存在（{prefix}path）",
                f"data file {rel} does not exist ({prefix}path)",
                item=item, file=file, key=prefix + "path",
            )
        schema = raw.get("schema") if isinstance(raw.get("schema"), dict) else {}
        fields = []
        for j, f in enumerate(_as_list(schema.get("fields"))):
            key = f"{prefix}schema.fields[{j}]"
            if not isinstance(f, dict) or not f.get("name"):
                self.err("metadata-field-missing", f"'{key}' 缺少 name", f"'{key}' has no name",
                         item=item, file=file, key=key)
                continue
            self.check_keys(f, ("name", "type"), FIELD_KEYS[2:], item=item, file=file, prefix=key + ".")
            self.check_choice(f.get("type"), FIELD_TYPES, key=key + ".type", item=item, file=file)
            if not FIELD_NAME.fullmatch(str(f["name"])):
                self.err("column-name-invalid",
                         f"列名 {str(f['name'])!r} 无效：只能用小写英文字母、数字和下划线，以字母开头（最长 64 个字符），"
                         "中文名称请写在 title 中",
                         f"the column name {str(f['name'])!r} is invalid: use lower-case ASCII letters, digits and "
                         "underscores, starting with a letter (at most 64); put Chinese names in 'title'",
                         item=item, file=file, key=key + ".name", column=str(f["name"]))
            fields.append(
                FieldSpec(
                    name=str(f["name"]),
                    type=str(f.get("type") or "string"),
                    title=Text.of(f.get("title") or f["name"]),
                    description=Text.of(f.get("description")),
                    unit=str(f["unit"]) if f.get("unit") is not None else None,
                    parameter=f.get("parameter"),
                    references=f.get("references"),
                    sensitive=bool(f.get("sensitive")),
                    constraints=f.get("constraints") if isinstance(f.get("constraints"), dict) else {},
                )
            )
        names = {f.name for f in fields}
        primary_key = [str(k) for k in _as_list(schema.get("primary_key"))]
        for k in primary_key:
            if k not in names:
                self.err("metadata-invalid", f"主键列 '{k}' 不在字段列表中", f"primary key column '{k}' is not a field",
                         item=item, file=file, key=prefix + "schema.primary_key")
        missing = schema.get("missing_values")
        for j, token in enumerate(missing if isinstance(missing, list) else []):
            self.missing_token(str(token), item=item, file=file, key=f"{prefix}schema.missing_values[{j}]")
        return Resource(
            name=str(raw.get("name") or f"resource-{index}"),
            path=path,
            relpath=relpath(path, self.root),
            title=Text.of(raw.get("title") or raw.get("name")),
            fields=fields,
            primary_key=primary_key,
            missing_values=[str(v) for v in missing] if isinstance(missing, list) else [""],
        )

    def missing_token(self, token: str, *, item: str, file: str, key: str) -> None:
        """A ``missing_values`` token is written into download cells as is: refuse a formula."""
        if formula_like(token):
            self.err("missing-value-invalid",
                     f"缺失值标记 {token!r} 以 {token[0]!r} 开头，电子表格会把它当作公式执行：请用空单元格或 NA 等表示缺测",
                     f"the missing-value token {token!r} starts with {token[0]!r}, which a spreadsheet runs as a "
                     "formula; mark missing cells empty or with a token such as NA",
                     item=item, file=file, key=key)
        elif _UNSAFE_IN_TOKEN.search(token) or len(token) > MISSING_TOKEN_MAX:
            self.err("missing-value-invalid",
                     f"缺失值标记 {token!r} 无效：不能含控制字符、换行或不可见字符，最长 {MISSING_TOKEN_MAX} 个字符",
                     f"the missing-value token {token!r} is invalid: no control, line-break or invisible "
                     f"characters, at most {MISSING_TOKEN_MAX} characters",
                     item=item, file=file, key=key)

    def chart(self, raw: Any, index: int, ds: Dataset, file: str) -> Chart | None:
        key = f"charts[{index}]"
        if not isinstance(raw, dict):
            self.err("metadata-invalid", f"'{key}' 必须是键值映射", f"'{key}' must be a mapping",
                     item=ds.id, file=file, key=key)
            return None
        self.check_keys(raw, ("id", "kind", "resource", "x", "y", "title"),
                        ("group", "aggregate", "options", "description"), item=ds.id, file=file, prefix=key + ".")
        if raw.get("id") is not None and not paths.is_id(str(raw["id"])):
            self.err("chart-id-invalid",
                     f"'{key}.id' 的值 {raw['id']!r} 无效：只能用小写英文字母、数字和连字符（最长 64 个字符）",
                     f"'{key}.id' {raw['id']!r} is invalid: use lower-case ASCII letters, digits and hyphens "
                     "(at most 64)", item=ds.id, file=file, key=key + ".id")
            return None
        self.check_choice(raw.get("kind"), CHART_KINDS, key=key + ".kind", item=ds.id, file=file)
        self.check_choice(raw.get("aggregate", "none"), AGGREGATES, key=key + ".aggregate", item=ds.id, file=file)
        chart = Chart(
            dataset=ds.id,
            id=str(raw.get("id") or f"chart-{index}"),
            kind=str(raw.get("kind") or "timeseries"),
            resource=str(raw.get("resource") or ""),
            x=str(raw.get("x") or ""),
            y=[str(v) for v in _as_list(raw.get("y"))],
            group=raw.get("group"),
            aggregate=str(raw.get("aggregate") or "none"),
            title=Text.of(raw.get("title")),
            options=raw.get("options") if isinstance(raw.get("options"), dict) else {},
        )
        resource = ds.resource(chart.resource)
        if resource is None:
            self.err(
                "chart-reference-invalid",
                f"图表 '{chart.id}' 引用的数据文件 '{chart.resource}' 不存在",
                f"chart '{chart.id}' names the unknown resource '{chart.resource}'",
                item=ds.id, file=file, key=key + ".resource",
            )
            return None
        for column in [chart.x, *chart.y, *([chart.group] if chart.group else [])]:
            if resource.field(column) is None:
                self.err(
                    "chart-reference-invalid",
                    f"图表 '{chart.id}' 引用的列 '{column}' 不在 {resource.name} 的字段中",
                    f"chart '{chart.id}' names the column '{column}', which {resource.name} does not have",
                    item=ds.id, file=file, key=key, column=column,
                )
                return None
        return chart

    # -- bulletins --------------------------------------------------------------------------

    def front_matter(self, path: Path, item: str) -> tuple[dict | None, str]:
        file = self.rel(path)
        try:
            text = paths.read_regular(path).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.err("file-encoding", f"文件不是 UTF-8 编码（第 {exc.start} 字节），请另存为 UTF-8",
                     f"file is not UTF-8 (byte {exc.start}); save it as UTF-8", item=item, file=file)
            return None, ""
        bad = CONTROL_CHARACTERS.search(text)
        if bad:  # invisible in every editor, yet one stops the feed writer and so every build
            self.err("text-control-character",
                     f"文本中含有控制字符 U+{ord(bad.group()):04X}（不可见），请删除",
                     f"the text holds the invisible control character U+{ord(bad.group()):04X}; remove it",
                     item=item, file=file, row=text.count("\n", 0, bad.start()) + 1)
            text = CONTROL_CHARACTERS.sub("", text)
        front, body = split_front_matter(text)
        if front is None:
            self.err(
                "metadata-missing",
                "公报开头缺少 YAML 前言（以 --- 开始和结束的一段）",
                "the bulletin does not start with YAML front matter (a block between --- lines)",
                item=item, file=file, row=1,
            )
            return None, body
        meta, found = load_yaml(front, file, item)
        # front matter starts on line 2 of the file
        self.findings.extend(replace(f, row=f.row + 1 if f.row else None) for f in found)
        if meta is not None and not isinstance(meta, dict):
            self.err("metadata-invalid", "前言必须是键值映射", "front matter must be a mapping", item=item, file=file)
            meta = None
        return meta, body

    def bulletin(self, path: Path) -> Bulletin | None:
        item_id = path.stem
        if not self.check_id(item_id, path):
            return None
        file = self.rel(path)
        meta, body = self.front_matter(path, item_id)
        if meta is None:
            return None
        self.check_keys(meta, BULLETIN_REQUIRED, BULLETIN_OPTIONAL, item=item_id, file=file)
        where = {"item": item_id, "file": file}
        self.check_choice(meta.get("category"), CATEGORIES, key="category", **where)
        self.check_choice(meta.get("classification"), CLASSIFICATIONS, key="classification", **where)
        en_path = path.with_name(f"{item_id}.en.md")
        en_meta: dict = {}
        body_en = None
        if paths.entry_kind(en_path) == "file":
            en_meta_read, body_en = self.front_matter(en_path, item_id)
            en_meta = en_meta_read or {}
            if not en_meta.get("title"):
                self.err("metadata-field-missing", "英文版缺少 'title'", "the English version has no 'title'",
                         item=item_id, file=self.rel(en_path), key="title")
        else:
            en_path = None
        title = Text(str(meta.get("title") or ""), en_meta.get("title") or meta.get("title_en"))
        summary = Text(str(meta.get("summary") or ""), en_meta.get("summary"))
        charts = [str(c) for c in _as_list(meta.get("charts"))]
        for ref in CHART_MARKER.findall(body) + CHART_MARKER.findall(body_en or ""):
            ref_s = "/".join(ref)
            if ref_s not in charts:
                charts.append(ref_s)
        return Bulletin(
            id=item_id,
            path=path,
            meta=meta,
            title=title,
            date=self.time(meta.get("date"), key="date", **where),
            department=str(meta.get("department") or ""),
            category=str(meta.get("category") or ""),
            area=meta.get("area") if isinstance(meta.get("area"), dict) else {},
            classification=str(meta.get("classification") or ""),
            datasets=[str(d) for d in _as_list(meta.get("datasets"))],
            charts=charts,
            summary=summary,
            release_at=self.time(meta.get("release_at"), key="release_at", **where),
            body_zh=body,
            body_en=body_en,
            en_path=en_path,
            en_meta=en_meta,
        )


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def load_content(root: Path) -> Content:
    """Read ``root/content``: registry, datasets and bulletins, with every loading finding."""
    root = Path(root)
    content_dir = root / "content"
    loader = _Loader(root)
    registry: dict[str, Any] = {}
    registry_path = content_dir / REGISTRY_FILE
    kind = paths.entry_kind(registry_path)
    if kind in ("link", "special"):
        loader.unsafe(paths.Entry(registry_path, kind), REGISTRY_ID)
    elif kind == "file":
        data, found = read_yaml(registry_path, root, REGISTRY_ID)
        loader.findings.extend(found)
        if data is not None:
            loader.findings.extend(registry_findings(data, loader.rel(registry_path)))
        if isinstance(data, dict):
            registry = data
    else:
        loader.err("registry-missing", f"缺少登记表 content/{REGISTRY_FILE}",
                   f"the registry content/{REGISTRY_FILE} is missing", item=REGISTRY_ID,
                   file=f"content/{REGISTRY_FILE}")
    # Listed without following links: a link or special file is reported, never read (a link
    # to var/log.key would otherwise be hashed, archived and logged; a FIFO would block).
    datasets: dict[str, Dataset] = {}
    dataset_dir = content_dir / "datasets"
    if dataset_dir.is_dir():
        for entry in paths.scan(dataset_dir):
            if entry.name.startswith("."):
                continue
            if entry.kind in ("link", "special"):
                loader.unsafe(entry, entry.name)
            elif entry.kind == "dir":
                ds = loader.dataset(entry.path)
                if ds is not None:
                    datasets[ds.id] = ds
    bulletins: dict[str, Bulletin] = {}
    bulletin_dir = content_dir / "bulletins"
    if bulletin_dir.is_dir():
        for entry in paths.scan(bulletin_dir):
            path = entry.path
            if not path.name.endswith(".md") or path.name.startswith("."):
                continue
            if entry.kind in ("link", "special"):
                loader.unsafe(entry, path.name[:-6] if path.name.endswith(".en.md") else path.stem)
            if entry.kind != "file":
                continue
            if path.name.endswith(".en.md"):
                if paths.entry_kind(path.with_name(path.name[:-6] + ".md")) != "file":
                    loader.err("metadata-invalid", "英文版没有对应的中文公报",
                               "this English version has no Chinese bulletin beside it",
                               item=path.name[:-6], file=loader.rel(path))
                continue
            b = loader.bulletin(path)
            if b is not None:
                bulletins[b.id] = b
    content = Content(root, registry, datasets, bulletins, loader.findings, Registry(registry_path, registry))
    _check_cross_references(content, loader)
    content.findings = loader.findings
    return content


def reload_datasets(content: Content, ids: list[str]) -> None:
    """Read the named datasets of ``content`` again (their files changed), replacing their
    loading findings. The build uses it after writing derived datasets' files."""
    loader = _Loader(content.root)
    wanted = set(ids)
    for item_id in ids:
        ds = loader.dataset(content.root / "content" / "datasets" / item_id)
        if ds is not None:
            content.datasets[item_id] = ds
    content.findings = [f for f in content.findings if f.item not in wanted] + loader.findings


def _check_cross_references(content: Content, loader: _Loader) -> None:
    """Bulletins must cite datasets and charts that exist; derived datasets read existing,
    submitted datasets of the category their method reads."""
    for ds in content.datasets.values():
        if ds.derived is None or ds.derived.method not in DERIVED_METHODS:
            continue
        file = loader.rel(ds.folder / "dataset.yaml")
        wanted = DERIVED_METHODS[ds.derived.method][2]
        for name in ds.derived.inputs:
            source = content.datasets.get(name)
            if source is None:
                loader.err("derived-input-missing", f"派生数据的输入数据集 '{name}' 不存在",
                           f"the input dataset '{name}' does not exist", item=ds.id, file=file, key="derived.inputs")
            elif source.derived is not None:
                loader.err("derived-input-derived", f"输入数据集 '{name}' 本身是派生数据；派生数据只能由报送的监测数据计算",
                           f"the input '{name}' is itself derived; derived data are computed from submitted "
                           "monitoring data only", item=ds.id, file=file, key="derived.inputs")
            elif source.category != wanted:
                loader.err("derived-input-category",
                           f"方法 {ds.derived.method} 读取「{CATEGORIES[wanted][0]}」类数据，'{name}' 是「"
                           f"{CATEGORIES.get(source.category, (source.category,))[0]}」",
                           f"the method {ds.derived.method} reads {wanted} data; '{name}' is {source.category}",
                           item=ds.id, file=file, key="derived.inputs")
    for b in content.bulletins.values():
        file = loader.rel(b.path)
        for ds in b.datasets:
            if ds not in content.datasets:
                loader.err("dataset-reference-invalid", f"引用的数据集 '{ds}' 不存在",
                           f"cites the dataset '{ds}', which does not exist", item=b.id, file=file, key="datasets")
        for ref in b.charts:
            if content.chart(ref) is None:
                loader.err("chart-reference-invalid", f"引用的图表 '{ref}' 不存在（格式：数据集编号/图表编号）",
                           f"embeds the chart '{ref}', which does not exist (form: dataset-id/chart-id)",
                           item=b.id, file=file, key="charts")
