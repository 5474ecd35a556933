"""Time is an input: one clock for the product, pinned in tests, never mixed with a given time."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import PINNED_NOW, ROOT, approve_items
from publisher import clock as product_clock
from publisher.site import BuildError, build_site
from publisher.workflow import item_states, open_log

TZ = ZoneInfo("Asia/Shanghai")

# Calls that read the wall clock. Only publisher/clock.py may make them; time.perf_counter and
# time.monotonic measure durations and are fine anywhere.
WALL_CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                    ("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime"),
                    ("time", "ctime"), ("time", "strftime")}


def wall_clock_reads(path: Path) -> list[str]:
    """``file:line call`` for every wall-clock read in a Python file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in WALL_CLOCK_CALLS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_the_product_reads_the_wall_clock_only_in_publisher_clock() -> None:
    reads = [r for path in sorted((ROOT / "publisher").rglob("*.py")) if path.name != "clock.py"
             for r in wall_clock_reads(path)]
    assert reads == [], "read the time through publisher.clock.now(tz), or take it as an argument"
    assert wall_clock_reads(ROOT / "publisher" / "clock.py")  # the check finds what it looks for


def test_the_suite_runs_on_the_pinned_clock(clock) -> None:
    assert product_clock.now("UTC") == datetime.fromisoformat(PINNED_NOW)
    moved = clock.set(datetime(2031, 1, 1, 8, 0, tzinfo=TZ))
    assert product_clock.now(TZ) == moved and product_clock.now(TZ).tzinfo is TZ


def test_the_real_clock_is_used_when_nothing_pins_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(product_clock.ENV_VAR)  # about the real clock: passes on any date
    before = datetime.now(TZ)
    assert before <= product_clock.now("Asia/Shanghai") <= datetime.now(TZ)


@pytest.mark.parametrize("text", ["2026-06-01", "2026-06-01T09:00:00", "tomorrow", "2026-13-01T00:00:00+08:00"])
def test_a_pinned_time_without_an_offset_is_refused(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(product_clock.ENV_VAR, text)
    with pytest.raises(product_clock.ClockError, match="UTC offset"):
        product_clock.now("UTC")


def test_the_cli_refuses_a_malformed_pinned_time_before_doing_anything(approved_portal: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "publisher.cli", "--project", str(approved_portal), "build"],
                          capture_output=True, text=True, env={"PUBLISHER_NOW": "2026-06-01 09:00", "PATH": ""})
    assert done.returncode == 2
    assert "PUBLISHER_NOW 应为带时区的 ISO 8601 时间" in done.stderr and "UTC offset" in done.stderr
    assert not (approved_portal / "output").exists()


def test_the_cli_builds_and_reports_as_of_the_pinned_time(approved_portal: Path, clock) -> None:
    clock.set("2099-01-02T09:00:00+08:00")  # after embargoed-note's release_at (2099-01-01 09:00)
    done = subprocess.run([sys.executable, "-m", "publisher.cli", "--project", str(approved_portal), "build"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (approved_portal / "output" / "bulletins" / "embargoed-note.html").is_file()
    status = subprocess.run([sys.executable, "-m", "publisher.cli", "--project", str(approved_portal), "status"],
                            capture_output=True, text=True)
    assert "embargoed-note" in status.stdout and "scheduled" not in status.stdout


def test_a_build_dated_before_an_approval_publishes_nothing_and_keeps_the_old_site(portal: Path, clock) -> None:
    clock.set("2026-06-01T09:00:00+08:00")
    approve_items(portal, ("air-mini",))
    build_site(portal)
    site = {p.relative_to(portal / "output"): p.read_bytes() for p in (portal / "output").rglob("*") if p.is_file()}
    clock.set("2026-06-02T09:00:00+08:00")
    approve_items(portal, ("air-2025-01",))  # approved on 2 June
    with pytest.raises(BuildError, match="早于审计日志中最新条目的时间.*before the newest audit log entry"):
        build_site(portal, now=datetime(2026, 6, 1, 18, 0, tzinfo=TZ))  # a build dated 1 June
    assert {p.relative_to(portal / "output"): p.read_bytes()
            for p in (portal / "output").rglob("*") if p.is_file()} == site
    assert not (portal / "output" / "bulletins" / "air-2025-01.html").exists()
    with open_log(portal) as log:
        assert [e.event for e in log.entries() if e.item == "air-2025-01"] == ["submission", "approval", "approval"]


def test_an_embargo_ends_at_the_given_time_not_the_real_one(approved_portal: Path, clock) -> None:
    states = {s.item: s.state for s in item_states(approved_portal)[0]}
    assert states["embargoed-note"] == "scheduled"  # release_at 2099-01-01 09:00, pinned clock 2026
    late = datetime(2099, 1, 1, 9, 0, tzinfo=TZ)
    assert {s.item: s.state for s in item_states(approved_portal, now=late)[0]}["embargoed-note"] == "approved"
