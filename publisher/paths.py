"""Names that become paths, and the one way any of them becomes a path.

Every name that ends up in a file name — item ids, resource names and files, chart ids, version
folders, zip members — is taken from content, the audit log or the archive, so it is checked
twice: when it is loaded (a loading finding, see ``docs/content-model.md``) and again when it is
written (:func:`confined`, :func:`zip_member`). Patterns are applied with ``fullmatch``, never
``match`` with ``^…$``: ``$`` also matches before a final newline.

Content is listed without following links (:func:`scan`, :func:`regular_files`) and read with
``O_NOFOLLOW`` (:func:`read_regular`), so a link placed in an item folder never makes a private
file part of an approval. ``var/`` stays owner-only (:func:`private_dir`, :func:`write_private`,
:func:`tighten_tree`). See ``docs/threats/paths.md``.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

# An item id (folder or file stem) and a chart id: an ASCII slug.
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# A resource name: the stem of its download files (``<name>.csv``, ``<name>.excel.csv`` …). No
# dots, so one resource's files can never be another's (``a.excel`` + ``.csv``).
RESOURCE_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# One component of a relative path: no separator, no leading dot (so never ``.`` or ``..``, and
# no hidden files), no control characters or spaces.
FILE_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class PathError(ValueError):
    """A name or path that must not be written or read; the message in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


def is_id(name: object) -> bool:
    """An item id or a chart id."""
    return isinstance(name, str) and ID_PATTERN.fullmatch(name) is not None


def is_resource_name(name: object) -> bool:
    return isinstance(name, str) and RESOURCE_NAME_PATTERN.fullmatch(name) is not None


def is_file_name(name: object) -> bool:
    """One path component that is safe as a file name."""
    return isinstance(name, str) and FILE_NAME_PATTERN.fullmatch(name) is not None


def is_relative_path(rel: object) -> bool:
    """A relative POSIX path whose every component is a safe file name (``datasets/x/a.csv``)."""
    return isinstance(rel, str) and bool(rel) and all(is_file_name(part) for part in rel.split("/"))


def printable(name: str) -> str:
    """``name`` with control characters escaped (``air-mini\\n``), for messages and findings: a
    name with a newline must not look like two lines, or like another item, in a report."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), name)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def confined(base: Path, *parts: str) -> Path:
    """``base`` joined with ``parts``, resolved, or :class:`PathError` if it is not inside ``base``.

    Every writer builds its target with this: a part that is absolute, holds ``..``, a NUL or a
    backslash is refused before anything is resolved, and the resolved path (links followed) must
    still lie strictly inside the resolved ``base``.
    """
    base_resolved = Path(base).resolve()
    joined = base_resolved
    for part in parts:
        text = str(part)
        pieces = text.split("/")
        if not text or text.startswith("/") or "\x00" in text or "\\" in text or ".." in pieces:
            raise PathError(f"路径 '{text}' 不安全（含 ..、绝对路径或反斜杠）",
                            f"the path '{text}' is unsafe (.., absolute or a backslash)")
        joined = joined / text
    resolved = joined.resolve()
    if resolved == base_resolved or base_resolved not in resolved.parents:
        shown = "/".join(str(p) for p in parts)
        raise PathError(f"路径 '{shown}' 超出了 {base}", f"the path '{shown}' leaves {base}")
    return resolved


def zip_member(name: str) -> str:
    """``name`` if it is safe as a zip member (relative, every component a safe file name)."""
    if not is_relative_path(name):
        raise PathError(f"zip 成员名 '{name}' 不安全", f"the zip member name '{name}' is unsafe")
    return name


# -- listing and reading content without following links -------------------------------------


@dataclass(frozen=True)
class Entry:
    """One directory entry, by what it is itself (links are not followed)."""

    path: Path
    kind: str  # "file" (regular), "dir", "link" (a symbolic link), "special" (FIFO, device, socket)

    @property
    def name(self) -> str:
        return self.path.name


def entry_kind(path: Path) -> str | None:
    """What ``path`` is itself ("file", "dir", "link", "special"), or None if nothing is there."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    return _kind(mode)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    return "special"


def scan(folder: Path) -> list[Entry]:
    """The entries of ``folder``, sorted by name, each by what it is itself."""
    found = []
    with os.scandir(folder) as entries:
        for e in entries:
            try:
                found.append(Entry(Path(e.path), _kind(e.stat(follow_symlinks=False).st_mode)))
            except FileNotFoundError:  # gone since it was listed (e.g. SQLite's -shm file)
                continue
    return sorted(found, key=lambda e: e.name)


def regular_files(folder: Path) -> list[Path]:
    """Every regular file under ``folder``, sorted; links (to files or folders) are not followed."""
    found: list[Path] = []
    for entry in scan(folder):
        if entry.kind == "file":
            found.append(entry.path)
        elif entry.kind == "dir":
            found.extend(regular_files(entry.path))
    return sorted(found)


def read_regular(path: Path) -> bytes:
    """The bytes of ``path`` if it is a regular file itself: a link is not followed and a FIFO
    or device is not opened for reading (``O_NONBLOCK``: opening a FIFO never waits)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if entry_kind(Path(path)) == "link":
            raise PathError(f"{path} 是符号链接，不予读取", f"{path} is a symbolic link and is not read") from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise PathError(f"{path} 不是普通文件，不予读取", f"{path} is not a regular file and is not read")
        return handle.read()


# -- owner-only folders and files (var/) --------------------------------------------------------


def private_dir(path: Path) -> Path:
    """``path`` as an owner-only folder (0700): made if missing, tightened if it is wider. Missing
    folders above it are made owner-only too (``mkdir(parents=True)`` would give them the umask's
    mode); folders that exist above it are left as they are."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
        _tighten(folder, PRIVATE_DIR_MODE)
    if not path.is_dir():
        raise FileExistsError(f"not a folder: {path}")
    _tighten(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Tighten an existing file to owner-only (0600)."""
    if entry_kind(path) == "file":
        _tighten(path, PRIVATE_FILE_MODE)


def tighten_tree(folder: Path) -> None:
    """Every folder under ``folder`` 0700 and every file 0600 (links are not followed)."""
    if entry_kind(folder) != "dir":
        return
    _tighten(folder, PRIVATE_DIR_MODE)
    for entry in scan(folder):
        if entry.kind == "dir":
            tighten_tree(entry.path)
        elif entry.kind == "file":
            _tighten(entry.path, PRIVATE_FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, owner-only (0600) from the first byte on."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # the mode given to open() is filtered by the umask
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data)
    finally:
        if fd != -1:
            os.close(fd)
    os.replace(tmp, path)


def _tighten(path: Path, wanted: int) -> None:
    # Callers pass only what they listed as a file or folder itself; ``var/`` may be a link the
    # operator made (to another disk), and then its target is what must be private.
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
        if current & ~wanted & 0o777:
            os.chmod(path, current & wanted)
    except FileNotFoundError:  # removed meanwhile (another process's journal or staging folder)
        pass
