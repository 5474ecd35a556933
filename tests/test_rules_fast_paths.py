"""The fast paths of ``publisher check`` give exactly what the plain ways of computing give.

Each shortcut taken for big files (numbers typed while reading, the file parsed from disk,
run-length encoding of station columns, gap and spike screens without column-long arrays,
medians by stretches, one combined key) is checked here against the straightforward
computation it replaces, on tricky or random inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from publisher import csvread
from publisher.csvread import read_csv
from publisher.rules import base, quality, schema, validity
from publisher.rules.base import encode_text
from test_rules_helpers import air_rows, dataset_meta, make_project, run

HEADER = "station_id,time,pm25\n"
TRICKY = ["３５", "1_000", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "+5", " 5", "5 ", "1e3", ".5", "5.",
          "0x10", "", "NA", "-999", "-3", "  ", "12 mg", "−5", "1,000"]


def _findings_for_line(tmp_path, cells: list[str], line: int):
    rows = air_rows(2) + "".join(f"aq-a,2025-01-01T{3 + i:02d}:00:00+08:00,{c}\n" for i, c in enumerate(cells))
    meta = dataset_meta("air")
    meta["resources"][0]["schema"]["missing_values"] = ["", "NA"]
    root = make_project(tmp_path, datasets={"air": (meta, {"data.csv": HEADER + rows})})
    _, result = run(root)
    found = [f for f in result.report if f.row == line]
    table = read_csv(root / "content/datasets/air/data.csv", root, types={"pm25": pa.float64()},
                     missing_values=["", "NA"])
    return found, table


@pytest.mark.parametrize("value", TRICKY)
def test_a_cell_is_judged_the_same_whether_the_column_was_typed_while_reading_or_not(tmp_path, value):
    """Alone, the value may let pyarrow type the column as it reads; next to 'abc' the column
    is read as text and each cell checked against the strict number syntax."""
    cell = f'"{value}"' if "," in value else value
    alone, typed = _findings_for_line(tmp_path / "alone", [cell], 4)
    mixed, text = _findings_for_line(tmp_path / "mixed", [cell, "abc"], 4)
    assert pa.types.is_string(text.column("pm25").type)
    assert [(f.rule, f.severity, f.row, f.column) for f in alone] == [(f.rule, f.severity, f.row, f.column)
                                                                       for f in mixed]
    if pa.types.is_floating(typed.column("pm25").type) and value.strip().lower() != value.strip():
        return  # 'NaN', 'Infinity': the typed path quotes the value as parsed ('nan', 'inf')
    if value == "1e400":
        return  # parsed as inf: quoted as 'inf' by the typed path
    assert [(f.message_zh, f.message_en) for f in alone] == [(f.message_zh, f.message_en) for f in mixed]


def test_the_tricky_values_take_the_paths_they_are_meant_to(tmp_path):
    _, typed = _findings_for_line(tmp_path / "a", ["nan", "+5", " 5", "1e3", ".5", "5.", "", "NA", "-999"], 4)
    assert pa.types.is_floating(typed.column("pm25").type)
    for value in ("３５", "1_000", "0x10", "  ", "12 mg"):
        _, text = _findings_for_line(tmp_path / f"b{ord(value[0])}", [value], 4)
        assert pa.types.is_string(text.column("pm25").type), value


def _read_all(monkeypatch, block: int):
    monkeypatch.setattr(csvread, "SCAN_BLOCK", block)
    corpus = csvread.Path(__file__).parent / "hostile" / "csv"
    out = {}
    for path in sorted(corpus.iterdir()):
        table = read_csv(path, corpus, types={"pm25": pa.float64(), "time": pa.timestamp("ms", tz="UTC")})
        lines = table.lines(np.arange(table.num_rows)).tolist() if table.readable else None
        out[path.name] = ([(f.rule, f.row, f.column, f.message_en) for f in table.findings], table.header,
                          table.table.to_pylist() if table.readable else None, lines)
    return out


def test_a_file_parsed_from_disk_reads_as_one_held_in_memory(monkeypatch):
    """Files bigger than the scan's first block are parsed by pyarrow from disk: a tiny block
    sends the whole hostile corpus down that path."""
    in_memory = _read_all(monkeypatch, 1 << 20)
    for block in (3, 16, 100):
        assert _read_all(monkeypatch, block) == in_memory


GENERATED = {
    "bom-quoted-header.csv": '\ufeff"station_id","time","pm25"\n' + air_rows(40),
    "crlf-blank.csv": (HEADER + air_rows(40) + "\n").replace("\n", "\r\n"),
    "quoted-break.csv": HEADER + air_rows(20) + '"aq\na",2025-01-02T01:00:00+08:00,5\n' + air_rows(20),
    "no-final-newline.csv": HEADER + air_rows(40).rstrip("\n"),
    "header-only.csv": HEADER,
    "nul-late.csv": HEADER + air_rows(40) + "aq-a,2025-01-03T01:00:00+08:00,5\x00\n",
    "bad-cell-late.csv": HEADER + air_rows(40) + "aq-a,2025-01-03T01:00:00+08:00,abc\n",
    "gbk-late.csv": HEADER + air_rows(40),
}


def test_generated_files_read_the_same_from_disk_and_from_memory(tmp_path, monkeypatch):
    for name, text in GENERATED.items():
        data = text.encode("utf-8") if name != "gbk-late.csv" else text.encode() + "甲站,x,1\n".encode("gb18030")
        (tmp_path / name).write_bytes(data)
    results = {}
    for block in (1 << 20, 3, 50):
        monkeypatch.setattr(csvread, "SCAN_BLOCK", block)
        for name in GENERATED:
            table = read_csv(tmp_path / name, tmp_path, types={"pm25": pa.float64(),
                                                              "time": pa.timestamp("ms", tz="UTC")})
            lines = table.lines(np.arange(table.num_rows)).tolist() if table.readable else None
            results[block, name] = ([(f.rule, f.row, f.column, f.message_en) for f in table.findings],
                                    table.header, table.table.to_pylist() if table.readable else None, lines)
    for name in GENERATED:
        assert results[3, name] == results[1 << 20, name] == results[50, name], name


def test_row_numbers_of_a_big_file_with_blank_lines_and_quoted_breaks(tmp_path, monkeypatch):
    rows = air_rows(30).splitlines()
    rows[5] += "\n"  # a blank line
    rows[12] = rows[12].rsplit(",", 1)[0] + ",abc"
    text = HEADER + "\n".join(rows) + "\n"
    quoted = text.replace("aq-a,2025-01-01T10", '"aq-a",2025-01-01T10', 1).replace("aq-a,2025-01-01T20",
                                                                                     '"aq\na",2025-01-01T20', 1)
    found = {}
    for name, body in (("blank", text), ("quoted", quoted)):
        for block in (1 << 20, 64):
            monkeypatch.setattr(csvread, "SCAN_BLOCK", block)
            meta = dataset_meta("air")
            root = make_project(tmp_path / f"{name}{block}", datasets={"air": (meta, {"data.csv": body})})
            found[name, block] = sorted(map(str, run(root)[0]))
        assert found[name, 64] == found[name, 1 << 20]
    assert "('number-invalid', 15, 'pm25')" in found["blank", 64]


def test_encoding_by_runs_equals_dictionary_encode():
    rng = np.random.default_rng(1)
    for trial in range(300):
        n = int(rng.integers(0, 80))
        values = [None if rng.random() < 0.1 else "abcdef"[int(rng.integers(0, 1 + trial % 6))] for _ in range(n)]
        if trial % 3 == 0:
            values.sort(key=lambda v: (v is None, v))  # long runs, as station columns have
        cuts = sorted(rng.integers(0, n + 1, size=3).tolist())
        col = pa.chunked_array([values[a:b] for a, b in zip([0, *cuts], [*cuts, n])], pa.string())
        expected = pc.dictionary_encode(col.combine_chunks())
        dictionary, codes = encode_text(col)
        assert dictionary.to_pylist() == expected.dictionary.to_pylist()
        assert codes.tolist() == expected.indices.fill_null(-1).to_pylist()


def test_spike_candidates_by_blocks_equal_the_whole_column(monkeypatch):
    rng = np.random.default_rng(2)
    for trial in range(200):
        n = int(rng.integers(0, 400))
        x = np.round(rng.normal(0, 10, n), 1)
        x[rng.random(n) < 0.05] = np.nan
        monkeypatch.setattr(base, "BLOCK", int(rng.integers(1, 60)))
        limit = float(rng.choice([0.0, 5.0, 20.0]))
        with np.errstate(invalid="ignore"):
            big = np.abs(np.diff(x)) > limit
        assert quality._both_changes_exceed(x, limit).tolist() == (np.flatnonzero(big[:-1] & big[1:]) + 1).tolist()


def test_medians_by_stretches_equal_pandas():
    rng = np.random.default_rng(3)
    for trial in range(500):
        n = int(rng.integers(1, 300))
        groups = np.sort(rng.integers(-1, int(rng.integers(1, 20)), n))
        if trial % 5 == 0:
            groups = rng.permutation(groups)  # unsorted: falls back to pandas
        values = np.abs(np.round(rng.normal(0, 10, n), int(rng.integers(0, 3))))
        expected = pd.Series(values).groupby(groups).median()
        ids, medians = quality._stretch_medians(values, groups)
        assert ids.tolist() == expected.index.tolist() and medians.tolist() == expected.tolist()


def _gap_pairs_reference(x, t, s, limit):
    """The screen as first written: the present values, compacted, then their time steps."""
    missing = np.isnan(x) | (t == quality.MIN)
    have = np.flatnonzero(~missing)
    if have.size < 2:
        return [], []
    cand = np.flatnonzero(np.diff(t[have]) > limit)
    ok = s[have[cand]] == s[have[cand + 1]]
    return have[cand[ok]].tolist(), have[cand[ok] + 1].tolist()


def test_gap_pairs_equal_the_compacted_series(monkeypatch):
    rng = np.random.default_rng(4)
    screen = type("Screen", (), {"options": {"max_hours": 4}, "severity": "warning"})()

    class Data:  # the usual step is one hour: the limit is max_hours
        _cache = {"typical_step": 3_600_000.0}

    for trial in range(400):
        monkeypatch.setattr(base, "BLOCK", int(rng.integers(1, 50)) if trial % 2 else 1 << 17)
        n = int(rng.integers(3, 200))
        s = np.sort(rng.integers(0, 4, n))
        t = np.cumsum(rng.choice([3_600_000, 7_200_000, 20_000_000], n)).astype(np.int64)
        if trial % 4 == 0:
            t[rng.random(n) < 0.05] = quality.MIN
        x = rng.normal(0, 1, n)
        for _ in range(int(rng.integers(0, 6))):
            a = int(rng.integers(0, n))
            x[a:a + int(rng.integers(1, 30))] = np.nan
        same = s[1:] == s[:-1]
        gaps = quality._GapScreen.prepare(Data(), screen, t, s, same)
        gone = np.flatnonzero(np.isnan(x) | (t == quality.MIN))
        prev_rows, next_rows = quality._gap_pairs(n, gone, gaps)
        assert (prev_rows.tolist(), next_rows.tolist()) == _gap_pairs_reference(x, t, s, 4 * 3_600_000.0)


def test_valid_counts_equal_counting_the_present_values():
    rng = np.random.default_rng(5)
    for trial in range(200):
        n = int(rng.integers(1, 500))
        key = rng.integers(0, 12, n)
        ok_time = rng.random(n) > (0.1 if trial % 2 else 0)
        x = np.where(rng.random(n) < (0.9 if trial % 3 == 0 else 0.1), np.nan, 1.0)
        rows = np.bincount(key[ok_time], minlength=12).reshape(3, 4)
        expected = np.bincount(key[ok_time & ~np.isnan(x)], minlength=12).reshape(3, 4)
        empty = np.flatnonzero(np.isnan(x))
        assert validity._valid_counts(empty, ok_time, key, rows).tolist() == expected.tolist()


def test_one_combined_key_finds_the_same_duplicates(monkeypatch):
    rng = np.random.default_rng(6)

    class Data:
        def __init__(self, keys):
            self.keys, self.n = keys, keys[0].size

        def codes(self, name):
            return self.keys[name]

    for trial in range(300):
        n = int(rng.integers(2, 300))
        keys = [np.sort(rng.integers(-1, 5, n)), rng.integers(-1, 40, n) * 3_600_000 + 1_700_000_000_000]
        if trial % 2:
            order = np.lexsort(keys[::-1])
            keys = [k[order] for k in keys]  # sorted by the key, as files usually are
        if trial % 7 == 0:
            keys[1] = rng.integers(-(2**61), 2**61, n)  # too wide for one int64: the per-column way
            assert schema._radix(keys) is None
        data = Data(keys)
        monkeypatch.setattr(base, "BLOCK", int(rng.integers(1, 50)) if trial % 3 else 1 << 17)
        order = np.lexsort(keys[::-1])
        same = np.ones(n - 1, dtype=bool)
        for k in keys:
            same &= k[order][1:] == k[order][:-1]
        expected = np.sort(order[1:][same])
        assert schema._duplicate_rows(data, [0, 1]).tolist() == expected.tolist()
