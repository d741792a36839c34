"""Group commit: the durable writes of events that arrive together share one transaction.

An off-hours message in a watched channel must be stored (its activity and its event id)
before Slack hears 200. One transaction per event caps a process at what the database commits
one after another: SQLite has one writer and syncs its WAL at each commit, so ingest stalled
near 270 events a second with the acknowledgements queueing behind the commits. Here each
request hands its write — a function of a session, with the event's key — to
:meth:`GroupCommit.run` and waits; one writer task per process takes whatever is waiting (at
most :data:`MAX_BATCH`), claims the batch's event ids in one statement, runs each write in the
same transaction, commits once, and only then answers every waiter. An idle process pays no
delay: the first write runs at once, and the ones arriving meanwhile make the next batch.

Guarantees:

- **Nothing is acknowledged before it is durable**: a waiter is answered only after the
  commit of the batch holding its write.
- **At most once per event id**, within a batch and across batches and processes (the key is
  the ``seen_events`` primary key, claimed in the batch's transaction): a key stored before, or
  a second copy of one in the same batch, gets :class:`~bot.services.once.Duplicate` — also
  only once the batch is committed, since a retry must not be acknowledged before the first
  copy is durable.
- **Failure answers everyone**: when the database cannot be reached, or the commit fails, the
  transaction is rolled back and every waiter of the batch gets the error (HTTP answers 503 +
  ``Retry-After``, so the platform sends the events again). A deadlock or a locked SQLite file
  runs the whole batch again (``bot.storage.retry``). A batch that fails for another reason (a
  bug, a value the database refuses) is written again one write per transaction, so only the
  write at fault gets its error. A write may raise :class:`Refused` before it writes
  anything: it alone gets it (its event id stays unclaimed), the batch goes on.
- **Rows written together**: a write may put rows in :func:`before_commit`'s list instead of
  writing them itself; they are written in one statement after the batch's last write.
- **Rows in one hand-over on SQLite**: a write given as rows (:meth:`GroupCommit.run_rows`,
  :class:`~bot.storage.message_rows.MessageRows`) needs no session. On a SQLite file the rows
  of a batch go to the process's SQLite writer thread (``bot.storage.sqlite_writer``) in one
  hand-over. A batch is all rows or all functions of a session, taken in the order the writes
  came, so batches commit in that order too. Elsewhere rows are written through the session
  like any write.
- **The writer cannot die silently**: it runs under :func:`~bot.delivery.supervise.supervised`
  (a crash is logged and the writer restarted, the crashed batch's waiters get the error), and
  exits when the queue is empty, so no task outlives the work. :meth:`GroupCommit.close` (at
  shutdown, before the engine is disposed) writes what is queued and refuses new writes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery.supervise import supervised
from bot.services.once import Duplicate, EventKey
from bot.storage.batch_writes import claim_events, forget_events
from bot.storage.message_rows import BatchItem, MessageRows, Skipped, write_batch
from bot.storage.retry import retrying
from bot.storage.sqlite_writer import SQLiteWriter
from bot.webio import database_unavailable

__all__ = [
    "MAX_BATCH",
    "GroupCommit",
    "GroupCommitClosed",
    "Refused",
    "StaleSnapshot",
    "Write",
    "before_commit",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The most writes committed in one transaction (a few hundred rows; SQLite's bound-parameter
#: limit, 32,766 since 3.32, is far away for the batch's one multi-row claim of event ids).
MAX_BATCH = 256
#: ``seen_events.event_id`` is ``VARCHAR(255)``: a longer id is stored as its SHA-256.
_MAX_EVENT_ID = 255
#: ``session.info`` key of the rows written at the end of the batch.
_AT_END = "quiet_hours.group_commit.at_end"

#: One durable write: what to do in the batch's transaction; its result goes to the waiter.
Write = Callable[[AsyncSession], Awaitable[T]]


class Refused(Exception):
    """Raised by a write before it has written anything (nor asked :func:`before_commit` for a
    list): the waiter gets it, the rest of the batch is committed, the event is not claimed."""


class StaleSnapshot(Refused):
    """What the write was planned from (its channel's team) is not what the database holds any
    more: read afresh and plan again. Nothing of the write was stored."""


class GroupCommitClosed(DisconnectionError):
    """The process is shutting down: the write was not stored (a database-unavailable error,
    so a request answers 503 and the platform sends it again)."""


@dataclass
class _Pending:
    write: Write[Any]
    key: EventKey | None
    at: datetime | None  # when the event was seen (with ``key``)
    future: asyncio.Future[Any]
    result: Any = field(default=None)
    duplicate: bool = False
    error: Refused | None = None  # ``write`` refused
    alone: bool = False  # written in a transaction of its own (its batch failed)
    rows: MessageRows | None = None  # a write as rows, for the SQLite writer thread


Rows = list[Any]
#: Writes the rows a batch gathered (``before_commit``), in the batch's transaction.
RowsWriter = Callable[[AsyncSession, Rows], Awaitable[None]]


def before_commit(session: AsyncSession, name: str, write: RowsWriter) -> Rows:
    """The list of rows ``write(session, rows)`` writes once, after the last write of the batch
    running in ``session`` and before its commit: the writes append to it (the same list for
    the same ``name``; lists are written in the order they were first asked for)."""
    lists: dict[str, tuple[RowsWriter, Rows]] = session.info.setdefault(_AT_END, {})
    if name not in lists:
        lists[name] = (write, [])
    return lists[name][1]


def _stored_key(key: EventKey) -> EventKey:
    platform, event_id = key
    if len(event_id) <= _MAX_EVENT_ID:
        return key
    return platform, "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()


class GroupCommit:
    """Durable writes of one process, committed in groups (see the module docstring).

    ``sessions`` makes the batches' sessions; ``max_batch`` bounds the writes per transaction.
    Rows (:meth:`run_rows`) go to a SQLite writer thread of the group's own when ``sessions``
    is bound to a SQLite file (``rows_thread``, the default), else through the session.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        max_batch: int = MAX_BATCH,
        name: str = "group commit",
        rows_thread: bool = True,
    ) -> None:
        self._sessions = sessions
        bind = sessions.kw.get("bind")
        #: the SQLite writer thread rows go to, or None (they go through the session)
        self.rows_writer = (
            SQLiteWriter.for_engine(bind) if rows_thread and isinstance(bind, AsyncEngine) else None
        )
        self._max_batch = max_batch
        self._name = name
        self._queue: deque[_Pending] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._closed = False
        #: transactions committed (each holds one batch), for tests and curiosity
        self.commits = 0

    async def run(
        self, write: Write[T], *, event: EventKey | None = None, at: datetime | None = None
    ) -> T:
        """Run ``write`` in the next batch's transaction; its result once the batch is committed.

        ``event`` is the platform's id of what is being stored (``None``: no de-duplication),
        recorded as seen at ``at`` (UTC; required with ``event``) in the same transaction.

        Raises:
            Duplicate: ``event`` was stored before (or is a second copy in the same batch);
                ``write`` did not run.
            GroupCommitClosed: the process is shutting down.
            Exception: the database's error when the batch could not be committed (every
                waiter of the batch gets it), or ``write``'s own.
        """
        return await self._enqueue(write, None, event, at)

    async def run_rows(
        self,
        rows: MessageRows,
        *,
        in_session: Write[bool],
        event: EventKey | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Write ``rows`` in the next batch; True once committed when they claimed their
        thread's label. ``in_session`` writes the same rows through a session (with the same
        outcome), where no SQLite writer thread serves this group. ``event`` and ``at`` as
        for :meth:`run`.

        Raises:
            Duplicate: as :meth:`run`.
            StaleSnapshot: the rows' team check failed; nothing was written or claimed.
            GroupCommitClosed: the process is shutting down.
            Exception: the database's error when the batch could not be committed.
        """
        thread = rows if self.rows_writer is not None else None
        return await self._enqueue(in_session, thread, event, at)

    async def _enqueue(
        self,
        write: Write[T],
        rows: MessageRows | None,
        event: EventKey | None,
        at: datetime | None,
    ) -> T:
        """Queue a write (as rows for the writer thread when ``rows`` is given) and wait for
        its batch (see :meth:`run`)."""
        if self._closed:
            raise GroupCommitClosed("the process is shutting down")
        key = None
        if event is not None:
            if at is None:
                raise ValueError("an event's claim needs the instant it was seen")
            key = _stored_key(event)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(write, key, at, future, rows=rows))
        self._start_writer()
        return await future

    async def close(self) -> None:
        """Write what is queued, then refuse new writes (at shutdown, before the engine goes)."""
        self._closed = True
        writer = self._writer
        if writer is not None and not writer.done():
            await asyncio.wait({writer})
        self._stop.set()
        self._fail(list(self._queue), GroupCommitClosed("the process stopped"))
        self._queue.clear()
        if self.rows_writer is not None:
            await self.rows_writer.close()

    # -- the writer --------------------------------------------------------------------------

    def _start_writer(self) -> None:
        writer = self._writer
        if writer is not None and not writer.done():
            return
        self._writer = asyncio.get_running_loop().create_task(
            supervised(self._name, self._drain, self._stop), name=self._name
        )

    async def _drain(self) -> None:
        """Commit batches until the queue is empty (then the task ends; the next write starts
        another). Raises only on a bug: ``supervised`` logs it and runs this again."""
        while self._queue:
            batch = self._take()
            if not batch:
                continue
            try:
                if batch[0].rows is not None:  # the SQLite writer thread: one hand-over
                    await self._commit(batch, self._rows_transaction)
                else:
                    await self._commit(batch, self._transaction)
            except BaseException as error:  # a bug or a cancellation: nobody may hang
                failure = (
                    error
                    if isinstance(error, Exception)
                    else GroupCommitClosed("the writer was cancelled")
                )
                self._fail(batch, failure)
                raise

    def _take(self) -> list[_Pending]:
        """The next batch: what is waiting, up to ``max_batch``, all rows for the SQLite writer
        thread or all for the session (so batches commit in the order their writes came); a
        write whose batch failed goes alone."""
        batch: list[_Pending] = []
        while self._queue and len(batch) < self._max_batch:
            head = self._queue[0]
            if batch and (head.alone or (head.rows is None) != (batch[0].rows is None)):
                break
            pending = self._queue.popleft()
            if not pending.future.done():  # its waiter gave up (cancelled): nothing to store
                batch.append(pending)
                if pending.alone:
                    break
        return batch

    async def _commit(
        self,
        batch: list[_Pending],
        transaction: Callable[[list[_Pending]], Awaitable[None]],
    ) -> None:
        try:
            await retrying(partial(transaction, batch), what=self._name, attempts=3)
        except Exception as error:
            if len(batch) > 1 and not database_unavailable(error):
                # not the database's trouble: find the write at fault, one per transaction
                log.warning("a batch of durable writes failed (%r); writing them one by one", error)
                for pending in batch:
                    pending.alone = True
                self._queue.extendleft(reversed(batch))
                return
            self._fail(batch, error)
            return
        self.commits += 1
        for pending in batch:
            if pending.future.done():
                continue
            if pending.duplicate:
                pending.future.set_exception(Duplicate(f"{pending.key}"))
            elif pending.error is not None:
                pending.future.set_exception(pending.error)
            else:
                pending.future.set_result(pending.result)

    async def _transaction(self, batch: list[_Pending]) -> None:
        """One attempt: claim the keys, run the writes, write their gathered rows, commit."""
        async with self._sessions() as session, session.begin():
            claims = [(p.key, p.at) for p in batch if p.key is not None and p.at is not None]
            fresh = await claim_events(session, claims)
            for pending in batch:
                pending.result, pending.error = None, None
                if pending.key is not None:
                    pending.duplicate = pending.key not in fresh
                    fresh.discard(pending.key)  # a second copy in this batch is a duplicate
                    if pending.duplicate:
                        continue
                try:
                    pending.result = await pending.write(session)
                except Refused as error:
                    pending.error = error
            # a write that refused (a clean error) handled nothing: its retry must be new
            await forget_events(
                session, [p.key for p in batch if p.error is not None and p.key is not None]
            )
            lists: dict[str, tuple[RowsWriter, Rows]] = session.info.pop(_AT_END, {})
            for write, rows in lists.values():
                await write(session, rows)

    async def _rows_transaction(self, batch: list[_Pending]) -> None:
        """One attempt on the SQLite writer thread: the batch's rows and their claims."""
        writer = self.rows_writer
        assert writer is not None
        items = [BatchItem(p.rows, p.key, p.at) for p in batch if p.rows is not None]
        outcomes = await writer.run(partial(write_batch, dialect=writer.dialect, items=items))
        for pending, outcome in zip(batch, outcomes, strict=True):
            pending.result, pending.error = None, None
            pending.duplicate = outcome is Skipped.DUPLICATE
            if outcome is Skipped.STALE:
                pending.error = StaleSnapshot("the channel's team changed")
            elif not isinstance(outcome, Skipped):
                pending.result = outcome

    @staticmethod
    def _fail(batch: list[_Pending], error: BaseException) -> None:
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(error)
