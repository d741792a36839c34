"""Everyone's hours without asking: read what the platform knows about a person the first time
they are seen, and keep it fresh.

"Seen" is any event from them, a command, a channel they join, or a message held for them.
What is read — time zone, locale, and the platform's schedule (Slack: ``users.info`` and
``dnd.teamInfo``; Teams: the zone its client reported and Outlook's ``workingHours`` through
Microsoft Graph, and the scheduled absences of Outlook's automatic replies, stored as days off
from Outlook) — is stored as a *platform default*, never as the person's own choice
(``bot.storage.platform_defaults``). It is read again on Slack's ``user_change`` and at least
daily by :meth:`PlatformDefaults.refresh_stale`, a bounded batch per tick that stays far inside
Slack's limits (``users.info`` Tier 4, 100+/min; ``dnd.teamInfo`` Tier 3, 50+/min): with the
default batch of 20 a minute, each tick costs at most 40 calls, and 28,800 people a day are kept
fresh (Teams: two Graph reads a person, working hours and automatic replies, far inside Graph's
per-app limits).

Reading never fails a caller: a platform that cannot answer leaves the stored defaults as they
were, and the person is asked about again later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.hours_syntax import HoursSyntaxError, format_hours, parse_hours
from bot.ports import DeliveryError, DeliveryErrorKind, PlatformHours, UserProfile
from bot.services.days_off import save_outlook_away
from bot.services.directory import zone_or_utc
from bot.storage.platform_defaults import PlatformDefaultsRepository, StalePerson
from bot.storage.repositories import PersonRepository, WorkspaceRepository

__all__ = [
    "FIRST_SIGHT_CONCURRENCY",
    "MAX_AGE",
    "REFRESH_BATCH",
    "REFRESH_TICK_SECONDS",
    "AbsenceSource",
    "PlatformDefaults",
    "ScheduleSource",
]

log = logging.getLogger(__name__)

#: Platform defaults older than this are read again (the issue asks for at least daily).
MAX_AGE = timedelta(hours=24)
#: How often the refresh job runs (seconds), and how many people it reads per run.
REFRESH_TICK_SECONDS = 60
REFRESH_BATCH = 20
#: How long one person's reading may take when someone waits for it (a command, a held
#: message): Slack wants a command's answer within 3 s.
READ_TIMEOUT_SECONDS = 2.0
#: First-sight reads at once per process: each holds a database connection for its two short
#: transactions, and the pool (SQLAlchemy's default: 5 + 10 overflow) must keep room for the
#: durable writes that events and commands make before they are acknowledged.
FIRST_SIGHT_CONCURRENCY = 4
#: People remembered as fresh in memory, so a busy channel does not cost a query per event.
_REMEMBERED = 10_000


def _canonical(spec: str, tz: str | None) -> tuple[str, str] | None:
    """The schedule in our canonical form (``mon-fri 08:30-16:00 tz Europe/Oslo``) and its
    zone; None when what the platform said does not read as hours."""
    try:
        hours = parse_hours(spec, default_tz=zone_or_utc(tz))
    except HoursSyntaxError:
        log.info("a platform schedule did not read as hours; ignoring it")
        return None
    return format_hours(hours), hours.tz.key


@runtime_checkable
class ScheduleSource(Protocol):
    """What a platform tells about a person (``SlackPlatform``, ``TeamsPlatform``)."""

    async def known_profile(self, workspace: str, person: str) -> UserProfile:
        """Name, zone and locale as the platform has them (Slack asks ``users.info``; Teams
        answers from what its client reported, with no call)."""
        ...

    async def platform_hours(
        self, workspace: str, person: str, tz: str | None
    ) -> PlatformHours | None: ...


@runtime_checkable
class AbsenceSource(Protocol):
    """A platform that also tells a person's scheduled absences (``TeamsPlatform``: Outlook
    automatic replies through Microsoft Graph)."""

    async def outlook_away(
        self, workspace: str, person: str
    ) -> list[tuple[datetime, datetime]] | None:
        """UTC windows (``[]``: none scheduled), or None when it cannot be known."""
        ...


class PlatformDefaults:
    """Reads and stores each person's platform defaults; see the module docstring."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        sources: Mapping[str, ScheduleSource],
        max_age: timedelta = MAX_AGE,
        timeout: float = READ_TIMEOUT_SECONDS,
        batch: int = REFRESH_BATCH,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._sources = dict(sources)
        self._max_age = max_age
        self._timeout = timeout
        self._batch = batch
        self._fresh: dict[tuple[str, str, str], datetime] = {}
        # first sight comes in bursts (a new install: every message is from someone new): one
        # read per person at a time, and few at once, so the durable writes of the events that
        # brought them keep their database connections and their acknowledgement budget
        self._reading: set[tuple[str, str, str]] = set()
        self._first_sight = asyncio.Semaphore(FIRST_SIGHT_CONCURRENCY)
        # first-sight reads nobody waits for (an event, a Teams turn), kept so that
        # :meth:`stop` cancels and awaits them at shutdown, before the engine goes
        self._background: set[asyncio.Task[None]] = set()
        self._stopping = False

    def seen_in_background(self, platform: str, workspace: str, person: str) -> None:
        """:meth:`seen` as a task of its own, for callers that acknowledge first (Slack's
        events, Teams' turns). Tracked until done, so :meth:`stop` ends it; after
        :meth:`stop` nothing new is started (the person is read when next seen)."""
        if self._stopping:
            return
        known = self._fresh.get((platform, workspace, person))
        if known is not None and self._clock.now() - known < self._max_age:
            return  # read within the day: most messages; no task for nothing
        task = asyncio.get_running_loop().create_task(self.seen(platform, workspace, person))
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:  # seen() never raises
            log.error("a first-sight read failed", exc_info=task.exception())

    async def stop(self) -> None:
        """At shutdown: cancel the first-sight reads still running or waiting for their turn
        and wait for them to end (one INFO line says how many), so none runs on after the
        database engine and the platforms' HTTP sessions are closed. Idempotent."""
        self._stopping = True
        running = list(self._background)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if running:
            log.info("%d first-sight read(s) were interrupted by the shutdown", len(running))

    async def seen(self, platform: str, workspace: str, person: str) -> None:
        """``person`` was seen: read their defaults unless they were read within a day.

        Waits at most the read timeout; never raises (a person is never refused for it).
        """
        key = (platform, workspace, person)
        now = self._clock.now()
        known = self._fresh.get(key)
        if known is not None and now - known < self._max_age:
            return
        if platform not in self._sources or key in self._reading:
            return
        self._reading.add(key)
        try:
            async with self._first_sight:
                async with self._sessions() as session:
                    row = await WorkspaceRepository(session).find(platform, workspace)
                    if row is None or row.uninstalled_at is not None:
                        return
                    read_at = await PlatformDefaultsRepository(session).read_at(row.id, person)
                if read_at is not None and now - read_at < self._max_age:
                    self._remember(key, read_at)
                    return
                await self.refresh(platform, workspace, person)
        except Exception:  # a person's defaults never stop what they came to do
            log.warning("could not read a person's platform defaults", exc_info=True)
        finally:
            self._reading.discard(key)

    async def refresh(
        self, platform: str, workspace: str, person: str, *, profile_changed: bool = False
    ) -> bool:
        """Read ``person``'s defaults now and store them; True when stored. The schedule is
        always replaced; a stored zone, locale and name only when ``profile_changed`` (the
        platform said so, e.g. Slack's ``user_change``), else they are only filled in.

        Raises :class:`DeliveryError` only when the platform says to slow down
        (``RATE_LIMITED``), so a batch can stop; other failures return False.
        """
        source = self._sources.get(platform)
        if source is None:
            return False
        async with self._sessions() as session:
            row = await WorkspaceRepository(session).find(platform, workspace)
            if row is None or row.uninstalled_at is not None:
                return False
            workspace_id = row.id
            stored = await PersonRepository(session).find(workspace_id, person)
            stored_tz = stored.tz if stored is not None else None
        try:
            profile = await asyncio.wait_for(source.known_profile(workspace, person), self._timeout)
            hours = await asyncio.wait_for(
                source.platform_hours(workspace, person, profile.tz or stored_tz), self._timeout
            )
        except DeliveryError as error:
            if error.kind is DeliveryErrorKind.RATE_LIMITED:
                raise
            if error.kind is DeliveryErrorKind.PERMANENT:
                log.info("the platform has nothing on a person (%s)", error.code)
                async with self._sessions() as session, session.begin():
                    await PlatformDefaultsRepository(session).mark_read(
                        workspace_id, person, now=self._clock.now()
                    )
            return False
        except TimeoutError:
            log.info("the platform was slow to tell a person's defaults; later")
            return False
        away = await self._away(source, workspace, person)
        read = _canonical(hours.spec, profile.tz or stored_tz) if hours is not None else None
        spec = read[0] if read is not None else None
        # a zone the platform gave only with the schedule (Outlook's, for someone who never
        # wrote in Teams) is better than none
        zone = profile.tz or (read[1] if read is not None and not stored_tz else None)
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            known = await PlatformDefaultsRepository(session).store(
                workspace_id,
                person,
                now=now,
                name=profile.name if profile.name and profile.name != person else None,
                tz=zone,
                locale=profile.locale,
                hours_spec=spec,
                own_days=hours.own_days if hours is not None else False,
                profile_changed=profile_changed,
            )
            if away is not None:  # re-plans what is held for them when it changed
                await save_outlook_away(session, known, away, now=now)
        self._remember((platform, workspace, person), now)
        return True

    async def _away(
        self, source: ScheduleSource, workspace: str, person: str
    ) -> list[tuple[datetime, datetime]] | None:
        """The person's scheduled absences as the platform has them (Outlook automatic
        replies, Teams with Graph), read with their schedule; None when the platform has no
        such thing or cannot say now (what is stored stays). Raises :class:`DeliveryError`
        only for "slow down", like :meth:`refresh`."""
        if not isinstance(source, AbsenceSource):
            return None
        try:
            return await asyncio.wait_for(source.outlook_away(workspace, person), self._timeout)
        except DeliveryError as error:
            if error.kind is DeliveryErrorKind.RATE_LIMITED:
                raise
            log.info("could not read a person's automatic replies (%s); later", error.code)
        except TimeoutError:
            log.info("the platform was slow to tell a person's automatic replies; later")
        except Exception:
            log.warning("could not read a person's automatic replies", exc_info=True)
        return None

    async def refresh_quietly(
        self, platform: str, workspace: str, person: str, *, profile_changed: bool = False
    ) -> None:
        """:meth:`refresh` for someone waiting on the answer: never raises."""
        try:
            await self.refresh(platform, workspace, person, profile_changed=profile_changed)
        except Exception:
            log.info("could not read a person's platform defaults now; using what is stored")

    async def refresh_stale(self) -> int:
        """The daily refresh, one bounded batch: people whose defaults are older than a day
        (or were never read), the longest-waiting first. Returns how many were read. Stops at
        the first "slow down" from a platform. Safe on several replicas at once (a person
        read twice is only read twice)."""
        now = self._clock.now()
        async with self._sessions() as session:
            due = await PlatformDefaultsRepository(session).stale(
                now - self._max_age, platforms=self._sources, limit=self._batch
            )
        done = 0
        for stale in due:
            try:
                read = await self.refresh(stale.platform, stale.workspace, stale.person)
            except DeliveryError:
                log.info("the platform asked us to slow down; the refresh goes on next time")
                break
            except Exception:
                log.warning("could not refresh a person's platform defaults", exc_info=True)
                read = False
            if read:
                done += 1
            else:  # asked again in a day, not at every tick ahead of everyone else
                await self._postpone(stale)
        return done

    async def _postpone(self, stale: StalePerson) -> None:
        async with self._sessions() as session, session.begin():
            row = await WorkspaceRepository(session).find(stale.platform, stale.workspace)
            if row is not None:
                await PlatformDefaultsRepository(session).mark_read(
                    row.id, stale.person, now=self._clock.now()
                )

    def _remember(self, key: tuple[str, str, str], at: datetime) -> None:
        if len(self._fresh) >= _REMEMBERED:
            self._fresh.clear()
        self._fresh[key] = at
