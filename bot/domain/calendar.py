"""Days off: public holidays by country and region, holiday eves, and personal absences."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import lru_cache

import holidays as holidays_lib
from dateutil.easter import easter

__all__ = ["HolidayRule", "UnknownCountryError", "holiday_names", "is_public_holiday"]

MIDNIGHT = time(0)


class UnknownCountryError(ValueError):
    """The country or region code is not one the holiday calendar knows."""


@lru_cache(maxsize=256)
def _holidays_for(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    try:
        calendar = holidays_lib.country_holidays(country, subdiv=subdivision, years=year)
    except (NotImplementedError, KeyError) as exc:  # the library's way of saying "unknown"
        raise UnknownCountryError(f"{country}-{subdivision}" if subdivision else country) from exc
    return dict(calendar.items())


@lru_cache(maxsize=256)
def _holiday_names_for(
    country: str, subdivision: str | None, year: int, language: str
) -> dict[date, str]:
    supported = holidays_lib.list_localized_countries().get(country, [])
    lang = language if language in supported else None
    calendar = holidays_lib.country_holidays(country, subdiv=subdivision, years=year, language=lang)
    return dict(calendar.items())


def validate_country(country: str, subdivision: str | None = None) -> None:
    """Raise :class:`UnknownCountryError` unless the holiday calendar knows this place."""
    supported = holidays_lib.list_supported_countries()
    if country not in supported:
        raise UnknownCountryError(country)
    if subdivision is not None and subdivision not in supported[country]:
        raise UnknownCountryError(f"{country}-{subdivision}")


def is_public_holiday(day: date, country: str, subdivision: str | None = None) -> bool:
    return day in _holidays_for(country, subdivision, day.year)


def holiday_names(day: date, country: str, subdivision: str | None, language: str) -> str | None:
    """The holiday's name in ``language`` (``no`` for Norwegian) where the library has it."""
    return _holiday_names_for(country, subdivision, day.year, language).get(day)


def _is_major_eve(day: date) -> bool:
    """Christmas Eve, Easter Eve (Holy Saturday) and Whitsun Eve."""
    if (day.month, day.day) == (12, 24):
        return True
    easter_sunday = easter(day.year)
    return day in (easter_sunday - timedelta(days=1), easter_sunday + timedelta(days=48))


@dataclass(frozen=True)
class HolidayRule:
    """Which days are off for a person or team, and from what time on the day before.

    ``eve_from`` closes the day before a public holiday (and before a Sunday when
    ``sunday_is_rest_day``) from that wall time; ``major_eve_from`` does the same on Christmas,
    Easter and Whitsun eves. Norway's Working Environment Act § 10-10 is
    ``HolidayRule("NO", eve_from=18:00, major_eve_from=15:00, sunday_is_rest_day=True)``.
    """

    country: str | None = None
    subdivision: str | None = None
    eve_from: time | None = None
    major_eve_from: time | None = None
    sunday_is_rest_day: bool = False
    personal_days_off: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.country is not None:
            validate_country(self.country, self.subdivision)

    def is_rest_day(self, day: date) -> bool:
        """A whole day off: a public holiday, a personal day off or (by rule) a Sunday."""
        if day in self.personal_days_off:
            return True
        if self.sunday_is_rest_day and day.weekday() == 6:
            return True
        return self.country is not None and is_public_holiday(day, self.country, self.subdivision)

    def _is_holiday_for_eves(self, day: date) -> bool:
        if self.sunday_is_rest_day and day.weekday() == 6:
            return True
        return self.country is not None and is_public_holiday(day, self.country, self.subdivision)

    def closed_from(self, day: date) -> time | None:
        """The wall time from which ``day`` is closed until midnight, or ``None`` if it is not."""
        if self.is_rest_day(day):
            return MIDNIGHT
        if self.eve_from is None and self.major_eve_from is None:
            return None
        if not self._is_holiday_for_eves(day + timedelta(days=1)):
            return None
        if self.major_eve_from is not None and _is_major_eve(day):
            return self.major_eve_from
        return self.eve_from

    def with_days_off(self, days: frozenset[date]) -> HolidayRule:
        return HolidayRule(
            country=self.country,
            subdivision=self.subdivision,
            eve_from=self.eve_from,
            major_eve_from=self.major_eve_from,
            sunday_is_rest_day=self.sunday_is_rest_day,
            personal_days_off=days,
        )
