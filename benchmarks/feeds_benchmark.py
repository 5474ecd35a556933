"""How fast and how safe is ``publisher.feeds``' Atom writer against feedgenerator (Pelican's)?

Writes the same Atom feed — N entries with Chinese titles, summaries and authors — with the
portal's own writer (``publisher.feeds._feed``) and with ``feedgenerator.Atom1Feed`` (what Pelican
uses for the bulletins' feed), in the same run. Prints the median time of each and the ratio,
then two properties a publisher needs: the same input gives the same bytes, and a title holding
a control character (which a YAML escape such as ``"\\x1b"`` produces) still gives well-formed
XML. Run: ``.venv/bin/python benchmarks/feeds_benchmark.py [--entries N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import xml.dom.minidom
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.feeds import _feed  # noqa: E402

BASE = "https://sthjj.example.gov.cn/"
START = datetime(2025, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
Entry = dict[str, str]


def make_entries(count: int, hostile: bool = False) -> list[Entry]:
    """Entries like the datasets feed's, newest last; one title with ESC when ``hostile``."""
    entries = []
    for i in range(count):
        title = f"示范市环境空气质量小时数据 第{i}版" + ("\x1b[31m" if hostile and i == 0 else "")
        entries.append({"title": title, "link": f"{BASE}datasets/ds-{i}/index.html",
                        "id": f"{BASE}datasets/ds-{i}/v1", "updated": (START + timedelta(hours=i)).isoformat(),
                        "author": "示范市生态环境局", "summary": f"第 {i} 次发布：新增 2025 年 {i % 12 + 1} 月数据。"})
    return entries


def write_with_publisher(entries: list[Entry]) -> bytes:
    return _feed(BASE, "feeds/datasets.atom.xml", "zh", "数据集发布", entries, START.isoformat()).encode("utf-8")


def write_with_feedgenerator(entries: list[Entry]) -> bytes:
    from feedgenerator import Atom1Feed

    feed = Atom1Feed(title="数据集发布", link=BASE, description="", language="zh-CN",
                     feed_url=f"{BASE}feeds/datasets.atom.xml", feed_guid=f"{BASE}feeds/datasets.atom.xml")
    for e in entries:
        feed.add_item(title=e["title"], link=e["link"], description=e["summary"], author_name=e["author"],
                      unique_id=e["id"], updateddate=datetime.fromisoformat(e["updated"]),
                      pubdate=datetime.fromisoformat(e["updated"]))
    return feed.writeString("utf-8").encode("utf-8")


WRITERS: dict[str, Callable[[list[Entry]], bytes]] = {
    "publisher.feeds": write_with_publisher,
    "feedgenerator Atom1Feed": write_with_feedgenerator,
}


def control_character_outcome(write: Callable[[list[Entry]], bytes]) -> str:
    """What a title with ESC does: a well-formed feed, a malformed one, or an exception (the build
    would stop: one department's typo holds back every release)."""
    try:
        data = write(make_entries(3, hostile=True))
    except Exception as exc:  # noqa: BLE001 - any failure is the answer here
        return f"raises {type(exc).__name__}"
    try:
        xml.dom.minidom.parseString(data)
    except Exception:  # any parser error: the feed is broken for its readers
        return "MALFORMED"
    return "yes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    entries = make_entries(args.entries)
    print(f"{args.entries:,} entries; median of {args.repeat} runs")
    print()
    print(f"{'':26}{'ms':>9}{'vs ours':>9}  same bytes  well-formed with a control character")
    ours = None
    for name, write in WRITERS.items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            write(entries)
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        ours = ours or seconds
        same = write(entries) == write(entries)
        print(f"{name:26}{seconds * 1000:>9.1f}{seconds / ours:>8.1f}x  {'yes' if same else 'NO':>10}  "
              f"{control_character_outcome(write):>36}")


if __name__ == "__main__":
    main()
