"""Attacks on paths: names that become file names, links and special files in content, and the
private folder ``var/``. Each test is the attack, run against the real product (real builds, real
signatures, the real review console); see docs/threats/paths.md."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from conftest import approve_items
from publisher import keys
from publisher.content import load_content
from publisher.review import create_app
from publisher.site import build_site
from publisher.workflow import WorkflowError, archive_files, materialise, open_log, submit

AIR = "content/datasets/air-mini"
PRESS, PASSPHRASE = "li-hua", "demo-pass"
NOTE = "更正 / correction"


# -- helpers -------------------------------------------------------------------------------


def snapshot(folder: Path, *, skip: tuple[Path, ...] = ()) -> dict[str, bytes]:
    """Every regular file under ``folder`` (not under ``skip``) and its bytes."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in skip]
        for name in filenames:
            path = here / name
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


def add_resources(project: Path, names: list[str]) -> bytes:
    """The attacker's change to air-mini: extra resources with the given names, all reading one
    file of forged (unapproved) rows that pass every check. Returns the forged file's bytes."""
    folder = project / AIR
    real = (folder / "air_hourly.csv").read_bytes()
    forged = real.replace(b",74.4,46.5\n", b",74.4,11.1\n", 1)  # a plausible, false first row
    assert forged != real
    (folder / "forged.csv").write_bytes(forged)
    meta = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    template = meta["resources"][0]
    meta["resources"] += [{**copy.deepcopy(template), "name": name, "path": "forged.csv"} for name in names]
    (folder / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")
    return forged


def try_approval(project: Path, items: tuple[str, ...] = ("air-mini",), **options) -> WorkflowError | None:
    """Submit and approve as the demo reviewer and press office; the refusal, if any."""
    try:
        approve_items(project, items, **options)
    except WorkflowError as exc:
        return exc
    return None


def zip_members(folder: Path) -> list[str]:
    names = []
    for path in folder.rglob("*"):
        if path.suffix in (".zip", ".xlsx") and path.is_file():
            with zipfile.ZipFile(path) as archive:
                names += archive.namelist()
    return names


def unsafe_member(name: str) -> bool:
    return name.startswith("/") or "\\" in name or any(part in ("..", "") for part in name.split("/"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def private_modes(var: Path) -> list[str]:
    """Every file or folder under ``var/archive`` (and var itself) readable by others."""
    wide = [f"var {oct(mode(var))}"] if mode(var) & 0o077 else []
    for path in [var / "archive", *(var / "archive").rglob("*")]:
        if mode(path) & 0o077:
            wide.append(f"{path.relative_to(var)} {oct(mode(path))}")
    return wide


def rule_ids(project: Path, item: str | None = None) -> list[str]:
    return [f.rule for f in load_content(project).findings if item is None or f.item == item]


# -- 1. a resource name with ../ ----------------------------------------------------------------


def test_a_dotdot_resource_name_previewed_in_the_console_overwrites_no_published_download(
        approved_portal: Path, tmp_path: Path) -> None:
    """Red team: a merely submitted dataset whose resource is named ``../…`` overwrote the live
    site's downloads (CSV, Excel CSV, XLSX, Parquet) when the press office opened its preview,
    and wrote outside the project."""
    project = approved_portal
    build_site(project)
    live = snapshot(project / "output")
    # The preview stages into var/previews/.publisher-build-*/opendata/data/air-mini/1/: seven
    # levels below the project, eight below its parent.
    add_resources(project, ["../" * 7 + "output/data/air-mini/1/air-hourly", "../" * 8 + "outside-preview"])
    with contextlib.suppress(WorkflowError):  # refused since names are checked
        submit(project, ["air-mini"], "data-officer", keys.demo_key("data-officer"))
    before = snapshot(tmp_path, skip=(project / "var",))

    pem = keys.demo_key(PRESS).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.BestAvailableEncryption(PASSPHRASE.encode()))
    (project / "var" / "keys").mkdir(parents=True, exist_ok=True)
    keys.write_private_key(project / "var" / "keys" / f"{PRESS}.key", pem)
    client = create_app(project).test_client()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").get_data(as_text=True))[1]
    client.post("/unlock", data={"csrf": csrf, "user": PRESS, "passphrase": PASSPHRASE})
    response = client.get("/items/air-mini/preview/", follow_redirects=True)
    assert response.status_code in (200, 404, 500)

    assert snapshot(project / "output") == live
    assert snapshot(tmp_path, skip=(project / "var",)) == before
    assert not list(tmp_path.glob("outside-preview*"))
    assert "resource-name-invalid" in rule_ids(project, "air-mini")


def test_a_dotdot_resource_name_approved_and_built_writes_nothing_outside_the_site(
        approved_portal: Path, tmp_path: Path) -> None:
    """Red team: once approved, the build wrote the forged rows outside the project and the
    release zip carried ``../`` members (zip-slip for whoever unpacks it)."""
    project = approved_portal
    build_site(project)
    live_v1 = {k: v for k, v in snapshot(project / "output").items() if k.startswith("data/air-mini/1/")}
    assert "data/air-mini/1/air-hourly.csv" in live_v1
    # The build stages into .publisher-build-*/opendata/data/air-mini/2/: six levels up from
    # there is the project's parent.
    add_resources(project, ["../" * 6 + "outside-build"])
    refusal = try_approval(project, note=NOTE)
    before = snapshot(tmp_path, skip=(project / "var", project / "output"))

    build_site(project)

    after = snapshot(project / "output")
    assert {k: v for k, v in after.items() if k.startswith("data/air-mini/1/")} == live_v1
    assert snapshot(tmp_path, skip=(project / "var", project / "output")) == before
    assert not list(tmp_path.glob("outside-build*"))
    assert [m for m in zip_members(project / "output") if unsafe_member(m)] == []
    assert refusal is not None and "resource-name-invalid" in str(refusal)


def test_a_zip_member_with_dotdot_is_refused_when_the_zip_is_written(tmp_path: Path) -> None:
    """Defence at write time: whatever a name slipped past, a release zip never carries it."""
    from publisher.zips import Compressed, write_zip

    for member in ("air-mini-v1/../../../etc/cron.d/x", "/abs.csv", "a\\..\\b.csv", "a//b.csv"):
        with pytest.raises(ValueError):
            write_zip(tmp_path / "release.zip", [(member, Compressed.of(b"x"))], (2026, 1, 1, 0, 0, 0))


def test_a_forged_file_list_cannot_make_the_build_write_outside_its_folder(portal: Path, tmp_path: Path) -> None:
    """Defence at write time: a version's file list comes from the log; a path in it that leaves
    the content folder is refused by materialise (release tree, version trees, previews)."""
    data = b"forged\n"
    sha = hashlib.sha256(data).hexdigest()
    (portal / "forged.bin").write_bytes(data)
    archive_files(portal, portal, {"forged.bin": sha})
    target = tmp_path / "tree" / "content"
    target.mkdir(parents=True)
    with pytest.raises(WorkflowError):
        materialise(portal, {"../../pwned.csv": sha}, target)
    with pytest.raises(WorkflowError):
        materialise(portal, {"datasets/x/../../../pwned.csv": sha}, target)
    assert not (tmp_path / "pwned.csv").exists()


# -- 2. symlinks in an item folder ----------------------------------------------------------------


def test_a_link_to_the_log_key_in_an_item_folder_archives_and_publishes_nothing(approved_portal: Path) -> None:
    """Red team: a symlink to var/log.key (0600) in a dataset folder was hashed, copied into
    var/archive/ readable by every local user, and its path and hash went into the public log."""
    project = approved_portal
    log_key = project / "var" / "log.key"
    secret_sha = hashlib.sha256(log_key.read_bytes()).hexdigest()
    os.symlink(log_key, project / AIR / "notes.csv")

    refusal = try_approval(project, note=NOTE)
    build_site(project)

    archived = {p.name for p in (project / "var" / "archive").rglob("*") if p.is_file()}
    assert secret_sha not in archived
    with open_log(project) as log:
        entries = log.entries()
    assert not [e.seq for e in entries if "datasets/air-mini/notes.csv" in e.files or secret_sha in e.files.values()]
    public_log = (project / "output" / "log" / "entries.jsonl").read_text(encoding="utf-8")
    assert secret_sha not in public_log and "notes.csv" not in public_log
    assert private_modes(project / "var") == []
    assert mode(log_key) == 0o600
    assert refusal is not None and "content-file-unsafe" in str(refusal)
    assert "content-file-unsafe" in rule_ids(project, "air-mini")


def test_a_dataset_folder_that_is_a_link_into_var_is_not_loaded(portal: Path) -> None:
    (portal / "var").mkdir()
    (portal / "var" / "secret.yaml").write_text("id: leak\n", encoding="utf-8")
    os.symlink(portal / "var", portal / "content" / "datasets" / "leak")
    content = load_content(portal)
    assert "leak" not in content.datasets
    assert [f.rule for f in content.findings if f.item == "leak"] == ["content-file-unsafe"]


def test_a_var_folder_left_readable_by_others_is_tightened_when_opened(approved_portal: Path) -> None:
    """An archive made before this release (or unpacked from a backup) with wide modes: the next
    command that opens the project makes var/, the archive, keys and previews owner-only."""
    var = approved_portal / "var"
    (var / "previews" / "old").mkdir(parents=True)
    for path in [var, *var.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert private_modes(var) != []

    from publisher.workflow import item_states

    item_states(approved_portal)

    assert private_modes(var) == []
    assert mode(var / "log.key") == 0o600
    assert mode(var / "previews") == 0o700 and mode(var / "previews" / "old") == 0o700


# -- 3. an id ending in a newline ------------------------------------------------------------------


def test_an_id_ending_in_a_newline_is_not_published_as_another_item(approved_portal: Path) -> None:
    """Red team: ``air-mini\\n`` matched ``^…$``; it was published with a newline in folder names
    and sitemap addresses and looked like air-mini in status and in the console."""
    project = approved_portal
    twin = project / "content" / "datasets" / "air-mini\n"
    twin.mkdir()
    (twin / "air_hourly.csv").write_bytes((project / AIR / "air_hourly.csv").read_bytes())
    meta = (project / AIR / "dataset.yaml").read_text(encoding="utf-8")
    (twin / "dataset.yaml").write_text(meta.replace("id: air-mini", 'id: "air-mini\\n"', 1), encoding="utf-8")

    refusal = try_approval(project, ("air-mini\n",))
    build_site(project)

    out = project / "output"
    assert [p for p in out.rglob("*") if "\n" in p.name] == []
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "air-mini\n" not in sitemap and "air-mini%0A" not in sitemap
    from publisher.workflow import item_states

    assert [s.item for s in item_states(project)[0]].count("air-mini") == 1
    assert all("\n" not in s.item for s in item_states(project)[0])
    assert refusal is not None
    [finding] = [f for f in load_content(project).findings if f.rule == "item-id-invalid"]
    assert finding.item == "air-mini\\n" and finding.file == "content/datasets/air-mini\\n"
    assert "\n" not in finding.line()  # one line in a report, not a line that looks like air-mini


# -- 4. special and unlisted files ---------------------------------------------------------------


def test_a_fifo_in_content_hangs_nothing_and_is_a_loading_error(portal: Path) -> None:
    """A FIFO named like a bulletin made every command that reads content block forever; one in a
    dataset folder is no file anyone reviewed."""
    os.mkfifo(portal / "content" / "bulletins" / "pipe.md")
    os.mkfifo(portal / AIR / "pipe.csv")
    try:
        done = subprocess.run([sys.executable, "-m", "publisher.cli", "--project", str(portal), "check",
                               "--format", "json"], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("publisher check blocked on a FIFO in content/")
    findings = json.loads(done.stdout)["findings"]
    unsafe = sorted(f["file"] for f in findings if f["rule"] == "content-file-unsafe")
    assert unsafe == ["content/bulletins/pipe.md", f"{AIR}/pipe.csv"]
    assert done.returncode == 1


def test_an_unlisted_extra_file_in_a_dataset_folder_is_a_loading_error(portal: Path) -> None:
    """A file no resource names is approved with the item (it is in the manifest) but nobody
    reviews it; it is refused instead of archived."""
    (portal / AIR / "internal-notes.txt").write_text("联系人 13800000000\n", encoding="utf-8")
    found = [f for f in load_content(portal).findings if f.rule == "content-file-unlisted"]
    assert [(f.item, f.file, f.severity.value) for f in found] == [
        ("air-mini", f"{AIR}/internal-notes.txt", "error")]
    assert "internal-notes.txt" in found[0].message_zh and "internal-notes.txt" in found[0].message_en
    with pytest.raises(WorkflowError, match="content-file-unlisted"):
        submit(portal, ["air-mini"], "data-officer", keys.demo_key("data-officer"))
    assert [p for p in (portal / "var").rglob("*") if p.is_file() and p.parent.parent.name == "archive"] == []
