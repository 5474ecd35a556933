"""Build benchmark: a synthetic portal of a chosen size, built by publisher and by plain Pelican.

Every item is first submitted and approved with the demo keys (that time is printed apart).
Prints the time of each build stage (load, check, derive, render, export, search, verify, swap)
and the total beside a plain Pelican build of the same bulletins (Pelican's own Markdown reader and
simple theme), as a ratio measured in the same process. A benchmark, not a test.

    .venv/bin/python benchmarks/build_benchmark.py --datasets 300 --bulletins 1000
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import random
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DATASET_YAML = """\
id: {id}
title: {{zh: 合成数据集 {n}, en: Synthetic dataset {n}}}
description: {{zh: 用于基准测试的合成数据。, en: Synthetic data for the benchmark.}}
category: air_quality
department: sthjj
area: {{code: "990100", name: 示范市}}
classification: public
license: CC-BY-4.0
update_frequency: daily
temporal: {{start: 2025-01-01, end: 2025-12-31}}
spatial: {{description: {{zh: 全市, en: Whole city}}}}
status: verified
resources:
  - name: daily
    path: daily.csv
    title: {{zh: 日均值, en: Daily means}}
    schema:
      primary_key: [station_id, date]
      fields:
        - {{name: station_id, type: string, title: {{zh: 站点, en: Station}}, references: air_stations}}
        - {{name: date, type: date, title: {{zh: 日期, en: Date}}}}
        - {{name: pm25, type: number, unit: μg/m³, parameter: pm25, title: {{zh: 细颗粒物, en: PM2.5}}}}
charts:
  - {{id: pm25, kind: timeseries, resource: daily, x: date, y: [pm25], group: station_id,
      title: {{zh: PM2.5日均浓度, en: Daily PM2.5}}}}
"""

REGISTRY = """\
city: {code: "990100", name: 示范市}
areas: [{code: "990100", name: 示范市, level: city}]
air_stations:
  - {id: aq-a, name: 甲站, area: "990100"}
  - {id: aq-b, name: 乙站, area: "990100"}
"""

PARAGRAPH = "全市环境空气质量总体稳定，细颗粒物浓度同比下降，优良天数比例有所提高。" * 6


def make_portal(folder: Path, datasets: int, bulletins: int, seed: int = 1) -> None:
    """Write a synthetic portal: ``datasets`` datasets of 730 rows, ``bulletins`` bulletins."""
    rng = random.Random(seed)
    shutil.copyfile(ROOT / "release_rules.yaml", folder / "release_rules.yaml")
    content = folder / "content"
    (content / "bulletins").mkdir(parents=True)
    (content / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    for n in range(datasets):
        ds = content / "datasets" / f"synthetic-{n:04d}"
        ds.mkdir(parents=True)
        (ds / "dataset.yaml").write_text(DATASET_YAML.format(id=ds.name, n=n), encoding="utf-8")
        rows = ["station_id,date,pm25"]
        for station in ("aq-a", "aq-b"):
            for day in range(365):
                rows.append(f"{station},{date(2025, 1, 1) + timedelta(days=day)},{rng.uniform(5, 120):.1f}")
        (ds / "daily.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for n in range(bulletins):
        body = "\n\n".join(f"## 第{k}部分\n\n{PARAGRAPH}" for k in range(1, 4))
        day = n % 28 + 1
        (content / "bulletins" / f"bulletin-{n:04d}.md").write_text(
            f"---\ntitle: 合成公报 {n}\ndate: 2025-03-{day:02d}T10:00:00+08:00\ndepartment: sthjj\n"
            f"category: air_quality\nclassification: public\n---\n\n{body}\n", encoding="utf-8")
        plain = folder / "pelican-content"
        plain.mkdir(exist_ok=True)
        (plain / f"bulletin-{n:04d}.md").write_text(
            f"Title: 合成公报 {n}\nDate: 2025-03-{day:02d} 10:00\nCategory: air_quality\n\n{body}\n", encoding="utf-8")


def approve_everything(folder: Path) -> float:
    """Submit every item and approve it as the demo reviewer and press office (demo keys)."""
    from publisher.content import load_content
    from publisher.keys import demo_key
    from publisher.workflow import approve, submit

    start = time.perf_counter()
    items = [item.id for item in load_content(folder).items()]
    submit(folder, items, "data-officer", demo_key("data-officer"))
    for user in ("zhang-min", "li-hua"):
        approve(folder, items, user, demo_key(user), ack_warnings=True)
    return time.perf_counter() - start


def plain_pelican(folder: Path) -> float:
    """A plain Pelican build of the same bulletins: the reference run."""
    from pelican import Pelican
    from pelican.settings import read_settings

    settings = read_settings(path=None, override={
        "PATH": str(folder / "pelican-content"), "OUTPUT_PATH": str(folder / "pelican-output"),
        "SITEURL": "", "TIMEZONE": "Asia/Shanghai", "DEFAULT_LANG": "zh", "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False, "FEED_ALL_ATOM": None, "CATEGORY_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None, "AUTHOR_FEED_RSS": None, "TRANSLATION_FEED_ATOM": None,
    })
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        Pelican(settings).run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=300)
    parser.add_argument("--bulletins", type=int, default=1000)
    args = parser.parse_args()
    logging.getLogger("pelican").setLevel(logging.ERROR)
    from publisher.site import build_site

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_portal(folder, args.datasets, args.bulletins)
        approval = approve_everything(folder)
        reference = plain_pelican(folder)
        result = build_site(folder)
        print(f"synthetic portal: {args.datasets} datasets (730 rows, 1 chart each), {args.bulletins} bulletins")
        print(f"published {len(result.release.datasets)} datasets, {len(result.release.bulletins)} bulletins, "
              f"{result.pages} files")
        for stage, seconds in result.timings.items():
            print(f"  {stage:<8} {seconds:8.2f} s")
        print(f"(not part of the build) submitting and approving every item twice: {approval:.1f} s")
        print(f"plain Pelican build of the same bulletins: {reference:.2f} s")
        print(f"ratio publisher total / plain Pelican: {result.timings['total'] / reference:.1f}x")
        print(f"ratio publisher render stage / plain Pelican: {result.timings['render'] / reference:.1f}x")


if __name__ == "__main__":
    main()
