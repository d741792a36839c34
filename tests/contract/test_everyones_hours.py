"""Everyone's hours without asking, on every platform (issue #9 parts 2 and 4).

A fresh install where nobody has typed anything (the install of ``test_protected_by_default``:
Slack's OAuth flow, Teams' ``installationUpdate``), then the whole app over real HTTP. The
colleague never typed a command; the platform knows their schedule — Slack's notification
schedule (``dnd.teamInfo``, which has no weekdays) and zone (``users.info``); on Teams their
Outlook working hours (Microsoft Graph ``workingHours``, played by the fake connector, with the
person's directory id read from the team's roster). On Friday at 22:00 in Oslo, ``later
@colleague`` waits for *their* hours: Monday, not Saturday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.services.platform_defaults import PlatformDefaults
from bot.storage.models import PersonRow
from tests.contract import test_protected_by_default as protected
from tests.contract.test_protected_by_default import (  # the fresh install, on each platform
    FRIDAY_2200_OSLO,
    Fresh,
    FreshSlack,
    FreshTeams,
    Sessions,
    held,
)
from tests.support.teams import OLA, TEAM
from tests.support.teams_app import card_of, card_text, mention, personal
from tests.support.waiting import until_async

#: the fresh install on Slack and on Teams (one fixture, parametrized by platform)
fresh = protected.fresh

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

SATURDAY_0800_OSLO = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
MONDAY_0700_OSLO = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
MONDAY_0800_OSLO = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
MONDAY_1000_OSLO = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OLA_DIRECTORY_ID = "4c1d7a52-0d6e-4c83-9f7e-2b1f3c9d8e70"


def _oslo(day: int, hour: int) -> float:
    """A timestamp in Oslo (UTC+1 in November/December 2026)."""
    return datetime(2026, 11, day, hour - 1, 0, tzinfo=UTC).timestamp()


def set_schedule(place: Fresh, start: int, end: int) -> None:
    """The colleague's schedule on the platform: notifications (Slack) or working hours
    (Outlook, Monday to Friday) from ``start`` to ``end`` o'clock, Oslo time."""
    if isinstance(place, FreshSlack):
        # do-not-disturb from the end of the day to the start of the next
        place.harness.slack.dnd[place.colleague] = (_oslo(27, end), _oslo(28, start))
        return
    assert isinstance(place, FreshTeams)
    connector = place.harness.connector
    # CHANNEL is a standard channel: Teams lists its team's roster for it
    connector.members[TEAM] = [{**OLA, "aadObjectId": OLA_DIRECTORY_ID}]
    connector.working_hours[OLA_DIRECTORY_ID] = {
        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "startTime": f"{start:02d}:00:00.0000000",
        "endTime": f"{end:02d}:00:00.0000000",
        "timeZone": {"name": "W. Europe Standard Time"},
    }


async def later_to_colleague(place: Fresh, text: str) -> str:
    """The installer writes ``later @colleague TEXT`` in the channel no team covers."""
    if isinstance(place, FreshSlack):
        return await place.command(place.installer, f"later <@{place.colleague}> {text}")
    assert isinstance(place, FreshTeams)
    activity = mention(
        place.harness.service_url,
        f"later <at>{OLA['name']}</at> {text}",
        channel=place.uncovered,
        others=(OLA,),
    )
    return card_text(await place.harness.ask(activity))


def private_to_colleague(place: Fresh) -> list[str]:
    """What the colleague was sent privately (a Slack DM, a Teams 1:1 chat)."""
    if isinstance(place, FreshSlack):
        return [message.body for message in place.harness.slack.posted(place.colleague)]
    assert isinstance(place, FreshTeams)
    connector = place.harness.connector
    chats = {
        call.answer_id
        for call in connector.calls
        if call.path.endswith("/v3/conversations") and call.status < 300
        if call.body.get("isGroup") is False and call.body["members"] == [{"id": OLA["id"]}]
    }
    return [
        card_text(card_of(call.body)) or str(call.body.get("text", ""))
        for chat in sorted(c for c in chats if c)
        for call in connector.posted(chat)
    ]


def defaults_of(place: Fresh) -> PlatformDefaults:
    """The app's reader of platform defaults (what the daily job runs)."""
    assert isinstance(place, FreshSlack | FreshTeams)
    return place.harness.defaults


async def colleague_says(place: Fresh, text: str) -> str:
    """The colleague's own command (Teams: in their 1:1 chat with the bot, their client
    reporting their directory id as Teams does)."""
    if isinstance(place, FreshSlack):
        return await place.command(place.colleague, text)
    assert isinstance(place, FreshTeams)
    ola = {**OLA, "aadObjectId": OLA_DIRECTORY_ID}
    return card_text(await place.harness.ask(personal(place.harness.service_url, text, sender=ola)))


async def own_hours(place: Fresh, spec: str) -> str:
    """The colleague sets hours of their own."""
    return await colleague_says(place, f"hours {spec}")


async def person(sessions: Sessions, external_id: str) -> PersonRow:
    async with sessions() as session:
        query = select(PersonRow).where(PersonRow.external_id == external_id)
        return (await session.scalars(query)).one()


async def test_later_to_a_colleague_who_never_typed_waits_for_their_platform_hours_monday(
    fresh: Fresh, sessions: Sessions
) -> None:
    """The acceptance: Friday 22:00 in Oslo, her schedule says 08:00-16:00: Monday 08:00."""
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    set_schedule(fresh, 8, 16)
    answer = await later_to_colleague(fresh, "Kan vi ta budsjettet mandag?")
    assert "man. 08:00" in answer
    [row] = await held(sessions)
    assert (row.conversation_id, row.deliver_at) == (fresh.colleague, MONDAY_0800_OSLO)
    # read from the platform and kept as a platform default, never as her own choice
    colleague = await person(sessions, fresh.colleague)
    assert (colleague.hours_spec, colleague.hours_source) == (None, None)
    assert colleague.platform_hours_spec is not None
    assert "08:00-16:00" in colleague.platform_hours_spec
    assert colleague.platform_read_at == FRIDAY_2200_OSLO
    # nothing on Saturday morning; delivered to her, privately, on Monday at 08:00
    for instant in (FRIDAY_2200_OSLO, SATURDAY_0800_OSLO, MONDAY_0800_OSLO - timedelta(minutes=1)):
        fresh.set_clock(instant)
        await fresh.run_delivery()
        assert private_to_colleague(fresh) == []
    fresh.set_clock(MONDAY_0800_OSLO)
    await fresh.run_delivery()
    [delivered] = private_to_colleague(fresh)
    assert "Kan vi ta budsjettet mandag?" in delivered


async def test_it_is_the_colleagues_schedule_not_the_workspace_default_that_decides(
    fresh: Fresh, sessions: Sessions
) -> None:
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    set_schedule(fresh, 7, 15)  # earlier than the default's 08:00
    answer = await later_to_colleague(fresh, "Tidlig fugl")
    assert "man. 07:00" in answer
    [row] = await held(sessions)
    assert row.deliver_at == MONDAY_0700_OSLO


async def test_status_says_the_hours_come_from_the_platform(
    fresh: Fresh, sessions: Sessions
) -> None:
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    set_schedule(fresh, 8, 16)
    await later_to_colleague(fresh, "hei")  # she is seen: her schedule is read
    shown = await colleague_says(fresh, "status")
    if isinstance(fresh, FreshSlack):
        assert "fra varslingsplanen din i Slack, med dagene fra arbeidsområdets standard" in shown
    else:
        assert "fra arbeidstiden din i Outlook" in shown
    assert "man-fre 08:00-16:00 tz Europe/Oslo" in shown  # working days, never mon-sun
    await own_hours(fresh, "mon-thu 09:00-15:00")
    mine = await colleague_says(fresh, "status")
    assert "satt av deg" in mine and "man-tor 09:00-15:00" in mine


async def test_the_daily_refresh_reads_a_changed_schedule_but_never_a_persons_own_hours(
    fresh: Fresh, sessions: Sessions
) -> None:
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    set_schedule(fresh, 8, 16)
    await later_to_colleague(fresh, "first")
    defaults = defaults_of(fresh)
    set_schedule(fresh, 10, 18)
    await defaults.refresh_stale()  # she was read within the day: not again
    colleague = await person(sessions, fresh.colleague)
    assert "08:00-16:00" in (colleague.platform_hours_spec or "")
    fresh.set_clock(FRIDAY_2200_OSLO + timedelta(hours=25))
    assert await defaults.refresh_stale() >= 1
    colleague = await person(sessions, fresh.colleague)
    assert colleague.platform_hours_spec is not None
    assert "10:00-18:00" in colleague.platform_hours_spec
    assert colleague.platform_read_at == FRIDAY_2200_OSLO + timedelta(hours=25)
    # her own hours, once she sets them, are never touched by a refresh
    await own_hours(fresh, "mon-fri 09:00-15:00")
    set_schedule(fresh, 6, 12)
    fresh.set_clock(FRIDAY_2200_OSLO + timedelta(hours=50))
    await defaults.refresh_stale()
    colleague = await person(sessions, fresh.colleague)
    assert (colleague.hours_spec, colleague.hours_source) == (
        "mon-fri 09:00-15:00 tz Europe/Oslo holidays NO",  # the default's holidays kept
        "personal",
    )
    assert colleague.platform_hours_spec is not None
    assert "06:00-12:00" in colleague.platform_hours_spec
    answer = await later_to_colleague(fresh, "second")
    assert "man. 09:00" in answer  # her own hours decide


async def test_with_protection_turned_off_only_a_persons_own_hours_hold_messages_to_them(
    fresh: Fresh, sessions: Sessions
) -> None:
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    set_schedule(fresh, 8, 16)
    await fresh.command(fresh.installer, "workspace mode off bekreft")
    answer = await later_to_colleague(fresh, "nå")
    assert "Levert nå" in answer  # her Slack/Outlook schedule is no choice of hers
    await own_hours(fresh, "mon-fri 09:00-15:00")
    answer = await later_to_colleague(fresh, "senere")
    assert "man. 09:00" in answer  # hours she set herself still count


# -- Slack's user_change and member_joined_channel ------------------------------------------


@pytest.fixture
async def slack_fresh(fresh: Fresh) -> FreshSlack:
    if not isinstance(fresh, FreshSlack):
        pytest.skip(
            "user_change and member_joined_channel are Slack events; Teams has no such event"
        )
    return fresh


def _user_change(user: str, tz: str) -> dict[str, Any]:
    """``user_change`` as Slack sends it (events API): the whole user object."""
    return {
        "type": "user_change",
        "user": {"id": user, "name": "bo", "real_name": "Bo", "tz": tz, "deleted": False},
        "cache_ts": 1764795600,
        "event_ts": "1764795600.000100",
    }


async def test_slack_user_change_reads_the_new_schedule_and_zone_at_once(
    slack_fresh: FreshSlack, sessions: Sessions
) -> None:
    place = slack_fresh
    await place.install(tz="Europe/Oslo", locale="nb-NO")
    set_schedule(place, 8, 16)
    await later_to_colleague(place, "first")
    # she changes her notification schedule in Slack: Slack says so with user_change
    set_schedule(place, 10, 18)
    status, _ = await place.harness.event(_user_change(place.colleague, "Europe/Oslo"), "EvBO1")
    assert status == 200

    async def reread() -> bool:
        row = await person(sessions, place.colleague)
        return "10:00-18:00" in (row.platform_hours_spec or "")

    await until_async(reread)
    answer = await later_to_colleague(place, "second")
    assert "man. 10:00" in answer
    [_, second] = sorted(await held(sessions), key=lambda row: row.created_at)
    assert second.deliver_at == MONDAY_1000_OSLO


async def test_slack_user_change_keeps_a_persons_own_hours(
    slack_fresh: FreshSlack, sessions: Sessions
) -> None:
    place = slack_fresh
    await place.install(tz="Europe/Oslo", locale="nb-NO")
    set_schedule(place, 8, 16)
    await place.command(place.colleague, "hours mon-fri 09:00-15:00")
    set_schedule(place, 10, 18)
    place.harness.slack.users[place.colleague]["tz"] = "Europe/London"  # she moved, too
    await place.harness.event(_user_change(place.colleague, "Europe/London"), "EvBO2")

    async def reread() -> bool:  # 10:00-18:00 in Oslo is 09:00-17:00 in London
        row = await person(sessions, place.colleague)
        return row.platform_hours_spec == "mon-sun 09:00-17:00 tz Europe/London"

    await until_async(reread)
    colleague = await person(sessions, place.colleague)
    assert colleague.tz == "Europe/London"  # her profile changed: her zone is read again
    assert (colleague.hours_spec, colleague.hours_source) == (
        "mon-fri 09:00-15:00 tz Europe/Oslo holidays NO",  # the default's holidays kept
        "personal",
    )
    assert "man. 09:00" in await later_to_colleague(place, "own hours decide")


async def test_slack_someone_joining_a_channel_is_seen(
    slack_fresh: FreshSlack, sessions: Sessions
) -> None:
    place = slack_fresh
    await place.install(tz="Europe/Oslo", locale="nb-NO")
    place.harness.slack.add_user("U_CY", "Cy", tz="America/New_York")
    place.harness.slack.dnd["U_CY"] = (_oslo(27, 23), _oslo(28, 15))  # 09:00-17:00 in NY
    event = {
        "type": "member_joined_channel",
        "user": "U_CY",
        "channel": place.uncovered,
        "channel_type": "C",
        "team": "T_NEW",
    }
    status, _ = await place.harness.event(event, "EvCY1")
    assert status == 200

    async def seen() -> bool:
        async with sessions() as session:
            query = select(PersonRow).where(PersonRow.external_id == "U_CY")
            row = (await session.scalars(query)).first()
        return row is not None and row.platform_read_at is not None

    await until_async(seen)
    cy = await person(sessions, "U_CY")
    assert cy.tz == "America/New_York"
    assert cy.platform_hours_spec == "mon-sun 09:00-17:00 tz America/New_York"
    assert cy.platform_hours_days is False  # Slack's schedule has no weekdays of its own
