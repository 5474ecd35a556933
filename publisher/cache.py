"""The build cache: what an expensive stage made, kept under the digest of everything it read.

A stage asks for its result by a key, :func:`digest` of its inputs' digests (the approved
versions it reads, the rules, the registry, the method) and of :func:`code_digest`, the
publisher code and standards that compute it. A hit returns what was stored; anything else
(absent, unreadable, a file or value whose SHA-256 is not the one recorded) is a miss, and a miss
is only slower: the stage computes again and stores afresh. So a corrupted or stale cache can
never publish wrong bytes, and ``var/cache/`` may be deleted at any time.

Layout, in the private ``var/`` (0700 folders, 0600 files)::

    var/cache/entries/<stage>/<key>   a pickled record: the value, its files, their SHA-256s
    var/cache/blobs/<aa>/<sha256>      the bytes of every stored file, by SHA-256

``var/`` already holds the archive of approved bytes and the log's signing key: whoever can write
there can do far worse than poison a cache, which is why values may be pickled (docs/threat-model.md).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import pickle
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paths

CACHE_DIR = "cache"
_CHUNK = 1 << 20
_PACKAGE = Path(__file__).resolve().parent


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: files copied out of the cache get the mode any file the build writes gets (0644 under umask 022)
_PUBLIC_MODE = 0o666 & ~_umask()


def digest(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of ``parts`` (with the code's digest): a cache key."""
    data = json.dumps([code_digest(), *parts], sort_keys=True, ensure_ascii=False, default=str,
                      separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


#: the libraries whose versions shape the published bytes (rendering, Markdown, sanitising,
#: tables, charts, search) or the times in them (tzdata)
LIBRARIES = ("pelican", "jinja2", "markupsafe", "markdown", "nh3", "pygments", "pyyaml", "numpy", "pandas",
             "pyarrow", "plotly", "tzdata", "pagefind", "pagefind-bin", "pagefind-bin-extended")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over what computes the published bytes: the publisher package's own files (code,
    standards, templates), the bundled themes beside it (templates, plotly.js), the Python version
    and the installed version of each of :data:`LIBRARIES`. A new release of any of them is a new
    key for every stage, so nothing computed by older code is reused."""
    h = hashlib.sha256()
    for base in (_PACKAGE, _PACKAGE.parent / "themes"):
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(path.relative_to(base.parent).as_posix().encode("utf-8") + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    h.update(json.dumps([sys.version, library_versions()]).encode("utf-8"))
    return h.hexdigest()


def library_versions() -> dict[str, str | None]:
    """The installed version of each of :data:`LIBRARIES` (None: not installed)."""
    found: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def tree_digest(folder: Path) -> str:
    """SHA-256 over every file under ``folder`` (names and bytes); of nothing if it does not exist."""
    h = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass
class CacheStats:
    """Hits and misses of one build, per stage."""

    hits: dict[str, int] = field(default_factory=dict)
    misses: dict[str, int] = field(default_factory=dict)

    def count(self, stage: str, hit: bool) -> None:
        counter = self.hits if hit else self.misses
        counter[stage] = counter.get(stage, 0) + 1


class BuildCache:
    """The cache of one project (``var/cache``); ``enabled=False`` misses every time and stores nothing."""

    def __init__(self, var: Path | None, enabled: bool = True) -> None:
        self.enabled = enabled and var is not None
        self.folder = var / CACHE_DIR if var is not None else Path()
        self.stats = CacheStats()

    # -- values ---------------------------------------------------------------------------------

    def get(self, stage: str, key: str) -> tuple[bool, Any]:
        """``(True, value)`` on a hit, ``(False, None)`` on a miss."""
        record = self._record(stage, key)
        if record is None or record.get("files"):
            self.stats.count(stage, False)
            return False, None
        self.stats.count(stage, True)
        return True, record["value"]

    def put(self, stage: str, key: str, value: Any) -> None:
        """Store ``value`` (picklable) under ``key``."""
        self._store(stage, key, {"value": value, "files": {}})

    # -- files ----------------------------------------------------------------------------------

    def get_files(self, stage: str, key: str, target: Path) -> tuple[bool, Any, dict[str, str]]:
        """On a hit, copy the stored files into ``target`` (each checked against its SHA-256 as it
        is copied) and return ``(True, value, {relative path: SHA-256})``. On a miss nothing is
        left in ``target`` that was not there before."""
        record = self._record(stage, key)
        files: dict[str, str] = record.get("files", {}) if record is not None else {}
        written: list[Path] = []
        if record is not None:
            for rel, sha in sorted(files.items()):
                dest = paths.confined(target, rel)
                if dest.exists() or not copy_verified(self._blob(sha), dest, sha):
                    for p in written:
                        p.unlink(missing_ok=True)
                    record = None
                    break
                written.append(dest)
        self.stats.count(stage, record is not None)
        return (True, record["value"], dict(files)) if record is not None else (False, None, {})

    def put_files(self, stage: str, key: str, base: Path, files: dict[str, str], value: Any = None) -> None:
        """Store the files ``files`` (relative to ``base``, with their SHA-256s) and ``value``.
        A file whose bytes are not its SHA-256 is not stored (nor is the entry)."""
        if not self.enabled:
            return
        for rel, sha in files.items():
            blob = self._blob(sha)
            if blob.is_file() and file_sha256(blob) == sha:
                continue  # stored already (a damaged one, left by a crash or a bad disk, is replaced)
            paths.private_dir(blob.parent)
            if not copy_verified(paths.confined(base, rel), blob, sha, 0o600):
                return
        self._store(stage, key, {"value": value, "files": dict(files)})

    # -- inside -----------------------------------------------------------------------------------

    def _entry(self, stage: str, key: str) -> Path:
        return paths.confined(self.folder / "entries", f"{stage}/{key}")

    def _blob(self, sha: str) -> Path:
        return paths.confined(self.folder / "blobs", f"{sha[:2]}/{sha}")

    def _record(self, stage: str, key: str) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        try:
            data = self._entry(stage, key).read_bytes()
            sha, payload = data[:64].decode("ascii"), data[64:]
            if hashlib.sha256(payload).hexdigest() != sha:
                return None  # a damaged record: recomputed and stored afresh
            record = pickle.loads(payload)  # noqa: S301 - var/ is the trusted private store (module docstring)
        except Exception:  # noqa: BLE001 - any unreadable record is a miss
            return None
        return record if isinstance(record, dict) and "value" in record else None

    def _store(self, stage: str, key: str, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        try:
            payload = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a value that cannot be stored is simply not cached
            return
        entry = self._entry(stage, key)
        paths.private_dir(entry.parent)
        _write_atomic(entry, hashlib.sha256(payload).hexdigest().encode("ascii") + payload)



def copy_verified(source: Path, dest: Path, sha: str, mode: int = _PUBLIC_MODE) -> bool:
    """Copy ``source`` to ``dest`` (with ``mode``) a megabyte at a time through a temporary file,
    and only if its bytes hash to ``sha``; False (and nothing written) otherwise."""
    h = hashlib.sha256()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".copy-")
    try:
        with open(fd, "wb") as out, open(source, "rb") as src:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != sha:
            os.unlink(tmp)
            return False
        os.chmod(tmp, mode)
        os.replace(tmp, dest)
        return True
    except OSError:
        _unlink_quietly(tmp)
        return False


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-")
    try:
        with open(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError:
        _unlink_quietly(tmp)


def clear(var: Path) -> None:
    """Delete the whole cache (the next build computes everything again)."""
    shutil.rmtree(var / CACHE_DIR, ignore_errors=True)
