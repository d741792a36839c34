"""Words that read naturally: every count is a plural entry, rendered for 0, 1 and 2 in English
and bokmål with the form a person would write ("1 thread", "2 threads", "0 threads";
"1 tråd", "2 tråder", "0 tråder"), never "thread(s)"."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.digest import DigestThread, DigestView
from bot.i18n import translate, translate_plural
from bot.i18n.catalogs import read_catalog
from bot.i18n.tooling import placeholder_names

ENGLISH = read_catalog("en")
PLURAL_KEYS = sorted(str(m.id[0]) for m in ENGLISH if m.id and m.pluralizable)
HEDGED = re.compile(r"\((s|es|er|e|r)\)")


def params(key: str) -> dict[str, object]:
    """A stand-in value for every parameter but the count, so each entry renders on its own."""
    forms = ENGLISH[key].string
    names = set().union(*(placeholder_names(str(form)) for form in forms)) - {"count"}
    return {name: name.upper() for name in names}


def test_the_catalogs_have_plural_entries_for_the_counts() -> None:
    assert {"digest.header", "digest.more", "count.messages", "count.people"} <= set(PLURAL_KEYS)


@pytest.mark.parametrize("locale", ["en", "nb"])
@pytest.mark.parametrize("key", PLURAL_KEYS)
def test_every_plural_entry_reads_right_for_0_1_and_2(key: str, locale: str) -> None:
    zero, one, two = (translate_plural(key, n, locale, **params(key)) for n in (0, 1, 2))
    for text in (zero, one, two):
        assert not HEDGED.search(text), text
        assert key not in text  # a real translation, not the fallback key
    # one thing is singular; none and two are the plural form (English and bokmål alike)
    assert one != two.replace("2", "1")
    assert zero == two.replace("2", "0")


@pytest.mark.parametrize(
    ("key", "locale", "expected"),
    [
        (
            "digest.more",
            "en",
            ["… and 0 more threads.", "… and 1 more thread.", "… and 2 more threads."],
        ),
        ("digest.more", "nb", ["… og 0 tråder til.", "… og 1 tråd til.", "… og 2 tråder til."]),
        ("count.people", "en", ["0 people", "1 person", "2 people"]),
        ("count.people", "nb", ["0 personer", "1 person", "2 personer"]),
        ("count.messages", "en", ["0 messages", "1 message", "2 messages"]),
        ("count.messages", "nb", ["0 meldinger", "1 melding", "2 meldinger"]),
        ("count.days", "nb", ["0 dager", "1 dag", "2 dager"]),
        (
            "cmd.status.held_by_you",
            "nb",
            [
                "Du har 0 meldinger som venter på å bli levert:",
                "Du har 1 melding som venter på å bli levert:",
                "Du har 2 meldinger som venter på å bli levert:",
            ],
        ),
        (
            "cmd.status.held_by_you",
            "en",
            [
                "You have 0 messages waiting to be delivered:",
                "You have 1 message waiting to be delivered:",
                "You have 2 messages waiting to be delivered:",
            ],
        ),
    ],
)
def test_counts_read_as_people_write_them(key: str, locale: str, expected: list[str]) -> None:
    assert [translate_plural(key, n, locale) for n in (0, 1, 2)] == expected


OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 11, 30, 7, tzinfo=UTC)


def _view(locale: str, *threads: tuple[int, int]) -> DigestView:
    return DigestView(
        team="T",
        locale=locale,
        tz=OSLO,
        since=datetime(2026, 11, 27, 15, tzinfo=UTC),
        now=MONDAY,
        threads=tuple(
            DigestThread("C1", f"t{i}", messages, people, MONDAY, MONDAY, looks_decided=False)
            for i, (messages, people) in enumerate(threads)
        ),
    )


@pytest.mark.parametrize(
    ("locale", "one", "two"),
    [
        ("en", "1 message from 1 person", "2 messages from 2 people"),
        ("nb", "1 melding fra 1 person", "2 meldinger fra 2 personer"),
    ],
)
def test_the_digest_counts_threads_messages_and_people_in_words(
    locale: str, one: str, two: str
) -> None:
    single = _view(locale, (1, 1)).text()
    double = _view(locale, (2, 2), (1, 1)).text()
    assert one in single and two in double
    thread, threads = ("1 thread ", "2 threads ") if locale == "en" else ("1 tråd ", "2 tråder ")
    assert thread in single and threads in double
    assert not HEDGED.search(single + double)


def test_a_decision_reason_built_at_run_time_takes_its_plural_form_from_count() -> None:
    """Decision reasons name their key at run time (``decision.hold.members``) with a ``count``
    parameter; translate() picks the form from it."""
    one = translate("decision.hold.members", "en", count="1", when="Mon 08:00")
    three = translate("decision.hold.members", "nb", count="3", when="man. 08:00")
    assert one == "Held until the channel's one member is at work: Mon 08:00."
    assert three == "Holdes til halvparten av kanalens 3 medlemmer er på jobb: man. 08:00."


def test_a_large_count_is_written_as_the_locale_writes_numbers() -> None:
    assert translate_plural("count.messages", 1234, "en") == "1,234 messages"
    assert translate_plural("count.messages", 1234, "nb") == "1\u00a0234 meldinger"
