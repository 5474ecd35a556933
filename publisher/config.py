"""``release_rules.yaml`` loaded into typed objects.

The file is validated against the schema documented in ``docs/rules.md``: every problem is a
finding naming its dotted key and what was expected (``permissions.air_quality.publishers[2]:
unknown department 'xx'``), unknown keys warn, and loading aborts once, at the end, with a
:class:`ConfigError` carrying every finding. A broken rules file is a configuration error (exit
code 2 at the command line).

Every section but ``site`` is optional; a missing section takes the built-in default of
:data:`DEFAULTS` (the rules of the issue that introduced them), a present one replaces it whole.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .content import CATEGORIES, Text
from .report import Finding, error, info, warning
from .yamlio import load_yaml

RULES_FILE = "release_rules.yaml"

LEVELS = ("city", "county", "enterprise")
# Environmental-quality data are published by the city-level lead department only.
QUALITY_CATEGORIES = (
    "air_quality", "surface_water", "soil", "radiation", "noise", "ecology", "groundwater", "meteorology",
)
PRESS_OFFICE = "press-office"
REVIEWER_OF_DEPARTMENT = "reviewer-of-department"
SENSITIVE_MODES = ("drop", "block")
SEVERITIES = ("error", "warning", "info")
PERIODS = ("day", "month", "year")
AREA_CODE = re.compile(r"^[0-9]{6}$")
ROLE = re.compile(r"^reviewer:(?P<dept>.+)$")

# GB 32100-2015 unified social credit code: 18 characters, the last a check character.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code (GB 32100-2015), or None."""
    if not isinstance(code, str) or len(code) != 18:
        return "length"
    if not CREDIT_CODE.match(code):
        return "charset"
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(code[:17], CREDIT_WEIGHTS))
    expected = CREDIT_CHARSET[(31 - total % 31) % 31]
    return None if code[17] == expected else f"check:{expected}"


def area_contains(outer: str, inner: str) -> bool:
    """True when administrative area ``inner`` lies in ``outer`` (GB/T 2260 six-digit codes).

    A code ending in ``00`` covers every code that shares its leading digits: ``990100`` (a
    city) contains ``990121`` (a county in it); ``990121`` contains only itself.
    """
    outer, inner = str(outer), str(inner)
    prefix = outer
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return inner.startswith(prefix)


class ConfigError(Exception):
    """The rules file cannot be used; carries every finding that says why."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("\n".join(f.line() for f in findings))


@dataclass
class Department:
    """A department that submits items, from the rules' ``departments``."""

    id: str
    name: Text
    level: str  # city | county | enterprise
    area: str  # administrative area code
    credit_code: str | None = None  # enterprises: unified social credit code
    parent: str | None = None  # enterprises: the supervising county bureau
    kind: str | None = None


@dataclass
class Approver:
    """A person who may approve releases, from the rules' ``approvers``."""

    id: str
    name: Text
    roles: list[str]  # "press-office" or "reviewer:<department>"
    department: str | None = None
    public_key: str | None = None  # "ed25519:<base64>"; filled in by the approval workflow


@dataclass
class Submitter:
    """A person who may submit items of one department (or enterprise), from ``submitters``.

    A submission is signed with this key; the approval workflow compares keys, not names, to keep
    a submitter from approving the same bytes."""

    id: str
    name: Text
    department: str
    public_key: str | None = None  # "ed25519:<base64>"; without one the person cannot submit


@dataclass
class Permission:
    """Who may publish one category, from ``permissions.<category>``."""

    category: str
    publishers: list[str] = field(default_factory=list)  # department ids
    publisher_levels: list[str] = field(default_factory=list)  # or any department of these levels
    row_area_column: str | None = None  # each row's area must lie in the submitter's area
    row_credit_code_column: str | None = None  # an enterprise may submit only its own code

    def allows(self, dept: Department) -> bool:
        return dept.id in self.publishers or dept.level in self.publisher_levels


@dataclass
class Parameter:
    """A measured quantity: allowed units and physically plausible range."""

    id: str
    name: Text
    units: list[str]
    minimum: float | None = None
    maximum: float | None = None


@dataclass
class ValidityRule:
    """A minimum data capture before a value may be aggregated (GB 3095-2012 Table 4)."""

    id: str
    period: str  # day | month | year
    categories: list[str]
    parameters: list[str]
    min_values: int  # valid hours per day, or valid days per month / year
    min_values_february: int | None
    severity: str
    clause: str
    time_label: str = "end"  # an hourly value is labelled by the end (01:00 = 00:00-01:00) or start of its hour


@dataclass
class Screen:
    """One data-quality screen of ``quality`` (its numbers live in ``options``)."""

    name: str
    severity: str
    options: dict[str, Any]


@dataclass
class Privacy:
    sensitive_columns: str = "drop"  # drop | block
    banned_terms: list[str] = field(default_factory=list)
    allowed_contacts: list[str] = field(default_factory=list)  # public e-mails/numbers, never flagged


@dataclass
class Site:
    """How the portal presents itself."""

    name: Text
    publisher: Text
    base_url: str
    timezone: str
    license: str
    city_code: str


@dataclass
class Rules:
    """The whole rules file."""

    path: Path
    site: Site
    departments: dict[str, Department]
    raw: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # warnings about the file itself
    # the exact bytes these rules were parsed from: what the log's ``rules`` entries hash, so the
    # digest logged is always that of the rules in force (read once, never re-read)
    source: bytes = b""
    approvers: dict[str, Approver] = field(default_factory=dict)
    submitters: dict[str, Submitter] = field(default_factory=dict)
    permissions: dict[str, Permission] = field(default_factory=dict)
    approvals: dict[str, list[str]] = field(default_factory=dict)
    units: list[str] = field(default_factory=list)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    sentinels: list[float] = field(default_factory=list)
    validity: list[ValidityRule] = field(default_factory=list)
    quality: dict[str, Screen] = field(default_factory=dict)
    privacy: Privacy = field(default_factory=Privacy)
    max_field_chars: int = 10_000
    max_findings_per_rule: int = 20
    aqi_method: str = "platform"  # how HJ 633 is applied: a method on file in publisher/standards

    def department_name(self, dept_id: str, lang: str = "zh") -> str:
        dept = self.departments.get(dept_id)
        return dept.name.get(lang) if dept else dept_id

    def may_publish(self, dept_id: str, category: str) -> bool:
        """Whether department ``dept_id`` may publish items of ``category``."""
        dept = self.departments.get(dept_id)
        perm = self.permissions.get(category)
        return dept is not None and perm is not None and perm.allows(dept)

    def required_roles(self, item: Any) -> list[str]:
        """The roles that must each approve ``item`` (a dataset or bulletin), resolved.

        ``reviewer-of-department`` becomes ``reviewer:<the item's department>``; for an
        enterprise it is its supervising bureau (``parent``), since an enterprise never approves
        its own publication. The workflow also refuses an approval by the submitter.
        """
        tokens = self.approvals.get(getattr(item, "category", ""), self.approvals.get("default", []))
        reviewer = self.department_reviewer_role(item)
        roles = []
        for token in tokens:
            role = reviewer if token == REVIEWER_OF_DEPARTMENT else token
            if role not in roles:
                roles.append(role)
        return roles

    def department_reviewer_role(self, item: Any) -> str:
        """``reviewer:<department>`` for the department owning ``item`` (an enterprise's: its parent)."""
        dept_id = str(getattr(item, "department", ""))
        dept = self.departments.get(dept_id)
        if dept is not None and dept.level == "enterprise" and dept.parent:
            dept_id = dept.parent
        return f"reviewer:{dept_id}"

    def approvers_with_role(self, role: str) -> list[Approver]:
        return [a for a in self.approvers.values() if role in a.roles]


# The built-in rules; release_rules.yaml restates them as the worked example.
DEFAULTS: dict[str, Any] = {
    "permissions": {
        "air_quality": {"publishers": ["sthjj"]},
        "surface_water": {"publishers": ["sthjj"]},
        "soil": {"publishers": ["sthjj"]},
        "radiation": {"publishers": ["sthjj"]},
        "noise": {"publishers": ["sthjj"]},
        "ecology": {"publishers": ["lyj"]},
        "groundwater": {"publishers": ["zrzyj"]},
        "meteorology": {"publishers": ["qxj"]},
        "pollution_source": {"publishers": ["sthjj"], "publisher_levels": ["county", "enterprise"],
                             "row_area_column": "area_code",
                             "row_credit_code_column": "credit_code"},
    },
    "approvals": {"default": [REVIEWER_OF_DEPARTMENT, PRESS_OFFICE]},
    "units": ["μg/m³", "mg/m³", "mg/L", "μg/L", "ng/L", "mg/kg", "nGy/h", "μSv/h", "Bq/L", "Bq/kg", "dB(A)",
              "℃", "%", "个/L", "MPN/L", "m³/h", "m³/s", "t/a", "kg/h", "m", "m/s", "mm", "hPa", "km²", "hm²"],
    "parameters": {
        "so2": {"units": ["μg/m³"], "range": [0, 10000]},
        "no2": {"units": ["μg/m³"], "range": [0, 5000]},
        "co": {"units": ["mg/m³"], "range": [0, 200]},
        "o3": {"units": ["μg/m³"], "range": [0, 2000]},
        "pm10": {"units": ["μg/m³"], "range": [0, 5000]},
        "pm25": {"units": ["μg/m³"], "range": [0, 3000]},
    },
    "values": {"sentinels": [-999, -9999, -99999, 9999, 99999]},
    "validity": {
        "air-daily": {"period": "day", "categories": ["air_quality"],
                      "parameters": ["so2", "no2", "co", "pm10", "pm25"], "min_values": 20,
                      "severity": "warning", "clause": "GB 3095-2012 第8章 表4"},
    },
    "quality": {
        "flatline": {"min_run": 12, "severity": "warning"},
        "spike": {"robust_z": 12, "min_jump": 0, "severity": "warning"},
        "gap": {"max_hours": 72, "severity": "warning"},
        "permit_clustering": {"band": [0.9, 1.0], "max_share": 0.6, "min_values": 20, "value_column": "value",
                              "parameter_column": "parameter", "severity": "warning"},
    },
    "privacy": {"sensitive_columns": "drop", "banned_terms": []},
    "files": {"max_field_chars": 10_000},
    "report": {"max_findings_per_rule": 20},
}

TOP_KEYS = ("version", "site", "departments", "approvers", "submitters", "permissions", "approvals", "units", "parameters",
            "values", "validity", "quality", "privacy", "files", "report", "warnings", "aqi")
AQI_KEYS = ("method",)
WARNING_KEYS = ("active_days", "trend_months", "trend_min_months", "trend_p", "air_class")
SITE_KEYS = ("name", "publisher", "base_url", "timezone", "license", "city")
DEPARTMENT_KEYS = ("name", "level", "area", "kind", "parent", "credit_code")
APPROVER_KEYS = ("name", "roles", "department", "public_key")
SUBMITTER_KEYS = ("name", "department", "public_key")
PERMISSION_KEYS = ("publishers", "publisher_levels", "row_area_column", "row_credit_code_column")
PARAMETER_KEYS = ("name", "units", "range")
VALIDITY_KEYS = ("period", "categories", "parameters", "min_values", "min_values_february", "severity", "clause",
                 "time_label")
SCREEN_KEYS = {
    "flatline": ("min_run", "severity"),
    "spike": ("robust_z", "min_jump", "severity"),
    "gap": ("max_hours", "severity"),
    "permit_clustering": ("band", "max_share", "min_values", "value_column", "parameter_column", "severity"),
}
OPTIONAL_SCREEN_KEYS = ("min_jump", "value_column", "parameter_column")


class _Schema:
    """Collects findings while reading the rules file; every finding names its dotted key."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings

    def bad(self, key: str, zh: str, en: str) -> None:
        self.findings.append(error("rules-invalid", zh, en, file=RULES_FILE, key=key))

    def unknown(self, data: dict, allowed, prefix: str) -> None:
        for k in data:
            if k not in allowed:
                key = f"{prefix}.{k}" if prefix else str(k)
                self.findings.append(warning(
                    "rules-key-unknown", f"未知的键 '{key}'，将被忽略（是否拼写错误？）",
                    f"unknown key '{key}' is ignored (a typo?)", file=RULES_FILE, key=key))

    def mapping(self, value: Any, key: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.bad(key, f"应为键值映射，实际为 {_kind(value)}", f"expected a mapping, got {_kind(value)}")
            return {}
        return value

    def strings(self, value: Any, key: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad(key, f"应为字符串列表，实际为 {_kind(value)}", f"expected a list of strings, got {_kind(value)}")
            return []
        out = []
        for i, v in enumerate(value):
            if not isinstance(v, str) or not v:
                self.bad(f"{key}[{i}]", f"应为非空字符串，实际为 {_kind(v)}", f"expected a non-empty string, got {_kind(v)}")
            else:
                out.append(v)
        return out

    def choices(self, value: Any, allowed, key: str) -> list[str]:
        out = []
        for i, v in enumerate(self.strings(value, key)):
            if v not in allowed:
                self.bad(f"{key}[{i}]", f"未知的值 '{v}'，可选：{', '.join(allowed)}",
                         f"unknown value '{v}'; expected one of: {', '.join(allowed)}")
            else:
                out.append(v)
        return out

    def choice(self, value: Any, allowed, key: str, default: str) -> str:
        if value is None:
            return default
        if value not in allowed:
            self.bad(key, f"值 '{value}' 无效，可选：{', '.join(allowed)}",
                     f"invalid value '{value}'; expected one of: {', '.join(allowed)}")
            return default
        return str(value)

    def number(self, value: Any, key: str, default: float | None, *, minimum: float | None = None,
               integer: bool = False) -> float | None:
        if value is None:
            return default
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            what = "整数" if integer else "数字"
            self.bad(key, f"应为{what}，实际为 {_kind(value)}", f"expected {'an integer' if integer else 'a number'}, "
                     f"got {_kind(value)}")
            return default
        if minimum is not None and value < minimum:
            self.bad(key, f"应不小于 {minimum}，实际为 {value}", f"must be at least {minimum}, got {value}")
            return default
        return value

    def text(self, value: Any, key: str, *, required: bool = False) -> Text:
        if value is None or value == "":
            if required:
                self.bad(key, "缺少名称（写成 {zh: ..., en: ...} 或一个字符串）",
                         "a name is missing (write {zh: ..., en: ...} or a string)")
            return Text("")
        if isinstance(value, dict):
            self.unknown(value, ("zh", "en"), key)
            if not isinstance(value.get("zh"), str) or not value.get("zh"):
                self.bad(f"{key}.zh", "缺少中文名称", "the Chinese text 'zh' is missing")
            if value.get("en") is not None and not isinstance(value.get("en"), str):
                self.bad(f"{key}.en", "英文名称应为字符串", "'en' must be a string")
            return Text.of(value)
        if not isinstance(value, str):
            self.bad(key, f"应为文字或 {{zh, en}}，实际为 {_kind(value)}", f"expected text or {{zh, en}}, got {_kind(value)}")
            return Text("")
        return Text(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def load_rules(root: Path) -> Rules:
    """Load and validate ``root/release_rules.yaml``; raise :class:`ConfigError` on errors."""
    path = Path(root) / RULES_FILE
    if not path.is_file():
        raise ConfigError(
            [error("rules-file-missing", f"找不到规则文件 {RULES_FILE}（用 publisher init 创建）",
                   f"{RULES_FILE} not found (create one with 'publisher init')", file=RULES_FILE)]
        )
    source = path.read_bytes()
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError([error("file-encoding", f"文件不是 UTF-8 编码（第 {exc.start} 字节），请另存为 UTF-8",
                                 f"file is not UTF-8 (byte {exc.start}); save it as UTF-8", file=RULES_FILE)]) from None
    data, findings = load_yaml(text, RULES_FILE)
    if data is None and findings:  # unreadable: the schema would only repeat "missing" for every key
        raise ConfigError(findings)
    if data is not None and not isinstance(data, dict):
        findings.append(error("rules-invalid", "规则文件必须是键值映射", "the rules file must be a mapping", file=RULES_FILE))
        data = None
    data = data or {}
    rules = parse_rules(data, findings, path)
    if any(f.severity.value == "error" for f in findings):
        raise ConfigError(findings)
    rules.source = source
    return rules


def parse_rules(data: dict[str, Any], findings: list[Finding], path: Path = Path(RULES_FILE)) -> Rules:
    """Turn the parsed YAML into :class:`Rules`, appending every problem to ``findings``."""
    s = _Schema(findings)
    s.unknown(data, TOP_KEYS, "")
    version = data.get("version", 1)
    if version != 1:
        s.bad("version", f"不支持的规则文件版本 {version}，应为 1", f"unsupported rules version {version}; expected 1")

    site = _site(s, data)
    departments = _departments(s, data)
    approvers = _approvers(s, data, departments)
    submitters = _submitters(s, data, departments)
    _distinct_keys(s, approvers, submitters)
    permissions = _permissions(s, data, departments)
    approvals = _approvals(s, data, departments)
    _roles_needed_together(s, approvers, approvals, departments)
    units = s.strings(data["units"], "units") if "units" in data else list(DEFAULTS["units"])
    parameters = _parameters(s, data, units)
    values = s.mapping(data.get("values", DEFAULTS["values"]), "values")
    s.unknown(values, ("sentinels",), "values")
    sentinels = []
    for i, v in enumerate(values.get("sentinels") or []):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            s.bad(f"values.sentinels[{i}]", f"应为数字，实际为 {_kind(v)}", f"expected a number, got {_kind(v)}")
        else:
            sentinels.append(float(v))
    validity = _validity(s, data, parameters)
    quality = _quality(s, data)
    privacy_raw = s.mapping(data.get("privacy", DEFAULTS["privacy"]), "privacy")
    s.unknown(privacy_raw, ("sensitive_columns", "banned_terms", "allowed_contacts"), "privacy")
    privacy = Privacy(
        sensitive_columns=s.choice(privacy_raw.get("sensitive_columns"), SENSITIVE_MODES,
                                   "privacy.sensitive_columns", "drop"),
        banned_terms=s.strings(privacy_raw.get("banned_terms"), "privacy.banned_terms"),
        allowed_contacts=s.strings(privacy_raw.get("allowed_contacts"), "privacy.allowed_contacts"),
    )
    files = s.mapping(data.get("files", DEFAULTS["files"]), "files")
    s.unknown(files, ("max_field_chars",), "files")
    report = s.mapping(data.get("report", DEFAULTS["report"]), "report")
    s.unknown(report, ("max_findings_per_rule",), "report")
    _warnings(s, data)
    aqi_method = _aqi(s, data)
    return Rules(
        path=path, site=site, departments=departments, raw=data, findings=findings,
        approvers=approvers, submitters=submitters, permissions=permissions, approvals=approvals, units=units,
        parameters=parameters, sentinels=sentinels, validity=validity, quality=quality, privacy=privacy,
        max_field_chars=int(s.number(files.get("max_field_chars"), "files.max_field_chars", 10_000,
                                     minimum=1, integer=True)),
        max_findings_per_rule=int(s.number(report.get("max_findings_per_rule"), "report.max_findings_per_rule", 20,
                                           minimum=1, integer=True)),
        aqi_method=aqi_method,
    )


def _aqi(s: _Schema, data: dict) -> str:
    """``aqi.method``: which recorded way of applying HJ 633 the portal publishes (docs/standards.md);
    the default is the national real-time platform's practice."""
    from .standards import default_method_name, method_names

    raw = s.mapping(data.get("aqi", {}), "aqi")
    s.unknown(raw, AQI_KEYS, "aqi")
    default = default_method_name()
    return s.choice(raw.get("method"), method_names(), "aqi.method", default)


def _site(s: _Schema, data: dict) -> Site:
    site_raw = s.mapping(data.get("site"), "site")
    s.unknown(site_raw, SITE_KEYS, "site")
    if not site_raw.get("name"):
        s.bad("site.name", "缺少 'site.name'（门户名称）", "'site.name' (the portal's name) is missing")
    city = s.mapping(site_raw.get("city"), "site.city")
    s.unknown(city, ("code", "name", "name_en"), "site.city")
    if city.get("code") is not None and not AREA_CODE.match(str(city.get("code"))):
        s.bad("site.city.code", f"行政区划代码应为 6 位数字（加引号），实际为 {_kind(city.get('code'))}",
              f"expected a six-digit area code in quotes, got {_kind(city.get('code'))}")
    return Site(
        name=Text.of(site_raw.get("name") or "生态环境监测信息发布"),
        publisher=Text.of(site_raw.get("publisher") or site_raw.get("name") or ""),
        base_url=str(site_raw.get("base_url") or "").rstrip("/"),
        timezone=str(site_raw.get("timezone") or "Asia/Shanghai"),
        license=str(site_raw.get("license") or "CC-BY-4.0"),
        city_code=str(city.get("code") or ""),
    )


def _departments(s: _Schema, data: dict) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    raw = s.mapping(data.get("departments"), "departments")
    for dept_id, d in raw.items():
        key = f"departments.{dept_id}"
        if not isinstance(d, dict):
            s.bad(key, f"应为键值映射，实际为 {_kind(d)}", f"expected a mapping, got {_kind(d)}")
            continue
        s.unknown(d, DEPARTMENT_KEYS, key)
        name = s.text(d.get("name"), f"{key}.name", required=True)
        level = d.get("level")
        if level not in LEVELS:
            s.bad(f"{key}.level", f"应为 city、county 或 enterprise，实际为 {_kind(level)}",
                  f"expected city, county or enterprise, got {_kind(level)}")
        area = d.get("area")
        if not isinstance(area, str) or not AREA_CODE.match(area):
            s.bad(f"{key}.area", f"行政区划代码应为加引号的 6 位数字，实际为 {_kind(area)}",
                  f"expected a six-digit area code in quotes, got {_kind(area)}")
        credit = d.get("credit_code")
        if level == "enterprise":
            if not str(dept_id).startswith("ent-"):
                s.bad(key, f"企业部门编号应以 ent- 开头并与登记表 enterprises 的 id 相同，实际为 '{dept_id}'",
                      f"an enterprise's id must start with 'ent-' and equal its registry id, got '{dept_id}'")
            if not credit:
                s.bad(f"{key}.credit_code", "企业必须填写统一社会信用代码 credit_code",
                      "an enterprise needs its unified social credit code 'credit_code'")
        if credit is not None:
            problem = credit_code_problem(credit) if isinstance(credit, str) else "length"
            if problem:
                zh, en = credit_code_message(str(credit), problem)
                s.bad(f"{key}.credit_code", zh, en)
        parent = d.get("parent")
        departments[str(dept_id)] = Department(
            id=str(dept_id), name=name if name.zh else Text(str(dept_id)), level=str(level or ""),
            area=str(area or ""), credit_code=str(credit) if credit else None,
            parent=str(parent) if parent else None, kind=str(d["kind"]) if d.get("kind") else None,
        )
    for dept in departments.values():
        if dept.parent and dept.parent not in departments:
            s.bad(f"departments.{dept.id}.parent", f"未知的部门 '{dept.parent}'", f"unknown department '{dept.parent}'")
        elif dept.parent and not area_contains(departments[dept.parent].area, dept.area):
            s.bad(f"departments.{dept.id}.parent", f"上级部门 '{dept.parent}' 的辖区不包含 {dept.area}",
                  f"the parent '{dept.parent}' does not cover area {dept.area}")
    return departments


def credit_code_message(code: str, problem: str) -> tuple[str, str]:
    """Chinese and English text for a :func:`credit_code_problem` result."""
    if problem == "length":
        return (f"统一社会信用代码 '{code}' 应为 18 位", f"unified social credit code '{code}' must have 18 characters")
    if problem == "charset":
        return (f"统一社会信用代码 '{code}' 含有不允许的字符（不使用 I、O、Z、S、V）",
                f"unified social credit code '{code}' has characters GB 32100-2015 does not use (no I, O, Z, S, V)")
    expected = problem.partition(":")[2]
    return (f"统一社会信用代码 '{code}' 校验码错误（按 GB 32100-2015 应为 {expected}）",
            f"unified social credit code '{code}' has a wrong check character (GB 32100-2015 gives {expected})")


def _approvers(s: _Schema, data: dict, departments: dict[str, Department]) -> dict[str, Approver]:
    approvers: dict[str, Approver] = {}
    raw = s.mapping(data.get("approvers"), "approvers")
    for user_id, a in raw.items():
        key = f"approvers.{user_id}"
        if not isinstance(a, dict):
            s.bad(key, f"应为键值映射，实际为 {_kind(a)}", f"expected a mapping, got {_kind(a)}")
            continue
        s.unknown(a, APPROVER_KEYS, key)
        roles = s.strings(a.get("roles"), f"{key}.roles")
        if not roles:
            s.bad(f"{key}.roles", "至少需要一个角色：press-office 或 reviewer:<部门编号>",
                  "needs at least one role: press-office or reviewer:<department>")
        for i, role in enumerate(roles):
            m = ROLE.match(role)
            if role == PRESS_OFFICE:
                continue
            if not m:
                s.bad(f"{key}.roles[{i}]", f"未知的角色 '{role}'，应为 press-office 或 reviewer:<部门编号>",
                      f"unknown role '{role}'; expected press-office or reviewer:<department>")
            elif m["dept"] not in departments:
                s.bad(f"{key}.roles[{i}]", f"未知的部门 '{m['dept']}'", f"unknown department '{m['dept']}'")
        dept = a.get("department")
        if dept is not None and dept not in departments:
            s.bad(f"{key}.department", f"未知的部门 '{dept}'", f"unknown department '{dept}'")
        approvers[str(user_id)] = Approver(
            id=str(user_id), name=s.text(a.get("name"), f"{key}.name", required=True), roles=roles,
            department=str(dept) if dept else None, public_key=_public_key(s, a.get("public_key"), f"{key}.public_key"),
        )
    return approvers


def _public_key(s: _Schema, value: Any, key: str) -> str | None:
    """An ``ed25519:<base64>`` public key of 32 bytes, or None when left empty."""
    from .keys import KeyFileError, public_key_raw

    if value in (None, ""):
        return None
    try:
        if not isinstance(value, str):
            raise KeyFileError(_kind(value))
        public_key_raw(value)
    except KeyFileError:
        s.bad(key, "公钥应写成 ed25519:<32 字节的 base64>（publisher keygen 打印的那一行），或留空",
              "a public key is written ed25519:<base64 of 32 bytes> (the line 'publisher keygen' prints), or left empty")
        return None
    return value.strip()


def _submitters(s: _Schema, data: dict, departments: dict[str, Department]) -> dict[str, Submitter]:
    """``submitters``: who may submit items of which department, and the key that signs it."""
    submitters: dict[str, Submitter] = {}
    raw = s.mapping(data.get("submitters"), "submitters")
    for user_id, a in raw.items():
        key = f"submitters.{user_id}"
        if not isinstance(a, dict):
            s.bad(key, f"应为键值映射，实际为 {_kind(a)}", f"expected a mapping, got {_kind(a)}")
            continue
        s.unknown(a, SUBMITTER_KEYS, key)
        dept = a.get("department")
        if dept is None:
            s.bad(f"{key}.department", "缺少提交人所属的部门（或企业）编号 department",
                  "'department' (the department or enterprise the submitter belongs to) is missing")
        elif dept not in departments:
            s.bad(f"{key}.department", f"未知的部门 '{dept}'", f"unknown department '{dept}'")
        submitters[str(user_id)] = Submitter(
            id=str(user_id), name=s.text(a.get("name"), f"{key}.name", required=True), department=str(dept or ""),
            public_key=_public_key(s, a.get("public_key"), f"{key}.public_key"),
        )
    return submitters


def _distinct_keys(s: _Schema, approvers: dict[str, Approver], submitters: dict[str, Submitter]) -> None:
    """One key, one person: a key listed for two user ids would let one person act as two.

    The same id may appear as approver and submitter (with one key or two): the workflow
    compares both ids and keys, so that person never approves what they submitted."""
    seen: dict[str, str] = {}
    for section, people in (("approvers", approvers), ("submitters", submitters)):
        for user_id, person in people.items():
            if not person.public_key:
                continue
            other = seen.setdefault(person.public_key, user_id)
            if other != user_id:
                s.bad(f"{section}.{user_id}.public_key", f"该公钥已登记给 '{other}'：每人使用自己的密钥",
                      f"this public key is listed for '{other}' already: each person signs with their own key")


def _roles_needed_together(s: _Schema, approvers: dict[str, Approver], approvals: dict[str, list[str]],
                           departments: dict[str, Department]) -> None:
    """Warn (``approver-roles-overlap``) when one approver holds two roles that one item needs together.

    A warning, not an error: a press officer may also be her own department's reviewer (a small
    bureau), and the workflow lets her fill only one of the two roles of a version, so the
    separation holds either way; the rules' author learns that someone else must hold the other
    role, or those items can never be approved."""
    for user_id, approver in approvers.items():
        if len(approver.roles) < 2:
            continue
        for category, tokens in sorted(approvals.items()):
            clash = None
            for dept_id, dept in sorted(departments.items()):
                reviewer = dept.parent if dept.level == "enterprise" and dept.parent else dept_id
                needed = {f"reviewer:{reviewer}" if t == REVIEWER_OF_DEPARTMENT else t for t in tokens}
                held = [r for r in approver.roles if r in needed]
                if len(held) > 1:
                    clash = (dept_id, held)
                    break
            if clash is not None:
                dept_id, held = clash
                s.findings.append(warning(
                    "approver-roles-overlap",
                    f"'{user_id}' 同时拥有 {'、'.join(held)}，而 {dept_id} 的 {category} 条目同时需要这些角色："
                    "同一人对一个版本只能承担其中一个角色，其余须由他人批准",
                    f"'{user_id}' holds {', '.join(held)}, which {category} items of {dept_id} need together: one "
                    "person fills only one role of a version; someone else must approve in the others",
                    file=RULES_FILE, key=f"approvers.{user_id}.roles"))
                break


def _permissions(s: _Schema, data: dict, departments: dict[str, Department]) -> dict[str, Permission]:
    explicit = "permissions" in data
    raw = s.mapping(data.get("permissions") if explicit else copy.deepcopy(DEFAULTS["permissions"]), "permissions")
    permissions: dict[str, Permission] = {}
    for category, p in raw.items():
        key = f"permissions.{category}"
        if category not in CATEGORIES:
            s.bad(key, f"未知的类别 '{category}'，可选：{', '.join(CATEGORIES)}",
                  f"unknown category '{category}'; expected one of: {', '.join(CATEGORIES)}")
            continue
        if not isinstance(p, dict):
            s.bad(key, f"应为键值映射，实际为 {_kind(p)}", f"expected a mapping, got {_kind(p)}")
            continue
        s.unknown(p, PERMISSION_KEYS, key)
        publishers = s.strings(p.get("publishers"), f"{key}.publishers")
        levels = s.choices(p.get("publisher_levels"), LEVELS, f"{key}.publisher_levels")
        if explicit:
            for i, dept_id in enumerate(publishers):
                dept = departments.get(dept_id)
                if dept is None:
                    s.bad(f"{key}.publishers[{i}]", f"未知的部门 '{dept_id}'", f"unknown department '{dept_id}'")
                elif category in QUALITY_CATEGORIES and dept.level != "city":
                    s.bad(f"{key}.publishers[{i}]",
                          f"环境质量数据只能由市级牵头部门发布，'{dept_id}' 是 {dept.level} 级",
                          f"environmental-quality data are published by the city-level lead department only; "
                          f"'{dept_id}' is {dept.level}-level")
            if category in QUALITY_CATEGORIES and levels:
                s.bad(f"{key}.publisher_levels", "环境质量数据只能由指定的市级牵头部门发布，不能按级别授权",
                      "environmental-quality data are published by the named city-level lead department, not by level")
            if not publishers and not levels:
                s.bad(key, "没有部门可以发布此类别：填写 publishers 或 publisher_levels",
                      "no department may publish this category: give publishers or publisher_levels")
        permissions[category] = Permission(
            category=category, publishers=publishers, publisher_levels=levels,
            row_area_column=_opt_str(s, p.get("row_area_column"), f"{key}.row_area_column"),
            row_credit_code_column=_opt_str(s, p.get("row_credit_code_column"), f"{key}.row_credit_code_column"),
        )
    if explicit:
        for category in CATEGORIES:
            if category not in permissions and category not in raw:
                s.findings.append(info(
                    "rules-category-unpublishable", f"没有为类别 '{category}' 指定发布部门，任何部门都不能发布它",
                    f"no publisher is given for category '{category}'; nobody may publish it",
                    file=RULES_FILE, key=f"permissions.{category}"))
    return permissions


def _opt_str(s: _Schema, value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        s.bad(key, f"应为列名（字符串），实际为 {_kind(value)}", f"expected a column name, got {_kind(value)}")
        return None
    return value


def _approvals(s: _Schema, data: dict, departments: dict[str, Department]) -> dict[str, list[str]]:
    raw = s.mapping(data.get("approvals", DEFAULTS["approvals"]), "approvals")
    approvals: dict[str, list[str]] = {}
    if "default" not in raw:
        s.bad("approvals.default", "缺少默认审批要求 'default'，例如 [reviewer-of-department, press-office]",
              "'default' is missing, e.g. [reviewer-of-department, press-office]")
    for name, tokens in raw.items():
        key = f"approvals.{name}"
        if name != "default" and name not in CATEGORIES:
            s.bad(key, f"应为 default 或类别名，实际为 '{name}'", f"expected 'default' or a category, got '{name}'")
            continue
        roles = s.strings(tokens, key)
        if not roles:
            s.bad(key, "至少需要一个审批角色", "needs at least one approving role")
        for i, role in enumerate(roles):
            m = ROLE.match(role)
            if role in (PRESS_OFFICE, REVIEWER_OF_DEPARTMENT):
                continue
            if not m:
                s.bad(f"{key}[{i}]", f"未知的审批角色 '{role}'，应为 reviewer-of-department、press-office 或 "
                      "reviewer:<部门编号>", f"unknown role '{role}'; expected reviewer-of-department, "
                      "press-office or reviewer:<department>")
            elif m["dept"] not in departments:
                s.bad(f"{key}[{i}]", f"未知的部门 '{m['dept']}'", f"unknown department '{m['dept']}'")
        if len(set(roles)) != len(roles):
            s.bad(key, "同一角色重复出现", "a role is listed twice")
        approvals[str(name)] = roles
    return approvals


def _parameters(s: _Schema, data: dict, units: list[str]) -> dict[str, Parameter]:
    raw = s.mapping(data.get("parameters", DEFAULTS["parameters"]), "parameters")
    parameters: dict[str, Parameter] = {}
    for pid, p in raw.items():
        key = f"parameters.{pid}"
        if not isinstance(p, dict):
            s.bad(key, f"应为键值映射，实际为 {_kind(p)}", f"expected a mapping, got {_kind(p)}")
            continue
        s.unknown(p, PARAMETER_KEYS, key)
        p_units = s.strings(p.get("units"), f"{key}.units")
        for i, u in enumerate(p_units):
            if u not in units:
                s.bad(f"{key}.units[{i}]", f"单位 '{u}' 不在 units 列表中", f"unit '{u}' is not in the 'units' list")
        lo = hi = None
        rng = p.get("range")
        if rng is not None:
            if (not isinstance(rng, list) or len(rng) != 2
                    or any(isinstance(v, bool) or not isinstance(v, (int, float, type(None))) for v in rng)):
                s.bad(f"{key}.range", "应为 [最小值, 最大值]（可用 null 表示不限）",
                      "expected [minimum, maximum] (null for no bound)")
            else:
                lo, hi = rng
                if lo is not None and hi is not None and lo > hi:
                    s.bad(f"{key}.range", f"最小值 {lo} 大于最大值 {hi}", f"minimum {lo} is above maximum {hi}")
        name = s.text(p.get("name"), f"{key}.name")
        parameters[str(pid)] = Parameter(id=str(pid), name=name if name.zh else Text(str(pid)),
                                         units=p_units, minimum=lo, maximum=hi)
    return parameters


def _validity(s: _Schema, data: dict, parameters: dict[str, Parameter]) -> list[ValidityRule]:
    raw = s.mapping(data.get("validity", DEFAULTS["validity"]), "validity")
    out = []
    for rid, v in raw.items():
        key = f"validity.{rid}"
        if not isinstance(v, dict):
            s.bad(key, f"应为键值映射，实际为 {_kind(v)}", f"expected a mapping, got {_kind(v)}")
            continue
        s.unknown(v, VALIDITY_KEYS, key)
        period = s.choice(v.get("period"), PERIODS, f"{key}.period", "day")
        if v.get("period") is None:
            s.bad(f"{key}.period", "缺少 period（day、month 或 year）", "'period' (day, month or year) is missing")
        min_values = s.number(v.get("min_values"), f"{key}.min_values", None, minimum=1, integer=True)
        if min_values is None and v.get("min_values") is None:
            s.bad(f"{key}.min_values", "缺少 min_values（每日有效小时数或每月/年有效天数）",
                  "'min_values' (valid hours per day, or valid days per month / year) is missing")
        limit = {"day": 24, "month": 31, "year": 366}[period]
        if min_values is not None and min_values > limit:
            s.bad(f"{key}.min_values", f"每个{period}最多 {limit} 个值，实际要求 {min_values}",
                  f"a {period} has at most {limit} values, got {min_values}")
        feb = s.number(v.get("min_values_february"), f"{key}.min_values_february", None, minimum=1, integer=True)
        if not v.get("clause"):
            s.bad(f"{key}.clause", "请注明依据的标准条款，例如 GB 3095-2012 表4",
                  "cite the clause these thresholds come from, e.g. GB 3095-2012 Table 4")
        params = s.strings(v.get("parameters"), f"{key}.parameters")
        for i, p in enumerate(params):
            if p not in parameters:
                s.bad(f"{key}.parameters[{i}]", f"未知的参数 '{p}'（见 parameters）", f"unknown parameter '{p}' (see parameters)")
        out.append(ValidityRule(
            id=str(rid), period=period, categories=s.choices(v.get("categories"), CATEGORIES, f"{key}.categories"),
            parameters=params, min_values=int(min_values or 1), min_values_february=int(feb) if feb else None,
            severity=s.choice(v.get("severity"), SEVERITIES, f"{key}.severity", "warning"),
            clause=str(v.get("clause") or ""),
            time_label=s.choice(v.get("time_label"), ("end", "start"), f"{key}.time_label", "end"),
        ))
    return out


def _warnings(s: _Schema, data: dict) -> None:
    """``warnings``: thresholds of the early warnings (see docs/warnings.md); defaults apply."""
    raw = s.mapping(data.get("warnings", {}), "warnings")
    s.unknown(raw, WARNING_KEYS, "warnings")
    for key in ("active_days", "trend_months", "trend_min_months"):
        s.number(raw.get(key), f"warnings.{key}", None, minimum=1, integer=True)
    p = s.number(raw.get("trend_p"), "warnings.trend_p", None, minimum=0)
    if p is not None and p >= 1:
        s.bad("warnings.trend_p", f"应小于 1，实际为 {p}", f"must be below 1, got {p}")
    if raw.get("air_class") not in (None, 1, 2):
        s.bad("warnings.air_class", f"应为 1 或 2（GB 3095 一类或二类区），实际为 {raw.get('air_class')}",
              f"must be 1 or 2 (GB 3095 class 1 or 2 areas), got {raw.get('air_class')}")


def _quality(s: _Schema, data: dict) -> dict[str, Screen]:
    raw = s.mapping(data.get("quality", DEFAULTS["quality"]), "quality")
    s.unknown(raw, SCREEN_KEYS, "quality")
    screens: dict[str, Screen] = {}
    for name, allowed in SCREEN_KEYS.items():
        if name not in raw:
            continue
        key = f"quality.{name}"
        q = s.mapping(raw[name], key)
        s.unknown(q, allowed, key)
        opts: dict[str, Any] = {}
        for opt in allowed:
            if opt == "severity":
                continue
            if opt not in q:
                if opt not in OPTIONAL_SCREEN_KEYS:
                    s.bad(f"{key}.{opt}", f"缺少 '{opt}'", f"'{opt}' is missing")
                continue
            if opt in ("value_column", "parameter_column"):
                column = _opt_str(s, q[opt], f"{key}.{opt}")
                if column:
                    opts[opt] = column
                continue
            if opt == "band":
                band = q[opt]
                if (not isinstance(band, list) or len(band) != 2
                        or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in band)
                        or not 0 < band[0] < band[1]):
                    s.bad(f"{key}.band", "应为 [下限比例, 上限比例]，如 [0.9, 1.0]",
                          "expected [low share, high share] of the limit, e.g. [0.9, 1.0]")
                    continue
                opts[opt] = [float(b) for b in band]
            else:
                integer = opt in ("min_run", "min_values")
                val = s.number(q[opt], f"{key}.{opt}", None, minimum=0, integer=integer)
                if val is not None:
                    opts[opt] = val
        if name == "flatline" and opts.get("min_run", 2) < 2:
            s.bad(f"{key}.min_run", "至少为 2", "must be at least 2")
        if name == "permit_clustering" and not 0 < opts.get("max_share", 0.5) <= 1:
            s.bad(f"{key}.max_share", "应在 0 到 1 之间", "must lie between 0 and 1")
        screens[name] = Screen(name, s.choice(q.get("severity"), SEVERITIES, f"{key}.severity", "warning"), opts)
    return screens
