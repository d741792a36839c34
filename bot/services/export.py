"""Export: everything stored about a workspace, for its admin (GDPR Art. 15 and 20).

Walks the schema rather than a list, so a table added later is exported without a line here:
every table with a ``workspace_id`` column, plus the rows that hang off the workspace's teams
(``team_leaders``, ``digests``), and the workspace row itself. Encrypted text (``body_enc``,
``excerpt_enc``) is decrypted into ``body``/``excerpt``; access tokens (any column whose name
holds ``token``) are never exported — they are credentials, not information about anyone.
slack-sdk's OAuth tables hold nothing but tokens and install ids, and are left out.

The result is plain JSON-able data: ``{"format": …, "workspace": {…}, "tables": {name: [row…]}}``
with instants as ISO 8601 UTC strings.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.crypto import Cipher, DecryptionError
from bot.storage.models import Base, DigestRow, TeamLeaderRow, TeamRow, WorkspaceRow

__all__ = ["EXPORT_FORMAT", "UNREADABLE", "export_workspace", "row_dict", "to_json"]

EXPORT_FORMAT = "quiet-hours-export/1"
#: Shown instead of encrypted text the configured keys cannot read.
UNREADABLE = "(cannot be read with the configured QUIET_HOURS_SECRET_KEY)"


def _value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def row_dict(table: Table, row: Any, cipher: Cipher) -> dict[str, object]:
    """One row as a dict: tokens left out, encrypted text decrypted, other bytes left out."""
    out: dict[str, object] = {}
    for column in table.columns:
        name = column.name
        if "token" in name:
            continue
        value = row._mapping[column]
        if name.endswith("_enc"):
            plain: str | None = None
            if isinstance(value, bytes | memoryview):
                try:
                    plain = cipher.decrypt(bytes(value))
                except DecryptionError:
                    plain = UNREADABLE
            out[name.removesuffix("_enc")] = plain
        elif not isinstance(value, bytes | memoryview):
            out[name] = _value(value)
    return out


def _workspace_tables() -> list[Table]:
    """Tables with a ``workspace_id`` column, in the schema's dependency order."""
    return [t for t in Base.metadata.sorted_tables if "workspace_id" in t.columns]


async def export_workspace(
    session: AsyncSession, cipher: Cipher, workspace_id: int
) -> dict[str, object]:
    """Everything stored about the workspace with internal id ``workspace_id`` (see the module
    docstring for the shape). Raises ``LookupError`` when there is no such workspace."""
    workspaces = Base.metadata.tables[WorkspaceRow.__tablename__]
    found = (
        await session.execute(select(workspaces).where(workspaces.c.id == workspace_id))
    ).first()
    if found is None:
        raise LookupError(workspace_id)
    tables: dict[str, list[dict[str, object]]] = {}
    for table in _workspace_tables():
        rows = await session.execute(
            select(table).where(table.c.workspace_id == workspace_id).order_by(*table.primary_key)
        )
        tables[table.name] = [row_dict(table, row, cipher) for row in rows]
    teams = select(TeamRow.id).where(TeamRow.workspace_id == workspace_id).scalar_subquery()
    for name in (TeamLeaderRow.__tablename__, DigestRow.__tablename__):
        table = Base.metadata.tables[name]
        rows = await session.execute(
            select(table).where(table.c.team_id.in_(teams)).order_by(*table.primary_key)
        )
        tables[table.name] = [row_dict(table, row, cipher) for row in rows]
    return {
        "format": EXPORT_FORMAT,
        "workspace": row_dict(workspaces, found, cipher),
        "tables": dict(sorted(tables.items())),
    }


def to_json(export: dict[str, object]) -> str:
    """The export as indented UTF-8 JSON text (what ``quiet-hours export`` writes)."""
    return json.dumps(export, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
