"""The decision guard: an off-hours decision in a watched channel stays open until the people
who were away have been back for the team's grace period (default 4 working hours).

- **Claim, then post.** The guard row is inserted in the same transaction as the message's (or
  reaction's) de-duplication row; its unique key (workspace, conversation, thread) makes the
  reply go out once per thread, however often the platform retries and however many replicas
  run. The reply is posted after the acknowledgement; if the platform refuses it, the claim is
  given back so the thread's next decision signal tries again.
- **Settle.** *Reopen for discussion* is anyone's (in the same workspace); *Confirm decision*
  only a leader's of the thread's team, and only once the grace period is over. The reply is
  refreshed in place.
- **Ask.** Once the grace period is over, each leader is asked privately, once (a claim on
  ``asked_at``), by :meth:`DecisionGuard.ask_due`, which the serve runtime ticks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.domain.guard import guard_end, is_approving_reaction, reactions_decide
from bot.domain.guard_view import GuardState, GuardView
from bot.domain.policy import Mode, TeamPolicy
from bot.i18n import normalize_locale
from bot.metrics import DeliveryMetrics
from bot.ports import ChatPlatform, DeliveryError, GuardPoster, OutgoingMessage
from bot.services.access import Membership
from bot.services.directory import policy_from_row
from bot.services.once import EventKey, claim_event
from bot.storage.guards import GuardRepository, ReactionRepository
from bot.storage.models import (
    ActivityRow,
    DecisionGuardRow,
    PersonRow,
    TeamRow,
    WorkspaceRow,
)
from bot.storage.repositories import TeamRepository, WorkspaceRepository

__all__ = [
    "ChannelReaction",
    "DecisionGuard",
    "GuardOutcome",
    "GuardResult",
    "PendingGuard",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingGuard:
    """A claimed guard whose reply is still to be posted."""

    guard_id: int
    platform: str
    workspace: str


@dataclass(frozen=True)
class ChannelReaction:
    """A reaction put on (``added``) or taken off a message in a channel."""

    platform: str
    workspace: str
    conversation: str
    message_id: str
    person: str
    reaction: str
    at: datetime
    added: bool = True
    thread: str | None = None  # when the platform says (Teams); else found from our activity


class GuardOutcome(StrEnum):
    CONFIRMED = "confirmed"
    REOPENED = "reopened"
    NOT_LEADER = "not_leader"
    TOO_EARLY = "too_early"
    ALREADY_CONFIRMED = "already_confirmed"
    ALREADY_REOPENED = "already_reopened"
    GONE = "gone"


@dataclass(frozen=True)
class GuardResult:
    """What a click on *Confirm* or *Reopen* did; ``view`` is the guard as it now stands."""

    outcome: GuardOutcome
    view: GuardView | None = None

    @property
    def done(self) -> bool:
        return self.outcome in (GuardOutcome.CONFIRMED, GuardOutcome.REOPENED)


class DecisionGuard:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        platforms: Mapping[str, ChatPlatform],
        clock: Clock | None = None,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._platforms = platforms
        # who may see a guard or act on it: the members of its channel (and its team's leaders)
        self._members = {name: Membership(platform) for name, platform in platforms.items()}
        self._clock = clock or SystemClock()
        self._metrics = metrics or DeliveryMetrics()

    # -- claiming (inside the caller's transaction) ---------------------------------------------

    async def claim(
        self,
        session: AsyncSession,
        *,
        platform: str,
        workspace: WorkspaceRow,
        team: TeamRow,
        policy: TeamPolicy,
        conversation: str,
        thread: str,
        at: datetime,
    ) -> PendingGuard | None:
        """Claim the guard of a thread in which a decision was made off hours at ``at``; None
        when the team has the guard off, its hours never give the grace, or the thread already
        has a guard."""
        if team.guard_minutes <= 0 or policy.mode is Mode.OFF:
            return None
        until = guard_end(policy.hours, at, timedelta(minutes=team.guard_minutes))
        if until is None:
            return None
        row = await GuardRepository(session).claim(
            workspace_id=workspace.id,
            team_id=team.id,
            conversation_id=conversation,
            thread_id=thread,
            decided_at=at,
            guard_until=until,
            now=self._clock.now(),
        )
        return None if row is None else PendingGuard(row.id, platform, workspace.external_id)

    async def on_reaction(
        self, reaction: ChannelReaction, *, event: EventKey | None = None
    ) -> PendingGuard | None:
        """Record an approving reaction put on (or taken off) a message off hours in a watched
        channel; when it makes :data:`~bot.domain.guard.REACTION_QUORUM` people, claim the
        thread's guard. One transaction with the event's de-duplication row (raises
        :class:`~bot.services.once.Duplicate` for a retry); database errors propagate."""
        if not is_approving_reaction(reaction.reaction):
            return None
        async with self._sessions() as session, session.begin():
            await claim_event(session, event, reaction.at)
            workspace = await WorkspaceRepository(session).find(
                reaction.platform, reaction.workspace
            )
            if workspace is None:
                return None
            teams = TeamRepository(session)
            team = await teams.for_channel(workspace.id, reaction.conversation)
            if team is None:
                return None
            channels = await teams.channels(team.id)
            policy = policy_from_row(team, leaders=await teams.leaders(team.id), channels=channels)
            if policy.mode is Mode.OFF or policy.hours.is_open(reaction.at):
                return None
            reactions = ReactionRepository(session)
            ids = (workspace.id, reaction.conversation, reaction.message_id)
            if not reaction.added:
                await reactions.remove(*ids, person_id=reaction.person, reaction=reaction.reaction)
                return None
            thread = reaction.thread or await reactions.thread_of(
                workspace.id, reaction.conversation, reaction.message_id
            )
            await reactions.add(
                *ids,
                thread_id=thread,
                person_id=reaction.person,
                reaction=reaction.reaction,
                now=reaction.at,
            )
            if not reactions_decide(await reactions.reactors(*ids)):
                return None
            return await self.claim(
                session,
                platform=reaction.platform,
                workspace=workspace,
                team=team,
                policy=policy,
                conversation=reaction.conversation,
                thread=thread,
                at=reaction.at,
            )

    # -- posting (after the acknowledgement) ----------------------------------------------------

    async def post(self, pending: PendingGuard) -> bool:
        """Post the claimed guard's reply in its thread; False (and the claim given back)
        when the platform refuses it."""
        platform = self._platforms.get(pending.platform)
        async with self._sessions() as session:
            row = await GuardRepository(session).get(pending.guard_id)
            if row is None or platform is None:
                return False
            participants = set(
                await session.scalars(
                    select(ActivityRow.person_id).where(
                        ActivityRow.workspace_id == row.workspace_id,
                        ActivityRow.conversation_id == row.conversation_id,
                        ActivityRow.thread_id == row.thread_id,
                        ActivityRow.in_hours.is_(False),
                    )
                )
            )
            view = await self._view(session, row)
        away = await self._away(platform, pending.workspace, row.conversation_id, participants)
        view = replace(view, away=away)
        async with self._sessions() as session, session.begin():
            await GuardRepository(session).counted(row.id, away)
        try:
            if isinstance(platform, GuardPoster):
                message_id: str | None = await platform.post_guard(
                    pending.workspace, row.conversation_id, row.thread_id, view
                )
            else:
                message_id = (
                    await platform.post(
                        OutgoingMessage(
                            workspace=pending.workspace,
                            conversation=row.conversation_id,
                            thread=row.thread_id,
                            text=view.text(),
                        )
                    )
                ).message_id
        except DeliveryError as error:
            self._metrics.platform_errors.labels(
                platform=pending.platform, kind=error.kind.value
            ).inc()
            log.warning("could not post a decision guard; the next decision signal tries again")
            async with self._sessions() as session, session.begin():
                await GuardRepository(session).unclaim(row.id)
            return False
        async with self._sessions() as session, session.begin():
            await GuardRepository(session).posted(row.id, message_id, away)
        return True

    async def _away(
        self, platform: ChatPlatform, workspace: str, conversation: str, participants: set[str]
    ) -> int | None:
        try:
            if isinstance(platform, GuardPoster):
                members = await platform.people_in(workspace, conversation)
            else:
                members = await platform.channel_members(workspace, conversation)
        except DeliveryError as error:
            log.info("could not count who was away for a decision guard: %s", error.code)
            return None
        return len(set(members) - participants)

    # -- confirm / reopen -----------------------------------------------------------------------

    async def settle(
        self, guard_id: int, *, confirm: bool, platform: str, workspace: str, person: str
    ) -> GuardResult:
        """*Confirm decision* (``confirm``; a leader of the thread's team, after the grace
        period) or *Reopen for discussion* (anyone in the workspace), then refresh the reply in
        place. Refusals are outcomes, not errors. Only a member of the thread's channel or a
        leader of its team who is also in that channel may act on a guard, or see it: anyone
        else (a button's id forged or carried elsewhere, a leader outside a private channel) is
        answered as if it were not there."""
        if not await self._may_touch(guard_id, platform, workspace, person):
            return GuardResult(GuardOutcome.GONE)
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            guards = GuardRepository(session)
            row = await guards.get(guard_id, for_update=True)
            owner = None if row is None else await session.get(WorkspaceRow, row.workspace_id)
            if (
                row is None
                or owner is None
                or (owner.platform, owner.external_id) != (platform, workspace)
            ):
                return GuardResult(GuardOutcome.GONE)
            view = await self._view(session, row)
            if row.state != GuardState.OPEN:
                return GuardResult(GuardOutcome(f"already_{row.state}"), view)
            if confirm:
                if person not in await TeamRepository(session).leaders(row.team_id):
                    return GuardResult(GuardOutcome.NOT_LEADER, view)
                if now < row.guard_until:
                    return GuardResult(GuardOutcome.TOO_EARLY, view)
            state = GuardState.CONFIRMED if confirm else GuardState.REOPENED
            if not await guards.settle(row.id, state.value, by=person, now=now):
                return GuardResult(GuardOutcome.GONE, view)
            view = replace(view, state=state)
            message_id, conversation = row.platform_message_id, row.conversation_id
        await self._refresh(platform, workspace, conversation, message_id, view, person)
        return GuardResult(GuardOutcome(state.value), view)

    async def _may_touch(self, guard_id: int, platform: str, workspace: str, person: str) -> bool:
        """Whether ``person`` is in the guard's channel now: the platform is asked (cached a
        minute), before the row is locked, never while it is. Leading the team is not enough:
        a guard names a decision taken in that channel, which a leader outside a private
        channel may not see."""
        async with self._sessions() as session:
            row = await GuardRepository(session).get(guard_id)
            if row is None:
                return True  # settle answers "gone"
            conversation = row.conversation_id
        members = self._members.get(platform)
        return members is not None and await members.is_member(workspace, conversation, person)

    async def _refresh(
        self,
        platform_name: str,
        workspace: str,
        conversation: str,
        message_id: str | None,
        view: GuardView,
        who: str | None,
    ) -> None:
        platform = self._platforms.get(platform_name)
        if message_id is None or not isinstance(platform, GuardPoster):
            return
        try:
            await platform.update_guard(workspace, conversation, message_id, view, who)
        except DeliveryError as error:
            log.warning("could not refresh a decision guard in place: %s", error.code)

    # -- the private question, once the grace period is over ------------------------------------

    async def ask_due(self) -> int:
        """Ask the leaders of every open guard whose grace period is over, once each (claimed:
        safe on every replica, every tick); refresh the reply so *Confirm* shows. Only leaders
        who are members of the guard's channel are asked (the platform's member list): the
        question names a decision in that channel. Returns how many guards were asked about."""
        now = self._clock.now()
        async with self._sessions() as session:
            due = await GuardRepository(session).due_to_ask(now)
        asked = 0
        for candidate in due:
            async with self._sessions() as session, session.begin():
                guards = GuardRepository(session)
                if not await guards.claim_ask(candidate.id, now):
                    continue  # another replica has it
                row = await guards.get(candidate.id)
                workspace = await session.get(WorkspaceRow, candidate.workspace_id)
                if row is None or workspace is None:
                    continue
                view = await self._view(session, row)
                leaders = await TeamRepository(session).leaders(row.team_id)
                locales = await _locales(session, workspace.id, leaders)
            asked += 1
            platform = self._platforms.get(workspace.platform)
            if platform is None:
                continue
            await self._refresh(
                workspace.platform,
                workspace.external_id,
                row.conversation_id,
                row.platform_message_id,
                view,
                None,
            )
            members = self._members.get(workspace.platform)
            for leader in leaders:
                if members is None or not await members.is_member(
                    workspace.external_id, row.conversation_id, leader
                ):
                    continue  # a leader outside the channel is not told of its decisions
                mine = replace(view, locale=locales.get(leader) or view.locale)
                try:
                    if isinstance(platform, GuardPoster):
                        await platform.ask_leader(workspace.external_id, leader, mine)
                    else:
                        await platform.notify(
                            workspace.external_id, leader, mine.question(where=row.conversation_id)
                        )
                except DeliveryError as error:
                    log.warning("could not ask a leader about a decision guard: %s", error.code)
        return asked

    # -- views ----------------------------------------------------------------------------------

    async def person_locale(self, platform: str, workspace: str, person: str) -> str | None:
        """The language a person chose or their platform reported; None when unknown (the
        guard's own team language is then the better guess)."""
        async with self._sessions() as session:
            row = await WorkspaceRepository(session).find(platform, workspace)
            if row is None:
                return None
            return (await _locales(session, row.id, [person])).get(person)

    async def view_of(self, guard_id: int) -> GuardView | None:
        async with self._sessions() as session:
            row = await GuardRepository(session).get(guard_id)
            return None if row is None else await self._view(session, row)

    async def _view(self, session: AsyncSession, row: DecisionGuardRow) -> GuardView:
        team = await session.get(TeamRow, row.team_id)
        assert team is not None  # the row goes with its team (ON DELETE CASCADE)
        policy = policy_from_row(team, leaders=[], channels=[])
        return GuardView(
            guard_id=row.id,
            state=GuardState(row.state),
            decided_at=row.decided_at,
            until=row.guard_until,
            grace=timedelta(minutes=max(team.guard_minutes, 0)),
            away=row.away,
            tz=policy.hours.tz,
            locale=team.locale,
            now=self._clock.now(),
            conversation=row.conversation_id,
            thread=row.thread_id,
        )


async def _locales(session: AsyncSession, workspace_id: int, people: list[str]) -> dict[str, str]:
    rows = await session.execute(
        select(PersonRow.external_id, PersonRow.locale).where(
            PersonRow.workspace_id == workspace_id, PersonRow.external_id.in_(people)
        )
    )
    return {str(person): normalize_locale(locale) for person, locale in rows if locale}
