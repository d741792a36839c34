"""The verbs everyone has: help, hours, status, later, urgent, digest, me."""

from __future__ import annotations

import logging

from bot.domain.calendar import HolidayRule
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import (
    HoursSyntaxError,
    display_spec,
    format_hours,
    names_holidays,
    parse_hours,
)
from bot.domain.markup import user_text
from bot.domain.policy import TeamPolicy, policy_label
from bot.domain.typed import typed_length, visible
from bot.domain.whose_hours import HoursSource, PersonHours
from bot.i18n import format_instant, normalize_locale, translate, translate_plural
from bot.services.commands.core import Caller
from bot.services.commands.days_off import DaysOffVerbs
from bot.services.commands.insight_text import personal_chart, personal_lines, since
from bot.services.commands.mydata import ERASE_WORDS, EXPORT_WORDS, MyDataVerbs
from bot.services.commands.recipients import PersonCheck, refusal
from bot.services.commands.replies import (
    CHANNEL,
    MAX_TEXT,
    MENTION,
    VERBS,
    Invocation,
    Reply,
    Section,
    held_buttons,
)
from bot.services.compose import (
    BotNotInConversationError,
    Composed,
    NotMemberError,
    NotReachableError,
    NotRecipientError,
)
from bot.services.directory import hours_of_person, person_from_row, policy_from_row, zone_or_utc
from bot.services.person_hours import hours_for, team_of_person
from bot.services.workspace_default import workspace_policy
from bot.storage.insight_queries import InsightQueries
from bot.storage.models import PersonRow
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import PersonRepository, TeamRepository

log = logging.getLogger(__name__)


class PersonalVerbs(MyDataVerbs, DaysOffVerbs):
    def _help_text(self, locale: str) -> str:
        lines = [translate("cmd.help.title", locale)]
        lines += [translate(f"cmd.help.{verb}", locale) for verb in VERBS]
        return "\n".join(lines)

    async def _help(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        return Reply.of(self._help_text(caller.locale), locale=caller.locale)

    # -- hours ---------------------------------------------------------------------------------

    def _my_hours(self, caller: Caller) -> WorkingHours | None:
        """The caller's own hours (minus their days off), if they have any."""
        person = person_from_row(caller.person)
        return None if person.hours is None else person.available(person.hours)

    def _open_line(self, hours: WorkingHours, caller: Caller) -> str:
        now = self._clock.now()
        if hours.is_open(now):
            closes = hours.next_close(now)
            if closes is None:
                return translate("cmd.hours.open_always", caller.locale)
            return translate(
                "cmd.hours.open_now", caller.locale, until=self._when(closes, hours, caller)
            )
        opens = hours.next_open(now)
        if opens is None:
            return translate("cmd.hours.never_opens", caller.locale)
        return translate(
            "cmd.hours.closed_now", caller.locale, when=self._when(opens, hours, caller)
        )

    async def _hours(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        locale = caller.locale
        words = rest.lower().split()
        if words and words[0] in ("clear", "reset", "fjern", "nullstill"):
            async with self._sessions() as session, session.begin():
                row = await PersonRepository(session).find(caller.workspace_id, call.person)
                assert row is not None
                await PersonRepository(session).set_hours(
                    row, None, source=None, now=self._clock.now()
                )
            whose = await self._whose_hours(call, caller)
            level = (
                "team"
                if whose is not None and whose.policy_from is HoursSource.TEAM
                else "workspace"
                if whose is not None and whose.policy is not None
                else "none"
            )
            return Reply.of(translate(f"cmd.hours.cleared.{level}", locale), locale=locale)
        if rest:
            # what the person leaves out comes from what applied to them until now: their
            # known zone (else the policy's), the policy's public holidays (team's, else the
            # workspace default's) unless they name some or say `holidays none`
            policy = await self._applicable_policy(call, caller)
            zone = (
                zone_or_utc(caller.person.tz)
                if caller.person.tz or policy is None
                else policy.hours.tz
            )
            kept = policy.hours.days_off if policy is not None else None
            if kept is not None and (names_holidays(rest) or not kept.country):
                kept = None
            try:
                hours = parse_hours(
                    rest,
                    default_tz=zone,
                    days_off=HolidayRule(kept.country, kept.subdivision) if kept else None,
                )
            except HoursSyntaxError as error:
                return Reply.of(error.message(locale), error=True, locale=locale)
            spec = format_hours(hours)
            async with self._sessions() as session, session.begin():
                row = await PersonRepository(session).find(caller.workspace_id, call.person)
                assert row is not None
                await PersonRepository(session).set_hours(
                    row, spec, source="personal", now=self._clock.now()
                )
            kept_line = (
                [
                    translate(
                        "cmd.hours.kept_holidays",
                        locale,
                        country=hours.days_off.country,
                        source=policy_label(policy, locale),
                    )
                ]
                if kept is not None and policy is not None
                else []
            )
            return Reply.of(
                translate("cmd.hours.saved", locale, spec=format_hours(hours, locale)),
                *kept_line,
                self._open_line(hours, caller),
                locale=locale,
            )
        mine = self._my_hours(caller)
        if mine is not None:
            return Reply.of(
                translate(
                    "cmd.hours.yours",
                    locale,
                    spec=display_spec(caller.person.hours_spec or "", locale),
                ),
                self._open_line(mine, caller),
                translate("cmd.hours.how_to_change", locale),
                locale=locale,
            )
        # Nothing set by the person: read the platform's schedule afresh (they asked), use it
        # as the default, and say so.
        if self._defaults is not None:
            await self._defaults.refresh_quietly(call.platform, call.workspace, call.person)
        whose = await self._whose_hours(call, caller)
        if whose is not None and whose.source is HoursSource.PLATFORM:
            texts = [
                translate(
                    f"cmd.hours.from_platform.{call.platform}",
                    locale,
                    spec=format_hours(whose.hours, locale),
                )
            ]
            if whose.days_from_policy:
                texts.append(self._days_line(whose, locale))
            texts += [
                self._open_line(whose.hours, caller),
                translate("cmd.hours.how_to_change", locale),
            ]
            return Reply.of(*texts, locale=locale)
        texts = [translate("cmd.hours.none", locale)]
        if whose is not None and whose.policy is not None:
            key = (
                "cmd.hours.team_default"
                if whose.policy_from is HoursSource.TEAM
                else "cmd.hours.workspace_default"
            )
            texts.append(
                translate(
                    key, locale, team=whose.policy.name, spec=format_hours(whose.hours, locale)
                )
            )
            texts.append(self._open_line(whose.hours, caller))
        texts.append(translate("cmd.hours.how_to_change", locale))
        return Reply.of(*texts, locale=locale)

    async def _applicable_policy(self, call: Invocation, caller: Caller) -> TeamPolicy | None:
        """The policy over the caller apart from hours of their own: their team's (one they
        lead, else this channel's), else the workspace default; None when neither exists."""
        async with self._sessions() as session:
            team = await team_of_person(
                session, caller.workspace_id, call.person, context=call.conversation
            )
            return (
                team if team is not None else await workspace_policy(session, caller.workspace_id)
            )

    async def _whose_hours(self, call: Invocation, caller: Caller) -> PersonHours | None:
        """The hours that decide for the caller (their own > their platform schedule > their
        team's > the workspace default), their team being one they lead or this channel's."""
        async with self._sessions() as session:
            team = await team_of_person(
                session, caller.workspace_id, call.person, context=call.conversation
            )
            return await hours_for(session, caller.workspace_id, call.person, team=team)

    @staticmethod
    def _days_line(whose: PersonHours, locale: str) -> str:
        if whose.policy is None:
            return translate("cmd.hours.days.weekdays", locale)
        if whose.policy_from is HoursSource.TEAM:
            return translate("cmd.hours.days.team", locale, team=whose.policy.name)
        return translate("cmd.hours.days.workspace", locale)

    @staticmethod
    def source_line(whose: PersonHours, platform: str, locale: str) -> str:
        """Where the caller's hours come from: "from your Slack notification schedule, with
        your team's days" is not "your own"."""
        spec = format_hours(whose.hours, locale)
        team = whose.policy.name if whose.policy is not None else ""
        if whose.source is HoursSource.PLATFORM:
            if platform != "slack" or not whose.days_from_policy:
                return translate("cmd.hours.source.teams", locale, spec=spec)
            if whose.policy is None:
                return translate("cmd.hours.source.slack.weekdays", locale, spec=spec)
            level = "team" if whose.policy_from is HoursSource.TEAM else "workspace"
            return translate(f"cmd.hours.source.slack.{level}", locale, spec=spec, team=team)
        return translate(f"cmd.hours.source.{whose.source.value}", locale, spec=spec, team=team)

    # -- status --------------------------------------------------------------------------------

    async def _status(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        locale = caller.locale
        await self.refresh_outlook(call.platform, call.workspace, call.person)
        caller.person = await self._reread(caller)
        whose = await self._whose_hours(call, caller)
        hours = whose.hours if whose is not None else None
        sections: list[Section] = []
        if whose is None:
            sections.append(Section(translate("cmd.status.no_hours", locale)))
        else:
            sections.append(Section(self._open_line(whose.hours, caller)))
            sections.append(Section(self.source_line(whose, call.platform, locale)))
        if self.days_off_lines(caller.person, locale, hours):
            section = self.days_off_section(caller.person, locale, hours)
            sections.append(Section(section, self.days_off_buttons(caller.person, locale)))
        mine = await self.held_by(caller.workspace_id, call.person)
        if mine:
            sections.append(Section(translate_plural("cmd.status.held_by_you", len(mine), locale)))
            sections += self.held_sections(mine, caller.person.tz, locale)
        else:
            sections.append(Section(translate("cmd.status.nothing_held_by_you", locale)))
        async with self._sessions() as session:
            waiting = await HeldMessageRepository(session, self._cipher).list_for_conversation(
                caller.workspace_id, call.person
            )
        if waiting:
            first = min(row.deliver_at for row in waiting)
            sections.append(
                Section(
                    translate_plural(
                        "cmd.status.held_for_you",
                        len(waiting),
                        locale,
                        when=self._when(first, hours, caller),
                    )
                )
            )
        return Reply(tuple(sections), locale=locale)

    # -- later / urgent ------------------------------------------------------------------------

    def _target(self, call: Invocation, rest: str) -> tuple[str, str | None, str]:
        """(conversation, recipient, text): ``@person text`` holds a DM from the bot to them."""
        head, _, tail = rest.partition(" ")
        mention = MENTION.match(head)
        if mention:
            return mention.group(1), mention.group(1), tail.strip()
        channel = CHANNEL.match(head)
        if channel:
            return channel.group(1), None, tail.strip()
        return call.conversation, None, rest

    async def _later(
        self, call: Invocation, caller: Caller, rest: str, *, urgent: bool = False
    ) -> Reply:
        locale = caller.locale
        verb = "urgent" if urgent else "later"
        conversation, recipient, text = self._target(call, rest)
        if recipient is not None and MENTION.match(text.partition(" ")[0]):
            # several people named: one held DM each would surprise; say how instead
            return Reply.of(translate("cmd.later.one_recipient", locale), error=True, locale=locale)
        if recipient is not None:  # compose checks too: the same answer, asked once
            check = await self._compose.recipients.check(call.platform, call.workspace, recipient)
            if check is not PersonCheck.PERSON:
                return Reply.of(refusal(check, recipient, locale), error=True, locale=locale)
        if not visible(text):  # spaces or zero-width characters only: nothing to post
            return Reply.of(translate(f"cmd.{verb}.empty", locale), error=True, locale=locale)
        length = typed_length(text, call.platform)  # as typed: Slack's &amp; counts as one
        if length > MAX_TEXT:
            return Reply.of(
                translate("cmd.later.too_long", locale, limit=MAX_TEXT, length=length),
                error=True,
                locale=locale,
            )
        if recipient is not None:  # their Outlook absence counts before deciding
            await self.refresh_outlook(call.platform, call.workspace, recipient)
        in_direct = recipient is None and conversation == call.conversation and call.direct
        if in_direct and not caller.person.auto_hold:
            return Reply.of(translate("cmd.later.in_dm", locale), error=True, locale=locale)
        try:
            composed = await self._compose.compose(
                platform=call.platform,
                workspace=call.workspace,
                author=call.person,
                conversation=conversation,
                recipient=recipient,
                text=text,
                urgent=urgent,
                author_name=caller.person.display_name or call.person_name,
                # typed in a thread, written for it: posted there (a reply), not at the top
                thread=call.thread if conversation == call.conversation else None,
                kind="later",
                as_author=in_direct,  # only as its author can it be posted in a direct message
                acting_in=call.conversation,
            )
        except BotNotInConversationError:
            return Reply.of(translate("cmd.later.bot_not_here", locale), error=True, locale=locale)
        except NotRecipientError as error:
            return Reply.of(
                refusal(error.check, error.recipient, locale), error=True, locale=locale
            )
        except NotReachableError as error:
            return Reply.of(
                translate("cmd.later.guest_unreachable", locale, person=f"<@{error.recipient}>"),
                error=True,
                locale=locale,
            )
        except NotMemberError:
            return Reply.of(
                translate("cmd.later.not_member", locale, channel=f"<#{conversation}>"),
                error=True,
                locale=locale,
            )
        except Exception:  # one transaction: when it fails, nothing was stored
            log.exception("a message could not be held")
            return Reply.of(
                translate("cmd.later.not_held", locale, text=user_text(text)),
                error=True,
                locale=locale,
            )
        try:
            return self._composed_reply(composed, caller, urgent=urgent)
        except Exception:  # it is stored: say so, whatever went wrong after
            log.exception("the answer to a held message could not be written")
            return Reply.of(translate("cmd.later.held_no_details", locale), locale=locale)

    def _composed_reply(self, composed: Composed, caller: Caller, *, urgent: bool) -> Reply:
        locale = caller.locale
        decision = composed.decision
        why = decision.explain(locale, now=self._clock.now())
        if urgent and decision.urgent:
            return Reply.of(translate("cmd.urgent.sent", locale), why, locale=locale)
        if decision.held:
            when = self._when(decision.deliver_at, None, caller)
            lead = "cmd.urgent.refused_held" if urgent else "cmd.later.held"
            return Reply(
                (
                    Section(translate(lead, locale, when=when)),
                    Section(why, held_buttons(composed.held_id, locale)),
                ),
                locale=locale,
            )
        return Reply.of(translate("cmd.later.sent_now", locale), why, locale=locale)

    async def _urgent(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        return await self._later(call, caller, rest, urgent=True)

    # -- digest --------------------------------------------------------------------------------

    async def _digest(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        locale = caller.locale
        if caller.team is None or caller.policy is None:
            return Reply.of(translate("cmd.no_team", locale), error=True, locale=locale)
        # this channel's: what its own digest message will list (the team's other channels
        # have theirs); and shown only to its members (checked again: defence in depth)
        threads, first_lines = await self._digests.preview_with_lines(
            caller.team.id, call.conversation
        )
        visible = await self.visible_to(call, {thread.conversation for thread in threads})
        threads = [thread for thread in threads if thread.conversation in visible]
        now = self._clock.now()
        due = caller.policy.next_digest_at(now)
        when = (
            self._when(due, caller.policy.hours, caller)
            if due
            else translate("check.never", locale)
        )
        if not threads:
            return Reply.of(translate("cmd.digest.empty", locale, when=when), locale=locale)
        lines = [translate_plural("cmd.digest.preview", len(threads), locale, when=when)]
        for thread in threads[:20]:
            line = translate(
                "cmd.digest.thread",
                locale,
                where=f"<#{thread.conversation}>",
                # in the reader's own zone (named only when theirs is unknown: the team's)
                when=format_instant(
                    thread.first_at,
                    self._reader_zone(caller.policy.hours, caller),
                    locale,
                    now=now,
                    with_zone=not caller.person.tz,
                ),
                messages=translate_plural("count.messages", thread.messages, locale),
                people=translate_plural("count.people", thread.people, locale),
            )
            if thread.looks_decided:
                line += translate("digest.decided", locale)
            first = first_lines.get((thread.conversation, thread.thread))
            lines.append(line + (f"\n> {first}" if first else ""))
        return Reply.of("\n".join(lines), locale=locale)

    # -- me ------------------------------------------------------------------------------------

    async def _me(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        """The caller's own insight (this week and a 4-week trend, with a heatmap); shown to
        no one else."""
        head = rest.strip().lower().split()[:1]
        if head and head[0] in EXPORT_WORDS + ERASE_WORDS:
            return await self._my_data(call, caller, rest)
        locale = caller.locale
        insight = await self.insights.personal(
            caller.workspace_id,
            call.person,
            tz=zone_or_utc(caller.person.tz),
            hours=await self._hours_for_insight(caller),
        )
        if insight.empty:
            first = since(insight.weeks[0].week, locale)
            return Reply.of(
                translate("cmd.me.none", locale, since=first),
                translate("cmd.me.private", locale),
                locale=locale,
            )
        texts = [*personal_lines(insight, locale), translate("cmd.me.private", locale)]
        return Reply(
            tuple(Section(text) for text in texts),
            locale=locale,
            chart=await personal_chart(insight, locale),
        )

    async def _hours_for_insight(self, caller: Caller) -> WorkingHours | None:
        return await self.insight_hours(caller.workspace_id, caller.person, caller.policy)

    async def insight_hours(
        self, workspace_id: int, person: PersonRow, policy: TeamPolicy | None
    ) -> WorkingHours | None:
        """The hours "outside hours" means for ``person``, by the precedence that decides for
        them everywhere (``hours_of_person``): their own > their platform schedule > the team
        (``policy``: of the channel they typed in; else the team's where they last wrote
        off-hours) > the workspace default; None when nothing applies."""
        async with self._sessions() as session:
            team = policy
            if team is None:
                team_id = await InsightQueries(session).latest_team(
                    workspace_id, person.external_id
                )
                teams = TeamRepository(session)
                row = await teams.get(team_id) if team_id is not None else None
                if row is not None:
                    team = policy_from_row(
                        row,
                        leaders=await teams.leaders(row.id),
                        channels=await teams.channels(row.id),
                    )
            default = await workspace_policy(session, workspace_id)
        found = hours_of_person(person, team=team, default=default)
        return found.hours if found is not None else None

    async def my_week(self, workspace_id: int, person: PersonRow) -> list[str]:
        """This week's figures for the person's own home page (empty when there are none)."""
        locale = normalize_locale(person.locale)
        insight = await self.insights.personal(
            workspace_id,
            person.external_id,
            tz=zone_or_utc(person.tz),
            hours=await self.insight_hours(workspace_id, person, None),
        )
        if insight.empty:
            return []
        return [personal_lines(insight, locale)[0], translate("home.insight.more", locale)]

    # -- team (leaders) ------------------------------------------------------------------------
