"""Publishing only what was approved: leak tests, withdrawals, corrections, crashes, verification.

Each kind of item that must not be public carries a unique marker in its text and data; after a
build, no file under output/ may contain it — not a page, feed, sitemap, search index fragment,
zip member, log entry or file name.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import approve_items
from publisher.audit import verify_exported
from publisher.keys import demo_key
from publisher.site import build_site
from publisher.workflow import approve, item_states, reject, submit, withdraw

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=TZ)

DATASET = """\
id: {id}
title: {{zh: {title}, en: Marker dataset}}
description: {{zh: 含有标记 {marker} 的测试数据。, en: Test data carrying {marker}.}}
category: air_quality
department: sthjj
area: {{code: "990100", name: 示范市}}
classification: {classification}
license: CC-BY-4.0
update_frequency: daily
temporal: {{start: 2025-01-01, end: 2025-01-02}}
spatial: {{description: {{zh: 全市, en: Whole city}}}}
status: verified
{extra}resources:
  - name: daily
    path: daily.csv
    title: {{zh: 日均值, en: Daily means}}
    schema:
      primary_key: [station_id, date]
      fields:
        - {{name: station_id, type: string, title: {{zh: 站点, en: Station}}, references: air_stations}}
        - {{name: date, type: date, title: {{zh: 日期, en: Date}}}}
        - {{name: pm25, type: number, unit: μg/m³, parameter: pm25, title: {{zh: 细颗粒物, en: PM2.5}}}}
        - {{name: remark, type: string, title: {{zh: 备注 {marker}, en: Remark}}}}
"""


def add_dataset(project: Path, item: str, marker: str, classification: str = "public", extra: str = "",
                title: str | None = None) -> Path:
    folder = project / "content" / "datasets" / item
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(
        DATASET.format(id=item, marker=marker, classification=classification, extra=extra,
                       title=title or f"标记数据集 {marker}"), encoding="utf-8")
    (folder / "daily.csv").write_text(
        f"station_id,date,pm25,remark\naq-east,2025-01-01,31.5,{marker}\naq-west,2025-01-01,28.0,{marker}\n",
        encoding="utf-8")
    return folder


def add_bulletin(project: Path, item: str, marker: str, extra: str = "") -> Path:
    path = project / "content" / "bulletins" / f"{item}.md"
    path.write_text(
        f"---\ntitle: 标记公报 {marker}\ndate: 2025-01-08T10:00:00+08:00\ndepartment: sthjj\n"
        f"category: air_quality\nclassification: public\n{extra}---\n\n## 正文\n\n{marker} 的正文。\n",
        encoding="utf-8")
    return path


def approve_one(project: Path, item: str, users: tuple[str, ...] = ("zhang-min", "li-hua"), **options) -> None:
    submit(project, item, "data-officer", demo_key("data-officer"))
    for user in users:
        approve(project, item, user, demo_key(user), ack_warnings=True, **options)


def searchable(path: Path) -> list[tuple[str, bytes]]:
    """The bytes of a file as a reader could get them: zip members and gzip streams opened."""
    data = path.read_bytes()
    parts = [(path.name, data)]
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts += [(f"{path.name}:{name}", archive.read(name)) for name in archive.namelist()]
            parts += [(name, name.encode()) for name in archive.namelist()]
    elif data[:2] == b"\x1f\x8b":
        parts.append((f"{path.name} (gunzip)", gzip.decompress(data)))
    return parts


def leaks(output: Path, marker: str) -> list[str]:
    found = []
    for path in output.rglob("*"):
        if marker in path.relative_to(output).as_posix():
            found.append(path.relative_to(output).as_posix())
        if path.is_file():
            found += [f"{path.relative_to(output)} ({name})" for name, data in searchable(path)
                      if marker.encode() in data]
    return found


@pytest.fixture(scope="module")
def leak_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A portal with one item of every kind that must stay unpublished, built twice."""
    from conftest import FIXTURE_PORTAL

    project = tmp_path_factory.mktemp("leaks") / "portal"
    shutil.copytree(FIXTURE_PORTAL, project)
    approve_items(project)
    add_dataset(project, "leak-draft", "LEAK-DRAFT-1a")  # never submitted
    add_dataset(project, "leak-awaiting", "LEAK-AWAIT-2b")
    approve_one(project, "leak-awaiting", ("zhang-min",))  # the press office has not approved
    add_bulletin(project, "leak-rejected", "LEAK-REJECT-3c")
    submit(project, "leak-rejected", "data-officer", demo_key("data-officer"))
    reject(project, "leak-rejected", "li-hua", demo_key("li-hua"), "措辞不当 / wording")
    # the release calendar shows an embargoed item's title and date, so the marker is elsewhere
    add_dataset(project, "leak-embargoed", "LEAK-EMBARGO-4d", extra="release_at: 2099-01-01T09:00:00+08:00\n",
                title="二〇九九年例行发布")
    approve_one(project, "leak-embargoed")
    add_dataset(project, "leak-internal", "LEAK-SECRET-5e", classification="internal")
    add_dataset(project, "leak-withdrawn", "LEAK-WITHDRAWN-6f")
    approve_one(project, "leak-withdrawn")
    add_bulletin(project, "leak-failing", "LEAK-FAILING-7g 手机 13812345678")
    # modified since approval: the approved bytes stay published, the new ones must not appear
    folder = add_dataset(project, "leak-modified", "LEAK-OLD-8h")
    approve_one(project, "leak-modified")
    build_site(project, now=NOW)
    first = project / "output-first"
    shutil.copytree(project / "output", first)
    withdraw(project, "leak-withdrawn", "li-hua", demo_key("li-hua"), "数据有误，撤回核实 / under review")
    csv = folder / "daily.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("LEAK-OLD-8h", "LEAK-NEW-9i"), encoding="utf-8")
    build_site(project, now=NOW)
    return {"project": project, "first": first, "output": project / "output"}


@pytest.mark.parametrize("marker", ["LEAK-DRAFT-1a", "LEAK-AWAIT-2b", "LEAK-REJECT-3c", "LEAK-EMBARGO-4d",
                                    "LEAK-SECRET-5e", "LEAK-WITHDRAWN-6f", "LEAK-FAILING-7g", "LEAK-NEW-9i"])
def test_no_unpublished_marker_anywhere_in_the_output(leak_site: dict[str, Path], marker: str) -> None:
    found = leaks(leak_site["output"], marker)
    if marker == "LEAK-WITHDRAWN-6f":
        # the withdrawal notice and the release log name what was withdrawn (its title); no page,
        # file, feed or search entry carries its content
        found = [hit for hit in found if not hit.startswith(("datasets/leak-withdrawn/index.html",
                                                             "en/datasets/leak-withdrawn/index.html",
                                                             "releases.html", "en/releases.html"))]
    assert found == []


@pytest.mark.parametrize("item", ["leak-draft", "leak-awaiting", "leak-rejected", "leak-embargoed",
                                  "leak-internal", "leak-failing"])
def test_no_unpublished_id_anywhere_in_the_output(leak_site: dict[str, Path], item: str) -> None:
    assert leaks(leak_site["output"], item) == []


def test_the_markers_are_found_where_they_are_published(leak_site: dict[str, Path]) -> None:
    # the search reaches zip members and gzip streams, so a clean result above means something
    assert leaks(leak_site["first"], "LEAK-WITHDRAWN-6f")
    assert any(".zip:" in hit for hit in leaks(leak_site["output"], "LEAK-OLD-8h"))


def test_withdrawn_item_leaves_a_notice_with_the_reason(leak_site: dict[str, Path]) -> None:
    out = leak_site["output"]
    page = (out / "datasets/leak-withdrawn/index.html").read_text(encoding="utf-8")
    assert "本条目已撤回" in page and "数据有误，撤回核实" in page
    assert not (out / "data/leak-withdrawn").exists()  # no stale files
    assert leak_site["first"].joinpath("data/leak-withdrawn/1/daily.csv").is_file()


def test_modified_item_keeps_its_approved_version_published(leak_site: dict[str, Path]) -> None:
    out = leak_site["output"]
    assert "LEAK-OLD-8h" in (out / "data/leak-modified/latest/daily.csv").read_text(encoding="utf-8")
    states = {s.item: s.state for s in item_states(leak_site["project"], now=NOW)[0]}
    assert states["leak-modified"] == "modified"
    assert states["leak-withdrawn"] == "withdrawn"
    assert states["leak-embargoed"] == "scheduled"
    assert states["air-mini"] == "published"
    assert states["leak-awaiting"] == "awaiting" and states["leak-rejected"] == "rejected"
    assert states["leak-draft"] == "draft" and states["leak-failing"] == "failing"


def test_calendar_lists_the_embargoed_release_by_title_and_date_only(leak_site: dict[str, Path]) -> None:
    page = (leak_site["output"] / "calendar.html").read_text(encoding="utf-8")
    assert "二〇九九年例行发布" in page and "2099" in page
    assert "leak-embargoed" not in page


def test_published_log_verifies_with_unpublished_entries_withheld(leak_site: dict[str, Path]) -> None:
    out = leak_site["output"]
    vkey = (out / "log/vkey").read_text(encoding="utf-8")
    assert verify_exported(out, vkey).ok
    lines = (out / "log/entries.jsonl").read_text(encoding="utf-8").splitlines()
    assert any('"redacted":true' in line for line in lines)
    # a withheld entry can be neither altered nor dropped unnoticed
    tampered = [line.replace('"leaf_hash":"', '"leaf_hash":"0', 1)[:-2] + line[-2:] if '"redacted"' in line else line
                for line in lines]
    (out / "log/entries.jsonl").write_text("\n".join(tampered) + "\n", encoding="utf-8")
    try:
        assert not verify_exported(out, vkey).ok
    finally:
        (out / "log/entries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher.cli", *args], capture_output=True, text=True)


def test_verify_a_download_as_a_journalist(leak_site: dict[str, Path], tmp_path: Path) -> None:
    out = leak_site["output"]
    download = tmp_path / "daily.csv"
    shutil.copyfile(out / "data/leak-modified/1/daily.excel.csv", download)
    result = run_cli("verify", str(download), "--site", str(out), "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["item"] == "leak-modified" and verdict["version"] == 1
    assert [a["role"] for a in verdict["approvals"]] == ["reviewer:sthjj", "press-office"]
    text = run_cli("verify", str(download), "--site", str(out))
    assert "文件与已发布版本一致" in text.stdout
    download.write_bytes(download.read_bytes().replace(b"31.5", b"13.5"))
    changed = run_cli("verify", str(download), "--site", str(out))
    assert changed.returncode == 1 and "never published" in changed.stdout


def test_verify_with_a_saved_checkpoint_proves_the_log_only_grew(leak_site: dict[str, Path], tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint"
    shutil.copyfile(leak_site["first"] / "log/checkpoint", saved)
    download = leak_site["output"] / "data/air-mini/1/air-hourly.csv"
    ok = run_cli("verify", str(download), "--site", str(leak_site["output"]), "--checkpoint", str(saved))
    assert ok.returncode == 0, ok.stdout
    # a site whose log was rewritten is not consistent with what the reader saved
    forged = tmp_path / "forged"
    shutil.copytree(leak_site["output"], forged)
    lines = (forged / "log/entries.jsonl").read_bytes().split(b"\n")
    lines[0] = lines[0].replace(b"data-officer", b"data-offic3r")
    (forged / "log/entries.jsonl").write_bytes(b"\n".join(lines))
    bad = run_cli("verify", str(download), "--site", str(forged), "--checkpoint", str(saved))
    assert bad.returncode == 1


def test_superseded_version_is_reported(approved_portal: Path, tmp_path: Path) -> None:
    csv = approved_portal / "content/datasets/air-mini/air_hourly.csv"
    build_site(approved_portal, now=NOW)
    old = tmp_path / "old.csv"
    shutil.copyfile(approved_portal / "output/data/air-mini/1/air-hourly.csv", old)
    csv.write_bytes(csv.read_bytes().replace(b",30.1\n", b",31.1\n", 1))
    approve_one(approved_portal, "air-mini", note="更正一个小时值 / corrected one hourly value", reason="correction")
    build_site(approved_portal, now=NOW)
    result = run_cli("verify", str(old), "--site", str(approved_portal / "output"), "--format", "json")
    assert json.loads(result.stdout)["superseded_by"] == 2
    assert (approved_portal / "output/data/air-mini/1/air-hourly.csv").read_bytes() == old.read_bytes()
    feed = (approved_portal / "output/feeds/corrections.atom.xml").read_text(encoding="utf-8")
    assert "更正一个小时值" in feed


STAGES = ["release_tree", "check_content", "plan_open_data", "_record_publications", "_run_pelican",
          "export_open_data", "_export_log", "write_sitemap", "_verify", "_swap_in"]


@pytest.mark.parametrize("stage", STAGES)
def test_a_build_killed_at_any_stage_leaves_the_old_site_intact(approved_portal: Path, stage: str) -> None:
    build_site(approved_portal, now=NOW)
    output = approved_portal / "output"
    before = {p.relative_to(output): p.read_bytes() for p in output.rglob("*") if p.is_file()}
    csv = approved_portal / "content/datasets/air-mini/air_hourly.csv"
    csv.write_bytes(csv.read_bytes().replace(b",30.1\n", b",31.1\n", 1))
    approve_one(approved_portal, "air-mini", note="更正 / corrected", reason="correction")
    script = (
        "import os, signal, sys\n"
        "from datetime import datetime\nfrom zoneinfo import ZoneInfo\n"
        "import publisher.site as site\n"
        f"def die(*args, **kwargs):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"setattr(site, {stage!r}, die)\n"
        f"site.build_site(sys.argv[1], now=datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo('Asia/Shanghai')))\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, str(approved_portal)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    after = {p.relative_to(output): p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert after == before
    build_site(approved_portal, now=NOW)  # the next build cleans up and publishes the correction
    assert not list(approved_portal.glob(".publisher-build-*"))
    assert (output / "data/air-mini/2").is_dir()


def test_release_log_page_comes_from_the_audit_log(leak_site: dict[str, Path]) -> None:
    out = leak_site["output"]
    page = (out / "releases.html").read_text(encoding="utf-8")
    assert "新闻办公室" in page and "审核：示范市生态环境局" in page  # the roles that approved
    assert '/log/proofs/air-mini-v1.json"' in page and (out / "log/proofs/air-mini-v1.json").is_file()
    assert "撤回" in page  # the withdrawal is on record
    english = (out / "en/releases.html").read_text(encoding="utf-8")
    assert "Press office" in english and "Withdrawn" in english
