"""The demo city's replayed approval history leaves the states the README promises."""

from __future__ import annotations

import shutil
import sys
from datetime import datetime
from pathlib import Path

from publisher.audit import verify_log
from publisher.workflow import LOG_FILE, item_states, open_log, trusted_log_keys, var_dir

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import demo_history  # noqa: E402  (a script in tools/, imported for its replay function)


def test_demo_history_publishes_schedules_awaits_rejects_and_corrects(tmp_path: Path) -> None:
    project = tmp_path / "demo"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copyfile(ROOT / "release_rules.yaml", project / "release_rules.yaml")
    demo_history.replay(project)
    states = {s.item: s for s in item_states(project, now=demo_history.DEMO_NOW)[0]}
    assert states["noise-2025"].state == "scheduled"
    assert states["emissions-2025"].state == "awaiting"
    assert states["emissions-2025"].roles_done == ["reviewer:sthjj"]
    assert states["self-monitoring-hongda-power-2025-12"].state == "rejected"
    water = states["surface-water-2025"]
    assert [v.number for v in water.versions] == [1, 2] and water.versions[1].reason == "correction"
    assert water.versions[0].published_at is not None  # version 1 was public before the correction
    assert states["air-hourly-2025"].state == "published"  # by the build made after version 1 of the water data
    for failing in ("noise-hubin-2025", "notice-sampling-2025-12", "emissions-qingshan-2025q4-late",
                    "air-station-maintenance-log-2025"):
        assert states[failing].state == "failing"
    assert verify_log(var_dir(project) / LOG_FILE, trusted_log_keys(project)).ok
    with open_log(project) as log:  # the whole history happened before the demo's date
        assert max(datetime.fromisoformat(e.time) for e in log.entries()) <= demo_history.DEMO_NOW


def test_the_portal_target_builds_the_demo_as_of_its_own_date() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert 'PUBLISHER_NOW="$$($(PY) tools/demo_history.py --print-now)" $(VENV)/bin/publisher build' in makefile
    readme = (ROOT / "content" / "README.md").read_text(encoding="utf-8")
    assert demo_history.DEMO_NOW.strftime("%Y-%m-%d %H:%M") in readme
