"""The `team` verbs: a leader's settings for the channel's team policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.guard import parse_grace
from bot.domain.hours_syntax import HoursSyntaxError, format_hours, parse_hours
from bot.domain.policy import Mode, ModeNotAllowedError, TeamPolicy, UrgentWho
from bot.domain.typed import visible
from bot.i18n import translate
from bot.presets import PresetError, list_presets
from bot.services.commands.core import Caller, guard_summary
from bot.services.commands.recipients import PersonCheck, check_person, refusal
from bot.services.commands.replies import (
    CLOCK,
    DAYS,
    DAYS_NB,
    MENTION,
    Invocation,
    Reply,
)
from bot.services.commands.team_audience import TeamAudienceVerbs
from bot.services.commands.team_insight import TeamInsightVerbs
from bot.services.commands.team_watch import TeamWatchVerbs
from bot.services.directory import policy_from_row
from bot.services.team_rules import vet_team_hours
from bot.services.team_start import team_start
from bot.storage.repositories import (
    PersonRepository,
    TeamRepository,
)

#: Every `team` subcommand, by its English word, with its bokmål words (and English synonyms):
#: each has at least one bokmål word, and the bokmål help names it (tests/unit/test_aliases.py).
TEAM_WORDS: dict[str, tuple[str, ...]] = {
    "show": ("vis",),
    "create": ("opprett", "new", "ny"),
    "insight": ("innsikt",),
    "hours": ("timer", "arbeidstid"),
    "mode": ("modus",),
    "digest": ("oppsummering",),
    "watch": ("overvåk",),
    "unwatch": ("stopp", "slutt"),
    "leader": ("leder",),
    "urgent": ("haster",),
    "audience": ("publikum",),
    "guard": ("vakt",),
    "language": ("språk",),
}
#: Each other word for a subcommand onto its English word.
TEAM_ALIASES = {alias: sub for sub, aliases in TEAM_WORDS.items() for alias in aliases}


class TeamVerbs(TeamAudienceVerbs, TeamInsightVerbs, TeamWatchVerbs):
    async def _team(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        locale = caller.locale
        sub, _, args = rest.strip().partition(" ")
        sub, args = sub.lower(), args.strip()
        sub = TEAM_ALIASES.get(sub, sub)
        if sub == "create":
            return await self._team_create(call, caller, args)
        if sub == "insight":  # anywhere: a leader may ask in a direct message
            return await self._team_insight(call, caller, args)
        if caller.team is None or caller.policy is None:
            return Reply.of(translate("cmd.team.none_here", locale), locale=locale)
        if not sub or sub == "show":
            return Reply.of(
                await self.team_summary(caller.team, caller.policy, locale), locale=locale
            )
        if not (caller.policy.is_leader(call.person) or await self._is_admin(call, caller)):
            leaders = ", ".join(f"<@{p}>" for p in sorted(caller.policy.leaders)) or "—"
            return Reply.of(
                translate("cmd.team.leaders_only", locale, leaders=leaders),
                error=True,
                locale=locale,
            )
        setters: dict[str, Callable[[Invocation, Caller, str], Awaitable[Reply]]] = {
            "hours": self._team_hours,
            "mode": self._team_mode,
            "digest": self._team_digest,
            "watch": self._team_watch,
            "unwatch": self._team_unwatch,
            "leader": self._team_leader,
            "urgent": self._team_urgent,
            "audience": self._team_audience,
            "guard": self._team_guard,
            "language": self._team_language,
        }
        setter = setters.get(sub)
        if setter is None:
            return Reply.of(translate("cmd.team.usage", locale), error=True, locale=locale)
        return await setter(call, caller, args)

    async def _update_team(self, caller: Caller, **fields: object) -> TeamPolicy:
        """Write the fields, re-read the policy (raising if a preset refuses it)."""
        assert caller.team is not None
        async with self._sessions() as session, session.begin():
            teams = TeamRepository(session)
            team = await teams.get(caller.team.id)
            assert team is not None
            await teams.update(team, now=self._clock.now(), **fields)
            policy = policy_from_row(
                team, leaders=await teams.leaders(team.id), channels=await teams.channels(team.id)
            )
        return policy

    async def _team_create(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        if caller.team is not None:
            return Reply.of(
                translate("cmd.team.already", locale, name=caller.team.name),
                error=True,
                locale=locale,
            )
        why = await self.not_a_team_channel(call, call.conversation)
        if why is not None:  # a team watches the channel it is created in: a channel
            where = f"<#{call.conversation}>"
            return Reply.of(translate(why, locale, channel=where), error=True, locale=locale)
        if not await self._is_admin(call, caller):
            return Reply.of(translate("cmd.team.admins_create", locale), error=True, locale=locale)
        words = args.split()
        if not words:
            return Reply.of(translate("cmd.team.create_usage", locale), error=True, locale=locale)
        preset_name = words[-1] if len(words) > 1 and words[-1] in list_presets() else None
        # the name is shown in digests the bot posts: no markup (a broadcast) can hide in it
        name = " ".join(words[:-1] if preset_name else words).replace("<", "").replace(">", "")
        name = name.strip()[:100]
        if not visible(name):  # a name of zero-width characters would show as nothing
            return Reply.of(translate("cmd.team.create_usage", locale), error=True, locale=locale)
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            teams = TeamRepository(session)
            if await teams.by_name(caller.workspace_id, name) is not None:
                return Reply.of(
                    translate("cmd.team.name_taken", locale, name=name), error=True, locale=locale
                )
            try:  # the workspace default's preset, zone and holidays unless a preset is named
                start = await team_start(
                    session,
                    caller.workspace_id,
                    preset_name=preset_name,
                    creator_tz=caller.person.tz,
                    creator_locale=caller.person.locale,
                )
            except PresetError:
                return Reply.of(
                    translate("cmd.team.create_usage", locale), error=True, locale=locale
                )
            verdict = vet_team_hours(start.preset.name, start.hours)
            if verdict.refused:  # a preset's own hours pass when it loads; keep every path guarded
                return Reply.of(*verdict.refusal_lines(locale), error=True, locale=locale)
            team = await teams.create(
                caller.workspace_id, name, now=now, locale=locale, **start.fields()
            )
            await teams.watch(team, call.conversation)
            person = await PersonRepository(session).find(caller.workspace_id, call.person)
            assert person is not None
            await teams.add_leader(team.id, person.id)
            policy = policy_from_row(team, leaders=[call.person], channels=[call.conversation])
            summary = await self.team_summary(team, policy, locale)
        return Reply.of(translate("cmd.team.created", locale, name=name), summary, locale=locale)

    async def _team_hours(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        assert caller.policy is not None
        if not args:
            return Reply.of(
                translate("cmd.team.hours", locale, spec=format_hours(caller.policy.hours, locale)),
                locale=locale,
            )
        try:
            hours = parse_hours(args, default_tz=caller.policy.hours.tz)
        except HoursSyntaxError as error:
            return Reply.of(error.message(locale), error=True, locale=locale)
        verdict = vet_team_hours(caller.team.preset if caller.team else None, hours)
        if verdict.refused:
            return Reply.of(*verdict.refusal_lines(locale), error=True, locale=locale)
        policy = await self._update_team(caller, hours_spec=format_hours(hours))
        texts = [
            translate("cmd.team.saved", locale),
            translate("cmd.team.hours", locale, spec=format_hours(policy.hours, locale)),
        ]
        return Reply.of(*texts, *verdict.warning_lines(locale), locale=locale)

    async def _team_mode(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        assert caller.policy is not None
        names = {
            "hold": Mode.HOLD,
            "hold-back": Mode.HOLD,
            "hold_back": Mode.HOLD,
            "hold tilbake": Mode.HOLD,
            "hold-tilbake": Mode.HOLD,
            "label": Mode.LABEL,
            "merk": Mode.LABEL,
            "off": Mode.OFF,
            "av": Mode.OFF,
        }
        mode = names.get(args.lower().strip())
        if mode is None:
            return Reply.of(translate("cmd.team.mode_usage", locale), error=True, locale=locale)
        if mode not in caller.policy.allowed_modes:
            error = ModeNotAllowedError(
                mode,
                caller.policy.preset or caller.policy.name,
                caller.policy.mode_restriction_reason,
            )
            return Reply.of(
                translate(
                    "policy.error.mode_not_allowed",
                    locale,
                    preset=error.preset,
                    mode=mode.value,
                    why=error.why,
                ),
                error=True,
                locale=locale,
            )
        await self._update_team(caller, mode=mode.value)
        return Reply.of(
            translate("cmd.team.saved", locale),
            translate("cmd.team.mode", locale, mode=translate(f"cmd.mode.{mode.value}", locale)),
            locale=locale,
        )

    async def _team_digest(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        words = args.lower().split()
        fields: dict[str, object] = {}
        for word in words:
            if word in ("auto", "default", "standard"):
                fields["digest_weekday"] = None
                fields["digest_at"] = None
            elif word in ("dm", "person", "personal", "personlig"):
                fields["digest_target"] = "dm"
            elif word in ("channel", "kanal"):
                fields["digest_target"] = "channel"
            elif word[:3] in DAYS or word[:3] in DAYS_NB:
                fields["digest_weekday"] = DAYS.get(word[:3], DAYS_NB.get(word[:3]))
            elif (clock := CLOCK.match(word)) is not None:
                fields["digest_at"] = f"{int(clock.group(1)):02d}:{clock.group(2) or '00'}"
            else:
                return Reply.of(
                    translate("cmd.team.digest_usage", locale, token=word[:40]),
                    error=True,
                    locale=locale,
                )
        if not fields:
            return Reply.of(
                translate("cmd.team.digest_usage", locale, token=""), error=True, locale=locale
            )
        if (
            fields.get("digest_weekday") is not None
            and "digest_at" not in fields
            and (caller.team and not caller.team.digest_at)
        ):
            fields["digest_at"] = "08:00"
        policy = await self._update_team(caller, **fields)
        assert caller.team is not None
        async with self._sessions() as session:
            team = await TeamRepository(session).get(caller.team.id)
            assert team is not None
            summary = await self.team_summary(team, policy, locale)
        return Reply.of(translate("cmd.team.saved", locale), summary, locale=locale)

    async def _team_leader(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        words = args.split()
        if (
            len(words) != 2
            or words[0].lower() not in ("add", "remove", "legg", "fjern")
            or not MENTION.match(words[1])
        ):
            return Reply.of(translate("cmd.team.leader_usage", locale), error=True, locale=locale)
        match = MENTION.match(words[1])
        assert match is not None and caller.team is not None and caller.policy is not None
        who = match.group(1)
        adding = words[0].lower() in ("add", "legg")
        if adding:  # a leader must be a real, active person of this workspace
            check = await check_person(self._people, call.workspace, who)
            if check is not PersonCheck.PERSON:
                return Reply.of(refusal(check, who, locale), error=True, locale=locale)
        elif who in caller.policy.leaders and not await self._others_lead(
            call, caller.policy.leaders - {who}
        ):  # never leave a team with no leader (nor with only ids that are nobody)
            return Reply.of(translate("cmd.team.last_leader", locale), error=True, locale=locale)
        async with self._sessions() as session, session.begin():
            person = await PersonRepository(session).get_or_create(
                caller.workspace_id, who, now=self._clock.now()
            )
            teams = TeamRepository(session)
            if adding:
                await teams.add_leader(caller.team.id, person.id)
            else:
                await teams.remove_leader(caller.team.id, person.id)
        key = "cmd.team.leader_added" if adding else "cmd.team.leader_removed"
        return Reply.of(
            translate(key, locale, who=f"<@{who}>", name=caller.team.name), locale=locale
        )

    async def _others_lead(self, call: Invocation, others: frozenset[str]) -> bool:
        """Whether any of ``others`` is a real, active person who can lead."""
        for other in sorted(others):
            if await check_person(self._people, call.workspace, other) is PersonCheck.PERSON:
                return True
        return False

    async def _team_urgent(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        names = {
            "anyone": UrgentWho.ANYONE,
            "alle": UrgentWho.ANYONE,
            "leaders": UrgentWho.LEADERS,
            "ledere": UrgentWho.LEADERS,
            "nobody": UrgentWho.NOBODY,
            "ingen": UrgentWho.NOBODY,
        }
        who = names.get(args.lower().strip())
        if who is None:
            return Reply.of(translate("cmd.team.urgent_usage", locale), error=True, locale=locale)
        await self._update_team(caller, urgent_who=who.value)
        return Reply.of(
            translate("cmd.team.saved", locale),
            translate(
                "cmd.team.urgent", locale, who=translate(f"cmd.urgent_who.{who.value}", locale)
            ),
            locale=locale,
        )

    async def _team_guard(self, call: Invocation, caller: Caller, args: str) -> Reply:
        """`team guard 4h|90m|off`: the decision guard's grace period, in working time."""
        locale = caller.locale
        try:
            grace = parse_grace(args)
        except ValueError:
            return Reply.of(translate("cmd.team.guard_usage", locale), error=True, locale=locale)
        minutes = 0 if grace is None else int(grace.total_seconds() // 60)
        await self._update_team(caller, guard_minutes=minutes)
        return Reply.of(
            translate("cmd.team.saved", locale),
            guard_summary(minutes, locale),
            locale=locale,
        )

    async def _team_language(self, call: Invocation, caller: Caller, args: str) -> Reply:
        value = args.strip().lower()
        if value not in ("en", "nb", "no", "english", "norsk", "engelsk"):
            return Reply.of(
                translate("cmd.team.language_usage", caller.locale),
                error=True,
                locale=caller.locale,
            )
        locale = "en" if value in ("en", "english", "engelsk") else "nb"
        await self._update_team(caller, locale=locale)
        return Reply.of(
            translate(
                "cmd.team.language_saved",
                caller.locale,
                language=translate(f"language.{locale}", caller.locale),
            ),
            locale=caller.locale,
        )
