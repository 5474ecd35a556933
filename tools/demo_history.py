"""Replay the demo city's approval history, signed with demo keys (DEMO ONLY).

The demo keys are derived from public seeds (SHA-256 of "publisher demo key" and the user id),
so anyone can recreate them: they prove nothing and must never sign a real release. The history
is deterministic — the same content gives the same log, byte for byte — so a fresh clone builds
the same portal every time.

    .venv/bin/python tools/demo_history.py            # replay into var/ unless a log exists
    .venv/bin/python tools/demo_history.py --force    # start var/ afresh
    .venv/bin/python tools/demo_history.py --print-keys
    .venv/bin/python tools/demo_history.py --print-now    # the demo city's date (DEMO_NOW)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization

from publisher import keys
from publisher.keys import demo_key
from publisher.site import build_site
from publisher.workflow import (LOG_FILE, LOG_KEY_FILE, LOG_KEY_NAME, approve, open_log, reject, submit,
                               var_dir)

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)
# The demo city's "today": `make portal` builds it as of this instant (PUBLISHER_NOW), so it shows
# every state whatever the real date: noise-2025 stays scheduled (embargoed until 2026-12-15).
DEMO_NOW = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)

APPROVERS = ("zhang-min", "li-hua", "zhao-lei", "sun-qiang", "zhou-yun", "wu-fang", "zheng-hao",
             "wang-jing", "chen-gang", "liu-yang")
# Who submits: each signs with their demo key, listed under `submitters` in release_rules.yaml.
SUBMITTERS = ("data-sthjj", "press-sthjj", "data-chengdong", "data-chengxi", "data-qinghe", "data-qingshan",
              "data-hubin", "ent-hongda-power")
COUNTY_REVIEWERS = {"chengdong": "wu-fang", "chengxi": "zheng-hao", "qinghe": "wang-jing",
                    "qingshan": "chen-gang", "hubin": "liu-yang"}

# The wrong value that version 1 of surface-water-2025 carried, corrected in version 2.
WATER_FILE = "datasets/surface-water-2025/surface_water_2025.csv"
WATER_ROW_PREFIX = "ws-qinghe-up,2025-08-"
WATER_CORRECTION = "更正：清河上游断面 2025 年 8 月总磷数据录入时小数点错位（误为原值的 10 倍），已按原始记录更正。"


class Clock:
    """Deterministic times: each action 20 minutes after the previous one, office hours only."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(minutes=20)
        if self.now.hour >= 17:
            self.now = (self.now + timedelta(days=1)).replace(hour=9, minute=0)
        return self.now


def publish(root: Path, clock: Clock, items: str | list[str], submitter: str, approvers: list[str],
            note: str = "", reason: str | None = None) -> None:
    """Submit ``items`` (signed by ``submitter``) and approve them by each of ``approvers`` in turn."""
    submit(root, items, submitter, demo_key(submitter), time=clock.tick())
    for user in approvers:
        approve(root, items, user, demo_key(user), ack_warnings=True, note=note, reason=reason, time=clock.tick())


def corrected_water(root: Path) -> tuple[bytes, bytes]:
    """(original bytes, version-1 bytes with the August total phosphorus ten times too high)."""
    path = root / "content" / WATER_FILE
    original = path.read_bytes()
    header, *rows = original.decode("utf-8").split("\n")
    tp = header.split(",").index("tp")
    wrong = []
    for row in rows:
        if row.startswith(WATER_ROW_PREFIX):
            cells = row.split(",")
            cells[tp] = f"{float(cells[tp]) * 10:.3f}"
            row = ",".join(cells)
        wrong.append(row)
    return original, "\n".join([header, *wrong]).encode("utf-8")


def replay(root: Path) -> None:
    """Write the demo approval history into ``root/var``."""
    log_key = var_dir(root) / LOG_KEY_FILE
    log_key.parent.mkdir(parents=True, exist_ok=True)
    pem = demo_key(LOG_KEY_NAME).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())
    keys.write_private_key(log_key, pem, overwrite=True)
    city = ["zhang-min", "li-hua"]
    # The registry first, in the hour before START (so the rest of the history keeps its times):
    # every page names stations and areas from its approved version.
    publish(root, Clock(START - timedelta(hours=1)), "registry", "data-sthjj", city)
    clock = Clock()
    publish(root, clock, ["air-hourly-2025", "gamma-dose-rate-2025", "noise-functional-zones-2025"],
            "data-sthjj", city)
    for county, reviewer in COUNTY_REVIEWERS.items():
        publish(root, clock, f"emissions-{county}-2025", f"data-{county}", [reviewer, "zhang-min", "li-hua"])

    # surface-water-2025: version 1 carried a data-entry error, corrected as version 2.
    water = root / "content" / WATER_FILE
    original, wrong = corrected_water(root)
    try:
        water.write_bytes(wrong)
        publish(root, clock, "surface-water-2025", "data-sthjj", city)
        # The portal was built with version 1 before the error was found: it was public.
        with tempfile.TemporaryDirectory() as scratch:
            build_site(root, Path(scratch) / "output", now=clock.tick())
    finally:
        water.write_bytes(original)
    publish(root, clock, "surface-water-2025", "data-sthjj", city, note=WATER_CORRECTION, reason="correction")

    # Derived datasets: the definitions are approved; every build computes them from the inputs.
    publish(root, clock, ["air-daily-aqi-2025", "air-realtime-aqi-2025", "air-quality-summary-2025",
                          "surface-water-class-2025", "emission-exceedances-2025"], "data-sthjj", city)

    publish(root, clock, ["air-2025-10", "water-2025-q3", "radiation-2025", "eco-status-2025-summary"],
            "press-sthjj", city)
    publish(root, clock, "noise-2025", "press-sthjj", city)  # embargoed: scheduled until its release_at

    # Awaiting the press office: the city bureau's reviewer has approved.
    publish(root, clock, "emissions-2025", "press-sthjj", ["zhang-min"])

    # Rejected by the Qinghe reviewer.
    submit(root, "self-monitoring-hongda-power-2025-12", "ent-hongda-power", demo_key("ent-hongda-power"),
           time=clock.tick())
    reject(root, "self-monitoring-hongda-power-2025-12", "wang-jing", demo_key("wang-jing"),
           "12月15日2号锅炉排口数据缺失，请补报后重新提交 / data of boiler 2 missing on 15 December; "
           "complete them and submit again", time=clock.tick())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--force", action="store_true", help="discard var/ and replay from scratch")
    parser.add_argument("--print-keys", action="store_true", help="print the demo public keys and exit")
    parser.add_argument("--print-now", action="store_true", help="print the demo city's date (DEMO_NOW) and exit")
    args = parser.parse_args()
    if args.print_now:
        print(DEMO_NOW.isoformat())
        return
    if args.print_keys:
        for user in (*APPROVERS, *SUBMITTERS):
            print(f"{user}: {keys.public_key_text(demo_key(user))}")
        return
    root = args.project.resolve()
    if (var_dir(root) / LOG_FILE).exists() and not args.force:
        with open_log(root) as log:
            newest = max((datetime.fromisoformat(e.time) for e in log.entries()), default=None)
        if newest is None or newest <= DEMO_NOW:
            print("演示审批历史已存在 / the demo approval history exists already (var/); --force replays it")
            return
        # a build at the real date published something after the demo's date (noise-2025 once its
        # embargo ended): a build as of DEMO_NOW would be refused, so the history starts afresh
        print(f"审批历史中有晚于演示日期 {DEMO_NOW.isoformat()} 的条目，重新重放 / the history has entries after "
              f"the demo date {DEMO_NOW.isoformat()}; replaying it")
    shutil.rmtree(var_dir(root), ignore_errors=True)
    replay(root)
    print("已重放演示审批历史（演示密钥，仅供演示）/ replayed the demo approval history (demo keys, demo only)")


if __name__ == "__main__":
    main()
