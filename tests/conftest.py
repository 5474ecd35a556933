"""Shared fixtures: a small fixture portal, copied so tests may change it freely, and the pinned
clock every test runs under."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from publisher import clock as product_clock

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_PORTAL = Path(__file__).resolve().parent / "fixtures" / "portal"

# Every test runs at this instant unless it moves the clock itself (the ``clock`` fixture) or says
# in its name that it is about the real clock. Set for the whole process, before any fixture, so
# session fixtures and the subprocesses that run the CLI see it too: no test passes only while
# the calendar says so (CI also runs the suite under a clock shifted by years).
PINNED_NOW = "2026-06-01T09:00:00+08:00"
os.environ[product_clock.ENV_VAR] = PINNED_NOW


class Clock:
    """The pinned clock of one test: ``clock.set(...)`` moves it for the product and its CLI."""

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self._patch = patch

    def now(self) -> datetime:
        return product_clock.parse_instant(os.environ[product_clock.ENV_VAR])

    def set(self, when: datetime | str) -> datetime:
        text = when if isinstance(when, str) else when.isoformat()
        self._patch.setenv(product_clock.ENV_VAR, text)
        return self.now()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that drive the real browser are marked ``browser`` (``-m "not browser"`` leaves them out,
    as ``make test-shifted`` does: Chromium is not run under a faked clock)."""
    for item in items:
        if {"browser", "page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The product's clock for this test, pinned at ``PINNED_NOW`` until the test moves it."""
    return Clock(monkeypatch)


FIXTURE_ITEMS = ("air-mini", "air-2025-01", "embargoed-note")


def approve_items(project: Path, items: tuple[str, ...] = FIXTURE_ITEMS, **options) -> None:
    """Submit each item and approve it as the city bureau's reviewer and the press office; the
    registry too while it has no approved version (a build publishes nothing that needs it before).

    The submission is signed as data-officer, the approvals as zhang-min and li-hua, with the demo
    keys the fixture's rules list for them (DEMO ONLY).
    """
    from publisher.keys import demo_key
    from publisher.workflow import approve, item_states, submit

    items = tuple(items)
    if "registry" not in items and not item_states(project, items=["registry"])[0][0].versions:
        items = ("registry", *items)
    submit(project, list(items), "data-officer", demo_key("data-officer"))
    for user in ("zhang-min", "li-hua"):
        approve(project, list(items), user, demo_key(user), ack_warnings=True, **options)


@pytest.fixture
def portal(tmp_path: Path) -> Path:
    """A fresh copy of the fixture portal (one dataset, one bulletin with English, one embargoed),
    nothing submitted yet."""
    target = tmp_path / "portal"
    shutil.copytree(FIXTURE_PORTAL, target)
    return target


@pytest.fixture
def approved_portal(portal: Path) -> Path:
    """The fixture portal with every item approved (the embargoed one stays scheduled)."""
    approve_items(portal)
    return portal


@pytest.fixture(scope="session")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture portal, approved and built once for the whole session; the output folder."""
    from publisher.site import build_site

    project = tmp_path_factory.mktemp("built") / "portal"
    shutil.copytree(FIXTURE_PORTAL, project)
    approve_items(project)
    build_site(project)
    return project / "output"


CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright, one for the whole session (Playwright's sync API
    cannot run two at once). Skips with the reason when chromium or Playwright is missing."""
    if not CHROMIUM:
        pytest.skip("chromium is not installed (run tools/test-setup.sh as root, or apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()
