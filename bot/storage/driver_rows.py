"""Statements of many rows in one call of the database driver, values bound as SQLAlchemy would.

A group commit (``bot.services.group_commit``) writes a batch's rows in a few statements. On
SQLite, SQLAlchemy's asyncio adapter makes each statement four round trips to aiosqlite's
driver thread — open a cursor, execute, fetch, close — and each round trip is a thread switch
and an event-loop wake-up, which under load waits for a core: a batch took ~16 of them, and the
events of the next batch waited behind it. Here a statement is one round trip: SQLAlchemy
compiles it once per dialect (the SQL and the order of its parameters, ``positiontup``), each
value goes through its column type's own bind processor — so a row is stored exactly as an ORM
or Core insert would store it — and aiosqlite's ``executemany`` / ``execute_fetchall`` run it,
in the session's transaction (the same driver connection). Results come back through the
columns' result processors. Other drivers (asyncpg) get the same statements through SQLAlchemy
Core, which sends a batch of rows as one ``executemany`` already.

The driver's errors are raised as SQLAlchemy's (``DBAPIError.instance``): a locked SQLite file
is retried like any other, an unreachable one answers 503.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["Compiled", "DriverRows", "compile_for"]

Processor = Callable[[Any], Any] | None
#: ``session.info`` key: (the transaction, its :class:`DriverRows` or None).
_DRIVER = "quiet_hours.driver_rows"


@dataclass(frozen=True)
class Compiled:
    """A statement as the driver takes it: its SQL, and per positional parameter the name of
    the value it binds and that value's bind processor; per result column its processor."""

    sql: str
    binds: tuple[tuple[str, Processor], ...]
    results: tuple[Processor, ...]

    def row(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional parameters for ``values`` (by bind name; each must be given), each
        bound as SQLAlchemy would bind it."""
        return tuple(
            values[name] if process is None else process(values[name])
            for name, process in self.binds
        )

    def result(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """A fetched row, each column through its type's result processor."""
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, self.results, strict=True)
        )


def compile_for(
    statement: ClauseElement,
    dialect: Dialect,
    *,
    column_keys: Sequence[str] | None = None,
    selected: Sequence[ColumnElement[Any]] = (),
) -> Compiled:
    """``statement`` compiled for ``dialect`` (a positional paramstyle, as SQLite's ``qmark``);
    ``column_keys`` names an ``INSERT``'s columns, ``selected`` the columns a ``SELECT`` or
    ``RETURNING`` gives back (for their result processors)."""
    compiled: Any = statement.compile(
        dialect=dialect, column_keys=list(column_keys) if column_keys is not None else None
    )
    names: Sequence[str] = compiled.positiontup or ()
    binds = tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in names
    )
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
    )
    return Compiled(str(compiled), binds, results)


class DriverRows:
    """The aiosqlite connection under a session's transaction, for statements of many rows;
    :meth:`of` gives None for other drivers (use SQLAlchemy Core there)."""

    def __init__(self, driver: Any, dialect: Dialect) -> None:
        self._driver = driver
        self.dialect = dialect

    @classmethod
    async def of(cls, session: AsyncSession) -> DriverRows | None:
        """The session's driver connection when it is aiosqlite (the session's transaction
        begins if it had not), else None."""
        # asked once per transaction (a batch asks for each of its statements)
        cached: tuple[object, DriverRows | None] | None = session.info.get(_DRIVER)
        if cached is not None and cached[0] is session.get_transaction():
            return cached[1]
        connection: AsyncConnection = await session.connection()
        driver = None
        if connection.dialect.driver == "aiosqlite":
            raw = await connection.get_raw_connection()
            driver = cls(raw.driver_connection, connection.dialect)
        session.info[_DRIVER] = (session.get_transaction(), driver)
        return driver

    async def executemany(self, compiled: Compiled, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run ``compiled`` once per row, in one round trip."""
        parameters = [compiled.row(row) for row in rows]
        try:
            await self._driver.executemany(compiled.sql, parameters)
        except self._errors() as error:
            raise self._wrapped(compiled, error) from error

    async def fetchall(
        self, compiled: Compiled, values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """Run ``compiled`` with ``values`` and fetch its rows, in one round trip."""
        try:
            rows = await self._driver.execute_fetchall(compiled.sql, compiled.row(values))
        except self._errors() as error:
            raise self._wrapped(compiled, error) from error
        return [compiled.result(row) for row in rows]

    def _errors(self) -> type[Exception]:
        error: type[Exception] = self.dialect.loaded_dbapi.Error
        return error

    def _wrapped(self, compiled: Compiled, error: Exception) -> StatementError:
        return DBAPIError.instance(
            compiled.sql,
            None,
            error,
            self.dialect.loaded_dbapi.Error,
            hide_parameters=True,  # first lines are encrypted, but ids need not be in logs
            dialect=self.dialect,
        )
