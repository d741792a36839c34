"""Wall-clock to instant conversion with a deliberate rule for DST gaps and overlaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["UTC", "ensure_utc", "local_date", "resolve_wall_time"]


def ensure_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; naive datetimes are refused (they are ambiguous by nature)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: an instant needs a time zone")
    return instant.astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date on the wall clock in ``tz`` at ``instant``."""
    return instant.astimezone(tz).date()


def resolve_wall_time(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock in ``tz`` first reads at least ``day wall``.

    This is the one rule used for every window edge, holiday edge and digest time:

    * an ordinary wall time maps to its single instant;
    * a wall time that happens twice (a DST *overlap*, clocks turned back) maps to its **first**
      occurrence, so "08:00" never means "an hour later than it looked";
    * a wall time that never happens (a DST *gap*, clocks turned forward) maps to the instant the
      clocks jump, which is the first moment the wall clock shows a later time. A window 02:30-04:00
      on the spring-forward night in Europe/Oslo therefore opens at 03:00 CEST.
    """
    naive = datetime.combine(day, wall.replace(tzinfo=None))
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # In a gap: fold=0 applies the offset from before the jump, fold=1 the one after; the
    # transition lies strictly between the two candidate instants. Find it to the second.
    other = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(first, other), max(first, other)
    target = hi.astimezone(tz).utcoffset()
    step = int((hi - lo).total_seconds())
    # Invariant: offset(lo) != target, offset(hi) == target.
    while step > 1:
        half = step // 2
        mid = lo + timedelta(seconds=half)
        if mid.astimezone(tz).utcoffset() == target:
            hi = mid
            step = half
        else:
            lo = mid
            step -= half
    return hi
