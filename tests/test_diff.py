"""The diff a press officer reviews: current files against the newest approved version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from publisher.diff import column_stats, item_diff

CSV = "content/datasets/air-mini/air_hourly.csv"
ROW_3 = b"aq-east,2025-01-01T01:00:00+08:00,8.2,40.1,0.61,53.0,75.7,47.3\n"
ROW_5 = b"aq-east,2025-01-01T03:00:00+08:00,10.5,49.0,0.83,51.9,71.2,44.5\n"
NEW_ROW = b"aq-east,2025-01-03T00:00:00+08:00,9.0,40.0,0.70,50.0,70.0,45.0\n"


def change_dataset(project: Path) -> None:
    """One value changed (pm25 47.3 → 48.0), one row removed, one added, and the status revised."""
    csv = project / CSV
    data = csv.read_bytes()
    assert ROW_3 in data and ROW_5 in data
    data = data.replace(ROW_3, ROW_3.replace(b",47.3\n", b",48.0\n")).replace(ROW_5, b"") + NEW_ROW
    csv.write_bytes(data)
    meta = project / "content/datasets/air-mini/dataset.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("status: verified", "status: preliminary"),
                    encoding="utf-8")


def test_an_item_never_approved_is_all_new(portal: Path) -> None:
    diff = item_diff(portal, "air-mini")
    assert diff.previous_version is None
    [resource] = diff.resources
    assert resource.status == "added"
    assert resource.counts == {"added": 96, "removed": 0, "changed": 0, "unchanged": 0}


def test_an_unchanged_item_has_no_differences(approved_portal: Path) -> None:
    diff = item_diff(approved_portal, "air-mini")
    assert diff.previous_version == 1 and diff.unchanged
    assert diff.metadata == [] and diff.resources[0].status == "unchanged"
    assert diff.resources[0].counts == {"added": 0, "removed": 0, "changed": 0, "unchanged": 96}


def test_dataset_diff_counts_changed_values_stats_and_metadata(approved_portal: Path) -> None:
    change_dataset(approved_portal)
    diff = item_diff(approved_portal, "air-mini")
    [resource] = diff.resources
    assert resource.status == "changed"
    assert resource.counts == {"added": 1, "removed": 1, "changed": 1, "unchanged": 94}
    [row] = resource.changed
    assert row.key == {"station_id": "aq-east", "time": "2025-01-01T01:00:00+08:00"}
    assert row.changes == {"pm25": ("47.3", "48.0")} and row.line == 3
    assert resource.added[0]["time"] == "2025-01-03T00:00:00+08:00"
    assert resource.removed[0]["time"] == "2025-01-01T03:00:00+08:00"
    pm25 = next(s for s in resource.stats if s.column == "pm25")
    assert pm25.unit == "μg/m³" and pm25.before["count"] == pm25.after["count"] == 96
    assert pm25.before["mean"] != pm25.after["mean"]
    assert [(m.key, m.old, m.new) for m in diff.metadata] == [("status", "verified", "preliminary")]
    text = diff.to_text()
    assert "pm25: 47.3 → 48.0" in text and "status: \"verified\" → \"preliminary\"" in text


def test_bulletin_diff_is_a_unified_diff_of_the_markdown(approved_portal: Path) -> None:
    md = approved_portal / "content/bulletins/air-2025-01.md"
    md.write_text(md.read_text(encoding="utf-8").replace("全市空气质量总体良好", "全市空气质量总体较好"),
                  encoding="utf-8")
    diff = item_diff(approved_portal, "air-2025-01")
    assert diff.kind == "bulletin" and list(diff.text) == ["air-2025-01.md"]
    lines = diff.text["air-2025-01.md"]
    assert "-1月1日至2日，全市空气质量总体良好。" in lines
    assert "+1月1日至2日，全市空气质量总体较好。" in lines
    assert any(line.startswith("@@") for line in lines)


def test_column_stats_skip_missing_values() -> None:
    assert column_stats(["1", "3", "", "NA"], {"", "NA"}) == {"count": 2, "missing": 2, "min": 1, "max": 3, "mean": 2}


def test_diff_command_prints_text_and_json(approved_portal: Path) -> None:
    change_dataset(approved_portal)
    run = [sys.executable, "-m", "publisher.cli", "--project", str(approved_portal), "diff", "air-mini"]
    text = subprocess.run(run, capture_output=True, text=True)
    assert text.returncode == 0 and "pm25: 47.3 → 48.0" in text.stdout
    data = json.loads(subprocess.run([*run, "--format", "json"], capture_output=True, text=True).stdout)
    assert data["resources"][0]["counts"]["changed"] == 1
    assert data["resources"][0]["changed"][0]["changes"]["pm25"] == {"old": "47.3", "new": "48.0"}
    missing = subprocess.run([*run[:-1], "no-such-item"], capture_output=True, text=True)
    assert missing.returncode == 1 and "no item named no-such-item" in missing.stderr
