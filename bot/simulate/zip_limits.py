"""How large a member of a Slack export zip may be once inflated: a zip bomb is refused unread.

A zip says how large each member is (its central directory's ``file_size``), but a crafted zip
can lie, and an honest one can still hold an 8 GiB day file of blanks that fits in 8 MiB
(``json.loads`` of it takes twice its size in memory). So a member is refused when

- its declared size is over the limit for its kind (:class:`MemberLimits`: 64 MiB for a day
  file, 256 MiB for ``users.json``, ``channels.json``, ``groups.json``, ``dms.json`` and
  ``mpims.json``), or
- it declares to inflate more than 200 times (members of 1 MiB and more; real Slack JSON
  inflates 5 to 30 times), or
- reading it yields more bytes than the limit, or more than 200 times its compressed size,
  whatever its header said: at most ``limit + 1`` bytes are ever inflated.

A day file of Slack's own export holds one conversation's day, rarely more than a few MiB;
``users.json`` of a 100,000-person Enterprise Grid is about 200 MiB. The README's "Try a policy
on your own Slack export" documents these figures.

Errors: :class:`MemberTooLarge` (its ``str()`` says which member, how large, and the limit).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

__all__ = ["MIB", "MemberLimits", "MemberTooLarge", "read_member"]

MIB = 1024 * 1024


class MemberTooLarge(Exception):
    """A zip member is over its size or compression ratio limit; ``str()`` says which."""


@dataclass(frozen=True)
class MemberLimits:
    """Bytes a member may inflate to (``day_file``, ``listing``), and how many times its
    compressed size it may inflate (``ratio``) once it is ``ratio_from`` bytes or more."""

    day_file: int = 64 * MIB
    listing: int = 256 * MIB
    ratio: int = 200
    ratio_from: int = MIB

    def problem(self, name: str, size: int, compressed: int, limit: int) -> str | None:
        """Why a member of ``size`` bytes (``compressed`` in the zip) is refused, or None."""
        if size > limit:
            return f"{name} is larger than {_size(limit)} uncompressed, the limit for it"
        if size >= self.ratio_from and size > self.ratio * max(compressed, 1):
            return f"{name} inflates more than {self.ratio} times its compressed size"
        return None


def _size(count: int) -> str:
    if count >= MIB:
        return f"{count / MIB:,.0f} MiB"
    return f"{count:,} bytes"


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, limits: MemberLimits
) -> bytes:
    """The inflated bytes of ``info``, at most ``limit`` of them.

    Raises :class:`MemberTooLarge` (declared or found over ``limit`` or the ratio), and what
    ``ZipFile.open`` raises for a damaged member (``zipfile.BadZipFile``, ``OSError``, …).
    """
    why = limits.problem(info.filename, info.file_size, info.compress_size, limit)
    if why is not None:
        raise MemberTooLarge(why)
    with archive.open(info) as stream:
        data = stream.read(limit + 1)  # never more, whatever the header says
    why = limits.problem(info.filename, len(data), info.compress_size, limit)
    if why is not None:
        raise MemberTooLarge(why)
    return data
