"""Daytime messages kept for a welcome-back digest (``in_hours`` rows) on a real database: every
off-hours reader leaves them out — the team digest's activity, personal and team insights, the
decision guard's thread lookup — and only the welcome-back read asks for them; the watcher keeps
one only in a channel where a member is away (real SlackPlatform against the fake Slack API)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack.platform import SlackPlatform
from bot.services.days_off import save_days_off
from bot.services.watch import ChannelMessage, OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.guards import ReactionRepository
from bot.storage.insight_queries import InsightQueries
from bot.storage.models import ActivityRow, TeamRow
from bot.storage.repositories import (
    ActivityRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)
from tests.support.slack import fake_slack, install_workspace

Sessions = async_sessionmaker[AsyncSession]
SUNDAY_EVENING = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
MONDAY_MORNING = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TUESDAY_MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Oslo, in the team's hours
START, END = SUNDAY_EVENING - timedelta(days=1), MONDAY_MORNING + timedelta(days=1)


async def _seed(sessions: Sessions) -> tuple[int, int]:
    """One off-hours thread (Sunday evening) and one daytime thread kept while someone was away
    (Monday morning), each a decision with a reply by Kari; the daytime thread's guard was
    reopened."""
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "slack", "T1", now=SUNDAY_EVENING
        )
        team = await TeamRepository(session).create(
            workspace.id, "Platform", now=SUNDAY_EVENING, hours_spec="mon-fri 08:00-16:00"
        )
        activity = ActivityRepository(session)
        for thread, at, in_hours in (("1", SUNDAY_EVENING, False), ("2", MONDAY_MORNING, True)):
            for minute, person in ((0, "U_OLA"), (5, "U_KARI")):
                await activity.record(
                    workspace_id=workspace.id,
                    team_id=team.id,
                    conversation_id="C1",
                    thread_id=thread,
                    person_id=person,
                    occurred_at=at + timedelta(minutes=minute),
                    is_thread_root=minute == 0,
                    decision_signal=True,
                    message_id=f"{thread}.{minute}",
                    in_hours=in_hours,
                )
        return workspace.id, team.id


async def test_off_hours_readers_see_only_off_hours_rows(sessions: Sessions) -> None:
    workspace_id, team_id = await _seed(sessions)
    async with sessions() as session:
        digest = await ActivityRepository(session).between(workspace_id, START, END)
        welcome = await ActivityRepository(session).between(workspace_id, START, END, in_hours=True)
        insights = InsightQueries(session)
        kari = await insights.person_activity(workspace_id, "U_KARI", START, END)
        team = await insights.team_activity(team_id, START, END)
        decisions = await insights.team_decisions(team_id, START, END)
        guards = ReactionRepository(session)
        off_reply = await guards.thread_of(workspace_id, "C1", "1.5")
        day_reply = await guards.thread_of(workspace_id, "C1", "2.5")
    assert {a.thread_id for a in digest} == {"1"}
    assert [(a.thread_id, a.in_hours) for a in welcome] == [
        ("1", False), ("1", False), ("2", True), ("2", True),
    ]  # fmt: skip
    assert kari == [SUNDAY_EVENING + timedelta(minutes=5)]
    assert sorted(at for _, at in team) == [
        SUNDAY_EVENING, SUNDAY_EVENING + timedelta(minutes=5),
    ]  # fmt: skip
    assert len(decisions) == 1
    # a reaction on the daytime reply is not taken for a reaction in an off-hours thread
    assert (off_reply, day_reply) == ("1", "2.5")


async def test_latest_team_is_from_off_hours_rows_only(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "slack", "T1", now=SUNDAY_EVENING
        )
        teams = TeamRepository(session)
        evening = await teams.create(
            workspace.id, "Evening", now=SUNDAY_EVENING, hours_spec="mon-fri 08:00-16:00"
        )
        daytime = await teams.create(
            workspace.id, "Daytime", now=SUNDAY_EVENING, hours_spec="mon-fri 08:00-16:00"
        )
        for team, at, in_hours in (
            (evening, SUNDAY_EVENING, False),
            (daytime, MONDAY_MORNING, True),
        ):
            await ActivityRepository(session).record(
                workspace_id=workspace.id,
                team_id=team.id,
                conversation_id=f"C{team.id}",
                thread_id="1",
                person_id="U_KARI",
                occurred_at=at,
                in_hours=in_hours,
            )
        workspace_id, evening_id = workspace.id, evening.id
    async with sessions() as session:
        assert await InsightQueries(session).latest_team(workspace_id, "U_KARI") == evening_id


async def test_a_daytime_message_is_kept_only_where_someone_away_is_a_member(
    sessions: Sessions, cipher: Cipher
) -> None:
    """Kari is off on Tuesday; she is in #team but not in #other (both watched by one team).
    Ola's messages there on Tuesday morning, in the team's hours: #team's is kept for her
    welcome-back digest, #other's is not (no digest could ever show it)."""
    slack = fake_slack(bot_token="xoxb-away", team_id="T1")
    slack.add_user("U_KARI", "Kari", tz="Europe/Oslo")
    slack.add_user("U_OLA", "Ola", tz="Europe/Oslo")
    slack.add_channel("C_TEAM", members=["U_KARI", "U_OLA"])
    slack.add_channel("C_OTHER", members=["U_OLA"])
    url = await slack.start()
    platform = SlackPlatform(token_for=_token, base_url=url, timeout=5)
    try:
        team_id = await install_workspace(
            sessions, cipher, token="xoxb-away", now=SUNDAY_EVENING, channel="C_TEAM"
        )
        async with sessions() as session, session.begin():
            team = await session.get(TeamRow, team_id)
            assert team is not None
            await TeamRepository(session).watch(team, "C_OTHER")
            kari = await PersonRepository(session).get_or_create(
                team.workspace_id, "U_KARI", now=SUNDAY_EVENING, tz="Europe/Oslo"
            )
            await save_days_off(
                session, kari, [date(2026, 12, 1)], today=date(2026, 11, 29), now=SUNDAY_EVENING
            )
        watcher = OffHoursWatcher(sessions=sessions, platforms={"slack": platform}, cipher=cipher)
        seen = [
            await watcher.on_message(
                ChannelMessage(
                    platform="slack",
                    workspace="T1",
                    conversation=channel,
                    thread=f"{channel}.1",
                    author="U_OLA",
                    at=TUESDAY_MORNING,
                    text="Ny plan for uka",
                    is_thread_root=True,
                )
            )
            for channel in ("C_TEAM", "C_OTHER")
        ]
        async with sessions() as session:
            rows = (
                await session.execute(select(ActivityRow.thread_id, ActivityRow.in_hours))
            ).all()
    finally:
        await platform.close()
        await slack.stop()
    assert [w.recorded for w in seen] == [True, False]
    assert [tuple(r) for r in rows] == [("C_TEAM.1", True)]
    assert slack.posted() == []  # in hours: no label, no guard


async def _token(workspace: str, person: str | None) -> str | None:
    return "xoxb-away" if workspace == "T1" and person is None else None
