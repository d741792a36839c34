"""Protected by default, on every platform: a fresh install where nobody has typed anything.

One scenario per point, run against each platform's whole app over real HTTP:

- ``slack``: the "Add to Slack" OAuth install (``/slack/install`` → Slack's consent →
  ``/slack/oauth_redirect``) against the fake Slack Web API, then signed slash commands;
- ``teams``: the app added to a team (``installationUpdate``) through the Agents SDK against
  the fake Bot Connector, then @mentions and 1:1 messages.

The installer's zone and locale are what the platform reports (Slack ``users.info``, Teams
``clientInfo``). Friday 22:00 in Oslo, `later` in a channel that no team covers is held by the
workspace default until Monday's opening (not Saturday) and delivered then.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.slack.oauth import SlackInstall
from adapters.slack.welcome import SlackWelcome
from bot.services.onboarding import Onboarding
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, TeamRow, WorkspaceDefaultRow
from tests.support.slack import fake_slack
from tests.support.slack_app import SlackHarness
from tests.support.teams import CHANNEL, KARI, OLA, installation_update
from tests.support.teams_app import TeamsHarness, card_of, card_text, mention, personal

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_2200_OSLO = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
SATURDAY_0800_OSLO = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
MONDAY_0759_OSLO = datetime(2026, 11, 30, 6, 59, tzinfo=UTC)
MONDAY_0800_OSLO = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
CLIENT_ID, CLIENT_SECRET = "111.222", "shh-client-secret"
BOT_TOKEN = "xoxb-fresh-install"

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


class Fresh(ABC):
    """A platform where the app was just installed and nobody has typed anything."""

    installer: str
    colleague: str  # neither an admin nor the installer
    uncovered: str  # a channel no team covers

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    @abstractmethod
    async def install(self, *, tz: str, locale: str) -> None: ...

    @abstractmethod
    async def command(self, person: str, text: str, *, where: str | None = None) -> str:
        """``/quiet TEXT`` (Slack) or the same words to the bot (Teams); what the person reads."""

    @abstractmethod
    def welcomes(self) -> list[str]:
        """What the installer was sent privately after the install."""

    @abstractmethod
    def delivered(self) -> list[str]:
        """What the bot posted in the uncovered channel."""

    @abstractmethod
    def set_clock(self, instant: datetime) -> None: ...

    @abstractmethod
    async def run_delivery(self) -> None: ...

    async def default(self) -> WorkspaceDefaultRow:
        async with self.sessions() as session:
            return (await session.scalars(select(WorkspaceDefaultRow))).one()


class FreshSlack(Fresh):
    installer, colleague, uncovered = "U_ANA", "U_BO", "C_RANDOM"

    def __init__(self, harness: SlackHarness, sessions: Sessions) -> None:
        super().__init__(sessions)
        self.harness = harness
        self.http: aiohttp.ClientSession | None = None

    async def install(self, *, tz: str, locale: str) -> None:
        slack = self.harness.slack
        slack.users[self.installer].update(tz=tz, locale=locale)
        assert self.http is not None
        base = self.harness.url.removesuffix("/slack/events")
        async with self.http.get(base + "/slack/install", allow_redirects=False) as started:
            assert started.status == 302
            state = SimpleCookie(started.headers["Set-Cookie"])["slack-app-oauth-state"].value
            assert parse_qs(urlsplit(started.headers["Location"]).query)["state"] == [state]
        code = f"code-{len(slack.calls)}"
        slack.approve_install(
            code, client_id=CLIENT_ID, installer=self.installer, bot_token=BOT_TOKEN
        )
        async with self.http.get(
            f"{base}/slack/oauth_redirect?code={code}&state={state}",
            headers={"Cookie": f"slack-app-oauth-state={state}"},
        ) as done:
            assert done.status == 200, await done.text()

    async def command(self, person: str, text: str, *, where: str | None = None) -> str:
        answer = await self.harness.command(person, text, channel=where or self.uncovered)
        parts = [str(answer.get("text", ""))]
        parts += [str(b["text"].get("text", "")) for b in answer.get("blocks") or [] if "text" in b]
        return "\n".join(parts)

    def welcomes(self) -> list[str]:
        return [m.body for m in self.harness.slack.posted(self.installer)]

    def delivered(self) -> list[str]:
        return [m.body for m in self.harness.slack.posted(self.uncovered)]

    def set_clock(self, instant: datetime) -> None:
        self.harness.clock.set(instant)

    async def run_delivery(self) -> None:
        await self.harness.engine.run_until_idle()
        await self.harness.engine.run_until_idle()


class FreshTeams(Fresh):
    installer, colleague, uncovered = KARI["id"], OLA["id"], CHANNEL

    def __init__(self, harness: TeamsHarness, sessions: Sessions) -> None:
        super().__init__(sessions)
        self.harness = harness
        self._people = {KARI["id"]: KARI, OLA["id"]: OLA}

    async def install(self, *, tz: str, locale: str) -> None:
        activity = installation_update(self.harness.service_url)  # Kari adds it to a team
        activity["locale"] = locale
        for entity in activity["entities"]:
            entity.update(timezone=tz, locale=locale)
        status, _ = await self.harness.send(activity)
        assert status == 202

    async def command(self, person: str, text: str, *, where: str | None = None) -> str:
        who = self._people[person]
        if where == "personal":
            card = await self.harness.ask(personal(self.harness.service_url, text, sender=who))
        else:
            activity = mention(self.harness.service_url, text, sender=who, channel=self.uncovered)
            card = await self.harness.ask(activity)
        return card_text(card)

    def welcomes(self) -> list[str]:
        found = []
        for call in self.harness.connector.posted():
            for attachment in call.body.get("attachments") or []:
                text = card_text(attachment["content"])
                if "Quiet Hours" in text and ("installert" in text or "installed" in text):
                    found.append(text)
        return found

    def delivered(self) -> list[str]:
        return [
            card_text(card_of(call.body)) or str(call.body.get("text", ""))
            for call in self.harness.connector.posted(self.uncovered)
            if call.reply_to is None  # not the "answered in your 1:1 chat" notes
        ]

    def set_clock(self, instant: datetime) -> None:
        self.harness.clock.set(instant)

    async def run_delivery(self) -> None:
        await self.harness.engine.run_until_idle()
        await self.harness.engine.run_until_idle()


@pytest.fixture(params=["slack", "teams"])
async def fresh(
    request: pytest.FixtureRequest, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[Fresh]:
    if request.param == "slack":
        slack = fake_slack(bot_token="xoxb-unused", team_id="T_NEW")
        slack.oauth_clients[CLIENT_ID] = CLIENT_SECRET
        slack.add_user("U_ANA", "Ana", is_admin=True)
        slack.add_user("U_BO", "Bo", tz="Europe/Oslo", locale="nb-NO")
        slack.add_channel("C_RANDOM", members=["U_ANA", "U_BO"])
        await slack.start()
        harness = SlackHarness(
            engine=engine,
            sessions=sessions,
            cipher=cipher,
            slack=slack,
            now=FRIDAY_2200_OSLO,
            team="T_NEW",
        )
        SlackInstall(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            engine=engine,
            sessions=sessions,
            cipher=cipher,
            clock=harness.clock,
            api_url=slack.url,
            welcome=SlackWelcome(
                platform=harness.platform,
                onboarding=Onboarding(sessions=sessions, clock=harness.clock),
            ),
        ).mount(harness.app)
        try:
            async with (
                harness.running(),
                aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
            ):
                made = FreshSlack(harness, sessions)
                made.http = http
                yield made
        finally:
            await slack.stop()
    else:
        teams = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_2200_OSLO)
        async with teams.running():
            yield FreshTeams(teams, sessions)


async def held(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


async def test_an_oslo_install_makes_a_norwegian_default_and_welcomes_the_installer_once(
    fresh: Fresh,
) -> None:
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    default = await fresh.default()
    assert (default.preset, default.country, default.tz, default.mode) == (
        "norway-aml",
        "NO",
        "Europe/Oslo",
        "hold",
    )
    assert default.installed_by == fresh.installer
    [welcome] = fresh.welcomes()
    assert "norway-aml" in welcome and "Europe/Oslo" in welcome and "NO" in welcome
    assert "alle er beskyttet" in welcome  # in the installer's language
    await fresh.install(tz="America/New_York", locale="en-US")  # installed again
    assert len(fresh.welcomes()) == 1  # no second welcome
    again = await fresh.default()
    assert (again.preset, again.tz) == ("norway-aml", "Europe/Oslo")  # nothing overwritten


async def test_an_american_install_makes_an_office_standard_default(fresh: Fresh) -> None:
    await fresh.install(tz="America/New_York", locale="en-US")
    default = await fresh.default()
    assert (default.preset, default.country, default.tz) == (
        "office-standard",
        "US",
        "America/New_York",
    )
    [welcome] = fresh.welcomes()
    assert "everyone is protected" in welcome and "office-standard" in welcome


async def test_an_english_installer_in_oslo_gets_norways_holidays(fresh: Fresh) -> None:
    # the zone names the country; the client's language only when the zone says nothing
    await fresh.install(tz="Europe/Oslo", locale="en-GB")
    default = await fresh.default()
    assert (default.preset, default.country, default.tz) == ("norway-aml", "NO", "Europe/Oslo")


async def test_later_on_friday_night_in_an_uncovered_channel_waits_for_monday(
    fresh: Fresh, sessions: Sessions
) -> None:
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    answer = await fresh.command(fresh.colleague, "later Can we talk Monday?")
    assert "Stilletiden i dette arbeidsområdet slutter man. 08:00" in answer
    [row] = await held(sessions)
    assert row.deliver_at == MONDAY_0800_OSLO  # not Saturday
    await fresh.run_delivery()
    fresh.set_clock(SATURDAY_0800_OSLO)
    await fresh.run_delivery()
    fresh.set_clock(MONDAY_0759_OSLO)
    await fresh.run_delivery()
    assert fresh.delivered() == []
    fresh.set_clock(MONDAY_0800_OSLO)
    await fresh.run_delivery()
    [posted] = fresh.delivered()
    assert "Can we talk Monday?" in posted


async def test_only_an_admin_or_the_installer_changes_the_default(fresh: Fresh) -> None:
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    shown = await fresh.command(fresh.colleague, "workspace")
    assert "norway-aml" in shown  # anyone may look
    refused = await fresh.command(fresh.colleague, "workspace preset office-standard")
    assert "Bare en administrator" in refused
    assert (await fresh.default()).preset == "norway-aml"
    changed = await fresh.command(fresh.installer, "workspace preset office-standard")
    assert "Lagret." in changed and "office-standard" in changed
    await fresh.command(fresh.installer, "workspace tz America/New_York")
    await fresh.command(fresh.installer, "workspace country us")
    default = await fresh.default()
    assert (default.preset, default.tz, default.country) == (
        "office-standard",
        "America/New_York",
        "US",
    )
    assert default.changed_by == fresh.installer
    bad = await fresh.command(fresh.installer, "workspace tz Mars/Olympus")
    assert "ikke en tidssone" in bad


async def test_protection_is_off_only_by_an_explicit_confirmed_choice(
    fresh: Fresh, sessions: Sessions
) -> None:
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    refused = await fresh.command(fresh.colleague, "workspace mode off bekreft")
    assert "Bare en administrator" in refused
    asked = await fresh.command(fresh.installer, "workspace mode off")
    assert "workspace mode off bekreft" in asked
    assert (await fresh.default()).mode == "hold"  # asking changes nothing
    later = await fresh.command(fresh.colleague, "later Fortsatt beskyttet?")
    assert "man. 08:00" in later
    done = await fresh.command(fresh.installer, "workspace mode off bekreft")
    assert "Beskyttelsen er slått av" in done
    assert (await fresh.default()).mode == "off"
    now = await fresh.command(fresh.colleague, "later Nå med en gang")
    assert "slått av for dette arbeidsområdet" in now
    await fresh.run_delivery()
    assert any("Nå med en gang" in text for text in fresh.delivered())
    back = await fresh.command(fresh.installer, "workspace mode hold")
    assert "Lagret." in back and (await fresh.default()).mode == "hold"


async def test_turning_protection_off_is_asked_in_the_words_typed_and_takes_no_trailing_words(
    fresh: Fresh,
) -> None:
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    asked = await fresh.command(fresh.installer, "arbeidsområde modus av")
    assert "arbeidsområde modus av bekreft" in asked
    assert "workspace mode off" not in asked
    junk = await fresh.command(fresh.installer, "workspace mode off confirm please")
    assert "Beskyttelsen er slått av" not in junk
    assert (await fresh.default()).mode == "hold"
    done = await fresh.command(fresh.installer, "arbeidsområde modus av bekreft")
    assert "Beskyttelsen er slått av" in done
    assert (await fresh.default()).mode == "off"
    back = await fresh.command(fresh.installer, "arbeidsområde modus hold tilbake")
    assert "Lagret." in back and (await fresh.default()).mode == "hold"


async def test_a_team_made_on_install_inherits_the_default_preset(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    """Teams: adding the app to a team makes that team a policy, on the tenant's preset."""
    teams = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_2200_OSLO)
    async with teams.running():
        fresh = FreshTeams(teams, sessions)
        await fresh.install(tz="Europe/Oslo", locale="nb-NO")
        async with sessions() as session:
            [team] = (await session.scalars(select(TeamRow))).all()
        assert team.preset == "norway-aml"
        assert "tz Europe/Oslo" in team.hours_spec and "holidays NO" in team.hours_spec
        assert team.urgent_who == "leaders"
