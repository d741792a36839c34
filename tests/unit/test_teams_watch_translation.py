"""Pure Teams translation for watching and digests: channel activities in, digest cards out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from adapters.teams.activities import conversation_info
from adapters.teams.digest_card import (
    MAX_THREADS,
    digest_activity,
    digest_card,
    place_name,
    thread_link,
)
from adapters.teams.guard_card import reader_time
from adapters.teams.watching import channel_message, plain_text
from bot.domain.digest import DigestThread, DigestView, excerpt
from bot.i18n import render_instants
from tests.support.teams import (
    BOT,
    CHANNEL,
    KARI,
    TEAM,
    TENANT,
    conversation_update,
    element_text,
    personal_message,
    schema_errors,
)
from tests.support.teams import (
    channel_message as teams_channel_message,
)

SERVICE = "https://smba.trafficmanager.net/emea/"
NOW = datetime(2026, 11, 30, 7, tzinfo=UTC)
GROUP = "c1a4a9e0-5b7e-4b9a-9a57-3c0a1e6e8d11"


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("<p>Skal vi bytte leverandør?</p>", "Skal vi bytte leverandør?"),
        (
            "<p>Hei <at>Kari Nordmann</at>, ser du&nbsp;dette?</p>",
            "Hei @Kari Nordmann, ser du dette?",
        ),
        ("<div>første</div><div>andre<br/>tredje</div>", "første\nandre\ntredje"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
        ("plain text", "plain text"),
        ("", ""),
    ],
)
def test_teams_html_becomes_plain_text(html: str, plain: str) -> None:
    assert plain_text(html) == plain


def test_a_quoted_first_line_notifies_nobody() -> None:
    line = excerpt(plain_text('<p><at id="0">Kari</at> se <a href="https://x">her</a></p>'))
    assert line == "@Kari se her"


def test_a_root_post_is_its_own_thread() -> None:
    activity = teams_channel_message(SERVICE, "<p>Hei</p>", sender=KARI)
    message = channel_message(activity, now=NOW)
    assert message is not None
    assert (message.platform, message.workspace, message.conversation) == (
        "teams",
        TENANT,
        CHANNEL,
    )
    assert (message.thread, message.is_thread_root) == (activity["id"], True)
    assert (message.author, message.text) == (KARI["id"], "Hei")
    assert message.at == datetime(2026, 11, 29, 20, 14, 0, 123000, tzinfo=UTC)


def test_a_reply_belongs_to_its_root() -> None:
    activity = teams_channel_message(SERVICE, "svar", root="1700000000001")
    message = channel_message(activity, now=NOW)
    assert message is not None
    assert (message.thread, message.is_thread_root) == ("1700000000001", False)


def test_a_reply_without_the_thread_suffix_uses_reply_to() -> None:
    activity = teams_channel_message(SERVICE, "svar", root="1700000000001")
    activity["conversation"]["id"] = CHANNEL
    message = channel_message(activity, now=NOW)
    assert message is not None and message.thread == "1700000000001"


def test_a_missing_timestamp_falls_back_to_now() -> None:
    activity = teams_channel_message(SERVICE)
    del activity["timestamp"]
    message = channel_message(activity, now=NOW)
    assert message is not None and message.at == NOW


@pytest.mark.parametrize(
    "activity",
    [
        teams_channel_message(SERVICE, sender=BOT),  # the bot's own post
        teams_channel_message(SERVICE, sender={"id": "28:another-bot"}),
        teams_channel_message(SERVICE, "status", mention=True),  # a command, not a conversation
        personal_message(SERVICE),
        conversation_update(SERVICE, added=[BOT]),
    ],
    ids=["own", "other-bot", "command", "personal", "update"],
)
def test_what_is_not_a_person_talking_in_a_channel_is_ignored(activity: dict[str, Any]) -> None:
    assert channel_message(activity, now=NOW) is None


def test_the_reference_keeps_what_a_deep_link_needs() -> None:
    info = conversation_info(teams_channel_message(SERVICE))
    assert info is not None
    assert info.reference["aadGroupId"] == GROUP
    assert info.reference["teamName"] == "Plattform"
    assert "channelName" not in info.reference  # Teams did not name the channel


def test_a_channel_event_does_not_rename_the_channel_it_arrives_in() -> None:
    update = conversation_update(SERVICE, event_type="channelRenamed", channel=CHANNEL)
    info = conversation_info(update)
    assert info is not None and info.conversation == TEAM
    assert "channelName" not in info.reference


def test_a_thread_link_opens_the_thread_in_teams() -> None:
    info = conversation_info(teams_channel_message(SERVICE))
    assert info is not None
    link = thread_link(info.reference, TENANT, "1700000000001")
    assert link is not None
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"https://teams.microsoft.com/l/message/{CHANNEL}/1700000000001"
    )
    assert parse_qs(parts.query) == {
        "tenantId": [TENANT],
        "groupId": [GROUP],
        "parentMessageId": ["1700000000001"],
        "teamName": ["Plattform"],
    }


def test_no_link_without_the_teams_group() -> None:
    info = conversation_info(teams_channel_message(SERVICE))
    assert info is not None
    reference = {key: value for key, value in info.reference.items() if key != "aadGroupId"}
    assert thread_link(reference, TENANT, "1") is None
    assert place_name(reference, "nb") == "Plattform"
    assert place_name({}, "nb") == "en kanal"
    assert place_name({"teamName": "A", "channelName": "B"}, "en") == "A › B"


def _view(count: int, locale: str = "nb") -> DigestView:
    start = datetime(2026, 11, 28, 10, tzinfo=UTC)
    threads = tuple(
        DigestThread(CHANNEL, str(1700000000000 + n), 2, 2, start, start, n == 0)
        for n in range(count)
    )
    return DigestView(
        team="Plattform",
        locale=locale,
        tz=ZoneInfo("Europe/Oslo"),
        since=start - timedelta(days=1),
        now=NOW,
        threads=threads,
        first_lines={(CHANNEL, "1700000000000"): "Skal vi bytte leverandør?"},
    )


def test_a_digest_card_lists_threads_with_links_and_a_text_fallback() -> None:
    view = _view(2)
    links = {(CHANNEL, "1700000000000"): "https://teams.microsoft.com/l/message/x/1"}
    card = digest_card(view, links, {CHANNEL: "Plattform"})
    header, first, second, footer = card["body"]
    # times are Adaptive Card functions (each reader's own zone); the fallback names Oslo
    assert header["text"] == render_instants(view.header(), reader_time)
    assert "{{DATE(" in header["text"] and "(Europe/Oslo)" in card["fallbackText"]
    assert card["fallbackText"] == view.text()
    texts = [element_text(item) for item in first["items"]]
    assert texts[:3] == [
        "Plattform",
        render_instants(view.summary(view.threads[0])[2:], reader_time),
        "“Skal vi bytte leverandør?”",
    ]
    assert "bestemt" in texts[1]
    [button] = first["items"][-1]["actions"]
    assert (button["title"], button["url"]) == ("Åpne tråden", links[(CHANNEL, "1700000000000")])
    assert "selectAction" not in second  # no link known: no button either
    assert footer["text"] == view.footer()


def test_a_long_digest_says_how_many_more() -> None:
    view = _view(MAX_THREADS + 3, locale="en")
    card = digest_card(view, {}, {})
    assert len(card["body"]) == MAX_THREADS + 3  # header, threads, "+3", footer
    assert card["body"][-2]["text"] == "… and 3 more threads."


def test_a_digest_activity_is_a_valid_bot_message() -> None:
    info = conversation_info(teams_channel_message(SERVICE))
    assert info is not None
    activity = digest_activity(info.reference, _view(1), {}, {})
    assert schema_errors(activity) == []
    assert "text" not in activity
    assert activity["summary"] == render_instants(_view(1).header())[:200]
    assert activity["from"]["id"] == BOT["id"]
