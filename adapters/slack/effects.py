"""What a Slack event changes, split in two: the durable part, and what follows the 200.

``SlackEventEffects.durable`` writes an event's effect together with its de-duplication row
(``bot.services.once``) in one transaction — the activity of an off-hours message in a watched
channel, the held copy of an auto-held message, a workspace's or person's erased tokens — and
returns what is left to do once Slack has its acknowledgement: post the label, take the
original message down, tell people privately. ``adapters.slack.events`` answers 200 only after
the durable part, and 503 when the database cannot be reached.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack.interactions import SlackInteractions
from adapters.slack.oauth import erase_slack_user_tokens
from adapters.slack.platform import DELIVERY_EVENT
from adapters.slack.tokens import StoredTokens
from bot.clock import Clock
from bot.domain.guard import is_approving_reaction
from bot.services.autohold import AutoHoldService, OwnMessage
from bot.services.erase import erase_workspace
from bot.services.guard import ChannelReaction
from bot.services.once import EventKey, claim_event
from bot.services.watch import ChannelMessage, OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    PersonRepository,
    WorkspaceRepository,
)

__all__ = ["After", "SlackEventEffects"]

log = logging.getLogger(__name__)

#: What is left of an event's handling once it is durable (run after the acknowledgement).
After = Callable[[], Awaitable[None]]


def _instant(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)


class SlackEventEffects:
    """Messages, ``app_uninstalled`` and ``tokens_revoked``: durable part first, then the rest."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        tokens: StoredTokens,
        watcher: OffHoursWatcher,
        clock: Clock,
        api_url: str,
        interactions: SlackInteractions | None = None,
        autohold: AutoHoldService | None = None,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._tokens = tokens
        self._watcher = watcher
        self._clock = clock
        self._api_url = api_url
        self._interactions = interactions
        self._autohold = autohold

    async def durable(self, body: dict[str, Any], event: dict[str, Any]) -> After | None:
        """Store the event's effect with its de-duplication row; return what follows the ack.

        Raises :class:`~bot.services.once.Duplicate` for a retried event already stored, and
        database errors as they come (the caller answers 503 then).
        """
        team = str(body.get("team_id", ""))
        key: EventKey | None = (
            ("slack", body["event_id"]) if isinstance(body.get("event_id"), str) else None
        )
        kind = event.get("type")
        if kind == "app_uninstalled":
            await self._forget(team, event=key)
            return None
        if kind == "tokens_revoked":
            return await self._revoked(team, event, key)
        if kind in ("reaction_added", "reaction_removed"):
            return await self._reaction(team, event, key)
        return await self._message(team, event, key)

    async def _reaction(
        self, team: str, event: dict[str, Any], key: EventKey | None
    ) -> After | None:
        """An approving reaction (✅ 👍) put on or taken off a message off hours in a watched
        channel: two people's make a decision, and the thread gets its guard."""
        item = event.get("item") if isinstance(event.get("item"), dict) else {}
        assert isinstance(item, dict)
        channel, ts = str(item.get("channel", "")), str(item.get("ts", ""))
        user, name = str(event.get("user", "")), str(event.get("reaction", ""))
        if item.get("type") != "message" or not channel or not ts or not user:
            return None
        try:
            at = _instant(str(event.get("event_ts", "")))
        except (ValueError, OverflowError, OSError):
            return None
        if not is_approving_reaction(name) or not await self._watcher.off_hours_in_watched(
            "slack", team, channel, at
        ):
            return None  # most reactions: no database work at all
        pending = await self._watcher.guard.on_reaction(
            ChannelReaction(
                platform="slack",
                workspace=team,
                conversation=channel,
                message_id=ts,
                person=user,
                reaction=name,
                at=at,
                added=event.get("type") == "reaction_added",
            ),
            event=key,
        )
        if pending is None:
            return None
        guard = self._watcher.guard

        async def post() -> None:
            await guard.post(pending)

        return post

    async def _message(
        self, team: str, event: dict[str, Any], key: EventKey | None
    ) -> After | None:
        if event.get("subtype") == "message_deleted":
            return await self._deleted(team, event, key)
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return None
        if _ours(event):
            return None  # a held message we delivered as its author: never labelled or held
        channel_type = event.get("channel_type")
        ts = str(event.get("ts", ""))
        user, channel = str(event["user"]), str(event.get("channel", ""))
        try:
            at = _instant(ts)
        except (ValueError, OverflowError, OSError):
            return None  # not a message Slack would send
        autohold = self._autohold
        if (
            autohold is not None
            and channel_type in ("channel", "group", "im")
            and await autohold.opted_in("slack", team, user)
        ):
            pending = await autohold.hold(
                OwnMessage(
                    platform="slack",
                    workspace=team,
                    conversation=channel,
                    message_id=ts,
                    author=user,
                    at=at,
                    text=str(event.get("text", "")),
                    thread=event.get("thread_ts") or None,
                    is_direct=channel_type == "im",
                ),
                event=key,
            )
            if pending is not None:

                async def settle() -> None:
                    held = await autohold.settle(pending)
                    if held is not None and self._interactions is not None:
                        client = await self._client(team)
                        if client is not None:
                            await self._interactions.tell_auto_held(
                                client, team, user, channel, held
                            )

                return settle
        if channel_type not in ("channel", "group"):
            return None
        thread = str(event.get("thread_ts") or ts)
        message = ChannelMessage(
            platform="slack",
            workspace=team,
            conversation=channel,
            thread=thread,
            author=user,
            at=at,
            text=str(event.get("text", "")),
            is_thread_root=thread == ts,
            message_id=ts,
        )
        # Only off-hours messages in watched channels have an effect, and in-hours ones while a
        # member of the channel is away: ``record`` writes nothing for the others.
        recorded = await self._watcher.record(message, event=key)
        if recorded is None:
            return None
        if not recorded.to_post:  # most off-hours messages: stored, nothing to post
            self._watcher.count_unposted(recorded)
            return None

        async def label() -> None:
            self._watcher.count(await self._watcher.label(recorded))

        return label

    async def _deleted(
        self, team: str, event: dict[str, Any], key: EventKey | None
    ) -> After | None:
        """A message was deleted: held replies into its thread go out at the channel's top
        (``AutoHoldService.thread_deleted``); nothing is written when none wait for it."""
        channel, deleted = event.get("channel"), event.get("deleted_ts")
        if self._autohold is None or not isinstance(channel, str):
            return None
        if not isinstance(deleted, str) or not deleted:
            return None
        autohold = self._autohold
        moved = await autohold.thread_deleted("slack", team, channel, deleted, event=key)
        if not moved:
            return None

        async def withdraw() -> None:
            await autohold.unschedule_moved("slack", moved)

        return withdraw

    async def _client(self, team: str) -> AsyncWebClient | None:
        token = await self._tokens(team, None)
        return None if token is None else AsyncWebClient(token=token, base_url=self._api_url)

    async def _revoked(
        self, team: str, event: dict[str, Any], key: EventKey | None
    ) -> After | None:
        tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
        assert isinstance(tokens, dict)
        if tokens.get("bot"):
            await self._forget(team, event=key)
            return None  # nobody can be told: the app has no token left in the workspace
        people = [str(person) for person in tokens.get("oauth") or []]
        if not people:
            return None
        told = await self._auto_hold_revoked(team, people, key)

        async def tell() -> None:
            # bolt does not authorise tokens_revoked events (its client has no token): use ours
            client = await self._client(team)
            if client is None or self._interactions is None:
                return
            for person, moved in told:
                await self._interactions.tell_auto_hold_off(client, team, person, moved)

        return tell if told else None

    async def _auto_hold_revoked(
        self, team: str, people: list[str], key: EventKey | None
    ) -> list[tuple[str, int]]:
        """People took back their user token: auto-hold stops, nothing they wrote is lost.

        Their held messages the outbox would have posted as them are posted by the bot naming
        them instead (the token to post as them is gone); ones Slack already has scheduled stay
        with Slack. Returns who is to be told privately, and how many of theirs moved.
        """
        now = self._clock.now()
        told: list[tuple[str, int]] = []
        async with self._sessions() as session, session.begin():
            await claim_event(session, key, now)
            workspace = await WorkspaceRepository(session).find("slack", team)
            if workspace is None:
                return []
            repo = PersonRepository(session, self._cipher)
            held = HeldMessageRepository(session, self._cipher)
            await erase_slack_user_tokens(session, team, people)
            for person in people:
                row = await repo.find(workspace.id, person)
                if row is None:
                    continue
                await repo.set_user_token(row, None, now=now)
                moved = await held.post_as_bot(workspace.id, person, now)
                told.append((person, moved))
        if self._autohold is not None:
            self._autohold.forget("slack", team)
        self._tokens.forget(team)
        return told

    async def _forget(self, team: str, *, event: EventKey | None = None) -> None:
        """The app was uninstalled: erase every row of the workspace (tokens, held messages,
        first lines, people, teams, activity; see bot.services.erase), with the event's
        de-duplication row in the same transaction."""
        async with self._sessions() as session, session.begin():
            await claim_event(session, event, self._clock.now())
            erased = await erase_workspace(session, "slack", team)
        if self._autohold is not None:
            self._autohold.forget("slack", team)
        self._tokens.forget(team)
        if erased is not None:
            log.info(
                "workspace %s uninstalled: %d row(s) erased (%d held message(s))",
                team,
                erased.total,
                erased.rows.get("held_messages", 0),
            )


def _ours(event: dict[str, Any]) -> bool:
    """Whether a message event is one of our own deliveries posted with the author's token
    (it carries our message metadata, :data:`~adapters.slack.platform.DELIVERY_EVENT`)."""
    metadata = event.get("metadata")
    return isinstance(metadata, dict) and metadata.get("event_type") == DELIVERY_EVENT
