"""Output files of the command line never replace what a command reads or the live database.

Every command that writes a file (``export --out``, ``simulate --out``/``--json``, ``teams
package --out``) refuses a path that is the same file as one of its inputs or as the SQLite
database of ``DATABASE_URL`` (or one of its ``-wal``, ``-shm``, ``-journal`` companions),
links and ``..`` followed, before it starts any work. ``export`` also refuses a file that is
there already unless ``--force`` (it holds a workspace's personal data; a report or package
is made again as often as asked and is replaced).

Errors: :class:`OutputRefused` (``str()`` says which flag, what the file is and what to do).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = [
    "OutputRefused",
    "database_files",
    "refuse_precious",
    "refuse_unwritable",
    "same_file",
    "tighten_database_files",
    "write_failed",
]

#: The files SQLite keeps beside a database (write-ahead log, shared memory, rollback journal).
_COMPANIONS = ("", "-wal", "-shm", "-journal")


class OutputRefused(Exception):
    """An output path would replace an input, the database or an existing file."""


def same_file(first: str | Path, second: str | Path) -> bool:
    """True when the two paths name one file (links and ``..`` followed): an existing file by
    device and inode, one not there yet by its resolved path."""
    try:
        return os.path.samefile(first, second)
    except OSError:  # one is missing (or unreadable): compare where they would be
        return Path(first).resolve() == Path(second).resolve()


def database_files(database_url: str | None) -> list[Path]:
    """The files of a SQLite ``database_url`` (none for PostgreSQL, memory or a bad URL)."""
    if not database_url:
        return []
    try:
        url = make_url(database_url)
    except ArgumentError:
        return []
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    return [Path(f"{url.database}{suffix}") for suffix in _COMPANIONS]


def tighten_database_files(database_url: str) -> list[Path]:
    """Make the SQLite files of ``database_url`` readable by their owner only (0600) where they
    are wider (a database made before new ones were created 0600); returns those changed."""
    changed = []
    for file in database_files(database_url):
        try:
            mode = file.stat().st_mode & 0o777
            if mode & 0o077:
                file.chmod(0o600)
                changed.append(file)
        except OSError:  # not there (no -wal now), or not ours to change
            continue
    return changed


def refuse_unwritable(path: str, flag: str, *, folder_must_exist: bool = True) -> None:
    """Raise :class:`OutputRefused` when ``path`` is a directory, or (``folder_must_exist``)
    its folder is missing, before a command does its work."""
    target = Path(path)
    try:
        is_dir, folder = target.is_dir(), target.parent.is_dir()
    except (OSError, ValueError) as error:  # a name too long, a NUL byte
        why = getattr(error, "strerror", None) or str(error)
        raise OutputRefused(
            f"{flag} {path!r}: not a file name that can be written ({why})"
        ) from None
    if is_dir:
        raise OutputRefused(f"{flag} {path} is a directory; name a file to write")
    if folder_must_exist and not folder:
        raise OutputRefused(f"{flag} {path}: the folder {target.parent} does not exist")


def write_failed(path: str | Path, flag: str, error: OSError) -> OutputRefused:
    """The one line for a write that failed (no permission, disk full …)."""
    why = error.strerror or type(error).__name__
    return OutputRefused(f"{flag} {path}: could not write it ({why})")


def refuse_precious(
    path: str, flag: str, *, inputs: Mapping[str, str] | None = None, database_url: str | None
) -> None:
    """Raise :class:`OutputRefused` when ``path`` is one of ``inputs`` (what it is, e.g. ``"the
    export"``, by path) or a file of the database at ``database_url``."""
    for what, other in (inputs or {}).items():
        if same_file(path, other):
            raise OutputRefused(
                f"{flag} {path} is {what}: writing there would replace it; name another file"
            )
    for file in database_files(database_url):
        if same_file(path, file):
            raise OutputRefused(
                f"{flag} {path} is the database ({file.name}): writing there would replace it; "
                "name another file"
            )
