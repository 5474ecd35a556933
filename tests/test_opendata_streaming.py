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
import json
import shutil
import sys
import zlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow
import pytest

from publisher.config import load_rules
from publisher.content import load_content
from publisher.opendata import DatasetVersion, plan_open_data
from publisher.release import Release
from publisher.site import SiteModel

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


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        record = {"libraries": libraries(), "files": planned_hashes(Path(folder))}
    EXPECTED.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(record['files'])} files recorded in {EXPECTED}")
