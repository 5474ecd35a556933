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

import contextlib
import csv
import gc
import hashlib
import io
import itertools
import json
import math
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

import pyarrow as pa

from . import cache as build_cache
from . import paths, zips
from .cells import column_may_be_live, neutralise, neutralise_number_cell
from .content import Dataset, FieldSpec, Resource, Text
from .model import DatasetVersion, Download, SiteModel, reason_name
from .xlsx import Sheet, Workbook
from .zips import Compressed, FileInfo, StreamedFile, StreamFolder, stream_file, write_zip, zip_time

DATA_DIR = "data"
LATEST = "latest"
BULK_ZIP = "data/all-latest.zip"
DCAT_CATALOGUE = "catalog.jsonld"
POD_CATALOGUE = "data.json"
XLSX_MAX_ROWS = 1_048_576 - 2  # Excel's limit, less the two header rows
DATA_FILES = {"csv": ".csv", "csv-excel": ".excel.csv", "xlsx": ".xlsx", "parquet": ".parquet"}  # format -> suffix
UTF8_BOM = b"\xef\xbb\xbf"
CHUNK_ROWS = 50_000  # rows read, converted and written at a time
PARQUET_ROW_GROUP = 1024 * 1024  # rows per Parquet row group: pyarrow's default for a whole-table write

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


# -- the plan: every file, written into scratch -----------------------------------------------


def plan_open_data(site: SiteModel, scratch: Path, *, xlsx_max_rows: int = XLSX_MAX_ROWS,
                   cache: build_cache.BuildCache | None = None, context: str = "") -> OpenDataPlan:
    """Write every open-data file into ``scratch`` (the layout of the site) and list them.

    Every file is streamed, so memory does not grow with the size of a table: a table is read,
    converted and written ``CHUNK_ROWS`` rows at a time; each file is hashed and compressed once,
    as it is written (in a background thread), and the zips are put together from those
    compressed streams. A table of more than ``xlsx_max_rows`` rows gets no XLSX: an Excel sheet
    cannot hold it (``docs/opendata.md``).

    With the build's ``cache``, a version's folder made before under the same key (``context``:
    the digest of the rules, registry and time zone; the version's digest, number, release time,
    reason, note, audit links and kept files; the code) is copied from it instead, every file
    checked against its SHA-256 (:class:`_VersionCache`).
    """
    tz = ZoneInfo(site.rules.site.timezone)
    plan = OpenDataPlan(scratch=scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    # The compressed streams live beside the scratch folder, never inside it: it becomes the site.
    with tempfile.TemporaryDirectory(prefix="opendata-parts-", dir=scratch.parent) as folder:
        parts = StreamFolder(Path(folder))
        stored = _VersionCache(cache or build_cache.BuildCache(None, enabled=False), context, xlsx_max_rows,
                               scratch, parts)
        current_csvs: dict[str, Compressed] = {}  # site path of each newest version's CSV -> its stream
        for ds_id, versions in sorted(site.versions.items()):
            if ds_id not in site.release.datasets:
                continue  # nothing unreleased is exported, whatever the workflow passes
            current = site.release.datasets[ds_id]
            published = []
            for position, v in enumerate(versions, start=1):
                newest = position == len(versions)
                found = stored.get(v, v.dataset or current, newest)
                if found is None:
                    found = _write_version(site, v, v.dataset or current, scratch, parts, tz, xlsx_max_rows)
                    stored.put(v, *found, newest)
                pv, written = found
                published.append(pv)
                for d in pv.files:
                    if d.name not in written:
                        continue
                    if newest and d.format == "csv":
                        current_csvs[d.url] = written[d.name]  # for the bulk zip
                    else:
                        written[d.name].discard()
            if not published:
                continue
            newest = published[-1]
            shutil.copytree(paths.confined(scratch, newest.folder), paths.confined(scratch, DATA_DIR, ds_id, LATEST))
            plan.published[ds_id] = published
            _write_bytes(scratch, f"{DATA_DIR}/{ds_id}/versions.json",
                         _json_bytes(_versions_index(site, current, published)))
        if plan.published:
            _bulk_zip(site, plan, tz, current_csvs)
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
                if build_cache.file_sha256(paths.confined(site_dir, d.url)) != d.sha256:
                    raise OpenDataError(f"下载文件与发布内容不一致 / download differs from the release: {d.url}")
    return plan.downloads


def _write_version(site: SiteModel, version: DatasetVersion, ds: Dataset, scratch: Path, parts: StreamFolder,
                   tz: ZoneInfo, xlsx_max_rows: int) -> tuple[PublishedVersion, dict[str, Compressed]]:
    """Every file of one version's folder; with the compressed stream of each file its zip holds."""
    if not paths.is_id(version.dataset_id) or not isinstance(version.number, int):
        raise OpenDataError(f"数据集编号或版本号无效 / invalid dataset id or version: {version.dataset_id!r} "
                            f"{version.number!r}")
    folder = f"{DATA_DIR}/{version.dataset_id}/{version.number}"
    written: dict[str, Compressed] = {}
    downloads: list[Download] = []

    def add(name: str, file: FileInfo, fmt: str, title: Text, resource: str | None = None) -> None:
        if isinstance(file, Compressed):
            written[name] = file
        downloads.append(Download(name=name, url=f"{folder}/{name}", bytes=file.size, sha256=file.sha256,
                                  title={"zh": title.zh, "en": title.en or title.zh}, format=fmt,
                                  resource=resource, version=version.number))

    def small(name: str, data: bytes) -> Compressed:
        _write_bytes(scratch, f"{folder}/{name}", data)
        return Compressed.of(data)

    tables: list[tuple[Resource, list[FieldSpec]]] = []
    for r in ds.resources:
        source = version.files.get(r.name)
        if source is None:
            continue  # a resource added in a later version
        if not paths.is_resource_name(r.name):  # checked when loaded; again here, where it becomes a file name
            raise OpenDataError(f"数据文件名称无效 / invalid resource name: {r.name!r}")
        published, files = _write_resource(site, ds, version, r, Path(source), folder, scratch, parts, tz,
                                           xlsx_max_rows)
        tables.append((r, published))
        excel_note = ("", "") if "xlsx" in files else (
            f"；行数超过 Excel 工作表的上限（{xlsx_max_rows + 2:,} 行），不提供 XLSX",
            f"; more rows than an Excel sheet holds ({xlsx_max_rows + 2:,}), so no XLSX")
        add(f"{r.name}.csv", files["csv"], "csv",
            _suffix(r.title, "CSV（UTF-8，供程序读取）", "CSV (UTF-8, for scripts)"), r.name)
        add(f"{r.name}.excel.csv", files["csv-excel"], "csv-excel",
            _suffix(r.title, f"CSV（UTF-8 带 BOM，供 Excel 打开{excel_note[0]}）",
                    f"CSV (UTF-8 with BOM, for Excel{excel_note[1]})"), r.name)
        if "xlsx" in files:
            add(f"{r.name}.xlsx", files["xlsx"], "xlsx",
                _suffix(r.title, "Excel 工作簿（含数据字典）", "Excel workbook (with data dictionary)"), r.name)
        add(f"{r.name}.parquet", files["parquet"], "parquet",
            _suffix(r.title, "Parquet（带类型，供分析）", "Parquet (typed, for analysis)"), r.name)
    if not tables:
        raise OpenDataError(f"{version.dataset_id} 第 {version.number} 版没有数据文件 / "
                            f"{version.dataset_id} version {version.number} has no data files")
    add("README.md", small("README.md", _readme(site, ds, version, tables, list(downloads),
                                                 xlsx_max_rows).encode("utf-8")),
        "readme", Text("说明（中英文）", "Read me (Chinese and English)"))
    package = _datapackage(site, ds, version, tables, list(downloads))
    add("datapackage.json", small("datapackage.json", _json_bytes(package)), "datapackage",
        Text("数据包描述（Frictionless Data Package）", "Data package (Frictionless)"))
    when = zip_time(version.released_at, tz)
    archive = write_zip(paths.confined(scratch, f"{folder}/{ds.id}.zip"),
                         [(f"{ds.id}-v{version.number}/{name}", written[name]) for name in sorted(written)], when)
    add(f"{ds.id}.zip", archive, "zip", Text("本版本全部文件（zip）", "Whole release (zip)"))
    sums = "".join(f"{d.sha256}  {d.name}\n" for d in sorted(downloads, key=lambda d: d.name))
    add("SHA256SUMS", small("SHA256SUMS", sums.encode("ascii")), "checksums",
        Text("校验和（SHA-256）", "Checksums (SHA-256)"))
    return PublishedVersion(version=version, dataset=ds, folder=folder, files=downloads), written


class _VersionCache:
    """A version's folder in the build cache: its files (stage ``opendata``) with the list of its
    downloads, and for the newest version the compressed stream of each CSV, which the bulk zip
    takes as it is (stage ``opendata-streams``). Whatever is damaged or missing is a miss, and so
    is a folder whose data files are not those its publication recorded (``kept``): the files
    around them (README, data package, zip, checksums) are made from those, so they match too."""

    def __init__(self, cache: build_cache.BuildCache, context: str, xlsx_max_rows: int, scratch: Path,
                 parts: StreamFolder) -> None:
        self.cache, self.context, self.xlsx_max_rows = cache, context, xlsx_max_rows
        self.scratch, self.parts = scratch, parts

    def key(self, v: DatasetVersion) -> str | None:
        if v.digest is None or not self.cache.enabled:
            return None
        return build_cache.digest("opendata", self.context, v.dataset_id, v.number, v.digest, v.released_at,
                                  v.reason, v.note, v.audit, self.xlsx_max_rows)

    def get(self, v: DatasetVersion, ds: Dataset, newest: bool) -> tuple[PublishedVersion, dict[str, Compressed]] | None:
        key = self.key(v)
        if key is None:
            return None
        hit, value, files = self.cache.get_files("opendata", key, self.scratch)
        if hit and any(files.get(url) != sha for url, (sha, _) in v.kept.items()):
            hit = False  # a published file is served as published: made before it was, or since changed
            for rel in files:
                paths.confined(self.scratch, rel).unlink(missing_ok=True)
        if not hit:
            return None
        pv = PublishedVersion(version=v, dataset=ds, folder=value["folder"],
                              files=[Download(**d) for d in value["downloads"]])
        written: dict[str, Compressed] = {}
        if newest:
            streams = self.parts.folder / f"cached-{key[:16]}"
            hit, info, _ = self.cache.get_files("opendata-streams", key, streams)
            if hit:
                written = {name: Compressed(size, sha, crc, streams / stored, packed)
                           for name, (stored, size, sha, crc, packed) in info.items()}
            if not hit or set(written) != {d.name for d in pv.files if d.format == "csv"}:
                for rel in files:  # made again, with its streams
                    paths.confined(self.scratch, rel).unlink(missing_ok=True)
                shutil.rmtree(streams, ignore_errors=True)
                return None
        return pv, written

    def put(self, v: DatasetVersion, pv: PublishedVersion, written: dict[str, Compressed], newest: bool) -> None:
        key = self.key(v)
        if key is None:
            return
        files = {d.url: d.sha256 for d in pv.files}
        self.cache.put_files("opendata", key, self.scratch, files,
                             {"folder": pv.folder, "downloads": [asdict(d) for d in pv.files]})
        if newest:  # each CSV's stream, stored under its own name in the streams' folder
            csvs = {d.name: written[d.name] for d in pv.files if d.format == "csv" and d.name in written}
            if all(isinstance(c.deflated, Path) for c in csvs.values()):
                self.cache.put_files("opendata-streams", key, self.parts.folder,
                                     {c.deflated.name: build_cache.file_sha256(c.deflated) for c in csvs.values()},
                                     {name: (c.deflated.name, c.size, c.sha256, c.crc, c.deflated_size)
                                      for name, c in csvs.items()})


def _suffix(title: Text, zh: str, en: str) -> Text:
    return Text(f"{title.zh} · {zh}", f"{title.get('en')} · {en}")


def _write_resource(site: SiteModel, ds: Dataset, version: DatasetVersion, r: Resource, source: Path, folder: str,
                    scratch: Path, parts: StreamFolder, tz: ZoneInfo,
                    xlsx_max_rows: int) -> tuple[list[FieldSpec], dict[str, Compressed]]:
    """The published fields of one resource and its data files by format (``csv``, ``csv-excel``,
    ``xlsx`` if the table fits a sheet, ``parquet``). A file this version published already is
    copied from the archive (checked against its recorded SHA-256: a published file never
    changes); the others are made from the approved bytes in one streamed pass."""
    names = {fmt: f"{r.name}{ext}" for fmt, ext in DATA_FILES.items()}
    targets = {fmt: paths.confined(scratch, f"{folder}/{name}") for fmt, name in names.items()}
    targets["csv"].parent.mkdir(parents=True, exist_ok=True)
    files = {fmt: _copy_kept(version.kept[f"{folder}/{name}"], targets[fmt], f"{folder}/{name}", parts)
             for fmt, name in names.items() if f"{folder}/{name}" in version.kept}
    to_make = {fmt for fmt in ("csv", "csv-excel", "parquet") if fmt not in files}
    if "xlsx" not in files:
        rows_at_most, exact = _rows_at_most(source)
        if rows_at_most <= xlsx_max_rows or not exact:  # may fit: made, and dropped if it does not
            to_make.add("xlsx")
    with _ApprovedTable(r, source, version) as table:
        if to_make:
            files.update(_make_files(site, ds, version, r, table, {fmt: targets[fmt] for fmt in to_make}, parts,
                                     tz, xlsx_max_rows))
        return table.fields, {fmt: files[fmt] for fmt in DATA_FILES if fmt in files}


def _copy_kept(kept: tuple[str, Path], target: Path, url: str, parts: StreamFolder) -> Compressed:
    """The archived copy of a published file, copied into the site and checked on the way."""
    sha256, archived = kept
    file = stream_file(Path(archived), target, parts)
    if file.sha256 != sha256:
        file.discard()
        raise OpenDataError(f"存档的已发布文件已损坏 / the archived copy of a published file is corrupted: {url}")
    return file


def _make_files(site: SiteModel, ds: Dataset, version: DatasetVersion, r: Resource, table: _ApprovedTable,
                targets: dict[str, Path], parts: StreamFolder, tz: ZoneInfo, xlsx_max_rows: int) -> dict[str, Compressed]:
    """The files of ``targets`` (format → path), from one pass over the table. The XLSX is
    given up as soon as the table has more rows than ``xlsx_max_rows``."""
    fields = table.fields
    missing = set(r.missing_values)
    with contextlib.ExitStack() as cleanup:
        texts = {fmt: cleanup.enter_context(StreamedFile(targets[fmt], parts.new()))
                 for fmt in ("csv", "csv-excel") if fmt in targets}
        parquet = None
        if "parquet" in targets:
            parquet = _ParquetStream(ds, version, fields, tz,
                                     cleanup.enter_context(StreamedFile(targets["parquet"], parts.new())))
            cleanup.callback(parquet.close)  # before its file's thread stops, if a row is refused
        book: Workbook | None = None
        sheet: Sheet | None = None
        if "xlsx" in targets:
            book = cleanup.enter_context(Workbook(created=version.released_at, creator=site.rules.site.publisher.zh,
                                                  title=ds.title.zh, spool_dir=parts.folder))
            sheet = _xlsx_data_sheet(book, fields)
        if "csv-excel" in texts:
            texts["csv-excel"].write(UTF8_BOM)
        cleanup.enter_context(_cycle_collector_paused())
        for rows, columns in _with_header(fields, table.chunks()):
            if texts:
                plain, excel = _csv_texts(_public_rows(fields, rows, columns), excel="csv-excel" in texts)
                if "csv" in texts:
                    texts["csv"].write(plain.encode("utf-8"))
                if excel is not None:
                    texts["csv-excel"].write(excel.encode("utf-8"))
            if columns is None:
                continue  # the header row: only the CSV files have it among these
            if book is not None and table.rows > xlsx_max_rows:  # larger tables do not fit a worksheet
                book.close()
                book = sheet = None
            if parquet is None and sheet is None:
                continue
            typed = [_typed_array(f, cells, missing, tz) for f, cells in zip(fields, columns)]
            if sheet is not None:
                sheet.append_columns(_xlsx_columns(fields, columns, typed, missing))
            if parquet is not None:
                parquet.add(typed)
        files = {fmt: stream.finish() for fmt, stream in texts.items()}
        if parquet is not None:
            files["parquet"] = parquet.finish()
        if book is not None:
            _xlsx_metadata_sheets(site, ds, version, r, book, fields)
            with targets["xlsx"].open("wb") as xlsx:
                book.save(xlsx, zip_time(version.released_at, tz))
            files["xlsx"] = stream_file(targets["xlsx"], None, parts)
        return files


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the rows stream through: a chunk's rows are lists the
    collector would walk again and again (a third of the reading time), and they make no cycles:
    reference counting frees each chunk once it is written."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- reading the approved bytes ------------------------------------------------------------


class _ApprovedTable:
    """The approved file of one resource, read a chunk of rows at a time: the exact text of every
    published cell. Only columns declared in the schema and not ``sensitive`` are published, in
    schema order: an undeclared column might hold personal data nobody has looked at."""

    def __init__(self, r: Resource, source: Path, version: DatasetVersion) -> None:
        self.where = f"{version.dataset_id} v{version.number} {r.name}"
        self.rows = 0  # published rows read so far
        self._file = source.open(encoding="utf-8-sig", newline="")
        try:
            self._reader = csv.reader(self._file)
            header = self._decoded(lambda: next(self._reader, []))
            self.fields = [f for f in r.fields if not f.sensitive]
            missing = [f.name for f in self.fields if f.name not in header]
            if missing:
                raise OpenDataError(f"{self.where}：数据文件缺少列 {', '.join(missing)} / "
                                    f"the data file lacks the columns {', '.join(missing)}")
        except BaseException:
            self._file.close()
            raise
        self._width = len(header)
        index = [header.index(f.name) for f in self.fields]
        self._select: Callable[[list[list[str]]], list[Sequence[str]]]
        if index == list(range(len(header))):
            self._select = lambda chunk: chunk
        elif len(index) == 1:
            self._select = lambda chunk: [[row[index[0]]] for row in chunk]
        elif index:
            pick = itemgetter(*index)
            self._select = lambda chunk: list(map(pick, chunk))
        else:
            self._select = lambda chunk: [[] for _ in chunk]

    def __enter__(self) -> _ApprovedTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def chunks(self) -> Iterator[tuple[list[Sequence[str]], list[tuple[str, ...]]]]:
        """The published rows, ``CHUNK_ROWS`` records at a time, with the same cells column by
        column (transposed at C speed: the writers look at whole columns)."""
        line = 2  # of the next record, as the csv module counts them (a blank line is one)
        while chunk := self._decoded(lambda: list(islice(self._reader, CHUNK_ROWS))):
            first, line = line, line + len(chunk)
            if self._width == 0 or set(map(len, chunk)) != {self._width}:
                chunk = self._full_rows(chunk, first)
                if not chunk:
                    continue
            rows = self._select(chunk)
            self.rows += len(rows)
            yield rows, list(zip(*rows))

    def _full_rows(self, chunk: list[list[str]], first: int) -> list[list[str]]:
        """The chunk without blank lines; a row of another width than the header is refused."""
        rows = []
        for line, row in enumerate(chunk, start=first):
            if not row:
                continue
            if len(row) != self._width:
                raise OpenDataError(f"{self.where}：第 {line} 行列数不对 / row {line} has {len(row)} cells, "
                                    f"the header {self._width}")
            rows.append(row)
        return rows

    def _decoded(self, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except UnicodeDecodeError as exc:
            raise OpenDataError(f"{self.where}：数据文件不是 UTF-8 / the data file is not UTF-8") from exc


def _rows_at_most(source: Path) -> tuple[int, bool]:
    """At most how many data rows ``source`` has, from one pass over its bytes (a row ends at LF,
    CR or CRLF), and whether that is exact: with no quote, no line break is inside a cell, and
    with no blank line none is skipped. Decides the XLSX before the rows are read."""
    lf = cr = crlf = 0
    quote = blank = False
    last = b""  # the last byte read after the byte-order mark
    with source.open("rb") as data:
        head = data.read(len(UTF8_BOM))
        for block in itertools.chain([head.removeprefix(UTF8_BOM)], iter(lambda: data.read(zips.BLOCK), b"")):
            if not block:
                continue
            pair = last + block[:1]
            blank = blank or pair in (b"\n", b"\r", b"\n\n", b"\r\r", b"\n\r")  # a first line blank too
            lf += block.count(b"\n")
            quote = quote or b'"' in block
            blank = blank or b"\n\n" in block
            if b"\r" in block or pair == b"\r\n":
                cr += block.count(b"\r")
                crlf += block.count(b"\r\n") + (pair == b"\r\n")
                blank = blank or b"\r\r" in block or b"\n\r" in block
            last = block[-1:]
    lines = lf + cr - crlf + (0 if last in (b"", b"\n", b"\r") else 1)
    return max(lines - 1, 0), not (quote or blank)


def _with_header(fields: list[FieldSpec], chunks: Iterable[tuple[list[Sequence[str]], list[tuple[str, ...]]]]
                 ) -> Iterator[tuple[list[Sequence[str]], list[tuple[str, ...]] | None]]:
    """The row of column names (without columns: it is not data), then the chunks of rows."""
    yield [[neutralise(f.name) for f in fields]], None
    yield from chunks


def _public_rows(fields: list[FieldSpec], rows: list[Sequence[str]],
                 columns: list[tuple[str, ...]] | None) -> list[Sequence[str]]:
    """The rows as the CSV downloads write them: every cell a spreadsheet would run, whatever
    its column's type (a missing-value token of a number column, a bad date), made inert
    (``publisher.cells``). Numbers in number columns keep their approved text, so clean files
    come out byte for byte as approved; only the columns that may hold a formula are walked.
    Cell by cell, so a chunk at a time gives what the whole table would."""
    if columns is None:
        return rows  # the header, neutralised already
    live = [(i, neutralise_number_cell if f.type in ("number", "integer") else neutralise)
            for i, (f, cells) in enumerate(zip(fields, columns))
            if column_may_be_live(cells, numbers=f.type in ("number", "integer"))]
    if not live:
        return rows
    inert_rows = []
    for row in rows:
        row = list(row)
        for i, inert in live:
            row[i] = inert(row[i])
        inert_rows.append(row)
    return inert_rows


# -- formats -------------------------------------------------------------------------------


def _csv_texts(rows: list[Sequence[str]], *, excel: bool) -> tuple[str, str | None]:
    """The rows as plain CSV (UTF-8 with LF, for scripts) and, if ``excel``, as CSV for Excel
    (CRLF; the file starts with a BOM). Cells keep their approved text exactly (numbers are never
    reformatted); ``rows`` are already neutralised."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    plain = buffer.getvalue()
    if "\r" in plain:
        # The csv module quotes a cell holding the row terminator's characters only: with LF rows
        # a bare CR stays unquoted, and a spreadsheet that ends rows at a CR would start a new
        # row there, with whatever follows the CR (a formula) as its first cell.
        plain = _csv_text_quoting_cr(rows)
    if not excel:
        return plain, None
    if "\r" not in plain and plain.count("\n") == len(rows):
        # No line break inside a cell: the csv module quotes the same cells whichever the row
        # terminator, so the Excel text is the plain text with CRLF (a str.replace, not a write).
        return plain, plain.replace("\n", "\r\n")
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return plain, buffer.getvalue()


def _csv_text_quoting_cr(rows: list[Sequence[str]]) -> str:
    """The plain CSV text, with every row that holds a CR written with all its cells quoted."""
    buffer = io.StringIO(newline="")
    minimal = csv.writer(buffer, lineterminator="\n")
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        (quoted if any("\r" in cell for cell in row) else minimal).writerow(row)
    return buffer.getvalue()


def _label(f: FieldSpec) -> str:
    title = f.title.zh if not f.title.en or f.title.en == f.title.zh else f"{f.title.zh} / {f.title.en}"
    return f"{title} ({f.unit})" if f.unit else title


def _xlsx_columns(fields: list[FieldSpec], columns: list[tuple[str, ...]], typed: list[pa.Array],
                  missing: set[str]) -> list[list[Any]]:
    """The cells of the XLSX sheet ``data``, column by column: numbers as numbers (the values the
    Parquet file holds, ``typed``), everything else as its text, neutralised (a spreadsheet runs
    what a user confirms in a cell: the prefix keeps it text). A missing value is an empty text
    cell, not no cell: readers (Frictionless) take a row without its trailing cells for a short
    row. A number that is not finite (``nan``, ``inf``) is its text."""
    out = []
    for f, cells, values in zip(fields, columns, typed):
        if f.type in ("integer", "number"):
            cells_out = ["" if v is None else v for v in values.to_pylist()]
            if f.type == "number" and not all(map(math.isfinite, [v for v in cells_out if v.__class__ is float])):
                cells_out = [neutralise(text) if v.__class__ is float and not math.isfinite(v) else v
                             for v, text in zip(cells_out, cells)]
            out.append(cells_out)
        elif column_may_be_live(cells, numbers=False):
            out.append(["" if text in missing else neutralise(text) for text in cells])
        else:
            out.append(["" if text in missing else text for text in cells])
    return out


def _texts(values: Iterable[Any]) -> list[str | None]:
    return [None if v is None else neutralise(str(v)) for v in values]


def _xlsx_data_sheet(book: Workbook, fields: list[FieldSpec]) -> Sheet:
    """Sheet ``data``: names in bold, labels with units, then typed values (:func:`_xlsx_columns`);
    the two header rows frozen. Written by ``publisher.xlsx``, which never writes a formula."""
    data = book.add_sheet("data", freeze_rows=2)
    data.append(_texts(f.name for f in fields), bold=True)
    data.append(_texts(_label(f) for f in fields))
    return data


def _xlsx_metadata_sheets(site: SiteModel, ds: Dataset, version: DatasetVersion, r: Resource, book: Workbook,
                          fields: list[FieldSpec]) -> None:
    """Sheets ``dictionary`` and ``metadata``, after ``data``. The document times are the release
    time (:class:`Workbook` ``created``), so the bytes depend on the version only."""
    dictionary = book.add_sheet("dictionary")
    dictionary.append(_texts(("name", "名称", "title", "类型 type", "单位 unit", "说明", "description")), bold=True)
    for f in fields:
        dictionary.append(_texts((f.name, f.title.zh, f.title.en or "", f.type, f.unit or "", f.description.zh,
                                  f.description.en or "")))
    metadata = book.add_sheet("metadata")
    for key, zh, en in _metadata_rows(site, ds, version, r):
        metadata.append(_texts((key, zh, en)), bold={0})


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


class _ParquetStream:
    """Typed columns (int64, float64, bool, date32, timestamp with the city's zone; text exactly
    as approved, with no formula prefix: Parquet is never opened by a spreadsheet), written a row
    group at a time as one whole-table ``pq.write_table`` would write them: groups of
    ``PARQUET_ROW_GROUP`` rows, each column one contiguous array, so the bytes are the same."""

    def __init__(self, ds: Dataset, version: DatasetVersion, fields: list[FieldSpec], tz: ZoneInfo,
                 out: StreamedFile) -> None:
        import pyarrow.parquet as pq

        self._fields = fields
        schema_fields = []
        for f in fields:
            meta = {"title_zh": f.title.zh, "title_en": f.title.en or "", "unit": f.unit or "",
                    "description_zh": f.description.zh, "description_en": f.description.en or ""}
            schema_fields.append(pa.field(f.name, _arrow_type(f, tz), metadata={k: v for k, v in meta.items() if v}))
        self._schema = pa.schema(schema_fields, metadata={"dataset": ds.id, "version": str(version.number),
                                                          "released_at": version.released_at.isoformat()})
        self._out = out
        self._sink = _ParquetSink(out)
        self._writer = pq.ParquetWriter(self._sink, self._schema, compression="zstd")
        self._pending: list[list[pa.Array]] = []
        self._pending_rows = 0
        self._groups = 0

    def add(self, columns: list[pa.Array]) -> None:
        """The next rows, column by column, typed (:func:`_typed_array`)."""
        if not columns:
            return  # no published column: a table with no columns has no rows
        self._pending.append(columns)
        self._pending_rows += len(columns[0])
        while self._pending_rows >= PARQUET_ROW_GROUP:
            self._write_group(PARQUET_ROW_GROUP)

    def finish(self) -> Compressed:
        if self._pending_rows or not self._groups:  # a table with no rows is one empty group
            self._write_group(self._pending_rows)
        self.close()
        return self._out.finish()

    def close(self) -> None:
        """Write the footer (once) and hand the last bytes to the file."""
        self._writer.close()
        self._sink.close()

    def _write_group(self, rows: int) -> None:
        columns = [pa.concat_arrays([chunk[i] for chunk in self._pending]) if self._pending
                   else pa.array([], type=self._schema.field(i).type) for i in range(len(self._fields))]
        group = pa.Table.from_arrays([c.slice(0, rows) for c in columns], schema=self._schema)
        self._writer.write_table(group, row_group_size=max(rows, 1))
        self._groups += 1
        self._pending_rows -= rows
        self._pending = [[c.slice(rows) for c in columns]] if self._pending_rows else []


class _ParquetSink:
    """The file object pyarrow's Parquet writer writes to: its bytes go, a block at a time, to a
    :class:`StreamedFile` (so the file is hashed and compressed as it is written)."""

    def __init__(self, out: StreamedFile) -> None:
        self._out = out
        self._buffer = bytearray()
        self._position = 0
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self._buffer += view  # a copy: pyarrow may reuse its buffer once write returns
        self._position += view.nbytes
        if len(self._buffer) >= zips.BLOCK:
            self.flush()
        return view.nbytes

    def flush(self) -> None:
        if self._buffer:
            self._out.write(bytes(self._buffer))
            self._buffer.clear()

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self.flush()
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def _arrow_type(f: FieldSpec, tz: ZoneInfo) -> pa.DataType:
    return {
        "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32(),
        "datetime": pa.timestamp("us", tz=str(tz)),
    }.get(f.type, pa.string())


# The spellings pyarrow's casts read exactly as Python does (int(), float(), date.fromisoformat(),
# datetime.fromisoformat()): a column chunk all of them is converted by pyarrow; any other
# spelling sends its chunk to the cell-by-cell conversion (:func:`_typed`), which also says
# what is wrong with a bad value.
_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_FAST_SPELLINGS = {
    "integer": r"^-?[0-9]+$",
    "number": r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$",
    "date": rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$",
    "datetime": (rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{{1,6}})?"
                 r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"),
}


def _typed_array(f: FieldSpec, cells: Sequence[str], missing: set[str], tz: ZoneInfo) -> pa.Array:
    """One column chunk as its Parquet values (missing values null): the values :func:`_typed`
    gives cell by cell, computed by pyarrow when every cell has a spelling both read alike."""
    arrow_type = _arrow_type(f, tz)
    fast = _typed_by_arrow(f, pa.array(cells, pa.string()), missing, arrow_type)
    if fast is not None:
        return fast
    return pa.array([_typed(f, text, missing, tz) for text in cells], type=arrow_type)


def _typed_by_arrow(f: FieldSpec, texts: pa.Array, missing: set[str], arrow_type: pa.DataType) -> pa.Array | None:
    import pyarrow.compute as pc

    if missing:
        values = pc.if_else(pc.is_in(texts, value_set=pa.array(sorted(missing), pa.string())),
                            pa.scalar(None, pa.string()), texts)
    else:
        values = texts
    if arrow_type == pa.string():
        return values
    if f.type == "boolean":
        known = pc.is_in(values, value_set=pa.array(TRUE_VALUES + FALSE_VALUES))
        if not pc.all(pc.or_(known, pc.is_null(values))).as_py():
            return None
        return pc.if_else(pc.is_null(values), pa.scalar(None, pa.bool_()),
                          pc.is_in(values, value_set=pa.array(TRUE_VALUES)))
    if f.type == "date":
        values = pc.utf8_slice_codeunits(values, 0, 10)
    if not pc.all(pc.match_substring_regex(values, _FAST_SPELLINGS[f.type]), min_count=0).as_py():
        return None
    try:
        return pc.cast(values, arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # out of range (a 30 February, an integer beyond int64): said cell by cell


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


def _readme(site: SiteModel, ds: Dataset, version: DatasetVersion, tables: list[tuple[Resource, list[FieldSpec]]],
            files: list[Download], xlsx_max_rows: int) -> str:
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
    ]
    limit = f"{xlsx_max_rows + 2:,}"
    for r, _ in tables:
        if not any(d.format == "xlsx" and d.resource == r.name for d in files):
            lines += [
                f"- `{r.name}` 的行数超过 Excel 工作表的上限（{limit} 行），因此没有 `.xlsx`。用 Excel 直接打开"
                f" `.excel.csv` 只会载入前 {limit} 行；请用“数据 → 自文本/CSV”（Power Query）导入，"
                "在“加载到”中选“仅创建连接”并勾选“将此数据添加到数据模型”，或先筛选（例如按站点）再加载；"
                "也可用 Parquet 或 CSV 在程序中处理。",
                f"  `{r.name}` has more rows than an Excel sheet holds ({limit}), so there is no `.xlsx`. Opened"
                f" directly, the `.excel.csv` loads only its first {limit} rows in Excel: use Data → From Text/CSV"
                " (Power Query) and load it to the Data Model (\"Only Create Connection\", \"Add this data to the"
                " Data Model\"), or filter it (by station, say) before loading; or read the Parquet or CSV in a script.",
            ]
    lines += ["", "## 数据字典 / Data dictionary", ""]
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


def _bulk_zip(site: SiteModel, plan: OpenDataPlan, tz: ZoneInfo, csvs: dict[str, Compressed]) -> None:
    """Every current plain CSV, with ``index.csv`` (UTF-8 with BOM: people open it in Excel).
    ``csvs`` are the compressed streams of those CSVs (by site path), made when they were written."""
    entries: list[tuple[str, Compressed]] = []
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
            entries.append((f"{ds_id}/{d.name}", csvs[d.url]))
            writer.writerow([neutralise(str(v)) for v in (
                ds_id, newest.version.number, newest.version.released_at.isoformat(), newest.version.reason,
                d.resource, f"{ds_id}/{d.name}", d.bytes, d.sha256,
                f"{ds.title.zh} · {r.title.zh if r else ''}", f"{ds.title.get('en')} · {r.title.get('en') if r else ''}",
                ds.license, _absolute(site, d.url), _absolute(site, _page(ds_id)))])
    entries.insert(0, ("index.csv", Compressed.of(UTF8_BOM + index.getvalue().encode("utf-8"))))
    newest_time = max(p[-1].version.released_at for p in plan.published.values())
    target = paths.confined(plan.scratch, BULK_ZIP)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_zip(target, entries, zip_time(newest_time, tz))


# -- bytes helpers -------------------------------------------------------------------------


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _write_bytes(base: Path, rel: str, data: bytes) -> None:
    """Write ``base/rel``; the resolved path must stay inside ``base`` (the scratch folder)."""
    path = paths.confined(base, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
