"""Privacy and safety rules, in data cells and in bulletins."""

from __future__ import annotations

import pytest

from publisher.rules.privacy import id_number_valid
from test_rules_helpers import AIR_FIELDS, air_rows, bulletin, dataset_meta, make_project, run

FIELDS = [*AIR_FIELDS, {"name": "note", "type": "string"}]
ID_OK = "11010519491231002X"  # the GB 11643-1999 example number


def notes(*cells: str, fields=None) -> dict:
    rows = "".join(f"aq-a,2025-01-01T{i + 1:02d}:00:00+08:00,{i},{c}\n" for i, c in enumerate(cells))
    return {"air": (dataset_meta("air", fields=fields or FIELDS), {"data.csv": "station_id,time,pm25,note\n" + rows})}


def test_id_number_checksum():
    assert id_number_valid(ID_OK)
    assert not id_number_valid("110105194912310021")  # wrong check digit
    assert not id_number_valid("110105194913310024")  # no 13th month


@pytest.mark.parametrize("rule,good,bad", [
    ("personal-id-number", "编号110105194912310021", f"身份证{ID_OK}"),
    ("personal-phone-number", "电话 12369", "联系 138-1234-5678"),
    ("personal-email", "无", "请发邮件至 wang.gong@example.com"),
    ("formula-trigger", "正常", "=HYPERLINK(\"http://x\")"),
    ("formula-trigger", "a-b", "＋1"),
    ("invisible-character", "正常", "正常\u202e文字"),
    ("banned-term", "公开信息", "本表为内部资料"),
])
def test_privacy_rule_in_cells(tmp_path, rule, good, bad):
    extra = "privacy: {sensitive_columns: drop, banned_terms: [内部资料]}\n"
    found, _ = run(make_project(tmp_path / "good", rules_extra=extra, datasets=notes("ok", good)))
    assert rule not in {r for r, _, _ in found}, found
    found, result = run(make_project(tmp_path / "bad", rules_extra=extra, datasets=notes("ok", bad)))
    assert (rule, 3, "note") in found, found
    assert ID_OK not in "".join(f.message_zh + f.message_en for f in result.report)  # masked in messages


def test_numeric_columns_are_not_formula_checked(tmp_path):
    rows = "station_id,time,pm25\n" + air_rows(2) + "aq-a,2025-01-01T03:00:00+08:00,-1\n"
    found, _ = run(make_project(tmp_path, datasets={"air": (dataset_meta("air"), {"data.csv": rows})}))
    assert "formula-trigger" not in {r for r, _, _ in found}


@pytest.mark.parametrize("rule,text", [
    ("personal-phone-number", "联系人：王工，联系电话：13812345678。"),
    ("personal-id-number", f"身份证号 {ID_OK}"),
    ("personal-email", "邮箱 a.b@example.org"),
    ("invisible-character", "数据\u200b说明"),
])
def test_privacy_rule_in_bulletins(tmp_path, rule, text):
    body = "## 标题\n\n第一段。\n\n" + text + "\n"
    root = make_project(tmp_path, bulletins={"clean": bulletin("## 标题\n\n- 列表项不是公式\n"),
                                             "notice": bulletin(body)})
    found, result = run(root)
    assert not result.findings_for("clean")
    hits = [f for f in result.findings_for("notice") if f.rule == rule]
    assert hits and hits[0].row == 13 and hits[0].file == "content/bulletins/notice.md", [f.line() for f in hits]


def test_allowed_contacts_are_not_flagged(tmp_path):
    extra = "privacy: {allowed_contacts: [sthjj@demo-city.example]}\n"
    root = make_project(tmp_path, rules_extra=extra, bulletins={"b": bulletin("邮箱 sthjj@demo-city.example\n")})
    assert not run(root)[1].findings_for("b")


@pytest.mark.parametrize("mode,rule,severity", [("drop", "sensitive-column-dropped", "info"),
                                                ("block", "sensitive-column-blocks", "error")])
def test_sensitive_columns(tmp_path, mode, rule, severity):
    fields = [*AIR_FIELDS, {"name": "note", "type": "string", "sensitive": True}]
    root = make_project(tmp_path, rules_extra=f"privacy: {{sensitive_columns: {mode}}}\n",
                        datasets=notes("13812345678", fields=fields))
    _, result = run(root)
    found = [f for f in result.report if f.column == "note"]
    assert [(f.rule, f.severity.value) for f in found] == [(rule, severity)]  # no phone finding: dropped/blocked


def test_formula_in_metadata_written_to_the_xlsx_sheets_is_flagged_by_its_key(tmp_path):
    fields = [*AIR_FIELDS[:2], {**AIR_FIELDS[2], "title": {"zh": "=1+1", "en": "PM2.5"}, "description": "-说明"}]
    meta = dataset_meta("air", fields=fields, description={"zh": "-不写入表格的说明", "en": "x"})
    root = make_project(tmp_path, datasets={"air": (meta, {"data.csv": "station_id,time,pm25\n" + air_rows()})})
    _, result = run(root)
    found = [(f.rule, f.key) for f in result.findings_for("air") if f.rule == "formula-trigger"]
    assert found == [("formula-trigger", "resources[0].schema.fields[2].title.zh"),
                     ("formula-trigger", "resources[0].schema.fields[2].description")]


def test_decoded_text_helpers():
    from publisher.rules.privacy import html_text, yaml_strings

    assert list(yaml_strings({"a": {"b": ["x", 1, True]}, "\u5185": None})) == [
        ("a", "a"), ("a.b", "b"), ("a.b[0]", "x"), ("a.b[1]", "1"), ("\u5185", "\u5185")]
    assert html_text('<p>1&#51;8<em>1234</em>5678 <a href="mailto:a&#64;b.org">x</a></p>') == \
        "13812345678 x\nmailto:a@b.org"
