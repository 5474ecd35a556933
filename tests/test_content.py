"""Content loading: the documented findings, with file, key and row, in both languages."""

from __future__ import annotations

import shutil
from pathlib import Path

from publisher.content import load_content


def rules_of(root: Path) -> list[tuple[str, str | None, str | None]]:
    return [(f.rule, f.file, f.key) for f in load_content(root).findings]


def test_fixture_portal_loads_cleanly(portal: Path) -> None:
    content = load_content(portal)
    assert content.findings == []
    assert set(content.datasets) == {"air-mini"}
    assert set(content.bulletins) == {"air-2025-01", "embargoed-note"}
    ds = content.datasets["air-mini"]
    assert ds.title.get("en") == "Test city hourly air quality"
    assert ds.resources[0].field("co").unit == "mg/m³"
    b = content.bulletins["air-2025-01"]
    assert b.title.get("en") == "Air quality in early January 2025"
    assert b.charts == ["air-mini/pm25-hourly"]
    assert b.date.utcoffset().total_seconds() == 8 * 3600


def test_missing_required_field_names_file_and_key(portal: Path) -> None:
    meta = portal / "content/datasets/air-mini/dataset.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("license: CC-BY-4.0\n", ""), encoding="utf-8")
    [finding] = load_content(portal).findings
    assert (finding.rule, finding.file, finding.key) == (
        "metadata-field-missing", "content/datasets/air-mini/dataset.yaml", "license")
    assert finding.message_zh == "缺少必填项 'license'"
    assert finding.message_en == "required key 'license' is missing"


def test_data_file_that_does_not_exist(portal: Path) -> None:
    (portal / "content/datasets/air-mini/air_hourly.csv").unlink()
    assert ("resource-file-missing", "content/datasets/air-mini/dataset.yaml", "resources[0].path") in rules_of(portal)


def test_bad_item_id(portal: Path) -> None:
    shutil.move(portal / "content/datasets/air-mini", portal / "content/datasets/空气 Data")
    findings = load_content(portal).findings
    [finding] = [f for f in findings if f.rule == "item-id-invalid"]
    # the bulletin citing the dataset by its id is told so too
    assert {f.rule for f in findings} == {"item-id-invalid", "dataset-reference-invalid", "chart-reference-invalid"}
    assert finding.rule == "item-id-invalid"
    assert finding.file == "content/datasets/空气 Data"
    assert "小写英文字母" in finding.message_zh


def test_missing_dataset_yaml(portal: Path) -> None:
    (portal / "content/datasets/air-mini/dataset.yaml").unlink()
    assert ("metadata-missing", "content/datasets/air-mini", None) in rules_of(portal)


def test_unknown_key_warns_and_naive_embargo_errors(portal: Path) -> None:
    meta = portal / "content/datasets/air-mini/dataset.yaml"
    text = meta.read_text(encoding="utf-8") + "licence: CC-BY-4.0\nrelease_at: 2026-01-05T09:00:00\n"
    meta.write_text(text, encoding="utf-8")
    findings = {f.rule: f for f in load_content(portal).findings}
    assert findings["metadata-field-unknown"].severity.value == "warning"
    assert findings["time-without-offset"].key == "release_at"


def test_bulletin_without_front_matter_and_bad_chart(portal: Path) -> None:
    (portal / "content/bulletins/plain.md").write_text("# 没有前言\n", encoding="utf-8")
    b = portal / "content/bulletins/air-2025-01.md"
    b.write_text(b.read_text(encoding="utf-8").replace("air-mini/pm25-hourly]", "air-mini/nope]"), encoding="utf-8")
    got = rules_of(portal)
    assert ("metadata-missing", "content/bulletins/plain.md", None) in got
    assert ("chart-reference-invalid", "content/bulletins/air-2025-01.md", "charts") in got


def test_yaml_error_names_the_line(portal: Path) -> None:
    meta = portal / "content/datasets/air-mini/dataset.yaml"
    meta.write_text("id: air-mini\ntitle: [unclosed\n", encoding="utf-8")
    finding = next(f for f in load_content(portal).findings if f.rule == "yaml-invalid")
    assert finding.file == "content/datasets/air-mini/dataset.yaml" and finding.row == 3


def test_column_names_are_identifiers_and_missing_tokens_are_safe(portal: Path) -> None:
    meta = portal / "content/datasets/air-mini/dataset.yaml"
    text = meta.read_text(encoding="utf-8").replace("{name: so2,", '{name: "SO2 ",').replace(
        "    schema:\n", '    schema:\n      missing_values: ["", NA, "—", "N\\nA", "-", "x"]\n'.replace(
            '"x"', '"' + "x" * 33 + '"'))
    meta.write_text(text, encoding="utf-8")
    found = [(f.rule, f.key, f.column) for f in load_content(portal).findings]
    assert found == [
        ("column-name-invalid", "resources[0].schema.fields[2].name", "SO2 "),
        ("missing-value-invalid", "resources[0].schema.missing_values[3]", None),
        ("missing-value-invalid", "resources[0].schema.missing_values[4]", None),
        ("missing-value-invalid", "resources[0].schema.missing_values[5]", None),
        ("chart-reference-invalid", "charts[1]", "so2"),  # the chart names the column as it was
    ]
    first = load_content(portal).findings[0]
    assert first.message_zh.startswith("列名 'SO2 ' 无效") and "lower-case ASCII" in first.message_en
