"""Reading a standard Slack export zip as a stream of message metadata, in time order.

A Slack export is a zip with ``users.json`` (each person's ``tz``), ``channels.json`` and, on
Business+/Enterprise plans, ``groups.json`` (private channels), ``dms.json`` and ``mpims.json``,
plus one folder per conversation holding ``<YYYY-MM-DD>.json`` day files, each a JSON list of
messages (https://slack.com/help/articles/220556107, "How to read Slack data exports").

Memory stays bounded whatever the size of the export: members are opened one at a time, one day
file of each conversation is parsed at a time, and the conversations are merged on their
timestamps with a heap (each day file is ordered, and day files sort by name). Message text is
looked at once, for the yes/no "reads like a decision" signal, and never kept.

Errors: :class:`ExportError` for an input that cannot be read as an export at all (not a zip,
no ``users.json``/``channels.json``, one of them over its size limit or nested too deep, a zone
nobody knows). A day file that is not a JSON list of messages (or is over its size limit,
:mod:`bot.simulate.zip_limits`, or nested too deep) is skipped and counted
(:attr:`ExportStats.bad_files`), never fatal; so is a message whose ``ts`` is no number from
1970 to 2100 (:attr:`ExportStats.bad_messages`).
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.simulate.central_directory import CentralDirectory, read_central_directory
from bot.simulate.day_files import (
    DayColumns,
    DayMessage,
    PlainMessage,
    add_messages,
    day_files_by_folder,
    day_messages,
)
from bot.simulate.zip_limits import MemberLimits, MemberTooLarge, read_member

__all__ = [
    "Conversation",
    "ConversationKind",
    "ExportError",
    "ExportStats",
    "Message",
    "SlackExport",
    "open_export",
]

_LISTS = (("channels.json", "channel"), ("groups.json", "group"))
_DIRECT = (("dms.json", "dm"), ("mpims.json", "mpim"))
_FIRST = itemgetter(0)  # a message's ts

#: The zip's members: its central directory read fast where the zip is plain, else ``zipfile``.
Archive = zipfile.ZipFile | CentralDirectory

ConversationKind = str  # "channel" | "group" (private channel) | "dm" | "mpim"


class ExportError(Exception):
    """The file cannot be read as a Slack export; ``str()`` says why in one line."""


@dataclass(frozen=True)
class Conversation:
    """A channel, private channel, DM or group DM: its id, folder in the zip, kind, members."""

    id: str
    name: str
    kind: ConversationKind
    members: tuple[str, ...]


@dataclass
class ExportStats:
    """What reading met besides messages: files skipped, messages not written by a person."""

    day_files: int = 0
    bad_files: int = 0
    bot_or_system: int = 0
    bad_messages: int = 0
    unknown_people: int = 0


#: One message as the replay sees it: (ts seconds UTC, conversation index, author id, thread
#: ts, text). A tuple, not a dataclass: there may be millions. The text lives only until the
#: replay has asked whether it reads like a decision (off-hours messages only); it is never kept.
Message = tuple[float, int, str, str, str]


@dataclass
class SlackExport:
    """An opened export: people and their zones, conversations, and a message stream."""

    path: Path
    zones: dict[str, ZoneInfo]
    names: dict[str, str]
    conversations: list[Conversation]
    stats: ExportStats = field(default_factory=ExportStats)
    _days: dict[str, list[str]] = field(default_factory=dict)
    _archive: Archive | None = None
    limits: MemberLimits = field(default_factory=MemberLimits)
    #: The zone people without a ``tz`` were given (see :func:`open_export`).
    default_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def day_file_count(self) -> int:
        return sum(len(days) for days in self._days.values())

    def messages(self, *, progress: Callable[[int], None] | None = None) -> Iterator[Message]:
        """Every person's message, oldest first (ties by conversation); closes the zip after.

        Day files are read one date at a time (every conversation's file of that date, merged
        and sorted), so memory holds one day of the workspace. ``progress`` is called with the
        number of day files read so far, after each date.
        """
        return chain.from_iterable(self.dates(progress=progress))

    def dates(self, *, progress: Callable[[int], None] | None = None) -> Iterator[list[Message]]:
        """:meth:`messages`, one list per date of day files (a list per date iterates faster
        than a generator per message)."""
        for day in self.columns(progress=progress):
            batch = list(
                zip(day.ts, day.conversation, day.author, day.thread, day.text, strict=True)
            )
            batch.sort(key=_FIRST)
            yield batch

    def columns(self, *, progress: Callable[[int], None] | None = None) -> Iterator[DayColumns]:
        """:meth:`dates` as columns, each date's messages in the order read (conversation by
        conversation) for a caller that sorts them itself."""
        archive = self._archive
        if archive is None:
            archive = _open_archive(self.path)
        by_date: dict[str, list[tuple[int, str]]] = {}
        for index, conversation in enumerate(self.conversations):
            for member in self._days.get(conversation.name, ()):
                by_date.setdefault(member.rpartition("/")[2], []).append((index, member))
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            archive.close()
            self._archive = None
            raise
        try:
            for day in sorted(by_date):
                found = DayColumns()
                self._read_into(found, archive, fd, by_date[day])
                if progress is not None:
                    progress(self.stats.day_files)
                yield found
        finally:
            os.close(fd)
            archive.close()
            self._archive = None

    def close(self) -> None:
        """Close the zip (reading the messages closes it too)."""
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    def _read_into(
        self,
        found: DayColumns,
        archive: Archive,
        fd: int,
        members: list[tuple[int, str]],
    ) -> None:
        """The messages of ``members`` ((conversation index, day file) each) into ``found``."""
        stats = self.stats
        slow = archive if isinstance(archive, zipfile.ZipFile) else None
        files: list[tuple[int, list[DayMessage] | list[PlainMessage]]] = []
        for index, member in members:
            stats.day_files += 1
            items = day_messages(slow, fd, archive.getinfo(member), self.limits)
            if items is None:
                stats.bad_files += 1
            elif items and type(items[0]) not in (DayMessage, PlainMessage):  # json.loads
                files.append((index, [_as_day_message(item) for item in items]))
            else:
                files.append((index, items))
        not_person, unknown, bad = add_messages(found, files, self.zones)
        stats.bot_or_system += not_person
        stats.unknown_people += unknown
        stats.bad_messages += bad


def _as_day_message(item: Any) -> DayMessage:
    """An item ``json.loads`` read, as msgspec would have decoded it (every field unset for an
    item that is no object: it has no author, like a system message)."""
    found = DayMessage()
    if isinstance(item, dict):
        for name in DayMessage.__struct_fields__:
            if name in item:
                setattr(found, name, item[name])
    return found


def _open_archive(path: Path) -> Archive:
    """The zip's central directory, read fast when the zip is plain, else by ``zipfile``."""
    return read_central_directory(path) or zipfile.ZipFile(path)


def _listing(archive: Archive, name: str, limits: MemberLimits) -> bytes | None:
    """The bytes of listing ``name`` (None when the zip has none), read as ``zipfile`` reads
    them; a member the fast reader finds anything wrong with is read by ``zipfile`` itself,
    which raises what it raises."""
    if isinstance(archive, zipfile.ZipFile):
        try:
            info = archive.getinfo(name)
        except KeyError:
            return None
        return read_member(archive, info, limits.listing, limits)
    try:
        entry = archive.getinfo(name)
    except KeyError:
        return None
    found = archive.read_clean(entry, limits.listing, limits)
    if found is not None:
        return found
    with zipfile.ZipFile(archive.path) as slow:
        return read_member(slow, slow.getinfo(name), limits.listing, limits)


def _load_list(archive: Archive, name: str, limits: MemberLimits) -> list[dict[str, Any]] | None:
    try:
        raw = _listing(archive, name, limits)
        if raw is None:
            return None
        data = json.loads(raw)
    except MemberTooLarge as error:
        raise ExportError(f"{error}: not read (is it a Slack export?)") from None
    except RecursionError:
        raise ExportError(f"{name} in the export is nested too deep to be Slack's") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ExportError(f"{name} in the export is not valid JSON ({error})") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise ExportError(f"{name} in the export cannot be read ({error})") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ExportError(f"{name} in the export is not a JSON list of objects")
    return data


def _people(
    archive: Archive, default_zone: ZoneInfo | None, limits: MemberLimits
) -> tuple[dict[str, ZoneInfo], dict[str, str], ZoneInfo]:
    """Each person's zone and name, and the zone given to those without one (``default_zone``,
    or when None the most common zone of the others, the first by name on a tie; UTC if no one
    has one)."""
    users = _load_list(archive, "users.json", limits)
    if users is None:
        raise ExportError(
            "the export has no users.json: it is needed for each person's time zone "
            "(export again with members' profiles, or check it is a workspace export)"
        )
    zones: dict[str, ZoneInfo] = {}
    names: dict[str, str] = {}
    known: dict[str, ZoneInfo] = {}
    zoneless: list[str] = []
    for user in users:
        user_id = user.get("id")
        if not isinstance(user_id, str) or user.get("is_bot") or user_id == "USLACKBOT":
            continue
        zone_name = user.get("tz")
        if not zone_name:
            zoneless.append(user_id)
        else:
            zone = known.get(str(zone_name))
            if zone is None:
                try:
                    zone = known[str(zone_name)] = ZoneInfo(str(zone_name))
                except (ZoneInfoNotFoundError, ValueError):
                    raise ExportError(
                        f"users.json gives person {user_id} the time zone {zone_name!r}, "
                        "which is not an IANA zone this machine knows (update tzdata)"
                    ) from None
            zones[user_id] = zone
        names[user_id] = str(user.get("name") or user_id)
    if default_zone is None:
        counts = Counter(zone.key for zone in zones.values())
        common = min(counts, key=lambda key: (-counts[key], key), default="UTC")
        default_zone = known.get(common) or ZoneInfo(common)
    for user_id in zoneless:
        zones[user_id] = default_zone
    return zones, names, default_zone


def _conversations(archive: Archive, limits: MemberLimits) -> list[Conversation]:
    found: list[Conversation] = []
    listed = False
    for file_name, kind in (*_LISTS, *_DIRECT):
        items = _load_list(archive, file_name, limits)
        if items is None:
            continue
        listed = True
        for item in items:
            conversation_id = str(item.get("id") or "")
            # DM folders are named by id; channels, private channels and group DMs by name
            folder = conversation_id if kind == "dm" else str(item.get("name") or conversation_id)
            members = item.get("members") or []
            if not conversation_id or not isinstance(members, list):
                continue
            found.append(
                Conversation(conversation_id, folder, kind, tuple(str(m) for m in members))
            )
    if not listed:
        raise ExportError(
            "this zip is not a Slack export: it has no channels.json (nor groups.json, "
            "dms.json, mpims.json)"
        )
    return found


def open_export(
    path: str | Path, *, default_zone: ZoneInfo | None, limits: MemberLimits | None = None
) -> SlackExport:
    """Open ``path`` and read its lists (not its messages yet).

    People without a ``tz`` get ``default_zone``, or when it is None the most common zone in
    ``users.json`` (:attr:`SlackExport.default_zone` says which). Raises :class:`ExportError`
    when ``path`` is missing or not a zip, when ``users.json`` or every conversation list is
    missing, not JSON or over its size limit (``limits``, default :class:`MemberLimits`), or
    when a zone is unknown.
    """
    limits = limits or MemberLimits()
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a directory, not a zip file (a Slack export is a .zip)")
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ExportError(f"{path} is not a zip file (a Slack export is a .zip)")
    try:
        archive = _open_archive(path)
    except zipfile.BadZipFile as error:
        raise ExportError(f"{path} is a damaged zip file ({error})") from None
    try:
        conversations = _conversations(archive, limits)
        zones, names, default_zone = _people(archive, default_zone, limits)
        days = day_files_by_folder(archive.namelist())
    except BaseException:
        archive.close()
        raise
    for members in days.values():
        members.sort()
    # kept open: reading the central directory of a large export again costs seconds
    return SlackExport(
        path,
        zones,
        names,
        conversations,
        _days=days,
        _archive=archive,
        limits=limits,
        default_zone=default_zone,
    )
