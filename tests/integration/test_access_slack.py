"""Who may see and touch what, on Slack: held messages stay their author's, in their workspace.

Friday 27 November 2026, 17:30 in Oslo, as in ``test_slack_commands``: the team's hours are
over, so what is written through the bot waits for Monday 08:00.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.driver import sign
from bot.storage.crypto import Cipher
from bot.storage.models import ActivityRow, HeldMessageRow
from bot.storage.repositories import PersonRepository, TeamRepository
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SECRET, SlackHarness, shared_payload
from tests.support.waiting import until, until_async

Sessions = async_sessionmaker[AsyncSession]
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
TOKEN = "xoxb-access"
OTHER_TOKEN = "xoxb-other-workspace"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_LEAD", "Lea")
    slack.add_user("U_OLA", "Ola")
    slack.add_user("U_KARI", "Kari", locale="nb-NO")
    slack.add_user("U_ADMIN", "Ada", is_admin=True)
    slack.add_user("U_OPS", "Oda")
    for channel in ("C_TEAM", "C_NEW"):
        slack.add_channel(channel)
    # a private channel of a few, and another team's channel
    slack.add_channel("C_PRIVATE", members=["U_LEAD", "U_KARI"], private=True)
    slack.add_channel("C_OPS", members=["U_OPS", "U_LEAD", "U_ADMIN"])
    await slack.start()
    await install_workspace(
        sessions, cipher, token=TOKEN, now=FRIDAY_1730, team_name="Legal", leader="U_LEAD"
    )
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=FRIDAY_1730, team="T1"
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


async def held_rows(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


async def _held_in_other_workspace(
    harness: SlackHarness, sessions: Sessions, cipher: Cipher
) -> str:
    """Workspace T2 has its own U_OLA (Slack ids are unique per workspace only)."""
    await install_workspace(
        sessions, cipher, token=OTHER_TOKEN, now=FRIDAY_1730, team="T2", channel="C_THEIRS"
    )
    # the bot is in T2's channel too (one fake Slack serves both workspaces)
    harness.slack.tokens[OTHER_TOKEN] = harness.slack.bot_user
    harness.slack.add_channel("C_THEIRS")
    composed = await harness.compose.compose(
        platform="slack",
        workspace="T2",
        author="U_OLA",
        conversation="C_THEIRS",
        acting_in="C_THEIRS",
        text="T2's own business",
    )
    assert composed.held
    return composed.held_id


async def test_held_buttons_check_the_workspace_not_only_the_author(
    harness: SlackHarness, sessions: Sessions, cipher: Cipher
) -> None:
    theirs = await _held_in_other_workspace(harness, sessions, cipher)
    for action in ("held.send_now", "held.cancel"):
        status, _ = await harness.click("U_OLA", action, theirs)
        assert status == 200
        await until(lambda: harness.slack.responses)
        assert "no longer waiting" in harness.slack.responses.pop()["text"]
    status, _ = await harness.click("U_OLA", "held.edit", theirs)
    assert status == 200
    await until(lambda: harness.slack.ephemeral)
    assert "no longer waiting" in harness.slack.ephemeral[-1]["text"]
    assert harness.slack.opened_views == []  # T2's text was never shown in T1
    status, text = await harness.submit(
        "U_OLA",
        "held.edit",
        {"text": {"type": "plain_text_input", "value": "hijacked"}},
        metadata=theirs,
    )
    assert status == 200 and "no longer waiting" in text
    [row] = await held_rows(sessions)
    assert row.state == "held" and row.deliver_at == MONDAY_0800


def texts(answer: dict[str, Any]) -> str:
    """Everything a person reads in an answer: its text and its blocks."""
    parts = [str(answer.get("text", ""))]
    for block in answer.get("blocks") or []:
        if "text" in block:
            parts.append(str(block["text"].get("text", "")))
    return "\n".join(parts)


async def _ops_team(sessions: Sessions) -> None:
    """A second team, Ops, in C_OPS, led by U_OPS."""
    async with sessions() as session, session.begin():
        teams = TeamRepository(session)
        legal = await teams.for_channel(1, "C_TEAM")
        assert legal is not None
        ops = await teams.create(
            legal.workspace_id, "Ops", now=FRIDAY_1730, hours_spec="mon-fri 08:00-16:00"
        )
        await teams.watch(ops, "C_OPS")
        person = await PersonRepository(session).get_or_create(
            legal.workspace_id, "U_OPS", now=FRIDAY_1730
        )
        await teams.add_leader(ops.id, person.id)


async def _activity(sessions: Sessions) -> int:
    async with sessions() as session:
        return len((await session.scalars(select(ActivityRow))).all())


# -- 1. views of channel content are for the channel's members ----------------------------------


async def test_digest_preview_shows_a_private_channel_only_to_its_members(
    harness: SlackHarness,
) -> None:
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
        "EvPrivate1",
    )
    assert status == 200
    await until_async(lambda: _seen_activity(harness))
    harness.clock.set(SATURDAY.replace(hour=11))
    outsider = texts(await harness.command("U_OLA", "digest"))  # typed in the public channel
    assert "merger" not in outsider and "C_PRIVATE" not in outsider
    outsider = texts(await harness.command("U_OLA", "digest", channel="C_PRIVATE"))
    assert "merger" not in outsider and "not a member" in outsider
    member = texts(await harness.command("U_KARI", "digest", channel="C_PRIVATE"))
    assert "merger" in member and "<#C_PRIVATE>" in member
    elsewhere = texts(await harness.command("U_KARI", "digest"))  # #team's digest: not its news
    assert "merger" not in elsewhere and "C_PRIVATE" not in elsewhere


async def test_a_private_digest_lists_only_the_persons_own_channels(
    harness: SlackHarness,
) -> None:
    await harness.command("U_LEAD", "team watch <#C_PRIVATE>")
    await harness.command("U_LEAD", "team digest dm")
    for n, (channel, words) in enumerate(
        [("C_PRIVATE", "Secret merger with Fjord AS"), ("C_TEAM", "Release on Monday?")]
    ):
        at = SATURDAY.replace(minute=n)
        harness.clock.set(at)
        status, _ = await harness.event(
            {
                "type": "message",
                "channel": channel,
                "channel_type": "group" if channel == "C_PRIVATE" else "channel",
                "user": "U_LEAD",
                "text": words,
                "ts": f"{at.timestamp():.6f}",
            },
            f"EvDigest{n}",
        )
        assert status == 200
    await until_async(lambda: _activity_is(harness, 2))
    harness.clock.set(MONDAY_0800)
    (run,) = await harness.digests.run_due()
    assert run.threads == 2
    (kari,) = harness.slack.posted("U_KARI")  # in both channels
    assert "merger" in json.dumps(kari.blocks) and "Release" in json.dumps(kari.blocks)
    (ola,) = harness.slack.posted("U_OLA")  # not in the private one
    assert "Release" in json.dumps(ola.blocks)
    assert "merger" not in json.dumps(ola.blocks) and "C_PRIVATE" not in json.dumps(ola.blocks)
    assert "merger" not in ola.text


async def _activity_is(harness: SlackHarness, count: int) -> bool:
    return await _activity(harness.sessions) == count


async def _seen_activity(harness: SlackHarness) -> bool:
    return await _activity(harness.sessions) == 1


async def test_a_leader_cannot_watch_a_channel_they_are_not_in(harness: SlackHarness) -> None:
    refused = await harness.command("U_LEAD", "team watch <#C_NEW>")
    assert "is now watched" in texts(refused)  # everyone is in C_NEW
    harness.slack.add_channel("C_HR", members=["U_KARI"], private=True)
    refused = await harness.command("U_LEAD", "team watch <#C_HR|hr>")
    assert "You are not a member of <#C_HR>" in texts(refused)
    nb = await harness.command("U_KARI", "team watch <#C_HR>")  # Kari is no leader here
    assert "Bare teamets ledere" in texts(nb)


# -- 2. team verbs touch only the caller's team's channels ---------------------------------------


async def test_a_leader_cannot_take_or_switch_off_another_teams_channel(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await _ops_team(sessions)
    taken = await harness.command("U_LEAD", "team watch <#C_OPS|ops>")
    assert "<#C_OPS> belongs to the team Ops" in texts(taken)
    switched = await harness.command("U_LEAD", "team unwatch <#C_OPS>")
    assert "<#C_OPS> belongs to the team Ops" in texts(switched)
    # the rightful leader still leads Ops from its channel
    ops = await harness.command("U_OPS", "team hours mon-fri 07-15", channel="C_OPS")
    assert "Saved." in texts(ops)
    shown = await harness.command("U_OPS", "team", channel="C_OPS")
    assert "Team Ops" in texts(shown) and "<#C_OPS>" in texts(shown)
    # stopping a channel nobody watches is not an error that changes anything
    nothing = await harness.command("U_LEAD", "team unwatch <#C_NEW>")
    assert "is not watched by the team Legal" in texts(nothing)
    assert "Team Ops" in texts(await harness.command("U_OPS", "team", channel="C_OPS"))


async def test_only_a_workspace_admin_moves_a_channel_between_teams(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await _ops_team(sessions)
    moved = await harness.command("U_ADMIN", "team watch <#C_OPS>")
    assert "<#C_OPS> has moved from the team Ops to the team Legal." in texts(moved)
    assert "Team Legal" in texts(await harness.command("U_OPS", "team", channel="C_OPS"))


async def test_refusals_are_in_bokmal_too(harness: SlackHarness, sessions: Sessions) -> None:
    await _ops_team(sessions)
    async with sessions() as session, session.begin():
        lead = await PersonRepository(session).find(1, "U_LEAD")
        assert lead is not None
        lead.locale = "nb-NO"
    taken = await harness.command("U_LEAD", "team watch <#C_OPS>")
    assert "<#C_OPS> hører til teamet Ops" in texts(taken)


# -- 3. the bot posts for a person only where they may post --------------------------------------


async def test_urgent_into_a_channel_the_author_is_not_in_is_refused(
    harness: SlackHarness, sessions: Sessions
) -> None:
    answer = await harness.command("U_OLA", "urgent <#C_OPS> <!everyone> Office closed")
    assert "You are not a member of <#C_OPS>" in texts(answer)
    later = await harness.command("U_OLA", "later <#C_PRIVATE|private> hei")
    assert "You are not a member of <#C_PRIVATE>" in texts(later)
    await harness.engine.run_until_idle()
    assert harness.slack.posted("C_OPS") == [] and harness.slack.posted("C_PRIVATE") == []
    assert await held_rows(sessions) == []
    # a member may
    kept = await harness.command("U_KARI", "later <#C_PRIVATE> hei")
    # no team watches C_PRIVATE: the workspace default does (Friday 17:30 is after its hours)
    assert "Holdt tilbake" in texts(kept)
    assert "Stilletiden i dette arbeidsområdet slutter man. 08:00" in texts(kept)


async def test_the_compose_modal_refuses_a_channel_the_author_is_not_in(
    harness: SlackHarness, sessions: Sessions
) -> None:
    status, text = await harness.submit(
        "U_OLA",
        "compose",
        {
            "channel": {"type": "conversations_select", "selected_conversation": "C_OPS"},
            "text": {"type": "plain_text_input", "value": "<!channel> Office closed"},
        },
    )
    assert status == 200
    assert "You are not a member of that channel" in json.loads(text)["errors"]["channel"]
    assert await held_rows(sessions) == []


def _compose_for(person: str, text: str) -> dict[str, dict[str, Any]]:
    """The compose modal with its person picker set to ``person`` (the shortcut / App Home
    "hold a message for someone" flow)."""
    return {
        "person": {"type": "users_select", "selected_user": person},
        "text": {"type": "plain_text_input", "value": text},
    }


async def test_the_compose_modal_holds_only_for_a_real_active_person(
    harness: SlackHarness, sessions: Sessions
) -> None:
    """The modal's person picker is checked as `/quiet later @person` is: a bot or app, a
    deactivated account or an id this workspace does not know is refused on the picker, and
    nothing is held or posted (a held message for nobody would wait forever)."""
    harness.slack.add_user("U_CI", "ci", is_bot=True)
    harness.slack.add_user("U_GONE", "Gone")
    harness.slack.users["U_GONE"]["deleted"] = True
    refused = {
        "U_CI": "is a bot or an app",
        "U_GONE": "deactivated",
        "U_NOBODY": "not a person in this workspace",
    }
    for person, why in refused.items():
        status, text = await harness.submit("U_OLA", "compose", _compose_for(person, "hei"))
        assert status == 200
        assert why in json.loads(text)["errors"]["person"], person
    await harness.engine.run_until_idle()
    assert await held_rows(sessions) == []
    assert harness.slack.posted("U_CI") == [] and harness.slack.posted("U_NOBODY") == []
    # the same through /quiet later and urgent (one check for every way in)
    for verb in ("later", "urgent"):
        answer = texts(await harness.command("U_OLA", f"{verb} <@U_CI> hei"))
        assert "is a bot or an app" in answer
    assert await held_rows(sessions) == []
    # a real colleague is held for as before
    status, text = await harness.submit("U_OLA", "compose", _compose_for("U_KARI", "hei"))
    assert status == 200 and "errors" not in text
    [row] = await held_rows(sessions)
    assert row.conversation_id == "U_KARI"


async def test_the_compose_modal_answers_a_refused_person_in_bokmal(
    harness: SlackHarness, sessions: Sessions
) -> None:
    harness.slack.add_user("U_CI", "ci", is_bot=True)
    status, text = await harness.submit("U_KARI", "compose", _compose_for("U_CI", "hei"))
    assert status == 200
    assert "Det er en bot eller en app" in json.loads(text)["errors"]["person"]
    assert await held_rows(sessions) == []


# -- 5. a replayed signed request acts once ------------------------------------------------------


def _command_body(harness: SlackHarness, user: str, text: str) -> bytes:
    return urlencode(
        {
            "token": "sandbox",
            "team_id": harness.team,
            "channel_id": "C_TEAM",
            "channel_name": "team",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/quiet",
            "text": text,
            "api_app_id": "A_QUIET",
            "response_url": harness.slack.response_url("replay"),
            "trigger_id": "13345.98765.replay",
        }
    ).encode()


async def _send_signed(harness: SlackHarness, body: bytes, headers: dict[str, str]) -> str:
    assert harness.http is not None
    async with harness.http.post(harness.url, data=body, headers=headers) as response:
        assert response.status == 200
        return await response.text()


async def test_a_replayed_slash_command_holds_one_message(
    harness: SlackHarness, sessions: Sessions
) -> None:
    body = _command_body(harness, "U_OLA", "later Can we review the contract?")
    headers = sign(SECRET, body, content_type="application/x-www-form-urlencoded")
    first = json.loads(await _send_signed(harness, body, headers))
    assert "Held." in texts(first)
    second = json.loads(await _send_signed(harness, body, headers))  # within the 5 minutes
    assert second["response_type"] == "ephemeral"
    assert "already reached Quiet Hours" in second["text"]
    assert len(await held_rows(sessions)) == 1
    # a new request (a new signature) with the same words is a new message
    again = sign(
        SECRET,
        body,
        timestamp=int(headers["X-Slack-Request-Timestamp"]) + 1,
        content_type="application/x-www-form-urlencoded",
    )
    await _send_signed(harness, body, again)
    assert len(await held_rows(sessions)) == 2


async def test_a_replayed_modal_submission_holds_one_message(
    harness: SlackHarness, sessions: Sessions
) -> None:
    payload = shared_payload("test_view_submission__body.json")
    payload["user"] = {"id": "U_OLA", "username": "ola", "name": "ola", "team_id": "T1"}
    payload["team"] = {"id": "T1", "domain": "sandbox"}
    payload["view"].update(
        {
            "callback_id": "compose",
            "private_metadata": "",
            "team_id": "T1",
            "app_installed_team_id": "T1",
            "state": {
                "values": {
                    "channel": {
                        "value": {
                            "type": "conversations_select",
                            "selected_conversation": "C_TEAM",
                        }
                    },
                    "text": {"value": {"type": "plain_text_input", "value": "Monday please"}},
                }
            },
        }
    )
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = sign(SECRET, body, content_type="application/x-www-form-urlencoded")
    assert await _send_signed(harness, body, headers) == ""
    assert await _send_signed(harness, body, headers) == ""
    await until_async(lambda: _held_count(sessions, 1))
    assert len(await held_rows(sessions)) == 1


async def _held_count(sessions: Sessions, count: int) -> bool:
    return len(await held_rows(sessions)) == count


# -- 6. a failure says truthfully whether the message was held -----------------------------------


async def test_a_failed_later_says_the_message_was_not_held(
    harness: SlackHarness, sessions: Sessions
) -> None:
    async with sessions() as session, session.begin():  # the outbox is away
        await session.execute(text("ALTER TABLE held_messages RENAME TO held_messages_away"))
    try:
        answer = await harness.command("U_OLA", "later Can we <b>review</b> & sign?")
        nb = await harness.command("U_KARI", "later Kan vi ta dette mandag?")
    finally:
        async with sessions() as session, session.begin():
            await session.execute(text("ALTER TABLE held_messages_away RENAME TO held_messages"))
    said = texts(answer)
    assert "was NOT held" in said and "nothing was lost" not in said
    assert "Can we &lt;b&gt;review&lt;/b&gt; &amp; sign?" in said  # to copy, shown as typed
    assert "ble IKKE holdt tilbake" in texts(nb) and "Kan vi ta dette mandag?" in texts(nb)
    assert await held_rows(sessions) == []


# -- 3. nothing posted for a person becomes a broadcast, a mention or a disguised link ----------

ATTACK = (
    "<!everyone> <!channel> <!here> <!subteam^S123|@legal> @channel Office closed, see "
    "<https://evil.example|https://bank.example>\n— written by <@U_ADMIN>"
)


def _no_markup_from_the_text(message: Any) -> None:
    shown = json.dumps(message.blocks)
    for forged in ("<!everyone>", "<!channel>", "<!here>", "<!subteam", "<https://evil"):
        assert forged not in shown and forged not in message.text
    assert "<@U_ADMIN>" not in shown and "<@U_ADMIN>" not in message.text
    assert "@channel" not in shown  # bare, it is broken with a word joiner
    assert message.text.startswith("<@U_OLA>: ")  # the notification names the author first
    context = message.blocks[-1]
    assert context["type"] == "context" and context["elements"][0]["text"].find("<@U_OLA>") > 0
    assert message.body.startswith("@everyone @channel @here @legal @channel Office closed")
    assert "https://bank.example (https://evil.example)" in message.body


async def test_urgent_posts_the_text_inert_and_names_its_author(harness: SlackHarness) -> None:
    answer = await harness.command("U_OLA", f"urgent {ATTACK}")
    assert "Posted now as urgent" in texts(answer)
    await harness.engine.run_until_idle()
    [posted] = [m for m in harness.slack.posted("C_TEAM") if not m.thread_ts]
    assert posted.user == harness.slack.bot_user
    _no_markup_from_the_text(posted)


async def test_later_and_the_compose_modal_deliver_the_text_inert(harness: SlackHarness) -> None:
    await harness.command("U_OLA", f"later {ATTACK}")
    status, _ = await harness.submit(
        "U_OLA",
        "compose",
        {
            "channel": {"type": "conversations_select", "selected_conversation": "C_TEAM"},
            "text": {"type": "plain_text_input", "value": ATTACK},  # typed raw into the form
        },
    )
    assert status == 200
    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    await harness.engine.run_until_idle()
    posted = harness.slack.posted("C_TEAM")
    assert len(posted) == 2
    for message in posted:
        _no_markup_from_the_text(message)


async def test_a_forwarded_message_comes_into_the_form_as_plain_text(
    harness: SlackHarness,
) -> None:
    await harness.shortcut(
        "U_OLA", "quiet_forward", message={"text": "<!channel> see <@U_LEAD>", "user": "U_KARI"}
    )
    await until(lambda: harness.slack.opened_views)
    modal = harness.slack.opened_views[-1]["view"]
    [field] = [block for block in modal["blocks"] if block.get("block_id") == "text"]
    # plain text, with people's names where Slack tells them (here Lea's)
    assert field["element"]["initial_value"] == "Forwarded from Kari:\n@channel see @Lea"


# -- 6. a decision guard is acted on only by who may see it --------------------------------------


async def _guard_in(sessions: Sessions, channel: str) -> int:
    """An open decision guard (team Legal) in ``channel``, as a Saturday decision leaves."""
    from bot.storage.guards import GuardRepository

    async with sessions() as session, session.begin():
        legal = await TeamRepository(session).for_channel(1, "C_TEAM")
        assert legal is not None
        row = await GuardRepository(session).claim(
            workspace_id=1,
            team_id=legal.id,
            conversation_id=channel,
            thread_id="1764320000.000100",
            decided_at=SATURDAY,
            guard_until=MONDAY_0800,
            now=SATURDAY,
        )
        assert row is not None
        return row.id


async def _guard_state(sessions: Sessions, guard_id: int) -> str:
    from bot.storage.models import DecisionGuardRow

    async with sessions() as session:
        row = await session.get(DecisionGuardRow, guard_id)
        assert row is not None
        return row.state


async def test_a_guard_in_a_private_channel_is_reopened_only_by_its_members(
    harness: SlackHarness, sessions: Sessions
) -> None:
    """Reopen is for anyone *in the discussion*: a guard id carried to another channel (or
    forged) by someone outside the private channel does nothing and shows nothing of it."""
    guard = await _guard_in(sessions, "C_PRIVATE")
    status, _ = await harness.click("U_OLA", "guard.reopen", str(guard), channel="C_TEAM")
    assert status == 200
    await until(lambda: harness.slack.responses)
    assert "no longer exists" in harness.slack.responses.pop()["text"]
    assert await _guard_state(sessions, guard) == "open"
    status, _ = await harness.click("U_KARI", "guard.reopen", str(guard), channel="C_PRIVATE")
    assert status == 200
    await until(lambda: harness.slack.responses)
    harness.slack.responses.pop()
    assert await _guard_state(sessions, guard) == "reopened"
