"""Permission rules: departments, categories, areas, credit codes, classification, approvals."""

from __future__ import annotations

import pytest

from publisher.config import credit_code_problem, load_rules
from test_rules_helpers import RULES, air_rows, bulletin, dataset_meta, make_project, run, rules_of

HEADER = "station_id,time,pm25\n"
EMISSION_FIELDS = [
    {"name": "area_code", "type": "string"},
    {"name": "credit_code", "type": "string"},
    {"name": "enterprise_id", "type": "string", "references": "enterprises"},
    {"name": "outlet_id", "type": "string"},
    {"name": "date", "type": "date"},
    {"name": "so2", "type": "number", "unit": "mg/m³"},
]
EMISSION_HEADER = "area_code,credit_code,enterprise_id,outlet_id,date,so2\n"
HONGDA = "990121,91990121MA1234J68F,ent-hongda-power,DA001,2025-01-{d:02d},20\n"
CEMENT = "990122,91990122MA7W6X1Y64,ent-qingshan-cement,DA001,2025-01-{d:02d},60\n"


def emissions(department: str, rows: str, area: str = "990121") -> dict:
    meta = dataset_meta("emissions", fields=EMISSION_FIELDS, primary_key=("enterprise_id", "outlet_id", "date"),
                        category="pollution_source", department=department, area={"code": area, "name": "x"},
                        update_frequency="daily")
    return {"emissions": (meta, {"data.csv": EMISSION_HEADER + rows})}


def air_by(department: str, **meta) -> dict:
    return {"air": (dataset_meta("air", department=department, **meta), {"data.csv": HEADER + air_rows()})}


def test_credit_code_check_character():
    assert credit_code_problem("91990121MA1234J68F") is None
    assert credit_code_problem("91350100M000100Y43") is None  # a published example of GB 32100-2015
    assert credit_code_problem("91990121MA1234J68G") == "check:F"
    assert credit_code_problem("91990121MA1234J6") == "length"
    assert credit_code_problem("91990121MA1234I68F") == "charset"


@pytest.mark.parametrize("rule,good,bad,where", [
    ("department-unknown", air_by("sthjj"), air_by("xx"), (None, None)),
    ("department-not-permitted", air_by("sthjj"), air_by("sthjj-qinghe"), (None, None)),
    ("area-outside-department", emissions("sthjj-qinghe", HONGDA.format(d=1)),
     emissions("sthjj-qinghe", HONGDA.format(d=1), area="990122"), (None, None)),
    ("classification-not-public", air_by("sthjj"), air_by("sthjj", classification="internal"), (None, None)),
    ("row-outside-area", emissions("sthjj-qinghe", HONGDA.format(d=1) + HONGDA.format(d=2)),
     emissions("sthjj-qinghe", HONGDA.format(d=1) + CEMENT.format(d=2)), (3, "area_code")),
    ("credit-code-not-own", emissions("ent-hongda-power", HONGDA.format(d=1)),
     emissions("ent-hongda-power", HONGDA.format(d=1) + CEMENT.format(d=2).replace("990122", "990121")),
     (3, "credit_code")),
    ("credit-code-invalid", emissions("sthjj", HONGDA.format(d=1)),
     emissions("sthjj", HONGDA.format(d=1) + HONGDA.format(d=2).replace("J68F", "J68G")), (3, "credit_code")),
])
def test_permission_rule(tmp_path, rule, good, bad, where):
    found, _ = run(make_project(tmp_path / "good", datasets=good))
    assert rule not in {r for r, _, _ in found}, found
    found, _ = run(make_project(tmp_path / "bad", datasets=bad))
    assert rule in {r for r, _, _ in found}, found
    if where != (None, None):
        assert (rule, *where) in found, found


def test_rows_of_an_enterprise_in_another_county_are_caught_by_enterprise_id_too(tmp_path):
    found, _ = run(make_project(tmp_path, datasets=emissions(
        "sthjj-qinghe", HONGDA.format(d=1) + CEMENT.format(d=2).replace("990122", "990121"))))
    assert ("row-outside-area", 3, "enterprise_id") in found


def test_city_bureau_may_publish_pollution_sources_of_every_county(tmp_path):
    found, _ = run(make_project(tmp_path, datasets=emissions("sthjj", HONGDA.format(d=1) + CEMENT.format(d=2),
                                                              area="990100")))
    assert not {r for r, _, _ in found} & {"row-outside-area", "department-not-permitted", "area-outside-department"}


def test_bulletin_permissions_and_classification(tmp_path):
    root = make_project(tmp_path, bulletins={"ok": bulletin("正文"),
                                             "bad": bulletin("正文", department="lyj", classification="secret")})
    _, result = run(root)
    assert not result.findings_for("ok")
    assert {f.rule for f in result.findings_for("bad")} == {"department-not-permitted", "classification-not-public"}


def test_department_registry_mismatch(tmp_path):
    bad = RULES.replace("credit_code: 91990121MA1234J68F, parent", "credit_code: 91990122MA7W6X1Y64, parent")
    assert "department-registry-mismatch" not in rules_of(run(make_project(tmp_path / "good"))[1])
    _, result = run(make_project(tmp_path / "bad", rules=bad))
    f = next(f for f in result.report if f.rule == "department-registry-mismatch")
    assert f.key == "departments.ent-hongda-power.credit_code"


def test_approval_role_unfilled(tmp_path):
    assert "approval-role-unfilled" not in rules_of(run(make_project(tmp_path / "good"))[1])
    bad = RULES.replace('  a5: {name: 赵磊, roles: ["reviewer:lyj"]}\n', "")
    _, result = run(make_project(tmp_path / "bad", rules=bad))
    assert any(f.rule == "approval-role-unfilled" and "reviewer:lyj" in f.message_en for f in result.report)


def test_required_roles(tmp_path):
    rules = load_rules(make_project(tmp_path, rules_extra="""
        approvals:
          default: [reviewer-of-department, press-office]
          pollution_source: [reviewer-of-department, "reviewer:sthjj", press-office]
        """))

    class Item:
        def __init__(self, category, department):
            self.category, self.department = category, department

    assert rules.required_roles(Item("air_quality", "sthjj")) == ["reviewer:sthjj", "press-office"]
    assert rules.required_roles(Item("pollution_source", "sthjj-qinghe")) == [
        "reviewer:sthjj-qinghe", "reviewer:sthjj", "press-office"]
    # an enterprise never approves its own data: its supervising bureau does
    assert rules.required_roles(Item("pollution_source", "ent-hongda-power"))[0] == "reviewer:sthjj-qinghe"
    assert rules.may_publish("sthjj", "air_quality") and not rules.may_publish("lyj", "air_quality")
