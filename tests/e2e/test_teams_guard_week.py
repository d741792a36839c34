"""The decision guard's week in Teams, driven only by JWT-signed activities as Teams sends them.

Sunday evening a thread in the watched channel reaches "vi går for alternativ B" (Teams sends it
twice) and two people react 👍 / ✅ (``messageReaction``): exactly one guard card in the thread,
naming Monday 12:00 in each reader's time (Adaptive Card ``DATE()/TIME()``), *Confirm decision*
disabled. Monday's digest card lists it first, with how many were away. *Confirm* is refused
for a non-leader and for the leader before the guard ends (told in their 1:1 chat); at 12:00
the leader is asked privately and the card enables *Confirm*, which then works and is shown in
place (``PUT`` on the card's activity).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from microsoft_agents.hosting.core import JwtTokenValidator
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.repositories import PersonRepository, TeamRepository, WorkspaceRepository
from tests.support.teams import (
    CHANNEL,
    KARI,
    OLA,
    TEAM,
    TENANT,
    SigningKeys,
    _base,
    _team_data,
    channel_message,
    installation_update,
    validated,
)
from tests.support.teams_app import TeamsHarness, buttons, card_action, card_of, card_text

Sessions = async_sessionmaker[AsyncSession]
LEA = {"id": "29:1Lea8Fkx7p93MZlBFS71swTB9juQOCfnXf2L3wxOUITCcIGpFcRX", "name": "Lea"}
ANE = {"id": "29:1Ane0Fkx7p93MZlBFS71swTB9juQOCfnXf2L3wxOUITCcIGpFcRX", "name": "Ane"}
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
SATURDAY_1100 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SUNDAY_2014 = datetime(2026, 11, 29, 19, 14, tzinfo=UTC)
SUNDAY_2026 = datetime(2026, 11, 29, 19, 26, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
MONDAY_0900 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
MONDAY_1200 = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
UNTIL = "{{DATE(2026-11-30T11:00:00Z, SHORT)}} {{TIME(2026-11-30T11:00:00Z)}}"

Json = dict[str, Any]


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> SigningKeys:
    keys = SigningKeys()
    monkeypatch.setattr(JwtTokenValidator, "_jwk_client_manager", keys)
    return keys


@pytest.fixture
async def week(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, keys: SigningKeys
) -> AsyncIterator[TeamsHarness]:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=FRIDAY_1730
        )
        lea = await PersonRepository(session).get_or_create(
            workspace.id, LEA["id"], now=FRIDAY_1730, display_name="Lea"
        )
        teams = TeamRepository(session)
        team = await teams.create(
            workspace.id,
            "Plattform",
            now=FRIDAY_1730,
            mode="label",
            locale="nb",
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
        )
        await teams.watch(team, CHANNEL)
        await teams.add_leader(team.id, lea.id)
    harness = TeamsHarness(
        engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730, keys=keys
    )
    harness.connector.members[TEAM] = [LEA, KARI, OLA, ANE]
    async with harness.running():
        yield harness


def at(activity: Json, instant: datetime) -> Json:
    activity["timestamp"] = instant.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    activity["localTimestamp"] = instant.astimezone().isoformat()
    return validated(activity)


def reaction(service_url: str, message: Json, root: str, kind: str, sender: Json) -> Json:
    """A ``messageReaction``: ``sender`` put ``kind`` on ``message`` (in ``root``'s thread)."""
    conversation = {
        "isGroup": True,
        "conversationType": "channel",
        "id": f"{CHANNEL};messageid={root}",
    }
    activity = _base(
        "messageReaction",
        service_url,
        conversation,
        sender=sender,
        channel_data=_team_data(CHANNEL),
    )
    activity.update({"replyToId": message["id"], "reactionsAdded": [{"type": kind}]})
    return activity


def guard_posts(week: TeamsHarness, root: str) -> list[Json]:
    return [
        call.body
        for call in week.connector.posted(CHANNEL.split(";")[0])
        if call.reply_to == root and "guard." in json.dumps(call.body)
    ]


def latest(week: TeamsHarness, activity_id: str, first: Json) -> Json:
    """The card as it stands: the last PUT on the activity, else what was posted."""
    puts = [
        call.body
        for call in week.connector.calls
        if call.method == "PUT" and call.reply_to == activity_id and call.status < 300
    ]
    return card_of(puts[-1] if puts else first)


def posted_id(week: TeamsHarness, body: Json) -> str:
    (call,) = [call for call in week.connector.calls if call.body is body]
    assert call.answer_id is not None
    return call.answer_id


async def test_a_sunday_decision_in_teams_is_guarded_until_monday_noon(
    week: TeamsHarness,
) -> None:
    url = week.service_url
    status, _ = await week.send(installation_update(url))
    assert status == 202

    # Saturday: a busier thread with no decision in it.
    week.clock.set(SATURDAY_1100)
    busy = at(channel_message(url, "<p>Hvem har vakt?</p>", sender=OLA), SATURDAY_1100)
    assert (await week.send(busy))[0] in (200, 202)
    for text, who in (("Jeg", KARI), ("Eller jeg", ANE), ("Ok", OLA)):
        reply = at(channel_message(url, text, root=busy["id"], sender=who), SATURDAY_1100)
        assert (await week.send(reply))[0] in (200, 202)

    # Sunday: the thread; the decision arrives twice; then 👍 and ✅ from two people.
    week.clock.set(SUNDAY_2014)
    root = at(channel_message(url, "<p>Skal vi bytte leverandør?</p>", sender=OLA), SUNDAY_2014)
    assert (await week.send(root))[0] in (200, 202)
    week.clock.set(SUNDAY_2026)
    decision = at(
        channel_message(url, "<p>Ja, vi går for alternativ B.</p>", root=root["id"], sender=KARI),
        SUNDAY_2026,
    )
    assert (await week.send(decision))[0] in (200, 202)
    assert (await week.send(decision))[0] in (200, 202)  # Teams' retry
    for kind, who in (("like", OLA), ("✅", ANE)):
        assert (await week.send(at(reaction(url, decision, root["id"], kind, who), SUNDAY_2026)))[
            0
        ] in (200, 202)

    (posted,) = guard_posts(week, root["id"])  # exactly one guard card in the thread
    card = card_of(posted)
    assert UNTIL in card_text(card)  # each reader's client shows it in their own time
    assert "man. 12:00 (Europe/Oslo)" in card["fallbackText"]
    assert "2 personer i kanalen var ikke med" in card_text(card)  # Lea and Ane
    reopen, confirm = buttons(card)
    assert (reopen["verb"], confirm["verb"], confirm["isEnabled"]) == (
        "guard.reopen",
        "guard.confirm",
        False,
    )
    data = confirm["data"]
    activity_id = posted_id(week, posted)

    # Monday 08:00: the digest card lists the guarded decision first, with who was away.
    week.clock.set(MONDAY_0800)
    runs = await week.digests.run_due()
    # (the team the install adopted, watching General, had a quiet weekend)
    assert [(run.posted, run.threads) for run in runs if run.threads] == [(1, 2)]
    (digest,) = [
        call.body
        for call in week.connector.posted(CHANNEL)
        if call.reply_to is None and "attachments" in call.body
    ]
    containers = [item for item in card_of(digest)["body"] if item.get("type") == "Container"]
    assert "2 personer var borte" in card_text({"body": [containers[0]]})
    assert "4 meldinger" in card_text({"body": [containers[1]]})

    # Confirm: refused for Kari (not a leader) and for Lea before 12:00; the card stays.
    week.clock.set(MONDAY_0900)
    thread = f"{CHANNEL};messageid={root['id']}"
    before = len(week.connector.posted())
    answer = await week.click(card_action(url, "guard.confirm", data, sender=KARI, channel=thread))
    assert buttons(answer)[1]["isEnabled"] is False
    told = [card_text(card_of(c.body)) for c in week.connector.posted()[before:]]
    assert any("Bare en leder" in text for text in told), told
    before = len(week.connector.posted())
    answer = await week.click(card_action(url, "guard.confirm", data, sender=LEA, channel=thread))
    told = [card_text(card_of(c.body)) for c in week.connector.posted()[before:]]
    assert any("Ikke ennå" in text and UNTIL in text for text in told), told
    assert await week.watcher.guard.ask_due() == 0

    # 12:00: Lea is asked in her 1:1 chat, once; the card in the thread enables Confirm.
    week.clock.set(MONDAY_1200)
    before = len(week.connector.posted())
    assert await week.watcher.guard.ask_due() == 1
    assert await week.watcher.guard.ask_due() == 0
    (question,) = week.connector.posted()[before:]
    assert question.conversation != CHANNEL
    assert "Bekreft beslutningen" in card_text(card_of(question.body))
    assert buttons(latest(week, activity_id, posted))[1]["isEnabled"] is True
    answer = await week.click(card_action(url, "guard.confirm", data, sender=LEA, channel=thread))
    assert "bekreftet av Lea" in card_text(answer) and buttons(answer) == []
    shown = latest(week, activity_id, posted)  # the thread's card, replaced in place
    assert "bekreftet av Lea" in card_text(shown) and buttons(shown) == []
    assert len(guard_posts(week, root["id"])) == 1
    assert week.connector.violations == []


async def test_two_peoples_reactions_alone_make_a_decision_in_teams(week: TeamsHarness) -> None:
    url = week.service_url
    status, _ = await week.send(installation_update(url))
    assert status == 202
    week.clock.set(SUNDAY_2014)
    text = "<p>Jeg deployer fredag kl 15 om ingen protesterer.</p>"
    root = at(channel_message(url, text, sender=OLA), SUNDAY_2014)
    assert (await week.send(root))[0] in (200, 202)
    # one person's two reactions are one person, and a heart approves nothing
    for kind, who in (("like", KARI), ("✅", KARI), ("heart", ANE)):
        reacted = at(reaction(url, root, root["id"], kind, who), SUNDAY_2026)
        assert (await week.send(reacted))[0] in (200, 202)
    assert guard_posts(week, root["id"]) == []
    second = at(reaction(url, root, root["id"], "like", ANE), SUNDAY_2026)
    assert (await week.send(second))[0] in (200, 202)
    assert (await week.send(second))[0] in (200, 202)  # Teams' retry: one effect
    (posted,) = guard_posts(week, root["id"])
    assert UNTIL in card_text(card_of(posted))
    # anyone may reopen it; the card that comes back says so, without buttons
    data = buttons(card_of(posted))[0]["data"]
    thread = f"{CHANNEL};messageid={root['id']}"
    answer = await week.click(card_action(url, "guard.reopen", data, sender=ANE, channel=thread))
    assert "Åpnet for diskusjon igjen av Ane" in card_text(answer) and buttons(answer) == []
