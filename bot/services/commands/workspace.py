"""The `workspace` verb: show the workspace default policy; admins change it.

``/quiet workspace [show | preset NAME | tz ZONE | country CC|none | mode hold|label|off]``
(Norwegian: ``arbeidsområde [vis | preset | sone | land | modus]``). Anyone may look; only a
workspace admin or owner (Slack ``users.info`` ``is_admin``/``is_owner``; a Teams team owner)
or the person who installed the app may change it. Turning protection off takes two steps:
``mode off`` explains what it means and asks for ``mode off confirm`` (``bekreft``).
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from bot.domain.calendar import UnknownCountryError, validate_country
from bot.domain.policy import Mode
from bot.domain.workspace_default import valid_zone
from bot.i18n import translate
from bot.presets import list_presets, load_preset
from bot.services.commands.core import Caller, CommandBase
from bot.services.commands.replies import CONFIRM_WORDS, Invocation, Reply
from bot.services.workspace_default import describe_default, ensure_workspace_default
from bot.storage.models import WorkspaceDefaultRow
from bot.storage.workspace_defaults import WorkspaceDefaultRepository

__all__ = ["WorkspaceVerbs", "zone_named"]

_SHOW = ("", "show", "vis")
_PRESET = ("preset", "mal")
_ZONE = ("tz", "zone", "sone", "tidssone")
_COUNTRY = ("country", "land", "holidays", "helligdager")
_MODE = ("mode", "modus")
_CONFIRM = CONFIRM_WORDS
#: words only a bokmål speaker types: the confirmation we ask for is then ``bekreft``
_NORWEGIAN = ("arbeidsområde", "arbeidsomrade", "modus", "av", "på", "merk", "hold-tilbake")
_NONE = ("none", "ingen", "-")


FORM_FIELDS = ("preset", "tz", "country", "mode", "confirm")


class WorkspaceVerbs(CommandBase):
    async def change_default(
        self, platform: str, workspace: str, person: str, form: dict[str, str]
    ) -> tuple[str | None, str]:
        """A form's change to the workspace default (App Home, a Teams card): ``form`` holds
        ``preset``, ``tz``, ``country`` (empty: none), ``mode`` and ``confirm``. The same verbs
        and checks as typed, and the same rule for turning protection off: a form choosing
        ``off`` (when the default is not off already) must also carry ``confirm`` (a ticked
        "Yes, turn protection off" box, value ``confirm``), as ``mode off`` asks for
        ``mode off confirm``. Who may change it, the zone, the country and the confirmation are
        checked before anything is saved, so a refusal leaves nothing half changed. Returns
        (the field refused, why: one complete sentence) or (None, the default in words)."""
        caller = await self._caller(Invocation(platform, workspace, person, "", ""))
        locale = caller.locale
        row = await self._workspace_row(caller)
        call = Invocation(platform, workspace, person, "", "")
        if not (person == row.installed_by or await self._is_admin(call, caller)):
            return "preset", translate("modal.workspace.admins_only", locale)
        tz, country, mode = form.get("tz", ""), form.get("country", ""), form.get("mode", "")
        if valid_zone(zone_named(tz)) is None:
            return "tz", translate("cmd.workspace.bad_zone", locale, zone=tz[:60] or "—")
        if country and country.lower() not in _NONE:
            try:
                validate_country(country.upper())
            except UnknownCountryError:
                why = translate("cmd.workspace.bad_country", locale, country=country[:20])
                return "country", why
        confirmed = form.get("confirm", "").strip().lower() in _CONFIRM
        if mode == Mode.OFF.value and row.mode != Mode.OFF.value and not confirmed:
            return "confirm", translate("modal.workspace.off_unconfirmed", locale)
        steps = {
            "preset": f"preset {form.get('preset', '')}",
            "tz": f"tz {tz}",
            "country": f"country {country or 'none'}",
            "mode": f"mode {mode} confirm" if mode == Mode.OFF.value else f"mode {mode}",
        }
        reply = None
        for field_name, words in steps.items():
            reply = await self._run_one(Invocation(platform, workspace, person, "", words))
            if reply.error:
                return field_name, reply.sections[0].text
        assert reply is not None
        return None, reply.text

    async def _run_one(self, call: Invocation) -> Reply:
        caller = await self._caller(call)
        return await self._workspace(call, caller, call.text)

    async def _workspace_row(self, caller: Caller) -> WorkspaceDefaultRow:
        """The default; made from the caller's zone and language if the workspace has none
        (an install from before defaults existed, or a token-mode workspace)."""
        async with self._sessions() as session, session.begin():
            row, _ = await ensure_workspace_default(
                session,
                caller.workspace_id,
                tz=caller.person.tz,
                locale=caller.person.locale,
                now=self._clock.now(),
                source="first_seen",
            )
            session.expunge(row)
        return row

    async def _workspace(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        locale = caller.locale
        sub, _, args = rest.strip().partition(" ")
        sub, args = sub.lower(), args.strip()
        row = await self._workspace_row(caller)
        if sub in _SHOW:
            lines = describe_default(row, locale)
            return Reply.of(
                "\n".join(lines), translate("cmd.workspace.usage", locale), locale=locale
            )
        if sub not in _PRESET + _ZONE + _COUNTRY + _MODE:
            return Reply.of(translate("cmd.workspace.usage", locale), error=True, locale=locale)
        if not (call.person == row.installed_by or await self._is_admin(call, caller)):
            return Reply.of(
                translate("cmd.workspace.admins_only", locale),
                "\n".join(describe_default(row, locale)),
                error=True,
                locale=locale,
            )
        if sub in _PRESET:
            return await self._workspace_preset(call, caller, args)
        if sub in _ZONE:
            return await self._workspace_zone(call, caller, args)
        if sub in _COUNTRY:
            return await self._workspace_country(call, caller, args)
        return await self._workspace_mode(call, caller, args)

    async def _change_default(self, call: Invocation, caller: Caller, **fields: object) -> Reply:
        locale = caller.locale
        async with self._sessions() as session, session.begin():
            repo = WorkspaceDefaultRepository(session)
            row = await repo.find(caller.workspace_id)
            assert row is not None  # made by _workspace_row first
            await repo.change(row, now=self._clock.now(), changed_by=call.person, **fields)
            session.expunge(row)
        return Reply.of(
            translate("cmd.workspace.changed", locale),
            "\n".join(describe_default(row, locale)),
            locale=locale,
        )

    async def _workspace_preset(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        name = args.lower()
        if name not in list_presets():
            return Reply.of(
                translate(
                    "cmd.workspace.bad_preset",
                    locale,
                    name=args[:40] or "—",
                    presets=", ".join(f"`{p}`" for p in list_presets()),
                ),
                error=True,
                locale=locale,
            )
        fields: dict[str, object] = {"preset": name}
        preset = load_preset(name)
        async with self._sessions() as session:
            row = await WorkspaceDefaultRepository(session).find(caller.workspace_id)
        if (
            row is not None
            and row.mode != Mode.OFF.value
            and Mode(row.mode) not in preset.allowed_modes
        ):
            fields["mode"] = preset.mode.value  # e.g. Portugal's art. 199.º-A: hold only
        return await self._change_default(call, caller, **fields)

    async def _workspace_zone(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        zone = valid_zone(zone_named(args))
        if zone is None:
            return Reply.of(
                translate("cmd.workspace.bad_zone", locale, zone=args[:60] or "—"),
                error=True,
                locale=locale,
            )
        return await self._change_default(call, caller, tz=zone)

    async def _workspace_country(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        if args.lower() in _NONE:
            return await self._change_default(call, caller, country=None)
        code = args.upper()
        try:
            validate_country(code)
        except UnknownCountryError:
            return Reply.of(
                translate("cmd.workspace.bad_country", locale, country=args[:20] or "—"),
                error=True,
                locale=locale,
            )
        return await self._change_default(call, caller, country=code)

    async def _workspace_mode(self, call: Invocation, caller: Caller, args: str) -> Reply:
        locale = caller.locale
        words = args.lower().split()
        if words[:2] == ["hold", "tilbake"]:  # bokmål's two words for one mode
            words = ["hold-tilbake", *words[2:]]
        modes = {"hold": Mode.HOLD, "label": Mode.LABEL, "off": Mode.OFF, "av": Mode.OFF}
        modes |= {"hold-tilbake": Mode.HOLD, "merk": Mode.LABEL, "on": Mode.HOLD, "på": Mode.HOLD}
        mode = modes.get(words[0]) if words else None
        if mode is None:
            return Reply.of(
                translate("cmd.workspace.mode_usage", locale), error=True, locale=locale
            )
        if mode is Mode.OFF and not (len(words) == 2 and words[1] in _CONFIRM):
            # the confirmation is exactly one word: "off confirm please" is not a yes
            refused = len(words) > 1
            return Reply.of(
                translate(
                    "cmd.workspace.off_confirm", locale, command=_confirm_command(call, locale)
                ),
                error=refused,
                locale=locale,
            )
        if len(words) > 1 and mode is not Mode.OFF:
            return Reply.of(
                translate("cmd.workspace.mode_usage", locale), error=True, locale=locale
            )
        async with self._sessions() as session:
            row = await WorkspaceDefaultRepository(session).find(caller.workspace_id)
        assert row is not None
        preset = load_preset(row.preset) if row.preset in list_presets() else None
        if preset is not None and mode is not Mode.OFF and mode not in preset.allowed_modes:
            return Reply.of(
                translate(
                    "cmd.workspace.mode_refused",
                    locale,
                    mode=mode.value,
                    preset=row.preset,
                    why=preset.mode_restriction,
                ),
                error=True,
                locale=locale,
            )
        return await self._change_default(call, caller, mode=mode.value)


def _confirm_command(call: Invocation, locale: str) -> str:
    """The command that turns protection off, in the words the person used, with the
    confirmation in their language: ``arbeidsområde modus av bekreft`` for ``arbeidsområde
    modus av``, ``workspace mode off confirm`` for ``workspace mode off`` in English (any of
    the confirmation words is accepted whatever the language)."""
    typed = call.text.split()[:3]
    if len(typed) < 3:
        typed = ["workspace", "mode", "off"]
    norwegian = locale == "nb" or any(word.lower() in _NORWEGIAN for word in typed)
    return " ".join([*typed, "bekreft" if norwegian else "confirm"])


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def zone_named(text: str) -> str:
    """``europe/oslo`` → ``Europe/Oslo``: zone names are matched without regard to case."""
    wanted = text.strip()
    return _zones_by_folded_name().get(wanted.casefold(), wanted)
