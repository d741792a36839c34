"""Which conversations a team watches: `team watch|unwatch`, and what may be a team's channel.

A team is made for channels. A direct message or a group DM is a conversation between people,
not a channel: watched, its private messages would get labels, digests and guards in front of
a team. A channel the bot cannot see (a private channel it is not in) could be neither labelled
nor summed up. Both are refused, for `team create` (typed there) and `team watch`, on every
platform; `team unwatch` always works, so nothing watched can get stuck.
"""

from __future__ import annotations

from bot.i18n import translate
from bot.services.commands.core import Caller, CommandBase
from bot.services.commands.replies import CHANNEL, Invocation, Reply
from bot.storage.repositories import TeamRepository

__all__ = ["TeamWatchVerbs"]


class TeamWatchVerbs(CommandBase):
    async def not_a_team_channel(self, call: Invocation, channel: str) -> str | None:
        """Why ``channel`` cannot be a team's (a catalog key: a direct message or group DM, or
        one the bot cannot see), or None when it can. One platform call at most per question,
        each cached (``ComposeService``'s membership and group-DM lookups)."""
        if channel == call.conversation and call.direct:
            return "cmd.team.not_a_channel"
        if call.platform == "slack" and channel.startswith("D"):
            return "cmd.team.not_a_channel"  # Slack's direct messages are D…, wherever named
        compose = self._compose
        if await compose.audiences.is_group_chat(call.platform, call.workspace, channel):
            return "cmd.team.not_a_channel"
        if not await compose.bot_can_post(call.platform, call.workspace, channel):
            return "cmd.team.bot_not_in_channel"
        return None

    def _channel_arg(self, call: Invocation, args: str) -> str | None:
        if not args:
            return call.conversation
        match = CHANNEL.match(args.split()[0])
        return match.group(1) if match else None

    async def _team_watch(
        self, call: Invocation, caller: Caller, args: str, *, watched: bool = True
    ) -> Reply:
        """Watch (or stop watching) a channel: only one that is this team's or nobody's.

        A channel of another team is that team's business: its leaders alone may stop watching
        it, and only a workspace admin may move it to this team (its threads would then show
        in this team's digest). A leader watches only channels they are a member of, so a
        digest never shows threads of a (private) channel its readers could not open; and only
        channels (:meth:`not_a_team_channel`). Watching one already watched says so.
        """
        locale = caller.locale
        channel = self._channel_arg(call, args)
        if channel is None:
            return Reply.of(translate("cmd.team.channel_usage", locale), error=True, locale=locale)
        assert caller.team is not None
        where = f"<#{channel}>"
        if watched:
            why = await self.not_a_team_channel(call, channel)
            if why is not None:
                return Reply.of(translate(why, locale, channel=where), error=True, locale=locale)
        async with self._sessions() as session:
            repository = TeamRepository(session)
            owner = await repository.for_channel(caller.workspace_id, channel)
            ours = owner is not None and owner.id == caller.team.id
            # a channel stays the team's after `unwatch`, no longer watched
            watching = ours and channel in await repository.channels(caller.team.id)
        if not watched and not ours:
            key = "cmd.team.channel_not_ours" if owner is None else "cmd.team.channel_taken"
            return Reply.of(
                translate(
                    key,
                    locale,
                    channel=where,
                    name=caller.team.name,
                    owner=owner.name if owner else "",
                ),
                error=True,
                locale=locale,
            )
        moving = watched and owner is not None and not ours
        if moving and not await self._is_admin(call, caller):
            assert owner is not None
            return Reply.of(
                translate(
                    "cmd.team.channel_taken",
                    locale,
                    channel=where,
                    owner=owner.name,
                    name=caller.team.name,
                ),
                error=True,
                locale=locale,
            )
        if watched and channel not in await self.visible_to(call, [channel]):
            return Reply.of(
                translate("cmd.team.channel_not_member", locale, channel=where),
                error=True,
                locale=locale,
            )
        if watched and watching:  # nothing to change: say it was so already
            return Reply.of(
                translate("cmd.team.already_watched", locale, channel=where, name=caller.team.name),
                locale=locale,
            )
        async with self._sessions() as session, session.begin():
            teams = TeamRepository(session)
            team = await teams.get(caller.team.id)
            assert team is not None
            current = await teams.for_channel(caller.workspace_id, channel)
            if (current is not None and current.id != team.id) and not moving:
                return Reply.of(translate("cmd.error", locale), error=True, locale=locale)
            await teams.watch(team, channel, watched=watched)
        if moving:
            assert owner is not None
            return Reply.of(
                translate(
                    "cmd.team.channel_moved",
                    locale,
                    channel=where,
                    owner=owner.name,
                    name=caller.team.name,
                ),
                locale=locale,
            )
        key = "cmd.team.watching" if watched else "cmd.team.unwatched"
        return Reply.of(translate(key, locale, channel=where, name=caller.team.name), locale=locale)

    async def _team_unwatch(self, call: Invocation, caller: Caller, args: str) -> Reply:
        return await self._team_watch(call, caller, args, watched=False)
