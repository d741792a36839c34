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
import os
import struct
import zlib
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

from bot.simulate.zip_limits import MemberLimits, MemberTooLarge

__all__ = ["CentralDirectory", "Entry", "read_central_directory"]

_END = struct.Struct("<4s4H2LH")  # signature, disk, disk of directory, counts, size, offset, …
_END_SIGNATURE = b"PK\x05\x06"
_LOCATOR = struct.Struct("<4sLQL")  # ZIP64 locator: signature, disk, offset, disks
_LOCATOR_SIGNATURE = b"PK\x06\x07"
_END64 = struct.Struct("<4sQ2H2L4Q")  # ZIP64 end record: …, disks, counts, size, offset
_END64_SIGNATURE = b"PK\x06\x06"
_MAX_COMMENT = 1 << 16
# signature, version needed, flags, method, CRC, sizes, name/extra/comment lengths, local
# header offset of an entry
# (zipfile's "<4s4B4HL2L5H2L", without the fields the replay does not use)
_ENTRY = struct.Struct("<4s2xBxHH4xLLLHHH8xL")
_ENTRY_SIGNATURE = b"PK\x01\x02"
_LOCAL = struct.Struct("<4s2xH18xHH")  # signature, flags, name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"
_MAX_EXTRACT_VERSION = 63  # zipfile's
_PLAIN_FLAGS = 0x080E  # deflate options (bits 1, 2), data descriptor (3), UTF-8 name (11)
_UTF8_NAME = 0x0800
_STORED, _DEFLATED = 0, 8
_ZIP64_MARK = 0xFFFF_FFFF


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
    raw_name: bytes  # as stored, to compare with the local header's


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
    are walked once for their fields; the checks and names then go a column at a time."""
    rows: list[tuple[Any, ...]] = []
    append, unpack, head = rows.append, _ENTRY.unpack_from, _ENTRY.size
    end, position = len(directory), 0
    try:
        while position < end:
            row = unpack(directory, position)
            append(row)
            position += head + row[7] + row[8] + row[9]
    except struct.error:
        return None  # truncated
    if position != end or len(rows) != count:
        return None
    if not rows:
        return {}
    columns = list(zip(*rows, strict=True))
    signatures, versions, flags, methods, crcs, compressed, sizes = columns[:7]
    lengths, extras, _, offsets = columns[7:]
    if (
        set(signatures) != {_ENTRY_SIGNATURE}
        or max(versions) > _MAX_EXTRACT_VERSION
        or any(flag & ~_PLAIN_FLAGS for flag in set(flags))
        or not set(methods) <= {_STORED, _DEFLATED}
        or max(max(compressed), max(sizes), max(offsets)) >= _ZIP64_MARK
    ):
        return None
    if _STORED in methods and any(
        method == _STORED and packed != size
        for method, packed, size in zip(methods, compressed, sizes, strict=True)
    ):
        return None
    starts = list(accumulate((head + row[7] + row[8] + row[9] for row in rows), initial=0))
    raws = [
        directory[start + head : start + head + length]
        for start, length in zip(starts, lengths, strict=False)
    ]
    if any(extras):
        for start, row in zip(starts, rows, strict=False):
            if row[8]:
                at = start + head + row[7]
                if not _extra_plain(directory[at : at + row[8]]):
                    return None
    joined = b"\0".join(raws)
    if joined.count(b"\0") != len(raws) - 1:
        return None  # a NUL in a name (zipfile cuts the name there)
    unflagged = [raw for raw, flag in zip(raws, flags, strict=True) if not flag & _UTF8_NAME]
    if unflagged and not b"".join(unflagged).isascii():
        return None  # zipfile reads such a name as cp437
    try:
        names = joined.decode().split("\0")
    except UnicodeDecodeError:
        return None
    members = dict(
        zip(
            names,
            map(
                partial(tuple.__new__, Entry),
                zip(names, offsets, compressed, sizes, methods, flags, crcs, raws, strict=True),
            ),
            strict=True,
        )
    )
    if len(members) != len(names):
        return None  # a name twice
    return members


def _extra_plain(extra: bytes) -> bool:
    """True when the extra field parses as ``zipfile`` parses it and has no ZIP64 record."""
    position = 0
    while len(extra) - position >= 4:
        kind, length = struct.unpack_from("<HH", extra, position)
        if kind == 0x0001 or position + 4 + length > len(extra):
            return False
        position += 4 + length
    return True
