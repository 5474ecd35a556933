"""Attacks on the registry and the release rules as inputs of the build.

The registry (``content/registry.yaml``: areas, stations, sections, enterprises) names what every
dataset's rows refer to; the release rules decide who may approve. Both feed every page. The
threats and their defences: ``docs/threats/registry.md``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import FIXTURE_ITEMS, approve_items

from publisher.check import check_items
from publisher.keys import demo_key, public_key_text
from publisher.site import build_site
from publisher.workflow import WorkflowError, approve, item_states, open_log, submit

REGISTRY = Path("content") / "registry.yaml"
EAST = "{id: aq-east, name: 东站, name_en: East,"
WEST_LINE = '  - {id: aq-west, name: 西站, name_en: West, area: "990102", lat: 30.58, lon: 114.21, type: urban}\n'


def _edit(project: Path, old: str, new: str) -> None:
    path = project / REGISTRY
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _site_files(output: Path) -> dict[str, bytes]:
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}


def _site_text(output: Path) -> str:
    """Every text file the site serves (pages, chart data, feeds, search index, log), joined."""
    parts = []
    for rel, data in _site_files(output).items():
        try:
            parts.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            continue  # XLSX, Parquet, compressed search fragments
    return "\n".join(parts)


def _rules_entries(project: Path) -> list:
    with open_log(project) as log:
        return [e for e in log.entries() if e.event == "rules"]


def test_rename_a_station_in_the_working_registry_after_approval_keeps_the_approved_name(portal: Path) -> None:
    approve_items(portal)
    _edit(portal, EAST, "{id: aq-east, name: 伪造站, name_en: Forged Station,")
    build_site(portal)
    out = portal / "output"
    text = _site_text(out)
    assert "伪造站" not in text and "Forged Station" not in text
    page = (out / "datasets" / "air-mini" / "index.html").read_text(encoding="utf-8")
    assert "东站" in page  # the chart legends and tables keep the approved name
    assert "East" in (out / "en" / "datasets" / "air-mini" / "index.html").read_text(encoding="utf-8")
    states = {s.item: s.state for s in item_states(portal)[0]}
    assert states["registry"] == "modified"  # the edit waits for its own approval


def test_delete_a_registry_entry_in_the_working_copy_makes_no_approved_item_vanish(portal: Path) -> None:
    approve_items(portal)
    build_site(portal)
    before = _site_files(portal / "output")
    _edit(portal, WEST_LINE, "")  # air-mini has rows of aq-west
    result = build_site(portal)
    assert "air-mini" in result.release.datasets and "air-2025-01" in result.release.bulletins
    assert _site_files(portal / "output") == before  # byte for byte the approved site


def test_delete_the_working_registry_file_makes_no_approved_item_vanish(portal: Path) -> None:
    approve_items(portal)
    build_site(portal)
    before = _site_files(portal / "output")
    (portal / REGISTRY).unlink()
    result = build_site(portal)
    assert "air-mini" in result.release.datasets and "air-2025-01" in result.release.bulletins
    assert _site_files(portal / "output") == before


def test_a_registry_version_that_drops_an_approved_entry_cannot_be_submitted(portal: Path) -> None:
    approve_items(portal)
    _edit(portal, WEST_LINE, "")
    with pytest.raises(WorkflowError) as refused:
        submit(portal, "registry", "data-officer", demo_key("data-officer"))
    assert "registry-entry-removed" in str(refused.value)
    [finding] = [f for f in check_items(portal, ["registry"]).report if f.rule == "registry-entry-removed"]
    assert finding.message_en == ("aq-west (air_stations), approved in version 1 of the registry, was removed: "
                                  "approved data may refer to it; an entry may be changed but never removed")


def test_build_before_the_registry_is_approved_publishes_nothing_that_needs_it(portal: Path) -> None:
    submit(portal, list(FIXTURE_ITEMS), "data-officer", demo_key("data-officer"))
    for user in ("zhang-min", "li-hua"):
        approve(portal, list(FIXTURE_ITEMS), user, demo_key(user), ack_warnings=True)
    result = build_site(portal)
    assert "air-mini" not in result.release.datasets
    assert "air-2025-01" not in result.release.bulletins  # it cites air-mini
    found = [f for f in result.report if f.rule == "registry-not-approved"]
    assert [f.item for f in found] == ["air-mini"]
    assert "登记表尚未批准" in found[0].message_zh and "the registry has not been approved" in found[0].message_en
    out = portal / "output"
    assert not (out / "datasets" / "air-mini").exists()
    assert "东站" not in _site_text(out)


def _add_approver(project: Path, user: str, role: str) -> None:
    path = project / "release_rules.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "approvers:\n"
    line = f'  {user}: {{name: 冒名者, department: sthjj, roles: [{role}], public_key: "{public_key_text(demo_key(user))}"}}\n'
    path.write_text(text.replace(anchor, anchor + line, 1), encoding="utf-8")


def test_an_unapproved_rules_change_is_logged_with_its_digest_and_shown_on_the_release_log(
        approved_portal: Path) -> None:
    rules = approved_portal / "release_rules.yaml"
    original = rules.read_bytes()
    build_site(approved_portal)
    first = hashlib.sha256(original).hexdigest()
    assert [e.details["digest"] for e in _rules_entries(approved_portal)] == [first]
    _add_approver(approved_portal, "mallory", "press-office")
    changed = hashlib.sha256(rules.read_bytes()).hexdigest()
    build_site(approved_portal)
    rules.write_bytes(original)  # changing it back does not hide the change
    build_site(approved_portal)
    entries = _rules_entries(approved_portal)
    assert [e.details["digest"] for e in entries] == [first, changed, first]
    assert entries[1].details["previous"] == first
    assert entries[1].details["approvers_added"] == {"mallory": ["press-office"]}
    assert entries[2].details["approvers_removed"] == {"mallory": ["press-office"]}
    out = approved_portal / "output"
    public = [json.loads(line) for line in (out / "log" / "entries.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["details"]["digest"] for e in public if e.get("event") == "rules"] == [first, changed, first]
    for lang in ("", "en/"):
        page = (out / lang / "releases.html").read_text(encoding="utf-8")
        assert first in page and changed in page


def test_a_rules_change_granting_approval_rights_is_public_before_what_it_approved(approved_portal: Path) -> None:
    build_site(approved_portal)
    _add_approver(approved_portal, "mallory", "press-office")
    _edit(approved_portal, EAST, "{id: aq-east, name: 伪造站, name_en: Forged Station,")
    submit(approved_portal, "registry", "data-officer", demo_key("data-officer"))
    approve(approved_portal, "registry", "zhang-min", demo_key("zhang-min"), note="改名", ack_warnings=True)
    approve(approved_portal, "registry", "mallory", demo_key("mallory"), note="改名", ack_warnings=True)
    build_site(approved_portal)
    out = approved_portal / "output"
    # What the change can do: grant approval rights, and the approved name is published ...
    assert "伪造站" in (out / "datasets" / "air-mini" / "index.html").read_text(encoding="utf-8")
    # ... and what it cannot: hide. The public log shows the rules that let mallory approve,
    # with mallory named, before the publication of what mallory approved.
    public = [json.loads(line) for line in (out / "log" / "entries.jsonl").read_text(encoding="utf-8").splitlines()]
    granted = next(e for e in public if e.get("event") == "rules" and "mallory" in e["details"]["approvers_added"])
    published = next(e for e in public if e.get("event") == "publication" and e["item"] == "registry"
                     and e["version"] == 2)
    assert granted["seq"] < published["seq"]
