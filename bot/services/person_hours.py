"""Whose hours decide for a person, read from the database (the rule itself is in
``bot.domain.whose_hours``; this finds its inputs).

Use :func:`hours_for` wherever one person's hours matter (a direct message, each member of a
channel audience, a group DM's members), so every place applies the same precedence.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.decisions import PersonAudience
from bot.domain.policy import Mode, Person, TeamPolicy
from bot.domain.whose_hours import HoursSource, PersonHours
from bot.services.directory import hours_of_person, policy_from_row
from bot.services.workspace_default import workspace_policy
from bot.storage.models import PersonRow, TeamLeaderRow, TeamRow
from bot.storage.repositories import PersonRepository, TeamRepository

__all__ = ["hours_for", "person_audience", "team_of_person", "team_policy", "workspace_default"]


async def team_policy(session: AsyncSession, team: TeamRow) -> TeamPolicy:
    """The stored team as a policy (with its leaders and watched channels)."""
    teams = TeamRepository(session)
    return policy_from_row(
        team, leaders=await teams.leaders(team.id), channels=await teams.channels(team.id)
    )


async def workspace_default(session: AsyncSession, workspace_id: int) -> TeamPolicy | None:
    """The workspace (tenant) default policy, the last level of the precedence (and the days
    of a person's day-less platform schedule when no team of theirs applies); None for a
    workspace that has none yet (then Monday to Friday,
    ``bot.domain.whose_hours.FALLBACK_WORKDAYS``, and no hours for a person with nothing else).
    """
    return await workspace_policy(session, workspace_id)


async def team_of_person(
    session: AsyncSession, workspace_id: int, person: str, *, context: str | None = None
) -> TeamPolicy | None:
    """The person's team: one they lead, else the team covering ``context`` (the channel a
    message to them was written from, when the caller knows they are in it); None otherwise."""
    query = (
        select(TeamRow)
        .join(TeamLeaderRow, TeamLeaderRow.team_id == TeamRow.id)
        .join(PersonRow, PersonRow.id == TeamLeaderRow.person_id)
        .where(PersonRow.workspace_id == workspace_id, PersonRow.external_id == person)
        .order_by(TeamRow.id)
    )
    led = (await session.scalars(query)).first()
    if led is not None:
        return await team_policy(session, led)
    if context is not None:
        covering = await TeamRepository(session).for_channel(workspace_id, context)
        if covering is not None:
            return await team_policy(session, covering)
    return None


async def hours_for(
    session: AsyncSession,
    workspace_id: int,
    person: str,
    *,
    team: TeamPolicy | None,
    default: TeamPolicy | None = None,
    row: PersonRow | None = None,
) -> PersonHours | None:
    """The hours that decide for ``person`` and where they come from: their own > their
    platform schedule (with the applicable policy's days) > ``team`` > the workspace default.

    ``team`` is chosen by the caller (a channel's team for its members; :func:`team_of_person`
    for a direct message). ``default`` may be passed when already read (a channel of many
    members); else it is read here. ``row`` likewise. None when nothing applies.
    """
    if row is None:
        row = await PersonRepository(session).find(workspace_id, person)
    if default is None:
        default = await workspace_default(session, workspace_id)
    return hours_of_person(row, team=team, default=default)


async def person_audience(
    session: AsyncSession, workspace_id: int, recipient: str, *, context: str | None = None
) -> PersonAudience:
    """A direct message's audience: the recipient with the hours that decide for them, and
    the policy that applies to them (their team's, else the workspace default) for its mode
    and urgent rules."""
    row = await PersonRepository(session).find(workspace_id, recipient)
    team = await team_of_person(session, workspace_id, recipient, context=context)
    default = await workspace_default(session, workspace_id)
    resolved = hours_of_person(row, team=team, default=default)
    if team is None and default is not None and default.mode is Mode.OFF:
        # protection turned off for the workspace (an explicit admin choice): only hours the
        # person set themselves still hold messages to them
        resolved = resolved if resolved is not None and resolved.source is HoursSource.OWN else None
    person = Person(
        id=recipient,
        name=(row.display_name if row else None) or recipient,
        hours=resolved.hours if resolved is not None else None,
        locale=(row.locale if row else None) or "en",
    )
    policy = team if team is not None else default
    if policy is not None and policy.mode is Mode.LABEL and Mode.HOLD in policy.allowed_modes:
        # a private message has no thread to label: it waits, as a direct message does
        policy = policy.with_changes(mode=Mode.HOLD)
    return PersonAudience(person, policy)
