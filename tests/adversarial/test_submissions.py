"""Attacks on who submitted what: separation of duties and rejections rest on signed submissions.

Each test is one attack, run through the command line as a user would (or straight into the log,
as someone with write access to ``var/`` would), and asserts on the log and the item's state.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from publisher import keys
from publisher.content import load_content
from publisher.workflow import WorkflowError, approve, item_states, log_signer, manifest, open_log

REVIEWER, PRESS, OFFICER, OUTSIDER = "zhang-min", "li-hua", "data-officer", "zhao-lei"  # zhao-lei: reviewer:lyj


@pytest.fixture
def project(portal: Path) -> Path:
    """The fixture portal with these users' demo keys in var/keys, as keygen would write them."""
    folder = portal / "var" / "keys"
    folder.mkdir(parents=True)
    for user in (REVIEWER, PRESS, OFFICER, OUTSIDER):
        pem = keys.demo_key(user).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())
        keys.write_private_key(folder / f"{user}.key", pem)
    return portal


def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher.cli", "--project", str(project), *args],
                          capture_output=True, text=True)


def state(project: Path, item: str):
    return {s.item: s for s in item_states(project)[0]}[item]


def events(project: Path, item: str) -> list[tuple[str, str]]:
    with open_log(project) as log:
        return [(e.event, e.actor) for e in log.entries(item)]


def test_a_reviewer_who_resubmits_her_bytes_under_another_name_cannot_approve_them(project: Path) -> None:
    assert cli(project, "submit", "air-mini", "--as", REVIEWER).returncode == 0
    refused = cli(project, "approve", "air-mini", "--as", REVIEWER)
    assert refused.returncode == 1 and "submitted this item and cannot approve it" in refused.stderr
    # the same bytes submitted again under another name: the latest submitter is no longer her
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 0
    attack = cli(project, "approve", "air-mini", "--as", REVIEWER)
    assert attack.returncode == 1
    assert "提交" in attack.stderr and "submitted this item and cannot approve it" in attack.stderr
    assert ("approval", REVIEWER) not in events(project, "air-mini")
    assert cli(project, "approve", "air-mini", "--as", PRESS).returncode == 0
    after = state(project, "air-mini")
    assert after.state == "awaiting" and after.roles_done == ["press-office"]


def test_a_forged_submission_appended_to_the_log_lets_nothing_be_approved(project: Path) -> None:
    content = load_content(project)
    man = manifest(content, content.item("air-mini"))
    mallory = keys.private_key_from_pem(keys.generate_keypair("mallory", None)[0], None)
    from publisher import workflow

    context = getattr(workflow, "SUBMISSION_CONTEXT", b"publisher-submission-v1\n")
    body = ('{"digest":"%s","item":"air-mini","user":"%s"}' % (man.digest, OFFICER)).encode()
    with open_log(project) as log:
        # one with no signature at all, one signed by a key that is not data-officer's
        log.append("submission", OFFICER, "air-mini", files=man.files, signer=log_signer(project),
                   details={"digest": man.digest, "findings": {"errors": [], "warnings": []}})
        log.append("submission", OFFICER, "air-mini", files=man.files, signer=log_signer(project),
                   details={"digest": man.digest, "findings": {"errors": [], "warnings": []},
                            "public_key": keys.public_key_text(mallory),
                            "signature": base64.b64encode(keys.sign(mallory, context + body)).decode()})
    assert state(project, "air-mini").state == "draft"
    with pytest.raises(WorkflowError, match="has not been submitted"):
        approve(project, "air-mini", REVIEWER, keys.demo_key(REVIEWER), ack_warnings=True)
    assert [e for e, _ in events(project, "air-mini")] == ["submission", "submission"]


def test_resubmitting_rejected_bytes_unchanged_does_not_erase_the_rejection(project: Path) -> None:
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 0
    assert cli(project, "reject", "air-mini", "--as", PRESS, "--reason", "单位写错了 / wrong unit").returncode == 0
    again = cli(project, "submit", "air-mini", "--as", OFFICER)
    assert again.returncode == 1
    assert "已被退回" in again.stderr and "were rejected" in again.stderr and "publisher reopen" in again.stderr
    assert "press-office" in again.stderr and "reviewer:sthjj" in again.stderr
    assert events(project, "air-mini") == [("submission", OFFICER), ("rejection", PRESS)]
    after = state(project, "air-mini")
    assert after.state == "rejected" and after.rejection["reason"] == "单位写错了 / wrong unit"
    with pytest.raises(WorkflowError, match="was rejected"):
        approve(project, "air-mini", REVIEWER, keys.demo_key(REVIEWER), ack_warnings=True)


def test_reopening_rejected_bytes_without_authority_leaves_the_rejection_standing(project: Path) -> None:
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 0
    assert cli(project, "reject", "air-mini", "--as", PRESS, "--reason", "缺数据 / data missing").returncode == 0
    # a reviewer of another department (forestry) tries to reopen the city bureau's item
    refused = cli(project, "reopen", "air-mini", "--as", OUTSIDER, "--reason", "我看没问题 / looks fine to me")
    assert refused.returncode == 1, refused.stderr
    assert "新闻办公室" in refused.stderr and "press office" in refused.stderr and "reviewer:sthjj" in refused.stderr
    # and the same reopening written straight into the log, under the press officer's name
    content = load_content(project)
    digest = manifest(content, content.item("air-mini")).digest
    from publisher import workflow

    when = "2026-06-01T09:00:00+08:00"
    message = workflow.reopening_message("air-mini", digest, PRESS, "press-office", "looks fine", time=when)
    forged = keys.sign(keys.demo_key(OUTSIDER), message)
    with open_log(project) as log:
        log.append("reopening", PRESS, "air-mini", signer=log_signer(project), time=when,
                   details={"digest": digest, "role": "press-office", "reason": "looks fine",
                            "public_key": keys.public_key_text(keys.demo_key(OUTSIDER)),
                            "signature": base64.b64encode(forged).decode()})
    assert state(project, "air-mini").state == "rejected"
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 1
    assert [e for e, _ in events(project, "air-mini")] == ["submission", "rejection", "reopening"]
    # the press office may reopen them; then the same bytes may be submitted again
    reopened = cli(project, "reopen", "air-mini", "--as", PRESS, "--reason", "已核实，数据无误 / checked, data correct")
    assert reopened.returncode == 0, reopened.stderr
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 0
    assert state(project, "air-mini").state == "awaiting"


def test_a_rejection_in_a_press_officers_name_without_her_key_blocks_nothing(project: Path) -> None:
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 0
    # a submitter who wants the item held back types the press officer's name (the CLI has her
    # key file only if she left it there; the log is writable by whoever runs publisher)
    content = load_content(project)
    man = manifest(content, content.item("air-mini"))
    with open_log(project) as log:
        log.append("rejection", PRESS, "air-mini", files=man.files, signer=log_signer(project),
                   details={"digest": man.digest, "reason": "撤下 / take it down"})
    after = state(project, "air-mini")
    assert after.state == "awaiting" and after.rejection is None
    for user in (REVIEWER, PRESS):
        approve(project, "air-mini", user, keys.demo_key(user), ack_warnings=True)
    assert state(project, "air-mini").state == "approved"


def test_a_withdrawal_in_a_press_officers_name_without_her_key_takes_nothing_down(project: Path) -> None:
    from conftest import approve_items

    approve_items(project, ("air-mini",))
    content = load_content(project)
    man = manifest(content, content.item("air-mini"))
    with open_log(project) as log:
        log.append("withdrawal", PRESS, "air-mini", version=1, signer=log_signer(project),
                   details={"digest": man.digest, "reason": "撤下 / take it down"})
    after = state(project, "air-mini")
    assert after.state == "approved" and after.versions[-1].withdrawn is None
