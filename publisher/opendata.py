"""Open data releases: versioned downloads and catalogues, made from the releasable set only.

Every published version of a dataset gets a folder that never changes once published,
``data/<id>/<n>/``, holding each resource in four formats (plain UTF-8 CSV for scripts, UTF-8
CSV with a byte-order mark for Excel, XLSX, Parquet), a Frictionless ``datapackage.json``, a
bilingual ``README.md``, a deterministic zip of the whole release and ``SHA256SUMS``.
``data/<id>/latest/`` is a byte copy of the newest version (a copy, not a symlink: static hosts
do not follow links). The site also gets a DCAT-AP catalogue (``catalog.jsonld``), a Project
Open Data catalogue (``data.json``) and one zip of every current CSV (``data/all-latest.zip``).

The build calls this module in two halves: :func:`plan_open_data` before rendering writes every
file into a scratch folder and returns what pages list (names, sizes, SHA-256), and
:func:`export_open_data` moves the files into the site. The bytes of a version folder depend only
on that version (its archived data files and the metadata approved with it) and the site's
rules, so a rebuild writes the same bytes and an old version keeps serving its own data after a
correction. See ``docs/opendata.md``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable
from zoneinfo import ZoneInfo

from . import paths
from .cells import column_may_be_live, neutralise, neutralise_number_cell
from .content import Dataset, FieldSpec, Resource, Text
from .xlsx import Workbook

if TYPE_CHECKING:
    from .site import SiteModel

# Why a version was published. Same ids as the approval workflow (``workflow.REASONS``).
REASONS: dict[str, tuple[str, str]] = {
    "initial": ("首次发布", "First release"),
    "scheduled-update": ("定期更新", "Scheduled update"),
    "revision": ("初步数据修订", "Revision of provisional data"),
    "correction": ("更正", "Correction"),
    "recomputed": ("输入数据更新后重新计算", "Recomputed from updated inputs"),  # derived datasets
}

DATA_DIR = "data"
LATEST = "latest"
BULK_ZIP = "data/all-latest.zip"
DCAT_CATALOGUE = "catalog.jsonld"
POD_CATALOGUE = "data.json"
ZIP_EPOCH = datetime(1980, 1, 1)  # the earliest time a zip entry can carry
XLSX_MAX_ROWS = 1_048_576 - 2  # Excel's limit, less the two header rows

MEDIA_TYPES = {
    "csv": "text/csv",
    "csv-excel": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "zip": "application/zip",
    "datapackage": "application/json",
    "readme": "text/markdown",
    "checksums": "text/plain",
}
EU_FILE_TYPES = {  # DCAT-AP dct:format, from the EU file-type authority table
    "csv": "CSV", "csv-excel": "CSV", "xlsx": "XLSX", "parquet": "PARQUET", "zip": "ZIP",
    "datapackage": "JSON",
}
EU_FREQUENCIES = {
    "realtime": "CONT", "hourly": "HOURLY", "daily": "DAILY", "weekly": "WEEKLY",
    "monthly": "MONTHLY", "quarterly": "QUARTERLY", "annual": "ANNUAL", "irregular": "IRREG",
}
POD_FREQUENCIES = {  # Project Open Data accrualPeriodicity (ISO 8601 repeating durations)
    "realtime": "R/PT1S", "hourly": "R/PT1H", "daily": "R/P1D", "weekly": "R/P1W",
    "monthly": "R/P1M", "quarterly": "R/P3M", "annual": "R/P1Y", "irregular": "irregular",
}
LICENCE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "ODC-By-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "PDDL-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
}
TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")
SCHEMA_CONSTRAINTS = ("required", "unique", "minimum", "maximum", "enum", "pattern")


class OpenDataError(Exception):
    """A release cannot be exported as approved; the message says why in Chinese and English."""


@dataclass
class DatasetVersion:
    """One approved version of a dataset, as the approval workflow records it.

    ``files`` maps each resource name to the archived bytes approved for this version.
    ``dataset`` is the metadata approved with this version (``dataset.yaml`` loaded from the
    archive); ``None`` means "the current metadata", which is only right for the newest version.
    ``audit`` is reserved for the link to the audit-log entry and its inclusion proof.
    ``kept`` holds the download files its publication recorded (site path → SHA-256 and archived
    copy): they are served as published, never made again, so a published file never changes.
    """

    dataset_id: str
    number: int
    released_at: datetime  # with an offset
    reason: str  # one of REASONS
    files: dict[str, Path]
    note: str = ""
    dataset: Dataset | None = None
    audit: dict[str, Any] | None = None
    kept: dict[str, tuple[str, Path]] = field(default_factory=dict)


@dataclass
class Download:
    """One published file of a dataset."""

    name: str
    url: str  # site-relative path
    bytes: int
    sha256: str
    title: dict[str, str]
    format: str = ""  # csv | csv-excel | xlsx | parquet | zip | datapackage | readme | checksums
    resource: str | None = None
    version: int | None = None


@dataclass
class PublishedVersion:
    """A version as written: the metadata used and every file of its folder."""

    version: DatasetVersion
    dataset: Dataset
    folder: str  # site-relative, e.g. data/air-mini/2
    files: list[Download]

    def file(self, fmt: str, resource: str | None = None) -> Download | None:
        return next((d for d in self.files if d.format == fmt and d.resource == resource), None)


@dataclass
class OpenDataPlan:
    """Everything :func:`plan_open_data` wrote into ``scratch``, for pages and the export."""

    scratch: Path
    published: dict[str, list[PublishedVersion]] = field(default_factory=dict)  # oldest first

    @property
    def downloads(self) -> dict[str, list[Download]]:
        """The newest version's files of every dataset, at their versioned addresses."""
        return {ds_id: versions[-1].files for ds_id, versions in self.published.items() if versions}


# -- versions ------------------------------------------------------------------------------


def reason_name(reason: str, lang: str) -> str:
    zh, en = REASONS.get(reason, (reason, reason))
    return en if lang == "en" else zh


# -- the plan: every file, written into scratch -----------------------------------------------


def plan_open_data(site: SiteModel, scratch: Path) -> OpenDataPlan:
    """Write every open-data file into ``scratch`` (the layout of the site) and list them."""
    tz = ZoneInfo(site.rules.site.timezone)
    plan = OpenDataPlan(scratch=scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    for ds_id, versions in sorted(site.versions.items()):
        if ds_id not in site.release.datasets:
            continue  # nothing unreleased is exported, whatever the workflow passes
        current = site.release.datasets[ds_id]
        published = [_write_version(site, v, v.dataset or current, scratch, tz) for v in versions]
        if not published:
            continue
        newest = published[-1]
        shutil.copytree(paths.confined(scratch, newest.folder), paths.confined(scratch, DATA_DIR, ds_id, LATEST))
        plan.published[ds_id] = published
        _write_bytes(scratch, f"{DATA_DIR}/{ds_id}/versions.json",
                     _json_bytes(_versions_index(site, current, published)))
    if plan.published:
        _write_bytes(scratch, BULK_ZIP, _bulk_zip(site, plan, tz))
        _write_bytes(scratch, DCAT_CATALOGUE, _json_bytes(dcat_catalogue(site, plan)))
        _write_bytes(scratch, POD_CATALOGUE, _json_bytes(pod_catalogue(site, plan)))
    return plan


def export_open_data(plan: OpenDataPlan, site_dir: Path) -> dict[str, list[Download]]:
    """Move the planned files into the site; returns the newest version's downloads."""
    if plan.scratch.is_dir():
        for entry in sorted(plan.scratch.iterdir()):
            target = site_dir / entry.name
            if target.exists():
                raise OpenDataError(f"输出中已存在 {entry.name} / {entry.name} already exists in the output")
            shutil.move(str(entry), str(target))
    for versions in plan.published.values():
        for pv in versions:
            for d in pv.files:
                if _sha256(paths.confined(site_dir, d.url).read_bytes()) != d.sha256:
                    raise OpenDataError(f"下载文件与发布内容不一致 / download differs from the release: {d.url}")
    return plan.downloads


def _write_version(site: SiteModel, version: DatasetVersion, ds: Dataset, scratch: Path,
                   tz: ZoneInfo) -> PublishedVersion:
    if not paths.is_id(version.dataset_id) or not isinstance(version.number, int):
        raise OpenDataError(f"数据集编号或版本号无效 / invalid dataset id or version: {version.dataset_id!r} "
                            f"{version.number!r}")
    folder = f"{DATA_DIR}/{version.dataset_id}/{version.number}"
    files: dict[str, bytes] = {}
    downloads: list[Download] = []

    def made(name: str, make: Callable[[], bytes]) -> bytes:
        """The bytes this version published under ``name``, else newly made ones."""
        kept = version.kept.get(f"{folder}/{name}")
        if kept is None:
            return make()
        data = kept[1].read_bytes()
        if _sha256(data) != kept[0]:
            raise OpenDataError(f"存档的已发布文件已损坏 / the archived copy of a published file is corrupted: "
                                f"{folder}/{name}")
        return data

    def add(name: str, data: bytes, fmt: str, title: Text, resource: str | None = None) -> None:
        files[name] = data
        downloads.append(Download(name=name, url=f"{folder}/{name}", bytes=len(data), sha256=_sha256(data),
                                  title={"zh": title.zh, "en": title.en or title.zh}, format=fmt,
                                  resource=resource, version=version.number))

    tables: list[tuple[Resource, list[FieldSpec]]] = []
    for r in ds.resources:
        source = version.files.get(r.name)
        if source is None:
            continue  # a resource added in a later version
        if not paths.is_resource_name(r.name):  # checked when loaded; again here, where it becomes a file name
            raise OpenDataError(f"数据文件名称无效 / invalid resource name: {r.name!r}")
        rows, published = _read_approved(r, source, version)
        tables.append((r, published))
        add(f"{r.name}.csv", made(f"{r.name}.csv", lambda: _csv_bytes(published, rows, excel=False)), "csv",
            _suffix(r.title, "CSV（UTF-8，供程序读取）", "CSV (UTF-8, for scripts)"), r.name)
        add(f"{r.name}.excel.csv", made(f"{r.name}.excel.csv", lambda: _csv_bytes(published, rows, excel=True)),
            "csv-excel", _suffix(r.title, "CSV（UTF-8 带 BOM，供 Excel 打开）", "CSV (UTF-8 with BOM, for Excel)"),
            r.name)
        if len(rows) <= XLSX_MAX_ROWS:  # larger tables do not fit a worksheet: CSV and Parquet only
            add(f"{r.name}.xlsx", made(f"{r.name}.xlsx", lambda: _xlsx_bytes(site, ds, version, r, published, rows)),
                "xlsx", _suffix(r.title, "Excel 工作簿（含数据字典）", "Excel workbook (with data dictionary)"),
                r.name)
        add(f"{r.name}.parquet", made(f"{r.name}.parquet", lambda: _parquet_bytes(ds, version, r, published, rows, tz)),
            "parquet", _suffix(r.title, "Parquet（带类型，供分析）", "Parquet (typed, for analysis)"), r.name)
    if not tables:
        raise OpenDataError(f"{version.dataset_id} 第 {version.number} 版没有数据文件 / "
                            f"{version.dataset_id} version {version.number} has no data files")
    add("README.md", _readme(site, ds, version, tables, list(downloads)).encode("utf-8"), "readme",
        Text("说明（中英文）", "Read me (Chinese and English)"))
    package = _datapackage(site, ds, version, tables, list(downloads))
    add("datapackage.json", _json_bytes(package), "datapackage",
        Text("数据包描述（Frictionless Data Package）", "Data package (Frictionless)"))
    when = _zip_time(version.released_at, tz)
    archive = _zip_bytes([(f"{ds.id}-v{version.number}/{name}", files[name]) for name in sorted(files)], when)
    add(f"{ds.id}.zip", archive, "zip", Text("本版本全部文件（zip）", "Whole release (zip)"))
    sums = "".join(f"{_sha256(files[name])}  {name}\n" for name in sorted(files))
    add("SHA256SUMS", sums.encode("ascii"), "checksums", Text("校验和（SHA-256）", "Checksums (SHA-256)"))
    for name, data in files.items():
        _write_bytes(scratch, f"{folder}/{name}", data)
    return PublishedVersion(version=version, dataset=ds, folder=folder, files=downloads)


def _suffix(title: Text, zh: str, en: str) -> Text:
    return Text(f"{title.zh} · {zh}", f"{title.get('en')} · {en}")


# -- reading the approved bytes ------------------------------------------------------------


def _read_approved(r: Resource, source: Path, version: DatasetVersion) -> tuple[list[list[str]], list[FieldSpec]]:
    """Rows (the exact text of every published cell) and the published fields.

    Only columns declared in the schema and not ``sensitive`` are published, in schema order:
    an undeclared column might hold personal data nobody has looked at.
    """
    where = f"{version.dataset_id} v{version.number} {r.name}"
    try:
        text = Path(source).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OpenDataError(f"{where}：数据文件不是 UTF-8 / the data file is not UTF-8") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    published = [f for f in r.fields if not f.sensitive]
    missing = [f.name for f in published if f.name not in header]
    if missing:
        raise OpenDataError(f"{where}：数据文件缺少列 {', '.join(missing)} / "
                            f"the data file lacks the columns {', '.join(missing)}")
    index = [header.index(f.name) for f in published]
    rows = []
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise OpenDataError(f"{where}：第 {line} 行列数不对 / row {line} has {len(row)} cells, "
                                f"the header {len(header)}")
        rows.append([row[i] for i in index])
    return rows, published


def _public_cells(fields: list[FieldSpec], rows: list[list[str]]) -> Iterable[list[str]]:
    """The rows as the CSV downloads write them: every cell a spreadsheet would run, whatever
    its column's type (a missing-value token of a number column, a bad date), made inert
    (``publisher.cells``). Numbers in number columns keep their approved text, so clean files
    come out byte for byte as approved; only the columns that may hold a formula are walked."""
    live = []
    for i, (f, cells) in enumerate(zip(fields, zip(*rows))):  # the columns, transposed at C speed
        numbers = f.type in ("number", "integer")
        if column_may_be_live(cells, numbers=numbers):
            live.append((i, neutralise_number_cell if numbers else neutralise))
    for row in rows:
        if live:
            row = list(row)
            for i, inert in live:
                row[i] = inert(row[i])
        yield row


# -- formats -------------------------------------------------------------------------------


def _csv_bytes(fields: list[FieldSpec], rows: list[list[str]], *, excel: bool) -> bytes:
    """Plain UTF-8 with LF for scripts; UTF-8 with a BOM and CRLF for Excel. Cells keep their
    approved text exactly (numbers are never reformatted); a cell or column name a spreadsheet
    would run is neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n" if excel else "\n")
    writer.writerow([neutralise(f.name) for f in fields])
    writer.writerows(_public_cells(fields, rows))
    text = buffer.getvalue()
    if not excel and "\r" in text:
        # The csv module quotes a cell holding the row terminator's characters only: with LF rows
        # a bare CR stays unquoted, and a spreadsheet that ends rows at a CR would start a new
        # row there, with whatever follows the CR (a formula) as its first cell.
        text = _csv_text_quoting_cr(fields, rows)
    data = text.encode("utf-8")
    return b"\xef\xbb\xbf" + data if excel else data


def _csv_text_quoting_cr(fields: list[FieldSpec], rows: list[list[str]]) -> str:
    """The plain CSV text, with every row that holds a CR written with all its cells quoted."""
    buffer = io.StringIO(newline="")
    minimal = csv.writer(buffer, lineterminator="\n")
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in [[neutralise(f.name) for f in fields], *_public_cells(fields, rows)]:
        (quoted if any("\r" in cell for cell in row) else minimal).writerow(row)
    return buffer.getvalue()


def _label(f: FieldSpec) -> str:
    title = f.title.zh if not f.title.en or f.title.en == f.title.zh else f"{f.title.zh} / {f.title.en}"
    return f"{title} ({f.unit})" if f.unit else title


def _cell_value(f: FieldSpec, text: str, missing: set[str]) -> Any:
    """The typed value of one cell for XLSX: numbers as numbers, everything else as its text,
    neutralised (a spreadsheet runs what a user confirms in a cell: the prefix keeps it text)."""
    if text in missing:
        return None
    if f.type == "integer":
        return int(text)
    if f.type == "number":
        value = float(text)
        return value if math.isfinite(value) else neutralise(text)
    return neutralise(text)


def _xlsx_bytes(site: SiteModel, ds: Dataset, version: DatasetVersion, r: Resource,
                fields: list[FieldSpec], rows: list[list[str]]) -> bytes:
    """Sheets ``data`` (names in bold, labels with units, then typed values; the two header rows
    frozen), ``dictionary`` and ``metadata``, written by ``publisher.xlsx``, which never writes a
    formula. The document times are the release time, so the bytes depend on the version only."""
    book = Workbook(created=version.released_at, creator=site.rules.site.publisher.zh, title=ds.title.zh)
    missing = set(r.missing_values)

    def texts(values: Iterable[Any]) -> list[str | None]:
        return [None if v is None else neutralise(str(v)) for v in values]

    data = book.add_sheet("data", freeze_rows=2)
    data.append(texts(f.name for f in fields), bold=True)
    data.append(texts(_label(f) for f in fields))
    for row in rows:
        # A missing value is an empty text cell, not no cell: readers (Frictionless) take a row
        # without its trailing cells for a short row.
        data.append(["" if value is None else value
                     for value in (_cell_value(f, text, missing) for f, text in zip(fields, row))])

    dictionary = book.add_sheet("dictionary")
    dictionary.append(texts(("name", "名称", "title", "类型 type", "单位 unit", "说明", "description")), bold=True)
    for f in fields:
        dictionary.append(texts((f.name, f.title.zh, f.title.en or "", f.type, f.unit or "", f.description.zh,
                                 f.description.en or "")))

    metadata = book.add_sheet("metadata")
    for key, zh, en in _metadata_rows(site, ds, version, r):
        metadata.append(texts((key, zh, en)), bold={0})
    return book.to_bytes(_zip_time(version.released_at, ZoneInfo(site.rules.site.timezone)))


def _metadata_rows(site: SiteModel, ds: Dataset, version: DatasetVersion, r: Resource) -> list[tuple[str, str, str]]:
    return [
        ("dataset", ds.id, ds.id),
        ("title", ds.title.zh, ds.title.get("en")),
        ("resource", f"{r.name}: {r.title.zh}", f"{r.name}: {r.title.get('en')}"),
        ("version", str(version.number), str(version.number)),
        ("released_at", version.released_at.isoformat(), version.released_at.isoformat()),
        ("reason", reason_name(version.reason, "zh"), reason_name(version.reason, "en")),
        ("note", version.note, version.note),
        ("status", *_status(ds)),
        ("department", site.department_name(ds.department, "zh"), site.department_name(ds.department, "en")),
        ("publisher", site.rules.site.publisher.zh, site.rules.site.publisher.get("en")),
        ("license", ds.license, ds.license),
        ("temporal", f"{ds.temporal.get('start', '')} – {ds.temporal.get('end', '')}",
         f"{ds.temporal.get('start', '')} – {ds.temporal.get('end', '')}"),
        ("area", f"{ds.area.get('name', '')} ({ds.area.get('code', '')})",
         f"{ds.area.get('name', '')} ({ds.area.get('code', '')})"),
        ("standards", "、".join(ds.standards), ", ".join(ds.standards)),
        ("source", _absolute(site, _page(ds.id)), _absolute(site, _page(ds.id))),
        ("header", "第 1 行为列名（英文，版本间不变），第 2 行为中文名称和单位",
         "Row 1: column names (ASCII, stable across versions); row 2: labels and units"),
        ("formulas", "以 = + - @ 开头的文本前加了 '，以免被当作公式执行",
         "Text starting with = + - @ is prefixed with ' so it is never run as a formula"),
    ]


def _status(ds: Dataset) -> tuple[str, str]:
    from .content import DATA_STATUSES

    return DATA_STATUSES.get(ds.status, (ds.status, ds.status))


def _parquet_bytes(ds: Dataset, version: DatasetVersion, r: Resource, fields: list[FieldSpec],
                   rows: list[list[str]], tz: ZoneInfo) -> bytes:
    """Typed columns: int64, float64, bool, date32, timestamp with the city's zone; text exactly
    as approved (no formula prefix: Parquet is never opened by a spreadsheet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    resource_missing = set(r.missing_values)
    arrays, schema_fields = [], []
    for i, f in enumerate(fields):
        values = [_typed(f, row[i], resource_missing, tz) for row in rows]
        arrow_type = {
            "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32(),
            "datetime": pa.timestamp("us", tz=str(tz)),
        }.get(f.type, pa.string())
        arrays.append(pa.array(values, type=arrow_type))
        meta = {"title_zh": f.title.zh, "title_en": f.title.en or "", "unit": f.unit or "",
                "description_zh": f.description.zh, "description_en": f.description.en or ""}
        schema_fields.append(pa.field(f.name, arrow_type, metadata={k: v for k, v in meta.items() if v}))
    schema = pa.schema(schema_fields, metadata={"dataset": ds.id, "version": str(version.number),
                                                "released_at": version.released_at.isoformat()})
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buffer, compression="zstd")
    return buffer.getvalue()


def _typed(f: FieldSpec, text: str, missing: set[str], tz: ZoneInfo) -> Any:
    if text in missing:
        return None
    try:
        if f.type == "integer":
            return int(text)
        if f.type == "number":
            return float(text)
        if f.type == "boolean":
            if text in TRUE_VALUES or text in FALSE_VALUES:
                return text in TRUE_VALUES
            raise ValueError(text)
        if f.type == "date":
            return date.fromisoformat(text[:10])
        if f.type == "datetime":
            value = datetime.fromisoformat(text)
            if value.tzinfo is None:
                raise ValueError(text)
            return value.astimezone(tz)
    except ValueError as exc:
        raise OpenDataError(f"列 {f.name} 的值 '{text}' 不是 {f.type} / "
                            f"the value '{text}' of column {f.name} is not a valid {f.type}") from exc
    return text


# -- datapackage.json and README -----------------------------------------------------------


def _table_schema(r: Resource, fields: list[FieldSpec]) -> dict[str, Any]:
    out = []
    for f in fields:
        spec: dict[str, Any] = {"name": f.name, "type": f.type, "title": f.title.zh}
        if f.title.en:
            spec["title_en"] = f.title.en
        if f.description.zh:
            spec["description"] = f.description.zh
        if f.description.en:
            spec["description_en"] = f.description.en
        if f.unit:
            spec["unit"] = f.unit
        constraints = {k: f.constraints[k] for k in SCHEMA_CONSTRAINTS if k in f.constraints}
        if constraints:
            spec["constraints"] = constraints
        out.append(spec)
    schema: dict[str, Any] = {"fields": out, "missingValues": list(r.missing_values)}
    names = {f.name for f in fields}
    if r.primary_key and all(k in names for k in r.primary_key):
        schema["primaryKey"] = list(r.primary_key)
    return schema


def _release_info(version: DatasetVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "released_at": version.released_at.isoformat(),
        "reason": version.reason,
        "reason_label": {"zh": reason_name(version.reason, "zh"), "en": reason_name(version.reason, "en")},
        "note": version.note,
        "audit": version.audit,  # audit-log entry and inclusion proof, filled by the workflow
    }


def _datapackage(site: SiteModel, ds: Dataset, version: DatasetVersion,
                 tables: list[tuple[Resource, list[FieldSpec]]], files: list[Download]) -> dict[str, Any]:
    """Frictionless Data Package v1. The profile is ``data-package``, not ``tabular-data-package``:
    the Parquet file and the README are listed as plain files (``type: file``) so that every file
    carries ``bytes`` and ``hash`` and Frictionless checks both."""
    schemas = {r.name: _table_schema(r, fields) for r, fields in tables}
    resources = []
    for d in files:
        entry: dict[str, Any] = {
            "name": d.name.replace(".", "-").lower(), "path": d.name, "title": d.title["zh"],
            "title_en": d.title["en"], "format": _format_ext(d.format), "mediatype": MEDIA_TYPES[d.format],
            "bytes": d.bytes, "hash": f"sha256:{d.sha256}",
        }
        if d.format in ("csv", "csv-excel"):
            entry.update({"profile": "tabular-data-resource", "encoding": "utf-8",
                          "dialect": {"delimiter": ",", "header": True,
                                      "lineTerminator": "\r\n" if d.format == "csv-excel" else "\n"},
                          "schema": schemas[d.resource]})
            if d.format == "csv-excel":
                entry["description"] = "UTF-8 with a byte-order mark, for Excel"
        elif d.format == "xlsx":
            # Row 2 holds labels and units: a comment row to Frictionless, so the values validate.
            entry.update({"profile": "tabular-data-resource",
                          "dialect": {"headerRows": [1], "commentRows": [2], "excel": {"sheet": "data"}},
                          "schema": schemas[d.resource]})
        else:
            entry.update({"profile": "data-resource", "type": "file"})
        resources.append(entry)
    licence = {"name": ds.license, "path": licence_url(ds.license), "title": ds.license}
    dept = Text(site.department_name(ds.department, "zh"), site.department_name(ds.department, "en"))
    package: dict[str, Any] = {
        "profile": "data-package",
        "name": ds.id,
        "id": _absolute(site, f"{DATA_DIR}/{ds.id}/{version.number}/"),
        "title": ds.title.zh,
        "title_en": ds.title.get("en"),
        "description": ds.description.zh,
        "description_en": ds.description.get("en"),
        "version": str(version.number),
        "created": version.released_at.isoformat(),
        "homepage": _absolute(site, _page(ds.id)),
        "keywords": list(ds.keywords),
        "licenses": [licence],
        "sources": [{"title": f"{dept.zh} / {dept.en}", "path": _absolute(site, _page(ds.id))}],
        "contributors": [
            {"title": f"{dept.zh} / {dept.en}", "role": "author"},
            {"title": f"{site.rules.site.publisher.zh} / {site.rules.site.publisher.get('en')}",
             "role": "publisher"},
        ],
        "status": ds.status,
        "temporal": {k: str(v) for k, v in ds.temporal.items()},
        "area": {k: str(v) for k, v in ds.area.items()},
        "standards": list(ds.standards),
        "release": _release_info(version),
        "resources": resources,
    }
    return package


def _format_ext(fmt: str) -> str:
    return {"csv-excel": "csv", "datapackage": "json", "readme": "md", "checksums": "txt"}.get(fmt, fmt)


def _readme(site: SiteModel, ds: Dataset, version: DatasetVersion,
            tables: list[tuple[Resource, list[FieldSpec]]], files: list[Download]) -> str:
    dept_zh = site.department_name(ds.department, "zh")
    dept_en = site.department_name(ds.department, "en")
    status_zh, status_en = _status(ds)
    when = version.released_at.isoformat()
    page = _absolute(site, _page(ds.id))
    lines = [
        f"# {ds.title.zh}", "",
        f"{ds.title.get('en')}", "",
        f"- 数据集编号 / Dataset id: `{ds.id}`",
        f"- 版本 / Version: {version.number}（{reason_name(version.reason, 'zh')} / "
        f"{reason_name(version.reason, 'en')}）",
        f"- 发布时间 / Released: {when}",
    ]
    if version.note:
        lines.append(f"- 版本说明 / Note: {version.note}")
    lines += [
        f"- 数据状态 / Status: {status_zh} / {status_en}",
        f"- 发布部门 / Published by: {dept_zh} / {dept_en}",
        f"- 时间范围 / Period: {ds.temporal.get('start', '')} – {ds.temporal.get('end', '')}",
        f"- 区域 / Area: {ds.area.get('name', '')} ({ds.area.get('code', '')})",
        f"- 许可 / Licence: {ds.license} <{licence_url(ds.license)}>",
        f"- 网页 / Web page: <{page}>",
    ]
    if ds.standards:
        lines.append(f"- 执行标准 / Standards: {', '.join(ds.standards)}")
    lines += ["", "## 说明", "", ds.description.zh, ""]
    if ds.description.en:
        lines += ["## Description", "", ds.description.en, ""]
    lines += [
        "## 文件 / Files", "",
        "| 文件 File | 字节 Bytes | SHA-256 |", "| --- | ---: | --- |",
        *(f"| `{d.name}` | {d.bytes} | `{d.sha256}` |" for d in files),
        "",
        "- `*.excel.csv`：UTF-8 带 BOM，**用 Excel 打开选这个**，中文不会乱码。",
        "  UTF-8 with a byte-order mark: **open this one in Excel**, Chinese shows correctly.",
        "- `*.csv`：UTF-8 无 BOM，供程序读取（Python、R 等）。",
        "  Plain UTF-8 without a BOM, for scripts (Python, R, ...).",
        "- `*.xlsx`：Excel 工作簿，第 1 行为列名，第 2 行为中文名称和单位；另有 dictionary、metadata 两个工作表。",
        "  Excel workbook: row 1 column names, row 2 labels and units; sheets `dictionary` and `metadata`.",
        "- `*.parquet`：带类型的列（时间带时区），供数据分析。",
        "  Typed columns (times with their zone), for analysis.",
        "- 以 = + - @ 开头的文本单元格在 CSV 和 XLSX 中前加了 `'`，以免被电子表格当作公式执行；数值从不改动。",
        "  Text cells starting with = + - @ carry a leading `'` in the CSV and XLSX files so spreadsheets never",
        "  run them as formulas; numbers are never changed.",
        "",
        "## 数据字典 / Data dictionary", "",
    ]
    for r, fields in tables:
        lines += [f"### {r.name}: {r.title.zh} / {r.title.get('en')}", "",
                  "| 列 Column | 名称 | Name | 类型 Type | 单位 Unit |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{f.name}` | {f.title.zh} | {f.title.get('en')} | {f.type} | {f.unit or ''} |"
                  for f in fields]
        lines.append("")
    lines += [
        "## 校验 / Verify", "",
        "解压后在本目录运行 / After unzipping, run in this folder:", "",
        "```", "sha256sum -c --ignore-missing SHA256SUMS   # 或 / or: frictionless validate datapackage.json",
        "```", "",
    ]
    return "\n".join(line.replace("\r", "") for line in lines)


# -- catalogues and pages ------------------------------------------------------------------


def licence_url(spdx: str) -> str:
    return LICENCE_URLS.get(spdx, f"https://spdx.org/licenses/{spdx}.html")


def _page(ds_id: str) -> str:
    return f"datasets/{ds_id}/"


def _absolute(site: SiteModel, rel: str) -> str:
    """An address on the site: absolute when the rules give ``site.base_url``."""
    base = site.rules.site.base_url
    return f"{base.rstrip('/')}/{rel}" if base else rel


def _distributions(pv: PublishedVersion) -> list[Download]:
    return [d for d in pv.files if d.format in EU_FILE_TYPES]


def _versions_index(site: SiteModel, ds: Dataset, published: list[PublishedVersion]) -> dict[str, Any]:
    newest = published[-1]
    return {
        "dataset": ds.id,
        "title": {"zh": ds.title.zh, "en": ds.title.get("en")},
        "page": _absolute(site, _page(ds.id)),
        "latest": newest.version.number,
        "latest_url": _absolute(site, f"{DATA_DIR}/{ds.id}/{LATEST}/"),
        "modified": newest.version.released_at.isoformat(),
        "next_update": ds.next_update.isoformat() if ds.next_update else None,
        "versions": [
            {**_release_info(pv.version), "url": _absolute(site, pv.folder + "/"),
             "files": [{"name": d.name, "bytes": d.bytes, "sha256": d.sha256} for d in pv.files]}
            for pv in published
        ],
    }


def _lang_text(text: Text) -> list[dict[str, str]]:
    values = [{"@value": text.zh, "@language": "zh"}]
    if text.en:
        values.append({"@value": text.en, "@language": "en"})
    return values


def dcat_catalogue(site: SiteModel, plan: OpenDataPlan) -> dict[str, Any]:
    """DCAT-AP as JSON-LD: the catalogue, every dataset and every distribution of its newest
    version (versioned download addresses, so each checksum stays true)."""
    rules = site.rules.site
    vocab = _absolute(site, "vocab#") if rules.base_url else "urn:x-publisher:vocab#"
    datasets = []
    for ds_id, published in sorted(plan.published.items()):
        ds = site.release.datasets[ds_id]
        newest = published[-1]
        page = _absolute(site, _page(ds_id))
        dept = {"@type": "foaf:Agent", "foaf:name": _lang_text(
            Text(site.department_name(ds.department, "zh"), site.department_name(ds.department, "en")))}
        node: dict[str, Any] = {
            "@id": page + "#dataset",
            "@type": "dcat:Dataset",
            "dct:identifier": ds_id,
            "dct:title": _lang_text(ds.title),
            "dct:description": _lang_text(ds.description),
            "dcat:keyword": list(ds.keywords),
            "dcat:theme": [{"@id": "http://publications.europa.eu/resource/authority/data-theme/ENVI"}],
            "dcat:landingPage": {"@id": page},
            "dct:publisher": {"@type": "foaf:Agent", "foaf:name": _lang_text(rules.publisher)},
            "dct:creator": dept,
            "dct:license": {"@id": licence_url(ds.license)},
            "dct:issued": {"@value": published[0].version.released_at.isoformat(), "@type": "xsd:dateTime"},
            "dct:modified": {"@value": newest.version.released_at.isoformat(), "@type": "xsd:dateTime"},
            "owl:versionInfo": str(newest.version.number),
            "adms:versionNotes": _lang_text(Text(
                f"{reason_name(newest.version.reason, 'zh')} {newest.version.note}".strip(),
                f"{reason_name(newest.version.reason, 'en')} {newest.version.note}".strip())),
            "dct:accrualPeriodicity": {"@id": "http://publications.europa.eu/resource/authority/frequency/"
                                              + EU_FREQUENCIES.get(ds.update_frequency, "UNKNOWN")},
            "dct:spatial": {"@type": "dct:Location", "dct:identifier": str(ds.area.get("code", "")),
                            "skos:prefLabel": str(ds.area.get("name", ""))},
            "dct:conformsTo": [{"@type": "dct:Standard", "rdfs:label": s} for s in ds.standards],
            "dcat:distribution": [_dcat_distribution(site, ds, newest, d, page) for d in _distributions(newest)],
        }
        if ds.temporal.get("start") or ds.temporal.get("end"):
            node["dct:temporal"] = {"@type": "dct:PeriodOfTime", **{
                f"dcat:{key}Date": {"@value": str(ds.temporal[key]), "@type": "xsd:date"}
                for key in ("start", "end") if ds.temporal.get(key)}}
        if ds.next_update:
            node["nextUpdate"] = {"@value": ds.next_update.isoformat(), "@type": "xsd:date"}
        datasets.append(node)
    modified = max(p[-1].version.released_at for p in plan.published.values())
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#",
            "spdx": "http://spdx.org/rdf/terms#", "adms": "http://www.w3.org/ns/adms#",
            "owl": "http://www.w3.org/2002/07/owl#", "skos": "http://www.w3.org/2004/02/skos/core#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "nextUpdate": {"@id": vocab + "nextUpdate"},
        },
        "@id": _absolute(site, DCAT_CATALOGUE),
        "@type": "dcat:Catalog",
        "dct:title": _lang_text(rules.name),
        "dct:description": _lang_text(rules.publisher),
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": _lang_text(rules.publisher)},
        "foaf:homepage": {"@id": _absolute(site, "")},
        "dct:license": {"@id": licence_url(rules.license)},
        "dct:language": [{"@id": "http://publications.europa.eu/resource/authority/language/ZHO"},
                         {"@id": "http://publications.europa.eu/resource/authority/language/ENG"}],
        "dct:modified": {"@value": modified.isoformat(), "@type": "xsd:dateTime"},
        "dcat:dataset": datasets,
    }


def _dcat_distribution(site: SiteModel, ds: Dataset, pv: PublishedVersion, d: Download, page: str) -> dict[str, Any]:
    url = _absolute(site, d.url)
    node: dict[str, Any] = {
        "@id": url + "#distribution",
        "@type": "dcat:Distribution",
        "dct:title": _lang_text(Text(d.title["zh"], d.title["en"])),
        "dcat:downloadURL": {"@id": url},
        "dcat:accessURL": {"@id": page},
        "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{MEDIA_TYPES[d.format]}"},
        "dct:format": {"@id": f"http://publications.europa.eu/resource/authority/file-type/{EU_FILE_TYPES[d.format]}"},
        "dcat:byteSize": {"@value": str(d.bytes), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {"@type": "spdx:Checksum",
                          "spdx:algorithm": {"@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"},
                          "spdx:checksumValue": {"@value": d.sha256, "@type": "xsd:hexBinary"}},
        "dct:license": {"@id": licence_url(ds.license)},
        "dct:issued": {"@value": pv.version.released_at.isoformat(), "@type": "xsd:dateTime"},
    }
    if d.format == "datapackage":
        node["dct:conformsTo"] = {"@id": "https://specs.frictionlessdata.io/data-package/"}
    return node


def pod_catalogue(site: SiteModel, plan: OpenDataPlan) -> dict[str, Any]:
    """Project Open Data v1.1 ``data.json``. ``contactPoint.hasEmail`` is left out: the rules
    do not hold a contact address yet, and we do not make one up."""
    rules = site.rules.site
    datasets = []
    for ds_id, published in sorted(plan.published.items()):
        ds = site.release.datasets[ds_id]
        newest = published[-1]
        entry: dict[str, Any] = {
            "@type": "dcat:Dataset",
            "identifier": _absolute(site, _page(ds_id)),
            "title": ds.title.zh,
            "description": ds.description.zh + (f"\n\n{ds.description.en}" if ds.description.en else ""),
            "keyword": list(ds.keywords) or [site.category_name(ds.category, "zh")],
            "issued": published[0].version.released_at.isoformat(),
            "modified": newest.version.released_at.isoformat(),
            "publisher": {"@type": "org:Organization", "name": rules.publisher.zh},
            "contactPoint": {"@type": "vcard:Contact",
                             "fn": site.department_name(ds.department, "zh")},
            "accessLevel": "public",
            "license": licence_url(ds.license),
            "landingPage": _absolute(site, _page(ds_id)),
            "accrualPeriodicity": POD_FREQUENCIES.get(ds.update_frequency, "irregular"),
            "spatial": str(ds.area.get("name", "")),
            "theme": [site.category_name(ds.category, "zh")],
            "language": ["zh-CN", "en"],
            "describedBy": _absolute(site, newest.file("datapackage").url),
            "describedByType": "application/json",
            "version": str(newest.version.number),
            "nextUpdate": ds.next_update.isoformat() if ds.next_update else None,
            "distribution": [
                {"@type": "dcat:Distribution", "title": d.title["zh"], "description": d.title["en"],
                 "downloadURL": _absolute(site, d.url), "mediaType": MEDIA_TYPES[d.format],
                 "format": EU_FILE_TYPES[d.format]}
                for d in _distributions(newest)
            ],
        }
        if ds.temporal.get("start") and ds.temporal.get("end"):
            entry["temporal"] = f"{ds.temporal['start']}/{ds.temporal['end']}"
        if not ds.next_update:
            del entry["nextUpdate"]
        datasets.append(entry)
    return {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@id": _absolute(site, POD_CATALOGUE),
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": datasets,
    }


def schema_org_dataset(site: SiteModel, ds: Dataset, lang: str) -> dict[str, Any]:
    """schema.org ``Dataset`` for the dataset page (search engines' dataset search)."""
    versions = site.versions.get(ds.id) or []
    downloads = site.downloads.get(ds.id, [])
    page = _absolute(site, ("en/" if lang == "en" else "") + _page(ds.id))
    dept = site.department_name(ds.department, lang)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": page,
        "url": page,
        "name": ds.title.get(lang),
        "description": ds.description.get(lang),
        "identifier": ds.id,
        "inLanguage": "en" if lang == "en" else "zh-CN",
        "keywords": list(ds.keywords),
        "license": licence_url(ds.license),
        "isAccessibleForFree": True,
        "creator": {"@type": "GovernmentOrganization", "name": dept},
        "publisher": {"@type": "GovernmentOrganization", "name": site.rules.site.publisher.get(lang)},
        "includedInDataCatalog": {"@type": "DataCatalog", "name": site.rules.site.name.get(lang),
                                  "url": _absolute(site, "")},
        "spatialCoverage": {"@type": "Place", "name": str(ds.area.get("name", ""))},
        "variableMeasured": [
            {"@type": "PropertyValue", "name": f.name, "description": f.title.get(lang),
             **({"unitText": f.unit} if f.unit else {})}
            for r in ds.resources for f in r.fields if not f.sensitive
        ],
        "distribution": [
            {"@type": "DataDownload", "name": d.name, "encodingFormat": MEDIA_TYPES.get(d.format, "application/octet-stream"),
             "contentUrl": _absolute(site, d.url), "contentSize": f"{d.bytes} B", "sha256": d.sha256}
            for d in downloads if d.format in EU_FILE_TYPES
        ],
    }
    if ds.temporal.get("start") and ds.temporal.get("end"):
        data["temporalCoverage"] = f"{ds.temporal['start']}/{ds.temporal['end']}"
    if versions:
        data["datePublished"] = versions[0].released_at.isoformat()
        data["dateModified"] = versions[-1].released_at.isoformat()
        data["version"] = str(versions[-1].number)
    return data


def script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/ld+json">``: no ``<``, ``>`` or ``&``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- the bulk zip --------------------------------------------------------------------------


def _bulk_zip(site: SiteModel, plan: OpenDataPlan, tz: ZoneInfo) -> bytes:
    """Every current plain CSV, with ``index.csv`` (UTF-8 with BOM: people open it in Excel)."""
    entries: list[tuple[str, bytes]] = []
    index = io.StringIO(newline="")
    writer = csv.writer(index, lineterminator="\r\n")
    writer.writerow(["dataset", "version", "released_at", "reason", "resource", "file", "bytes", "sha256",
                     "title_zh", "title_en", "license", "url", "page"])
    for ds_id, published in sorted(plan.published.items()):
        newest = published[-1]
        ds = newest.dataset
        for d in newest.files:
            if d.format != "csv":
                continue
            r = ds.resource(d.resource or "")
            entries.append((f"{ds_id}/{d.name}", paths.confined(plan.scratch, d.url).read_bytes()))
            writer.writerow([neutralise(str(v)) for v in (
                ds_id, newest.version.number, newest.version.released_at.isoformat(), newest.version.reason,
                d.resource, f"{ds_id}/{d.name}", d.bytes, d.sha256,
                f"{ds.title.zh} · {r.title.zh if r else ''}", f"{ds.title.get('en')} · {r.title.get('en') if r else ''}",
                ds.license, _absolute(site, d.url), _absolute(site, _page(ds_id)))])
    entries.insert(0, ("index.csv", b"\xef\xbb\xbf" + index.getvalue().encode("utf-8")))
    newest_time = max(p[-1].version.released_at for p in plan.published.values())
    return _zip_bytes(entries, _zip_time(newest_time, tz))


# -- bytes helpers -------------------------------------------------------------------------


def _zip_time(when: datetime, tz: ZoneInfo) -> tuple[int, int, int, int, int, int]:
    local = max(when.astimezone(tz).replace(tzinfo=None), ZIP_EPOCH)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second - local.second % 2)


def _zip_entry(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # the same on every platform
    info.external_attr = 0o644 << 16
    return info


def _zip_bytes(entries: list[tuple[str, bytes]], when: tuple[int, int, int, int, int, int]) -> bytes:
    """A deterministic zip: entries in the order given, fixed times and attributes. Every member
    name is a safe relative path (:func:`publisher.paths.zip_member`): no ``..``, no absolute
    names, so unpacking a release never writes outside its folder (zip-slip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(_zip_entry(paths.zip_member(name), when), data)
    return buffer.getvalue()


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _write_bytes(base: Path, rel: str, data: bytes) -> None:
    """Write ``base/rel``; the resolved path must stay inside ``base`` (the scratch folder)."""
    path = paths.confined(base, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
