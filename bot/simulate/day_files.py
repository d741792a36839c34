"""One day file of a Slack export, fast: its bytes read straight from the zip, decoded by msgspec.

The replay reads tens of thousands of small day files; :meth:`zipfile.ZipFile.read` costs about
15 µs a member in Python bookkeeping before any inflating, and ``json.loads`` builds a dict of
every field of every message. Here a member's compressed bytes are read at the offset the zip's
central directory gives (``os.pread``: no shared file position), inflated by ``zlib`` and checked
against the directory's CRC-32 (as ``zipfile`` does), and the JSON is decoded by msgspec into
objects holding only the six fields the replay looks at. Anything unusual falls back to the
standard library, so what is read never changes: an encrypted or oddly stored member goes
through ``zipfile``, and a file msgspec will not decode (not UTF-8, ``NaN``, an item that is not
an object …) through ``json.loads``.

Errors: :func:`day_messages` returns None for a file that cannot be read as a JSON list (the
caller skips and counts it); it raises nothing for bad content.
"""

from __future__ import annotations

import json
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from bot.simulate.central_directory import Entry
from bot.simulate.zip_limits import MemberLimits, MemberTooLarge, read_member

__all__ = [
    "LAST_TS",
    "DayColumns",
    "DayMessage",
    "PlainMessage",
    "add_messages",
    "day_files_by_folder",
    "day_messages",
]

#: A message's ``ts`` is read when it is from 1970-01-01 to before 2100-01-01 UTC (Slack began
#: in 2013); anything else (a year 3170843, NaN, infinity) is a malformed message.
LAST_TS = 4_102_444_800.0

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature … file name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED = 0x1
_NAME_AND_EXTRA = 256  # bytes read after a local header for its name and extra field
#: Subtypes written by a person (a plain message has none); joins, topics, bots are not.
PERSON_SUBTYPES = frozenset({"thread_broadcast", "file_share", "me_message"})
_NO_SUBTYPE = frozenset({msgspec.UNSET, None})
_NO_BOT = {msgspec.UNSET}


class DayMessage(msgspec.Struct, gc=False):
    """The fields of one message the replay reads; each :data:`msgspec.UNSET` when absent
    (``null`` is ``None``), of whatever JSON type the file has."""

    user: Any = msgspec.UNSET
    ts: Any = msgspec.UNSET
    text: Any = msgspec.UNSET
    thread_ts: Any = msgspec.UNSET
    subtype: Any = msgspec.UNSET
    bot_id: Any = msgspec.UNSET


class PlainMessage(msgspec.Struct, gc=False):
    """A message as nearly all are: a person's (no subtype, or ``null``; no ``bot_id``), each
    field of the type Slack gives it. A file whose every message decodes as one needs no check
    of a message's fields in Python (:func:`add_messages`); others go as :class:`DayMessage`."""

    user: str
    ts: str
    text: str = ""
    thread_ts: str = ""  # "" as Slack's missing one: the message is its own thread
    subtype: None = None
    bot_id: msgspec.UnsetType = msgspec.UNSET


_DECODE = msgspec.json.Decoder(list[DayMessage]).decode
_DECODE_PLAIN = msgspec.json.Decoder(list[PlainMessage]).decode
_DECODE_STAMPS = msgspec.json.Decoder(list[float], strict=False).decode  # "1.5" -> 1.5


def day_files_by_folder(names: Iterable[str]) -> dict[str, list[str]]:
    """The day files among ``names`` (a zip's members, in its order), by folder.

    A day file is named ``<folder>/<YYYY-MM-DD>.json``: a folder of at least one character
    and no ``/``, four decimal digits, ``-``, two, ``-``, two, then ``.json`` and at most one
    newline: what ``^(?P<folder>[^/]+)/(?P<day>\\d{4}-\\d{2}-\\d{2})\\.json$`` matches (``\\d``
    is any script's decimal digit, ``$`` also matches before a last newline). What follows
    the first ``/`` is checked once per distinct value (an export has a few hundred dates
    and ~100,000 day files): ~0.2 µs a name, where the regular expression took ~0.4 µs.
    """
    days: dict[str, list[str]] = {}
    dates: dict[str, bool] = {}  # what follows the first "/": whether it is a day file's
    for name in names:
        folder, _, day = name.partition("/")
        valid = dates.get(day)
        if valid is None:
            valid = dates[day] = _is_day_file(day)
        if valid and folder:
            found = days.get(folder)
            if found is None:
                days[folder] = [name]
            else:
                found.append(name)
    return days


def _is_day_file(day: str) -> bool:
    """Whether ``day`` (a name after its folder) is ``<YYYY-MM-DD>.json`` (see
    :func:`day_files_by_folder`)."""
    return (
        day[10:15] == ".json"
        and day[15:] in ("", "\n")
        and day[4] == "-"
        and day[7] == "-"
        and (day[:4] + day[5:7] + day[8:10]).isdecimal()
    )


def _member_bytes(
    archive: zipfile.ZipFile | None, fd: int, info: zipfile.ZipInfo | Entry, limits: MemberLimits
) -> bytes:
    """The member's uncompressed bytes, at most ``limits.day_file`` of them (a zip bomb is
    refused unread, :mod:`bot.simulate.zip_limits`); raises :class:`MemberTooLarge`,
    ``zipfile.BadZipFile``, ``zlib.error``, ``OSError`` (and whatever ``zipfile`` raises for
    members it reads itself)."""
    method, limit = info.compress_type, limits.day_file
    if info.flag_bits & _ENCRYPTED or method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        if archive is None or not isinstance(info, zipfile.ZipInfo):  # never: such a zip is
            raise zipfile.BadZipFile(f"{info.filename} is not plain")  # read by zipfile
        return read_member(archive, info, limit, limits)
    why = limits.problem(info.filename, info.file_size, info.compress_size, limit)
    if why is not None:
        raise MemberTooLarge(why)
    # the local header, its name and extra field (their lengths may differ from the central
    # directory's), and the data, in one read when they fit in what is guessed
    guess = _LOCAL_HEADER.size + _NAME_AND_EXTRA + info.compress_size
    found = os.pread(fd, guess, info.header_offset)
    if len(found) < _LOCAL_HEADER.size:
        raise zipfile.BadZipFile(f"truncated local header of {info.filename}")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(found)
    if signature != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"bad local header of {info.filename}")
    start = _LOCAL_HEADER.size + name_length + extra_length
    data = found[start : start + info.compress_size]
    if len(data) != info.compress_size:
        data = os.pread(fd, info.compress_size, info.header_offset + start)
    if len(data) != info.compress_size:
        raise zipfile.BadZipFile(f"truncated {info.filename}")
    if method == zipfile.ZIP_DEFLATED:
        data = zlib.decompressobj(-15).decompress(data, limit + 1)  # never more
    why = limits.problem(info.filename, len(data), info.compress_size, limit)
    if why is not None:
        raise MemberTooLarge(why)
    if zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return data


def day_messages(
    archive: zipfile.ZipFile | None, fd: int, info: zipfile.ZipInfo | Entry, limits: MemberLimits
) -> list[PlainMessage] | list[DayMessage] | list[Any] | None:
    """The items of one day file: :class:`PlainMessage` objects when every message is plain,
    else :class:`DayMessage` objects, or (where msgspec declined the file) whatever
    ``json.loads`` gives for a JSON list; None when the member cannot be read, is over its
    size limits or is not a JSON list. ``archive`` is None when ``info`` comes from
    :mod:`bot.simulate.central_directory` (a plain member, read without ``zipfile``)."""
    try:
        raw = _member_bytes(archive, fd, info, limits)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, MemberTooLarge):
        return None
    try:
        return _DECODE_PLAIN(raw)
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        return _DECODE(raw)
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, list) else None


@dataclass
class DayColumns:
    """Messages as columns, in the order read: message ``i`` is ``ts[i]`` (Unix seconds),
    ``conversation[i]`` (index), ``author[i]`` (person id), ``thread[i]`` (its thread's ts) and
    ``text[i]`` (only for the decision-phrase test; never kept)."""

    ts: list[float] = field(default_factory=list)
    conversation: list[int] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    thread: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ts)


def add_messages(
    found: DayColumns,
    files: list[tuple[int, list[DayMessage] | list[PlainMessage]]],
    zones: Mapping[str, Any],
) -> tuple[int, int, int]:
    """Append the messages of ``files`` ((conversation index, items) each) written by a person
    of ``zones`` to ``found``; returns how many were (not by a person: no author, a bot or a
    system subtype; by someone not in ``zones``; with a timestamp that is not a number)."""
    typed = all(not day or type(day[0]) is PlainMessage for _, day in files)
    if typed and _plain_typed(found, files, zones):  # type: ignore[arg-type]
        return 0, 0, 0
    try:
        if not typed and _plain(found, files, zones):  # type: ignore[arg-type]
            return 0, 0, 0
    except TypeError:  # an author or subtype that is no string (unhashable)
        pass
    not_person = unknown = bad = 0
    for conversation, items in files:
        for item in items:
            user, raw_ts, subtype = item.user, item.ts, item.subtype
            if user is msgspec.UNSET or raw_ts is msgspec.UNSET:
                not_person += 1  # no author: a system message
                continue
            if (
                subtype is not msgspec.UNSET
                and subtype is not None
                and (type(subtype) is not str or subtype not in PERSON_SUBTYPES)  # {} unhashable
            ) or item.bot_id is not msgspec.UNSET:
                not_person += 1
                continue
            if type(user) is not str or user not in zones:
                unknown += 1
                continue
            try:
                ts = float(raw_ts)
            except (TypeError, ValueError):
                bad += 1
                continue
            if not 0.0 <= ts < LAST_TS:  # also NaN
                bad += 1
                continue
            text, thread = item.text, item.thread_ts or raw_ts
            found.ts.append(ts)
            found.conversation.append(conversation)
            found.author.append(user)
            found.thread.append(thread if type(thread) is str else str(thread))
            found.text.append(text if type(text) is str else "")
    return not_person, unknown, bad


def stamp_floats(stamps: list[str]) -> list[float]:
    """``[float(ts) for ts in stamps]`` (raising its ``ValueError``), parsed by msgspec as one
    JSON list where every stamp is a number as JSON writes one (``"1767600000.123456"``): a
    third of ``float``'s cost. msgspec accepts no string ``float`` refuses and parses what it
    accepts to the same float; a sign (``-0``), quote or backslash goes to ``float`` itself."""
    joined = '","'.join(stamps)
    plain = "-" not in joined and "\\" not in joined
    if stamps and plain and joined.count('"') == 2 * (len(stamps) - 1):
        try:
            found = _DECODE_STAMPS(b'["' + joined.encode() + b'"]')
        except (msgspec.DecodeError, UnicodeEncodeError):
            pass
        else:
            if len(found) == len(stamps):
                return found
    return list(map(float, stamps))


def _plain_typed(
    found: DayColumns, files: list[tuple[int, list[PlainMessage]]], zones: Mapping[str, Any]
) -> bool:
    """:func:`_plain` for files of :class:`PlainMessage` only: each field is of its type and
    no message has a subtype or a bot, which leaves the authors and the timestamps to check."""
    items = [item for _, day in files for item in day]
    users = [item.user for item in items]
    if not zones.keys() >= set(users):
        return False
    stamps = [item.ts for item in items]
    try:
        times = stamp_floats(stamps)
    except ValueError:
        return False
    if times and not (min(times) >= 0.0 and max(times) < LAST_TS and math.isfinite(sum(times))):
        return False
    found.ts += times
    for conversation, day in files:
        found.conversation += [conversation] * len(day)
    found.author += users
    found.thread += [item.thread_ts or ts for item, ts in zip(items, stamps, strict=True)]
    found.text += [item.text for item in items]
    return True


def _plain(
    found: DayColumns, files: list[tuple[int, list[DayMessage]]], zones: Mapping[str, Any]
) -> bool:
    """:func:`add_messages` when every message is plain (no subtype, no bot, every author
    known, every timestamp a number from 1970 to 2099), a column at a time; False (nothing
    added) otherwise."""
    items = [item for _, day in files for item in day]
    users = [item.user for item in items]
    if not zones.keys() >= set(users):
        return False
    if not {item.subtype for item in items} <= _NO_SUBTYPE:
        return False
    if {item.bot_id for item in items} - _NO_BOT:
        return False
    stamps = [item.ts for item in items]
    try:
        times = list(map(float, stamps))
    except ValueError:
        return False
    # every ts in 1970 .. 2099 (a NaN or infinity makes the sum so)
    if times and not (min(times) >= 0.0 and max(times) < LAST_TS and math.isfinite(sum(times))):
        return False
    threads = [item.thread_ts or ts for item, ts in zip(items, stamps, strict=True)]
    texts = [item.text for item in items]
    found.ts += times
    for conversation, day in files:
        found.conversation += [conversation] * len(day)
    found.author += users
    found.thread += [thread if type(thread) is str else str(thread) for thread in threads]
    found.text += [text if type(text) is str else "" for text in texts]
    return True
