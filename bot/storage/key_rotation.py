"""Re-encrypting every stored secret under the current key (``quiet-hours rotate-key``)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.crypto import Cipher
from bot.storage.models import (
    SLACK_ENCRYPTED_COLUMNS,
    Base,
    HeldMessageRow,
    InstallationRow,
    PersonRow,
    ThreadExcerptRow,
    slack_bots_table,
    slack_installations_table,
)

__all__ = ["rotate_encryption"]


async def rotate_encryption(session: AsyncSession, cipher: Cipher) -> int:
    """Re-encrypt every stored secret with the current key; returns how many values changed."""
    count = 0
    targets: list[tuple[type[Base], str]] = [
        (HeldMessageRow, "body_enc"),
        (InstallationRow, "bot_token_enc"),
        (PersonRow, "user_token_enc"),
        (ThreadExcerptRow, "excerpt_enc"),
    ]
    for table, column_name in targets:
        column = getattr(table, column_name)
        rows = (await session.scalars(select(table).where(column.is_not(None)))).all()
        for row in rows:
            setattr(row, column_name, cipher.rotate(getattr(row, column_name)))
            count += 1
        await session.flush()
    # slack-sdk's OAuth tables keep our ciphertext as ASCII text
    for core_table in (slack_installations_table, slack_bots_table):
        secret_columns = [c for c in core_table.columns if c.name in SLACK_ENCRYPTED_COLUMNS]
        primary = next(iter(core_table.primary_key.columns))
        for found in (await session.execute(select(core_table))).mappings().all():
            changes = {
                column.name: cipher.rotate(str(found[column.name]).encode("ascii")).decode("ascii")
                for column in secret_columns
                if found[column.name] is not None
            }
            if changes:
                await session.execute(
                    update(core_table).where(primary == found[primary.name]).values(**changes)
                )
                count += len(changes)
    return count
