"""The workspace default on Slack beyond the OAuth install: token mode, App Home, auto-hold.

Real HTTP against the fake Slack Web API (every call checked against Slack's spec), signed
commands and events through the real app, SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.default_form import default_modal
from adapters.slack.limits import view_problems
from adapters.slack.tokens import install_single_workspace
from adapters.slack.welcome import token_mode_default
from bot.clock import FixedClock
from bot.i18n import translate
from bot.presets import load_preset
from bot.services.onboarding import Onboarding
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, WorkspaceDefaultRow
from bot.storage.repositories import PersonRepository, WorkspaceRepository
from tests.support.slack import fake_slack
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-token-mode"
FRIDAY_2200_OSLO = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
MONDAY_0800_OSLO = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


async def defaults(sessions: Sessions) -> list[WorkspaceDefaultRow]:
    async with sessions() as session:
        return list((await session.scalars(select(WorkspaceDefaultRow))).all())


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    made = fake_slack(bot_token=TOKEN, team_id="T1")
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


async def test_token_mode_takes_the_members_most_common_zone_and_its_locale(
    slack: FakeSlack, sessions: Sessions, cipher: Cipher
) -> None:
    slack.add_user("U_ANA", "Ana", tz="Europe/Oslo", locale="nb-NO")
    slack.add_user("U_BO", "Bo", tz="Europe/Oslo", locale="nb-NO")
    slack.add_user("U_CY", "Cy", tz="Europe/Oslo", locale="en-US")
    slack.add_user("U_DEE", "Dee", tz="America/New_York", locale="en-US")
    slack.add_user("U_EVE", "Eve", tz="America/New_York", locale="en-US")
    for bot in ("B_1", "B_2", "B_3"):  # bots in another zone do not outvote the people
        slack.add_user(bot, "bot", tz="Asia/Tokyo", locale="ja-JP")
        slack.users[bot]["is_bot"] = True
    onboarding = Onboarding(sessions=sessions, clock=FixedClock(FRIDAY_2200_OSLO))
    team = await install_single_workspace(
        sessions, cipher, bot_token=TOKEN, api_url=slack.url, now=FRIDAY_2200_OSLO
    )
    await token_mode_default(onboarding, team, token=TOKEN, api_url=slack.url)
    [default] = await defaults(sessions)
    assert (default.preset, default.tz, default.country, default.source) == (
        "norway-aml",
        "Europe/Oslo",
        "NO",
        "install",
    )
    assert default.installed_by is None and default.onboarded_at is None  # nobody to welcome
    assert slack.posted() == []
    lists = len(slack.calls_to("users.list"))
    await token_mode_default(onboarding, team, token=TOKEN, api_url=slack.url)  # a restart
    assert len(slack.calls_to("users.list")) == lists  # not asked again
    assert slack.violations == []


async def test_without_users_list_the_first_person_seen_sets_the_default(
    slack: FakeSlack, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    slack.add_user("U_BO", "Bo", tz="Europe/Oslo", locale="nb-NO")
    slack.add_channel("C_RANDOM")
    slack.faults.fail_next["users.list"] = [500] * 5  # Slack cannot be asked
    team = await install_single_workspace(
        sessions, cipher, bot_token=TOKEN, api_url=slack.url, now=FRIDAY_2200_OSLO
    )
    onboarding = Onboarding(sessions=sessions, clock=FixedClock(FRIDAY_2200_OSLO))
    await token_mode_default(onboarding, team, token=TOKEN, api_url=slack.url)
    assert await defaults(sessions) == []
    harness = SlackHarness(
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        slack=slack,
        now=FRIDAY_2200_OSLO,
        team=team,
    )
    async with harness.running():
        answer = await harness.command("U_BO", "later Kan vi ta det på mandag?", channel="C_RANDOM")
    assert "Holdt tilbake" in answer["text"]
    [default] = await defaults(sessions)
    assert (default.preset, default.source) == ("norway-aml", "first_seen")
    async with sessions() as session:
        [held] = (await session.scalars(select(HeldMessageRow))).all()
    assert held.deliver_at == MONDAY_0800_OSLO


async def test_app_home_shows_the_workspace_default_to_everyone(
    slack: FakeSlack, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    slack.add_user("U_ANA", "Ana", tz="Europe/Oslo", locale="en-GB")
    team = await install_single_workspace(
        sessions, cipher, bot_token=TOKEN, api_url=slack.url, now=FRIDAY_2200_OSLO
    )
    onboarding = Onboarding(sessions=sessions, clock=FixedClock(FRIDAY_2200_OSLO))
    await token_mode_default(onboarding, team, token=TOKEN, api_url=slack.url)
    harness = SlackHarness(
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        slack=slack,
        now=FRIDAY_2200_OSLO,
        team=team,
    )
    async with harness.running():
        status, _ = await harness.event(
            {"type": "app_home_opened", "user": "U_ANA", "tab": "home"}, "EvHomeDefault"
        )
        assert status == 200
        await until(lambda: "U_ANA" in slack.views)
    shown = json.dumps(slack.views["U_ANA"]["view"], ensure_ascii=False)
    assert "Workspace default" in shown
    # an English client in Oslo: the zone names the country, not the language
    assert "norway-aml" in shown and "Public holidays: NO" in shown
    assert "/quiet workspace preset NAME" in shown


async def test_auto_hold_follows_the_default_in_a_channel_no_team_covers(
    slack: FakeSlack, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    slack.add_user("U_ANA", "Ana", tz="Europe/Oslo", locale="nb-NO")
    slack.add_channel("C_RANDOM")
    slack.tokens["xoxp-ana"] = "U_ANA"
    team = await install_single_workspace(
        sessions, cipher, bot_token=TOKEN, api_url=slack.url, now=FRIDAY_2200_OSLO
    )
    onboarding = Onboarding(sessions=sessions, clock=FixedClock(FRIDAY_2200_OSLO))
    await token_mode_default(onboarding, team, token=TOKEN, api_url=slack.url)
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("slack", team)
        assert workspace is not None
        people = PersonRepository(session, cipher)
        ana = await people.get_or_create(workspace.id, "U_ANA", now=FRIDAY_2200_OSLO)
        await people.set_user_token(ana, "xoxp-ana", now=FRIDAY_2200_OSLO)
    harness = SlackHarness(
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        slack=slack,
        now=FRIDAY_2200_OSLO,
        team=team,
    )
    async with harness.running():
        written = slack.user_writes("C_RANDOM", "U_ANA", "Hei, en ting til mandag")
        written.ts = f"{FRIDAY_2200_OSLO.timestamp():.0f}.000100"  # posted at 22:00 in Oslo
        assert harness.driver is not None
        await harness.driver.message(written)
        await until(lambda: not [m for m in slack.posted("C_RANDOM") if m.ts == written.ts])
    async with sessions() as session:
        [held] = (await session.scalars(select(HeldMessageRow))).all()
    assert (held.kind, held.deliver_at) == ("auto_hold", MONDAY_0800_OSLO)


def _form(
    preset: str, tz: str, country: str, mode: str, *, confirm: bool = False
) -> dict[str, dict[str, object]]:
    def chosen(value: str) -> dict[str, object]:
        return {"type": "static_select", "selected_option": {"value": value}}

    ticked = [{"text": {"type": "plain_text", "text": "Yes"}, "value": "confirm"}]
    return {
        "preset": chosen(preset),
        "tz": {"type": "plain_text_input", "value": tz},
        "country": {"type": "plain_text_input", "value": country},
        "mode": chosen(mode),
        "confirm": {"type": "checkboxes", "selected_options": ticked if confirm else []},
    }


def _plain_texts(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [str(node["text"])] if node.get("type") == "plain_text" else []
        return own + [text for value in node.values() for text in _plain_texts(value)]
    if isinstance(node, list):
        return [text for item in node for text in _plain_texts(item)]
    return []


@pytest.mark.parametrize("locale", ["en", "nb"])
def test_the_default_form_keeps_slacks_limits_in_whole_words(locale: str) -> None:
    form = default_modal("france-charter", "Europe/Oslo", "NO", "hold", locale)
    assert view_problems(form) == []
    heading = form["blocks"][0]["text"]
    assert heading["type"] == "mrkdwn"  # its *bold* is meant as bold
    assert heading["text"] == translate("cmd.workspace.title", locale)  # whole
    for text in _plain_texts(form):
        assert "*" not in text  # no literal markup in plain text
        assert len(text) <= 75
    [preset] = [b for b in form["blocks"] if b.get("block_id") == "preset"]
    options = {o["value"]: o["text"]["text"] for o in preset["element"]["options"]}
    france = options["france-charter"]
    assert france.endswith(" (france-charter)")
    title = load_preset("france-charter").title_in(locale)
    shown = france.removesuffix(" (france-charter)")
    # whole, or shortened at a word with "…" — never cut mid-word
    assert shown == title or (
        shown.endswith("…") and title.startswith(shown[:-1]) and title[len(shown) - 1] == " "
    )
    [mode] = [b for b in form["blocks"] if b.get("block_id") == "mode"]
    labels = [o["text"]["text"] for o in mode["element"]["options"]]
    assert not any(label.startswith(("hold:", "label:", "off:")) for label in labels)


async def test_admins_change_the_default_in_a_form_from_app_home(
    slack: FakeSlack, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    slack.add_user("U_ANA", "Ana", tz="Europe/Oslo", locale="en-GB", is_admin=True)
    slack.add_user("U_BO", "Bo", tz="Europe/Oslo", locale="en-GB")
    team = await install_single_workspace(
        sessions, cipher, bot_token=TOKEN, api_url=slack.url, now=FRIDAY_2200_OSLO
    )
    onboarding = Onboarding(sessions=sessions, clock=FixedClock(FRIDAY_2200_OSLO))
    await token_mode_default(onboarding, team, token=TOKEN, api_url=slack.url)
    harness = SlackHarness(
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        slack=slack,
        now=FRIDAY_2200_OSLO,
        team=team,
    )
    async with harness.running():
        status, _ = await harness.click("U_ANA", "home.edit_default", "default", in_home=True)
        assert status == 200
        await until(lambda: slack.opened_views)
        form = slack.opened_views[-1]["view"]
        assert form["callback_id"] == "workspace.edit"
        shown = json.dumps(form)
        assert "norway-aml" in shown and "Europe/Oslo" in shown

        status, body = await harness.submit(
            "U_BO", "workspace.edit", _form("norway-aml", "Europe/Oslo", "NO", "off", confirm=True)
        )
        refused = json.loads(body)["errors"]["preset"]
        assert refused == translate("modal.workspace.admins_only", "en")  # complete
        assert refused.endswith("can change the default.")
        # off, as for `workspace mode off`, needs its explicit confirmation: nothing saved
        status, body = await harness.submit(
            "U_ANA", "workspace.edit", _form("norway-aml", "europe/oslo", "se", "off")
        )
        assert "Tick “Yes, turn protection off”" in json.loads(body)["errors"]["confirm"]
        assert (await defaults(sessions))[0].mode == "hold"
        status, body = await harness.submit(
            "U_ANA", "workspace.edit", _form("norway-aml", "Mars/Olympus", "NO", "hold")
        )
        assert "not a time zone I know" in json.loads(body)["errors"]["tz"]
        assert (await defaults(sessions))[0].source == "install"  # nothing saved

        slack.views.clear()
        saved = await harness.submit(
            "U_ANA", "workspace.edit", _form("norway-aml", "europe/oslo", "se", "off", confirm=True)
        )
        assert saved == (200, "")
        await until(lambda: "U_ANA" in slack.views)  # App Home shows the new default
    [default] = await defaults(sessions)
    assert (default.preset, default.tz, default.country, default.mode) == (
        "norway-aml",
        "Europe/Oslo",
        "SE",
        "off",
    )
    assert default.changed_by == "U_ANA"
    assert "Protection is off" in json.dumps(slack.views["U_ANA"]["view"], ensure_ascii=False)
