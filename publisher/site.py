"""The build: one linear function of named stages, nothing written before all is decided.

load config → load content → check → decide releasable → derive (charts, indicators) → render
(Pelican) → export (downloads, plotly.js, feeds, sitemap) → search index (Pagefind) → verify →
swap in atomically.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator
from zoneinfo import ZoneInfo

from . import cache as build_cache, clock, paths
from .cache import BuildCache
from .check import check_content, run_rules
from .feeds import write_feeds, write_sitemap
from .audit import CHECKPOINT_FILE, ENTRIES_FILE, LOG_DIR, Entry, VerifiedLog, verify_exported
from .checkpoint import verifier_key
from .config import ConfigError, Rules, load_rules
from .content import REGISTRY_ID, RULES_ID, Content, Dataset, load_content, reload_datasets
from .memory import give_back
from .model import LANGS, DatasetVersion, SiteModel
from .opendata import export_open_data, plan_open_data, schema_org_dataset, script_json
from .registry import registry_not_approved
from .release import Release, decide_release
from .report import Finding, Report, warning
from .verify import inclusion_proof_documents
from .workflow import (ReleaseTree, Version, approved_versions, archive_files, archive_path, keep_published_checkpoint,
                       manifest, materialise, next_embargo, open_log, publication_time, read_content_file,
                       record_publications, record_rules, release_tree, rules_entries, trusted_log_keys, var_dir,
                       verified_log, version_tree)

if TYPE_CHECKING:
    from .charts import RenderedChart
    from .derived import DerivedRelease

# The stages that compute (charts, derived data, warnings: pandas, plotly) import their modules
# when they run, so that a build that finds the site unchanged starts and ends quickly.

STAGING_PREFIX = ".publisher-build-"
THEME = "portal"
PLOTLY_PATH = "theme/js/plotly.min.js"
#: Every public page's Content-Security-Policy (a <meta> in the theme; docs/portal.md gives the
#: same as a server header). Nothing loads from another host; scripts are the site's own files.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)


#: findings only the build makes: an item left out of the pages while the rest is built
BUILD_RULES = ("chart-unavailable", "indicator-unavailable")


class BuildError(Exception):
    """The build failed; the previous site is untouched."""


@dataclass
class BuildResult:
    """What a build did, for the command line and tests."""

    output: Path
    report: Report
    release: Release
    pages: int
    timings: dict[str, float]
    #: per stage: how many of its results came from the build cache, of how many ("3/14"); "all"
    #: when the whole site was reused (nothing changed since the last build of ``output``)
    reused: dict[str, str] = field(default_factory=dict)

    def timings_table(self) -> str:
        """Each stage's seconds and what it reused, for ``publisher build --timings``."""
        lines = ["阶段 / stage              秒 / s   复用 / reused"]
        for name, seconds in self.timings.items():
            lines.append(f"  {name:<20} {seconds:8.2f}   {self.reused.get(name, '')}".rstrip())
        return "\n".join(lines)

    def summary(self) -> str:
        r = self.release
        return (
            f"已发布 {len(r.datasets)} 个数据集、{len(r.bulletins)} 篇公报，"
            f"{len(r.excluded)} 项未发布，共 {self.pages} 个文件 → {self.output}\n"
            f"Published {len(r.datasets)} datasets and {len(r.bulletins)} bulletins; "
            f"{len(r.excluded)} items held back; {self.pages} files → {self.output}"
        )


def build_site(root: Path, output: Path | None = None, now: datetime | None = None,
               use_cache: bool = True, progress: Callable[[str], None] | None = None) -> BuildResult:
    """Build the portal for the project at ``root`` into ``output`` (default ``root/output``).

    Only approved bytes are published: each item's newest approved version is laid out from the
    archive (see :mod:`publisher.workflow`), checked again, and decided on at ``now``.

    Work is proportional to the change: when nothing the site depends on changed since the last
    build of ``output`` (the log, the rules, the code and theme, no embargo ended) and every file
    of ``output`` still has the SHA-256 recorded then, nothing is rebuilt; otherwise each stage
    takes from the build cache what it computed before from the same inputs (:mod:`publisher.cache`).
    ``use_cache=False`` builds everything afresh and stores nothing: the same bytes, only slower.
    ``progress`` is told each stage as it ends and, in long stages, each item as it is done.
    """
    root = Path(root).resolve()
    output = (Path(output) if output else root / "output").resolve()
    stage = _Stages(progress)
    rules = load_rules(root)
    rules_data = rules.source  # the bytes parsed: the digest logged is that of the rules in force
    current = load_content(root)
    tz = ZoneInfo(rules.site.timezone)
    now = now or clock.now(tz)
    output.parent.mkdir(parents=True, exist_ok=True)
    cache = BuildCache(var_dir(root), enabled=use_cache)
    with _build_lock(output.parent):
        log = _verified_log(root, output, root / "output")
        stage("verify log")
        approved = approved_versions(root, rules, current, log.entries)
        _refuse_time_before_log(log.entries, now)
        inputs = _site_inputs(root, output, rules_data, log.checkpoint, approved)
        unchanged = _unchanged_site(cache, output, inputs, now)
        stage("unchanged site", "all" if unchanged else "")
        if unchanged is not None:
            stage.timings["total"] = sum(stage.timings.values())
            return BuildResult(output=output, report=unchanged["report"], release=unchanged["release"],
                               pages=len(unchanged["files"]), timings=stage.timings, reused=stage.reused)
        return _build(root, output, rules, current, approved, now, tz, stage, log=log, rules_data=rules_data,
                      cache=cache, inputs=inputs)


# The build state kept for the next build of the same output: cache stage and its entries' key.
SITE_STAGE = "site"


def _site_inputs(root: Path, output: Path, rules_data: bytes, checkpoint: str | None,
                 approved: dict[str, list[Version]]) -> dict[str, Any]:
    """Everything a public build's bytes depend on, besides the time (see :func:`_unchanged_site`):
    the code, the theme, the rules, the verified log (its newest signed checkpoint: size and
    root hash) and the approved versions it names."""
    return {
        "output": str(output),
        "theme": build_cache.tree_digest(_theme_dir(root)),
        "rules": hashlib.sha256(rules_data).hexdigest(),
        "log": checkpoint,
        "approved": {i: [[v.number, v.digest, bool(v.withdrawn)] for v in vs] for i, vs in sorted(approved.items())},
    }


def _unchanged_site(cache: BuildCache, output: Path, inputs: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The last build's state when it was built from the same inputs, no embargo it knew of has
    ended since, and ``output`` holds exactly the files it wrote, each with its recorded SHA-256
    (read again now): then the site already is what this build would make. Else None."""
    hit, state = cache.get(SITE_STAGE, build_cache.digest(str(output)))
    if not hit or not isinstance(state, dict) or state.get("inputs") != inputs:
        return None
    until = state.get("valid_until")
    if until is not None and now >= until:
        return None
    files: dict[str, str] = state["files"]
    present = _site_files(output)
    if present is None or sorted(present) != sorted(files):
        return None
    if any(build_cache.file_sha256(output / rel) != sha for rel, sha in files.items()):
        return None
    return state


def _site_files(folder: Path) -> list[str] | None:
    """The relative paths of every file under ``folder``; None when it is not a folder or holds
    anything but folders and regular files (a link, a pipe...)."""
    if paths.entry_kind(folder) != "dir":
        return None
    found: list[str] = []
    for entry in paths.scan(folder):
        if entry.kind == "file":
            found.append(entry.name)
        elif entry.kind == "dir":
            inner = _site_files(entry.path)
            if inner is None:
                return None
            found.extend(f"{entry.name}/{rel}" for rel in inner)
        else:
            return None
    return found


def _verified_log(root: Path, *sites: Path) -> VerifiedLog:
    """The log the build decides from, verified first (chain, signed checkpoints, the log's key)
    and proved to extend every checkpoint the portal published; else nothing is built."""
    log = verified_log(root, *sites)
    result = log.result
    if not result.ok:
        raise BuildError(
            f"审计日志未通过核验，未生成网站，原网站未改动：{result.message_zh}"
            f"请运行 publisher audit verify 查明原因 / the audit log does not verify, so nothing was built and "
            f"the live site is unchanged: {result.message_en} Run 'publisher audit verify' to investigate. "
            f"[{result.problem}]")
    return log


def _refuse_time_before_log(entries: list[Entry], now: datetime) -> None:
    """A build decides at ``now`` from the whole log, so ``now`` may not precede any entry: an
    approval logged after ``now`` would otherwise be published before it was given (a clock set
    back, or a build replayed at an earlier ``now``)."""
    newest = max((datetime.fromisoformat(e.time) for e in entries), default=None)
    if newest is not None and newest > now:
        raise BuildError(
            f"生成时间 {now.isoformat()} 早于审计日志中最新条目的时间 {newest.isoformat()}，未生成：请检查系统时钟"
            f"（或 {clock.ENV_VAR}）/ the build time {now.isoformat()} is before the newest audit log entry "
            f"({newest.isoformat()}); nothing was built: check the system clock (or {clock.ENV_VAR})")


def build_preview(root: Path, item_id: str, output: Path, now: datetime | None = None,
                  files: dict[str, str] | None = None) -> BuildResult:
    """Render the portal as it will look once ``item_id``'s current bytes are published.

    For the review console: only the item and the datasets it cites (their approved versions)
    are rendered, into ``output`` — a private folder, never ``output/`` — and every page carries a
    preview banner. Nothing is written to the audit log; the item's checks still apply.
    ``files`` (path → SHA-256, a submission's): render those archived bytes, never the working copy.
    """
    root = Path(root).resolve()
    if files is not None:
        with tempfile.TemporaryDirectory(prefix="publisher-preview-") as tmp:
            materialise(root, files, Path(tmp) / "content")
            return _build_preview(root, item_id, output, now, load_content(Path(tmp)))
    return _build_preview(root, item_id, output, now, None)


def _build_preview(root: Path, item_id: str, output: Path, now: datetime | None,
                   source: Content | None) -> BuildResult:
    """:func:`build_preview` of ``source``'s copy of the item (None: the working copy's)."""
    stage = _Stages()
    rules = load_rules(root)
    current = load_content(root)
    source = source or current
    item = source.item(item_id)
    if item is None:
        raise BuildError(f"找不到条目 '{item_id}' / no item named '{item_id}'")
    cited = set()
    if item.kind == "bulletin":  # a bulletin's pages need the datasets it cites and charts
        cited = set(item.datasets) | {ref.partition("/")[0] for ref in item.charts}
    elif item.derived is not None:  # a derived dataset is computed from its inputs' published versions
        cited = set(item.derived.inputs)
    cited.add(REGISTRY_ID)  # every page names stations and areas from the approved registry
    log = _verified_log(root, root / "output")  # a preview shows approved bytes only from a sound log
    stage("verify log")
    approved = {k: v for k, v in approved_versions(root, rules, current, log.entries).items()
                if k in cited and k != item_id}
    tz = ZoneInfo(rules.site.timezone)
    now = now or clock.now(tz)
    if item.release_at is not None and item.release_at > now:
        now = item.release_at  # show it as it will be on its release day
    output.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(output.parent):
        return _build(root, output, rules, current, approved, now, tz, stage, preview=item_id, log=log,
                      preview_source=source)


class _Stages:
    """Times each named stage of the build."""

    def __init__(self, progress: Callable[[str], None] | None = None) -> None:
        self.timings: dict[str, float] = {}
        self.reused: dict[str, str] = {}
        self.progress = progress
        self._start = self._clock = time.perf_counter()

    def __call__(self, name: str, reused: str = "") -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._clock
        if reused:
            self.reused[name] = reused
        self._clock = now
        self.tell(f"{name} {self.timings[name]:.1f} s" + (f" ({reused} reused)" if reused else ""))
        give_back()  # the next stage does not start on top of this one's leftovers

    def tell(self, message: str) -> None:
        """Progress for whoever watches a long build: the time since it started, and ``message``."""
        if self.progress is not None:
            self.progress(f"[{time.perf_counter() - self._start:7.1f} s] {message}")

    def cached(self, name: str, cache: BuildCache, *kinds: str) -> None:
        """End stage ``name``, noting how many of ``kinds``' results came from ``cache``."""
        hits = sum(cache.stats.hits.get(k, 0) for k in kinds)
        total = hits + sum(cache.stats.misses.get(k, 0) for k in kinds)
        self(name, f"{hits}/{total}" if total else "")


@contextlib.contextmanager
def _build_lock(folder: Path) -> Iterator[None]:
    """One build at a time in ``folder``; leftovers of a killed build are removed first."""
    import fcntl

    with open(folder / ".publisher-build.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"另一个生成过程正在 {folder} 中运行 / another build is running in {folder}") from None
        for stale in folder.glob(STAGING_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)  # a build killed before it could clean up
        yield


def _build(root: Path, output: Path, rules: Rules, current: Content, approved: dict[str, list[Version]],
           now: datetime, tz: ZoneInfo, stage: _Stages, preview: str | None = None,
           log: VerifiedLog | None = None, rules_data: bytes | None = None,
           preview_source: Content | None = None, cache: BuildCache | None = None,
           inputs: dict[str, Any] | None = None) -> BuildResult:
    """The build's stages after loading; everything is staged until the final swap.

    ``inputs`` (a public build's, :func:`_site_inputs`): recorded with the site's files for the
    next build of ``output``."""
    from .charts import registry_names
    from .derived import derive_datasets, record_derivations

    cache = cache or BuildCache(None, enabled=False)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=output.parent))
    try:
        tree = release_tree(root, current, approved, staging / "release", now)
        if preview is not None:
            tree = _with_preview(tree, preview_source or current, approved, preview, staging / "release", now)
        content = tree.content
        stage("load")
        inputs_of = _Digests(rules, tree.chosen, str(tz))
        report = check_content(rules, content, cache=cache, keys=inputs_of.check_keys(content))
        if REGISTRY_ID not in tree.chosen:  # never approved: hold back what needs it, say so once per item
            report = Report([f for f in report if f.item != REGISTRY_ID])
            report.extend(registry_not_approved(content))
        stage.cached("check", cache, "check")
        derived = derive_datasets(root, content, decide_release(content, report, now), tree.chosen, approved, str(tz),
                                  rules.aqi_method, cache)
        chosen = {**tree.chosen, **derived.chosen}  # a derived item publishes its computed version
        inputs_of = _Digests(rules, chosen, str(tz))
        report = _with_derived(rules, content, report, derived, cache, inputs_of)
        stage.cached("derived data", cache, "derived")
        release = decide_release(content, report, now)
        release.withdrawn = _withdrawn(root, approved, staging / "withdrawn")
        release.scheduled.update({i: at for i, at in tree.pending.items() if i in release})
        site = SiteModel(rules=rules, content=content, release=release,
                         names={lang: registry_names(content.registry, lang) for lang in LANGS})
        site.versions = _dataset_versions(root, release, {**approved, **derived.versions}, chosen,
                                          staging / "versions")
        site.withdrawn_versions = _withdrawn_versions(release, {**approved, **derived.versions})
        report.extend(_derive_charts(site, tz, cache, inputs_of, stage.tell))
        site.latest_aqi = _derive_indicators(site, tz, report, cache, inputs_of)
        site.warnings = _derive_warnings(site, cache, inputs_of)
        site.search = preview is None and _search_available()
        site.preview = preview
        stage.cached("derive", cache, "charts", "indicators", "warnings")

        site_dir = staging / "site"
        open_data = plan_open_data(site, staging / "opendata", cache=cache, context=inputs_of.key("opendata"))
        site.downloads = open_data.downloads
        site.json_ld = _json_ld(site)
        stage.cached("open data", cache, "opendata")
        if preview is None:  # a preview publishes nothing, so it records nothing
            if rules_data is not None:  # first: the rules every publication below is decided under
                record_rules(root, rules, rules_data, now)
            record_derivations(root, derived, release)
            _record_publications(root, release, chosen, open_data)
        site.publications = _publication_log(root, release)
        site.rules_log = _rules_log(root)
        _stage_bulletins(release, staging / "content")
        _run_pelican(root, site, staging / "content", site_dir)
        stage("render")
        _export(site, site_dir)
        export_open_data(open_data, site_dir)
        if preview is None:
            _export_log(root, release, site_dir, {RULES_ID} | ({REGISTRY_ID} & set(chosen)))
        write_feeds(site, site_dir, tz)
        write_sitemap(site, site_dir)
        stage("export")
        if site.search:
            from .search import build_search_index

            build_search_index(site_dir)  # after every page exists, before the swap
        stage("search")
        files = _verify(site, site_dir)
        if preview is None:
            _verify_published_log(root, site_dir, log)
        stage("verify")
        _swap_in(site_dir, output)
        if preview is None:
            keep_published_checkpoint(root, output)
        if inputs is not None:
            _keep_site_state(root, cache, output, inputs, approved, now, files, report, release)
        stage("swap")
    except (BuildError, ConfigError):
        raise
    except Exception as exc:  # any failure leaves the previous site untouched
        raise BuildError(f"生成失败，原网站未改动 / build failed, the previous site is untouched: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    stage.timings["total"] = sum(stage.timings.values())
    return BuildResult(output=output, report=report, release=release, pages=len(files), timings=stage.timings,
                       reused=stage.reused)


class _Digests:
    """The cache keys of the build's stages, each the digest of everything the stage reads: the
    approved versions (by digest), the rules, the approved registry, the time zone (and, inside
    :func:`publisher.cache.digest`, the code)."""

    def __init__(self, rules: Rules, chosen: dict[str, Version], tz: str) -> None:
        self.rules = hashlib.sha256(rules.source).hexdigest() if rules.source is not None else None
        self.chosen = chosen
        self.tz = tz
        self.registry = self.of(REGISTRY_ID)

    def of(self, item_id: str) -> str | None:
        """The digest of the version of ``item_id`` this build works with, if any."""
        version = self.chosen.get(item_id)
        return version.digest if version is not None else None

    def check_keys(self, content: Content, only: Iterable[str] | None = None) -> dict[str, str]:
        """Per item (or per item of ``only``): its bytes, the rules, the registry; for a bulletin or
        a derived dataset also every dataset (they cite or compute from others)."""
        datasets = sorted((i, self.of(i)) for i in content.datasets)
        wanted = set(only) if only is not None else None
        keys = {}
        for item in content.items():
            if wanted is not None and item.id not in wanted:
                continue
            version = self.of(item.id)
            if version is not None:
                others = datasets if item.kind == "bulletin" or getattr(item, "derived", None) is not None else None
                keys[item.id] = build_cache.digest("check", self.rules, self.registry, item.id, version, others)
        return keys

    def of_released(self, release: Release) -> list[tuple[str, str | None]]:
        return sorted((i, self.of(i)) for i in release.datasets)

    def key(self, stage: str, *parts: Any) -> str:
        return build_cache.digest(stage, self.rules, self.registry, self.tz, *parts)


def _keep_site_state(root: Path, cache: BuildCache, output: Path, inputs: dict[str, Any],
                     approved: dict[str, list[Version]], now: datetime, files: dict[str, str],
                     report: Report, release: Release) -> None:
    """Record what ``output`` now holds and what it was built from, for :func:`_unchanged_site`;
    it stays valid until the next embargo any approved version sets ends. The log is taken as it
    is now, with what this build wrote to it (rules, derivations, publications)."""
    with open_log(root) as log:
        inputs = {**inputs, "log": log.checkpoint()}
    state = {"inputs": inputs, "valid_until": next_embargo(root, approved, now), "files": files,
             "report": report, "release": release}
    cache.put(SITE_STAGE, build_cache.digest(str(output)), state)


def _with_derived(rules: Rules, content: Content, report: Report, derived: DerivedRelease, cache: BuildCache,
                  digests: _Digests) -> Report:
    """The report once the derived datasets' files exist: their findings replaced by those of the
    computed tables (every rule family runs on them, or their findings come from the ``cache``
    under the computed version's digest) and of the derivation itself."""
    if not derived.chosen and not derived.findings:
        return report
    ids = derived.items
    reload_datasets(content, ids)
    checked = set(ids)
    # The release tree holds approved items only: an input "missing" there is one not released,
    # which derive_datasets reports in those words.
    merged = Report([f for f in report if f.item not in checked and f.rule != "derived-input-missing"])
    merged.extend(f for f in content.findings if f.item in checked)
    merged.extend(run_rules(rules, content, ids, cache, digests.check_keys(content, ids)))
    merged.extend(derived.findings)
    return merged


def _with_preview(tree: ReleaseTree, current: Content, approved: dict[str, list[Version]], item_id: str,
                  folder: Path, now: datetime) -> ReleaseTree:
    """The release tree with ``item_id``'s current files in place of any approved version."""
    item = current.item(item_id)
    man = manifest(current, item)
    for rel, sha in man.files.items():
        data = read_content_file(current.root / "content", rel)
        if hashlib.sha256(data).hexdigest() != sha:
            raise BuildError(f"预览期间 {rel} 被修改 / {rel} changed while the preview was being built")
        target = paths.confined(folder / "content", rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    history = approved.setdefault(item_id, [])
    version = Version(number=len(history) + 1, digest=man.digest, files=man.files, approved_at=now.isoformat(),
                      reason="correction" if history else "initial", note="预览 / preview", approvals=[])
    history.append(version)
    return ReleaseTree(load_content(folder), {**tree.chosen, item_id: version}, tree.pending)


def _withdrawn(root: Path, approved: dict[str, list[Version]], folder: Path) -> dict[str, dict[str, Any]]:
    """Withdrawn items: what their notice page shows (title, kind, time, reason), and the item
    as approved (``item``, for the release log).

    All of it comes from the withdrawn version's archived bytes and the log, never from
    ``content/``: after a withdrawal the working copy is nobody's approved text.
    """
    found = {}
    for item_id, versions in sorted(approved.items()):
        last = versions[-1]
        if last.withdrawn is None:
            continue
        item = version_tree(root, last, folder / item_id).item(item_id)
        if item is not None:
            found[item_id] = {"title": item.title, "kind": item.kind, "item": item, **last.withdrawn}
    return found


def _dataset_versions(root: Path, release: Release, approved: dict[str, list[Version]],
                      chosen: dict[str, Version], folder: Path) -> dict[str, list[DatasetVersion]]:
    """Every public version of each released dataset, each from its own archived bytes.

    A version counts once it has a publication entry, or when it is the one this build
    publishes; one superseded before any build published it never was public. A withdrawn
    version never counts again, whatever was approved after it: every public enumeration of
    versions (downloads, versions.json, pages, zips, catalogues, feeds, search) starts here.
    """
    result: dict[str, list[DatasetVersion]] = {}
    for ds_id, ds in sorted(release.datasets.items()):
        public = []
        current = chosen[ds_id]
        for v in approved[ds_id]:
            if v.number > current.number or (v.published_at is None and v is not current) or v.withdrawn:
                continue
            if v is current:
                dataset, when = ds, publication_time(v, ds.release_at)
            else:
                dataset = version_tree(root, v, paths.confined(folder, ds_id, str(v.number))).datasets[ds_id]
                when = datetime.fromisoformat(v.published_at)
            kept = {url: (sha, archive_path(root, sha)) for url, sha in v.published_files.items()
                    if archive_path(root, sha).is_file()}
            public.append(DatasetVersion(
                dataset_id=ds_id, number=v.number, released_at=when, reason=v.reason, digest=v.digest,
                files={r.name: r.path for r in dataset.resources}, note=v.note, dataset=dataset, kept=kept,
                audit={"proof": f"{LOG_DIR}/proofs/{ds_id}-v{v.number}.json", "log": f"{LOG_DIR}/{ENTRIES_FILE}",
                       "checkpoint": f"{LOG_DIR}/{CHECKPOINT_FILE}",
                       "approvals": [{"role": a["role"], "time": a["time"]} for a in v.approvals]},
            ))
        result[ds_id] = public
    return result


def _withdrawn_versions(release: Release, approved: dict[str, list[Version]]) -> dict[str, list[dict[str, Any]]]:
    """For each released dataset, its versions withdrawn before a later approval: the dataset
    page names them as withdrawn (time and reason of the notice) and links nothing of theirs."""
    return {ds_id: [{"number": v.number, "time": datetime.fromisoformat(v.withdrawn["time"]),
                     "reason": v.withdrawn.get("reason", "")}
                    for v in approved.get(ds_id, []) if v.withdrawn and v.published_at is not None]
            for ds_id in sorted(release.datasets)}


def _record_publications(root: Path, release: Release, chosen: dict[str, Version], open_data: Any) -> None:
    """Log the publication of every newly released version, with the files made from it; those
    files are archived first, so later builds serve them unchanged (whatever library versions)."""
    data_formats = {"csv", "csv-excel", "xlsx", "parquet"}
    published_files = {
        ds_id: {d.url: d.sha256 for d in versions[-1].files if d.format in data_formats}
        for ds_id, versions in open_data.published.items()
    }
    for ds_id, files in published_files.items():
        if chosen[ds_id].published_at is None:
            archive_files(root, open_data.scratch, files)
    released = {i.id: i.release_at for i in release.items()}
    if REGISTRY_ID in chosen:  # the approved registry the pages name stations and areas from
        released[REGISTRY_ID] = None
    record_publications(root, chosen, released, published_files)


def _rules_log(root: Path) -> list[dict[str, Any]]:
    """The release rules each build ran with, from the log's ``rules`` entries, newest first."""
    with open_log(root) as log:
        entries = rules_entries(log.entries(RULES_ID))
    # The changes are recomputed from consecutive entries' approvers and keys, never read from the
    # entry's own summary: replay verifies signatures with these keys, so an appended entry that
    # swaps a key while claiming no change must still show it here.
    rows, roles_before, keys_before = [], None, {}
    for e in entries:
        roles = {u: sorted(r) for u, r in (e.details.get("approvers") or {}).items()}
        listed = {**(e.details.get("submitter_keys") or {}), **(e.details.get("approver_keys") or {})}
        rows.append({"digest": e.details.get("digest", ""), "time": datetime.fromisoformat(e.time), "seq": e.seq,
                     "added": sorted(u for u, r in roles.items() if roles_before.get(u) != r)
                     if roles_before is not None else [],
                     "removed": sorted(u for u in roles_before or {} if u not in roles),
                     "keys_changed": sorted(u for u, k in listed.items() if u in keys_before and keys_before[u] != k)})
        roles_before, keys_before = roles, {**keys_before, **listed}
    return rows[::-1]


def _publication_log(root: Path, release: Release) -> list[dict[str, Any]]:
    """Publications and withdrawals of public items, from the audit log, newest first; each
    named as approved (a withdrawn item by its withdrawn version's archived metadata)."""
    public = set(release.datasets) | set(release.bulletins) | set(release.withdrawn)
    with open_log(root) as log:
        entries = [e for e in log.entries() if e.item in public]
    roles: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        if e.event == "approval":
            roles.setdefault((e.item, e.details.get("digest", "")), []).append(e.details.get("role", ""))
        elif e.event == "derivation":  # a computed version: the roles that approved its definition
            definition = (e.item, e.details.get("definition", {}).get("digest", ""))
            roles[(e.item, e.details.get("digest", ""))] = roles.get(definition, [])
    rows = []
    for e in entries:
        if e.event not in ("publication", "withdrawal"):
            continue
        item = (release.datasets.get(e.item) or release.bulletins.get(e.item)
                or release.withdrawn.get(e.item, {}).get("item"))
        if item is None:
            continue
        rows.append({
            "event": e.event, "time": datetime.fromisoformat(e.time), "item": item, "version": e.version,
            "reason": e.details.get("reason", ""), "seq": e.seq,
            "roles": roles.get((e.item, e.details.get("digest", "")), []) if e.event == "publication" else [],
            "proof": f"{LOG_DIR}/proofs/{e.item}-v{e.version}.json" if e.event == "publication" else None,
        })
    return sorted(rows, key=lambda r: (r["time"], r["seq"]), reverse=True)


def _export_log(root: Path, release: Release, site_dir: Path, inputs: set[str] = frozenset()) -> None:
    """The public audit log and, for each published version, its inclusion proof.

    Entries about items that are not public (awaiting, rejected, embargoed, failing) are
    published as hashes only, so not even their ids leak; withdrawn items stay visible, and so
    do ``inputs``: the rules and the approved registry every page was made with.
    """
    public = set(release.datasets) | set(release.bulletins) | set(release.withdrawn) | set(inputs)
    with open_log(root) as log:
        if len(log) == 0:
            return
        log.export(site_dir, withhold=lambda entry: entry.item not in public)
        entries = log.entries()
    lines = (site_dir / LOG_DIR / ENTRIES_FILE).read_bytes().split(b"\n")[:-1]
    checkpoint = (site_dir / LOG_DIR / CHECKPOINT_FILE).read_text(encoding="utf-8")
    proofs = site_dir / LOG_DIR / "proofs"
    proofs.mkdir()
    published = {e.seq: e for e in entries if e.event == "publication" and e.item in public and e.seq < len(lines)}
    for seq, document in inclusion_proof_documents(lines, sorted(published), checkpoint).items():
        e = published[seq]
        paths.confined(proofs, f"{e.item}-v{int(e.version)}.json").write_text(
            json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _verify_published_log(root: Path, site_dir: Path, log: VerifiedLog | None) -> None:
    """The public log about to go live verifies with the log's key and extends the log this build
    verified before deciding: nothing changed the log in between."""
    if log is None or log.checkpoint is None or not (site_dir / LOG_DIR / CHECKPOINT_FILE).is_file():
        return
    (name, public), = trusted_log_keys(root).items()
    result = verify_exported(site_dir, verifier_key(name, public), saved_checkpoint=log.checkpoint)
    if not result.ok:
        raise BuildError(
            f"审计日志在生成过程中被改动，未生成网站，原网站未改动：{result.message_zh} / the audit log changed "
            f"during the build, so nothing was built and the live site is unchanged: {result.message_en} "
            f"[{result.problem}]")


def _derive_charts(site: SiteModel, tz: ZoneInfo, cache: BuildCache, digests: _Digests,
                   tell: Callable[[str], None] | None = None) -> list[Finding]:
    """Every released chart, each on its own: one that cannot be drawn (a standard not in force
    for its dates, no complete day) is left out of its pages with a warning naming it, and the
    build goes on, so no approved dataset can hold back a later withdrawal.

    A dataset's charts are cached under the digest of its version, the registry and the rules."""
    found: list[Finding] = []
    charted = [ds for ds in site.release.datasets.values() if ds.charts]
    for n, ds in enumerate(charted, 1):
        key = digests.key("charts", ds.id, digests.of(ds.id))
        hit, stored = cache.get("charts", key)
        if not hit:
            stored = _dataset_charts(site, ds, tz)
            cache.put("charts", key, stored)
            give_back()
            if tell is not None:
                tell(f"charts {n}/{len(charted)}: {ds.id}")
        charts, left_out = stored
        site.charts.update(charts)
        found.extend(left_out)
    return found


def _dataset_charts(site: SiteModel, ds: Dataset, tz: ZoneInfo) -> tuple[dict[tuple[str, str], RenderedChart],
                                                                           list[Finding]]:
    """One dataset's charts in both languages, and a finding for each one left out."""
    from .charts import build_chart, dataset_frames

    try:
        frames = dataset_frames(ds, str(tz))
    except Exception as exc:  # noqa: BLE001 - any failure of one dataset's data
        return {}, [_chart_left_out(ds, i, chart, exc) for i, chart in enumerate(ds.charts)]
    charts: dict[tuple[str, str], RenderedChart] = {}
    found: list[Finding] = []
    for i, chart in enumerate(ds.charts):
        frame = frames.get(chart.resource)
        if frame is None:
            continue
        try:
            drawn = {lang: build_chart(ds, chart, frame, lang, site.names[lang], site.content.registry)
                     for lang in LANGS}
        except Exception as exc:  # noqa: BLE001 - one chart's failure is that chart's finding
            found.append(_chart_left_out(ds, i, chart, exc))
            continue
        for lang, rendered in drawn.items():
            charts[(chart.ref, lang)] = rendered
    return charts, found


def _chart_left_out(ds: Any, index: int, chart: Any, exc: Exception) -> Finding:
    return warning("chart-unavailable",
                   f"图表 '{chart.id}' 无法生成，已从页面中略去：{exc}",
                   f"the chart '{chart.id}' could not be drawn and is left out of the pages: {exc}",
                   item=ds.id, file=f"content/datasets/{ds.id}/dataset.yaml", key=f"charts[{index}]")


def _derive_indicators(site: SiteModel, tz: ZoneInfo, report: Report, cache: BuildCache,
                       digests: _Digests) -> list[Any]:
    """Each station's latest daily AQI from the released air datasets (cached under their digests).

    A dataset whose AQI cannot be computed leaves its stations' AQI out, as a warning in ``report``."""
    from .indicators import latest_station_aqi

    key = digests.key("indicators", digests.of_released(site.release))
    hit, stored = cache.get("indicators", key)
    if not hit:
        errors: list[tuple[str, Exception]] = []
        latest = latest_station_aqi(site.release.datasets.values(), str(tz), site.rules.aqi_method, failed=errors)
        stored = (latest, [(ds_id, str(exc)) for ds_id, exc in errors])
        cache.put("indicators", key, stored)
    latest, failed = stored
    if failed:
        report.extend(warning("indicator-unavailable",
                              f"无法计算数据集 {ds_id} 各站点的最新空气质量指数，首页不显示：{exc}",
                              f"the latest AQI of the stations in {ds_id} cannot be computed and is left off "
                              f"the home page: {exc}", item=ds_id, file=f"content/datasets/{ds_id}/dataset.yaml")
                      for ds_id, exc in failed)
    return latest


def _derive_warnings(site: SiteModel, cache: BuildCache, digests: _Digests) -> list[Any]:
    """Exceedance and trend warnings from the released datasets (cached under their digests)."""
    from .warnings import derive_warnings

    key = digests.key("warnings", digests.of_released(site.release))
    hit, found = cache.get("warnings", key)
    if not hit:
        found = derive_warnings(site.release.datasets.values(), site.content.registry, site.rules.raw, digests.tz)
        cache.put("warnings", key, found)
    return found


def _json_ld(site: SiteModel) -> dict[tuple[str, str], str]:
    """Each dataset page's schema.org JSON-LD in both languages (it lists the downloads, so it is
    made once they are planned)."""
    return {(ds.id, lang): script_json(schema_org_dataset(site, ds, lang))
            for ds in site.release.datasets.values() for lang in LANGS}


def _theme_dir(root: Path) -> Path:
    """The theme the pages are rendered with: the project's own, else the bundled one."""
    return root / "themes" / THEME if (root / "themes" / THEME).is_dir() else _bundled_theme()


def _search_available() -> bool:
    from .search import pagefind_available

    return pagefind_available()


def _stage_bulletins(release: Release, folder: Path) -> None:
    """Copy only releasable bulletins, byte for byte, where Pelican will read them."""
    target = folder / "bulletins"
    target.mkdir(parents=True)
    for b in release.bulletins.values():
        for path in b.files():
            paths.confined(target, path.name).write_bytes(paths.read_regular(path))


def pelican_settings(root: Path, site: SiteModel, content_dir: Path, output_dir: Path) -> dict[str, Any]:
    """Pelican's settings for one build: bulletins as articles, the portal theme, our plugin."""
    from . import pelican_plugin

    rules = site.rules
    return {
        "PATH": str(content_dir),
        "OUTPUT_PATH": str(output_dir),
        "THEME": str(_theme_dir(root)),
        "THEME_STATIC_DIR": "theme",
        "SITENAME": rules.site.name.get("zh"),
        "SITEURL": "",
        "RELATIVE_URLS": True,
        "TIMEZONE": rules.site.timezone,
        "DEFAULT_LANG": "zh",
        "DEFAULT_DATE_FORMAT": "%Y-%m-%d",
        "ARTICLE_PATHS": ["bulletins"],
        "ARTICLE_EXCLUDES": [],
        "PAGE_PATHS": [],
        "STATIC_PATHS": [],  # dataset folders are never static files: downloads come from the release
        # and no bulletin link copies a file ({attach}, {static} ...): see publisher/markup.py
        "INTRASITE_LINK_REGEX": pelican_plugin.NO_INTRASITE_LINKS,
        "STATIC_CREATE_LINKS": False,
        "ARTICLE_URL": "bulletins/{slug}.html",
        "ARTICLE_SAVE_AS": "bulletins/{slug}.html",
        "ARTICLE_LANG_URL": "en/bulletins/{slug}.html",
        "ARTICLE_LANG_SAVE_AS": "en/bulletins/{slug}.html",
        "DRAFT_SAVE_AS": "",
        "DRAFT_LANG_SAVE_AS": "",
        "CATEGORY_SAVE_AS": "",
        "CATEGORIES_SAVE_AS": "",
        "TAG_SAVE_AS": "",
        "TAGS_SAVE_AS": "",
        "AUTHOR_SAVE_AS": "",
        "AUTHORS_SAVE_AS": "",
        "ARCHIVES_SAVE_AS": "",
        "INDEX_SAVE_AS": "",
        "DIRECT_TEMPLATES": [],
        "PAGINATED_TEMPLATES": {},
        "FEED_DOMAIN": rules.site.base_url,
        # Feeds need absolute addresses: written only when the rules give the site's base_url.
        "FEED_ALL_ATOM": "feeds/bulletins.atom.xml" if rules.site.base_url else None,
        "FEED_ALL_RSS": None,
        "CATEGORY_FEED_ATOM": None,
        "TRANSLATION_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
        "SLUGIFY_SOURCE": "basename",
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        "DELETE_OUTPUT_DIRECTORY": False,
        "OUTPUT_SOURCES": False,
        "PLUGINS": [pelican_plugin],
        "PLUGIN_PATHS": [],
        "JINJA_ENVIRONMENT": {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True,
                              "extensions": []},
        "JINJA_FILTERS": {"chart_parts": pelican_plugin.split_chart_slots},
        "PUBLISHER_SITE": site,
        "PLOTLY_JS": PLOTLY_PATH,
        "CONTENT_SECURITY_POLICY": CONTENT_SECURITY_POLICY,
        "TYPOGRIFY": False,
        "READERS": {"rst": None, "html": None, "htm": None},  # bulletins are Markdown only
        "WITH_FUTURE_DATES": True,  # embargo is decided by release.py, not by Pelican
        "LOG_FILTER": [],
    }


def _bundled_theme() -> Path:
    return Path(__file__).resolve().parent.parent / "themes" / THEME


def _run_pelican(root: Path, site: SiteModel, content_dir: Path, output_dir: Path) -> None:
    from pelican import Pelican
    from pelican.settings import read_settings

    logging.getLogger("pelican").setLevel(logging.ERROR)
    settings = read_settings(path=None, override=pelican_settings(root, site, content_dir, output_dir))
    # Pelican prints a summary line on stdout; the command line prints its own.
    with contextlib.redirect_stdout(io.StringIO()):
        Pelican(settings).run()


def _export(site: SiteModel, site_dir: Path) -> None:
    """The plotly bundle (downloads and catalogues: :func:`publisher.opendata.export_open_data`)."""
    if site.charts:
        from .charts import plotly_js

        js = site_dir / PLOTLY_PATH
        js.parent.mkdir(parents=True, exist_ok=True)
        js.write_text(plotly_js(), encoding="utf-8")


def _verify(site: SiteModel, site_dir: Path) -> dict[str, str]:
    """Last look before the swap: the pages that must exist do, and no excluded id leaks.
    Returns every file's SHA-256 (what the next build checks before it reuses the site)."""
    files = [p for p in site_dir.rglob("*") if p.is_file()]
    links = [p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_symlink()]
    if links:  # every file of the site is written by the build itself; a link is no such file
        raise BuildError(f"输出中有符号链接 / the output holds symbolic links: {', '.join(links[:5])}")
    if not (site_dir / "index.html").is_file():
        raise BuildError("生成结果缺少首页 index.html / the build produced no index.html")
    # every download's SHA-256 was checked when export_open_data moved it in
    excluded = set(site.release.excluded)
    for p in files:
        rel = p.relative_to(site_dir).as_posix()
        if any(f"/{item}/" in f"/{rel}" or rel.endswith(f"/{item}.html") for item in excluded):
            raise BuildError(f"未发布的内容出现在输出中 / an unpublished item leaked into the output: {rel}")
    return {p.relative_to(site_dir).as_posix(): build_cache.file_sha256(p) for p in files}


def _swap_in(new: Path, output: Path) -> None:
    """Replace ``output`` with ``new`` in one atomic step where the system allows it."""
    if not output.exists():
        os.rename(new, output)
        return
    if _rename_exchange(new, output):
        shutil.rmtree(new)  # ``new`` now holds the previous site
        return
    old = output.with_name(f".{output.name}.old-{os.getpid()}")
    os.rename(output, old)
    os.rename(new, output)
    shutil.rmtree(old, ignore_errors=True)


def _rename_exchange(a: Path, b: Path) -> bool:
    """Linux ``renameat2(RENAME_EXCHANGE)``: swap two paths atomically. False when unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange)
    return result == 0
