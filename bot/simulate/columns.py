"""Whole-day helpers of the replay: decisions, local fields and tallies for arrays of messages.

The replay takes one date of an export at a time (a few thousand messages) as numpy arrays, so
that the per-message work is done in numpy and Python only runs once per distinct value:
``decide`` once per open or closed stretch (:func:`decide_many`), a zone's calendar once per
quarter hour (:func:`local_fields`), a count once per week, channel or hour of week
(:func:`tally`), a person once per figure until the figure has enough people
(:class:`People`).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, MutableSequence, Sequence
from math import isnan

import numpy as np
import numpy.typing as npt

from bot.domain.insights import MIN_GROUP_SIZE
from bot.simulate.localclock import LocalClock
from bot.simulate.spans import DecisionSpans

__all__ = ["KEEP", "NONE", "People", "decide_many", "local_fields", "tally"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: How many people a figure keeps: the minimum group size is all that is asked of them.
KEEP = MIN_GROUP_SIZE
#: An opening of None (a message delivered now), in a float array.
NONE = float("nan")
_WIDTH = 1 << 24  # more people than any export has: (key, person) pairs as one integer
_SPAN = 2_000  # quarters (about three weeks) worked out whole for one date at most


def decide_many(spans: DecisionSpans, ts: Floats) -> tuple[Ints, Floats]:
    """``spans.at`` for every instant of ``ts`` (sorted, Unix seconds) as (outcome, opening;
    NaN for None) arrays, asking ``decide`` once per stretch as :meth:`DecisionSpans.at`."""
    count = len(ts)
    outcome = np.empty(count, np.int64)
    opening = np.empty(count, np.float64)
    start = 0
    while start < count:
        answer, until, end = spans.stretch(float(ts[start]))
        stop = int(np.searchsorted(ts, end, "left"))
        if stop <= start:
            stop = start + 1  # asked anew at every instant (nothing within decide's horizon)
        outcome[start:stop] = answer
        opening[start:stop] = NONE if until is None else until
        start = stop
    return outcome, opening


def local_fields(clocks: Sequence[LocalClock], zone: Ints, quarter: Ints) -> Ints:
    """``clocks[zone](quarter)`` (:meth:`LocalClock.at <bot.simulate.localclock.LocalClock.at>`)
    for every message, as an (n, 5) array: each zone's clock works out every quarter from the
    date's first to its last at once (:meth:`LocalClock.fields`), or only the quarters asked
    when they are far apart (a day file with stray messages)."""
    if not len(quarter):
        return np.zeros((0, 5), np.int64)
    low, high = int(quarter.min()), int(quarter.max())
    span = high - low + 1
    if span > max(2 * len(quarter), _SPAN):
        zones = len(clocks)
        keys, where = np.unique(quarter * zones + zone, return_inverse=True)
        fields = np.empty((len(keys), 5), np.int64)
        of_zone = keys % zones
        for index in np.unique(of_zone).tolist():
            mine = np.flatnonzero(of_zone == index)
            fields[mine] = clocks[index].fields(keys[mine] // zones)
        spread: Ints = fields[where.reshape(-1)]
        return spread
    present = np.flatnonzero(np.bincount(zone, minlength=len(clocks)))
    if len(present) == 1:  # one zone (the report's): its clock answers every quarter
        return clocks[int(present[0])].fields(quarter)
    slot = np.zeros(len(clocks), np.int64)
    slot[present] = np.arange(len(present))
    every = np.arange(low, high + 1, dtype=np.int64)
    table = np.concatenate([clocks[index].fields(every) for index in present.tolist()])
    found: Ints = table[slot[zone] * span + (quarter - low)]
    return found


def tally(
    rows: MutableMapping[int, list[int]] | MutableSequence[list[int]], keys: Ints, column: int
) -> None:
    """Add one to ``rows[key][column]`` for every key of ``keys``."""
    found, counts = np.unique(keys, return_counts=True)
    for key, count in zip(found.tolist(), counts.tolist(), strict=True):
        rows[key][column] += count


class People:
    """Who made each figure, as much as the minimum group size needs: up to :data:`KEEP`
    distinct people (by number) per key, in the sets ``find(key)`` gives.

    A figure is suppressed when ``0 < people < least`` (``least`` at most :data:`KEEP`); a set
    cut at ``KEEP`` people answers that as the whole set would, and so does a union of such
    sets (if one was cut, the union has at least ``KEEP`` people, as the whole union has).
    A key whose set is full is not looked at again. Keys index an array: keep them small (a
    week's ordinal times three is about two million).
    """

    __slots__ = ("_find", "_full")

    def __init__(self, find: Callable[[int], set[int]]) -> None:
        self._find = find
        self._full = np.zeros(64, np.bool_)  # by key: its set has KEEP people

    def add(self, keys: Ints, who: Ints) -> None:
        """Person ``who[i]`` made the figure ``keys[i]`` (a small non-negative integer)."""
        if not len(keys):
            return
        full = self._full
        top = int(keys.max())
        if top >= len(full):
            full = self._full = np.concatenate([full, np.zeros(2 * top + 64 - len(full), np.bool_)])
        fresh = ~full[keys]
        if not fresh.any():
            return
        find = self._find
        pairs = np.unique(keys[fresh] * _WIDTH + who[fresh])
        # a set takes people in this order until it has KEEP, of whom at most KEEP - len(set)
        # are new: the first KEEP of a key's people are all it can take
        begins = np.concatenate([[True], pairs[1:] // _WIDTH != pairs[:-1] // _WIDTH])
        starts = np.flatnonzero(begins)
        place = np.arange(len(pairs)) - starts[np.cumsum(begins) - 1]
        for pair in pairs[place < KEEP].tolist():
            key, person = divmod(pair, _WIDTH)
            people = find(key)
            if len(people) < KEEP:
                people.add(person)
                if len(people) >= KEEP:
                    full[key] = True


def is_none(opening: float) -> bool:
    """Whether an opening read from a float array stands for None."""
    return isnan(opening)
