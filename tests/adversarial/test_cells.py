"""Attacks on the spreadsheet downloads: a formula smuggled into a cell of the CSV, Excel-CSV or
XLSX files, past the cell screen of ``publisher check``.

Two ways in, both through ``dataset.yaml`` rather than through a text cell (which the check has
long refused): a formula declared as a ``missing_values`` token of a number column (the number
check skips missing values, the formula check reads text columns only), and a formula as a
column name (the header of every download). Each is refused by the check, and, should an
approval ever get past the check, the writer makes the cell inert anyway.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from conftest import approve_items
from publisher.check import check_items
from publisher.site import build_site
from publisher.workflow import WorkflowError

# The OWASP CSV-injection payloads: formula, DDE, at-function, arithmetic, and the tab- and
# CR-led forms a spreadsheet strips before it looks for the formula.
FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

DATASET_YAML = """\
id: {id}
title: {{zh: 现场读数, en: Field readings}}
description: {{zh: 巡查人员的读数。, en: Readings by inspectors.}}
category: air_quality
department: sthjj
area: {{code: "990100", name: 示范市}}
classification: public
license: CC-BY-4.0
update_frequency: irregular
temporal: {{start: 2025-01-01, end: 2025-01-02}}
spatial: {{description: {{zh: 全市, en: Whole city}}}}
status: provisional
resources:
  - name: readings
    path: readings.csv
    title: {{zh: 读数, en: Readings}}
    schema:
      primary_key: [reading_id]
      missing_values: {missing}
      fields:
        - {{name: reading_id, type: integer, title: {{zh: 编号, en: ID}}, constraints: {{required: true}}}}
        - {{name: {reading}, type: number, title: {{zh: 读数, en: Reading}}}}
        - {{name: remark, type: string, title: {{zh: 备注, en: Remark}}}}
"""


def _yaml_string(text: str) -> str:
    """A double-quoted YAML scalar (tab and CR written as escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r") + '"'


def _csv_cell(text: str) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow([text])  # CR is quoted too
    return buffer.getvalue()[:-2]


def _add_readings(portal: Path, ds_id: str, *, missing: list[str], reading: str = "reading",
                  cells: list[str] | None = None, remarks: list[str] | None = None) -> None:
    folder = portal / "content" / "datasets" / ds_id
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(DATASET_YAML.format(
        id=ds_id, missing="[" + ", ".join(_yaml_string(m) for m in missing) + "]",
        reading=_yaml_string(reading)), encoding="utf-8")
    values = cells if cells is not None else ["1.5", "-0.5"]
    notes = remarks if remarks is not None else ["读数正常"] * len(values)
    rows = "".join(f"{i},{_csv_cell(v)},{_csv_cell(r)}\n" for i, (v, r) in enumerate(zip(values, notes), start=1))
    (folder / "readings.csv").write_bytes(f"reading_id,{_csv_cell(reading)},remark\n{rows}".encode("utf-8"))


def _blind_check(monkeypatch: pytest.MonkeyPatch, rules: set[str]) -> None:
    """The workflow and the build no longer see findings of ``rules``: an approval given before
    the rule existed, or a gap in the check. The downloads must still carry no formula."""
    from publisher import check, report, site, workflow

    real = check.check_content

    def blind(*args, **kwargs):
        return report.Report([f for f in real(*args, **kwargs) if f.rule not in rules])

    monkeypatch.setattr(site, "check_content", blind)
    monkeypatch.setattr(workflow, "check_content", blind)


def _download_cells(folder: Path, name: str) -> dict[str, list[list[object]]]:
    """Every cell of the three spreadsheet downloads of resource ``name``, as read back."""
    from openpyxl import load_workbook

    out: dict[str, list[list[object]]] = {}
    for fmt, encoding in (("csv", "utf-8"), ("excel.csv", "utf-8-sig")):
        text = (folder / f"{name}.{fmt}").read_bytes().decode(encoding)
        out[fmt] = [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    book = load_workbook(folder / f"{name}.xlsx")
    formulas = [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert not formulas, formulas
    out["xlsx"] = [[c.value for c in row] for ws in book.worksheets for row in ws.iter_rows()]
    return out


def _live(cell: object) -> bool:
    """A cell a spreadsheet would run: text starting with a trigger that is not a plain number."""
    return isinstance(cell, str) and cell.startswith(TRIGGERS) and not NUMBER.fullmatch(cell)


def test_formula_declared_as_a_missing_value_of_a_number_column_is_refused(portal: Path) -> None:
    _add_readings(portal, "readings", missing=["", *FORMULAS], cells=["1.5", *FORMULAS])
    result = check_items(portal, ["readings"])
    found = {f.key: f for f in result.report if f.rule == "missing-value-invalid"}
    assert sorted(found) == [f"resources[0].schema.missing_values[{i}]" for i in range(1, len(FORMULAS) + 1)]
    finding = found["resources[0].schema.missing_values[1]"]
    assert finding.severity.value == "error" and finding.file == "content/datasets/readings/dataset.yaml"
    assert "公式" in finding.message_zh and "formula" in finding.message_en
    with pytest.raises(WorkflowError, match="missing-value-invalid"):
        approve_items(portal, ("readings",))


def test_formula_declared_as_a_missing_value_never_reaches_a_download(
        portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _add_readings(portal, "readings", missing=["", *FORMULAS], cells=["1.5", "-0.5", *FORMULAS])
    _blind_check(monkeypatch, {"missing-value-invalid"})
    approve_items(portal, ("readings",))
    build_site(portal)
    folder = portal / "output" / "data" / "readings" / "1"
    cells = _download_cells(folder, "readings")
    for fmt in ("csv", "excel.csv"):
        column = [row[1] for row in cells[fmt][1:]]
        assert column == ["1.5", "-0.5", *("'" + f for f in FORMULAS)], (fmt, column)  # numbers untouched
    for fmt, rows in cells.items():
        assert not [c for row in rows for c in row if _live(c)], fmt
    data = (folder / "readings.csv").read_bytes()
    assert b"\n=HYPERLINK" not in data and b",=HYPERLINK" not in data and b",@SUM" not in data


def test_formula_as_a_column_name_is_refused(portal: Path) -> None:
    for n, formula in enumerate(FORMULAS):
        _add_readings(portal, f"readings-{n}", missing=[""], reading=formula)
    _add_readings(portal, "readings-upper", missing=[""], reading="Reading")
    result = check_items(portal)
    for n, formula in enumerate([*FORMULAS, "Reading"]):
        item = f"readings-{n}" if n < len(FORMULAS) else "readings-upper"
        found = [f for f in result.report.for_item(item) if f.rule == "column-name-invalid"]
        assert [(f.severity.value, f.key, f.column) for f in found] == [
            ("error", "resources[0].schema.fields[1].name", formula)], (item, found)
    assert not [f for f in result.report.for_item("air-mini") if f.rule == "column-name-invalid"]


def test_formula_as_a_column_name_never_reaches_a_download(portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for n, formula in enumerate(FORMULAS):
        _add_readings(portal, f"readings-{n}", missing=[""], reading=formula)
    _blind_check(monkeypatch, {"column-name-invalid"})
    approve_items(portal, tuple(f"readings-{n}" for n in range(len(FORMULAS))))
    build_site(portal)
    for n, formula in enumerate(FORMULAS):
        folder = portal / "output" / "data" / f"readings-{n}" / "1"
        cells = _download_cells(folder, "readings")
        for fmt in ("csv", "excel.csv"):
            assert cells[fmt][0] == ["reading_id", "'" + formula, "remark"], (fmt, cells[fmt][0])
        for fmt, rows in cells.items():
            assert not [c for row in rows for c in row if _live(c)], (formula, fmt)


def test_carriage_return_inside_a_text_cell_cannot_start_a_formula_row(portal: Path) -> None:
    """A text cell ``a<CR>+cmd|...`` does not start with a trigger, so the cell screen lets
    it through; written unquoted into the plain CSV (LF rows), a spreadsheet that ends rows at a
    CR would read a new row whose first cell is the formula."""
    _add_readings(portal, "readings", missing=[""], cells=["1.5", "2.5"],
                  remarks=["正常", "见附注\r+cmd|' /C calc'!A0"])
    approve_items(portal, ("readings",))
    build_site(portal)
    folder = portal / "output" / "data" / "readings" / "1"
    for name, encoding in (("readings.csv", "utf-8"), ("readings.excel.csv", "utf-8-sig")):
        text = (folder / name).read_bytes().decode(encoding)
        # Read as spreadsheets read CSV: a bare CR ends a row, a quoted one is text in the cell.
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert rows[1:] == [["1", "1.5", "正常"], ["2", "2.5", "见附注\r+cmd|' /C calc'!A0"]], (name, rows)
        assert not [c for row in rows for c in row if _live(c)], name
