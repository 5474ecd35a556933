"""Deterministic zips of big files, each file compressed once, with memory that stays small.

A file is written by a background thread as its bytes arrive (:class:`StreamedFile`): to disk,
into its SHA-256 and CRC-32, and into a raw deflate stream, the one ``zipfile`` would write. A
zip is then put together from those streams (:func:`write_zip`), byte for byte what
``ZipFile.writestr`` gives for the same bytes, without compressing anything again: the open-data
downloads (``publisher.opendata``) put each CSV into its version's zip and into the bulk zip.

zlib and hashlib let go of the interpreter while they work, so on a machine with two cores the
compressing runs beside the reading and converting of the next rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import queue
import threading
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator
from zoneinfo import ZoneInfo

from . import paths

ZipTime = tuple[int, int, int, int, int, int]  # (year, month, day, hour, minute, second), as zipfile takes it
ZIP_EPOCH = datetime(1980, 1, 1)  # the earliest time a zip entry can carry
BLOCK = 1 << 20  # bytes read, or handed to a writing thread, at a time
QUEUED_BLOCKS = 8  # blocks waiting for a writing thread, at most


@dataclass
class FileInfo:
    """A file as written: its size and SHA-256."""

    size: int
    sha256: str


@dataclass
class Compressed(FileInfo):
    """A file as written, and its bytes compressed once for the zips that hold it: the raw deflate
    stream ``zipfile`` writes (default level), and the file's CRC-32."""

    crc: int
    deflated: Path | bytes
    deflated_size: int

    @classmethod
    def of(cls, data: bytes) -> Compressed:
        """A small file, compressed in memory."""
        deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        packed = deflate.compress(data) + deflate.flush()
        return cls(len(data), hashlib.sha256(data).hexdigest(), zlib.crc32(data), packed, len(packed))

    def deflated_blocks(self) -> Iterator[bytes]:
        if isinstance(self.deflated, bytes):
            yield self.deflated
            return
        with self.deflated.open("rb") as packed:
            while block := packed.read(BLOCK):
                yield block

    def discard(self) -> None:
        """Delete the compressed stream once no zip needs it any more."""
        if isinstance(self.deflated, Path):
            self.deflated.unlink(missing_ok=True)


class StreamFolder:
    """Where the compressed streams go (outside any folder that is published), and the name of
    the next one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._numbers = itertools.count(1)

    def new(self) -> Path:
        return self.folder / f"{next(self._numbers)}.deflate"


class StreamedFile:
    """A file written by a background thread as its bytes arrive: into ``path`` (unless None),
    into its SHA-256 and CRC-32, and into a raw deflate stream at ``deflated``. At most
    ``QUEUED_BLOCKS`` writes wait for the thread, which bounds memory. Leaving the ``with`` block
    before :meth:`finish` (an error) stops the thread and deletes the compressed stream."""

    def __init__(self, path: Path | None, deflated: Path) -> None:
        self.path = path
        self.deflated = deflated
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_BLOCKS)
        self._result: Compressed | None = None
        self._error: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=f"zips {deflated.name}", daemon=True)
        self._thread.start()

    def __enter__(self) -> StreamedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._stopped:
            self._stop()
            self.deflated.unlink(missing_ok=True)

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        if self._stopped:
            raise ValueError(f"{self.deflated.name} is finished: nothing more can be written")
        self._queue.put(data)

    def finish(self) -> Compressed:
        """Wait until every byte is written; the file's size, hashes and compressed stream."""
        self._stop()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def _stop(self) -> None:
        self._stopped = True
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        sha256, crc, size, packed = hashlib.sha256(), 0, 0, 0
        deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # zipfile's own settings
        try:
            with contextlib.ExitStack() as files:
                out = files.enter_context(self.path.open("wb")) if self.path is not None else None
                compressed = files.enter_context(self.deflated.open("wb"))
                while (data := self._queue.get()) is not None:
                    if out is not None:
                        out.write(data)
                    sha256.update(data)
                    crc = zlib.crc32(data, crc)
                    size += len(data)
                    block = deflate.compress(data)
                    compressed.write(block)
                    packed += len(block)
                block = deflate.flush()
                compressed.write(block)
                packed += len(block)
            self._result = Compressed(size, sha256.hexdigest(), crc, self.deflated, packed)
        except BaseException as exc:  # handed to the writing thread by write() and finish()
            self._error = exc
            while self._queue.get() is not None:  # let the writing thread go on to finish()
                pass


def stream_file(source: Path, target: Path | None, folder: StreamFolder) -> Compressed:
    """``source`` hashed and compressed (a file another writer made), and copied to ``target``
    unless it is None."""
    with StreamedFile(target, folder.new()) as out:
        with source.open("rb") as data:
            while block := data.read(BLOCK):
                out.write(block)
        return out.finish()


# -- zips from compressed streams ----------------------------------------------------------


def zip_time(when: datetime, tz: ZoneInfo) -> ZipTime:
    """``when`` as a zip entry's local time in ``tz`` (never before 1980, to the even second)."""
    local = max(when.astimezone(tz).replace(tzinfo=None), ZIP_EPOCH)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second - local.second % 2)


def zip_entry(name: str, when: ZipTime) -> zipfile.ZipInfo:
    """A compressed entry with fixed attributes: the same bytes on every platform."""
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def write_zip(target: Path, entries: Iterable[tuple[str, Compressed]], when: ZipTime) -> FileInfo:
    """A deterministic zip: entries in the order given, fixed times and attributes. Every member
    name is a safe relative path (:func:`publisher.paths.zip_member`): no ``..``, no absolute
    names, so unpacking it never writes outside its folder (zip-slip)."""
    with target.open("wb") as raw:
        out = _HashingFile(raw)
        with zipfile.ZipFile(out, "w") as archive:  # type: ignore[call-overload]  # write, tell, seek, flush
            for name, member in entries:
                _add_compressed(archive, zip_entry(paths.zip_member(name), when), member)
    return out.file


def _add_compressed(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: Compressed) -> None:
    """Add ``member``'s compressed stream as it is, with the header and central-directory entry
    ``ZipFile.writestr`` writes for the same bytes on a seekable file (where the header it writes
    last, with the sizes and CRC, is the only one left). Keeps ``ZipFile``'s own record of its
    members (``filelist``, ``NameToInfo``, ``start_dir``) as its writers do, so ``close`` writes
    the central directory; ``tests/test_opendata_streaming.py`` compares the bytes with
    ``writestr``'s, ZIP64 included."""
    info.file_size = member.size
    info.compress_size = member.deflated_size
    info.CRC = member.crc
    info.flag_bits = 0
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # writestr's choice, from the size it is given
    info.header_offset = archive.fp.tell()
    archive.fp.write(info.FileHeader(zip64))
    for block in member.deflated_blocks():
        archive.fp.write(block)
    archive.start_dir = archive.fp.tell()
    archive.filelist.append(info)
    archive.NameToInfo[info.filename] = info


class _HashingFile:
    """A write-only file that hashes what it writes: enough of a file for ``ZipFile``, which only
    ever 'seeks' where it already is when its members come compressed."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._sha256 = hashlib.sha256()
        self._position = 0

    def write(self, data: bytes) -> int:
        self._raw.write(data)
        self._sha256.update(data)
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) not in ((self._position, io.SEEK_SET), (0, io.SEEK_CUR)):
            raise io.UnsupportedOperation("a hashing file only moves forward")
        return self._position

    def flush(self) -> None:
        self._raw.flush()

    @property
    def file(self) -> FileInfo:
        return FileInfo(self._position, self._sha256.hexdigest())
