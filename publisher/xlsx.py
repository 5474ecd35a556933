"""A small streaming XLSX (SpreadsheetML) writer for the open data downloads.

It writes exactly what ``opendata`` needs and nothing more: sheets of plain cells (inline text,
numbers, booleans), bold cells, frozen header rows, and the document properties.
There are no shared strings, formulas, dates, column widths or themes.

Why not openpyxl: openpyxl builds an element per cell and serialises it through et_xmlfile, which
made XLSX the slowest stage of the portal build (about 20 s per million cells). Here each row is
turned into its XML text with string joins the moment it is appended, several times faster
(``benchmarks/xlsx_benchmark.py``), and the bytes are deterministic by construction.

Memory stays small whatever the size of a sheet: appended rows go to a spool (in memory up to
``SPOOL_IN_MEMORY`` bytes, then a temporary file), and :meth:`Workbook.save` streams them into
the zip. A sheet's ``<dimension>`` comes before its rows, so the rows cannot go straight into the
zip as they are appended.

Rules the writer keeps, whatever the caller passes:

* a ``str`` is always an inline string (``t="inlineStr"``), never a formula, whatever it starts
  with (making text inert for spreadsheets that *type* it is the caller's job: see
  ``cells.neutralise``, which ``opendata`` applies to every cell);
* characters XML 1.0 cannot carry are written with the OOXML escape ``_xHHHH_``, and a literal
  ``_xHHHH_`` in the text has its underscore escaped (``_x005F_``), so Excel reads the original
  text back (openpyxl 3.1 does not decode inline strings: it shows these few texts escaped);
* numbers are written so that they read back exactly: ``repr`` of a float, ``str`` of an int;
* the same calls give the same bytes: fixed part order, fixed zip entry times and attributes.

Usage::

    book = Workbook(created=released_at, creator="示范市生态环境局", title="…")
    sheet = book.add_sheet("data", freeze_rows=2)
    sheet.append(["station_id", "pm25"], bold=True)
    sheet.append(["aq-st001", 42.6])
    data = book.to_bytes(zip_time=(2026, 1, 6, 12, 0, 0))   # or book.save(file, zip_time=...)
"""

from __future__ import annotations

import io
import math
import re
import tempfile
import zipfile
from datetime import datetime, timezone
from itertools import product, repeat
from pathlib import Path
from string import ascii_uppercase
from typing import BinaryIO, Container, Iterable, Iterator, Sequence, Union

CellValue = Union[str, int, float, bool, None]
ZipTime = tuple[int, int, int, int, int, int]  # (year, month, day, hour, minute, second), as zipfile takes it

MAX_ROWS = 1_048_576  # Excel's limits
MAX_COLUMNS = 16_384
SPOOL_IN_MEMORY = 1 << 20  # bytes of a sheet's rows kept in memory before they go to a temporary file
_SPOOL_ROWS = 1024  # rows joined into one write to the spool
_READ_BLOCK = 1 << 20

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# What a cell's text must not contain as is: markup characters; CR (an XML parser turns it into
# LF, so it is written as a character reference); characters XML 1.0 does not allow (C0 controls
# other than tab and LF, lone surrogates, U+FFFE, U+FFFF); and the underscore of a literal
# "_xHHHH_", which a reader would otherwise decode.
_TEXT_SPECIAL = re.compile('[&<>"\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)')
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "_": "_x005F_"}
# XML whitespace at either end of a text is kept only with xml:space="preserve" (Excel trims it).
_XML_SPACE = " \t\n\r"
# In an attribute a parser also turns tab and LF into spaces.
_ATTRIBUTE_SPECIAL = re.compile('[&<>"\t\n\r]')
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def escape_text(text: str) -> str:
    """Text as the content of a ``<t>`` element: XML-escaped, with the OOXML ``_xHHHH_`` escape
    for characters XML cannot carry and for a literal ``_xHHHH_``."""
    if _TEXT_SPECIAL.search(text) is None:
        return text
    return _TEXT_SPECIAL.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    return _ENTITIES.get(char) or f"_x{ord(char):04X}_"


def escape_attribute(text: str) -> str:
    """Text as an XML attribute value (in double quotes)."""
    return _ATTRIBUTE_SPECIAL.sub(lambda m: _ENTITIES.get(m.group()) or f"&#{ord(m.group())};", text)


def _escape_property(text: str) -> str:
    # Document properties are plain XML, where the _xHHHH_ escape means nothing: a character
    # XML cannot carry is replaced, so the title stays readable.
    return escape_attribute(_NOT_XML.sub("\ufffd", text))


# Every column's letters, A to XFD, made once: every cell needs its reference.
_LETTERS = ["".join(letters) for size in (1, 2, 3) for letters in product(ascii_uppercase, repeat=size)][:MAX_COLUMNS]


def column_letter(index: int) -> str:
    """The letters of a column, from 0: ``0`` → ``A``, ``25`` → ``Z``, ``26`` → ``AA``."""
    if not 0 <= index < MAX_COLUMNS:
        raise ValueError(f"column {index + 1} is outside Excel's {MAX_COLUMNS} columns")
    return _LETTERS[index]


_BOLD = ' s="1"'  # cell style 1 of styles.xml
_SPACE = ' xml:space="preserve"'


def _cell(ref: str, style: str, value: CellValue) -> str:
    """One ``<c>`` element. The common types are told apart by ``type(value) is``, the fastest
    test; a bool is not an int there."""
    kind = type(value)
    if kind is str:
        space = _SPACE if value and (value[0] in _XML_SPACE or value[-1] in _XML_SPACE) else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape_text(value)}</t></is></c>'
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"cell {ref}: {value!r} is not a finite number")
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    if kind is int:
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if kind is bool:
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    # A subclass (numpy.float64 is a float) is written as the plain value it holds; bool is
    # tried before int because a bool is an int.
    for plain in (bool, str, float, int):
        if isinstance(value, plain):
            return _cell(ref, style, plain(value))
    raise TypeError(f"cell {ref}: cannot write a {kind.__name__} (only str, int, float, bool or None)")


def _column_cells(letter: str, numbers: Sequence[str], values: Sequence[CellValue]) -> list[str]:
    """The ``<c>`` elements of one column of rows ``numbers`` (no ``None`` among ``values``), as
    :func:`_cell` writes them: a column of plain text or of numbers is written by one
    comprehension, with one search for characters to escape over the whole column."""
    kinds = set(map(type, values))
    if kinds == {str}:
        escaped = values if _TEXT_SPECIAL.search("".join(values)) is None else list(map(escape_text, values))
        return [f'<c r="{letter}{n}" t="inlineStr"><is><t{_SPACE if v and (v[0] in _XML_SPACE or v[-1] in _XML_SPACE) else ""}>'
                f"{e}</t></is></c>" for n, v, e in zip(numbers, values, escaped)]
    if all(map(math.isfinite, [v for v in values if type(v) is float])):
        # Numbers (repr of a float, str of an int: the same for an int) and the odd other cell.
        return [f'<c r="{letter}{n}"><v>{v!r}</v></c>' if type(v) is float or type(v) is int
                else _cell(letter + n, "", v) for n, v in zip(numbers, values)]
    return [_cell(letter + n, "", v) for n, v in zip(numbers, values)]  # raises for the first bad number


class Sheet:
    """One worksheet. Rows are serialised as they are appended; use :meth:`Workbook.add_sheet`."""

    def __init__(self, name: str, freeze_rows: int = 0, spool_dir: Path | None = None) -> None:
        self.name = name
        self.freeze_rows = freeze_rows
        self.rows = 0
        self.columns = 0  # the widest row's last cell, for <dimension>
        self._pending: list[bytes] = []
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=spool_dir)
        self._spooled = 0  # bytes in the spool

    def append(self, row: Sequence[CellValue], bold: bool | Container[int] = False) -> None:
        """Add the next row. ``None`` leaves a cell out; a ``str`` (even ``""``) is a text cell;
        an ``int`` or finite ``float`` a number; a ``bool`` a boolean. ``bold`` is ``True`` for
        the whole row, or the positions (from 0) of the cells to set in bold."""
        if self.rows == MAX_ROWS:
            raise ValueError(f"sheet {self.name!r} is full: Excel allows {MAX_ROWS} rows")
        xml, width = self._row_xml(str(self.rows + 1), row, bold)
        # Nothing changes before here, so a refused value leaves the sheet as it was.
        self.rows += 1
        if width:  # an empty row needs no element; its number still counts
            self.columns = max(self.columns, width)
            self._pending.append(xml)
            if len(self._pending) == _SPOOL_ROWS:
                self._flush()

    def append_columns(self, columns: Sequence[Sequence[CellValue]]) -> None:
        """Add many rows at once, given column by column (each column as long as the first), with
        no bold: the rows :meth:`append` would add one by one, made a column at a time, several
        times faster. Refused as a whole (nothing is added) if the sheet cannot take them all or
        a value cannot be written."""
        if not columns:
            return
        count = len(columns[0])
        if any(len(values) != count for values in columns):
            raise ValueError("every column must have as many values as the first")
        if self.rows + count > MAX_ROWS:
            raise ValueError(f"sheet {self.name!r} cannot take {count} more rows: Excel allows {MAX_ROWS}")
        if len(columns) > MAX_COLUMNS:
            raise ValueError(f"sheet {self.name!r}: {len(columns)} cells is more than Excel's {MAX_COLUMNS} columns")
        numbers = [str(n) for n in range(self.rows + 1, self.rows + count + 1)]
        if any(None in values for values in columns):  # rows of several widths: row by row
            rows = [self._row_xml(number, row, False) for number, row in zip(numbers, zip(*columns))]
            xml = b"".join(row for row, width in rows if width)
            width = max((width for _, width in rows), default=0)
        else:
            cells = [_column_cells(letter, numbers, values) for letter, values in zip(_LETTERS, columns)]
            text = "".join([f'<row r="{number}">{row}</row>' for number, row in zip(numbers, map("".join, zip(*cells)))])
            xml, width = text.encode("utf-8"), len(columns)
        self.rows += count
        if width:
            self.columns = max(self.columns, width)
            self._flush()
            self._spool.write(xml)
            self._spooled += len(xml)

    def _row_xml(self, number: str, row: Sequence[CellValue], bold: bool | Container[int]) -> tuple[bytes, int]:
        """One row's element and its width (without its trailing ``None`` cells)."""
        width = len(row)
        while width and row[width - 1] is None:
            width -= 1
        if width > MAX_COLUMNS:
            raise ValueError(f"sheet {self.name!r}: {width} cells is more than Excel's {MAX_COLUMNS} columns")
        if bold is True or bold is False:
            styles: Iterable[str] = repeat(_BOLD if bold else "")
        else:
            styles = [_BOLD if i in bold else "" for i in range(width)]
        parts = [f'<row r="{number}">']
        for letter, style, value in zip(_LETTERS, styles, row[:width]):
            if value is not None:
                parts.append(_cell(letter + number, style, value))
        parts.append("</row>")
        # Encoded now: a str holding one emoji takes 4 bytes a character, bytes stay compact.
        return "".join(parts).encode("utf-8"), width

    def close(self) -> None:
        """Free the spool (a temporary file once the rows outgrow memory)."""
        self._pending.clear()
        self._spool.close()

    def _flush(self) -> None:
        data = b"".join(self._pending)
        self._pending.clear()
        self._spool.write(data)
        self._spooled += len(data)

    def _xml_parts(self, selected: bool) -> tuple[bytes, int, bytes]:
        """The worksheet part: its head, the bytes of its rows (:meth:`_rows_xml`), its tail."""
        self._flush()
        if self.rows and self.columns:
            dimension = f"A1:{column_letter(self.columns - 1)}{self.rows}"
        else:
            dimension = "A1"
        view = '<sheetView tabSelected="1" workbookViewId="0"' if selected else '<sheetView workbookViewId="0"'
        if self.freeze_rows:
            top = f"A{self.freeze_rows + 1}"
            view += (f'><pane ySplit="{self.freeze_rows}" topLeftCell="{top}" activePane="bottomLeft" '
                     f'state="frozen"/><selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
                     "</sheetView>")
        else:
            view += "/>"
        head = (f'{_XML_DECLARATION}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                f'<dimension ref="{dimension}"/><sheetViews>{view}</sheetViews>'
                '<sheetFormatPr defaultRowHeight="15"/><sheetData>')
        tail = ('</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" '
                'footer="0.5"/></worksheet>')
        return head.encode("utf-8"), self._spooled, tail.encode("utf-8")

    def _rows_xml(self) -> Iterator[bytes]:
        """The rows' XML from the spool, a block at a time (appending may go on afterwards)."""
        self._spool.seek(0)
        while block := self._spool.read(_READ_BLOCK):
            yield block
        self._spool.seek(0, io.SEEK_END)


class Workbook:
    """An XLSX workbook: sheets in the order added, and its document properties.

    ``created`` is written as both the created and the modified time (in UTC; a naive datetime is
    taken as UTC), so the bytes never depend on the clock. ``spool_dir`` is where rows go once
    they outgrow memory (the system's temporary folder if not given); :meth:`close` frees them.
    """

    def __init__(self, *, created: datetime, creator: str = "", title: str = "",
                 spool_dir: Path | None = None) -> None:
        self.created = created
        self.creator = creator
        self.title = title
        self.spool_dir = spool_dir
        self.sheets: list[Sheet] = []

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Free every sheet's rows."""
        for sheet in self.sheets:
            sheet.close()

    def add_sheet(self, name: str, freeze_rows: int = 0) -> Sheet:
        """A new, empty sheet at the end; ``freeze_rows`` top rows stay in view when scrolling."""
        if not 1 <= len(name) <= 31 or _SHEET_NAME_FORBIDDEN.search(name) or _NOT_XML.search(name) \
                or name[0] == "'" or name[-1] == "'":
            raise ValueError(f"{name!r} is not a valid sheet name (1-31 characters, none of []:*?/\\, "
                             "not starting or ending with ')")
        if name.casefold() in {s.name.casefold() for s in self.sheets}:
            raise ValueError(f"there is already a sheet named {name!r}")
        if not 0 <= freeze_rows < MAX_ROWS:
            raise ValueError(f"freeze_rows must be between 0 and {MAX_ROWS - 1}")
        sheet = Sheet(name, freeze_rows, self.spool_dir)
        self.sheets.append(sheet)
        return sheet

    def to_bytes(self, zip_time: ZipTime) -> bytes:
        """The whole .xlsx file (see :meth:`save`)."""
        buffer = io.BytesIO()
        self.save(buffer, zip_time)
        return buffer.getvalue()

    def save(self, target: BinaryIO, zip_time: ZipTime) -> None:
        """Write the .xlsx file to ``target`` (a seekable binary file), its sheets streamed from
        their spools. Every zip entry carries ``zip_time`` (local time, as in any zip) and fixed
        attributes, in a fixed order, so the same workbook always gives the same bytes."""
        if not self.sheets:
            raise ValueError("a workbook needs at least one sheet")
        with zipfile.ZipFile(target, "w") as archive:
            for name, text in self._package_parts():
                archive.writestr(_zip_entry(name, zip_time), text.encode("utf-8"))
            for number, sheet in enumerate(self.sheets, start=1):
                head, rows, tail = sheet._xml_parts(selected=number == 1)
                entry = _zip_entry(f"xl/worksheets/sheet{number}.xml", zip_time)
                # The size is known: a sheet too big for a plain zip entry gets its ZIP64 header.
                entry.file_size = len(head) + rows + len(tail)
                with archive.open(entry, "w") as part:
                    part.write(head)
                    for block in sheet._rows_xml():
                        part.write(block)
                    part.write(tail)

    def _package_parts(self) -> list[tuple[str, str]]:
        """Every part except the worksheets, in the order they go into the zip."""
        numbers = range(1, len(self.sheets) + 1)
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        content_types = (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{sheet_type}"/>'
                      for n in numbers)
            + '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>")
        package_rels = (
            f'<Relationships xmlns="{_PACKAGE_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
            'Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL_NS}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>")
        when = _w3cdtf(self.created)
        core = (
            '<cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_escape_property(self.title)}</dc:title>"
            f"<dc:creator>{_escape_property(self.creator)}</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
            "</cp:coreProperties>")
        app = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
               "<Application>publisher</Application></Properties>")
        workbook = (
            f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(f'<sheet name="{escape_attribute(s.name)}" sheetId="{n}" r:id="rId{n}"/>'
                      for n, s in zip(numbers, self.sheets))
            + "</sheets></workbook>")
        workbook_rels = (
            f'<Relationships xmlns="{_PACKAGE_REL_NS}">'
            + "".join(f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                      for n in numbers)
            + f'<Relationship Id="rId{len(self.sheets) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>")
        parts = [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", package_rels),
            ("docProps/app.xml", app),
            ("docProps/core.xml", core),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", workbook_rels),
            ("xl/styles.xml", _STYLES),
        ]
        return [(name, _XML_DECLARATION + text) for name, text in parts]


# Cell style 0 is the normal font, 1 the bold one (``s="1"``). Excel requires the two default
# fills (none, gray125) even when no cell uses them.
_STYLES = (
    f'<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _w3cdtf(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _zip_entry(name: str, when: ZipTime) -> zipfile.ZipInfo:
    # The same attributes on every platform, so the bytes do not depend on where they are built.
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info
