"""`/quiet team insight` over real HTTP like Slack sends it: leaders only, aggregates only, a
figure from 4 people hidden and from 5 shown, the chart in the leader's own DM.

Thursday 3 December 2026, 12:00 in Oslo; the team Legal works mon-fri 08:00-16:00 and watches
#C_TEAM, whose members are Lea (the leader) and ten colleagues.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.guards import GuardRepository
from bot.storage.models import TeamRow, WorkspaceRow
from bot.storage.repositories import (
    ActivityRepository,
    PersonRepository,
    UrgentOverrideRepository,
)
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness, answer_texts
from tests.support.waiting import until

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-insight"
THURSDAY_NOON = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
#: Tuesday 1 December, 22:15 in Oslo: night work
TUESDAY_NIGHT = datetime(2026, 12, 1, 21, 15, tzinfo=UTC)
COLLEAGUES = [f"U_P{n}" for n in range(10)]


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_LEAD", "Lea")
    slack.add_user("U_KARI", "Kari", locale="nb-NO")
    for person in COLLEAGUES:
        slack.add_user(person, person.lower())
    slack.add_channel("C_TEAM", members=["U_LEAD", *COLLEAGUES])
    await slack.start()
    await install_workspace(
        sessions, cipher, token=TOKEN, now=THURSDAY_NOON, team_name="Legal", leader="U_LEAD"
    )
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=THURSDAY_NOON, team="T1"
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


async def wrote_at_night(sessions: Sessions, people: list[str]) -> None:
    """Each of ``people`` wrote twice in #C_TEAM on Tuesday night (metadata only)."""
    async with sessions() as session, session.begin():
        workspace = (await session.scalars(select(WorkspaceRow))).one()
        team = (await session.scalars(select(TeamRow))).one()
        for person in people:
            for minutes in (0, 7):
                await ActivityRepository(session).record(
                    workspace_id=workspace.id,
                    team_id=team.id,
                    conversation_id="C_TEAM",
                    thread_id=f"{person}-thread",
                    person_id=person,
                    occurred_at=TUESDAY_NIGHT + timedelta(minutes=minutes),
                    is_thread_root=minutes == 0,
                )
        await UrgentOverrideRepository(session).record(
            workspace_id=workspace.id,
            conversation_id="C_TEAM",
            sender_id=people[0],
            occurred_at=TUESDAY_NIGHT,
        )


async def test_four_people_are_hidden_five_are_shown_and_nobody_is_named(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await wrote_at_night(sessions, COLLEAGUES[:4])
    four = answer_texts(await harness.command("U_LEAD", "team insight"))
    assert "*Team Legal: the week since Mon 30 Nov*" in four
    assert "a figure from fewer than 5 people is not shown" in four
    assert "People who wrote outside hours: hidden (fewer than 5 people)" in four
    assert "Messages outside hours: hidden (fewer than 5 people)" in four
    assert "nights (21–06): hidden (fewer than 5 people)" in four
    assert "Share of the team's members: hidden (fewer than 5 people)" in four
    assert "Urgent overrides: hidden (fewer than 5 people)" in four  # one sender
    assert "Week 49 — people: hidden (<5) · messages: hidden (<5)" in four

    await wrote_at_night(sessions, COLLEAGUES[4:5])
    five = answer_texts(await harness.command("U_LEAD", "team insight"))
    assert "People who wrote outside hours: 5" in five
    assert "Share of the team's members: 45 %" in five  # 5 of 11 members (the bot left out)
    assert "Messages outside hours: 10" in five
    assert "nights (21–06): 10" in five and "Evenings: 0" in five
    assert "Urgent overrides: hidden (fewer than 5 people)" in five  # two, by one person
    assert "Week 49 — people: 5 · messages: 10 · nights: 10" in five
    for person in ("U_LEAD", *COLLEAGUES):  # no per-person figure, ranking or name, ever
        assert person not in five and person.lower() not in five

    # the heatmap went to Lea's own direct message with the app, and to no one else; it is
    # the team's, and said so (never "your heatmap")
    assert "The team's heatmap is in your direct messages" in five
    assert "Your heatmap" not in five
    await until(lambda: len(harness.slack.shared_files("DU_LEAD")) == 2)
    assert {f.channel for f in harness.slack.files.values()} == {"DU_LEAD"}
    first, second = harness.slack.shared_files("DU_LEAD")
    assert first.title == "Legal: messages outside working hours, last 8 weeks"
    assert first.content != second.content  # Tuesday 22:00 drawn once five people wrote then
    assert second.content is not None
    with Image.open(io.BytesIO(second.content)) as picture:
        assert picture.format == "PNG" and picture.size == (640, 256)


async def test_only_leaders_see_a_teams_insight(harness: SlackHarness, sessions: Sessions) -> None:
    await wrote_at_night(sessions, COLLEAGUES[:5])
    refused = await harness.command("U_P0", "team insight")
    assert "Only the team's leaders see its insight." in answer_texts(refused)
    in_dm = await harness.command("U_P0", "team insight", channel="DU_P0")
    assert "You lead no team here" in answer_texts(in_dm)
    named = await harness.command("U_P0", "team insight Legal", channel="DU_P0")
    assert "You lead no team called “Legal”." in answer_texts(named)
    assert harness.slack.files == {}
    # the leader may ask in a direct message: the one team they lead
    mine = await harness.command("U_LEAD", "team innsikt", channel="DU_LEAD")
    assert "People who wrote outside hours: 5" in answer_texts(mine)
    await until(lambda: harness.slack.shared_files("DU_LEAD"))


async def test_the_app_home_shows_a_persons_own_week_to_them_alone(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await wrote_at_night(sessions, ["U_P0"])
    for person, event in (("U_P0", "EvHomeP0"), ("U_P1", "EvHomeP1")):
        status, _ = await harness.event(
            {"type": "app_home_opened", "user": person, "tab": "home"}, event
        )
        assert status == 200
    await until(lambda: {"U_P0", "U_P1"} <= set(harness.slack.views))
    mine = json.dumps(harness.slack.views["U_P0"]["view"], ensure_ascii=False)
    assert "*Your week since Mon 30 Nov* (only you see this)" in mine
    assert "Messages outside your own hours: 2" in mine
    assert "nights (21–06): 2" in mine
    assert "`/quiet me` shows the last 4 weeks and your heatmap." in mine
    theirs = json.dumps(harness.slack.views["U_P1"]["view"], ensure_ascii=False)
    assert "Your week since" not in theirs and "outside your own hours" not in theirs


async def test_outside_your_own_hours_follows_your_platform_schedule(
    harness: SlackHarness, sessions: Sessions
) -> None:
    # Slack says P0 is at work 12:00-23:00 on weekdays: Tuesday 22:15 is inside *their* hours,
    # though outside the team's (so it was recorded), and still night work
    await wrote_at_night(sessions, ["U_P0"])
    async with sessions() as session, session.begin():
        workspace = (await session.scalars(select(WorkspaceRow))).one()
        person = await PersonRepository(session).get_or_create(
            workspace.id, "U_P0", now=THURSDAY_NOON, tz="Europe/Oslo", locale="en"
        )
        person.platform_hours_spec = "mon-fri 12:00-23:00 tz Europe/Oslo"
        person.platform_hours_days = True
        person.platform_read_at = THURSDAY_NOON
    me = answer_texts(await harness.command("U_P0", "me", channel="DU_P0"))
    assert "Messages outside your own hours: 0" in me
    assert "nights (21–06): 2" in me
    await until(lambda: harness.slack.shared_files("DU_P0"))


async def decided_and_reopened(sessions: Sessions, people: list[str]) -> None:
    """``people`` wrote in one thread on Tuesday night; the guard kept it open; reopened."""
    async with sessions() as session, session.begin():
        workspace = (await session.scalars(select(WorkspaceRow))).one()
        team = (await session.scalars(select(TeamRow))).one()
        for person in people:
            await ActivityRepository(session).record(
                workspace_id=workspace.id,
                team_id=team.id,
                conversation_id="C_TEAM",
                thread_id="T-decided",
                person_id=person,
                occurred_at=TUESDAY_NIGHT,
                is_thread_root=person == people[0],
            )
        guards = GuardRepository(session)
        guard = await guards.claim(
            workspace_id=workspace.id,
            team_id=team.id,
            conversation_id="C_TEAM",
            thread_id="T-decided",
            decided_at=TUESDAY_NIGHT,
            guard_until=TUESDAY_NIGHT + timedelta(hours=14),
            now=TUESDAY_NIGHT,
        )
        assert guard is not None
        assert await guards.settle(guard.id, "reopened", by="U_LEAD", now=THURSDAY_NOON)


@pytest.mark.parametrize(("people", "shown"), [(4, False), (5, True)])
async def test_decisions_made_off_hours_and_reopened_need_five_people(
    harness: SlackHarness, sessions: Sessions, people: int, shown: bool
) -> None:
    await decided_and_reopened(sessions, COLLEAGUES[:people])
    answer = answer_texts(await harness.command("U_LEAD", "team insight"))
    if shown:
        assert "Threads that seemed decided outside hours: 1" in answer
        assert "Decisions reopened: 1" in answer
    else:
        assert "Threads that seemed decided outside hours: hidden (fewer than 5 people)" in answer
        assert "Decisions reopened: hidden (fewer than 5 people)" in answer
    await until(lambda: harness.slack.shared_files("DU_LEAD"))
