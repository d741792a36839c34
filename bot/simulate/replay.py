"""The replay: every message of an export, in time order, through ``decide`` and the digest code.

Who decides a message (``DESIGN.md``, "Decision"): in a channel or private channel, the team
policy (``--audience team``) or its members (``--audience members``: the first instant at which
half of them are in their hours); in a DM, the recipient's own hours (the policy's windows in
the recipient's zone from ``users.json``); in a group DM, its members. Channels and private
channels are watched: their off-hours messages feed labels and digests as
``bot/services/watch.py`` and ``bot/services/digest.py`` record and post them.

Everything counted is metadata: counts per week, channel, hour of week and landing instant.
Message text is never kept; no per-person figure leaves :class:`Replay` except
:meth:`Replay.person` for ``--person``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from math import inf
from zoneinfo import ZoneInfo

from bot.domain.audience import MembersHours
from bot.domain.decisions import ChannelAudience, MembersAudience, PersonAudience
from bot.domain.digest import ActivityEvent, summarise
from bot.domain.hours import WorkingHours
from bot.domain.insights import person_activity
from bot.domain.policy import AudienceKind, Person
from bot.domain.timeutil import UTC
from bot.services.digest import digest_period
from bot.simulate.conversations import DirectSpans, GroupSpans
from bot.simulate.export_zip import Message, SlackExport
from bot.simulate.localclock import QUARTER, LocalClock
from bot.simulate.patterns import PersonPatterns, day_edges
from bot.simulate.setup import Digest, ReplaySetup
from bot.simulate.spans import (
    DELIVER,
    HOLD,
    LABEL,
    DecisionSpans,
    members_open_until,
    open_until,
)

__all__ = ["Digest", "Replay", "ReplaySetup", "replay"]

_WATCHED = ("channel", "group")
_UNKNOWN = -1.0  # not a digest instant: a digest not yet looked up


@dataclass
class Replay:
    """The running tally; :meth:`run` feeds it, then its fields hold the counts."""

    setup: ReplaySetup
    export: SlackExport
    signal: Callable[[str], bool]
    messages: int = 0
    outcomes: list[int] = field(default_factory=lambda: [0, 0, 0])
    per_week: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    per_channel: dict[int, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0, 0])
    )
    hour_of_week: list[list[int]] = field(default_factory=lambda: [[0, 0] for _ in range(168)])
    landings: dict[float, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    labels: dict[float, int] = field(default_factory=lambda: defaultdict(int))
    decided_threads: dict[int, set[tuple[int, str]]] = field(
        default_factory=lambda: defaultdict(set)
    )
    digests: list[Digest] = field(default_factory=list)
    # who made each figure (authors by number): a figure from fewer than five is not shown
    outcome_people: tuple[set[int], set[int], set[int]] = field(
        default_factory=lambda: (set(), set(), set())
    )
    week_people: dict[int, tuple[set[int], set[int], set[int]]] = field(
        default_factory=lambda: defaultdict(lambda: (set(), set(), set()))
    )
    channel_people: dict[int, tuple[set[int], set[int], set[int]]] = field(
        default_factory=lambda: defaultdict(lambda: (set(), set(), set()))
    )
    cell_people: list[tuple[set[int], set[int]]] = field(
        default_factory=lambda: [(set(), set()) for _ in range(168)]
    )
    wave_people: dict[float, set[int]] = field(default_factory=lambda: defaultdict(set))
    decided_people: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    label_people: set[int] = field(default_factory=set)
    digest_people: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        setup = self.setup
        policy = setup.policy
        self._clock = LocalClock(setup.report_tz)
        self._person_clocks: dict[ZoneInfo, LocalClock] = {}
        self._person_spans: dict[ZoneInfo, DecisionSpans] = {}
        self._zone_hours: dict[ZoneInfo, WorkingHours] = {}
        self._rest_days: dict[int, bool] = {}
        self._team = DecisionSpans(ChannelAudience("", team=policy), open_until(policy.hours))
        # per conversation: the team's spans (channels in team mode), or a per-author chooser
        self._by_team: list[DecisionSpans | None] = []
        self._by_author: list[DecisionSpans | DirectSpans | GroupSpans | None] = []
        zones, tz = self.export.zones, policy.hours.tz
        for conversation in self.export.conversations:
            members = [m for m in conversation.members if m in zones]
            if conversation.kind == "dm":
                direct = DirectSpans(
                    {m: self._spans_for_zone(zones[m]) for m in members}, self._team
                )
                self._by_team.append(None)
                self._by_author.append(direct)
            elif members and conversation.kind == "mpim":
                # a group DM is held for the people it reaches: its members but the author
                by_member = {m: self._hours_for_zone(zones[m]) for m in members}
                self._by_team.append(None)
                self._by_author.append(GroupSpans(conversation.id, by_member, policy, self._team))
            elif members and policy.audience is AudienceKind.MEMBERS:
                # as bot/services/audience.py widens it: each member's hours, the team's zone
                hours = MembersHours.of([self._hours_for_zone(zones[m]) for m in members], tz)
                audience = MembersAudience(conversation.id, hours, policy)
                self._by_team.append(None)
                self._by_author.append(DecisionSpans(audience, members_open_until(hours)))
            else:
                self._by_team.append(self._team)
                self._by_author.append(None)
        self._watched = [c.kind in _WATCHED for c in self.export.conversations]
        self._labelled: dict[float, set[tuple[int, str]]] = defaultdict(set)
        self._digest_at: dict[float, float | None] = {}
        self._periods: dict[float, float] = {}
        self._pending: dict[float, dict[int, list[tuple[float, str, int, bool]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._next_due = inf
        self._authors: dict[str, _Author] = {}
        self._first = setup.first_day.toordinal() if setup.first_day else None
        self._last = setup.last_day.toordinal() if setup.last_day else None

    def _hours_for_zone(self, zone: ZoneInfo) -> WorkingHours:
        hours = self._zone_hours.get(zone)
        if hours is None:
            hours = self._zone_hours[zone] = self.setup.hours_in(zone)
        return hours

    def _spans_for_zone(self, zone: ZoneInfo) -> DecisionSpans:
        spans = self._person_spans.get(zone)
        if spans is None:
            hours = self._hours_for_zone(zone)
            person = Person(id="", name="", hours=hours)
            audience = PersonAudience(person, team=self.setup.policy)
            spans = self._person_spans[zone] = DecisionSpans(audience, open_until(hours))
        return spans

    # -- the loop ----------------------------------------------------------------------------

    def run(self, stream: Iterable[Message]) -> None:
        """Replay every message of ``stream`` (oldest first), then close open digests."""
        clock, cache, signal = self._clock.at, self._clock._cache, self.signal
        by_team, by_author, watched = self._by_team, self._by_author, self._watched
        outcomes, per_week, per_channel = self.outcomes, self.per_week, self.per_channel
        hour_of_week, landings, authors = self.hour_of_week, self.landings, self._authors
        outcome_people, week_people = self.outcome_people, self.week_people
        channel_people, cell_people, wave_people = (
            self.channel_people,
            self.cell_people,
            self.wave_people,
        )
        first, last = self._first, self._last
        team, watch = self._team, self._watch
        earliest, latest = inf, -inf
        count = 0
        for ts, conversation, author, thread, text in stream:
            quarter = int(ts // QUARTER)
            day, week, how, _, _ = cache.get(quarter) or clock(quarter)
            if (first is not None and day < first) or (last is not None and day > last):
                continue
            count += 1
            if ts < earliest:
                earliest = ts
            if ts > latest:
                latest = ts
            spans = by_team[conversation]
            if spans is not None:
                outcome, opening = spans.at(ts)
            else:
                outcome, opening = by_author[conversation].at(ts, author)  # type: ignore[union-attr]
            person = authors.get(author) or self._author(author)
            who = person[4]
            outcomes[outcome] += 1
            outcome_people[outcome].add(who)
            week_row, week_who = per_week[week], week_people[week]
            week_row[0] += 1
            week_who[0].add(who)
            channel_row, channel_who = per_channel[conversation], channel_people[conversation]
            channel_row[0] += 1
            channel_who[0].add(who)
            cell, cell_who = hour_of_week[how], cell_people[how]
            cell[0] += 1
            cell_who[0].add(who)
            own_day, _, _, own_minute, rest = person[1].get(quarter) or person[2](quarter)
            person[0].add(ts, own_day, own_minute, person[3](ts)[0] != DELIVER, rest)
            if outcome == DELIVER and spans is not None:
                continue
            decided = bool(text) and signal(text)
            if watched[conversation]:
                # the watcher goes by the team's hours: the decision just made, when it was theirs
                watch(
                    ts,
                    conversation,
                    who,
                    thread,
                    decided,
                    *((outcome, opening) if spans is team else team.at(ts)),
                )
            if outcome == DELIVER:
                continue
            cell[1] += 1
            cell_who[1].add(who)
            week_row[1] += 1
            week_who[1].add(who)
            channel_row[1] += 1
            channel_who[1].add(who)
            if outcome == HOLD:
                week_row[2] += 1
                week_who[2].add(who)
                channel_row[2] += 1
                channel_who[2].add(who)
                wave = landings[opening]  # type: ignore[index]
                wave[conversation] = wave.get(conversation, 0) + 1
                wave_people[opening].add(who)  # type: ignore[index]
            if decided:
                self.decided_threads[week].add((conversation, thread))
                self.decided_people[week].add(who)
        self.messages += count
        self._flush_digests(float("inf"))
        if self.messages:
            self._finish_people(earliest, latest)

    def _finish_people(self, earliest: float, latest: float) -> None:
        """Rest and span for every author, over the replayed days (whole days, report zone)."""
        tz = self.setup.report_tz
        first = datetime.fromtimestamp(earliest, UTC).astimezone(tz).date()
        last = datetime.fromtimestamp(latest, UTC).astimezone(tz).date()
        start = datetime.combine(first, time(0), tz)
        end = datetime.combine(last + timedelta(days=1), time(0), tz)
        presumed: dict[ZoneInfo, dict[int, tuple[float, float]]] = {}
        for tally in self._authors.values():
            patterns = tally[0]
            zone = patterns.tz
            if zone not in presumed:
                hours = self._hours_for_zone(zone)
                records = person_activity("", (), tz=zone, hours=hours, start=start, end=end)
                presumed[zone] = day_edges(records)
            patterns.finish(presumed[zone])

    def _author(self, author: str) -> _Author:
        zone = self.export.zones[author]
        clock = self._person_clocks.get(zone)
        if clock is None:
            clock = self._person_clocks[zone] = LocalClock(zone, self._is_rest_day)
        spans = self._spans_for_zone(zone)
        number = len(self._authors)
        tally = (PersonPatterns(zone), clock._cache, clock.at, spans.at, number)
        self._authors[author] = tally
        return tally

    def _is_rest_day(self, day: int) -> bool:
        """A Sunday or a day off under the policy (public holiday …), as the insights count."""
        rest = self._rest_days.get(day)
        if rest is None:
            rest = self._rest_days[day] = self._is_rest_date(date.fromordinal(day))
        return rest

    def _is_rest_date(self, day: date) -> bool:
        return day.weekday() == 6 or self.setup.policy.hours.days_off.is_rest_day(day)

    # -- labels and digests (bot/services/watch.py, bot/services/digest.py) -------------------

    def _watch(
        self,
        ts: float,
        conversation: int,
        who: int,
        thread: str,
        decided: bool,
        outcome: int,
        opening: float | None,
    ) -> None:
        """As the watcher records it: by the team's hours (``outcome``, ``opening``: the team's
        decision at ``ts``), whoever decides the message."""
        if opening is None:
            return
        if outcome == LABEL:  # one label per thread and off-hours period (LabelRepository.claim)
            labelled = self._labelled[opening]
            if (conversation, thread) not in labelled:
                labelled.add((conversation, thread))
                self.labels[opening] += 1
            self.label_people.add(who)
            if len(self._labelled) > 64:
                for key in [k for k in self._labelled if k < ts]:
                    del self._labelled[key]
        if self._pending and ts >= self._next_due:
            self._flush_digests(ts)
        digest_at = self._digest_at.get(opening, _UNKNOWN)
        if digest_at == _UNKNOWN:
            digest_at = self._digest_for(opening)
        if digest_at is None or ts < self._periods[digest_at]:
            return  # an ordinary night: no digest reports on it
        self._next_due = min(self._next_due, digest_at)
        self._pending[digest_at][conversation].append((ts, thread, who, decided))
        self.digest_people.add(who)

    def _digest_for(self, opening: float) -> float | None:
        """The digest that reports on messages of the closed stretch ending at ``opening``."""
        if opening not in self._digest_at:
            policy = self.setup.policy
            # constant over the closed stretch: no opening lies between its messages and opening
            after = datetime.fromtimestamp(opening, UTC) - timedelta(microseconds=1)
            found = policy.next_digest_at(after)
            self._digest_at[opening] = None if found is None else found.timestamp()
            if found is not None and found.timestamp() not in self._periods:
                self._periods[found.timestamp()] = digest_period(policy, found).timestamp()
        return self._digest_at[opening]

    def _flush_digests(self, now: float) -> None:
        for due in sorted(at for at in self._pending if at <= now):
            for conversation, pending in sorted(self._pending.pop(due).items()):
                name, instant = str(conversation), datetime.fromtimestamp
                events = [
                    ActivityEvent(name, thread, str(who), instant(ts, UTC), decided)
                    for ts, thread, who, decided in pending
                ]
                self.digests.append(Digest.of(conversation, due, summarise(events)))
        self._next_due = min(self._pending, default=inf)

    # -- what may be shown ---------------------------------------------------------------------

    def person(self, person_id: str) -> PersonPatterns | None:
        """One person's own figures (``--person``), or None if they wrote nothing."""
        tally = self._authors.get(person_id)
        return None if tally is None else tally[0]

    def everyone(self) -> list[PersonPatterns]:
        """Every author's patterns, for :func:`bot.domain.patterns.aggregate` only."""
        return [tally[0] for tally in self._authors.values()]

    @property
    def decide_calls(self) -> int:
        """How often the replay asked ``decide`` (or the members' sweep) rather than a span."""
        spans = [self._team, *self._person_spans.values()]
        spans += [s for s in self._by_author if isinstance(s, DecisionSpans)]
        for group in self._by_author:
            if isinstance(group, GroupSpans):
                spans += group.spans()
        return sum(s.misses for s in spans)

    def waves(self) -> list[tuple[float, dict[int, int]]]:
        """Held messages by landing instant, oldest first."""
        return sorted(self.landings.items())


#: One author's running patterns, with their zone's clock (cache, lookup) and hours at hand.
_Author = tuple[
    PersonPatterns,
    dict[int, tuple[int, int, int, int, bool]],
    Callable[[int], tuple[int, int, int, int, bool]],
    Callable[[float], tuple[int, float | None]],
    int,
]


def replay(
    export: SlackExport,
    setup: ReplaySetup,
    signal: Callable[[str], bool],
    *,
    progress: Callable[[int], None] | None = None,
) -> Replay:
    """Read ``export`` and replay it under ``setup``; ``signal`` is the decision-phrase test."""
    result = Replay(setup, export, signal)
    result.run(export.messages(progress=progress))
    return result
