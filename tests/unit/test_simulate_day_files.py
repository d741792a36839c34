"""Reading day files fast (zip bytes at their offset, msgspec) gives what the plain reading gave.

The reference below is the reader as it was before (``zipfile.ZipFile.read`` and ``json.loads``,
one message at a time); the export reader must find the same messages, in the same order, and
count the same skipped ones, whatever the items hold.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.simulate.day_files import day_files_by_folder, stamp_floats
from bot.simulate.export_zip import open_export

OSLO = ZoneInfo("Europe/Oslo")
PEOPLE = ("UALICE01", "UBJORN02")
_PERSON_SUBTYPES = frozenset({"thread_broadcast", "file_share", "me_message"})

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5_000_000_000), st.floats())
_good_stamps = st.floats(1.7e9, 1.8e9).map(lambda ts: f"{ts:.6f}")
_stamps = st.one_of(
    _good_stamps, st.sampled_from(("soon", "", "nan", "inf", "-1", "99999999999")), _scalars
)
_fields = {
    "user": st.one_of(st.sampled_from((*PEOPLE, "UNOBODY")), _scalars),
    "ts": _stamps,
    "text": st.one_of(st.text(max_size=20), _scalars),
    "thread_ts": st.one_of(_stamps, st.just("")),
    "subtype": st.one_of(
        st.sampled_from(("channel_join", "thread_broadcast", "bot_message")), _scalars
    ),
    "bot_id": st.one_of(st.just("B1"), st.none()),
    "type": st.just("message"),
}
_message = st.fixed_dictionaries({}, optional=_fields)
_plain = st.fixed_dictionaries(
    {"user": st.sampled_from(PEOPLE), "ts": _good_stamps},
    optional={"text": st.text(max_size=20), "thread_ts": _stamps},
)
_nearly_plain = st.fixed_dictionaries(
    {"user": st.sampled_from((*PEOPLE, "UNOBODY")), "ts": _good_stamps},
    optional={
        "subtype": st.sampled_from((None, "thread_broadcast", "channel_join")),
        "bot_id": st.none(),
        "thread_ts": st.one_of(_stamps, st.just("")),
    },
)
_items = st.one_of(
    st.lists(st.one_of(_message, _plain, _plain, st.integers(), st.none()), max_size=12),
    st.lists(st.one_of(_plain, _plain, _nearly_plain), max_size=6),
)


def _reference(path: Path) -> tuple[list[tuple[Any, ...]], tuple[int, int, int, int]]:
    """The messages and (bad files, not by a person, unknown people, bad ts) as read before."""
    found: list[tuple[Any, ...]] = []
    bad_files = not_person = unknown = bad = 0
    with zipfile.ZipFile(path) as archive:
        members = sorted(
            (name.rpartition("/")[2], name) for name in archive.namelist() if "/" in name
        )
        for _, member in members:
            try:
                batch = json.loads(archive.read(member))
            except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError):
                bad_files += 1
                continue
            if not isinstance(batch, list):
                bad_files += 1
                continue
            for item in batch:
                try:
                    user, raw_ts = item["user"], item["ts"]
                except (KeyError, TypeError):
                    not_person += 1
                    continue
                subtype = item.get("subtype")
                if (subtype is not None and subtype not in _PERSON_SUBTYPES) or "bot_id" in item:
                    not_person += 1
                    continue
                if type(user) is not str or user not in PEOPLE:
                    unknown += 1
                    continue
                try:
                    ts = float(raw_ts)
                except (TypeError, ValueError):
                    bad += 1
                    continue
                if not 0.0 <= ts < 4_102_444_800.0:  # 1970 .. 2099, not NaN
                    bad += 1
                    continue
                text, thread = item.get("text"), item.get("thread_ts") or raw_ts
                found.append(
                    (
                        ts,
                        0,
                        user,
                        thread if type(thread) is str else str(thread),
                        text if type(text) is str else "",
                    )
                )
    return found, (bad_files, not_person, unknown, bad)


def _read(path: Path) -> tuple[list[tuple[Any, ...]], tuple[int, int, int, int]]:
    export = open_export(path, default_zone=OSLO)
    found = [
        message
        for day in export.columns()
        for message in zip(day.ts, day.conversation, day.author, day.thread, day.text, strict=True)
    ]
    stats = export.stats
    return found, (stats.bad_files, stats.bot_or_system, stats.unknown_people, stats.bad_messages)


def _write(path: Path, days: list[bytes], *, stored: bool = False) -> Path:
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr("users.json", json.dumps([{"id": p, "tz": "Europe/Oslo"} for p in PEOPLE]))
        archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        for n, raw in enumerate(days):
            archive.writestr(f"general/2026-03-{n + 1:02d}.json", raw)
    return path


@settings(max_examples=200, deadline=None)
@given(days=st.lists(_items, min_size=1, max_size=3), stored=st.booleans())
def test_the_same_messages_and_counts_as_json_loads(
    tmp_path_factory: Any, days: list[list[Any]], stored: bool
) -> None:
    path = _write(
        tmp_path_factory.mktemp("e") / "e.zip",
        [json.dumps(d).encode() for d in days],
        stored=stored,
    )
    assert _read(path) == _reference(path)


def test_files_msgspec_declines_read_as_json_loads_reads_them(tmp_path: Path) -> None:
    """NaN, UTF-16, items that are not objects, a mapping, broken JSON: json.loads decides."""
    plain = {"user": "UALICE01", "ts": "1772442000.000100", "text": "hei"}
    days = [
        b'[{"user": "UALICE01", "ts": NaN}, {"user": "UBJORN02", "ts": "1772442000.5"}]',
        json.dumps([plain]).encode("utf-16"),
        json.dumps([plain, 7, None, "x"]).encode(),
        b'{"a": "mapping, not a list"}',
        b"{not json",
    ]
    path = _write(tmp_path / "e.zip", days)
    found, counts = _read(path)
    assert (found, counts) == _reference(path)
    assert len(found) == 3 and counts == (2, 3, 0, 1)  # the NaN is a malformed message


def test_a_damaged_member_is_skipped_and_counted(tmp_path: Path) -> None:
    plain = [{"user": "UALICE01", "ts": "1772442000.000100", "text": "a long text " * 20}]
    path = _write(tmp_path / "e.zip", [json.dumps(plain).encode(), json.dumps(plain).encode()])
    data = bytearray(path.read_bytes())
    at = data.index(b"general/2026-03-02.json") + len("general/2026-03-02.json") + 8
    data[at] ^= 0xFF  # a byte of the second member's compressed data
    path.write_bytes(bytes(data))
    found, counts = _read(path)
    assert len(found) == 1 and counts[0] == 1


_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(0, 4.2e9).map(lambda ts: f"{ts:.6f}"),
    st.from_regex(r"[-+ ]?[0-9_]{0,12}(\.[0-9]{0,20})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.text(max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_numbers, max_size=8))
def test_timestamps_parse_as_float_parses_them(stamps: list[str]) -> None:
    """A date's timestamps are parsed all at once; each must be what ``float`` makes of it,
    and a list ``float`` refuses is refused."""

    def parsed(parse: Any) -> list[str] | str:
        try:
            return [repr(ts) for ts in parse(stamps)]  # repr: -0.0 is not 0.0
        except ValueError:
            return "refused"

    assert parsed(stamp_floats) == parsed(lambda found: list(map(float, found)))


#: How day files were told from other members before (the reference for the names below).
_DAY_FILE = re.compile(r"^(?P<folder>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})\.json$")
# decimal digits of several scripts, and characters that are numbers but no decimal digits
_DIGITS = "0123456789\u0660\u0663\u06f5\u0967\u09e6\u0a66\u0bef\u0e59\uff10\U0001d7d7\u07c0"
_NOT_DIGITS = "\u00b2\u00bd\u2167\u2460a -/.\n"
_folders = st.one_of(
    st.sampled_from(("general/", "D0123/", "/", "a/b/", "", "x\n/", "\u00e9t\u00e9/")),
    st.text(max_size=5).map(lambda text: text + "/"),
    st.text(max_size=5),
)
_dashes = st.one_of(st.just("-"), st.sampled_from(("", "--", "/", "\u2011", "\n")))
_suffixes = st.one_of(
    st.sampled_from((".json", ".json\n")),
    st.sampled_from(("\n.json", ".json\n\n", ".JSON", ".jso", ".json/", ".json ", "")),
)
_near_days = st.builds(
    lambda folder, digits, first, second, suffix: (
        f"{folder}{digits[:4]}{first}{digits[4:6]}{second}{digits[6:]}{suffix}"
    ),
    _folders,
    st.text(st.sampled_from(_DIGITS + _NOT_DIGITS), min_size=8, max_size=8)
    | st.text(st.sampled_from(_DIGITS), min_size=7, max_size=9),
    _dashes,
    _dashes,
    _suffixes,
)
_member_names = st.one_of(
    _near_days,
    st.text(max_size=30),
    st.lists(st.sampled_from(("/", "-", ".json", "\n", "2026", "01", "\u0660" * 2, "a"))).map(
        "".join
    ),
)


def _by_regex(names: list[str]) -> dict[str, list[str]]:
    days: dict[str, list[str]] = {}
    for name in names:
        match = _DAY_FILE.match(name)
        if match is not None:
            days.setdefault(match.group("folder"), []).append(name)
    return days


@settings(max_examples=2000, deadline=None)
@given(st.lists(_member_names, max_size=6))
def test_day_files_are_the_members_the_regular_expression_took(names: list[str]) -> None:
    assert day_files_by_folder(names) == _by_regex(names)


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("general/2026-01-05.json", "general"),
        ("general/\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0665.json", "general"),
        ("D0123/2026-01-05.json\n", "D0123"),
        ("general/2026-01-05.json\n\n", None),
        ("a/b/2026-01-05.json", None),
        ("/2026-01-05.json", None),
        ("general/\u00b2026-01-05.json", None),
        ("general/2026-1-05.json", None),
        ("general/2026-01-05.JSON", None),
        ("users.json", None),
    ],
)
def test_a_day_file_is_a_folder_a_date_and_json(name: str, folder: str | None) -> None:
    found = day_files_by_folder([name])
    assert found == ({} if folder is None else {folder: [name]})
    assert found == _by_regex([name])
