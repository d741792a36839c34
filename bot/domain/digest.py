"""Digest values: off-hours threads summarised from stored metadata, and the decision heuristic."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.domain.guard import reads_like_decision
from bot.i18n import (
    render_instants,
    shared_instant,
    strip_instant_marks,
    translate,
    translate_plural,
)

__all__ = [
    "ActivityEvent",
    "DigestThread",
    "DigestView",
    "ThreadTally",
    "excerpt",
    "looks_decided",
    "summarise",
    "tally_threads",
]


def looks_decided(text: str) -> bool:
    """Whether ``text`` reads like a decision ("let's go with", "vi går for", "godkjent" …);
    the rule lives in :func:`bot.domain.guard.reads_like_decision`. Only this yes/no is kept
    from a message; its text is never stored."""
    return reads_like_decision(text)


@dataclass(frozen=True)
class ActivityEvent:
    """One off-hours message, as metadata: who, where, when, and the decision signal."""

    conversation: str
    thread: str
    person: str
    at: datetime
    decision_signal: bool = False


@dataclass(frozen=True)
class DigestThread:
    conversation: str
    thread: str
    messages: int
    people: int
    first_at: datetime
    last_at: datetime
    looks_decided: bool
    #: a decision made off hours is guarded until then (the decision guard), with how many of
    #: the channel's members were away (None: unknown)
    guarded_until: datetime | None = None
    away: int | None = None


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


At = TypeVar("At", bound=_Ordered)


@dataclass(frozen=True, slots=True)
class ThreadTally(Generic[At]):
    """Events grouped by thread, as columns (one entry per thread, in order of each thread's
    first event): its ``(conversation, thread)`` key, how many messages and distinct people,
    its first and last instant, and whether any of its messages reads like a decision."""

    keys: list[tuple[str, str]]
    messages: list[int]
    people: list[int]
    first: list[At]
    last: list[At]
    decided: list[bool]


def tally_threads(
    conversations: Sequence[str],
    threads: Sequence[str],
    persons: Sequence[Hashable],
    at: Sequence[At],
    signals: Sequence[bool],
) -> ThreadTally[At]:
    """The digest's grouping of events given as columns (event ``i`` is ``conversations[i]``,
    ``threads[i]``, ``persons[i]``, ``at[i]``, ``signals[i]``): one row per thread. The first
    and last instant are the first smallest and first largest, as ``min``/``max`` give them.

    :func:`summarise` (serve's digests) groups through it; the policy simulator calls it with
    a whole digest's messages at once. Most threads of a digest have one message: when every
    thread has one, the columns are the events themselves, with no Python step per event."""
    keys = list(zip(conversations, threads, strict=True))
    count = len(keys)
    if len(set(keys)) == count:  # every thread has one message
        ones = [1] * count
        return ThreadTally(keys, ones, ones.copy(), list(at), list(at), list(map(bool, signals)))
    grouped: dict[tuple[str, str], list[int]] = {}
    for index, key in enumerate(keys):
        items = grouped.get(key)
        if items is None:
            grouped[key] = [index]
        else:
            items.append(index)
    found: ThreadTally[At] = ThreadTally([], [], [], [], [], [])
    for key, items in grouped.items():
        first = last = at[items[0]]
        for index in items[1:]:
            instant = at[index]
            if instant < first:
                first = instant
            if last < instant:
                last = instant
        found.keys.append(key)
        found.messages.append(len(items))
        found.people.append(len({persons[index] for index in items}))
        found.first.append(first)
        found.last.append(last)
        found.decided.append(any(signals[index] for index in items))
    return found


def summarise(
    events: Iterable[ActivityEvent],
    guards: Mapping[tuple[str, str], tuple[datetime, int | None]] | None = None,
) -> list[DigestThread]:
    """Group events by thread (:func:`tally_threads`): guarded decisions first (``guards``
    maps a thread to its guard's end and how many were away), then busiest first, then oldest
    first."""
    guards = guards or {}
    listed = list(events)
    tally = tally_threads(
        [event.conversation for event in listed],
        [event.thread for event in listed],
        [event.person for event in listed],
        [event.at for event in listed],
        [event.decision_signal for event in listed],
    )
    threads = []
    for (conversation, thread), messages, people, first_at, last_at, decided in zip(
        tally.keys,
        tally.messages,
        tally.people,
        tally.first,
        tally.last,
        tally.decided,
        strict=True,
    ):
        guard = guards.get((conversation, thread))
        threads.append(
            DigestThread(
                conversation,
                thread,
                messages,
                people,
                first_at,
                last_at,
                decided,
                None if guard is None else guard[0],
                None if guard is None else guard[1],
            )
        )
    threads.sort(key=lambda t: (t.guarded_until is None, -t.messages, t.first_at))
    return threads


@dataclass(frozen=True)
class DigestView:
    """One digest message as the reader sees it, before a platform lays it out.

    :meth:`header` and :meth:`summary` carry their instants as shared instants
    (:func:`bot.i18n.shared_instant`), which a platform renders in each reader's own zone
    (:func:`bot.i18n.render_instants`); :meth:`text` is the plain form, in the view's zone.

    ``first_lines`` maps a thread to the first line of its opening message, where it is known
    (kept encrypted until the digest is out, then erased).
    """

    team: str
    locale: str
    tz: ZoneInfo
    since: datetime
    now: datetime
    threads: tuple[DigestThread, ...]
    first_lines: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: whose hours made a thread off-hours: the team's, or (``members``) its channel's members';
    #: ``absence``: a welcome-back digest, of every thread (in hours too) while someone was away
    audience: str = "team"

    def first_line(self, thread: DigestThread) -> str | None:
        return self.first_lines.get((thread.conversation, thread.thread))

    def header(self) -> str:
        key = {"members": "digest.header.members", "absence": "digest.header.absence"}
        return translate_plural(
            key.get(self.audience, "digest.header"),
            len(self.threads),
            self.locale,
            since=shared_instant(self.since, self.tz, self.locale, now=self.now),
        )

    def summary(self, thread: DigestThread) -> str:
        line = translate(
            "digest.thread",
            self.locale,
            when=shared_instant(
                thread.first_at, self.tz, self.locale, now=self.now, with_zone=False
            ),
            messages=translate_plural("count.messages", thread.messages, self.locale),
            people=translate_plural("count.people", thread.people, self.locale),
        )
        if thread.guarded_until is not None:
            until = shared_instant(thread.guarded_until, self.tz, self.locale, now=self.now)
            if thread.away is None:
                line += translate("digest.guarded_unknown", self.locale, until=until)
            else:
                line += translate_plural("digest.guarded", thread.away, self.locale, until=until)
        elif thread.looks_decided:
            line += translate("digest.decided", self.locale)
        return line

    def footer(self) -> str:
        return translate("digest.footer", self.locale)

    def text(self, limit: int | None = None) -> str:
        """The plain-text form (platforms without rich layout, and notification fallbacks).

        With ``limit`` (characters) it stays within it: whole threads are listed while they
        fit, the rest counted ("… and 12 more threads."), the footer kept.
        """
        head, foot = render_instants(self.header()), self.footer()
        entries = []
        for thread in self.threads:
            first = self.first_line(thread)
            summary = render_instants(self.summary(thread))
            entries.append(summary + (f"\n  “{first}”" if first else ""))
        lines = [head, *entries, foot]
        whole = "\n".join(lines)
        if limit is None or len(whole) <= limit:
            return whole
        shown: list[str] = []
        for count, entry in enumerate(entries):
            more = translate_plural("digest.more", len(entries) - count - 1, self.locale)
            candidate = [head, *shown, entry, more, foot]
            if len("\n".join(candidate)) > limit:
                break
            shown.append(entry)
        more = translate_plural("digest.more", len(entries) - len(shown), self.locale)
        text = "\n".join([head, *shown, more, foot])
        return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


_SPECIAL = re.compile(r"<([@#!])([^>|]*)(?:\|([^>]*))?>")
_LINK = re.compile(r"<(https?://[^>|]+)(?:\|([^>]*))?>")
EXCERPT_LENGTH = 120


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The first non-empty line, short, with mentions made inert: a digest quoting it must not
    notify anyone (``<@U1|kari>`` → ``@kari``, ``<!channel>`` → ``@channel``)."""

    def inert(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "#":
            return f"#{label or target}"
        if sigil == "!":
            return f"@{(label or target).split('^')[0]}"
        return f"@{label or 'someone'}"

    text = strip_instant_marks(text or "")  # a person's words never carry our marks
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = _LINK.sub(lambda m: m.group(2) or m.group(1), line)
    line = _SPECIAL.sub(inert, line)
    line = line.replace("<", "‹").replace(">", "›")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
