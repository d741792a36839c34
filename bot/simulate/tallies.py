"""The replay's counts by conversation, hour of week and landing, as arrays while it runs.

Adding a date's messages to a dict of counts key by key was a Python step per conversation and
hour of week every date; here a date is one ``bincount`` per figure, and the counts are written
into :class:`~bot.simulate.replay.Replay`'s dicts and lists once, when the replay ends, in the
order the dicts had (a conversation in order of its first message: a report's rows keep it
among equals).
"""

from __future__ import annotations

from collections.abc import MutableMapping, MutableSequence

import numpy as np

from bot.simulate.columns import Floats, Ints

__all__ = ["Tallies"]

HOURS_OF_WEEK = 168


class Tallies:
    """Messages per conversation (total, off hours, held), per hour of week (total, off
    hours) and per landing (instant, conversation)."""

    __slots__ = ("_by_conversation", "_by_hour", "_first_seen", "_landings", "_seen")

    def __init__(self, conversations: int) -> None:
        self._by_conversation = np.zeros((conversations, 3), np.int64)
        self._by_hour = np.zeros((HOURS_OF_WEEK, 2), np.int64)
        self._seen = np.zeros(conversations, np.bool_)
        self._first_seen: list[int] = []  # conversations in order of their first message
        self._landings: list[tuple[Floats, Ints, Ints]] = []

    def add(self, column: int, conversation: Ints, hour: Ints | None) -> None:
        """Messages in ``conversation`` (and, unless None, at ``hour`` of week) to ``column``
        (0: every message, 1: off hours, 2: held; hours have no held column)."""
        counts = np.bincount(conversation, minlength=len(self._seen))
        self._by_conversation[:, column] += counts
        if column == 0:
            fresh = np.flatnonzero((counts > 0) & ~self._seen)
            self._seen[fresh] = True
            self._first_seen += fresh.tolist()
        if hour is not None:
            self._by_hour[:, column] += np.bincount(hour, minlength=HOURS_OF_WEEK)

    def land(self, opening: Floats, conversation: Ints) -> None:
        """Held messages landing at ``opening``, from ``conversation`` (counted per pair: a
        date's few thousand messages land at a few instants)."""
        openings, back = np.unique(opening, return_inverse=True)
        width = len(self._seen)
        pairs, counts = np.unique(back.reshape(-1) * width + conversation, return_counts=True)
        self._landings.append((openings[pairs // width], pairs % width, counts))

    def write(
        self,
        per_channel: MutableMapping[int, list[int]],
        hour_of_week: MutableSequence[list[int]],
        landings: MutableMapping[float, dict[int, int]],
    ) -> None:
        """Add the counts to the replay's figures (and forget them)."""
        rows = self._by_conversation.tolist()
        for index in self._first_seen:
            row = per_channel[index]
            for column in range(3):
                row[column] += rows[index][column]
        for cell, hours in zip(hour_of_week, self._by_hour.tolist(), strict=True):
            cell[0] += hours[0]
            cell[1] += hours[1]
        if self._landings:
            opening, conversation, count = (
                np.concatenate([chunk[n] for chunk in self._landings]) for n in range(3)
            )
            openings, back = np.unique(opening, return_inverse=True)
            width = len(self._seen)
            pairs = back.reshape(-1) * width + conversation
            order = np.argsort(pairs, kind="stable")
            pairs, count = pairs[order], count[order]
            starts = np.flatnonzero(np.concatenate([[True], pairs[1:] != pairs[:-1]]))
            pairs, count = pairs[starts], np.add.reduceat(count, starts)
            bounds = np.searchsorted(pairs // width, np.arange(len(openings) + 1)).tolist()
            wheres, numbers = (pairs % width).tolist(), count.tolist()
            for index, at in enumerate(openings.tolist()):
                low, high = bounds[index], bounds[index + 1]
                wave = landings[at]
                for where, number in zip(wheres[low:high], numbers[low:high], strict=True):
                    wave[where] = wave.get(where, 0) + number
        self._by_conversation[:] = 0
        self._by_hour[:] = 0
        self._seen[:] = False
        self._first_seen, self._landings = [], []
