"""Attacks by replay and by rules: copied signed entries, one person in two roles, a rotated key.

Each test is one attack, by someone who can append to the audit log (runs publisher as the
service account, writes ``var/``) or edits ``release_rules.yaml``; it asserts on the item's state
and the versions the build would publish, read from the log.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from publisher import keys
from publisher.config import load_rules
from publisher.content import load_content
from publisher.workflow import (WorkflowError, approve, approved_versions, item_states, log_signer, open_log, reject,
                                reopen, submit, withdraw)

ITEM = "air-mini"
REVIEWER, PRESS, OFFICER = "zhang-min", "li-hua", "data-officer"


def state(project: Path):
    return {s.item: s for s in item_states(project, items=[ITEM])[0]}[ITEM]


def versions(project: Path) -> list[tuple[int, bool]]:
    found = approved_versions(project, load_rules(project), load_content(project))
    return [(v.number, v.withdrawn is not None) for v in found.get(ITEM, [])]


def copy_to_end(project: Path, entry) -> None:
    """Append ``entry`` again, unchanged (actor, item, version, files, details: its signature too)."""
    with open_log(project) as log:
        log.append(entry.event, entry.actor, entry.item, version=entry.version, files=entry.files,
                   details=entry.details, signer=log_signer(project))


def change_bytes(project: Path) -> None:
    csv = project / "content" / "datasets" / ITEM / "air_hourly.csv"
    csv.write_bytes(csv.read_bytes().replace(b",46.5\n", b",46.6\n", 1))


def ticking(clock):
    """Move the pinned clock one minute per action, as real actions are apart in time."""
    start = clock.now()
    step = iter(range(1, 1000))
    return lambda: clock.set(start + timedelta(minutes=next(step)))


def test_a_copied_withdrawal_does_not_take_down_a_version_approved_after_it(approved_portal: Path, clock) -> None:
    tick = ticking(clock)
    tick()
    [withdrawal] = withdraw(approved_portal, ITEM, PRESS, keys.demo_key(PRESS), "测试撤回 / withdrawn: wrong hour")
    assert versions(approved_portal) == [(1, True)]
    change_bytes(approved_portal)
    tick()
    submit(approved_portal, ITEM, OFFICER, keys.demo_key(OFFICER))
    for user in (REVIEWER, PRESS):
        tick()
        approve(approved_portal, ITEM, user, keys.demo_key(user), ack_warnings=True, note="更正 / corrected hour")
    assert versions(approved_portal) == [(1, True), (2, False)]
    tick()
    copy_to_end(approved_portal, withdrawal)
    assert versions(approved_portal) == [(1, True), (2, False)]
    assert state(approved_portal).state == "approved"


def test_a_copied_reopening_does_not_lift_a_later_rejection(portal: Path, clock) -> None:
    tick = ticking(clock)
    submit(portal, ITEM, OFFICER, keys.demo_key(OFFICER))
    tick()
    reject(portal, ITEM, REVIEWER, keys.demo_key(REVIEWER), "单位写错了 / wrong unit")
    tick()
    reopening = reopen(portal, ITEM, PRESS, keys.demo_key(PRESS), "已核实 / checked")
    tick()
    submit(portal, ITEM, OFFICER, keys.demo_key(OFFICER))
    tick()
    reject(portal, ITEM, REVIEWER, keys.demo_key(REVIEWER), "单位写错了 / wrong unit")
    assert state(portal).state == "rejected"
    tick()
    copy_to_end(portal, reopening)
    assert state(portal).state == "rejected"
    with pytest.raises(WorkflowError, match="were rejected"):
        submit(portal, ITEM, OFFICER, keys.demo_key(OFFICER))


def test_a_copied_approval_does_not_count_after_a_rejection_and_resubmission(portal: Path, clock) -> None:
    tick = ticking(clock)
    submit(portal, ITEM, OFFICER, keys.demo_key(OFFICER))
    tick()
    [approval] = approve(portal, ITEM, REVIEWER, keys.demo_key(REVIEWER), ack_warnings=True)
    tick()
    reject(portal, ITEM, PRESS, keys.demo_key(PRESS), "标题不对 / wrong title")
    tick()
    reopen(portal, ITEM, PRESS, keys.demo_key(PRESS), "已核实 / checked")
    tick()
    submit(portal, ITEM, OFFICER, keys.demo_key(OFFICER))
    tick()
    copy_to_end(portal, approval)   # the reviewer's approval of before the rejection, once more
    assert state(portal).roles_done == []
    tick()
    approve(portal, ITEM, PRESS, keys.demo_key(PRESS), ack_warnings=True)
    after = state(portal)
    assert after.state == "awaiting" and after.roles_done == ["press-office"] and versions(portal) == []


def test_one_person_in_two_roles_cannot_fill_both(portal: Path, clock) -> None:
    rules = portal / "release_rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "li-hua: {name: 李华, department: sthjj, roles: [press-office]",
        'li-hua: {name: 李华, department: sthjj, roles: [press-office, "reviewer:sthjj"]'), encoding="utf-8")
    # the rules say what this person can and cannot do alone
    assert "approver-roles-overlap" in [f.rule for f in load_rules(portal).findings]
    tick = ticking(clock)
    submit(portal, ITEM, OFFICER, keys.demo_key(OFFICER))
    tick()
    [first] = approve(portal, ITEM, PRESS, keys.demo_key(PRESS), ack_warnings=True)
    tick()
    with pytest.raises(WorkflowError, match="already approved this version"):
        approve(portal, ITEM, PRESS, keys.demo_key(PRESS), ack_warnings=True)
    with open_log(portal) as log:
        assert [e.actor for e in log.entries(ITEM) if e.event == "approval"] == [PRESS]
    after = state(portal)
    assert after.state == "awaiting" and after.roles_done == [first.details["role"]]
    # and the second role, signed with her key and written straight into the log, counts for nothing
    other = next(r for r in ("press-office", "reviewer:sthjj") if r != first.details["role"])
    from publisher import workflow

    time = clock.now().isoformat()
    try:
        message = workflow.approval_message(ITEM, first.details["digest"], other, PRESS, time=time)
    except TypeError:  # the message format before it carried the time
        message = workflow.approval_message(ITEM, first.details["digest"], other, PRESS)
    import base64

    details = {**first.details, "role": other,
               "signature": base64.b64encode(keys.sign(keys.demo_key(PRESS), message)).decode("ascii")}
    with open_log(portal) as log:
        log.append("approval", PRESS, ITEM, version=1, files=first.files, details=details, time=time,
                   signer=log_signer(portal))
    assert state(portal).state == "awaiting" and versions(portal) == []


def test_rotating_a_key_in_the_rules_keeps_the_portal(approved_portal: Path, clock) -> None:
    before = approved_versions(approved_portal, load_rules(approved_portal), load_content(approved_portal))
    assert set(before) == {"registry", "air-mini", "air-2025-01", "embargoed-note"}
    rules = approved_portal / "release_rules.yaml"
    old = keys.public_key_text(keys.demo_key(PRESS))
    new = keys.public_key_text(keys.demo_key("li-hua-2027"))
    text = rules.read_text(encoding="utf-8")
    assert old in text
    rules.write_text(text.replace(old, new), encoding="utf-8")
    after = approved_versions(approved_portal, load_rules(approved_portal), load_content(approved_portal))
    assert {i: [v.digest for v in vs] for i, vs in after.items()} == {i: [v.digest for v in vs] for i, vs in before.items()}
    # the new key approves what follows; the old one no longer does
    change_bytes(approved_portal)
    clock.set(clock.now() + timedelta(minutes=1))
    submit(approved_portal, ITEM, OFFICER, keys.demo_key(OFFICER))
    approve(approved_portal, ITEM, REVIEWER, keys.demo_key(REVIEWER), ack_warnings=True, note="更正 / corrected")
    with pytest.raises(WorkflowError, match="does not match the public key"):
        approve(approved_portal, ITEM, PRESS, keys.demo_key(PRESS), ack_warnings=True, note="更正 / corrected")
    approve(approved_portal, ITEM, PRESS, keys.demo_key("li-hua-2027"), ack_warnings=True, note="更正 / corrected")
    assert versions(approved_portal) == [(1, False), (2, False)]
    with open_log(approved_portal) as log:
        logged = [e for e in log.entries() if e.event == "rules"]
    assert logged[-1].details["keys_changed"] == [PRESS]
    # an approver removed from the rules: what she signed while listed still stands
    text = rules.read_text(encoding="utf-8")
    rules.write_text("\n".join(line for line in text.splitlines() if not line.startswith("  zhang-min: {name: 张敏, department: sthjj, roles")) + "\n",
                     encoding="utf-8")
    assert REVIEWER not in load_rules(approved_portal).approvers
    assert versions(approved_portal) == [(1, False), (2, False)]


def test_a_rules_entry_that_swaps_a_key_and_claims_no_change_is_shown_on_the_release_log(approved_portal: Path) -> None:
    from publisher.site import build_site

    with open_log(approved_portal) as log:
        [last] = [e for e in log.entries() if e.event == "rules"][-1:]
        mallory = keys.private_key_from_pem(keys.generate_keypair("mallory", None)[0], None)
        forged = {**last.details, "previous": last.details["digest"], "approvers_added": {}, "approvers_removed": {},
                  "keys_changed": [], "approver_keys": {**last.details["approver_keys"],
                                                         PRESS: keys.public_key_text(mallory)}}
        entry = log.append("rules", "publisher", last.item, files=last.files, details=forged,
                           signer=log_signer(approved_portal))
    build_site(approved_portal)
    page = (approved_portal / "output" / "releases.html").read_text(encoding="utf-8")
    row = next(r for r in page.split("<tr>") if f"#{entry.seq}</td>" in r)
    assert "更换公钥" in row and PRESS in row  # "new key: li-hua"
