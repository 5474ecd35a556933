"""Page weight of the portal: what a visitor on a slow connection downloads.

Builds the demo portal (``content/`` at the repository root) or, when it is absent, the fixture
portal, into a temporary folder and prints, raw and gzipped:

* the home page: its HTML plus every stylesheet, script and icon it loads (plotly.js is loaded
  only by pages with charts, so the home page total excludes it by construction);
* the heaviest chart page, with and without plotly.js;
* each chart's figure data (the JSON in the page), largest first.

Goals (the issue "The public portal"): home page under 150 KB without plotly.js, every chart's
data under 300 KB. Exit status 1 when a goal is missed.

    .venv/bin/python benchmarks/page_weight.py [--project PATH]
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publisher.site import build_site  # noqa: E402

HOME_GOAL = 150 * 1024
CHART_GOAL = 300 * 1024
ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', re.I)
LINK_REL = re.compile(r'<link[^>]*rel="(?:stylesheet|icon)"[^>]*href="([^"]+)"', re.I)
SCRIPT = re.compile(r'<script[^>]*\ssrc="([^"]+)"', re.I)
CHART_DATA = re.compile(r'<script type="application/json" class="chart-data" data-target="([^"]+)">(.*?)</script>', re.S)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def page_assets(site: Path, page: Path) -> list[Path]:
    html = page.read_text(encoding="utf-8")
    refs = LINK_REL.findall(html) + SCRIPT.findall(html)
    found = []
    for ref in refs:
        target = (page.parent / ref.split("#")[0].split("?")[0]).resolve()
        if target.is_file() and target.is_relative_to(site.resolve()):
            found.append(target)
    return found


def weigh(site: Path, page: Path, with_plotly: bool = True) -> tuple[int, int]:
    files = [page] + [a for a in page_assets(site, page) if with_plotly or a.name != "plotly.min.js"]
    raw = sum(f.stat().st_size for f in files)
    zipped = sum(gz(f.read_bytes()) for f in files)
    return raw, zipped


def kb(n: int) -> str:
    return f"{n / 1024:8.1f} KB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=None)
    args = parser.parse_args()
    project = args.project or (ROOT if (ROOT / "content").is_dir() else ROOT / "tests" / "fixtures" / "portal")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "output"
        result = build_site(project, out)
        print(f"project: {project}  ({len(result.release.datasets)} datasets, {len(result.release.bulletins)} bulletins)")
        print(f"build time: {result.timings.get('total', 0):.1f} s  ({', '.join(f'{k} {v:.1f}' for k, v in result.timings.items() if k != 'total')})")
        home = out / "index.html"
        raw, zipped = weigh(out, home)
        print(f"\nhome page (HTML + CSS + JS, no plotly.js):  {kb(raw)} raw  {kb(zipped)} gzip"
              f"   [goal < {HOME_GOAL // 1024} KB: {'ok' if raw < HOME_GOAL else 'MISSED'}]")
        print(f"  of which index.html alone:                 {kb(home.stat().st_size)} raw  {kb(gz(home.read_bytes()))} gzip")

        pages = [p for p in out.rglob("*.html") if "chart-data" in p.read_text(encoding="utf-8")]
        if pages:
            heaviest = max(pages, key=lambda p: weigh(out, p, False)[0])
            rel = heaviest.relative_to(out).as_posix()
            without = weigh(out, heaviest, False)
            withp = weigh(out, heaviest, True)
            print(f"\nheaviest chart page: {rel}")
            print(f"  without plotly.js: {kb(without[0])} raw  {kb(without[1])} gzip")
            print(f"  with plotly.js:    {kb(withp[0])} raw  {kb(withp[1])} gzip")
            plotly = out / "theme/js/plotly.min.js"
            if plotly.is_file():
                print(f"  plotly.min.js (one cached file for the whole site): {kb(plotly.stat().st_size)} raw  "
                      f"{kb(gz(plotly.read_bytes()))} gzip")

        charts: dict[str, bytes] = {}
        for p in sorted(out.rglob("*.html")):
            if p.relative_to(out).parts[0] == "en":
                continue
            for target, data in CHART_DATA.findall(p.read_text(encoding="utf-8")):
                charts.setdefault(target, data.encode("utf-8"))
        missed = [t for t, d in charts.items() if len(d) >= CHART_GOAL]
        print(f"\nchart data ({len(charts)} charts, Chinese pages; goal < {CHART_GOAL // 1024} KB each):")
        for target, data in sorted(charts.items(), key=lambda kv: -len(kv[1])):
            print(f"  {kb(len(data))} raw  {kb(gz(data))} gzip  {target}")
        ok = raw < HOME_GOAL and not missed
        print("\n" + ("all goals met" if ok else "GOALS MISSED: " + ", ".join(["home"] * (raw >= HOME_GOAL) + missed)))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
