"""Full-text search: a Pagefind index of the staged site, written at build time.

Pagefind runs over the staged folder after every page is rendered and before the swap, so it
sees exactly the published pages and nothing else. Pages mark their main content with
``data-pagefind-body`` and the ``<h1>`` with ``data-pagefind-meta="title"``; ``<html lang>``
splits the index by language (``zh-cn`` gets Pagefind's Chinese segmentation).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SEARCH_DIR = "pagefind"


class SearchIndexError(RuntimeError):
    """Pagefind failed; the build stops before the swap."""


def pagefind_available() -> bool:
    try:
        import pagefind  # noqa: F401  (the PyPI package that ships the binary)
    except ImportError:
        return False
    return True


def build_search_index(site_dir: Path) -> list[Path]:
    """Index ``site_dir`` into ``site_dir/pagefind``; returns the files written."""
    command = [sys.executable, "-m", "pagefind", "--site", str(site_dir), "--output-subdir", SEARCH_DIR,
               "--keep-index-url", "--silent"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SearchIndexError(f"pagefind: {done.stderr.strip() or done.stdout.strip()}")
    _canonical_entry(site_dir / SEARCH_DIR / "pagefind-entry.json")
    return sorted(p for p in (site_dir / SEARCH_DIR).rglob("*") if p.is_file())


def _canonical_entry(path: Path) -> None:
    """Pagefind writes the languages of ``pagefind-entry.json`` in hash-map order, which changes
    from run to run; sorted keys make the file, like the rest of the index, byte-identical across
    builds. (The other index files are named by their content hash and come out the same.)"""
    if path.is_file():
        entry = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
                        encoding="utf-8")
