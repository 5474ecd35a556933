"""Attacks on "an approval means what it says": what a reviewer is shown and what is signed.

The department owns its working copy (``content/``) and may change it at any moment, also while an
officer's page is being computed or between two commands. Each test is one attack; each asserts
that what the officer saw (diff, findings, preview, digest) and what was signed name the same
archived bytes of one submission. The console is the real Flask app (test client); the CLI runs
as a subprocess; the keys are the demo keys the fixture's rules list.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from publisher import diff as diff_module
from publisher import keys, review
from publisher.diff import item_diff
from publisher.review import create_app
from publisher.workflow import WorkflowError, approve, item_states, open_log, submit

REVIEWER, PRESS, OFFICER = "zhang-min", "li-hua", "data-officer"
ITEM = "air-mini"
ROW = b"aq-east,2025-01-01T00:00:00+08:00,8.6,43.0,0.63,56.1,74.4,46.5"
HOSTILE_ROW = b"aq-east,2025-01-01T00:00:00+08:00,8.6,43.0,0.63,56.1,74.4,4.5"  # PM2.5 46.5 hidden as 4.5
BENIGN_ROW = b"aq-east,2025-01-01T00:00:00+08:00,8.7,43.0,0.63,56.1,74.4,46.5"  # SO2 8.6 → 8.7


def csv_path(project: Path) -> Path:
    return project / "content" / "datasets" / ITEM / "air_hourly.csv"


def versions(project: Path) -> tuple[bytes, bytes]:
    """(hostile, benign) bytes of the dataset's CSV, each one value away from the approved one."""
    data = csv_path(project).read_bytes()
    assert data.count(ROW) == 1
    return data.replace(ROW, HOSTILE_ROW), data.replace(ROW, BENIGN_ROW)


def digest_of(project: Path) -> str:
    [state], _ = item_states(project, items=[ITEM])
    return state.digest


@pytest.fixture
def project(approved_portal: Path) -> Path:
    """The approved fixture portal with the officers' and the department's demo keys in var/keys."""
    folder = approved_portal / "var" / "keys"
    folder.mkdir(parents=True, exist_ok=True)
    for user in (PRESS,):
        pem = keys.demo_key(user).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.BestAvailableEncryption(b"demo-pass"))
        keys.write_private_key(folder / f"{user}.key", pem)
    return approved_portal


def console(project: Path):
    client = create_app(project).test_client()
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    client.post("/unlock", data={"csrf": token, "user": PRESS, "passphrase": "demo-pass"})
    return client


def field(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_a_csv_swapped_while_the_page_reads_it_shows_and_signs_the_same_bytes(project: Path, monkeypatch) -> None:
    hostile, benign = versions(project)
    csv_path(project).write_bytes(hostile)
    [entry] = submit(project, ITEM, OFFICER, keys.demo_key(OFFICER))
    submitted = entry.details["digest"]
    working = (project / "content").resolve()
    real_read_rows = diff_module._read_rows

    def swapped_read(path):
        # the department, watching its folder, puts the benign bytes in place just while the
        # diff's rows are read from the working copy, and the hostile ones back right after
        if path is not None and Path(path).resolve().is_relative_to(working):
            csv_path(project).write_bytes(benign)
            try:
                return real_read_rows(path)
            finally:
                csv_path(project).write_bytes(hostile)
        return real_read_rows(path)

    monkeypatch.setattr(diff_module, "_read_rows", swapped_read)
    client = console(project)
    html = client.get(f"/items/{ITEM}").get_data(as_text=True)
    shown = re.findall(r'<span class="change">(.*?)</span>', html)
    assert field(html, "digest") == submitted
    assert shown == ["pm25: <del>46.5</del> → <ins>4.5</ins>"]  # the hostile change is what is shown
    response = client.post(f"/items/{ITEM}/approve", data={"csrf": field(html, "csrf"), "digest": field(html, "digest"),
                                                            "ack": re.findall(r'name="ack" value="([^"]+)"', html),
                                                            "note": "核对 / checked"})
    assert response.status_code == 303
    with open_log(project) as log:
        approval = log.entries(ITEM)[-1]
    assert approval.event == "approval" and approval.details["digest"] == submitted


def test_a_preview_built_while_the_working_copy_is_swapped_shows_the_submitted_bytes(project: Path,
                                                                                      monkeypatch) -> None:
    hostile, benign = versions(project)
    csv_path(project).write_bytes(hostile)
    [entry] = submit(project, ITEM, OFFICER, keys.demo_key(OFFICER))
    submitted = entry.details["digest"]
    real_build = review.build_preview

    def build_during_swap(*args, **kwargs):
        csv_path(project).write_bytes(benign)  # the department swaps while the preview is built
        try:
            return real_build(*args, **kwargs)
        finally:
            csv_path(project).write_bytes(hostile)

    monkeypatch.setattr(review, "build_preview", build_during_swap)
    client = console(project)
    html = client.get(f"/items/{ITEM}").get_data(as_text=True)
    assert client.get(f"/items/{ITEM}/preview/?digest={field(html, 'digest')}").status_code == 303
    [folder] = [p for p in (project / "var" / "previews").iterdir() if p.name.startswith(f"{ITEM}-")]
    published = (folder / "data" / ITEM / "latest" / "air-hourly.csv").read_bytes()
    assert HOSTILE_ROW.replace(b"+08:00", b"") in published or HOSTILE_ROW in published, published[:300]
    assert BENIGN_ROW not in published and BENIGN_ROW.replace(b"+08:00", b"") not in published
    assert folder.name == f"{ITEM}-{submitted}"  # named by the digest whose bytes it shows


def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher.cli", "--project", str(project), *args],
                          capture_output=True, text=True)


def test_the_cli_never_approves_bytes_swapped_in_after_the_diff(project: Path) -> None:
    hostile, benign = versions(project)
    key_files = {}
    for user in (REVIEWER, PRESS):  # unencrypted keys for the CLI
        pem = keys.demo_key(user).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())
        key_files[user] = project.parent / f"{user}.key"
        keys.write_private_key(key_files[user], pem)
    csv_path(project).write_bytes(hostile)
    [y] = submit(project, ITEM, OFFICER, keys.demo_key(OFFICER))  # both versions validly submitted
    csv_path(project).write_bytes(benign)
    [x] = submit(project, ITEM, OFFICER, keys.demo_key(OFFICER))
    reviewed, swapped = x.details["digest"], y.details["digest"]
    for user in (REVIEWER, PRESS):
        shown = cli(project, "diff", ITEM)
        assert shown.returncode == 0 and reviewed in shown.stdout and "so2: 8.6 → 8.7" in shown.stdout
        csv_path(project).write_bytes(hostile)  # the department swaps between the two commands
        refused = cli(project, "approve", ITEM, "--as", user, "--key", str(key_files[user]), "--ack-warnings", "--note", "更正 / corrected",
                      "--digest", swapped[:12])
        assert refused.returncode == 1 and reviewed[:12] in refused.stderr  # the hostile one is not open
        signed = cli(project, "approve", ITEM, "--as", user, "--key", str(key_files[user]), "--ack-warnings", "--note", "更正 / corrected",
                     "--digest", reviewed[:12])
        assert signed.returncode == 0, signed.stderr
        assert reviewed in signed.stdout
    with open_log(project) as log:
        approvals = [e for e in log.entries(ITEM) if e.event == "approval"][-2:]
    assert [a.details["digest"] for a in approvals] == [reviewed, reviewed]
    [state], _ = item_states(project, items=[ITEM])
    assert state.versions[-1].digest == reviewed and all(v.digest != swapped for v in state.versions)


def test_approving_without_a_digest_signs_the_submission_not_the_working_copy(project: Path) -> None:
    hostile, benign = versions(project)
    csv_path(project).write_bytes(benign)
    [x] = submit(project, ITEM, OFFICER, keys.demo_key(OFFICER))
    csv_path(project).write_bytes(hostile)  # changed after submitting, never submitted
    [a] = approve(project, ITEM, REVIEWER, keys.demo_key(REVIEWER), ack_warnings=True, note="更正 / corrected")
    assert a.details["digest"] == x.details["digest"] != digest_of(project)
    with pytest.raises(WorkflowError, match="not the"):
        approve(project, ITEM, PRESS, keys.demo_key(PRESS), ack_warnings=True, note="x",
                expected_digest=digest_of(project))


def test_a_literal_dotted_key_cannot_hide_a_title_change_in_the_diff(project: Path) -> None:
    meta = project / "content" / "datasets" / ITEM / "dataset.yaml"
    text = meta.read_text(encoding="utf-8")
    old = "title: {zh: 测试市环境空气小时数据, en: Test city hourly air quality}\n"
    assert text.count(old) == 1
    meta.write_text(text.replace(old, "title: {zh: 已停止监测, en: Test city hourly air quality}\n"
                                      "\"title.zh\": 测试市环境空气小时数据\n"), encoding="utf-8")
    submit(project, ITEM, OFFICER, keys.demo_key(OFFICER))
    changes = {m.key: (m.old, m.new) for m in item_diff(project, ITEM).metadata}
    assert changes["title.zh"] == ("测试市环境空气小时数据", "已停止监测")
    assert changes['["title.zh"]'] == (None, "测试市环境空气小时数据")


def test_rows_beyond_the_listed_ones_are_announced_on_the_page_and_in_the_cli_text(project: Path,
                                                                                   monkeypatch) -> None:
    monkeypatch.setattr(diff_module, "MAX_LISTED_ROWS", 10)  # the fixture has 96 rows, the product lists 200
    lines = csv_path(project).read_bytes().split(b"\n")
    for i in range(1, 13):  # 12 cosmetic changes push the 13th off the list
        cells = lines[i].split(b",")
        cells[2] = b"%.1f" % (float(cells[2]) + 0.1)
        lines[i] = b",".join(cells)
    csv_path(project).write_bytes(b"\n".join(lines))
    submit(project, ITEM, OFFICER, keys.demo_key(OFFICER))
    text = item_diff(project, ITEM).to_text()
    assert "修改：还有 2 行未列出（共 12 行） / 2 more changed rows not listed (12 in all)" in text
    html = console(project).get(f"/items/{ITEM}").get_data(as_text=True)
    assert "修改：还有 2 行未列出（共 12 行）" in html or "2 more changed rows not listed (12 in all)" in html
