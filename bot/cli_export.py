"""``quiet-hours export --workspace ID``: everything stored about one workspace, as JSON."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from sqlalchemy import select

from bot.settings import Settings

__all__ = ["WorkspaceNotFoundError", "export"]


class WorkspaceNotFoundError(Exception):
    """No (single) workspace has that id; the message says so and what to try."""


async def _export(settings: Settings, external_id: str, platform: str | None) -> str:
    from bot.services.export import export_workspace, to_json
    from bot.storage.crypto import Cipher
    from bot.storage.db import create_engine, session_factory
    from bot.storage.migrate import require_schema
    from bot.storage.models import WorkspaceRow

    cipher = Cipher.from_secret(settings.require_secret_key())
    engine = create_engine(settings.database_url)
    try:
        await require_schema(engine)
        async with session_factory(engine)() as session:
            query = select(WorkspaceRow.id, WorkspaceRow.platform).where(
                WorkspaceRow.external_id == external_id
            )
            if platform is not None:
                query = query.where(WorkspaceRow.platform == platform)
            found = (await session.execute(query)).all()
            if not found:
                raise WorkspaceNotFoundError(f"no workspace {external_id!r} in this database")
            if len(found) > 1:
                on = " and ".join(sorted(row.platform for row in found))
                raise WorkspaceNotFoundError(
                    f"{external_id!r} names a workspace on {on}: say which with --platform"
                )
            return to_json(await export_workspace(session, cipher, found[0].id))
    finally:
        await engine.dispose()


def export(args: argparse.Namespace, settings: Settings) -> int:
    """Print the export, or write it to ``--out`` (created readable by its owner only) and say
    where in one line. Raises :class:`WorkspaceNotFoundError` for an unknown id, and
    :class:`bot.cli_paths.OutputRefused` (before reading anything) for an ``--out`` that is the
    database's file, a directory, or a file already there without ``--force``."""
    from bot.cli_paths import OutputRefused, refuse_precious, refuse_unwritable, write_failed

    if args.out is not None:
        refuse_precious(args.out, "--out", database_url=settings.database_url)
        refuse_unwritable(args.out, "--out")
        if Path(args.out).exists() and not args.force:
            raise OutputRefused(
                f"--out {args.out} is there already: add --force to replace it, or name "
                "another file"
            )
    text = asyncio.run(_export(settings, args.workspace, args.platform))
    if args.out is None:
        print(text, end="")
        return 0
    out = Path(args.out)
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # a file replaced with --force keeps no wider mode
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        raise write_failed(out, "--out", error) from None
    print(f"wrote everything stored about workspace {args.workspace} to {out} (keep it safe)")
    return 0
