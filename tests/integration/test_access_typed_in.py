"""A command typed in a Slack conversation acts there only for its members.

A signed request says who typed where; it does not prove they are in that conversation (a
crafted or replayed payload, a channel they left). Every verb that posts into, holds for or
shows something of the conversation it is typed in asks the platform first (the members port,
``bot.services.access``); a non-member gets a refusal and nothing is posted, held or shown.
(On Teams a command reaches the bot through the conversation itself, sent by Microsoft for one
of its members; what is aimed at another conversation is checked as here, test_access_teams.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import TeamRow
from tests.integration import test_access_slack as access_slack
from tests.integration.test_access_slack import SATURDAY, _seen_activity, held_rows, texts
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until_async

harness = access_slack.harness  # the same fixture: workspace T1, C_PRIVATE of Lea and Kari
Sessions = async_sessionmaker[AsyncSession]
REFUSED = "You are not a member of this conversation"
# Ola and the admin are not in the private channel; Lea and Kari are
OUTSIDERS = ("U_OLA", "U_ADMIN")


async def _secret_thread(harness: SlackHarness) -> None:
    """Team Legal watches C_PRIVATE, where Kari wrote on Saturday."""
    watch = await harness.command("U_LEAD", "team watch <#C_PRIVATE|private>")
    assert "<#C_PRIVATE> is now watched" in texts(watch)
    harness.clock.set(SATURDAY)
    status, _ = await harness.event(
        {
            "type": "message",
            "channel": "C_PRIVATE",
            "channel_type": "group",
            "user": "U_KARI",
            "text": "Secret merger with Fjord AS",
            "ts": f"{SATURDAY.timestamp():.6f}",
        },
        "EvPrivateTypedIn",
    )
    assert status == 200
    await until_async(lambda: _seen_activity(harness))
    harness.clock.set(SATURDAY.replace(hour=11))


async def test_later_and_urgent_typed_in_a_channel_one_is_not_in_are_refused(
    harness: SlackHarness, sessions: Sessions
) -> None:
    for verb in ("later", "urgent"):
        answer = texts(await harness.command("U_OLA", f"{verb} hei", channel="C_PRIVATE"))
        assert REFUSED in answer, verb
        # also with a person or another channel named: typed here, refused here
        named = await harness.command("U_OLA", f"{verb} <@U_KARI> hei", channel="C_PRIVATE")
        assert REFUSED in texts(named)
    await harness.engine.run_until_idle()
    assert harness.slack.posted("C_PRIVATE") == []
    assert await held_rows(sessions) == []
    kept = texts(await harness.command("U_KARI", "later hei", channel="C_PRIVATE"))
    assert "Holdt tilbake" in kept  # a member may (in her own language)
    assert len(await held_rows(sessions)) == 1


async def test_digest_and_status_typed_in_a_private_channel_show_nothing_to_outsiders(
    harness: SlackHarness,
) -> None:
    await _secret_thread(harness)
    for verb in ("digest", "status"):
        answer = texts(await harness.command("U_OLA", verb, channel="C_PRIVATE"))
        assert REFUSED in answer and "merger" not in answer, verb
    member = texts(await harness.command("U_KARI", "digest", channel="C_PRIVATE"))
    assert "merger" in member


async def test_team_commands_typed_in_a_channel_one_is_not_in_are_refused(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await _secret_thread(harness)
    for user, words in (
        ("U_ADMIN", "team create Hemmelig"),  # an admin, yet not in the channel
        ("U_OLA", "team"),
        ("U_ADMIN", "team hours mon-fri 07-15"),
    ):
        answer = texts(await harness.command(user, words, channel="C_PRIVATE"))
        assert REFUSED in answer and "Team Legal" not in answer, words
    async with sessions() as session:
        names = set((await session.scalars(select(TeamRow.name))).all())
    assert "Hemmelig" not in names
    shown = texts(await harness.command("U_LEAD", "team", channel="C_PRIVATE"))
    assert "Team Legal" in shown and "mon-fri 07" not in shown
