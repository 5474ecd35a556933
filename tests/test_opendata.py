"""Open data releases read back by the tools their users have: pandas, openpyxl, pyarrow,
Frictionless, rdflib, sha256 - from a fixture portal with a dataset that was corrected.

The dataset ``field-notes`` is built here, through the approval workflow: its first version was
approved (and archived) with cells a spreadsheet would run as formulas, which today's checks
refuse, so only an old version can carry them. Version 2 is a correction; version 3 is
approved but not yet due. ``internal-notes`` is classified internal and can never be approved.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from publisher.opendata import neutralise
from publisher.site import build_site

FIXTURE_PORTAL = Path(__file__).resolve().parent / "fixtures" / "portal"
BASE = "https://sthjj.demo-city.example/portal/"
TZ = ZoneInfo("Asia/Shanghai")
HYPERLINK = '=HYPERLINK("http://x","y")'

DATASET_YAML = """\
id: {id}
title: {{zh: 现场巡查记录, en: Field inspection notes}}
description: {{zh: 巡查人员记录的气温和备注。, en: Air temperature and remarks recorded by inspectors.}}
category: air_quality
department: sthjj
area: {{code: "990100", name: 示范市}}
classification: {classification}
license: CC-BY-4.0
update_frequency: irregular
temporal: {{start: 2025-01-01, end: 2025-01-02}}
spatial: {{description: {{zh: 全市, en: Whole city}}}}
status: provisional
keywords: [巡查, inspection]
next_update: 2025-03-01
resources:
  - name: notes
    path: notes.csv
    title: {{zh: 巡查记录, en: Inspection notes}}
    schema:
      primary_key: [note_id]
      fields:
        - {{name: note_id, type: integer, title: {{zh: 记录编号, en: Note ID}}, constraints: {{required: true, unique: true}}}}
        - {{name: time, type: datetime, title: {{zh: 时间, en: Time}}, constraints: {{required: true}}}}
        - {{name: temperature, type: number, unit: ℃, title: {{zh: 气温, en: Air temperature}}}}
        - {{name: remark, type: string, title: {{zh: 备注, en: Remark}}}}
        - {{name: inspector_phone, type: string, sensitive: true, title: {{zh: 巡查员电话, en: Inspector phone}}}}
"""

# Version 1 as approved in 2025, before the formula check existed.
NOTES_V1 = (
    "note_id,time,temperature,remark,inspector_phone\n"
    '1,2025-01-01T09:00:00+08:00,-5.2,"=HYPERLINK(""http://x"",""y"")",0710-5550101\n'
    "2,2025-01-01T15:30:00+08:00,3.10,+86 施工单位已整改,0710-5550102\n"
    "3,2025-01-02T09:00:00+08:00,,＝SUM(A1:A9),0710-5550103\n"
    "4,2025-01-02T16:00:00+08:00,0.0,@cmd,0710-5550104\n"
    '5,2025-01-02T17:00:00+08:00,-0.5,"\tTAB-led, quoted",0710-5550105\n'
    "6,2025-01-02T18:00:00+08:00,12,-连字符开头,0710-5550106\n"
)
# Version 2, a correction: what content/ holds now (and passes today's checks).
NOTES_V2 = (
    "note_id,time,temperature,remark,inspector_phone\n"
    "1,2025-01-01T09:00:00+08:00,-5.3,东站周边道路扬尘明显,0710-5550101\n"
    '2,2025-01-01T15:30:00+08:00,3.10,"已通知施工单位, 限期整改",0710-5550102\n'
    "3,2025-01-02T09:00:00+08:00,,无异常,0710-5550103\n"
    "4,2025-01-02T16:00:00+08:00,0.0,,0710-5550104\n"
)


def _add_dataset(portal: Path, ds_id: str, classification: str, data: str) -> Path:
    folder = portal / "content" / "datasets" / ds_id
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(DATASET_YAML.format(id=ds_id, classification=classification),
                                         encoding="utf-8")
    (folder / "notes.csv").write_text(data, encoding="utf-8")
    return folder / "notes.csv"


def _approve(portal: Path, item: str, at: datetime, **options) -> None:
    """Submit and approve ``item`` as the city bureau's reviewer and the press office at ``at``."""
    from publisher.keys import demo_key
    from publisher.workflow import approve, submit

    submit(portal, item, "data-officer", demo_key("data-officer"), time=at)
    for minutes, user in ((10, "zhang-min"), (20, "li-hua")):
        approve(portal, item, user, demo_key(user), ack_warnings=True, time=at + timedelta(minutes=minutes),
                **options)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``first``: only version 1 published; ``second``: after the correction; ``again``: the same
    inputs as ``second`` built once more; ``archive``: the approved bytes of version 1.

    Through the real workflow: version 1 is approved at 2025-01-02 17:40 while the formula rule
    is switched off (as before that rule existed), built, then corrected as version 2; version 3
    is approved with an embargo until 2099, so version 2 stays the published one.
    """
    from publisher.rules import privacy

    root = tmp_path_factory.mktemp("opendata")
    portal = root / "portal"
    shutil.copytree(FIXTURE_PORTAL, portal)
    archive = root / "archive"
    archive.mkdir()
    (archive / "v1-notes.csv").write_text(NOTES_V1, encoding="utf-8")
    current = _add_dataset(portal, "field-notes", "public", NOTES_V1)
    _add_dataset(portal, "internal-notes", "internal", NOTES_V2)
    _approve(portal, "registry", datetime(2025, 1, 2, 11, 0, tzinfo=TZ))  # the stations air-mini names
    _approve(portal, "air-mini", datetime(2025, 1, 2, 12, 0, tzinfo=TZ))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(privacy, "_formula", lambda text: None)
        _approve(portal, "field-notes", datetime(2025, 1, 2, 17, 40, tzinfo=TZ))
        build_site(portal, root / "first", now=datetime(2025, 1, 2, 20, 0, tzinfo=TZ))
    current.write_text(NOTES_V2, encoding="utf-8")
    _approve(portal, "field-notes", datetime(2025, 1, 3, 8, 40, tzinfo=TZ),
             note="更正1月1日气温 / corrected the temperature of 1 January", reason="correction")
    meta = current.parent / "dataset.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "release_at: 2099-01-01T09:00:00+08:00\n", encoding="utf-8")
    _approve(portal, "field-notes", datetime(2025, 1, 4, 9, 0, tzinfo=TZ), note="定期更新", reason="scheduled-update")
    build_site(portal, root / "second", now=datetime(2025, 1, 5, 9, 0, tzinfo=TZ))
    build_site(portal, root / "again", now=datetime(2025, 1, 5, 9, 0, tzinfo=TZ))
    return {"first": root / "first", "second": root / "second", "again": root / "again",
            "archive": archive, "current": current}


def _source(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _expected(source: Path) -> tuple[list[str], list[list[str]]]:
    """The approved table as the public CSV must hold it: sensitive column gone, text neutralised."""
    header, *rows = _source(source)
    keep = [i for i, name in enumerate(header) if name != "inspector_phone"]
    text = {header.index("remark")} if "remark" in header else {header.index("station_id")}
    return ([header[i] for i in keep],
            [[neutralise(r[i]) if i in text else r[i] for i in keep] for r in rows])


def _local(out: Path, url: str) -> Path:
    assert url.startswith(BASE), url
    return out / url[len(BASE):]


def _sources(builds: dict[str, Path]) -> dict[str, Path]:
    return {
        "data/field-notes/1": builds["archive"] / "v1-notes.csv",
        "data/field-notes/2": builds["current"],
        "data/air-mini/1": FIXTURE_PORTAL / "content/datasets/air-mini/air_hourly.csv",
    }


# -- addresses and versions ------------------------------------------------------------------


def test_versions_have_stable_addresses_and_latest_is_a_copy_of_the_newest(builds: dict[str, Path]) -> None:
    out = builds["second"]
    assert sorted(p.name for p in (out / "data/field-notes").iterdir()) == ["1", "2", "latest", "versions.json"]
    newest, latest = out / "data/field-notes/2", out / "data/field-notes/latest"
    assert sorted(p.name for p in latest.iterdir()) == sorted(p.name for p in newest.iterdir())
    for p in newest.iterdir():
        assert not (latest / p.name).is_symlink()
        assert (latest / p.name).read_bytes() == p.read_bytes(), p.name
    index = json.loads((out / "data/field-notes/versions.json").read_text(encoding="utf-8"))
    assert index["latest"] == 2 and index["next_update"] == "2025-03-01"
    assert [(v["version"], v["reason"], v["released_at"], v["audit"]["proof"]) for v in index["versions"]] == [
        (1, "initial", "2025-01-02T18:00:00+08:00", "log/proofs/field-notes-v1.json"),
        (2, "correction", "2025-01-03T09:00:00+08:00", "log/proofs/field-notes-v2.json"),
    ]
    assert [a["role"] for a in index["versions"][1]["audit"]["approvals"]] == ["reviewer:sthjj", "press-office"]
    assert index["versions"][1]["reason_label"] == {"zh": "更正", "en": "Correction"}
    package = json.loads((newest / "datapackage.json").read_text(encoding="utf-8"))
    assert package["version"] == "2" and package["release"]["note"].startswith("更正")
    proof = json.loads((out / package["release"]["audit"]["proof"]).read_text(encoding="utf-8"))
    assert proof["entry"]["event"] == "publication" and proof["entry"]["version"] == 2


def test_old_version_keeps_serving_its_own_bytes_after_a_correction(builds: dict[str, Path]) -> None:
    before, after = builds["first"] / "data/field-notes/1", builds["second"] / "data/field-notes/1"
    assert sorted(p.name for p in before.iterdir()) == sorted(p.name for p in after.iterdir())
    for p in before.iterdir():
        assert (after / p.name).read_bytes() == p.read_bytes(), p.name
    # before the correction, latest was version 1; after it, version 2
    assert (builds["first"] / "data/field-notes/latest/notes.csv").read_bytes() == (before / "notes.csv").read_bytes()
    assert "-5.3" in (builds["second"] / "data/field-notes/latest/notes.csv").read_text(encoding="utf-8")


def test_nothing_unreleased_is_exported(builds: dict[str, Path]) -> None:
    out = builds["second"]
    assert not (out / "data/field-notes/3").exists()  # approved, but due in 2099
    assert not (out / "data/internal-notes").exists()
    for path in out.rglob("*"):
        if path.is_file():
            assert b"internal-notes" not in path.read_bytes(), path
    page = (out / "datasets/field-notes/index.html").read_text(encoding="utf-8")
    assert "data/field-notes/3/" not in page


# -- formats read back by their clients ------------------------------------------------------


def test_every_datapackage_passes_frictionless_validate(builds: dict[str, Path], tmp_path: Path) -> None:
    from frictionless import validate

    packages = sorted(builds["second"].glob("data/*/*/datapackage.json"))
    assert len(packages) == 5  # field-notes 1, 2, latest; air-mini 1, latest
    for path in packages:
        report = validate(str(path))
        assert report.valid, (path, report.flatten(["type", "message"]))
    # the release zip unpacks to a package that validates on its own
    with zipfile.ZipFile(builds["second"] / "data/field-notes/2/field-notes.zip") as archive:
        archive.extractall(tmp_path)
    report = validate(str(tmp_path / "field-notes-v2/datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])


def test_both_csv_variants_read_back_to_the_approved_values(builds: dict[str, Path]) -> None:
    out = builds["second"]
    for folder, source in _sources(builds).items():
        header, rows = _expected(source)
        for plain in (out / folder).glob("*.csv"):
            if plain.name.endswith(".excel.csv"):
                continue
            excel = plain.with_name(plain.name[:-4] + ".excel.csv")
            assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
            assert excel.read_bytes().startswith(b"\xef\xbb\xbf")
            for path, encoding in ((plain, "utf-8"), (excel, "utf-8-sig")):
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
                assert list(frame.columns) == header, path
                assert frame.values.tolist() == rows, path


def test_excel_csv_decodes_as_utf8_sig_with_chinese_intact(builds: dict[str, Path]) -> None:
    text = (builds["second"] / "data/field-notes/2/notes.excel.csv").read_bytes().decode("utf-8-sig")
    assert text.startswith("note_id,time,temperature,remark\r\n")
    assert "东站周边道路扬尘明显" in text and "已通知施工单位, 限期整改" in text


def test_formula_cells_are_neutralised_in_text_columns_and_numbers_never_altered(builds: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    folder = builds["second"] / "data/field-notes/1"
    for name, encoding in (("notes.csv", "utf-8"), ("notes.excel.csv", "utf-8-sig")):
        rows = list(csv.reader(io.StringIO((folder / name).read_bytes().decode(encoding), newline="")))
        assert rows[1][2:] == ["-5.2", "'" + HYPERLINK]
        assert [r[3] for r in rows[2:]] == ["'+86 施工单位已整改", "'＝SUM(A1:A9)", "'@cmd", "'\tTAB-led, quoted",
                                            "'-连字符开头"]
        assert [r[2] for r in rows[1:]] == ["-5.2", "3.10", "", "0.0", "-0.5", "12"]  # the approved text
    sheet = load_workbook(folder / "notes.xlsx")["data"]
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert sheet["D3"].value == "'" + HYPERLINK and sheet["C3"].value == -5.2


def test_xlsx_has_names_units_dictionary_and_metadata_and_reads_back(builds: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    out = builds["second"]
    book = load_workbook(out / "data/field-notes/2/notes.xlsx")
    assert book.sheetnames == ["data", "dictionary", "metadata"]
    assert [c.value for c in book["data"][1]] == ["note_id", "time", "temperature", "remark"]
    assert book["data"]["C2"].value == "气温 / Air temperature (℃)"
    assert ["temperature", "气温", "Air temperature", "number", "℃"] == [c.value for c in book["dictionary"][4]][:5]
    metadata = {row[0].value: row[1].value for row in book["metadata"].iter_rows()}
    assert metadata["version"] == "2" and metadata["reason"] == "更正" and metadata["license"] == "CC-BY-4.0"
    for folder, source in _sources(builds).items():
        header, rows = _expected(source)
        xlsx = next((out / folder).glob("*.xlsx"))
        frame = pd.read_excel(xlsx, sheet_name="data", skiprows=[1])
        assert list(frame.columns) == header
        for got_row, want_row in zip(frame.itertuples(index=False), rows, strict=True):
            for got, want in zip(got_row, want_row, strict=True):
                if want == "":
                    assert pd.isna(got)
                elif isinstance(got, (int, float)):
                    assert Decimal(repr(got)) == Decimal(want), (xlsx, got, want)
                else:
                    assert got == want, (xlsx, got, want)


def test_parquet_columns_have_proper_types_and_exact_values(builds: dict[str, Path]) -> None:
    table = pq.read_table(builds["second"] / "data/field-notes/1/notes.parquet")
    assert table.schema.field("note_id").type == pa.int64()
    assert table.schema.field("temperature").type == pa.float64()
    assert table.schema.field("time").type == pa.timestamp("us", tz="Asia/Shanghai")
    assert table.schema.field("remark").type == pa.string()
    assert "inspector_phone" not in table.schema.names
    assert table.schema.field("temperature").metadata[b"unit"] == "℃".encode()
    frame = table.to_pandas()
    assert frame["temperature"].tolist()[:2] == [-5.2, 3.1] and pd.isna(frame["temperature"][2])
    assert frame["remark"][0] == HYPERLINK  # Parquet holds the approved text: no spreadsheet opens it
    assert frame["time"][0] == pd.Timestamp("2025-01-01T09:00:00+08:00")
    air = pd.read_parquet(builds["second"] / "data/air-mini/1/air-hourly.parquet")
    assert str(air["time"].dtype) == "datetime64[us, Asia/Shanghai]" and str(air["pm25"].dtype) == "float64"


def test_sensitive_column_is_in_no_public_file(builds: dict[str, Path]) -> None:
    def contents(path: Path) -> list[bytes]:
        data = path.read_bytes()
        if data[:4] == b"PK\x03\x04":  # zip or xlsx: look inside too
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return [data] + [archive.read(n) for n in archive.namelist()]
        return [data]

    for path in builds["second"].rglob("*"):
        if path.is_file():
            for blob in contents(path):
                assert b"inspector_phone" not in blob and b"0710-555" not in blob, path


# -- catalogues, page, bulk download, checksums ---------------------------------------------


def test_dcat_catalogue_parses_as_rdf_with_every_dataset_and_distribution(builds: dict[str, Path]) -> None:
    from rdflib import Graph, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, RDF

    out = builds["second"]
    graph = Graph().parse(out / "catalog.jsonld", format="json-ld")
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert datasets == {URIRef(f"{BASE}datasets/{i}/#dataset") for i in ("air-mini", "field-notes")}
    assert set(graph.subjects(RDF.type, DCAT.Catalog)) == {URIRef(f"{BASE}catalog.jsonld")}
    assert set(graph.objects(None, DCAT.dataset)) == datasets
    spdx = Namespace("http://spdx.org/rdf/terms#")
    expected = {"notes.csv", "notes.excel.csv", "notes.xlsx", "notes.parquet", "field-notes.zip", "datapackage.json"}
    field_notes = URIRef(f"{BASE}datasets/field-notes/#dataset")
    names = set()
    for dist in graph.objects(field_notes, DCAT.distribution):
        assert (dist, RDF.type, DCAT.Distribution) in graph
        url = str(graph.value(dist, DCAT.downloadURL))
        assert url.startswith(f"{BASE}data/field-notes/2/")
        local = _local(out, url)
        checksum = graph.value(graph.value(dist, spdx.checksum), spdx.checksumValue)
        assert str(checksum) == hashlib.sha256(local.read_bytes()).hexdigest()
        assert int(graph.value(dist, DCAT.byteSize)) == local.stat().st_size
        names.add(local.name)
    assert names == expected
    assert len(set(graph.subjects(RDF.type, DCAT.Distribution))) == 2 * len(expected)
    assert str(graph.value(field_notes, DCTERMS.modified)) == "2025-01-03T09:00:00+08:00"
    assert str(graph.value(field_notes, DCTERMS.issued)) == "2025-01-02T18:00:00+08:00"


def test_project_open_data_catalogue_lists_every_dataset(builds: dict[str, Path]) -> None:
    out = builds["second"]
    catalogue = json.loads((out / "data.json").read_text(encoding="utf-8"))
    assert catalogue["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    by_id = {d["identifier"]: d for d in catalogue["dataset"]}
    assert set(by_id) == {f"{BASE}datasets/air-mini/", f"{BASE}datasets/field-notes/"}
    notes = by_id[f"{BASE}datasets/field-notes/"]
    assert notes["modified"] == "2025-01-03T09:00:00+08:00" and notes["nextUpdate"] == "2025-03-01"
    assert notes["accessLevel"] == "public" and notes["license"].startswith("https://creativecommons.org/")
    for dist in notes["distribution"]:
        assert _local(out, dist["downloadURL"]).is_file()


def test_dataset_page_embeds_schema_org_and_lists_every_format(builds: dict[str, Path]) -> None:
    out = builds["second"]
    for prefix in ("", "en/"):
        page = (out / prefix / "datasets/field-notes/index.html").read_text(encoding="utf-8")
        script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
        data = json.loads(script)
        assert data["@type"] == "Dataset" and data["version"] == "2"
        assert data["dateModified"] == "2025-01-03T09:00:00+08:00"
        assert {d["contentUrl"] for d in data["distribution"]} >= {f"{BASE}data/field-notes/2/notes.excel.csv"}
        for name in ("notes.csv", "notes.excel.csv", "notes.xlsx", "notes.parquet", "field-notes.zip",
                     "datapackage.json", "SHA256SUMS"):
            assert f'download>{name}</a>' in page, name
    page = (out / "datasets/field-notes/index.html").read_text(encoding="utf-8")
    assert "供 Excel 打开" in page and "更正" in page and "data/field-notes/latest/" in page


def test_bulk_download_holds_every_current_csv_with_an_index(builds: dict[str, Path]) -> None:
    out = builds["second"]
    with zipfile.ZipFile(out / "data/all-latest.zip") as archive:
        assert archive.namelist() == ["index.csv", "air-mini/air-hourly.csv", "field-notes/notes.csv"]
        index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
        for row in index:
            data = archive.read(row["file"])
            assert data == _local(out, row["url"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert {(r["dataset"], r["version"]) for r in index} == {("air-mini", "1"), ("field-notes", "2")}


def test_every_release_lists_checksums_of_all_its_files(builds: dict[str, Path]) -> None:
    for folder in builds["second"].glob("data/*/*"):
        if not folder.is_dir():
            continue
        lines = (folder / "SHA256SUMS").read_text(encoding="ascii").splitlines()
        listed = {}
        for line in lines:
            digest, name = line.split("  ", 1)
            listed[name] = digest
        assert set(listed) == {p.name for p in folder.iterdir()} - {"SHA256SUMS"}
        for name, digest in listed.items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


def test_two_builds_are_byte_identical_zips_included(builds: dict[str, Path]) -> None:
    def snapshot(out: Path) -> dict[str, bytes]:
        files = [*out.glob("data/**/*"), out / "catalog.jsonld", out / "data.json"]
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(files) if p.is_file()}

    first, again = snapshot(builds["second"]), snapshot(builds["again"])
    assert first.keys() == again.keys()
    assert [k for k in first if first[k] != again[k]] == []
    with zipfile.ZipFile(builds["second"] / "data/field-notes/1/field-notes.zip") as archive:
        assert {i.date_time for i in archive.infolist()} == {(2025, 1, 2, 18, 0, 0)}
        assert archive.namelist() == sorted(archive.namelist())


def test_a_published_file_is_served_unchanged_whatever_writes_the_formats_later(
        approved_portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A library upgrade (or a new XLSX writer) must not change files already published: the
    build archives what a publication recorded and serves those bytes ever after."""
    from publisher import opendata
    from publisher.site import BuildError
    from publisher.verify import verify_file
    from publisher.workflow import archive_path

    now = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)
    build_site(approved_portal, now=now)
    folder = approved_portal / "output" / "data" / "air-mini" / "1"
    before = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    monkeypatch.setattr(opendata, "_xlsx_columns", lambda fields, columns, missing: [["another writer"] * len(c)
                                                                                     for c in columns])
    monkeypatch.setattr(opendata, "_typed_array", lambda f, cells, missing, tz: pa.nulls(len(cells),
                                                                                      opendata._arrow_type(f, tz)))
    (approved_portal / "output" / "index.html").unlink()  # so the site is built, not kept as it is
    build_site(approved_portal, now=now)
    assert {p.name: p.read_bytes() for p in sorted(folder.iterdir())} == before
    assert verify_file(folder / "air-hourly.xlsx", approved_portal / "output").ok

    sha = hashlib.sha256(before["air-hourly.xlsx"]).hexdigest()
    archive_path(approved_portal, sha).write_bytes(b"tampered")
    with pytest.raises(BuildError, match="corrupted"):  # made from the archive: its copy is checked
        build_site(approved_portal, now=now, use_cache=False)
    assert {p.name: p.read_bytes() for p in sorted(folder.iterdir())} == before  # the site is untouched
    (approved_portal / "output" / "index.html").unlink()  # so the site is built, not kept as it is
    result = build_site(approved_portal, now=now)  # the cache's copy, checked against the same recorded SHA-256
    assert result.reused["open data"].split("/")[0] == result.reused["open data"].split("/")[1]
    assert {p.name: p.read_bytes() for p in sorted(folder.iterdir())} == before
