"""Robust reading of the data files departments submit.

The fast path reads with ``pyarrow.csv`` (multi-threaded, columns typed as the schema asks).
Only when pyarrow fails (a ragged row, an unterminated quote, a byte that is not UTF-8, a cell
that does not convert) does a slower pass run: first pyarrow again with every column as text,
then, if the structure itself is broken, Python's ``csv`` module record by record, which can say
on which line each problem is.

Before parsing, one streamed pass over the bytes (a block at a time, into one reused buffer)
notes what the reader must know first: the byte-order mark and header, NUL bytes, quotes, and
the number of lines. A big file that needs nothing more is then parsed by pyarrow straight
from disk, so it is never held whole in memory here; the whole file is read only when a
problem needs it (NUL bytes to remove, the record-by-record reader, a lazy row→line mapping).

Row numbers in findings are 1-based physical line numbers of the file, the header being line 1.
They stay right when quoted cells contain line breaks: the row→line mapping is then computed
(once, lazily) only when a finding needs it.

Encoding decision: files must be UTF-8 (a byte-order mark is accepted and ignored). A file
saved as GBK/GB18030 - what Excel writes on Chinese Windows for "CSV (逗号分隔)" - is refused
with a message saying so and how to re-save it ("CSV UTF-8"). We do not transcode: a release is
the SHA-256 of the exact bytes approved, and the portal publishes those bytes, so the file that
was checked must be the file that is downloaded, in the encoding every tool reads.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .report import Finding, error, warning
from .yamlio import relpath

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
CJK = re.compile(r"[\u4e00-\u9fff]")
SLOW_CHUNK = 100_000  # rows per Arrow chunk built by the slow pass (bounds memory)


@dataclass
class CsvTable:
    """One CSV file as read: header, columns (text or typed), findings, and row→line mapping.

    Columns are stored positionally; :meth:`column` returns the first column of that header
    name. Row ``i`` (0-based, data rows only) is on line :meth:`line` ``(i)`` of the file.
    """

    file: str
    header: list[str]
    table: pa.Table | None
    findings: list[Finding] = field(default_factory=list)
    row_lines: np.ndarray | None = None  # explicit mapping, when known
    identity: bool = True  # row i is on line i + 2
    _source: bytes | None = None  # kept only while a lazy mapping may be needed
    _delimiter: str = ","

    @property
    def num_rows(self) -> int:
        return 0 if self.table is None else self.table.num_rows

    @property
    def readable(self) -> bool:
        return self.table is not None

    def has(self, name: str) -> bool:
        return self.table is not None and name in self.header

    def column(self, name: str) -> pa.ChunkedArray | None:
        if self.table is None or name not in self.header:
            return None
        return self.table.column(self.header.index(name))

    def lines(self, rows: np.ndarray) -> np.ndarray:
        """File line numbers (1-based) of data rows ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.row_lines is None and not self.identity:
            self.row_lines = _record_lines(self._source or b"", self._delimiter)
            self._source = None
        if self.row_lines is not None:
            return self.row_lines[rows]
        return rows + 2

    def line(self, row: int) -> int:
        return int(self.lines(np.array([row]))[0])


def read_csv(path: Path, root: Path, *, item: str | None = None, types: dict[str, pa.DataType] | None = None,
             missing_values: list[str] | None = None, max_field_chars: int = 10_000) -> CsvTable:
    """Read one CSV file; every problem becomes a finding, never an exception.

    ``types`` maps header names to the Arrow type to convert to while reading (numbers, times);
    when a cell does not convert, the file is read again with every column as text and the
    caller reports the bad cells. ``missing_values`` are the strings that mean "no value".
    """
    file = relpath(path, root)
    where = {"item": item, "file": file}
    missing = list(missing_values) if missing_values is not None else [""]
    try:
        return _read(path, file, where, types or {}, missing, max_field_chars)
    except OSError as exc:  # the file may be read more than once: any read can fail
        return CsvTable(file, [], None, [error("csv-unreadable", f"无法读取文件：{exc.strerror}",
                                               f"cannot read the file: {exc.strerror}", **where)])


def _read(path: Path, file: str, where: dict, types: dict[str, pa.DataType], missing: list[str],
          max_field_chars: int) -> CsvTable:
    """:func:`read_csv` once the file is known to exist; may raise OSError at any read."""
    scan = _scan(path)
    findings: list[Finding] = []
    if scan.head.startswith(UTF16_BOMS):
        return CsvTable(file, [], None, [error(
            "file-encoding",
            "文件是 UTF-16 编码（Excel「Unicode 文本」），请另存为「CSV UTF-8（逗号分隔）」",
            "the file is UTF-16 (Excel 'Unicode Text'); save it as 'CSV UTF-8 (Comma delimited)'",
            row=1, **where)])
    bom = len(UTF8_BOM) if scan.head.startswith(UTF8_BOM) else 0
    # The whole file (without its byte-order mark), read only when something needs it: a file
    # that fits in the scan's first block is kept; a big clean one is parsed by pyarrow from disk.
    data: bytes | None = scan.head[bom:] if scan.size == len(scan.head) else None

    def whole() -> bytes:
        nonlocal data
        if data is None:
            data = path.read_bytes()[bom:]
        return data

    if scan.size - bom < 65536 and not whole().strip():
        return CsvTable(file, [], None, [error("csv-empty", "文件是空的：至少需要一行表头",
                                               "the file is empty: it needs at least a header row", **where)])
    if scan.nul:
        findings.extend(_nul_findings(whole(), where))
        data = whole().replace(b"\x00", b"")

    start = data if data is not None else scan.head[bom:]
    header_end = start.find(b"\n")
    if header_end < 0 and data is None:  # a header longer than the first block
        start = whole()
        header_end = start.find(b"\n")
    header_bytes = start if header_end < 0 else start[:header_end]
    try:
        header_text = header_bytes.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return CsvTable(file, [], None, findings + [_encoding_finding(whole(), where)])
    delimiter = ","
    if header_text.count('"') % 2:  # a line break inside a quoted header cell
        return _read_slow(whole(), file, where, findings, delimiter, max_field_chars, missing)
    # Read as a stream with newline="": a CR inside a quoted header cell is text, where the list
    # form of csv.reader raises ("new-line character seen in unquoted field").
    header = next(csv.reader(io.StringIO(header_text, newline="")), [])
    if len(header) == 1:
        for candidate, name_zh, name_en in ((";", "分号", "semicolons"), ("\t", "制表符", "tabs")):
            if candidate in header_text:
                findings.append(error(
                    "csv-delimiter-wrong",
                    f"文件用{name_zh}分隔各列，应使用英文逗号（另存为「CSV UTF-8（逗号分隔）」）",
                    f"the file separates columns with {name_en}; use commas (save as 'CSV UTF-8 (Comma delimited)')",
                    row=1, **where))
                delimiter = candidate
                header = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter), [])
                break

    # A quoted cell may hold a line break only if the file has quotes at all; without them pyarrow
    # can split the file into blocks at any line break, which is much faster.
    source = data if data is not None else path
    table = _read_fast(source, header, types, missing, delimiter, scan.quote)
    if table is None and types:
        table = _read_fast(source, header, {}, missing, delimiter, scan.quote)
    if table is None:
        return _read_slow(whole(), file, where, findings, delimiter, max_field_chars, missing)

    result = CsvTable(file, header, table, findings, _delimiter=delimiter)
    physical = scan.newlines + (0 if scan.ends_with_newline else 1)
    if physical != table.num_rows + 1:  # quoted line breaks or blank lines: map lazily
        result.identity = False
        result._source = whole()
        _embedded_newlines(result, where)
    _oversized(result, where, max_field_chars)
    return result


@dataclass
class _Scan:
    """What one pass over a file's bytes says before it is parsed."""

    head: bytes  # the first block
    size: int  # bytes in all
    nul: bool  # has a NUL byte
    quote: bool  # has a double quote
    newlines: int  # line feeds
    ends_with_newline: bool


# Bytes per read of the scan: small enough to stay in the CPU cache between the read and the
# searches; at least 3, so that the first block holds any byte-order mark.
SCAN_BLOCK = 1 << 18


def _scan(path: Path) -> _Scan:
    """Read the file a block at a time into one reused buffer and note what the reader must know
    before parsing. A big file is then parsed by pyarrow straight from disk and never held whole
    in memory here: the blocks stay in the CPU cache, where a 60 MB copy would not."""
    buffer = bytearray(SCAN_BLOCK)
    feeds = np.empty(SCAN_BLOCK, dtype=bool)
    head, size, nul, quote, newlines, last = b"", 0, False, False, 0, 0
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(buffer):
            if not size:
                head = bytes(buffer[:n])
            size += n
            nul = nul or buffer.find(b"\x00", 0, n) >= 0
            quote = quote or buffer.find(b'"', 0, n) >= 0
            np.equal(np.frombuffer(buffer, dtype=np.uint8, count=n), 10, out=feeds[:n])
            newlines += int(np.count_nonzero(feeds[:n]))
            last = buffer[n - 1]
    return _Scan(head, size, nul, quote, newlines, last == 10)


def _read_fast(source: bytes | Path, header: list[str], types: dict[str, pa.DataType], missing: list[str],
               delimiter: str, quoted: bool = True) -> pa.Table | None:
    """pyarrow's multi-threaded reader over the bytes, or the file (the header row is skipped:
    a byte-order mark goes with it); None when it gives up."""
    names = [f"c{i}" for i in range(len(header))]
    column_types = {}
    for i, h in enumerate(header):
        if h in types and header.index(h) == i:
            column_types[names[i]] = types[h]
        else:
            column_types.setdefault(names[i], pa.string())
    # OSFile, not a path string: pyarrow would decompress a file whose name ends in .gz
    stream = pa.BufferReader(source) if isinstance(source, bytes) else pa.OSFile(str(source))
    try:
        with stream:
            return pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quoted),
                convert_options=pacsv.ConvertOptions(
                    column_types=column_types, null_values=missing, strings_can_be_null=True,
                    quoted_strings_can_be_null=True, check_utf8=True,
                ),
            )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _nul_findings(data: bytes, where: dict) -> list[Finding]:
    out = []
    pos = data.find(b"\x00")
    lines: list[int] = []
    while pos >= 0 and len(lines) < 1000:
        line = _line_of_offset(data, pos)
        if not lines or lines[-1] != line:
            lines.append(line)
        nxt = data.find(b"\n", pos)
        if nxt < 0:
            break
        pos = data.find(b"\x00", nxt)
    for line in lines:
        out.append(error("csv-nul-byte", "此行含有空字节（NUL，常见于损坏或非文本文件），已忽略该字节",
                         "this line contains a NUL byte (a damaged or non-text file); the byte was ignored",
                         row=line, **where))
    return out


def _encoding_finding(data: bytes, where: dict) -> Finding:
    try:
        data.decode("utf-8")
        return error("file-encoding", "文件不是有效的 UTF-8", "the file is not valid UTF-8", **where)
    except UnicodeDecodeError as exc:
        line = _line_of_offset(data, exc.start)
    try:
        text = data.decode("gb18030")
        is_gbk = bool(CJK.search(text))
    except UnicodeDecodeError:
        is_gbk = False
    if is_gbk:
        return error(
            "file-encoding",
            "文件是 GBK/GB18030 编码（中文 Windows 上 Excel「CSV（逗号分隔）」的默认格式），"
            "不能直接发布：请在 Excel 中另存为「CSV UTF-8（逗号分隔）」",
            "the file is encoded in GBK/GB18030 (Excel's 'CSV (Comma delimited)' on Chinese Windows) and "
            "cannot be published as is: save it from Excel as 'CSV UTF-8 (Comma delimited)'",
            row=line, **where)
    return error("file-encoding", f"第 {line} 行有不是 UTF-8 的字节，请另存为 UTF-8",
                 f"line {line} has bytes that are not UTF-8; save the file as UTF-8", row=line, **where)


def _embedded_newlines(result: CsvTable, where: dict) -> None:
    for i, name in enumerate(result.header):
        col = result.table.column(i)
        if not pa.types.is_string(col.type):
            continue
        hit = pc.match_substring_regex(col, r"[\r\n]").fill_null(False)
        rows = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
        for r in rows[:20].tolist():
            result.findings.append(warning(
                "csv-embedded-newline", "单元格内含换行符：很多软件会把它读成两行，请删去换行",
                "a cell contains a line break: many programs read it as two rows; remove the break",
                row=result.line(r), column=name, **where))


def _oversized(result: CsvTable, where: dict, limit: int) -> None:
    for i, name in enumerate(result.header):
        col = result.table.column(i)
        if not pa.types.is_string(col.type) or len(col) == 0:
            continue
        longest_bytes = pc.max(pc.binary_length(col)).as_py()
        if longest_bytes is None or longest_bytes <= limit:  # a character is at least one byte
            continue
        lengths = pc.utf8_length(col)
        longest = pc.max(lengths).as_py()
        if longest is None or longest <= limit:
            continue
        rows = np.flatnonzero(pc.greater(lengths, limit).fill_null(False).to_numpy(zero_copy_only=False))
        for r in rows[:20].tolist():
            result.findings.append(_oversized_finding(result.line(r), name, lengths[r].as_py(), limit, where))


def _oversized_finding(line: int, column: str | None, length: int, limit: int, where: dict) -> Finding:
    return error("csv-field-oversized", f"单元格过长：{length} 个字符，上限 {limit}",
                 f"a cell is too long: {length} characters, the limit is {limit}",
                 row=line, column=column, **where)


def _records(text: str, delimiter: str):
    """(first line, last line, fields or None, error) for each record of ``text``."""
    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        last = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield last + 1, reader.line_num, None, str(exc)
                last = reader.line_num
                continue
            yield last + 1, reader.line_num, fields, None
            last = reader.line_num
    finally:
        csv.field_size_limit(old)


def _record_lines(data: bytes, delimiter: str) -> np.ndarray:
    """The first line of every data record (the lazy row→line mapping)."""
    text = data.decode("utf-8", errors="replace")
    starts = [first for first, _, fields, err in _records(text, delimiter) if err is None and fields]
    return np.asarray(starts[1:], dtype=np.int64)


def _read_slow(data: bytes, file: str, where: dict, findings: list[Finding], delimiter: str,
               max_field_chars: int, missing: list[str]) -> CsvTable:
    """Read record by record with Python's csv module, naming the line of every problem."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return CsvTable(file, [], None, findings + [_encoding_finding(data, where)])
    header: list[str] | None = None
    columns: list[list[str | None]] = []
    chunks: list[list[pa.Array]] = []
    lines: list[int] = []
    missing_set = set(missing)
    n = 0
    for first, last, fields, err in _records(text, delimiter):
        if err is not None:
            if "end of data" in err or "unexpected end" in err:
                findings.append(error(
                    "csv-quote-unterminated",
                    f"此行开始的引号没有结束（第 {first}–{last} 行都被读成了一个单元格）",
                    f"a quote opened on this line is never closed (lines {first}-{last} were read as one cell)",
                    row=first, **where))
            else:
                findings.append(error("csv-quote-invalid", f"引号使用有误：{err}",
                                      f"a quote is misplaced: {err}", row=first, **where))
            continue
        if not fields:  # blank line
            continue
        if header is None:
            header = fields
            n = len(header)
            columns = [[] for _ in range(n)]
            continue
        if len(fields) != n:
            findings.append(_ragged_finding(fields, n, first, last, delimiter, where))
            continue
        for j, value in enumerate(fields):
            if len(value) > max_field_chars:
                findings.append(_oversized_finding(first, header[j], len(value), max_field_chars, where))
            if "\n" in value or "\r" in value:
                findings.append(warning(
                    "csv-embedded-newline", "单元格内含换行符：很多软件会把它读成两行，请删去换行",
                    "a cell contains a line break: many programs read it as two rows; remove the break",
                    row=first, column=header[j], **where))
            columns[j].append(None if value in missing_set else value)
        lines.append(first)
        if len(lines) % SLOW_CHUNK == 0:
            chunks.append([pa.array(c, pa.string()) for c in columns])
            columns = [[] for _ in range(n)]
    if header is None:
        return CsvTable(file, [], None, findings + [error(
            "csv-empty", "文件没有表头行", "the file has no header row", **where)])
    chunks.append([pa.array(c, pa.string()) for c in columns])
    names = [f"c{i}" for i in range(n)]
    table = pa.Table.from_batches([pa.record_batch(chunk, names=names) for chunk in chunks])
    return CsvTable(file, header, table, findings, row_lines=np.asarray(lines, dtype=np.int64),
                    identity=False, _delimiter=delimiter)


def _ragged_finding(fields: list[str], n: int, first: int, last: int, delimiter: str, where: dict) -> Finding:
    joined = delimiter.join(fields)
    for other, zh, en in ((";", "分号", "semicolons"), ("\t", "制表符", "tabs")):
        if other != delimiter and len(fields) == 1 and len(joined.split(other)) == n:
            return error("csv-delimiter-mixed", f"此行用{zh}分隔，其他行用逗号：请统一使用逗号",
                         f"this line is separated by {en} while the others use commas; use commas throughout",
                         row=first, **where)
    span = f"第 {first}–{last} 行" if last > first else "此行"
    span_en = f"lines {first}-{last}" if last > first else "this line"
    return error("csv-row-ragged", f"{span}有 {len(fields)} 列，表头有 {n} 列（多余的逗号或缺少的单元格？）",
                 f"{span_en} has {len(fields)} cells but the header has {n} (a stray comma or a missing cell?)",
                 row=first, **where)
