"""Work proportional to the change: the build cache and the unchanged-site check.

The promise: an incremental build publishes exactly the bytes a clean build (no cache, fresh
output) would. Proved on a seeded random sequence of changes (approve, correct, withdraw, an
embargo passing, a rules change, nothing), and against a damaged cache and a damaged output.
"""

from __future__ import annotations

import hashlib
import os
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.cli import cli
from publisher.keys import demo_key
from publisher.site import build_site
from publisher.workflow import approve, submit, withdraw

SEED = int(os.environ.get("PUBLISHER_TEST_SEED", "2026"))


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256 (and every link or other entry, named)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            found[rel] = "not a regular file"
        elif path.is_file():
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def differences(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def approve_one(project: Path, item: str, **options) -> None:
    submit(project, item, "data-officer", demo_key("data-officer"))
    for user in ("zhang-min", "li-hua"):
        approve(project, item, user, demo_key(user), ack_warnings=True, **options)


def add_bulletin(project: Path, item: str, text: str, release_at: datetime | None = None) -> None:
    extra = f"release_at: {release_at.isoformat()}\n" if release_at else ""
    (project / "content" / "bulletins" / f"{item}.md").write_text(
        f"---\ntitle: 公报 {text}\ndate: 2025-02-01T10:00:00+08:00\ndepartment: sthjj\ncategory: air_quality\n"
        f"classification: public\n{extra}---\n\n## 正文\n\n{text}。\n", encoding="utf-8")


@pytest.fixture
def project(approved_portal: Path, clock) -> Path:
    clock.set("2026-06-01T09:00:00+08:00")
    return approved_portal


def test_nothing_changed_reuses_the_whole_site_after_checking_every_file(project: Path, clock) -> None:
    first = build_site(project)
    assert "unchanged site" not in first.reused
    before = tree(project / "output")
    clock.set("2026-06-01T10:00:00+08:00")  # time passes, no embargo ends
    again = build_site(project)
    assert again.reused.get("unchanged site") == "all"
    assert set(again.timings) == {"verify log", "unchanged site", "total"}
    assert again.pages == first.pages and set(again.release.datasets) == set(first.release.datasets)
    assert tree(project / "output") == before


@pytest.mark.parametrize("damage", ["edit", "delete", "extra", "link"])
def test_a_damaged_output_is_rebuilt_not_reused(project: Path, damage: str) -> None:
    build_site(project)
    output = project / "output"
    before = tree(output)
    page = output / "index.html"
    if damage == "edit":
        page.write_bytes(page.read_bytes().replace(b"</body>", b"<script>x()</script></body>"))
    elif damage == "delete":
        page.unlink()
    elif damage == "extra":
        (output / "planted.html").write_text("<p>not approved</p>", encoding="utf-8")
    else:
        (output / "planted.html").symlink_to("/etc/hostname")
    result = build_site(project)
    assert "unchanged site" not in result.reused
    assert tree(output) == before


def test_a_corrupted_cache_is_only_a_miss(project: Path, clock) -> None:
    build_site(project)
    expected = tree(project / "output")
    cache = project / "var" / "cache"
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries, "the build stored nothing in its cache"
    for i, path in enumerate(entries):  # every record and blob damaged, each differently
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if i % 2 else data[:-1] + bytes([data[-1] ^ 0xFF]))
    (project / "output" / "index.html").unlink()  # so the site itself cannot be reused
    result = build_site(project)
    assert tree(project / "output") == expected
    assert all(not r or r.startswith("0/") for r in result.reused.values()), result.reused


def test_a_second_build_takes_stage_results_from_the_cache(project: Path, clock) -> None:
    build_site(project)
    add_bulletin(project, "new-note", "新公报")
    approve_one(project, "new-note")
    clock.set("2026-06-01T11:00:00+08:00")
    result = build_site(project)
    hits, total = (int(n) for n in result.reused["check"].split("/"))
    assert total >= 4 and hits == total - 1  # only the new bulletin is checked again
    assert result.reused["derive"].split("/")[0] == result.reused["derive"].split("/")[1]  # charts reused
    hits, total = (int(n) for n in result.reused["open data"].split("/"))
    assert total >= 1 and hits == total  # every version's folder: no dataset changed
    assert "new-note" in result.release.bulletins


def test_an_embargo_ending_makes_the_site_change(project: Path, clock) -> None:
    start = datetime.fromisoformat("2026-06-01T09:00:00+08:00")
    add_bulletin(project, "soon", "即将发布", release_at=start + timedelta(days=1))
    approve_one(project, "soon")
    assert "soon" not in build_site(project).release.bulletins
    clock.set(start + timedelta(hours=23))
    assert build_site(project).reused.get("unchanged site") == "all"
    clock.set(start + timedelta(days=1, minutes=1))
    after = build_site(project)
    assert "unchanged site" not in after.reused and "soon" in after.release.bulletins


def test_timings_on_the_command_line(project: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["--project", str(project), "build", "--timings"])
    assert first.exit_code == 0, first.output
    assert "阶段 / stage" in first.output and "check" in first.output and "total" in first.output
    again = runner.invoke(cli, ["--project", str(project), "build", "--timings"])
    assert again.exit_code == 0 and "unchanged site" in again.output and "all" in again.output
    clean = runner.invoke(cli, ["--project", str(project), "build", "--timings", "--no-cache", "--progress"])
    assert clean.exit_code == 0 and "render" in clean.output and " all" not in clean.output
    assert "] check " in clean.stderr and "] swap " in clean.stderr  # progress, stage by stage


def test_incremental_builds_equal_clean_builds_over_random_changes(project: Path, clock) -> None:
    """After each change of a seeded random sequence, the incremental build (cache, previous
    output) and a clean build (no cache, empty output) give the same bytes."""
    rng = random.Random(SEED)
    now = datetime.fromisoformat("2026-06-01T09:00:00+08:00")
    csv = project / "content" / "datasets" / "air-mini" / "air_hourly.csv"
    live: list[str] = []
    pending: list[tuple[str, datetime]] = []
    counter = 0

    def change(kind: str) -> None:
        nonlocal counter
        counter += 1
        if kind == "approve":
            name = f"note-{counter}"
            add_bulletin(project, name, f"第{counter}号公报")
            approve_one(project, name)
            live.append(name)
        elif kind == "correct":
            lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
            row = rng.randrange(1, len(lines))
            cells = lines[row].rstrip("\n").split(",")
            cells[-1] = f"{rng.uniform(5, 80):.1f}"
            lines[row] = ",".join(cells) + "\n"
            csv.write_text("".join(lines), encoding="utf-8")
            approve_one(project, "air-mini", reason="correction", note="更正 / corrected")
        elif kind == "withdraw" and live:
            withdraw(project, live.pop(rng.randrange(len(live))), "li-hua", demo_key("li-hua"),
                     "核实中 / under review")
        elif kind == "embargo":
            name = f"embargoed-{counter}"
            add_bulletin(project, name, f"定时公报{counter}", release_at=now + timedelta(hours=rng.randint(1, 6)))
            approve_one(project, name)
            pending.append((name, now))
        elif kind == "rules":
            rules = project / "release_rules.yaml"
            rules.write_text(rules.read_text(encoding="utf-8") + f"# 第{counter}次修订\n", encoding="utf-8")

    kinds = ["approve", "correct", "withdraw", "embargo", "rules", "nothing"]
    sequence = ["approve", "embargo"] + [rng.choice(kinds) for _ in range(5)]
    for step, kind in enumerate(sequence):
        now += timedelta(hours=rng.choice([1, 2, 4]))
        clock.set(now)
        change(kind)
        incremental = build_site(project)
        clean = build_site(project, project / "output-clean", use_cache=False)
        assert set(incremental.release.bulletins) == set(clean.release.bulletins)
        diff = differences(tree(project / "output"), tree(project / "output-clean"))
        assert not diff, f"seed {SEED}, step {step} ({kind}): {diff[:10]}"
    assert any(k in sequence for k in ("correct", "withdraw", "rules")), sequence


# -- what the keys cover beyond the content: the code around the package, the libraries ----------


@pytest.fixture
def fresh_code_digest():
    """``code_digest`` is computed once per process: cleared before and after a test that changes
    what it reads."""
    from publisher import cache

    cache.code_digest.cache_clear()
    yield cache
    cache.code_digest.cache_clear()


def test_the_code_digest_covers_the_bundled_themes_and_the_libraries(tmp_path: Path, monkeypatch,
                                                                      fresh_code_digest) -> None:
    cache = fresh_code_digest
    package = tmp_path / "publisher"
    package.mkdir()
    (package / "site.py").write_text("X = 1\n", encoding="utf-8")
    bundle = tmp_path / "themes" / "portal" / "vendor" / "plotly.min.js"
    bundle.parent.mkdir(parents=True)
    bundle.write_text("/* plotly 3.0.0 */", encoding="utf-8")
    monkeypatch.setattr(cache, "_PACKAGE", package)
    digests = [cache.code_digest()]
    bundle.write_text("/* plotly 3.0.1, a security fix */", encoding="utf-8")  # the vendored bundle upgraded
    cache.code_digest.cache_clear()
    digests.append(cache.code_digest())
    monkeypatch.setattr(cache, "library_versions", lambda: {"markdown": "9.9"})  # a library upgraded
    cache.code_digest.cache_clear()
    digests.append(cache.code_digest())
    assert len(set(digests)) == 3


def test_a_library_upgrade_rebuilds_the_site_as_a_clean_build_would(project: Path, tmp_path: Path, monkeypatch,
                                                                      fresh_code_digest) -> None:
    import markdown

    cache = fresh_code_digest
    build_site(project)
    original = markdown.Markdown.convert  # the upgrade renders differently (a comment after each body)
    monkeypatch.setattr(markdown.Markdown, "convert", lambda self, text: original(self, text) + "<p>md 9.9</p>")
    monkeypatch.setattr(cache, "library_versions", lambda: {"markdown": "9.9"})  # and says so in its version
    cache.code_digest.cache_clear()
    result = build_site(project)
    assert "unchanged site" not in result.reused
    build_site(project, tmp_path / "clean", use_cache=False)
    assert differences(tree(project / "output"), tree(tmp_path / "clean")) == []
    assert any("md 9.9" in p.read_text(encoding="utf-8") for p in (project / "output").rglob("*.html"))


def test_the_cache_folders_are_owner_only(project: Path) -> None:
    import stat

    old = os.umask(0o022)
    try:
        build_site(project)
    finally:
        os.umask(old)
    cache = project / "var" / "cache"
    for folder in (cache, cache / "entries", cache / "blobs"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder.relative_to(project)
