"""The first connection to the database at start: when it fails, one line that says what to do."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StartupError, one_line

__all__ = ["require_database"]


def _cause(error: BaseException) -> str:
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig  # the driver's own words, without SQLAlchemy's "background" link
    return one_line(str(error) or type(error).__name__, limit=200)


async def require_database(engine: AsyncEngine) -> None:
    """Connect once and run ``SELECT 1``.

    Raises ``StartupError`` (exit 1) naming the database (without its password), the driver's
    reason (refused, unknown host, no such database or role, cannot open the file) and what to
    check. Anything else propagates.
    """
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, TimeoutError, DBAPIError) as error:
        where = engine.url.render_as_string(hide_password=True)
        if engine.dialect.name == "sqlite":
            advice = "check that its directory exists and is writable"
        else:
            advice = "check DATABASE_URL and that the server is running and accepts connections"
        raise StartupError(
            f"cannot reach the database {where}: {_cause(error)}; {advice}"
        ) from error
