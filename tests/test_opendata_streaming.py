"""The open-data stage at scale: same bytes as before it streamed, memory that does not grow
with the rows, and the XLSX limit.

``EXPECTED`` holds the SHA-256 of every file :func:`publisher.opendata.plan_open_data` wrote for
the edge-case portal below, recorded with the whole-file writers the stage had before it
streamed (commit "Open data: record the bytes of today's downloads"). The streamed stage must
write the same bytes, chunk by chunk, whatever the chunk size. Parquet and zip bytes also depend
on the pyarrow and zlib versions, which the expectation records; re-record after an upgrade with
``python tests/test_opendata_streaming.py --record``.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import sys
import tracemalloc
import zipfile
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from publisher import opendata, xlsx, zips
from publisher.config import load_rules
from publisher.content import load_content
from publisher.model import DatasetVersion, SiteModel
from publisher.opendata import OpenDataError, plan_open_data
from publisher.release import Release

FIXTURE_PORTAL = Path(__file__).resolve().parent / "fixtures" / "portal"
EXPECTED = Path(__file__).resolve().parent / "fixtures" / "opendata_expected.json"
TZ = ZoneInfo("Asia/Shanghai")

EDGE_YAML = """\
id: edge-cases
title: {zh: 边界情况, en: Edge cases}
description: {zh: 各种类型和特殊单元格。, en: Every type and awkward cells.}
category: air_quality
department: sthjj
area: {code: "990100", name: 示范市}
classification: public
license: CC-BY-4.0
update_frequency: irregular
temporal: {start: 2025-01-01, end: 2025-01-03}
spatial: {description: {zh: 全市, en: Whole city}}
status: provisional
keywords: [测试, test]
resources:
  - name: mixed
    path: mixed.csv
    title: {zh: 混合类型, en: Mixed types}
    schema:
      primary_key: [id]
      missing_values: ["", "NA", "-"]
      fields:
        - {name: id, type: integer, title: {zh: 编号, en: ID}}
        - {name: day, type: date, title: {zh: 日期, en: Day}}
        - {name: at, type: datetime, title: {zh: 时间, en: Time}}
        - {name: value, type: number, unit: μg/m³, title: {zh: 数值, en: Value}}
        - {name: flag, type: boolean, title: {zh: 标志, en: Flag}}
        - {name: count, type: integer, title: {zh: 计数, en: Count}}
        - {name: label, type: string, title: {zh: 标签, en: Label}}
        - {name: note, type: string, title: {zh: 备注, en: Note}}
        - {name: secret, type: string, sensitive: true, title: {zh: 电话, en: Phone}}
  - name: plain
    path: plain.csv
    title: {zh: 小时浓度, en: Hourly concentrations}
    schema:
      primary_key: [station_id, time]
      fields:
        - {name: station_id, type: string, title: {zh: 站点编号, en: Station ID}}
        - {name: time, type: datetime, title: {zh: 时间, en: Time}}
        - {name: pm25, type: number, unit: μg/m³, title: {zh: 细颗粒物, en: PM2.5}}
"""

# The file's columns in another order than the schema's, an undeclared one (extra) and a
# sensitive one (secret); a byte-order mark; a blank line; quoted LF and CR; formulas; every
# spelling of a value that Python reads and pyarrow may not.
MIXED_HEADER = "label,id,extra,day,at,value,flag,count,secret,note"
MIXED_ROWS = [
    'plain,1,x,2025-01-01,2025-01-01T09:00:00+08:00,3.10,true,7,0710-1,东站',
    '"=HYPERLINK(""http://x"",""y"")",2,x,2025-01-02T08:00:00+08:00,2025-01-01T01:00:00Z,-5.2,False,+5,0710-2,',
    '+86 施工,3,x,20250103,2025-01-01 10:00:00+08:00,1e3,1,007,0710-3,"a,b"',
    '＝SUM(A1:A9),4,x,2025-01-03,2025-01-01T10:00:00.25+05:30,.5,0,-3,0710-4,"q""uote"',
    '@cmd,5,x,2025-01-03,2025-06-01T10:00:00-04:00,5.,TRUE,１２,0710-5,"line\nbreak"',
    '"\tTAB-led",6,x,2025-01-03,2025-01-01T09:00:00+08:00,+1.5,NA,,0710-6,"cr\rinside"',
    '-连字符,7,x,2025-01-03,2025-01-01T09:00:00+08:00,NA,false,1,0710-7,  spaced  ',
    '_x0041_ literal,8,x,2025-01-03,2025-01-01T09:00:00+08:00,-,FALSE,2,0710-8,emoji 😀',
    '"ctrl\x01char",9,x,2025-01-03,2025-01-01T09:00:00+08:00,nan,true,3,0710-9,中文',
    '',
    'inf,10,x,2025-01-03,2025-01-01T09:00:00+08:00,inf,true,4,0710-10,-',
    'big,11,x,2025-01-03,2025-01-01T09:00:00+08:00,1_000,true,9007199254740993,0710-11,=1+1',
    'tiny,12,x,2025-01-03,2025-01-01T09:00:00+08:00,1e-400,true,5,0710-12,@',
    'huge,13,x,2025-01-03,2025-01-01T09:00:00+08:00,1e400,true,6,0710-13,－5',
    'sci,14,x,2025-01-03,2025-01-01T09:00:00+08:00,-2.5E+2,true,-0,0710-14,<&>',
]
MIXED_V2_ROWS = [MIXED_ROWS[0], MIXED_ROWS[2], 'new,15,x,2025-01-04,2025-01-04T00:00:00+08:00,0.0,true,1,0710-15,改']


def _plain(rows: int, crlf: bool, formula_at: int | None = None, cr_at: int | None = None) -> str:
    """Hourly-looking rows; one cell a formula at row ``formula_at``, one CR at ``cr_at``."""
    lines = ["station_id,time,pm25"]
    for i in range(rows):
        station = f"aq-{i % 7:02d}"
        if i == formula_at:
            station = "=cmd|' /C calc'!A0"
        if i == cr_at:
            station = '"aq\rcr"'
        hour = i // 7
        stamp = f"2025-01-{1 + hour // 24:02d}T{hour % 24:02d}:00:00+08:00"
        value = "" if i % 13 == 5 else f"{(i * 37) % 500 / 10:.1f}"
        lines.append(f"{station},{stamp},{value}")
    eol = "\r\n" if crlf else "\n"
    return eol.join(lines) + eol


def edge_project(root: Path) -> tuple[Path, dict[str, list[DatasetVersion]]]:
    """A copy of the fixture portal with the edge-case dataset, and two versions of it."""
    project = root / "portal"
    shutil.copytree(FIXTURE_PORTAL, project)
    folder = project / "content" / "datasets" / "edge-cases"
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(EDGE_YAML, encoding="utf-8")
    archive = root / "archive"
    archive.mkdir()
    sources = {
        "v1-mixed.csv": "\ufeff" + "\n".join([MIXED_HEADER, *MIXED_ROWS]) + "\n",
        "v1-plain.csv": _plain(3000, crlf=True, formula_at=2500, cr_at=1200),
        "v2-mixed.csv": "\n".join([MIXED_HEADER, *MIXED_V2_ROWS]),  # no final line break
        "v2-plain.csv": _plain(3100, crlf=False),
    }
    for name, text in sources.items():
        (archive / name).write_bytes(text.encode("utf-8"))
    shutil.copy(archive / "v2-mixed.csv", folder / "mixed.csv")
    shutil.copy(archive / "v2-plain.csv", folder / "plain.csv")
    versions = [
        DatasetVersion("edge-cases", 1, datetime(2025, 1, 3, 9, 0, tzinfo=TZ), "initial",
                       {"mixed": archive / "v1-mixed.csv", "plain": archive / "v1-plain.csv"}),
        DatasetVersion("edge-cases", 2, datetime(2025, 1, 4, 18, 31, 7, tzinfo=TZ), "correction",
                       {"mixed": archive / "v2-mixed.csv", "plain": archive / "v2-plain.csv"},
                       note="更正 / corrected"),
    ]
    air = DatasetVersion("air-mini", 1, datetime(2025, 1, 2, 12, 0, tzinfo=TZ), "initial",
                         {"air-hourly": project / "content/datasets/air-mini/air_hourly.csv"})
    return project, {"edge-cases": versions, "air-mini": [air]}


def edge_site(project: Path, versions: dict[str, list[DatasetVersion]]) -> SiteModel:
    """The site model the open-data stage reads: the rules, and the datasets given as released."""
    content = load_content(project)
    release = Release(at=datetime(2025, 1, 5, 9, 0, tzinfo=TZ),
                      datasets={ds_id: content.datasets[ds_id] for ds_id in versions})
    site = SiteModel(rules=load_rules(project), content=content, release=release)
    site.versions = versions
    return site


def file_hashes(scratch: Path) -> dict[str, str]:
    return {p.relative_to(scratch).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(scratch.rglob("*")) if p.is_file()}


def libraries() -> dict[str, str]:
    return {"pyarrow": pyarrow.__version__, "zlib": zlib.ZLIB_RUNTIME_VERSION}


def planned_hashes(root: Path) -> dict[str, str]:
    project, versions = edge_project(root)
    plan_open_data(edge_site(project, versions), root / "scratch")
    return file_hashes(root / "scratch")


def test_every_file_has_the_bytes_recorded_before_the_stage_streamed(tmp_path: Path) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    if expected["libraries"] != libraries():
        pytest.skip(f"recorded with {expected['libraries']}, running {libraries()}: re-record (see the docstring)")
    assert planned_hashes(tmp_path) == expected["files"]


def test_the_bytes_do_not_depend_on_how_the_rows_are_cut_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7 rows, blocks of 4 KiB, one block queued, sheets spooled to disk after 1 KB:
    every file the same as with the sizes the stage runs with."""
    whole = planned_hashes(tmp_path / "whole")
    monkeypatch.setattr(opendata, "CHUNK_ROWS", 7)
    monkeypatch.setattr(zips, "BLOCK", 4096)
    monkeypatch.setattr(zips, "QUEUED_BLOCKS", 1)
    monkeypatch.setattr(xlsx, "SPOOL_IN_MEMORY", 1000)
    assert planned_hashes(tmp_path / "cut") == whole


def test_parquet_row_groups_are_those_of_one_whole_table_write(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Written a row group at a time from chunks that do not line up with the groups, the file
    is byte for byte what ``pq.write_table`` gives for the whole table with the same group size."""
    monkeypatch.setattr(opendata, "PARQUET_ROW_GROUP", 1000)
    monkeypatch.setattr(opendata, "CHUNK_ROWS", 300)
    project, versions = edge_project(tmp_path)
    plan_open_data(edge_site(project, versions), tmp_path / "scratch")
    for version, groups in (("1", 3), ("2", 4)):
        written = tmp_path / "scratch" / "data" / "edge-cases" / version / "plain.parquet"
        assert pq.ParquetFile(written).metadata.num_row_groups == groups
        whole = io.BytesIO()
        pq.write_table(pq.read_table(written), whole, compression="zstd", row_group_size=1000)
        assert written.read_bytes() == whole.getvalue()


@pytest.mark.parametrize("zip64_limit", [zipfile.ZIP64_LIMIT, 1000], ids=["zip", "zip64"])
def test_a_zip_put_together_from_compressed_streams_is_what_zipfile_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zip64_limit: int) -> None:
    """Members copied as compressed streams give the bytes ``ZipFile.writestr`` gives; with a
    small ZIP64 limit, the ZIP64 headers, central-directory fields and end records too."""
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", zip64_limit)
    rng = random.Random(15)
    members = [(f"v1/{n}-file.csv", bytes(rng.getrandbits(8) for _ in range(size)) if n % 2
                else ("站点,时间\n" * size).encode("utf-8")) for n, size in enumerate((0, 1, 700, 960, 3000, 40))]
    when = (2025, 1, 2, 18, 31, 6)
    expected = io.BytesIO()
    with zipfile.ZipFile(expected, "w") as archive:
        for name, data in members:
            archive.writestr(zips.zip_entry(name, when), data)
    made = zips.write_zip(tmp_path / "made.zip", [(name, zips.Compressed.of(data)) for name, data in members], when)
    assert (tmp_path / "made.zip").read_bytes() == expected.getvalue()
    assert (made.size, made.sha256) == (len(expected.getvalue()), hashlib.sha256(expected.getvalue()).hexdigest())
    with zipfile.ZipFile(tmp_path / "made.zip") as archive:
        assert archive.testzip() is None
        assert [(i.filename, archive.read(i)) for i in archive.infolist()] == members


# -- Parquet values: pyarrow's casts read a cell as Python does, or the cell goes to Python -------

FIELD_TYPES = ("integer", "number", "boolean", "date", "datetime", "string")
SPELLINGS = {
    "integer": ["0", "7", "-3", "007", "+5", "-0", "１２", " 5", "5 ", "1_000", "9223372036854775807",
                "-9223372036854775808", "9223372036854775808", "1.0", "abc", "NA", ""],
    "number": ["0", "3.10", "-5.2", "1e3", "1E-3", ".5", "5.", "+1.5", "-0", "-0.0", "1e400", "-1e400", "1e-400",
               "4.9e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "123456789012345678901234567890",
               "0.1", "nan", "inf", "-Infinity", "1_000", " 1", "1 ", "0x10", "1e", "e1", ".", "NA", ""],
    "boolean": ["true", "True", "TRUE", "1", "false", "False", "FALSE", "0", "yes", "t", "NA", ""],
    "date": ["2025-01-01", "2024-02-29", "2025-02-29", "2025-13-01", "20250101", "2025-01-01T08:00:00+08:00",
             "0001-01-01", "0000-01-01", "9999-12-31", "2025-W01-1", "2025-1-1", "２０２５-01-01", "NA", ""],
    "datetime": ["2025-01-01T09:00:00+08:00", "2025-01-01T01:00:00Z", "2025-01-01T10:00:00.25+05:30",
                 "2025-01-01T10:00:00.123456-04:00", "2025-01-01T10:00:00.1234567+08:00",
                 "2025-01-01 10:00:00+08:00", "2025-01-01T24:00:00+08:00", "2025-01-01T23:59:60+08:00",
                 "2025-01-01T10:00:00", "2025-01-01T10:00+08:00", "2025-01-01T10:00:00+24:00",
                 "2025-01-01T10:00:00+23:59", "0001-01-01T00:00:00+00:00", "2025-02-30T00:00:00+08:00",
                 "2025-01-01T10:00:00+08:00:30", "2025-01-01t10:00:00+08:00", "NA", ""],
    "string": ["text", "=1+1", " spaced ", "NA", ""],
}
CANONICAL = {"integer": "-42", "number": "54.1", "boolean": "true", "date": "2025-03-01",
             "datetime": "2025-03-01T08:00:00+08:00", "string": "aq-01"}


def _field(kind: str) -> opendata.FieldSpec:
    return opendata.FieldSpec(name="x", type=kind, title=opendata.Text("x"), description=opendata.Text(""))


def _cell_by_cell(kind: str, cells: list[str]) -> pa.Array | type:
    """What the stage wrote before it streamed: every cell through Python, or the error."""
    try:
        return pa.array([opendata._typed(_field(kind), c, {"", "NA"}, TZ) for c in cells],
                        type=opendata._arrow_type(_field(kind), TZ))
    except (OpenDataError, OverflowError, pa.ArrowException) as exc:
        return type(exc)


def _same(a: pa.Array, b: pa.Array) -> bool:
    """The same type and values; nan equal to nan, -0.0 not equal to 0.0."""
    return a.type == b.type and repr(a.to_pylist()) == repr(b.to_pylist())


def _random_numbers(rng: random.Random) -> list[str]:
    out = []
    for _ in range(3000):
        value = rng.choice([rng.uniform(-1e3, 1e3), rng.expovariate(1e-3), 10 ** rng.uniform(-320, 308),
                            rng.randint(-10**6, 10**6)])
        form = rng.choice(["{!r}", "{:.1f}", "{:.2f}", "{:.17g}", "{:e}", "{:.3E}", "{:f}", "0{:.1f}"])
        out.append(form.format(abs(value) if form.startswith("0") else value))
    return out


@pytest.mark.parametrize("kind", FIELD_TYPES)
def test_pyarrow_reads_each_spelling_as_python_does_or_leaves_it_to_python(kind: str) -> None:
    rng = random.Random(kind)
    spellings = SPELLINGS[kind] + (_random_numbers(rng) if kind == "number" else [])
    canonical = [CANONICAL[kind]] * 5
    for cells in [canonical, *([c, *canonical] for c in spellings), spellings]:
        expected = _cell_by_cell(kind, cells)
        fast = opendata._typed_by_arrow(_field(kind), pa.array(cells, pa.string()), {"", "NA"},
                                        opendata._arrow_type(_field(kind), TZ))
        if fast is not None:
            assert isinstance(expected, pa.Array), (cells, expected)
            assert _same(fast, expected), cells
        if isinstance(expected, pa.Array):
            assert _same(opendata._typed_array(_field(kind), cells, {"", "NA"}, TZ), expected), cells
    assert opendata._typed_by_arrow(_field(kind), pa.array(canonical + ["NA", ""]), {"", "NA"},
                                    opendata._arrow_type(_field(kind), TZ)) is not None  # the usual cells: by pyarrow


# -- the XLSX limit ---------------------------------------------------------------------------


def test_a_table_too_big_for_a_sheet_has_no_xlsx_and_every_listing_says_why(tmp_path: Path) -> None:
    project, versions = edge_project(tmp_path)
    plan = plan_open_data(edge_site(project, versions), tmp_path / "scratch", xlsx_max_rows=20)
    scratch = tmp_path / "scratch"
    newest = plan.published["edge-cases"][-1]
    files = {d.name: d for d in newest.files}
    assert "mixed.xlsx" in files and "plain.xlsx" not in files
    assert sorted(p.name for p in scratch.rglob("*.xlsx")) == ["mixed.xlsx"] * 3  # v1, v2, latest: not plain, not air-mini
    note = ("行数超过 Excel 工作表的上限（22 行），不提供 XLSX", "more rows than an Excel sheet holds (22), so no XLSX")
    assert files["plain.excel.csv"].title == {
        "zh": f"小时浓度 · CSV（UTF-8 带 BOM，供 Excel 打开；{note[0]}）",
        "en": f"Hourly concentrations · CSV (UTF-8 with BOM, for Excel; {note[1]})"}
    assert note[1] not in files["mixed.excel.csv"].title["en"]
    assert plan.downloads["edge-cases"] == newest.files  # what the dataset page lists

    readme = (scratch / "data/edge-cases/2/README.md").read_text(encoding="utf-8")
    assert "`plain` 的行数超过 Excel 工作表的上限（22 行），因此没有 `.xlsx`" in readme
    assert "`plain` has more rows than an Excel sheet holds (22), so there is no `.xlsx`" in readme
    assert "`mixed` 的行数" not in readme
    package = json.loads((scratch / "data/edge-cases/2/datapackage.json").read_text(encoding="utf-8"))
    assert [r["path"] for r in package["resources"] if r["format"] == "xlsx"] == ["mixed.xlsx"]
    with zipfile.ZipFile(scratch / "data/edge-cases/2/edge-cases.zip") as archive:
        assert "edge-cases-v2/plain.xlsx" not in archive.namelist()

    dcat = json.loads((scratch / "catalog.jsonld").read_text(encoding="utf-8"))
    node = next(d for d in dcat["dcat:dataset"] if d["dct:identifier"] == "edge-cases")
    titles = [t["@value"] for dist in node["dcat:distribution"] for t in dist["dct:title"]]
    assert sum(note[0] in t for t in titles) == 1 and sum(note[1] in t for t in titles) == 1
    assert not any(dist["dcat:downloadURL"]["@id"].endswith("plain.xlsx") for dist in node["dcat:distribution"])
    pod = json.loads((scratch / "data.json").read_text(encoding="utf-8"))
    entry = next(d for d in pod["dataset"] if d["identifier"].endswith("datasets/edge-cases/"))
    assert [d["title"] for d in entry["distribution"] if note[0] in d["title"]] == [
        f"小时浓度 · CSV（UTF-8 带 BOM，供 Excel 打开；{note[0]}）"]


@pytest.mark.parametrize("limit, v1, v2", [(2999, False, False), (3000, True, False), (3100, True, True)])
def test_the_xlsx_limit_is_exact_whether_the_rows_are_counted_before_or_while_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, v1: bool, v2: bool) -> None:
    """Version 1's ``plain`` (3,000 rows) has quotes, so its rows are known only by reading it:
    its XLSX is written as it is read and given up at row ``limit + 1``. Version 2's (3,100 rows)
    has no quote and no blank line: its lines are its rows, counted from the bytes, and an XLSX
    that cannot fit is not started."""
    started = []
    sheet = opendata._xlsx_data_sheet
    monkeypatch.setattr(opendata, "_xlsx_data_sheet",
                        lambda book, fields: started.append(len(fields)) or sheet(book, fields))
    project, versions = edge_project(tmp_path)
    plan_open_data(edge_site(project, versions), tmp_path / "scratch", xlsx_max_rows=limit)
    made = {p.relative_to(tmp_path / "scratch").as_posix() for p in (tmp_path / "scratch").rglob("plain.xlsx")}
    assert ("data/edge-cases/1/plain.xlsx" in made, "data/edge-cases/2/plain.xlsx" in made) == (v1, v2)
    assert started.count(3) == 1 + v2  # plain has 3 published columns; mixed 8, air-mini 8
    assert list((tmp_path / "scratch").parent.glob("opendata-parts-*")) == []  # streams and spools removed


@pytest.mark.parametrize("data, rows, exact", [
    (b"", 0, True),
    (b"a,b\n", 0, True),
    (b"a,b\n1,2\n3,4\n", 2, True),
    (b"a,b\n1,2\n3,4", 2, True),  # no line break at the end
    (b"\xef\xbb\xbfa,b\r\n1,2\r\n3,4\r\n", 2, True),
    (b"a,b\r1,2\r3,4\r", 2, True),  # old Mac line ends
    (b"a,b\n1,2\n\n3,4\n", 3, False),  # a blank line is not a row
    (b"a,b\r\n1,2\r\n\r\n3,4\r\n", 3, False),
    (b"\na,b\n1,2\n", 2, False),  # a blank first line: the header is the second
    (b"\xef\xbb\xbf\r\na,b\r\n1,2\r\n", 2, False),
    (b"\xef\xbb\xbf", 0, True),
    (b'a,b\n1,"x\ny"\n', 2, False),  # a line break inside a quoted cell
    (b"a,b\n1,2\r\n3,4\r5,6\n", 3, True),
])
def test_rows_are_bounded_from_the_bytes_and_exact_without_quotes_or_blank_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, rows: int, exact: bool) -> None:
    monkeypatch.setattr(zips, "BLOCK", 3)  # pairs of bytes split between blocks
    (tmp_path / "t.csv").write_bytes(data)
    assert opendata._rows_at_most(tmp_path / "t.csv") == (rows, exact)


# -- memory ------------------------------------------------------------------------------------


def _hourly(path: Path, rows: int) -> None:
    start = datetime(2021, 1, 1, 1, tzinfo=TZ)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("station_id,time,pm25\n")
        for i in range(rows):
            out.write(f"aq-{i % 30:02d},{(start + timedelta(hours=i // 30)).isoformat()},{i * 37 % 5000 / 10}\n")


def _peak_memory(root: Path, rows: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Peak bytes of Python objects (tracemalloc, every thread) plus pyarrow's buffers (largest
    after each chunk handed to the Parquet writer) while every file of one version is made."""
    project, _ = edge_project(root)
    _hourly(root / "hourly.csv", rows)
    version = DatasetVersion("edge-cases", 1, datetime(2025, 1, 3, 9, 0, tzinfo=TZ), "initial",
                             {"plain": root / "hourly.csv"})
    site = edge_site(project, {"edge-cases": [version]})
    arrow = [0]
    add = opendata._ParquetStream.add

    def measured_add(stream: opendata._ParquetStream, columns: list[pa.Array]) -> None:
        add(stream, columns)
        arrow[0] = max(arrow[0], pa.total_allocated_bytes())

    monkeypatch.setattr(opendata._ParquetStream, "add", measured_add)
    tracemalloc.start()
    try:
        plan_open_data(site, root / "scratch")
        python = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (root / "scratch/data/edge-cases/1/plain.xlsx").is_file()
    return python + arrow[0]


def test_memory_does_not_grow_with_the_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten times the rows, not ten times the memory: with chunks of 2,000 rows and row groups of
    20,000, 200,000 rows peak below twice what 20,000 rows take (the whole-file writers took
    several times the table)."""
    monkeypatch.setattr(opendata, "CHUNK_ROWS", 2000)
    monkeypatch.setattr(opendata, "PARQUET_ROW_GROUP", 20_000)
    small = _peak_memory(tmp_path / "small", 20_000, monkeypatch)
    large = _peak_memory(tmp_path / "large", 200_000, monkeypatch)
    print(f"peak memory: {small:,} bytes at 20,000 rows, {large:,} at 200,000")
    assert large < 2 * small, (small, large)


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        record = {"libraries": libraries(), "files": planned_hashes(Path(folder))}
    EXPECTED.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(record['files'])} files recorded in {EXPECTED}")
