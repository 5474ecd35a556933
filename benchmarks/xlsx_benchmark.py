"""How fast is ``publisher.xlsx`` against openpyxl's write-only mode, on one big sheet?

Generates, in memory, a table like the demo city's hourly air data: 52,000 rows x 19 columns
(station id and time as text, 16 measurements as floats and ints with a few missing values, a
primary-pollutant text column), typed as ``opendata`` types them. Then writes it, in the same
run, with

* openpyxl write-only, as ``opendata._xlsx_bytes`` did before ``publisher/xlsx.py`` (bold
  header row, label row, frozen panes, forced text cells, fixed zip entry times);
* ``publisher.xlsx`` (the same sheet, the same fixed times);

and prints the median time of each, the cells per second, the ratio, and the file sizes.
Goal: ``publisher.xlsx`` at least 5x faster. Run: ``.venv/bin/python benchmarks/xlsx_benchmark.py
[--rows N] [--repeat N]``.
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=52_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = make_table(args.rows)
    cells = (args.rows + 2) * len(COLUMNS)
    ours_s, ours_bytes = timed(write_with_publisher, table, args.repeat)
    theirs_s, theirs_bytes = timed(write_with_openpyxl, table, args.repeat)
    print(f"{args.rows:,} rows x {len(COLUMNS)} columns = {cells:,} cells; median of {args.repeat} runs")
    print()
    print(f"{'':28}{'seconds':>10}{'M cells/s':>11}{'bytes':>12}")
    print(f"{'publisher.xlsx':28}{ours_s:>10.2f}{cells / ours_s / 1e6:>11.2f}{ours_bytes:>12,}")
    print(f"{'openpyxl write-only':28}{theirs_s:>10.2f}{cells / theirs_s / 1e6:>11.2f}{theirs_bytes:>12,}")
    print()
    print(f"openpyxl / publisher.xlsx = {theirs_s / ours_s:.1f}x   (goal >= 5x)")


if __name__ == "__main__":
    main()
