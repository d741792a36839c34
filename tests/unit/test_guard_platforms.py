"""The decision guard's pure translations: Teams reactions in, Block Kit and Adaptive Cards out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.slack.guard_blocks import guard_blocks, guard_question_blocks, reader_time
from adapters.slack.limits import block_kit_problems
from adapters.teams.guard_card import guard_card, guard_question_card
from adapters.teams.guard_card import reader_time as card_time
from adapters.teams.watching import channel_reactions
from bot.domain.guard_view import GuardState, GuardView, format_grace
from tests.support.teams import CHANNEL, KARI, TENANT, card_errors

SUNDAY = datetime(2026, 11, 29, 19, 26, tzinfo=UTC)
NOON = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)


def view(now: datetime, state: GuardState = GuardState.OPEN, locale: str = "nb") -> GuardView:
    return GuardView(
        guard_id=7,
        state=state,
        decided_at=SUNDAY,
        until=NOON,
        grace=timedelta(hours=4),
        away=1,
        tz=ZoneInfo("Europe/Oslo"),
        locale=locale,
        now=now,
        conversation="C1",
        thread="1.1",
    )


@pytest.mark.parametrize(
    ("minutes", "en", "nb"),
    [(240, "4 h", "4 t"), (90, "1 h 30 min", "1 t 30 min"), (45, "45 min", "45 min")],
)
def test_grace_periods_read_naturally(minutes: int, en: str, nb: str) -> None:
    assert format_grace(timedelta(minutes=minutes), "en") == en
    assert format_grace(timedelta(minutes=minutes), "nb") == nb


def test_the_slack_reply_names_the_end_in_each_readers_time_and_offers_confirm_only_after() -> None:
    before = guard_blocks(view(SUNDAY))
    after = guard_blocks(view(NOON))
    assert f"<!date^{int(NOON.timestamp())}^" in before[0]["text"]["text"]
    assert "1 person i kanalen var ikke med" in before[0]["text"]["text"]  # singular
    assert [e["action_id"] for e in before[1]["elements"]] == ["guard.reopen"]
    assert [e["action_id"] for e in after[1]["elements"]] == ["guard.reopen", "guard.confirm"]
    settled = guard_blocks(view(NOON, GuardState.REOPENED), who="U9")
    assert len(settled) == 1 and "<@U9>" in settled[0]["text"]["text"]
    for blocks in (before, after, settled, guard_question_blocks(view(NOON))):
        assert block_kit_problems(blocks) == []
    assert (
        reader_time(NOON, "x")
        == f"<!date^{int(NOON.timestamp())}^{{date_short_pretty}} {{time}}|x>"
    )


def test_the_teams_card_disables_confirm_until_the_end_and_is_valid() -> None:
    before, after = guard_card(view(SUNDAY, locale="en")), guard_card(view(NOON, locale="en"))
    actions = before["body"][1]["actions"]
    assert [(a["verb"], a.get("isEnabled")) for a in actions] == [
        ("guard.reopen", None),
        ("guard.confirm", False),
    ]
    assert after["body"][1]["actions"][1]["isEnabled"] is True
    assert card_time(NOON) in before["body"][0]["text"]
    assert "Mon 12:00 Europe/Oslo" in before["fallbackText"]
    assert "1 person in the channel took no part." in before["fallbackText"]
    confirmed = guard_card(view(NOON, GuardState.CONFIRMED, "en"), who="Lea")
    assert len(confirmed["body"]) == 1 and "confirmed by Lea" in confirmed["body"][0]["text"]
    for card in (before, after, confirmed, guard_question_card(view(NOON), "Plattform › Drift")):
        assert card_errors(card) == []


def _reaction(**changes: object) -> dict[str, object]:
    activity: dict[str, object] = {
        "type": "messageReaction",
        "id": "1:77",
        "timestamp": "2026-11-29T19:30:00.000Z",
        "from": dict(KARI),
        "conversation": {
            "isGroup": True,
            "conversationType": "channel",
            "id": f"{CHANNEL};messageid=1700000000001",
        },
        "channelData": {"tenant": {"id": TENANT}},
        "replyToId": "1700000000002",
        "reactionsAdded": [{"type": "like"}],
        "reactionsRemoved": [{"type": "heart"}],
    }
    activity.update(changes)
    return activity


def test_teams_reactions_become_reactions_on_a_message_in_its_thread() -> None:
    added, removed = channel_reactions(_reaction(), now=SUNDAY)
    assert (added.reaction, added.added, removed.reaction, removed.added) == (
        "like",
        True,
        "heart",
        False,
    )
    assert (added.conversation, added.thread, added.message_id) == (
        CHANNEL,
        "1700000000001",
        "1700000000002",
    )
    assert (added.workspace, added.person) == (TENANT, KARI["id"])
    assert added.at == datetime(2026, 11, 29, 19, 30, tzinfo=UTC)
    # not a channel, from a bot, or about nothing: no reactions
    chat = {"conversationType": "personal", "id": "a:1"}
    assert channel_reactions(_reaction(conversation=chat), now=SUNDAY) == []
    bot = {"id": "28:bot", "role": "bot"}
    assert channel_reactions(_reaction(**{"from": bot}), now=SUNDAY) == []
    assert channel_reactions(_reaction(replyToId=None), now=SUNDAY) == []
