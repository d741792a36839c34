"""Data commands of the ``quiet-hours`` command line: ``erase --workspace ID``."""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy import select

from bot.i18n import translate, translate_plural

__all__ = ["WorkspaceNotFound", "erase"]


class WorkspaceNotFound(Exception):
    """No (single) workspace has that id; the message says so and what to try."""


async def _erase(database_url: str, external_id: str, platform: str | None) -> str:
    from bot.services.erase import erase_workspace
    from bot.storage.db import create_engine, session_factory
    from bot.storage.migrate import require_schema
    from bot.storage.models import WorkspaceRow

    engine = create_engine(database_url)
    try:
        await require_schema(engine)
        async with session_factory(engine)() as session, session.begin():
            query = select(WorkspaceRow.platform).where(WorkspaceRow.external_id == external_id)
            if platform is not None:
                query = query.where(WorkspaceRow.platform == platform)
            platforms = sorted((await session.scalars(query)).all())
            if not platforms:
                raise WorkspaceNotFound(
                    f"no workspace {external_id!r} in this database; nothing erased"
                )
            if len(platforms) > 1:
                raise WorkspaceNotFound(
                    f"{external_id!r} names a workspace on {' and '.join(platforms)}: "
                    "say which with --platform"
                )
            erased = await erase_workspace(session, platforms[0], external_id)
            assert erased is not None  # found above, in this transaction
    finally:
        await engine.dispose()
    held = erased.rows.get("held_messages", 0)
    return translate(
        "cli.erase.done",
        "en",
        workspace=f"{erased.platform}:{erased.external_id}",
        rows=translate_plural("count.rows", erased.total, "en"),
        held=translate_plural("count.held_messages", held, "en"),
    )


def erase(args: argparse.Namespace, database_url: str) -> int:
    """``quiet-hours erase --workspace ID``: one line out; :class:`WorkspaceNotFound` if unknown."""
    print(asyncio.run(_erase(database_url, args.workspace, args.platform)))
    return 0
