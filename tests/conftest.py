"""Shared fixtures: a small fixture portal, copied so tests may change it freely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_PORTAL = Path(__file__).resolve().parent / "fixtures" / "portal"


@pytest.fixture
def portal(tmp_path: Path) -> Path:
    """A fresh copy of the fixture portal (one dataset, one bulletin with English, one embargoed)."""
    target = tmp_path / "portal"
    shutil.copytree(FIXTURE_PORTAL, target)
    return target


@pytest.fixture(scope="session")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture portal built once for the whole session; returns the output folder."""
    from publisher.site import build_site

    project = tmp_path_factory.mktemp("built") / "portal"
    shutil.copytree(FIXTURE_PORTAL, project)
    build_site(project)
    return project / "output"
