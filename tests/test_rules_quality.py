"""Data-quality screens: flat lines, spikes, gaps, values hugging the permit limit."""

from __future__ import annotations

import math

from test_rules_helpers import air_rows, dataset_meta, make_project, run

HEADER = "station_id,time,pm25\n"


def wave(n: int) -> list:
    return [round(30 + 10 * math.sin(i / 3), 1) for i in range(n)]


def project(tmp_path, values, rows=None):
    csv = HEADER + (rows if rows is not None else air_rows(len(values), values=values))
    return make_project(tmp_path, rules_extra="validity: {}\n",
                        datasets={"air": (dataset_meta("air"), {"data.csv": csv})})


def test_flatline(tmp_path):
    found, _ = run(project(tmp_path / "good", wave(48)))
    assert "series-flatline" not in {r for r, _, _ in found}
    values = wave(48)
    values[10:25] = [9.0] * 15
    found, result = run(project(tmp_path / "bad", values))
    assert ("series-flatline", 12, "pm25") in found  # the run starts on the 11th data row, line 12
    assert next(f for f in result.report if f.rule == "series-flatline").severity.value == "warning"


def test_spike(tmp_path):
    found, _ = run(project(tmp_path / "good", wave(48)))
    assert "value-spike" not in {r for r, _, _ in found}
    values = wave(48)
    values[20] = 847.0
    found, _ = run(project(tmp_path / "bad", values))
    assert ("value-spike", 22, "pm25") in found


def test_gap(tmp_path):
    found, _ = run(project(tmp_path / "good", wave(48)))
    assert "series-gap" not in {r for r, _, _ in found}
    values = wave(120)
    values[10:90] = [""] * 80  # 80 hours without a value
    found, result = run(project(tmp_path / "bad", values))
    assert ("series-gap", 92, "pm25") in found
    rows = air_rows(10) + air_rows(10, start_hour=100)  # missing rows, not empty cells
    found, _ = run(project(tmp_path / "rows", None, rows=rows))
    assert ("series-gap", 12, "pm25") in found


def test_permit_limit_clustering(tmp_path):
    fields = [{"name": "enterprise_id", "type": "string", "references": "enterprises"},
              {"name": "outlet_id", "type": "string"}, {"name": "date", "type": "date"},
              {"name": "parameter", "type": "string"}, {"name": "value", "type": "number"}]

    def project_with(values):
        rows = "".join(f"ent-hongda-power,DA001,2025-01-{i + 1:02d},so2,{v}\n" for i, v in enumerate(values))
        meta = dataset_meta("em", fields=fields, primary_key=("enterprise_id", "outlet_id", "date", "parameter"),
                            category="pollution_source", area={"code": "990100", "name": "x"})
        return {"em": (meta, {"data.csv": "enterprise_id,outlet_id,date,parameter,value\n" + rows})}

    found, _ = run(make_project(tmp_path / "good", datasets=project_with([20 + i % 7 for i in range(30)])))
    assert "permit-limit-clustering" not in {r for r, _, _ in found}
    found, result = run(make_project(tmp_path / "bad", datasets=project_with([34 - (i % 3) * 0.5 for i in range(30)])))
    assert ("permit-limit-clustering", 2, "value") in found
