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

The replay takes one date of day files at a time as arrays (:mod:`bot.simulate.columns`): the
decisions are ``decide``'s own, asked once per stretch; the labels, digests (serve's
``summarise``, once per digest), decision-phrase test (the guard's) and patterns follow the
same rules message by message as ``serve`` and the insights do; only the bookkeeping is done
for a whole date at once.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import repeat
from math import inf
from zoneinfo import ZoneInfo

import numpy as np

from bot.domain.audience import MembersHours
from bot.domain.decisions import ChannelAudience, MembersAudience, PersonAudience
from bot.domain.hours import WorkingHours
from bot.domain.insights import person_activity
from bot.domain.policy import AudienceKind, Person
from bot.domain.timeutil import UTC
from bot.services.digest import digest_period
from bot.simulate.columns import NONE, Floats, Ints, People, decide_many, local_fields, tally
from bot.simulate.conversations import DirectSpans, GroupSpans
from bot.simulate.day_files import DayColumns
from bot.simulate.export_zip import SlackExport
from bot.simulate.localclock import QUARTER, LocalClock
from bot.simulate.patterns import (
    EVENING_FROM,
    EVENING_UNTIL,
    NIGHT_FROM,
    NIGHT_UNTIL,
    PersonPatterns,
    day_edges,
    rest_and_span_all,
)
from bot.simulate.pending import PendingDigests
from bot.simulate.setup import Digest, ReplaySetup
from bot.simulate.spans import (
    DELIVER,
    HOLD,
    LABEL,
    DecisionSpans,
    members_open_until,
    open_until,
)
from bot.simulate.tallies import Tallies

__all__ = ["Digest", "Replay", "ReplaySetup", "replay"]

_WATCHED = ("channel", "group")
_PEOPLE = 1 << 24  # more people than any export has: (conversation, author) as one integer
_DAYS = 1 << 22  # more than any day ordinal: (author, day) as one integer


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
    # who made each figure (authors by number): a figure from fewer than five is not shown, so
    # each set keeps up to five (bot.simulate.columns.People), enough for that rule
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
        conversations = self.export.conversations
        self._spans: list[DecisionSpans] = []
        self._spans_number: dict[int, int] = {}
        self._team_id = self._number(self._team)
        self._by_team_of = np.array([s is not None for s in self._by_team], np.bool_)
        self._watched_of = np.array([c.kind in _WATCHED for c in conversations], np.bool_)
        self._decider_of = np.array(
            [
                self._team_id
                if team is not None
                else self._number(chooser)
                if isinstance(chooser, DecisionSpans)
                else -1
                for team, chooser in zip(self._by_team, self._by_author, strict=True)
            ],
            np.int64,
        )
        self._chosen: dict[int, int] = {}
        # authors by number, in order of their first message; their zones' clocks and spans
        self._numbers: dict[str, int] = {}
        self._names: list[str] = []
        self._people: list[PersonPatterns] = []
        self._zone_index: dict[ZoneInfo, int] = {}
        self._zone_clocks: list[LocalClock] = []
        self._zone_spans: list[int] = []
        self._author_zone = np.zeros(0, np.int64)
        self._author_spans = np.zeros(0, np.int64)
        # per author: messages, outside their hours, evenings, nights, rest days
        self._counts = np.zeros((5, 0), np.int64)
        self._edges: list[tuple[Ints, Floats, Floats]] = []
        self._earliest, self._latest = inf, -inf
        self._outcome_people = People(lambda key: self.outcome_people[key])
        self._week_people = People(lambda key: self.week_people[key // 3][key % 3])
        self._channel_people = People(lambda key: self.channel_people[key // 3][key % 3])
        self._cell_people = People(lambda key: self.cell_people[key // 2][key % 2])
        self._wave_numbers: dict[float, int] = {}
        self._wave_openings: list[float] = []
        self._wave_people = People(lambda key: self.wave_people[self._wave_openings[key]])
        self._label_people = People(lambda key: self.label_people)
        self._digest_people = People(lambda key: self.digest_people)
        self._labelled: dict[float, set[tuple[int, str]]] = defaultdict(set)
        self._digest_at: dict[float, float | None] = {}
        self._periods: dict[float, float] = {}
        self._conversation_names = [str(n) for n in range(len(self.export.conversations))]
        self._pending = PendingDigests(self._conversation_names)
        self._tallies = Tallies(len(self.export.conversations))
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

    # -- the replay, one date at a time --------------------------------------------------------

    def run(self, days: Iterable[DayColumns]) -> None:
        """Replay every message of ``days`` (one date of day files each, dates in order; the
        messages of a date in any order), then close open digests and work out rest and span."""
        self._earliest, self._latest = inf, -inf
        for batch in days:
            if batch:
                self._date(batch)
        self.digests += self._pending.flush(inf)
        self._tallies.write(self.per_channel, self.hour_of_week, self.landings)
        if self.messages:
            self._finish_people(self._earliest, self._latest)

    def _date(self, batch: DayColumns) -> None:
        authors, threads, texts = batch.author, batch.thread, batch.text
        ts = np.array(batch.ts, np.float64)
        order = np.argsort(ts, kind="stable")  # ties: in the order read
        ts = ts[order]
        quarter = (ts // QUARTER).astype(np.int64)
        report = local_fields([self._clock], np.zeros(len(ts), np.int64), quarter)
        if self._first is not None or self._last is not None:
            day = report[:, 0]
            kept = np.ones(len(ts), np.bool_)
            if self._first is not None:
                kept &= day >= self._first
            if self._last is not None:
                kept &= day <= self._last
            order, ts, quarter, report = order[kept], ts[kept], quarter[kept], report[kept]
            if not len(ts):
                return
        count = len(ts)
        self.messages += count
        self._earliest = min(self._earliest, float(ts[0]))
        self._latest = max(self._latest, float(ts[-1]))
        conversation = np.array(batch.conversation, np.int64)[order]
        who = self._numbers_of(authors, order)
        week, how = report[:, 1], report[:, 2]

        # who decides: the team, a conversation's members, a DM's recipient, a group DM's others
        decider = self._decider_of[conversation]
        chosen = np.flatnonzero(decider < 0)
        if len(chosen):
            decider[chosen] = self._choose(conversation[chosen], who[chosen])
        by_team = self._by_team_of[conversation]
        # the watcher goes by the team's hours; the author's own hours make the patterns
        team_watch = np.flatnonzero(self._watched_of[conversation] & ~by_team)
        own_spans = self._author_spans[who]
        outcomes, openings = self._decide(
            np.concatenate([decider, np.full(len(team_watch), self._team_id), own_spans]),
            np.concatenate([ts, ts[team_watch], ts]),
        )
        outcome, opening = outcomes[:count], openings[:count]
        own_outcome = outcomes[count + len(team_watch) :]
        team_outcome, team_opening = outcome.copy(), opening.copy()
        team_outcome[team_watch] = outcomes[count : count + len(team_watch)]
        team_opening[team_watch] = openings[count : count + len(team_watch)]

        # every message
        self.outcomes[:] = np.add(self.outcomes, np.bincount(outcome, minlength=3)).tolist()
        self._outcome_people.add(outcome, who)
        tally(self.per_week, week, 0)
        self._week_people.add(week * 3, who)
        self._tallies.add(0, conversation, how)
        self._channel_people.add(conversation * 3, who)
        self._cell_people.add(how * 2, who)
        self._patterns(ts, quarter, who, own_outcome)

        # the watcher: labels and digests, for what is not delivered by the team right away
        off = outcome != DELIVER
        watched = np.flatnonzero(
            (off | ~by_team) & self._watched_of[conversation] & ~np.isnan(team_opening)
        )
        labelled = watched[team_outcome[watched] == LABEL]
        if len(labelled):
            self._label(labelled, team_opening, conversation, who, order, threads, float(ts[-1]))
        digested, due = self._digested(watched, ts, team_opening)
        # the decision-phrase test (the guard's), for off-hours messages and digests' messages
        asked = off.copy()
        asked[digested] = True
        asked_at = np.flatnonzero(asked)
        test = self.signal
        signal = np.zeros(count, np.bool_)
        # a date's identical texts are tested once (the test is a pure function of the text;
        # the answers go with the date's texts, which are not kept either)
        asked_texts = list(map(texts.__getitem__, order[asked_at].tolist()))
        answers = {text: bool(text) and test(text) for text in set(asked_texts)}
        signal[asked_at] = np.fromiter(
            map(answers.__getitem__, asked_texts), np.bool_, len(asked_texts)
        )
        del answers, asked_texts
        if len(digested):
            self._digest_people.add(np.zeros(len(digested), np.int64), who[digested])
            self._pending.add(
                due,
                conversation[digested],
                ts[digested],
                list(map(threads.__getitem__, order[digested].tolist())),
                who[digested],
                signal[digested],
            )
        self.digests += self._pending.flush(float(ts[-1]))

        # off hours: held or labelled
        held = outcome == HOLD
        for what, column, cells in ((off, 1, True), (held, 2, False)):
            if cells:
                self._cell_people.add(how[what] * 2 + 1, who[what])
            tally(self.per_week, week[what], column)
            self._week_people.add(week[what] * 3 + column, who[what])
            self._tallies.add(column, conversation[what], how[what] if cells else None)
            self._channel_people.add(conversation[what] * 3 + column, who[what])
        if held.any():
            self._land(opening[held], conversation[held], who[held])
        decided = np.flatnonzero(signal & off)
        for week_of, where, person, at_i in zip(
            week[decided].tolist(),
            conversation[decided].tolist(),
            who[decided].tolist(),
            order[decided].tolist(),
            strict=True,
        ):
            self.decided_threads[week_of].add((where, threads[at_i]))
            self.decided_people[week_of].add(person)

    def _numbers_of(self, authors: Sequence[str], order: Ints) -> Ints:
        """Each message's author by number, numbering new authors in order of time."""
        known = map(self._numbers.get, authors, repeat(-1))
        who = np.fromiter(known, np.int64, len(authors))[order]
        for i in np.flatnonzero(who < 0).tolist():
            author = authors[order[i]]
            number = self._numbers.get(author)
            who[i] = self._author(author) if number is None else number
        return who

    def _choose(self, conversation: Ints, who: Ints) -> Ints:
        """Who decides these DM and group DM messages (spans by number), by their authors."""
        chosen = np.empty(len(who), np.int64)
        known = self._chosen
        for i, pair in enumerate((conversation * _PEOPLE + who).tolist()):
            number = known.get(pair)
            if number is None:
                index, author = divmod(pair, _PEOPLE)
                chooser = self._by_author[index]
                assert isinstance(chooser, DirectSpans | GroupSpans)
                number = known[pair] = self._number(chooser.spans_for(self._names[author]))
            chosen[i] = number
        return chosen

    def _decide(self, spans: Ints, ts: Floats) -> tuple[Ints, Floats]:
        """``self._spans[spans[i]].at(ts[i])`` for every i, one pass per spans in time order."""
        outcome = np.empty(len(ts), np.int64)
        opening = np.empty(len(ts), np.float64)
        for number in np.unique(spans).tolist():
            where = np.flatnonzero(spans == number)
            instants = ts[where]
            if len(instants) > 1 and not (instants[1:] >= instants[:-1]).all():
                instants, back = np.unique(instants, return_inverse=True)
                answers, until = decide_many(self._spans[number], instants)
                answers, until = answers[back.reshape(-1)], until[back.reshape(-1)]
            else:  # in time order already (one request of one date)
                answers, until = decide_many(self._spans[number], instants)
            outcome[where] = answers
            opening[where] = until
        return outcome, opening

    def _patterns(self, ts: Floats, quarter: Ints, who: Ints, own: Ints) -> None:
        """The authors' personal patterns: counts by the insights' rules, and day edges."""
        fields = local_fields(self._zone_clocks, self._author_zone[who], quarter)
        day, minute, rest = fields[:, 0], fields[:, 3], fields[:, 4]
        night = (minute >= NIGHT_FROM) | (minute < NIGHT_UNTIL)
        evening = ~night & (minute >= EVENING_FROM) & (minute < EVENING_UNTIL)
        width = len(self._names)
        counts = self._counts
        for row, what in enumerate((None, own != DELIVER, evening, night, rest != 0)):
            found = (
                np.bincount(who, minlength=width)
                if what is None
                else np.bincount(who[what], minlength=width)
            )
            counts[row][: len(found)] += found
        key = who * _DAYS + day
        by_key = np.argsort(key, kind="stable")
        key, stamps = key[by_key], ts[by_key]
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
        self._edges.append(
            (key[starts], np.minimum.reduceat(stamps, starts), np.maximum.reduceat(stamps, starts))
        )

    def _finish_people(self, earliest: float, latest: float) -> None:
        """Rest and span for every author, over the replayed days (whole days, report zone)."""
        tz = self.setup.report_tz
        first = datetime.fromtimestamp(earliest, UTC).astimezone(tz).date()
        last = datetime.fromtimestamp(latest, UTC).astimezone(tz).date()
        start = datetime.combine(first, time(0), tz)
        end = datetime.combine(last + timedelta(days=1), time(0), tz)
        keys = np.concatenate([edge[0] for edge in self._edges])
        firsts = np.concatenate([edge[1] for edge in self._edges])
        lasts = np.concatenate([edge[2] for edge in self._edges])
        self._edges = []
        by_key = np.argsort(keys, kind="stable")
        keys, firsts, lasts = keys[by_key], firsts[by_key], lasts[by_key]
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        keys = keys[starts]
        firsts = np.minimum.reduceat(firsts, starts)
        lasts = np.maximum.reduceat(lasts, starts)
        # each zone's working days as presumed activity (the insights' rule), by zone number
        presumed = []
        for zone in self._zone_index:
            hours = self._hours_for_zone(zone)
            records = person_activity("", (), tz=zone, hours=hours, start=start, end=end)
            presumed.append(day_edges(records))
        people = len(self._names)
        short, long = rest_and_span_all(
            keys // _DAYS, keys % _DAYS, firsts, lasts, self._author_zone[:people], presumed
        )
        counts = self._counts.tolist()
        for number, (patterns, rest, weeks) in enumerate(
            zip(self._people, short.tolist(), long.tolist(), strict=True)
        ):
            patterns.add_counts(*(int(row[number]) for row in counts))
            patterns.finish_with(rest, weeks)

    def _author(self, author: str) -> int:
        zone = self.export.zones[author]
        index = self._zone_index.get(zone)
        if index is None:
            index = self._zone_index[zone] = len(self._zone_clocks)
            self._zone_clocks.append(LocalClock(zone, self._is_rest_day))
            self._zone_spans.append(self._number(self._spans_for_zone(zone)))
        number = len(self._names)
        self._numbers[author] = number
        self._names.append(author)
        self._people.append(PersonPatterns(zone))
        if number >= len(self._author_zone):
            grown = 2 * len(self._author_zone) + 64
            self._author_zone = np.resize(self._author_zone, grown)
            self._author_spans = np.resize(self._author_spans, grown)
            self._counts = np.concatenate(
                [self._counts, np.zeros((5, grown - self._counts.shape[1]), np.int64)], axis=1
            )
        self._author_zone[number] = index
        self._author_spans[number] = self._zone_spans[index]
        return number

    def _number(self, spans: DecisionSpans) -> int:
        """A spans object's number in :attr:`_spans` (given one the first time it is seen)."""
        number = self._spans_number.get(id(spans))
        if number is None:
            number = self._spans_number[id(spans)] = len(self._spans)
            self._spans.append(spans)
        return number

    def _is_rest_day(self, day: int) -> bool:
        """A Sunday or a day off under the policy (public holiday …), as the insights count."""
        rest = self._rest_days.get(day)
        if rest is None:
            rest = self._rest_days[day] = self._is_rest_date(date.fromordinal(day))
        return rest

    def _is_rest_date(self, day: date) -> bool:
        return day.weekday() == 6 or self.setup.policy.hours.days_off.is_rest_day(day)

    # -- labels and digests (bot/services/watch.py, bot/services/digest.py) -------------------

    def _label(
        self,
        labelled: Ints,
        opening: Floats,
        conversation: Ints,
        who: Ints,
        order: Ints,
        threads: Sequence[str],
        now: float,
    ) -> None:
        """One label per thread and off-hours period (``LabelRepository.claim``); ``now``: the
        latest message so far."""
        claimed, labels = self._labelled, self.labels
        for until, thread in zip(
            opening[labelled].tolist(),
            zip(
                conversation[labelled].tolist(),
                map(threads.__getitem__, order[labelled].tolist()),
                strict=True,
            ),
            strict=True,
        ):
            seen = claimed[until]
            if thread not in seen:
                seen.add(thread)
                labels[until] += 1
        self._label_people.add(np.zeros(len(labelled), np.int64), who[labelled])
        if len(claimed) > 64:  # a later message's period ends after it: older ones are done
            for key in [k for k in claimed if k < now]:
                del claimed[key]

    def _digested(self, watched: Ints, ts: Floats, opening: Floats) -> tuple[Ints, Floats]:
        """Which of the ``watched`` messages a digest reports on, and when that digest is due
        (the one after their stretch's ``opening``; none for an ordinary night)."""
        if not len(watched):
            return watched, np.empty(0, np.float64)
        openings, back = np.unique(opening[watched], return_inverse=True)
        due, since = [], []
        for until in openings.tolist():
            found = self._digest_for(until)
            due.append(NONE if found is None else found)
            since.append(inf if found is None else self._periods[found])
        back = back.reshape(-1)
        into = ts[watched] >= np.array(since, np.float64)[back]
        return watched[into], np.array(due, np.float64)[back][into]

    def _land(self, opening: Floats, conversation: Ints, who: Ints) -> None:
        """Held messages by landing instant and conversation, and who sent them."""
        self._tallies.land(opening, conversation)
        openings, back = np.unique(opening, return_inverse=True)
        back = back.reshape(-1)
        numbers, known = self._wave_numbers, self._wave_openings
        keys = []
        for until in openings.tolist():
            number = numbers.get(until)
            if number is None:
                number = numbers[until] = len(known)
                known.append(until)
            keys.append(number)
        self._wave_people.add(np.array(keys, np.int64)[back], who)

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

    # -- what may be shown ---------------------------------------------------------------------

    def person(self, person_id: str) -> PersonPatterns | None:
        """One person's own figures (``--person``), or None if they wrote nothing."""
        number = self._numbers.get(person_id)
        return None if number is None else self._people[number]

    def everyone(self) -> list[PersonPatterns]:
        """Every author's patterns, for :func:`bot.domain.patterns.aggregate` only."""
        return list(self._people)

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


def replay(
    export: SlackExport,
    setup: ReplaySetup,
    signal: Callable[[str], bool],
    *,
    progress: Callable[[int], None] | None = None,
) -> Replay:
    """Read ``export`` and replay it under ``setup``; ``signal`` is the decision-phrase test."""
    result = Replay(setup, export, signal)
    # the replay makes millions of short-lived objects and no reference cycles: the cyclic
    # collector would only walk the growing tallies again and again (5-15 % of the replay)
    collecting = gc.isenabled()
    gc.disable()
    try:
        result.run(export.columns(progress=progress))
    finally:
        if collecting:
            gc.enable()
    return result
