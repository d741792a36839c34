"""Pure Teams translation: inbound activities to values, outbound messages, error classes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from adapters.teams.activities import (
    bot_added,
    bot_mentioned,
    bot_removed,
    conversation_info,
    deleted_channel,
    delivery_tag,
    held_message_activity,
    sender,
    split_thread,
    text_activity,
)
from adapters.teams.connector import classify_response, retry_after_seconds
from bot.ports import DeliveryErrorKind
from tests.support.teams import (
    BOT,
    CHANNEL,
    GENERAL,
    GROUP_CHAT,
    KARI,
    PERSONAL_KARI,
    TEAM,
    TENANT,
    channel_message,
    conversation_update,
    element_text,
    group_message,
    installation_update,
    personal_message,
    schema_errors,
)

URL = "https://smba.trafficmanager.net/emea/"


@pytest.mark.parametrize(
    ("activity", "conversation", "kind", "team", "thread"),
    [
        (personal_message(URL), PERSONAL_KARI, "dm", None, None),
        (installation_update(URL), GENERAL, "channel", TEAM, None),
        (group_message(URL), GROUP_CHAT, "group", None, None),
    ],
    ids=["personal", "team-install", "group"],
)
def test_where_an_activity_happened(
    activity: dict[str, object], conversation: str, kind: str, team: str | None, thread: None
) -> None:
    info = conversation_info(activity)
    assert info is not None
    assert (info.tenant, info.conversation, info.kind, info.team, info.thread) == (
        TENANT,
        conversation,
        kind,
        team,
        thread,
    )
    assert info.service_url == URL
    assert info.reference["bot"] == BOT
    assert info.reference["conversation"]["id"] == conversation
    assert ("user" in info.reference) == (kind == "dm")


def test_a_channel_thread_is_stored_as_its_channel() -> None:
    activity = channel_message(URL, root="1700000000042")
    info = conversation_info(activity)
    assert info is not None
    assert (info.conversation, info.thread, info.kind) == (CHANNEL, "1700000000042", "channel")
    assert split_thread(CHANNEL) == (CHANNEL, None)


def test_an_activity_without_tenant_or_service_url_is_not_stored() -> None:
    activity = personal_message(URL)
    activity["channelData"] = {}
    activity["conversation"].pop("tenantId")
    assert conversation_info(activity) is None
    assert conversation_info({**personal_message(URL), "serviceUrl": None}) is None


def test_installs_removals_deletions_and_mentions() -> None:
    assert bot_added(installation_update(URL))
    assert not bot_removed(installation_update(URL))
    assert bot_removed(installation_update(URL, "remove", "groupChat"))
    assert bot_removed(installation_update(URL, "remove-upgrade", "personal"))
    assert bot_added(conversation_update(URL, added=[BOT]))
    assert not bot_added(conversation_update(URL, added=[{"id": KARI["id"]}]))
    assert bot_removed(conversation_update(URL, removed=[BOT]))
    assert not bot_removed(conversation_update(URL, removed=[{"id": KARI["id"]}]))
    deleted = conversation_update(URL, event_type="channelDeleted", channel=CHANNEL)
    assert deleted_channel(deleted) == CHANNEL
    assert deleted_channel(conversation_update(URL, event_type="channelRenamed")) is None
    assert bot_mentioned(channel_message(URL, mention=True))
    assert not bot_mentioned(channel_message(URL))


def test_the_sender_brings_time_zone_and_locale() -> None:
    who = sender(personal_message(URL))
    assert who is not None
    assert (who.id, who.name, who.tz, who.locale) == (KARI["id"], "Kari", "Europe/Oslo", "nb-NO")
    assert sender({"type": "message"}) is None


def test_what_we_post_is_tagged_and_schema_valid() -> None:
    info = conversation_info(channel_message(URL))
    assert info is not None
    card = held_message_activity(
        info.reference,
        "Kan vi ta dette mandag?",
        byline="From Kari · written Sun 21:14",
        tag="held-1",
        urgent=True,
        urgent_label="Urgent",
    )
    plain = text_activity(info.reference, "No reply expected until Mon 08:00")
    assert schema_errors(card) == []
    assert schema_errors(plain) == []
    assert delivery_tag(card) == "held-1"
    assert delivery_tag(plain) is None
    assert card["importance"] == "high"
    assert card["from"] == BOT
    assert card["conversation"] == {"id": CHANNEL}
    texts = [element_text(block) for block in card["attachments"][0]["content"]["body"]]
    assert texts == ["From Kari · written Sun 21:14", "Urgent", "Kan vi ta dette mandag?"]


@pytest.mark.parametrize(
    ("status", "code", "kind", "ours"),
    [
        (429, None, DeliveryErrorKind.RATE_LIMITED, "throttled"),
        (412, None, DeliveryErrorKind.TRANSIENT, "http_412"),
        (500, None, DeliveryErrorKind.TRANSIENT, "http_500"),
        (502, None, DeliveryErrorKind.TRANSIENT, "http_502"),
        (504, None, DeliveryErrorKind.TRANSIENT, "http_504"),
        (401, None, DeliveryErrorKind.TRANSIENT, "unauthorized"),
        (403, "BotNotInConversationRoster", DeliveryErrorKind.PERMANENT, "bot_not_in_conversation"),
        (403, "ConversationBlockedByUser", DeliveryErrorKind.PERMANENT, "blocked"),
        (404, "ConversationNotFound", DeliveryErrorKind.PERMANENT, "conversation_not_found"),
        (413, None, DeliveryErrorKind.PERMANENT, "msg_too_long"),
        (400, "MessageSizeTooBig", DeliveryErrorKind.PERMANENT, "msg_too_long"),
        (400, "BadArgument", DeliveryErrorKind.PERMANENT, "http_400"),
    ],
)
def test_connector_errors_are_classified(
    status: int, code: str | None, kind: DeliveryErrorKind, ours: str
) -> None:
    body = {"error": {"code": code, "message": "x"}} if code else None
    error = classify_response(status, body, {"Retry-After": "3"})
    assert (error.kind, error.code) == (kind, ours)
    if kind is DeliveryErrorKind.RATE_LIMITED:
        assert error.retry_after == 3.0


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds(None) == 1.0
    assert retry_after_seconds("soon") == 1.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_seconds(later) <= 31
