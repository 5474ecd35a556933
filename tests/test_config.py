"""release_rules.yaml: validated against its schema, every problem named by its dotted key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from publisher.config import ConfigError, area_contains, load_rules

HOSTILE = Path(__file__).parent / "hostile" / "yaml"
ROOT = Path(__file__).resolve().parent.parent


def load(tmp_path: Path, name: str):
    shutil.copy(HOSTILE / name, tmp_path / "release_rules.yaml")
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path)
    return caught.value.findings


def test_the_worked_example_loads_cleanly():
    rules = load_rules(ROOT)
    assert [f.line() for f in rules.findings if f.severity.value != "info"] == []
    assert rules.site.city_code == "990100"
    assert rules.departments["ent-hongda-power"].credit_code == "91990121MA1234J68F"
    assert rules.permissions["ecology"].publishers == ["lyj"]
    assert rules.parameters["pm25"].units == ["μg/m³"]
    assert {v.period for v in rules.validity} == {"day", "month", "year"}
    assert rules.privacy.sensitive_columns in ("drop", "block")


def test_a_minimal_rules_file_takes_the_defaults(tmp_path):
    (tmp_path / "release_rules.yaml").write_text(
        "site: {name: 门户}\ndepartments:\n  sthjj: {name: 局, level: city, area: \"990100\"}\n", encoding="utf-8")
    rules = load_rules(tmp_path)
    assert rules.may_publish("sthjj", "air_quality")
    assert rules.approvals == {"default": ["reviewer-of-department", "press-office"]}
    assert "dB(A)" in rules.units and rules.max_findings_per_rule == 20


def test_every_bad_key_is_named_and_the_run_aborts_once(tmp_path):
    findings = load(tmp_path, "bad-schema.yaml")
    by_key = {(f.rule, f.key) for f in findings}
    expected = {
        ("rules-key-unknown", "colour"),
        ("rules-invalid", "departments.ent-x.credit_code"),
        ("rules-invalid", "approvers.a1.roles[0]"),
        ("rules-invalid", "permissions.air_quality.publishers[1]"),
        ("rules-invalid", "permissions.air_quality.publishers[2]"),
        ("rules-invalid", "permissions.pollution_source.publisher_levels[1]"),
        ("rules-invalid", "permissions.weather"),
        ("rules-invalid", "approvals.default[1]"),
        ("rules-invalid", "parameters.pm25.units[0]"),
        ("rules-invalid", "parameters.pm25.range"),
        ("rules-invalid", "validity.daily.period"),
        ("rules-invalid", "validity.daily.min_values"),
        ("rules-invalid", "validity.daily.clause"),
        ("rules-key-unknown", "quality.spikes"),
        ("rules-invalid", "quality.flatline.min_run"),
        ("rules-invalid", "privacy.sensitive_columns"),
    }
    assert expected <= by_key, sorted(expected - by_key)
    unknown_dept = next(f for f in findings if f.key == "permissions.air_quality.publishers[2]")
    assert unknown_dept.file == "release_rules.yaml"
    assert "release_rules.yaml, permissions.air_quality.publishers[2]" in unknown_dept.line()
    assert "unknown department 'xx'" in unknown_dept.message_en


@pytest.mark.parametrize("name,expected", [
    ("alias-bomb.yaml", [("yaml-invalid", 5)]),
    ("python-tag.yaml", [("yaml-invalid", 4)]),
    ("deep-nesting.yaml", [("yaml-invalid", 3)]),
    ("duplicate-key.yaml", [("yaml-duplicate-key", 5)]),
    ("ambiguous-values.yaml", [("yaml-ambiguous-value", 4), ("yaml-ambiguous-value", 6),
                               ("yaml-ambiguous-value", 8)]),
])
def test_hostile_yaml(tmp_path, name, expected):
    findings = load(tmp_path, name)
    got = sorted((f.rule, f.row) for f in findings if f.rule.startswith("yaml-"))
    assert got == expected
    assert all(f.file == "release_rules.yaml" for f in findings)


def test_missing_rules_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path)
    assert caught.value.findings[0].rule == "rules-file-missing"


def test_area_contains():
    assert area_contains("990100", "990121") and area_contains("990121", "990121")
    assert not area_contains("990121", "990122") and not area_contains("990100", "980121")


def test_warning_thresholds_are_validated(tmp_path):
    from publisher.config import ConfigError, load_rules

    text = (ROOT / "release_rules.yaml").read_text(encoding="utf-8")
    (tmp_path / "release_rules.yaml").write_text(
        text.replace("trend_p: 0.05", "trend_p: 5").replace("air_class: 2", "air_class: 3"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path)
    keys = {f.key for f in caught.value.findings}
    assert {"warnings.trend_p", "warnings.air_class"} <= keys


def test_submitters_are_validated_and_each_key_belongs_to_one_person(tmp_path):
    text = (ROOT / "release_rules.yaml").read_text(encoding="utf-8")
    zhang = load_rules(ROOT).approvers["zhang-min"].public_key
    bad = ("\nsubmitters:\n"
           "  s1: {name: 甲, department: nowhere, public_key: \"ed25519:AAAA\"}\n"
           "  s2: {name: 乙, public_key: 42, colour: red}\n"
           f"  s3: {{name: 丙, department: sthjj, public_key: \"{zhang}\"}}\n"
           f"  zhang-min: {{name: 张敏, department: sthjj, public_key: \"{zhang}\"}}\n")
    start = text.index("\nsubmitters:\n")
    end = text.index("\n# 发布权限")
    (tmp_path / "release_rules.yaml").write_text(text[:start] + bad + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path)
    by_key = {(f.rule, f.key) for f in caught.value.findings}
    assert {("rules-invalid", "submitters.s1.department"), ("rules-invalid", "submitters.s1.public_key"),
            ("rules-invalid", "submitters.s2.department"), ("rules-invalid", "submitters.s2.public_key"),
            ("rules-key-unknown", "submitters.s2.colour"),
            ("rules-invalid", "submitters.s3.public_key")} <= by_key, sorted(by_key)
    # the same person may submit and approve with one key; another id may not share it
    assert ("rules-invalid", "submitters.zhang-min.public_key") not in by_key
    shared = next(f for f in caught.value.findings if f.key == "submitters.s3.public_key")
    assert "listed for 'zhang-min' already" in shared.message_en


def test_the_worked_example_lists_every_demo_submitter_with_its_demo_key():
    import sys

    from publisher.keys import demo_key, public_key_text

    sys.path.insert(0, str(ROOT / "tools"))
    import demo_history

    rules = load_rules(ROOT)
    for user in demo_history.SUBMITTERS:
        assert rules.submitters[user].public_key == public_key_text(demo_key(user)), user


def test_the_aqi_method_is_chosen_per_portal_and_checked(tmp_path):
    assert load_rules(ROOT).aqi_method == "platform"
    minimal = "site: {name: 门户}\ndepartments:\n  sthjj: {name: 局, level: city, area: \"990100\"}\n"
    (tmp_path / "release_rules.yaml").write_text(minimal, encoding="utf-8")
    assert load_rules(tmp_path).aqi_method == "platform"  # the default
    (tmp_path / "release_rules.yaml").write_text(minimal + "aqi: {method: literal}\n", encoding="utf-8")
    assert load_rules(tmp_path).aqi_method == "literal"
    (tmp_path / "release_rules.yaml").write_text(minimal + "aqi: {method: us-epa, rounding: up}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path)
    found = {(f.rule, f.key) for f in caught.value.findings}
    assert ("rules-invalid", "aqi.method") in found and ("rules-key-unknown", "aqi.rounding") in found
