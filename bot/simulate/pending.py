"""Messages waiting for their digest, kept as columns until the digest is due.

A watched channel's off-hours messages go into the digest after their stretch
(:meth:`bot.simulate.replay.Replay`); the replay adds a whole date's worth at a time and posts
(counts) every digest that is due by the latest message so far. A digest is serve's own
grouping, :func:`bot.domain.digest.tally_threads`, over all its messages at once, so there is
no event or thread object per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import inf

import numpy as np
import numpy.typing as npt

from bot.domain.digest import tally_threads
from bot.simulate.columns import Floats, Ints
from bot.simulate.setup import Digest

__all__ = ["PendingDigests"]

Bools = npt.NDArray[np.bool_]


class PendingDigests:
    """The messages of digests not yet due: when each is due, where, when sent, its thread,
    its author (by number) and its decision signal; ``names[conversation]`` names a
    conversation as a digest's events do."""

    __slots__ = ("_chunks", "_due", "_names")

    def __init__(self, names: Sequence[str]) -> None:
        self._names = names
        self._chunks: list[tuple[Floats, Ints, Floats, list[str], Ints, Bools]] = []
        self._due = inf  # the earliest due instant pending

    def add(
        self,
        due: Floats,
        conversation: Ints,
        ts: Floats,
        threads: list[str],
        who: Ints,
        signal: Bools,
    ) -> None:
        """Messages (in time order) for the digests due at ``due``, one column each."""
        if len(due):
            self._chunks.append((due, conversation, ts, threads, who, signal))
            self._due = min(self._due, float(due.min()))

    def flush(self, now: float) -> list[Digest]:
        """Every digest due by ``now``, oldest first, then by conversation; each digest's
        messages in the order added."""
        if not self._chunks or now < self._due:
            return []
        chunks, self._chunks = self._chunks, []
        due, conversation, ts, who, signal = (
            np.concatenate([chunk[n] for chunk in chunks]) for n in (0, 1, 2, 4, 5)
        )
        threads = [thread for chunk in chunks for thread in chunk[3]]
        ready = due <= now
        later = np.flatnonzero(~ready)
        self._due = inf
        if len(later):
            kept = list(map(threads.__getitem__, later.tolist()))
            self.add(due[later], conversation[later], ts[later], kept, who[later], signal[later])
        at = np.flatnonzero(ready)
        at = at[np.lexsort((conversation[at], due[at]))]  # stable: the order added
        due, conversation = due[at], conversation[at]
        starts = np.flatnonzero(
            np.concatenate(
                [[True], (due[1:] != due[:-1]) | (conversation[1:] != conversation[:-1])]
            )
        ).tolist()
        ends = [*starts[1:], len(at)]
        threads = list(map(threads.__getitem__, at.tolist()))
        sent, senders, signals = ts[at].tolist(), who[at].tolist(), signal[at].tolist()
        found = []
        for start, end, when, where in zip(
            starts, ends, due[starts].tolist(), conversation[starts].tolist(), strict=True
        ):
            tally = tally_threads(
                [self._names[where]] * (end - start),
                threads[start:end],
                senders[start:end],
                sent[start:end],
                signals[start:end],
            )
            found.append(Digest.of(where, when, tally))
        return found
