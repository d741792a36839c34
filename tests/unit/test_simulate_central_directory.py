"""The fast central directory reader finds what ``zipfile`` finds, or declines (None).

For zips ``zipfile`` writes (any names, sizes, stored or deflated, with or without a comment),
every field the replay uses equals :meth:`zipfile.ZipFile.infolist`'s; for unusual zips (ZIP64,
encrypted, cp437 names, other methods, data before the zip, spanning disks, duplicate names) it
declines, and the replay reads them with ``zipfile`` as before. Damaged zips: whatever it
accepts, ``zipfile`` accepts with the same entries, and whatever member it reads cleanly,
``zipfile`` reads to the same bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.simulate.central_directory import read_central_directory
from bot.simulate.zip_limits import MemberLimits, MemberTooLarge

_FIELDS = ("header_offset", "compress_size", "file_size", "compress_type", "flag_bits", "CRC")

_names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1, max_size=30
)
_members = st.dictionaries(
    _names,
    st.tuples(
        st.one_of(st.binary(max_size=3000), st.integers(0, 5000).map(lambda n: b"a" * n)),
        st.sampled_from((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)),
    ),
    max_size=12,
)
_comments = st.one_of(st.just(b""), st.binary(max_size=300))
_slow = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _zip(members: dict[str, tuple[bytes, int]], comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, (data, method) in members.items():
            archive.writestr(name, data, compress_type=method)
        archive.comment = comment
    return buffer.getvalue()


def _same_as_zipfile(path: Path) -> None:
    """The fast reader accepted ``path``: ``zipfile`` reads the same members."""
    directory = read_central_directory(path)
    assert directory is not None
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        assert directory.namelist() == archive.namelist()
        for info in infos:
            entry = directory.getinfo(info.filename)
            assert entry.filename == info.filename
            for name in _FIELDS:
                assert getattr(entry, name) == getattr(info, name), name


@_slow
@given(members=_members, comment=_comments)
def test_zips_written_by_zipfile_read_the_same(
    tmp_path_factory: pytest.TempPathFactory, members: dict[str, tuple[bytes, int]], comment: bytes
) -> None:
    path = tmp_path_factory.mktemp("zip") / "export.zip"
    data = _zip(members, comment)
    path.write_bytes(data)
    # zipfile itself may misread a comment holding a signature: declining it is fine
    if b"PK\x05\x06" in comment and read_central_directory(path) is None:
        return
    _same_as_zipfile(path)
    directory = read_central_directory(path)
    assert directory is not None
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            limit = len(data) * 1000 + 10
            read = directory.read_clean(directory.getinfo(info.filename), limit, MemberLimits())
            assert read == archive.read(info)


@_slow
@given(
    members=_members.filter(bool),
    comment=_comments,
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=4),
)
def test_damaged_zips_are_declined_or_read_as_zipfile_reads_them(
    tmp_path_factory: pytest.TempPathFactory,
    members: dict[str, tuple[bytes, int]],
    comment: bytes,
    flips: list[tuple[int, int]],
) -> None:
    data = bytearray(_zip(members, comment))
    directory_at = data.rfind(b"PK\x01\x02", 0, len(data) - len(comment))
    for at, mask in flips:  # half of them in the central directory and end record
        position = at % len(data) if at % 2 else directory_at + at % (len(data) - directory_at)
        data[position] ^= mask
    path = tmp_path_factory.mktemp("zip") / "export.zip"
    path.write_bytes(bytes(data))
    directory = read_central_directory(path)
    if directory is None:
        return
    _same_as_zipfile(path)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            try:
                read = directory.read_clean(directory.getinfo(info.filename), 10**7, MemberLimits())
            except MemberTooLarge:
                continue
            if read is not None:
                assert read == archive.read(info)


def _patched(data: bytes, signature: bytes, offset: int, value: bytes) -> bytes:
    """``data`` with ``value`` written ``offset`` bytes into every record with ``signature``."""
    found = bytearray(data)
    at = found.find(signature)
    while at >= 0:
        found[at + offset : at + offset + len(value)] = value
        at = found.find(signature, at + 1)
    return bytes(found)


_PLAIN = {"users.json": (b"[]", zipfile.ZIP_DEFLATED), "general/2026-01-05.json": (b"[]", 0)}


def _zip64(limit: str) -> bytes:
    """A zip with ZIP64 records: sizes (``ZIP64_LIMIT``) or an end record (a file count)."""
    saved = getattr(zipfile, limit)
    setattr(zipfile, limit, 0)
    try:
        return _zip(_PLAIN)
    finally:
        setattr(zipfile, limit, saved)


def _bzip2() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.json", b"[]", compress_type=zipfile.ZIP_BZIP2)
    return buffer.getvalue()


def _duplicate() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.json", b"[]")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("users.json", b"[1]")
    return buffer.getvalue()


def _cp437_name() -> bytes:
    data = _zip({"caf\u00e9.json": (b"[]", 0)})  # flagged UTF-8: un-flag it, name as cp437
    data = data.replace("caf\u00e9".encode(), "caf\u00e9".encode("cp437") + b"_")
    data = _patched(data, b"PK\x01\x02", 8, b"\0\0")
    return _patched(data, b"PK\x03\x04", 6, b"\0\0")


_UNUSUAL = {
    "zip64 sizes": lambda: _zip64("ZIP64_LIMIT"),
    "zip64 end record spanning disks": lambda: _patched(
        _zip64("ZIP_FILECOUNT_LIMIT"), b"PK\x06\x07", 16, b"\x02\0\0\0"
    ),
    "encrypted": lambda: _patched(_zip(_PLAIN), b"PK\x01\x02", 8, b"\x01\0"),
    "bzip2": _bzip2,
    "data before the zip": lambda: b"#!/bin/sh\n" + _zip(_PLAIN),
    "spans disks": lambda: _patched(_zip(_PLAIN), b"PK\x05\x06", 4, b"\x01\0"),
    "a name twice": _duplicate,
    "a cp437 name": _cp437_name,
    "comment with a signature": lambda: _zip(_PLAIN, b"x PK\x05\x06" + bytes(30)),
    "not a zip": lambda: b"hello",
}


@pytest.mark.parametrize("make", _UNUSUAL.values(), ids=list(_UNUSUAL))
def test_unusual_zips_are_left_to_zipfile(tmp_path: Path, make: object) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(make())  # type: ignore[operator]
    assert read_central_directory(path) is None


def test_a_zip64_end_record_reads_as_zipfile_reads_it(tmp_path: Path) -> None:
    """Written by zipfile for more than 65,535 members, as in a large export."""
    path = tmp_path / "export.zip"
    path.write_bytes(_zip64("ZIP_FILECOUNT_LIMIT"))
    assert b"PK\x06\x06" in path.read_bytes()
    _same_as_zipfile(path)


def test_zip64_only_in_a_local_header_reads_as_zipfile_reads_it(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w") as archive,
        archive.open("users.json", "w", force_zip64=True) as member,
    ):
        member.write(b"[]")
    path = tmp_path / "export.zip"
    path.write_bytes(buffer.getvalue())
    _same_as_zipfile(path)
    directory = read_central_directory(path)
    assert directory is not None
    assert directory.read_clean(directory.getinfo("users.json"), 100, MemberLimits()) == b"[]"


def test_a_member_whose_local_header_differs_is_left_to_zipfile(tmp_path: Path) -> None:
    data = _zip(_PLAIN)
    local = data.index(b"PK\x03\x04")
    name_at = local + 30
    path = tmp_path / "export.zip"
    path.write_bytes(data[:name_at] + b"U" + data[name_at + 1 :])  # users.json -> Users.json
    directory = read_central_directory(path)
    assert directory is not None
    assert directory.read_clean(directory.getinfo("users.json"), 100, MemberLimits()) is None
    with zipfile.ZipFile(path) as archive, pytest.raises(zipfile.BadZipFile, match="differ"):
        archive.read("users.json")


def test_size_limits_apply_to_the_declared_sizes(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(_zip({"users.json": (b" " * 3_000_000 + b"[]", zipfile.ZIP_DEFLATED)}))
    directory = read_central_directory(path)
    assert directory is not None
    entry = directory.getinfo("users.json")
    with pytest.raises(MemberTooLarge, match="inflates more than 200 times"):
        directory.read_clean(entry, 10**8, MemberLimits())
    with pytest.raises(MemberTooLarge, match="larger than 1 MiB"):
        directory.read_clean(entry, 2**20, MemberLimits(ratio=10**6))
    assert struct.calcsize("<4s4B4HL2L5H2L") == 46  # the entry layout zipfile reads


def test_two_members_at_one_offset_are_left_to_zipfile(tmp_path: Path) -> None:
    data = _zip({"users.json": (b"[]", 0), "channels.json": (b"[]", 0)})
    second = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1)
    path = tmp_path / "export.zip"
    path.write_bytes(data[: second + 42] + bytes(4) + data[second + 46 :])  # its offset: 0
    directory = read_central_directory(path)
    assert directory is not None
    for name in ("users.json", "channels.json"):
        assert directory.read_clean(directory.getinfo(name), 100, MemberLimits()) is None
    with zipfile.ZipFile(path) as archive, pytest.raises(zipfile.BadZipFile):
        archive.read("channels.json")


@pytest.mark.parametrize("name", ["PK\x01\x02" + "x" * 60, "chan/PK\x01\x02PK\x01\x02.json"])
def test_an_entry_signature_inside_a_name_is_no_entry(tmp_path: Path, name: str) -> None:
    """Entries are first looked for by their signature; one inside a name is not taken for
    an entry, and the directory reads as zipfile reads it."""
    path = tmp_path / "export.zip"
    path.write_bytes(_zip({name: (b"[]", 0), "users.json": (b"[]", zipfile.ZIP_DEFLATED)}))
    assert path.read_bytes().count(b"PK\x01\x02") > 2
    _same_as_zipfile(path)
