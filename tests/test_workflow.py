"""The release workflow through the library and the command line: signed, byte-bound approvals."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from publisher import keys
from publisher.content import load_content
from publisher.workflow import WorkflowError, approve, item_states, open_log, reject, reopen, submit, withdraw

# The fixture's rules list demo keys for these approvers (DEMO ONLY): the city bureau's reviewer
# and two press officers; and for the city bureau's data officer, who submits.
REVIEWER, PRESS, PRESS2, OFFICER = "zhang-min", "li-hua", "ma-li", "chen-officer"


@pytest.fixture
def project(portal: Path) -> Path:
    """The fixture portal with the approvers' (demo) keys written to var/keys, as keygen would."""
    from cryptography.hazmat.primitives import serialization

    for user in (REVIEWER, PRESS, PRESS2, OFFICER):
        pem = keys.demo_key(user).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())
        (portal / "var" / "keys").mkdir(parents=True, exist_ok=True)
        keys.write_private_key(portal / "var" / "keys" / f"{user}.key", pem)
    return portal


def key(project: Path, user: str):
    return keys.load_private_key(project / "var" / "keys" / f"{user}.key", None)


def state(project: Path, item: str) -> str:
    return {s.item: s for s in item_states(project)[0]}[item].state


def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher.cli", "--project", str(project), *args],
                          capture_output=True, text=True)


def test_full_approval_makes_an_item_approved(project: Path) -> None:
    assert state(project, "air-mini") == "draft"
    submit(project, "air-mini", OFFICER, key(project, OFFICER))
    assert state(project, "air-mini") == "awaiting"
    approve(project, "air-mini", REVIEWER, key(project, REVIEWER))
    states = {s.item: s for s in item_states(project)[0]}
    assert states["air-mini"].state == "awaiting"
    assert states["air-mini"].roles_done == ["reviewer:sthjj"]
    approve(project, "air-mini", PRESS, key(project, PRESS))
    assert state(project, "air-mini") == "approved"


def test_change_after_approval_voids_it(project: Path) -> None:
    submit(project, "air-mini", OFFICER, key(project, OFFICER))
    approve(project, "air-mini", REVIEWER, key(project, REVIEWER))
    approve(project, "air-mini", PRESS, key(project, PRESS))
    csv = project / "content/datasets/air-mini/air_hourly.csv"
    csv.write_bytes(csv.read_bytes().replace(b",30.1\n", b",31.1\n", 1))
    assert state(project, "air-mini") == "modified"
    [s] = [s for s in item_states(project)[0] if s.item == "air-mini"]
    assert s.versions[0].number == 1  # the approved version stays on record


def test_refusals(project: Path) -> None:
    with pytest.raises(WorkflowError, match="not been submitted"):
        approve(project, "air-mini", PRESS, key(project, PRESS))
    submit(project, "air-mini", REVIEWER, key(project, REVIEWER))
    with pytest.raises(WorkflowError, match="submitted this item and cannot approve it"):
        approve(project, "air-mini", REVIEWER, key(project, REVIEWER))
    with pytest.raises(WorkflowError, match="does not match the public key"):
        approve(project, "air-mini", PRESS, key(project, PRESS2))
    with pytest.raises(WorkflowError, match="not an approver"):
        approve(project, "air-mini", "nobody", key(project, PRESS))
    approve(project, "air-mini", PRESS, key(project, PRESS))
    with pytest.raises(WorkflowError, match="still needed: reviewer:sthjj"):
        approve(project, "air-mini", PRESS2, key(project, PRESS2))


def test_forged_approval_in_the_log_does_not_count(project: Path) -> None:
    submit(project, "air-mini", OFFICER, key(project, OFFICER))
    approve(project, "air-mini", REVIEWER, key(project, REVIEWER))
    # An approval signed with a key not listed for li-press, appended by someone with log access.
    from publisher.workflow import approval_message, log_signer, manifest
    from publisher.content import load_content
    import base64

    content = load_content(project)
    man = manifest(content, content.item("air-mini"))
    forged_key = keys.generate_keypair("mallory", None)
    mallory = keys.private_key_from_pem(forged_key[0], None)
    when = "2026-06-01T09:00:00+08:00"
    sig = keys.sign(mallory, approval_message("air-mini", man.digest, "press-office", PRESS, time=when))
    with open_log(project) as log:
        log.append("approval", PRESS, "air-mini", files=man.files, signer=log_signer(project), time=when,
                   details={"digest": man.digest, "role": "press-office", "public_key": forged_key[1],
                            "signature": base64.b64encode(sig).decode()})
    assert state(project, "air-mini") == "awaiting"


def test_reject_and_withdraw(project: Path) -> None:
    submit(project, "air-mini", OFFICER, key(project, OFFICER))
    reject(project, "air-mini", PRESS, key(project, PRESS), "单位写错了 / wrong unit")
    assert state(project, "air-mini") == "rejected"
    with pytest.raises(WorkflowError, match="was rejected"):
        approve(project, "air-mini", REVIEWER, key(project, REVIEWER))
    with pytest.raises(WorkflowError, match="were rejected"):
        submit(project, "air-mini", OFFICER, key(project, OFFICER))
    reopen(project, "air-mini", PRESS, key(project, PRESS), "已核实 / checked")
    submit(project, "air-mini", OFFICER, key(project, OFFICER))  # resubmitted after discussion
    approve(project, "air-mini", REVIEWER, key(project, REVIEWER))
    approve(project, "air-mini", PRESS, key(project, PRESS))
    with pytest.raises(WorkflowError, match="only the press office"):
        withdraw(project, "air-mini", REVIEWER, key(project, REVIEWER), "x")
    withdraw(project, "air-mini", PRESS, key(project, PRESS), "发现仪器故障 / instrument fault found")
    assert state(project, "air-mini") == "withdrawn"


def test_new_version_of_published_item_needs_a_note(project: Path) -> None:
    submit(project, "air-mini", OFFICER, key(project, OFFICER))
    approve(project, "air-mini", REVIEWER, key(project, REVIEWER))
    approve(project, "air-mini", PRESS, key(project, PRESS))
    meta = project / "content/datasets/air-mini/dataset.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("两个站点两天", "两个站点连续两天"), encoding="utf-8")
    submit(project, "air-mini", OFFICER, key(project, OFFICER))
    with pytest.raises(WorkflowError, match="--note"):
        approve(project, "air-mini", REVIEWER, key(project, REVIEWER))
    approve(project, "air-mini", REVIEWER, key(project, REVIEWER), note="更正说明文字")
    approve(project, "air-mini", PRESS, key(project, PRESS), note="同意更正")
    [s] = [s for s in item_states(project)[0] if s.item == "air-mini"]
    assert [v.number for v in s.versions] == [1, 2]
    assert s.versions[1].reason == "correction" and "更正说明文字" in s.versions[1].note


def test_cli_workflow_status_and_audit(project: Path) -> None:
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 0
    refused = cli(project, "approve", "air-mini", "--as", "zhao-lei")  # an approver whose key is not here
    assert refused.returncode == 2 and "no private key" in refused.stderr
    ok = cli(project, "approve", "air-mini", "--as", REVIEWER)
    assert ok.returncode == 0, ok.stderr
    assert "reviewer:sthjj" in ok.stdout
    status = cli(project, "status", "--format", "json")
    assert status.returncode == 0
    import json

    items = {s["item"]: s for s in json.loads(status.stdout)}
    assert items["air-mini"]["state"] == "awaiting" and items["air-mini"]["roles_done"] == ["reviewer:sthjj"]
    assert "待审批" in cli(project, "status").stdout
    log = cli(project, "audit", "log", "air-mini")
    assert "submission" in log.stdout and "approval" in log.stdout
    assert cli(project, "audit", "verify").returncode == 0
    # tamper with the stored entry: verify names it and exits 1
    db = sqlite3.connect(project / "var/audit.sqlite")
    seq = 2  # the approval (0: the rules in force, logged before the first action; 1: the submission)
    row = db.execute("SELECT canonical FROM entries WHERE seq = ?", (seq,)).fetchone()[0]
    db.execute("UPDATE entries SET canonical = ? WHERE seq = ?", (bytes(row).replace(b"zhang-min", b"zhang-max"), seq))
    db.commit()
    db.close()
    broken = cli(project, "audit", "verify", "--format", "json")
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["first_bad_seq"] == seq


def _approve_in_process(args: tuple[str, str, str]) -> str:
    root, item, user = args
    from publisher.workflow import approve as approve_item

    approve_item(Path(root), item, user, keys.load_private_key(Path(root) / "var/keys" / f"{user}.key", None))
    return user


def test_parallel_approvers_lose_nothing(project: Path) -> None:
    submit(project, "air-mini", OFFICER, key(project, OFFICER))
    submit(project, "air-2025-01", OFFICER, key(project, OFFICER))
    jobs = [(str(project), "air-mini", REVIEWER), (str(project), "air-mini", PRESS),
            (str(project), "air-2025-01", REVIEWER), (str(project), "air-2025-01", PRESS)]
    with ProcessPoolExecutor(max_workers=4) as pool:
        assert sorted(pool.map(_approve_in_process, jobs)) == sorted(u for _, _, u in jobs)
    with open_log(project) as log:
        entries = log.entries()
    assert [e.seq for e in entries] == list(range(7))  # the rules in force, 2 submissions, 4 approvals
    assert [e.event for e in entries].count("rules") == 1
    assert state(project, "air-mini") == "approved" and state(project, "air-2025-01") == "approved"


def test_batch_approval_is_all_or_nothing(project: Path) -> None:
    submit(project, ["air-mini", "air-2025-01"], OFFICER, key(project, OFFICER))
    # (a change to the working copy no longer makes an approval fail: the submitted bytes are
    # approved from the archive; a rejected item does)
    reject(project, "air-2025-01", PRESS, key(project, PRESS), "图表标题有误 / wrong chart title")
    with open_log(project) as log:
        before = len(log)
    with pytest.raises(WorkflowError, match="air-2025-01.*was rejected"):
        approve(project, ["air-mini", "air-2025-01"], REVIEWER, key(project, REVIEWER))
    with open_log(project) as log:
        assert len(log) == before  # air-mini was not approved either
    entries = approve(project, ["air-mini"], REVIEWER, key(project, REVIEWER))
    assert [e.item for e in entries] == ["air-mini"]
    result = cli(project, "approve", "air-mini", "air-2025-01", "--as", PRESS)
    assert result.returncode == 1 and "air-2025-01" in result.stderr


def test_cli_reject_and_withdraw(project: Path) -> None:
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 0
    rejected = cli(project, "reject", "air-mini", "--as", PRESS, "--reason", "请补充说明 / explain the gap")
    assert rejected.returncode == 0 and "rejected" in rejected.stdout
    assert "已退回" in cli(project, "status").stdout
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 1  # the rejection stands
    assert cli(project, "reopen", "air-mini", "--as", PRESS, "--reason", "已补充 / explained").returncode == 0
    assert cli(project, "submit", "air-mini", "--as", OFFICER).returncode == 0
    for user in (REVIEWER, PRESS):
        assert cli(project, "approve", "air-mini", "--as", user).returncode == 0
    refused = cli(project, "withdraw", "air-mini", "--as", REVIEWER, "--reason", "x")
    assert refused.returncode == 1 and "only the press office" in refused.stderr
    withdrawn = cli(project, "withdraw", "air-mini", "--as", PRESS, "--reason", "仪器故障 / instrument fault")
    assert withdrawn.returncode == 0
    log = cli(project, "audit", "log", "air-mini").stdout
    assert [line.split()[2] for line in log.splitlines()] == [
        "submission", "rejection", "reopening", "submission", "approval", "approval", "withdrawal"]


def test_a_submission_is_signed_with_the_submitters_listed_key_for_their_own_department(project: Path) -> None:
    with pytest.raises(WorkflowError, match="not a submitter"):
        submit(project, "air-mini", PRESS, key(project, PRESS))
    with pytest.raises(WorkflowError, match="does not match the public key listed for 'chen-officer'"):
        submit(project, "air-mini", OFFICER, key(project, REVIEWER))
    meta = project / "content/datasets/air-mini/dataset.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("department: sthjj", "department: lyj", 1),
                    encoding="utf-8")
    with pytest.raises(WorkflowError, match="belongs to sthjj and cannot submit 'air-mini' of lyj"):
        submit(project, "air-mini", OFFICER, key(project, OFFICER))
    [entry] = submit(project, "air-2025-01", OFFICER, key(project, OFFICER))
    assert entry.details["public_key"] == keys.public_key_text(key(project, OFFICER))
    assert {s.item: s for s in item_states(project)[0]}["air-2025-01"].submitted_by == [OFFICER]


def test_reopen_needs_a_standing_rejection_and_the_listed_key(project: Path) -> None:
    submit(project, "air-mini", OFFICER, key(project, OFFICER))
    with pytest.raises(WorkflowError, match="nothing to reopen"):
        reopen(project, "air-mini", PRESS, key(project, PRESS), "x")
    reject(project, "air-mini", PRESS2, key(project, PRESS2), "缺说明 / explain")
    with pytest.raises(WorkflowError, match="does not match the public key listed for 'li-hua'"):
        reopen(project, "air-mini", PRESS, key(project, PRESS2), "x")
    with pytest.raises(WorkflowError, match="--reason"):
        reopen(project, "air-mini", REVIEWER, key(project, REVIEWER), " ")
    entry = reopen(project, "air-mini", REVIEWER, key(project, REVIEWER), "已补充 / explained")
    assert entry.event == "reopening" and entry.details["role"] == "reviewer:sthjj"
    assert state(project, "air-mini") == "draft"  # reopened: the bytes may be submitted again
    assert cli(project, "submit", "air-mini", "--as", OFFICER, "--key",
               str(project / "var/keys" / f"{OFFICER}.key")).returncode == 0
    assert state(project, "air-mini") == "awaiting"


def test_cli_submits_and_approves_the_registry_and_status_shows_it(project: Path) -> None:
    assert cli(project, "submit", "registry", "--as", "chen-officer").returncode == 0
    for user in (REVIEWER, PRESS):
        ok = cli(project, "approve", "registry", "--as", user)
        assert ok.returncode == 0, ok.stderr
    import json

    items = {s["item"]: s for s in json.loads(cli(project, "status", "--format", "json").stdout)}
    assert items["registry"]["kind"] == "registry" and items["registry"]["state"] == "approved"
    assert items["registry"]["department"] == "sthjj"
    assert items["registry"]["roles_required"] == ["reviewer:sthjj", "press-office"]
    refused = cli(project, "withdraw", "registry", "--as", PRESS, "--reason", "x")
    assert refused.returncode != 0 and "the registry cannot be withdrawn" in refused.stderr


def test_a_dataset_cannot_take_a_reserved_id(project: Path) -> None:
    shutil.copytree(project / "content/datasets/air-mini", project / "content/datasets/registry")
    content = load_content(project)
    assert content.item("registry").kind == "registry"
    assert [f.rule for f in content.findings if f.file == "content/datasets/registry"] == ["item-id-reserved"]


def test_the_review_queue_lists_a_submitted_registry(project: Path) -> None:
    from publisher.review import review_queue

    submit(project, "registry", OFFICER, key(project, OFFICER))
    mine, _ = review_queue(project, PRESS)
    assert [(row.state.item, row.pending) for row in mine] == [("registry", ["reviewer:sthjj", "press-office"])]
