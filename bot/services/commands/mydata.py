"""`/quiet me export` and `/quiet me erase`: a person's own data, to them or gone.

The export is a private reply (ephemeral in Slack, a card in the personal chat in Teams) with
the JSON in code blocks of at most ``CHUNK`` characters — Slack's section text limit is 3,000
(api.slack.com/reference/block-kit/blocks#section); more than ``MAX_SECTIONS`` of them, the
person is asked to get it from their admin (``quiet-hours export``). Erasing needs a second
command, ``/quiet me erase confirm``: it cannot be undone. Norwegian words work as well
(``meg eksporter``, ``meg slett bekreft``), and the confirmation is exactly one word after
``erase``/``slett``, as for ``workspace mode off confirm``.
"""

from __future__ import annotations

import json

from bot.i18n import translate, translate_plural
from bot.services.commands.core import Caller, CommandBase
from bot.services.commands.replies import CONFIRM_WORDS, Invocation, Reply, Section
from bot.services.personal_data import erase_person, export_person, open_held

__all__ = ["CHUNK", "ERASE_WORDS", "EXPORT_WORDS", "MAX_SECTIONS", "MyDataVerbs"]

EXPORT_WORDS = ("export", "eksporter", "eksport")
ERASE_WORDS = ("erase", "slett")

CHUNK = 2_800  # characters of JSON per section, under Slack's 3,000 with the code fence
#: 8 × 2,800 = 22,400 characters: whole under the 30,000 a Teams reply card carries
#: (adapters/teams/cards.py MAX_CARD_TEXT, which cuts a longer one with "…" — a cut JSON is of
#: no use), with room for the intro and for markup escaping.
MAX_SECTIONS = 8


class MyDataVerbs(CommandBase):
    """The data verbs under `/quiet me`."""

    async def _my_data(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        words = rest.lower().split()
        locale = caller.locale
        if words[:1] and words[0] in EXPORT_WORDS:
            return await self._my_export(call, caller)
        if len(words) == 2 and words[1] in CONFIRM_WORDS:
            return await self._my_erase(call, caller)
        # "erase" alone asks; anything after the one confirmation word is not a yes
        command = " ".join([*call.text.split()[:2], "bekreft" if locale == "nb" else "confirm"])
        if len(call.text.split()) < 2:
            command = "me erase confirm"
        return Reply.of(
            translate("cmd.me.erase.confirm", locale, command=command),
            error=len(words) > 1,
            locale=locale,
        )

    async def _my_export(self, call: Invocation, caller: Caller) -> Reply:
        locale = caller.locale
        async with self._sessions() as session:
            data = await export_person(session, self._cipher, caller.workspace_id, call.person)
        text = json.dumps(data, ensure_ascii=False, indent=1)
        chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)]
        if len(chunks) > MAX_SECTIONS:
            return Reply.of(translate("cmd.me.export.too_big", locale), error=True, locale=locale)
        sections = [Section(translate("cmd.me.export.intro", locale))]
        sections += [Section(f"```{chunk}```") for chunk in chunks]
        return Reply(tuple(sections), locale=locale)

    async def _my_erase(self, call: Invocation, caller: Caller) -> Reply:
        locale = caller.locale
        async with self._sessions() as session:
            waiting = await open_held(session, caller.workspace_id, call.person)
        for held_id in waiting:  # withdraw what the platform holds; the rows go below anyway
            await self._compose.cancel(
                held_id, platform=call.platform, workspace=call.workspace, person=call.person
            )
        async with self._sessions() as session, session.begin():
            await erase_person(session, caller.workspace_id, call.person)
        return Reply.of(translate_plural("cmd.me.erase.done", len(waiting), locale), locale=locale)
