"""How fast and how safe is ``publisher.xlsx`` against the libraries that could replace it?

Generates, in memory, a table like the demo city's hourly air data: 52,000 rows x 19 columns
(station id and time as text, 16 measurements as floats and ints with a few missing values, a
primary-pollutant text column), typed as ``opendata`` types them. Then writes it, in the same
run, with

* openpyxl write-only, as ``opendata._xlsx_bytes`` did before ``publisher/xlsx.py`` (bold
  header row, label row, frozen panes, forced text cells, fixed zip entry times);
* ``publisher.xlsx`` (the same sheet, the same fixed times);
* XlsxWriter in ``constant_memory`` mode (strings never turned into formulas, numbers or URLs);
* rustpy-xlsxwriter (Rust's rust_xlsxwriter behind a records API), when installed;

and prints the median time of each, the cells per second, the ratio, the file sizes, and two
properties a publisher needs of every writer: the same input gives the same bytes (published files
are archived and compared by hash), and a text cell such as ``=HYPERLINK(...)`` stays text (no
``<f>`` formula element in the sheet). Run: ``.venv/bin/python benchmarks/xlsx_benchmark.py
[--rows N] [--repeat N]`` (``pip install -e '.[bench]'`` for the comparison; a writer that is
not installed is left out and said so).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.xlsx import Workbook, ZipTime  # noqa: E402

COLUMNS = ["station_id", "time", "so2", "no2", "co", "o3", "o3_8h", "pm10", "pm25", "aqi", "iaqi_so2",
           "iaqi_no2", "iaqi_co", "iaqi_o3", "iaqi_pm10", "iaqi_pm25", "temperature", "humidity", "primary"]
FLOATS = {"so2", "no2", "co", "o3", "o3_8h", "pm10", "pm25", "temperature"}
ZIP_TIME: ZipTime = (2026, 1, 6, 12, 0, 0)
CREATED = datetime(2026, 1, 6, 4, 0, tzinfo=timezone.utc)
Row = list[Any]


def make_table(rows: int) -> tuple[Row, Row, list[Row]]:
    """Header, label row and typed data rows (missing values as "", as opendata writes them)."""
    rng = random.Random(20260106)
    labels = [f"{name} / {name.upper()} (μg/m³)" for name in COLUMNS]
    start = datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    data = []
    for i in range(rows):
        row: Row = [f"aq-st{i % 114:03d}", (start + timedelta(hours=i // 114)).isoformat()]
        for name in COLUMNS[2:-1]:
            if rng.random() < 0.02:
                row.append("")
            elif name in FLOATS:
                row.append(round(rng.uniform(0, 300), 1 if name != "co" else 3))
            else:
                row.append(rng.randrange(0, 500))
        row.append(rng.choice(["PM2.5", "PM10", "O3_8h", "NO2", "", "PM2.5,PM10"]))
        data.append(row)
    return COLUMNS, labels, data


def write_with_openpyxl(header: Row, labels: Row, rows: list[Row]) -> bytes:
    """The previous ``opendata._xlsx_bytes`` data sheet, with openpyxl in write-only mode."""
    from openpyxl import Workbook as OpenpyxlWorkbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.writer.excel import ExcelWriter

    wb = OpenpyxlWorkbook(write_only=True)
    bold = Font(bold=True)

    def text_cell(ws: Any, value: str, font: Font | None = None) -> Any:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        if font is not None:
            cell.font = font
        return cell

    sheet = wb.create_sheet("data")
    sheet.freeze_panes = "A3"
    sheet.append([text_cell(sheet, v, bold) for v in header])
    sheet.append([text_cell(sheet, v) for v in labels])
    for row in rows:
        sheet.append(row)
    wb.properties.created = wb.properties.modified = CREATED.replace(tzinfo=None)
    buffer = io.BytesIO()
    with _FixedTimeZip(buffer, ZIP_TIME) as archive:
        ExcelWriter(wb, archive).save()
    return buffer.getvalue()


def write_with_publisher(header: Row, labels: Row, rows: list[Row]) -> bytes:
    """The same sheet with ``publisher.xlsx``."""
    book = Workbook(created=CREATED, creator="benchmark", title="benchmark")
    sheet = book.add_sheet("data", freeze_rows=2)
    sheet.append(header, bold=True)
    sheet.append(labels)
    for row in rows:
        sheet.append(row)
    return book.to_bytes(ZIP_TIME)


def write_with_xlsxwriter(header: Row, labels: Row, rows: list[Row]) -> bytes:
    """The same sheet with XlsxWriter, row by row in constant-memory mode."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    book.set_properties({"created": CREATED.replace(tzinfo=None), "author": "benchmark", "title": "benchmark"})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("data")
    sheet.freeze_panes(2, 0)
    sheet.write_row(0, 0, header, bold)
    sheet.write_row(1, 0, labels)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    book.close()
    return buffer.getvalue()


def write_with_rustpy(header: Row, labels: Row, rows: list[Row]) -> bytes:
    """The same sheet with rustpy-xlsxwriter (records in, a file out)."""
    import tempfile

    import rustpy_xlsxwriter

    records = [dict(zip(header, labels))] + [{k: (None if v == "" else v) for k, v in zip(header, row)}
                                              for row in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out.xlsx"
        rustpy_xlsxwriter.write_worksheet(records, str(path), sheet_name="data", freeze_row=2, bold_headers=True)
        return path.read_bytes()


WRITERS: dict[str, tuple[Callable[[Row, Row, list[Row]], bytes], str | None]] = {
    "publisher.xlsx": (write_with_publisher, None),
    "openpyxl write-only": (write_with_openpyxl, "openpyxl"),
    "XlsxWriter constant_memory": (write_with_xlsxwriter, "xlsxwriter"),
    "rustpy-xlsxwriter": (write_with_rustpy, "rustpy_xlsxwriter"),
}
HOSTILE = '=HYPERLINK("http://example.invalid","x")'


def properties(write: Callable[[Row, Row, list[Row]], bytes]) -> tuple[bool, bool]:
    """(same bytes on a second run, a formula-looking text cell stays text) on a small sheet."""
    header, labels, rows = make_table(50)
    rows[0][-1] = HOSTILE
    first, second = write(header, labels, rows), write(header, labels, rows)
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        sheet = next(n for n in archive.namelist() if n.startswith("xl/worksheets/"))
        text_safe = b"<f>" not in archive.read(sheet) and b"<f " not in archive.read(sheet)
    return first == second, text_safe


class _FixedTimeZip(zipfile.ZipFile):
    """The zip opendata gave openpyxl to write into: fixed entry times."""

    def __init__(self, file: io.BytesIO, when: ZipTime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._when = when

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,
                 compresslevel: Any = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._when)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)


def timed(write: Callable[[Row, Row, list[Row]], bytes], table: tuple[Row, Row, list[Row]],
          repeat: int) -> tuple[float, int]:
    """Median seconds of ``repeat`` runs, and the size of the file written."""
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(write(*table))
        times.append(time.perf_counter() - start)
    return statistics.median(times), size


def main() -> None:
    import importlib.util

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=52_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = make_table(args.rows)
    cells = (args.rows + 2) * len(COLUMNS)
    print(f"{args.rows:,} rows x {len(COLUMNS)} columns = {cells:,} cells; median of {args.repeat} runs")
    print()
    print(f"{'':28}{'seconds':>10}{'M cells/s':>11}{'bytes':>12}{'vs ours':>9}  same bytes  text stays text")
    ours = None
    for name, (write, module) in WRITERS.items():
        if module is not None and importlib.util.find_spec(module) is None:
            print(f"{name:28}  (not installed: pip install {module.replace('_', '-')})")
            continue
        seconds, size = timed(write, table, args.repeat)
        ours = ours or seconds
        same, safe = properties(write)
        print(f"{name:28}{seconds:>10.2f}{cells / seconds / 1e6:>11.2f}{size:>12,}{seconds / ours:>8.1f}x"
              f"  {'yes' if same else 'NO':>10}  {'yes' if safe else 'NO':>15}")


if __name__ == "__main__":
    main()
