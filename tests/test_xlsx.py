"""The XLSX writer (``publisher/xlsx.py``) read back by the clients our users have: openpyxl and
pandas; its package checked part by part with an XML parser; its bytes checked for determinism.

openpyxl (3.1) hands back an inline string's stored text without decoding the OOXML escape
``_xHHHH_`` (Excel decodes it), so the few strings that need the escape are compared after
decoding them the way Excel does (:func:`as_excel_reads`); every other string must come back
exactly as written, with no decoding at all.
"""

from __future__ import annotations

import io
import math
import random
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from publisher import xlsx as xlsx_module
from publisher.xlsx import MAX_COLUMNS, MAX_ROWS, Workbook, column_letter, escape_text

ZIP_TIME = (2026, 1, 6, 12, 0, 0)
CREATED = datetime(2026, 1, 6, 12, 0, tzinfo=timezone(timedelta(hours=8)))  # 04:00 UTC
TITLE = '示范市 "空气" & <水> 数据'
CREATOR = "示范市生态环境局 & Co <demo>"

TEXTS = ["中文文本", "emoji 😀🌏", "  leading", "trailing  ", " both ", "\tTab-led", "=1+1", "+86", "-5", "@cmd",
         "_x0041_", "_X0041_ and _x004a_", "_x0041_x0042_", "_x005F_", "a\x01b", "end\uffff", "\ufffe\x00\x1f",
         "&<>\"'", "line\nbreak", "cr\rlf\r\n", "lone \ud800 surrogate", "", "plain"]
NUMBERS = [0, 1, -7, 2**53 + 1, 10**20, 0.1, 1e-7, 12345.678, -0.0, 1e300, 5e-324, -2.5, 79.90000000000001]
BOOLEANS = [True, False]
NEEDS_ESCAPE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


def as_excel_reads(stored: str) -> str:
    """The text Excel shows for a stored ST_Xstring: each ``_xHHHH_``, left to right, decoded."""
    return unescape(stored)


def sample_book() -> Workbook:
    book = Workbook(created=CREATED, creator=CREATOR, title=TITLE)
    data = book.add_sheet("data", freeze_rows=2)
    data.append([f"col{i}" for i in range(len(TEXTS))], bold=True)
    data.append([f"label {i} (μg/m³)" for i in range(len(TEXTS))])
    data.append(TEXTS)
    data.append(NUMBERS)
    data.append(BOOLEANS)
    data.append([None, "after a gap", None, 3, None, None])  # None: no cell; trailing ones too
    data.append([])  # an empty row still takes its row number
    data.append(["last"])
    wide = book.add_sheet("wide")
    wide.append(list(range(30)), bold={0, 27})
    wide.append([f"r2c{i}" for i in range(30)])
    book.add_sheet("empty")
    return book


@pytest.fixture(scope="module")
def xlsx() -> bytes:
    return sample_book().to_bytes(ZIP_TIME)


def test_openpyxl_reads_back_sheets_styles_and_frozen_pane(xlsx: bytes) -> None:
    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["data", "wide", "empty"]
    data = book["data"]
    assert data.freeze_panes == "A3" and book["wide"].freeze_panes is None
    assert all(c.font.b for c in data[1]) and not any(c.font.b for c in data[2])
    assert [c.font.b for c in book["wide"][1]] == [i in (0, 27) for i in range(30)]
    assert data.max_row == 8 and data.max_column == len(TEXTS)


def test_openpyxl_reads_back_every_value_with_its_type(xlsx: bytes) -> None:
    data = load_workbook(io.BytesIO(xlsx))["data"]
    texts = [c.value for c in data[3]]
    for got, want in zip(texts, TEXTS, strict=True):
        assert type(got) is str
        if NEEDS_ESCAPE.search(want):
            assert as_excel_reads(got) == want, (got, want)
        else:
            assert got == want  # exactly, not decoded
    assert [c.data_type for c in data[3]] == ["s"] * len(TEXTS)  # "=1+1" is text, not a formula
    numbers = [c.value for c in data[4]]
    assert numbers == NUMBERS + [None] * (len(TEXTS) - len(NUMBERS))  # openpyxl pads to the widest row
    assert [type(v) for v in numbers[:len(NUMBERS)]] == [type(v) for v in NUMBERS]
    assert math.copysign(1, numbers[8]) == -1 and NUMBERS[8] == 0  # -0.0 keeps its sign
    assert [c.value for c in data[5]][:2] == [True, False] and data["A5"].data_type == "b"
    assert [data.cell(6, i).value for i in range(1, 7)] == [None, "after a gap", None, 3, None, None]
    assert all(c.value is None for c in data[7]) and data["A8"].value == "last"
    wide = book_values(xlsx, "wide")
    assert wide[0] == list(range(30)) and wide[1][26:28] == ["r2c26", "r2c27"]


def book_values(xlsx: bytes, sheet: str) -> list[list[object]]:
    return [list(row) for row in load_workbook(io.BytesIO(xlsx))[sheet].iter_rows(values_only=True)]


def test_pandas_reads_back_every_value(xlsx: bytes) -> None:
    frame = pd.read_excel(io.BytesIO(xlsx), sheet_name="data", header=None, dtype=object, keep_default_na=False)
    assert frame.iloc[0].tolist() == [f"col{i}" for i in range(len(TEXTS))]
    for got, want in zip(frame.iloc[2].tolist(), TEXTS, strict=True):
        assert (as_excel_reads(got) if NEEDS_ESCAPE.search(want) else got) == want, (got, want)
    # pandas turns a float with an integral value into an int (so -0.0 comes back as 0)
    for got, want in zip(frame.iloc[3].tolist()[:len(NUMBERS)], NUMBERS):
        assert isinstance(got, (int, float)) and not isinstance(got, bool) and got == want, (got, want)
    assert frame.iloc[4].tolist()[:2] == [True, False]
    # the defaults users get: the empty text cell and the missing cells are NaN, numbers stay numbers
    typed = pd.read_excel(io.BytesIO(xlsx), sheet_name="data", skiprows=[1])
    assert pd.isna(typed["col21"][0]) and typed["col0"][0] == "中文文本"


def test_document_properties(xlsx: bytes) -> None:
    properties = load_workbook(io.BytesIO(xlsx)).properties
    assert properties.creator == CREATOR and properties.title == TITLE
    assert properties.created == properties.modified == datetime(2026, 1, 6, 4, 0)  # UTC


def test_two_writes_give_identical_bytes_with_fixed_entry_times(xlsx: bytes) -> None:
    assert sample_book().to_bytes(ZIP_TIME) == xlsx
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == [
            "[Content_Types].xml", "_rels/.rels", "docProps/app.xml", "docProps/core.xml", "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
            "xl/worksheets/sheet3.xml"]
        assert {i.date_time for i in infos} == {ZIP_TIME}
        assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
        assert archive.testzip() is None
    assert sample_book().to_bytes((2027, 1, 1, 0, 0, 0)) != xlsx  # the time is really in the bytes


def test_every_part_is_declared_parses_and_every_relationship_resolves(xlsx: bytes) -> None:
    ct = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    rel = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        names = set(archive.namelist())
        parts = {name: ET.fromstring(archive.read(name)) for name in names}  # every member is XML
    types = parts["[Content_Types].xml"]
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(f"{ct}Override")}
    defaults = {d.get("Extension") for d in types.iter(f"{ct}Default")}
    assert defaults == {"rels", "xml"}
    assert {name.lstrip("/") for name in overrides} <= names  # every part listed exists
    for name in names - {"[Content_Types].xml"}:  # and every part has a content type
        assert f"/{name}" in overrides or name.endswith(".rels"), name
    for rels_name in ("_rels/.rels", "xl/_rels/workbook.xml.rels"):
        source = PurePosixPath(rels_name).parent.parent
        targets = [r.get("Target") for r in parts[rels_name].iter(f"{rel}Relationship")]
        for target in targets:
            assert (source / target).as_posix() in names, (rels_name, target)
    workbook = parts["xl/workbook.xml"]
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    assert [s.get("name") for s in workbook.iter(f"{main}sheet")] == ["data", "wide", "empty"]
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert sheet.find(f"{main}dimension").get("ref") == f"A1:{column_letter(len(TEXTS) - 1)}8"
    pane = sheet.find(f"{main}sheetViews/{main}sheetView/{main}pane")
    assert pane.attrib == {"ySplit": "2", "topLeftCell": "A3", "activePane": "bottomLeft", "state": "frozen"}
    assert parts["xl/worksheets/sheet3.xml"].find(f"{main}dimension").get("ref") == "A1"
    assert not list(sheet.iter(f"{main}f"))  # no formula anywhere
    styles = parts["xl/styles.xml"]
    fonts = styles.findall(f"{main}fonts/{main}font")
    assert fonts[0].find(f"{main}b") is None and fonts[1].find(f"{main}b") is not None
    assert [x.get("fontId") for x in styles.findall(f"{main}cellXfs/{main}xf")] == ["0", "1"]


def test_cells_carry_references_and_text_keeps_its_spaces(xlsx: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        data = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
        wide = archive.read("xl/worksheets/sheet2.xml").decode("utf-8")
    assert '<c r="A1" s="1" t="inlineStr"><is><t>col0</t></is></c>' in data
    assert '<c r="G3" t="inlineStr"><is><t>=1+1</t></is></c>' in data
    assert '<t xml:space="preserve">  leading</t>' in data and '<t xml:space="preserve">trailing  </t>' in data
    assert '<t xml:space="preserve">\tTab-led</t>' in data and "<t>plain</t>" in data
    assert '<c r="A5" t="b"><v>1</v></c>' in data and '<c r="B6" t="inlineStr">' in data
    assert 'r="A6"' not in data and 'r="A7"' not in data  # None and empty rows: no cell
    assert [m for m in re.findall(r'<c r="([A-Z]+)1"', wide)][24:] == ["Y", "Z", "AA", "AB", "AC", "AD"]


def test_text_escapes() -> None:
    assert escape_text("plain 中文") == "plain 中文"
    assert escape_text('&<>"\'') == "&amp;&lt;&gt;&quot;'"
    assert escape_text("a\x01b\uffff\ufffe") == "a_x0001_b_xFFFF__xFFFE_"
    assert escape_text("\ud800") == "_xD800_"
    assert escape_text("_x0041_") == "_x005F_x0041_"
    assert escape_text("_x0041_x0042_") == "_x005F_x0041_x005F_x0042_"  # the shared underscore too
    assert escape_text("_x004") == "_x004" and escape_text("_xGGGG_") == "_xGGGG_"
    assert escape_text("a\rb") == "a&#13;b"  # a parser would turn a raw CR into LF
    assert escape_text("\t\n") == "\t\n"


def test_any_text_survives_xml_and_the_excel_decoding() -> None:
    # Strings dense in the characters that matter, through escape, an XML parser and the decoding.
    rng = random.Random(7)
    alphabet = ["_", "x", "X", "0", "4", "1", "5", "F", "f", "a", "\x01", "\x00", "\r", "\n", "&", "<", "\uffff",
                "\ud83d", "中"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 16)))
        parsed = ET.fromstring(f"<t>{escape_text(text)}</t>".encode("utf-8")).text or ""
        assert as_excel_reads(parsed) == text, repr(text)


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702, MAX_COLUMNS - 1)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]
    with pytest.raises(ValueError):
        column_letter(MAX_COLUMNS)


def test_refuses_what_it_cannot_write() -> None:
    book = Workbook(created=CREATED)
    sheet = book.add_sheet("data")
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError, match="not a finite number"):
            sheet.append([1, bad])
    with pytest.raises(ValueError, match="more than Excel's"):
        sheet.append([1] * (MAX_COLUMNS + 1))
    with pytest.raises(TypeError, match="cannot write a datetime"):
        sheet.append([CREATED])
    sheet.append(["ok"])  # a refused row leaves no trace
    assert book_values(book.to_bytes(ZIP_TIME), "data") == [["ok"]]
    for name in ("", "a" * 32, "a/b", "x[1]", "'quoted'", "a\x01"):
        with pytest.raises(ValueError, match="not a valid sheet name"):
            book.add_sheet(name)
    with pytest.raises(ValueError, match="already a sheet"):
        book.add_sheet("DATA")
    with pytest.raises(ValueError, match="at least one sheet"):
        Workbook(created=CREATED).to_bytes(ZIP_TIME)


def test_property_characters_xml_cannot_carry_are_replaced() -> None:
    book = Workbook(created=datetime(2026, 1, 6, 4, 0), creator="a\x01b", title="t")  # naive: UTC
    book.add_sheet("s").append(["x"])
    properties = load_workbook(io.BytesIO(book.to_bytes(ZIP_TIME))).properties
    assert properties.creator == "a\ufffdb" and properties.created == datetime(2026, 1, 6, 4, 0)


def test_rows_appended_column_by_column_are_the_rows_appended_one_by_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``append_columns`` (how the open-data sheet is written) gives the bytes of ``append`` row by
    row: plain-text columns, text to escape or with spaces kept, numbers, mixed columns, booleans,
    ``None`` (rows of several widths); the rows spooled to a file (``spool_dir``) once they outgrow
    memory."""
    rng = random.Random(7)
    n = 3000
    columns = [
        [f"aq-{i % 9}" for i in range(n)],
        [rng.choice(TEXTS) for _ in range(n)],
        [rng.choice(NUMBERS) for _ in range(n)],
        [rng.choice(NUMBERS + ["", "n/a"]) for _ in range(n)],
        [rng.choice(BOOLEANS + [1]) for _ in range(n)],
        [rng.choice(["x", None]) for _ in range(n)],
        [None if i % 3 else rng.random() for i in range(n)],
    ]

    def book(by_columns: bool, cut: int) -> bytes:
        workbook = Workbook(created=CREATED, creator=CREATOR, title=TITLE, spool_dir=tmp_path)
        sheet = workbook.add_sheet("data", freeze_rows=1)
        sheet.append(["header"], bold=True)
        for start in range(0, n, cut):
            part = [values[start:start + cut] for values in columns]
            if by_columns:
                sheet.append_columns(part)
            else:
                for row in zip(*part):
                    sheet.append(list(row))
        return workbook.to_bytes(ZIP_TIME)

    one_by_one = book(False, n)
    assert book(True, n) == one_by_one
    monkeypatch.setattr(xlsx_module, "SPOOL_IN_MEMORY", 1000)
    assert book(True, 7) == one_by_one


def test_rows_appended_column_by_column_are_refused_as_a_whole() -> None:
    book = Workbook(created=CREATED)
    sheet = book.add_sheet("data")
    with pytest.raises(ValueError, match="not a finite number"):
        sheet.append_columns([["a", "b"], [1.5, math.nan]])
    with pytest.raises(ValueError, match="as many values"):
        sheet.append_columns([["a", "b"], [1.5]])
    sheet.append_columns([["ok"], [1]])
    assert book_values(book.to_bytes(ZIP_TIME), "data") == [["ok", 1]]
    sheet.rows = MAX_ROWS - 1
    with pytest.raises(ValueError, match="cannot take 2 more rows"):
        sheet.append_columns([["a", "b"]])
