"""A zip's central directory read fast, for the plain zips Slack exports are; None for the rest.

:class:`zipfile.ZipFile` builds a :class:`zipfile.ZipInfo` per member (date, extra field,
attributes …) when it opens a zip: about 8 µs a member, and a year of a large workspace's export
holds ~100,000 day files. Here the End Of Central Directory record is found as ``zipfile`` finds
it, and the directory is read in one ``pread`` and parsed with ``struct.unpack_from`` into what
the replay uses of each member: its name, local header offset, sizes, method, flags and CRC-32.

Only a zip ``zipfile`` would read to the same values is read here: anything unusual makes
:func:`read_central_directory` return None, and the caller opens the zip with ``zipfile`` as
before, so its errors (and the members skipped and counted) stay what they were. Unusual is:
ZIP64 records or sizes, a zip spanning disks or with data before it, a comment that does not end
the file, an encrypted or patched member, a method other than stored or deflate, a stored member
whose sizes differ, a name not flagged UTF-8 that is not ASCII (``zipfile`` reads those as
cp437), a NUL in a name, a corrupt extra field, a name twice, or a directory whose entries do not
add up to its declared size and count.

:meth:`CentralDirectory.read_clean` reads a member (``users.json`` …) only where ``zipfile``
would read the same bytes without complaint, and says None otherwise (the caller then reads it
through ``zipfile``, for its exact error). The size limits of :mod:`bot.simulate.zip_limits`
apply to the same declared values as with ``zipfile``.
"""

from __future__ import annotations

import bisect
import gc
import os
import struct
import zlib
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bot.simulate.zip_limits import MemberLimits, MemberTooLarge

__all__ = ["CentralDirectory", "Entry", "read_central_directory"]

_END = struct.Struct("<4s4H2LH")  # signature, disk, disk of directory, counts, size, offset, …
_END_SIGNATURE = b"PK\x05\x06"
_LOCATOR = struct.Struct("<4sLQL")  # ZIP64 locator: signature, disk, offset, disks
_LOCATOR_SIGNATURE = b"PK\x06\x07"
_END64 = struct.Struct("<4sQ2H2L4Q")  # ZIP64 end record: …, disks, counts, size, offset
_END64_SIGNATURE = b"PK\x06\x06"
_MAX_COMMENT = 1 << 16
_ENTRY_SIGNATURE = b"PK\x01\x02"
#: An entry's 46 bytes of fixed fields as a numpy record (zipfile's "<4s4B4HL2L5H2L", named).
_ROW = np.dtype(
    [
        ("signature", "S4"),
        ("made_by", "<u2"),
        ("version", "u1"),
        ("system", "u1"),
        ("flags", "<u2"),
        ("method", "<u2"),
        ("time", "<u2"),
        ("date", "<u2"),
        ("crc", "<u4"),
        ("compressed", "<u4"),
        ("size", "<u4"),
        ("name_length", "<u2"),
        ("extra_length", "<u2"),
        ("comment_length", "<u2"),
        ("disk", "<u2"),
        ("internal", "<u2"),
        ("external", "<u4"),
        ("offset", "<u4"),
    ]
)
_HEAD = _ROW.itemsize
_LENGTHS = struct.Struct("<28x3H12x")  # an entry's name, extra field and comment lengths
_LOCAL = struct.Struct("<4s2xH18xHH")  # signature, flags, name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"
_MAX_EXTRACT_VERSION = 63  # zipfile's
_PLAIN_FLAGS = 0x080E  # deflate options (bits 1, 2), data descriptor (3), UTF-8 name (11)
_UTF8_NAME = 0x0800
_STORED, _DEFLATED = 0, 8
_ZIP64_MARK = 0xFFFF_FFFF
Bytes = npt.NDArray[np.uint8]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Rows = npt.NDArray[np.void]


class Entry(NamedTuple):
    """One member as the replay reads it, under :class:`zipfile.ZipInfo`'s attribute names
    (a tuple: there are ~100,000, made in one call)."""

    filename: str
    header_offset: int
    compress_size: int
    file_size: int
    compress_type: int
    flag_bits: int
    CRC: int

    @property
    def raw_name(self) -> bytes:
        """The name as stored, to compare with the local header's (a name flagged UTF-8
        decodes and encodes back to the same bytes; any other is ASCII)."""
        return self.filename.encode()


@dataclass
class CentralDirectory:
    """The members of a plain zip at ``path``, by name, in the directory's order."""

    path: Path
    members: dict[str, Entry]
    directory_start: int  # where the central directory begins: the last member ends there
    _offsets: list[int] = field(default_factory=list)

    def namelist(self) -> list[str]:
        """Every member's name, in the directory's order (as :meth:`zipfile.ZipFile.namelist`)."""
        return list(self.members)

    def getinfo(self, name: str) -> Entry:
        """The member called ``name``; raises ``KeyError`` when there is none."""
        return self.members[name]

    def close(self) -> None:
        """Nothing to close (the file is opened for each read); for ``ZipFile``'s callers."""

    def read_clean(self, entry: Entry, limit: int, limits: MemberLimits) -> bytes | None:
        """The member's bytes when ``zipfile`` would read them without complaint, else None.

        Raises :class:`MemberTooLarge` as :func:`bot.simulate.zip_limits.read_member` does for
        the declared sizes; a member found to differ from its declaration is None (``zipfile``
        then says what is wrong).
        """
        why = limits.problem(entry.filename, entry.file_size, entry.compress_size, limit)
        if why is not None:
            raise MemberTooLarge(why)
        raw_name = entry.raw_name
        with open(self.path, "rb") as file:
            fd = file.fileno()
            head = os.pread(fd, _LOCAL.size + len(raw_name), entry.header_offset)
            if len(head) != _LOCAL.size + len(raw_name):
                return None
            signature, flags, name_length, extra_length = _LOCAL.unpack_from(head)
            if (
                signature != _LOCAL_SIGNATURE
                or head[_LOCAL.size :] != raw_name
                or name_length != len(raw_name)
                or (flags ^ entry.flag_bits) & _UTF8_NAME
            ):
                return None
            start = entry.header_offset + _LOCAL.size + name_length + extra_length
            if start + entry.compress_size > self._end_of(entry.header_offset):
                return None  # zipfile: "Overlapped entries"
            data = os.pread(fd, entry.compress_size, start)
        if len(data) != entry.compress_size:
            return None
        if entry.compress_type == _DEFLATED:
            try:
                data = zlib.decompressobj(-15).decompress(data, limit + 1)
            except zlib.error:
                return None
        if len(data) != entry.file_size or zlib.crc32(data) != entry.CRC:
            return None
        return data

    def _end_of(self, header_offset: int) -> int:
        """Where the member at ``header_offset`` must end: the next member's local header, or
        the central directory (``zipfile``'s ``_end_offset``)."""
        if not self._offsets:
            self._offsets = sorted(entry.header_offset for entry in self.members.values())
        found = bisect.bisect_right(self._offsets, header_offset)
        if found - bisect.bisect_left(self._offsets, header_offset) > 1:
            return header_offset  # two members at one offset: zipfile finds them overlapping
        if found < len(self._offsets):
            return self._offsets[found]
        return self.directory_start


def _end_record(fd: int, file_size: int) -> tuple[int, bytes] | None:
    """(its offset, the 22 bytes) of the End Of Central Directory record, found as
    ``zipfile`` finds it; None when that is not plainly the record that ends the file."""
    if file_size < _END.size:
        return None
    tail = os.pread(fd, _END.size, file_size - _END.size)
    if tail[:4] == _END_SIGNATURE and tail[-2:] == b"\0\0":
        return file_size - _END.size, tail
    start = max(file_size - _MAX_COMMENT - _END.size, 0)
    data = os.pread(fd, file_size - start, start)
    found = data.rfind(_END_SIGNATURE)
    if found < 0 or found + _END.size > len(data):
        return None
    record = data[found : found + _END.size]
    comment_length = _END.unpack(record)[7]
    if found + _END.size + comment_length != len(data):
        return None  # a comment with a signature in it, or not ending the file
    return start + found, record


def _end_record64(fd: int, at: int) -> tuple[int, ...] | None:
    """The disks, counts, size and offset of the ZIP64 end record before the end record at
    ``at`` (a zip of more than 65,535 members has one), () when there is none, None when it is
    not plain (spans disks, or a locator without its record)."""
    locator = os.pread(fd, _LOCATOR.size, at - _LOCATOR.size)
    signature, disk, _, disks = _LOCATOR.unpack(locator)
    if signature != _LOCATOR_SIGNATURE:
        return ()
    if disk or disks > 1 or at < _LOCATOR.size + _END64.size:
        return None
    record = os.pread(fd, _END64.size, at - _LOCATOR.size - _END64.size)
    fields = _END64.unpack(record)
    if fields[0] != _END64_SIGNATURE:
        return None  # zipfile would read the plain end record: leave that oddity to it
    return fields[4:10]


def read_central_directory(path: Path) -> CentralDirectory | None:
    """The central directory of the zip at ``path``, or None when it is anything but plain
    (see the module docstring) or cannot be read: then ask ``zipfile``."""
    try:
        with open(path, "rb") as file:
            fd = file.fileno()
            found = _end_record(fd, os.fstat(fd).st_size)
            if found is None:
                return None
            at, record = found
            _, disk, disk_of_directory, here, count, size, offset, _ = _END.unpack(record)
            ends_at = at
            if at >= _LOCATOR.size:
                found64 = _end_record64(fd, at)
                if found64 is None:
                    return None
                if found64:
                    disk, disk_of_directory, here, count, size, offset = found64
                    ends_at = at - _LOCATOR.size - _END64.size
            if disk or disk_of_directory or here != count or offset + size != ends_at:
                return None  # spans disks, or data before the zip ("concat" in zipfile)
            directory = os.pread(fd, size, offset)
    except OSError:
        return None
    if len(directory) != size:
        return None
    members = _members(directory, count)
    if members is None:
        return None
    return CentralDirectory(path, members, offset)


def _members(directory: bytes, count: int) -> dict[str, Entry] | None:
    """Each plain member of ``directory`` by name, or None when one is not plain. The entries
    are found and checked a column at a time (numpy), and only the names and the entries made
    from them are Python objects (built with the cyclic collector paused: tuples of strings and
    numbers, ~100,000 of them, which it would otherwise walk again and again)."""
    buffer = np.frombuffer(directory, np.uint8)
    found = _entries(directory, buffer)
    if found is None:
        return None
    starts, rows = found
    if len(starts) != count:
        return None
    if not count:
        return {}
    flags, methods = rows["flags"], rows["method"]
    compressed, sizes, offsets = rows["compressed"], rows["size"], rows["offset"]
    if (
        (rows["signature"] != _ENTRY_SIGNATURE).any()
        or rows["version"].max() > _MAX_EXTRACT_VERSION
        or (flags & (0xFFFF ^ _PLAIN_FLAGS)).any()
        or ((methods != _STORED) & (methods != _DEFLATED)).any()
        or max(compressed.max(), sizes.max(), offsets.max()) >= _ZIP64_MARK
        or ((methods == _STORED) & (compressed != sizes)).any()
    ):
        return None
    lengths = rows["name_length"].astype(np.int64)
    extras = rows["extra_length"]
    for at in np.flatnonzero(extras).tolist():
        where = int(starts[at] + _HEAD + lengths[at])
        if not _extra_plain(directory[where : where + int(extras[at])]):
            return None
    names = _names(buffer, rows, (flags & _UTF8_NAME) == 0)
    if names is None:
        return None
    columns = (offsets, compressed, sizes, methods, flags, rows["crc"])
    entries = zip(names, *(column.tolist() for column in columns), strict=True)
    collecting = gc.isenabled()
    gc.disable()
    try:
        members = dict(zip(names, map(partial(tuple.__new__, Entry), entries), strict=True))
    finally:
        if collecting:
            gc.enable()
    if len(members) != len(names):
        return None  # a name twice
    return members


def _entries(directory: bytes, buffer: Bytes) -> tuple[Ints, Rows] | None:
    """Where each entry of ``directory`` (``buffer``: the same bytes as an array) starts, and
    its fixed fields; None when the entries do not add up to the directory (truncated, or
    more bytes than they claim).

    Each entry starts with a signature and says how long it is: the entries are where the
    signature is found, when each found one ends where the next begins and the last ends
    the directory (then no other start is possible); else (a signature inside a name or an
    extra field) the entries are walked one by one."""
    end = len(buffer)
    if end >= _HEAD:
        found = np.flatnonzero(buffer[: end - _HEAD + 1] == _ENTRY_SIGNATURE[0])
        for place in range(1, 4):
            found = found[buffer[found + place] == _ENTRY_SIGNATURE[place]]
        if len(found) and found[0] == 0:
            rows = _rows(buffer, found)
            ends = found + _HEAD + _length(rows)
            if ends[-1] == end and (ends[:-1] == found[1:]).all():
                return found, rows
    starts: list[int] = []
    position, unpack = 0, _LENGTHS.unpack_from
    try:
        while position < end:
            starts.append(position)
            name, extra, comment = unpack(directory, position)
            position += _HEAD + name + extra + comment
    except struct.error:
        return None  # truncated
    if position != end:
        return None
    if not starts:
        return np.zeros(0, np.int64), np.zeros(0, _ROW)
    at = np.array(starts, np.int64)
    return at, _rows(buffer, at)


def _rows(buffer: Bytes, starts: Ints) -> Rows:
    """The fixed fields of the entries at ``starts`` (one record each)."""
    windows = np.lib.stride_tricks.sliding_window_view(buffer, _HEAD)  # no copy
    found: Rows = windows[starts].view(_ROW)[:, 0]
    return found


def _length(rows: Rows) -> Ints:
    """How many bytes follow each entry's fixed fields (name, extra field, comment)."""
    found: Ints = (
        rows["name_length"].astype(np.int64) + rows["extra_length"] + rows["comment_length"]
    )
    return found


def _names(buffer: Bytes, rows: Rows, unflagged: Bools) -> list[str] | None:
    """The names of the entries (``rows``, back to back in ``buffer``), as ``zipfile`` reads
    them; None when one holds a NUL (``zipfile`` cuts the name there), is not flagged UTF-8
    but is not ASCII (``zipfile`` reads it as cp437) or is no UTF-8."""
    # every name's bytes and the byte after it, made a NUL (the names joined by NULs), taken by
    # a mask of the bytes: runs of the header before each name (46 bytes and what follows the
    # name before, less its NUL) and of the name with its NUL
    lengths = rows["name_length"].astype(np.int64)
    others = rows["extra_length"].astype(np.int64) + rows["comment_length"]
    runs = np.empty(2 * len(rows) + 1, np.int64)
    runs[0:-1:2] = _HEAD + np.concatenate([[0], others[:-1] - 1])
    runs[1::2] = lengths + 1
    runs[-1] = others[-1]
    padded = np.zeros(len(buffer) + 1, np.uint8)
    padded[:-1] = buffer
    kinds = np.zeros(len(runs), np.bool_)
    kinds[1::2] = True
    joined = padded[np.repeat(kinds, runs)]
    joined[np.cumsum(lengths + 1) - 1] = 0
    if np.count_nonzero(joined == 0) != len(rows):
        return None
    if (
        unflagged.any()
        and joined.max() >= 0x80
        and (np.repeat(unflagged, lengths + 1) & (joined >= 0x80)).any()
    ):
        return None
    try:
        return joined[:-1].tobytes().decode().split("\0")
    except UnicodeDecodeError:
        return None


def _extra_plain(extra: bytes) -> bool:
    """True when the extra field parses as ``zipfile`` parses it and has no ZIP64 record."""
    position = 0
    while len(extra) - position >= 4:
        kind, length = struct.unpack_from("<HH", extra, position)
        if kind == 0x0001 or position + 4 + length > len(extra):
            return False
        position += 4 + length
    return True
