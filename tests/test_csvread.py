"""Robust CSV reading: the hostile corpus, each case with its exact finding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from publisher.csvread import read_csv

CORPUS = Path(__file__).parent / "hostile" / "csv"
TYPES = {"pm25": pa.float64(), "time": pa.timestamp("ms", tz="UTC")}


def read(name: str, **kwargs):
    return read_csv(CORPUS / name, CORPUS, types=TYPES, **kwargs)


@pytest.mark.parametrize("name,expected", [
    ("bom.csv", []),
    ("crlf.csv", []),
    ("blank-lines.csv", []),
    ("gbk.csv", [("file-encoding", 2, None)]),
    ("utf16.csv", [("file-encoding", 1, None)]),
    ("empty.csv", [("csv-empty", None, None)]),
    ("ragged.csv", [("csv-row-ragged", 3, None)]),
    ("unterminated-quote.csv", [("csv-quote-unterminated", 3, None)]),
    ("nul.csv", [("csv-nul-byte", 3, None)]),
    ("embedded-newline.csv", [("csv-embedded-newline", 3, "note")]),
    ("semicolon.csv", [("csv-delimiter-wrong", 1, None)]),
    ("tab.csv", [("csv-delimiter-wrong", 1, None)]),
    ("mixed-delimiter.csv", [("csv-delimiter-mixed", 3, None)]),
    ("oversized-field.csv", [("csv-field-oversized", 2, "note")]),
    ("huge-field-2mb.csv", [("csv-field-oversized", 3, "note")]),
])
def test_hostile_csv(name, expected):
    table = read(name, max_field_chars=10_000)
    assert [(f.rule, f.row, f.column) for f in table.findings] == expected
    assert all(f.file == name for f in table.findings)


def test_bom_is_not_glued_to_the_first_header():
    assert read("bom.csv").header == ["station_id", "time", "pm25"]


def test_gbk_is_refused_with_a_clear_message():
    f = read("gbk.csv").findings[0]
    assert "GBK" in f.message_en and "CSV UTF-8" in f.message_en and "GBK" in f.message_zh


def test_delimiter_is_detected_and_the_file_still_read():
    table = read("semicolon.csv")
    assert table.header == ["station_id", "time", "pm25"] and table.num_rows == 2
    assert pa.types.is_floating(table.column("pm25").type)


def test_fast_path_types_columns_while_reading():
    table = read("crlf.csv")
    assert pa.types.is_timestamp(table.column("time").type) and table.identity


@pytest.mark.parametrize("name,lines", [
    ("blank-lines.csv", [2, 4, 7]),
    ("embedded-newline.csv", [2, 3, 5, 6]),
    ("ragged.csv", [2, 4]),  # the ragged line 3 is reported and left out
    ("unterminated-quote.csv", [2]),
])
def test_row_numbers_are_file_lines(name, lines):
    table = read(name)
    assert table.lines(np.arange(table.num_rows)).tolist() == lines


def test_a_bad_cell_keeps_the_column_as_text_for_precise_findings():
    table = read("embedded-newline.csv")  # its line 6 has pm25 = abc
    assert pa.types.is_string(table.column("pm25").type)
    assert table.column("pm25").to_pylist()[3] == "abc"


def test_missing_values_become_nulls(tmp_path):
    (tmp_path / "m.csv").write_text("a,b\nx,1\nNA,\n", encoding="utf-8")
    table = read_csv(tmp_path / "m.csv", tmp_path, types={"b": pa.float64()}, missing_values=["", "NA"])
    assert table.column("a").to_pylist() == ["x", None] and table.column("b").to_pylist() == [1.0, None]


def test_many_bad_rows_are_reported_with_their_lines(tmp_path):
    rows = "".join("x,1\n" if i % 100 else "x,1,2\n" for i in range(1, 1001))
    (tmp_path / "r.csv").write_text("a,b\n" + rows, encoding="utf-8")
    table = read_csv(tmp_path / "r.csv", tmp_path)
    assert [f.row for f in table.findings] == [i + 1 for i in range(100, 1001, 100)]
    assert table.num_rows == 990


def test_a_carriage_return_in_a_quoted_header_cell_is_a_name_not_a_crash(tmp_path):
    (tmp_path / "h.csv").write_bytes(b'a,"\r=1+1",c\n1,2,3\n')
    table = read_csv(tmp_path / "h.csv", tmp_path)
    assert table.header == ["a", "\r=1+1", "c"] and table.findings == []
